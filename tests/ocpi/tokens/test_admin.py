"""Token admin: search, list-editable valid/whitelist through token_patch, no add or delete."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from ocpi.models import Party
from ocpi.tokens.models import Token
from ocpi.tokens.services import token_put
from tests.conftest import example

pytestmark = pytest.mark.django_db


@pytest.fixture
def token() -> Token:
    party = Party.objects.create(country_code="NL", party_id="TNM", role="EMSP", business_name="TNM")
    return token_put(party=party, data=example("token_put_example.json"))[0]


def test_changelist_searches_by_uid_and_contract_id(admin_client, token):
    url = reverse("admin:ocpi_tokens_token_changelist")
    assert "012345678" in admin_client.get(url, {"q": "NL8ACC12E46L89"}).content.decode()
    assert "012345678" not in admin_client.get(url, {"q": "nothing-like-it"}).content.decode()


def test_list_edit_goes_through_token_patch(admin_client, token):
    url = reverse("admin:ocpi_tokens_token_changelist")
    form = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(token.pk),
        "form-0-valid": "",
        "form-0-whitelist": "NEVER",
        "_save": "Save",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.valid, token.whitelist) == (False, "NEVER")
    assert token.last_updated.year > 2015


def test_no_add_or_delete(admin_client, admin_user, rf, token):
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[Token]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_delete_permission(request, token)
    delete = reverse("admin:ocpi_tokens_token_delete", args=[token.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code >= 400
    assert Token.objects.filter(pk=token.pk).exists()
