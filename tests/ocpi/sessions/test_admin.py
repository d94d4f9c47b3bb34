"""Session admin: list with status, kWh, cost and partners, filters; view only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from ocpi.models import Party
from ocpi.sessions.models import Session
from ocpi.sessions.services import session_put
from tests.conftest import example

pytestmark = pytest.mark.django_db


@pytest.fixture
def session() -> Session:
    party = Party.objects.create(country_code="BE", party_id="BEC", role="CPO", business_name="BEC")
    return session_put(party=party, data=example("session_example_2_short_finished.json"))[0]


def test_changelist_shows_status_energy_cost_and_partners(admin_client, session):
    content = admin_client.get(reverse("admin:ocpi_sessions_session_changelist")).content.decode()
    for text in ("COMPLETED", "41.12", "8.5 / 9.35 EUR", "BE-BEC (own)", "NL-TST"):
        assert text in content


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({"status__exact": "COMPLETED"}, True),
        ({"status__exact": "ACTIVE"}, False),
        ({"token_emsp": "NL-TST"}, True),
        ({"token_emsp": "DE-XXX"}, False),
    ],
)
def test_changelist_filters(admin_client, session, query, found):
    content = admin_client.get(reverse("admin:ocpi_sessions_session_changelist"), query).content.decode()
    assert ("LOC1" in content) is found


def test_view_only(admin_client, admin_user, rf, session):
    change = reverse("admin:ocpi_sessions_session_change", args=[session.pk])
    assert admin_client.get(change).status_code == 200
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[Session]
    assert model_admin.has_view_permission(request, session)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, session)
    assert not model_admin.has_delete_permission(request, session)
    assert admin_client.post(change, {"status": "INVALID"}).status_code >= 400
    assert Session.objects.get(pk=session.pk).status == "COMPLETED"
