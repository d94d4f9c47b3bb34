"""The CPO's token decision at a charger: whitelist first, real-time when asked, fallback when offline."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from cpo.services.authorization import token_decide
from ocpi.models import PlatformEndpoint
from ocpi.tokens.models import Token
from ocpi.tokens.schemas import LocationReferences
from ocpi.tokens.services import token_put
from tests.conftest import example

pytestmark = pytest.mark.django_db

AUTHORIZE = "http://tnm.test/ocpi/emsp/2.2.1/tokens/12345678905880/authorize?type=RFID"


@pytest.fixture
def tnm(make_partner):
    partner = make_partner([("DE", "TNM", "EMSP")])
    PlatformEndpoint.objects.create(
        platform=partner.platform,
        identifier="tokens",
        role="SENDER",
        url="http://tnm.test/ocpi/emsp/2.2.1/tokens",
    )
    return partner


def stored(tnm, **changes):
    token, _ = token_put(party=tnm.parties[0], data={**example("token_example_2_full_rfid.json"), **changes})
    return token


def info(allowed, **token_changes):
    return {
        "data": {
            "allowed": allowed,
            "token": {**example("token_example_2_full_rfid.json"), **token_changes},
            "authorization_reference": "REF-1",
        },
        "status_code": 1000,
        "timestamp": "2024-01-01T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("whitelist", "valid", "expected"), [("ALWAYS", True, "ALLOWED"), ("ALLOWED", False, "BLOCKED")]
)
@responses.activate
def test_whitelisted_tokens_are_decided_locally(tnm, whitelist, valid, expected):
    stored(tnm, whitelist=whitelist, valid=valid)
    decision = token_decide(uid="12345678905880")
    assert (decision.allowed, decision.source) == (expected, "whitelist")
    assert not responses.calls


@responses.activate
def test_never_whitelisted_token_asks_the_emsp_in_real_time(tnm):
    stored(tnm, whitelist="NEVER")
    responses.post(AUTHORIZE, json=info("NO_CREDIT", whitelist="NEVER"))
    decision = token_decide(uid="12345678905880", location=LocationReferences(location_id="LOC1"))
    assert decision.allowed == "NO_CREDIT"
    assert decision.source == "realtime"
    assert decision.authorization_reference == "REF-1"
    request = responses.calls[0].request
    assert json.loads(request.body) == {"location_id": "LOC1"}
    assert request.headers["OCPI-to-party-id"] == "TNM"
    assert request.headers["OCPI-from-party-id"] == "OCP"


@responses.activate
def test_allowed_offline_falls_back_to_allowed_when_the_emsp_is_unreachable(tnm):
    stored(tnm, whitelist="ALLOWED_OFFLINE")
    responses.post(AUTHORIZE, body=requests.ConnectionError("down"))
    decision = token_decide(uid="12345678905880")
    assert (decision.allowed, decision.source) == ("ALLOWED", "offline-fallback")


@responses.activate
def test_never_falls_back_to_blocked_when_the_emsp_is_unreachable(tnm):
    stored(tnm, whitelist="NEVER")
    responses.post(AUTHORIZE, body=requests.Timeout("slow"))
    decision = token_decide(uid="12345678905880")
    assert (decision.allowed, decision.source) == ("BLOCKED", "offline-fallback")
    assert not decision.is_allowed


@responses.activate
def test_unknown_token_is_asked_of_every_emsp_and_cached(tnm):
    responses.post(AUTHORIZE, json=info("ALLOWED"))
    decision = token_decide(uid="12345678905880")
    assert decision.allowed == "ALLOWED"
    assert Token.objects.filter(uid="12345678905880", party=tnm.parties[0]).exists()


@responses.activate
def test_token_unknown_everywhere(tnm):
    responses.post(AUTHORIZE, status=404, json={"status_code": 2004, "timestamp": "2024-01-01T00:00:00Z"})
    decision = token_decide(uid="12345678905880")
    assert decision.allowed is None
    assert decision.source == "unknown"
