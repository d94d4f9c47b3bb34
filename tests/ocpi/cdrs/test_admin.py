"""CDR admin: entirely read only (§10.1: a CDR never changes)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from ocpi.cdrs.models import Cdr
from ocpi.cdrs.services import cdr_create, cdr_to_json
from ocpi.models import Party
from tests.conftest import example

pytestmark = pytest.mark.django_db


@pytest.fixture
def cdr() -> Cdr:
    party = Party.objects.create(country_code="BE", party_id="BEC", role="CPO", business_name="BEC")
    return cdr_create(party=party, data=example("cdr_example.json"))[0]


def test_changelist_and_detail_show_the_cdr(admin_client, cdr):
    content = admin_client.get(reverse("admin:ocpi_cdrs_cdr_changelist")).content.decode()
    assert "12345" in content
    assert "4 / 4.4 EUR" in content
    assert admin_client.get(reverse("admin:ocpi_cdrs_cdr_change", args=[cdr.pk])).status_code == 200


def test_nothing_can_be_added_changed_or_deleted(admin_client, admin_user, rf, cdr):
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[Cdr]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, cdr)
    assert not model_admin.has_delete_permission(request, cdr)
    before = cdr_to_json(Cdr.objects.get(pk=cdr.pk))
    assert (
        admin_client.post(reverse("admin:ocpi_cdrs_cdr_change", args=[cdr.pk]), {"remark": "x"}).status_code
        >= 400
    )
    assert (
        admin_client.post(reverse("admin:ocpi_cdrs_cdr_delete", args=[cdr.pk]), {"post": "yes"}).status_code
        >= 400
    )
    assert cdr_to_json(Cdr.objects.get(pk=cdr.pk)) == before
