"""eMSP Tokens Sender: the list and real-time authorization (§12.2.2)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from emsp.models import AuthorizationRecord, TokenPolicy
from ocpi.models import Party
from ocpi.tokens.services import token_put
from tests.conftest import example

pytestmark = pytest.mark.django_db

TOKENS = "/ocpi/2.2.1/emsp/tokens"


@pytest.fixture
def own_emsp():
    # our own eMSP party is NL-OCP: the example tokens are re-homed under it
    return Party.objects.own().get(role="EMSP")


def own_token(own_emsp, name="token_example_2_full_rfid.json", **changes):
    data = {**example(name), "country_code": "NL", "party_id": "OCP", **changes}
    token, _ = token_put(party=own_emsp, data=data)
    return token, data


def authorize(partner, uid, body=None, token_type=None):
    url = f"{TOKENS}/{uid}/authorize" + (f"?type={token_type}" if token_type else "")
    if body is None:
        return partner.client().post(url)
    return partner.client().post(url, data=json.dumps(body), content_type="application/json")


def test_token_list_is_paginated_and_lists_only_our_tokens(own_emsp, cpo_partner, make_partner):
    for i in range(5):
        own_token(own_emsp, uid=f"UID{i}")
    other = make_partner([("FR", "OTH", "EMSP")])
    token_put(
        party=other.parties[0],
        data={**example("token_example_2_full_rfid.json"), "country_code": "FR", "party_id": "OTH"},
    )
    response = cpo_partner.client().get(f"{TOKENS}?limit=2")
    assert response["X-Total-Count"] == "5"
    assert len(response.json()["data"]) == 2
    assert 'rel="next"' in response["Link"]
    assert {t["party_id"] for t in response.json()["data"]} == {"OCP"}


def test_allowed_token_with_location_echoes_it_and_records_the_reference(own_emsp, cpo_partner):
    token, data = own_token(own_emsp)
    location = {"location_id": "LOC1", "evse_uids": ["E1", "E2"]}
    body = authorize(cpo_partner, token.uid, location).json()
    assert body["status_code"] == 1000
    info = body["data"]
    assert info["allowed"] == "ALLOWED"
    assert info["token"] == data
    assert info["location"] == location
    assert (
        AuthorizationRecord.objects.get(authorization_reference=info["authorization_reference"]).allowed
        == "ALLOWED"
    )


def test_allowed_token_without_location(own_emsp, cpo_partner):
    token, _ = own_token(own_emsp)
    info = authorize(cpo_partner, token.uid).json()["data"]
    assert info["allowed"] == "ALLOWED"
    assert "location" not in info


def test_blocked_token(own_emsp, cpo_partner):
    token, _ = own_token(own_emsp, valid=False)
    assert authorize(cpo_partner, token.uid).json()["data"]["allowed"] == "BLOCKED"


def test_expired_token(own_emsp, cpo_partner):
    token, _ = own_token(own_emsp)
    TokenPolicy.objects.create(token=token, expires_at=timezone.now() - timedelta(days=1))
    assert authorize(cpo_partner, token.uid).json()["data"]["allowed"] == "EXPIRED"


def test_no_credit_token_with_info(own_emsp, cpo_partner):
    token, _ = own_token(own_emsp)
    TokenPolicy.objects.create(token=token, no_credit=True, info="Top up your account")
    info = authorize(cpo_partner, token.uid).json()["data"]
    assert info["allowed"] == "NO_CREDIT"
    assert info["info"] == {"language": "en", "text": "Top up your account"}


def test_location_restricted_token(own_emsp, cpo_partner):
    token, _ = own_token(own_emsp)
    TokenPolicy.objects.create(token=token, allowed_locations=["DE-CPO/LOC1"])
    assert authorize(cpo_partner, token.uid, {"location_id": "LOC1"}).json()["data"]["allowed"] == "ALLOWED"
    assert (
        authorize(cpo_partner, token.uid, {"location_id": "LOC2"}).json()["data"]["allowed"] == "NOT_ALLOWED"
    )
    without = authorize(cpo_partner, token.uid).json()
    assert without["status_code"] == 2002


def test_unknown_token_is_404_2004_without_data(own_emsp, cpo_partner):
    response = authorize(cpo_partner, "NOPE")
    assert response.status_code == 404
    assert response.json()["status_code"] == 2004
    assert "data" not in response.json()


def test_type_parameter_selects_the_token(own_emsp, cpo_partner):
    token, _ = own_token(own_emsp, name="token_example_1_app_user.json")
    assert authorize(cpo_partner, token.uid).json()["status_code"] == 2004  # RFID by default
    assert authorize(cpo_partner, token.uid, token_type="APP_USER").json()["data"]["allowed"] == "ALLOWED"
    assert authorize(cpo_partner, token.uid, token_type="BADGE").json()["status_code"] == 2001


def test_invalid_location_references_are_2001(own_emsp, cpo_partner):
    token, _ = own_token(own_emsp)
    response = authorize(cpo_partner, token.uid, {"evse_uids": ["E1"]})
    assert response.json()["status_code"] == 2001
    assert "location_id" in response.json()["status_message"]
