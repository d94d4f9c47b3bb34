"""Real-time authorization (§12.2.3) between two live platforms: a CPO asks an eMSP over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.e2e.harness import LivePlatform, Platforms, PlatformSpec
from tests.e2e.helpers import connect, outgoing_token, run_json

pytestmark = pytest.mark.e2e

TOKENS = {
    # uid: (valid, policy)
    "RT-ALLOWED": (True, {}),
    "RT-BLOCKED": (False, {}),
    "RT-EXPIRED": (True, {"expires_at": "2020-01-01T00:00:00Z"}),
    "RT-NOCREDIT": (True, {"no_credit": True}),
    "RT-LOCATED": (True, {"allowed_locations": ["NL-CPA/LOC-OK"]}),
}

SETUP = """
import json
from django.utils.dateparse import parse_datetime
from emsp.models import TokenPolicy
from ocpi.models import Party
from ocpi.tokens.services import token_put
party = Party.objects.own().get(role="EMSP")
for uid, (valid, policy) in json.loads({tokens!r}).items():
    token, _ = token_put(party=party, data={{
        "country_code": party.country_code, "party_id": party.party_id, "uid": uid, "type": "RFID",
        "contract_id": "DE-EMB-" + uid, "issuer": "eMSP B", "valid": valid, "whitelist": "NEVER",
        "last_updated": "2026-01-01T00:00:00Z"}})
    if policy.get("expires_at"):
        policy["expires_at"] = parse_datetime(policy["expires_at"])
    if policy:
        TokenPolicy.objects.update_or_create(token=token, defaults=policy)
print(json.dumps("ok"))
"""

DECIDE = """
import json
from cpo.services.authorization import token_decide
from ocpi.tokens.schemas import LocationReferences
location = {location!r}
refs = LocationReferences.model_validate(location) if location else None
decision = token_decide(uid={uid!r}, location=refs)
print(json.dumps({{"allowed": decision.allowed.value if decision.allowed else None, "source": decision.source,
                  "reference": decision.authorization_reference}}))
"""


@pytest.fixture(scope="module")
def pair(platforms: Platforms) -> Iterator[tuple[LivePlatform, LivePlatform]]:
    cpo, emsp = platforms.start(
        PlatformSpec("NL", "CPA", ("CPO",), "CPO A"), PlatformSpec("DE", "EMB", ("EMSP",), "eMSP B")
    )
    connect(cpo, emsp)
    assert run_json(emsp, SETUP.format(tokens=json.dumps(TOKENS))) == "ok"
    yield cpo, emsp
    platforms.destroy(cpo, emsp)


def decide(cpo: LivePlatform, uid: str, location: dict[str, object] | None = None) -> dict[str, str | None]:
    return run_json(cpo, DECIDE.format(uid=uid, location=location))


@pytest.mark.parametrize(
    ("uid", "expected"),
    [
        ("RT-ALLOWED", "ALLOWED"),
        ("RT-BLOCKED", "BLOCKED"),
        ("RT-EXPIRED", "EXPIRED"),
        ("RT-NOCREDIT", "NO_CREDIT"),
    ],
)
def test_the_cpo_gets_the_emsps_decision_in_real_time(pair, uid, expected):
    cpo, emsp = pair
    decision = decide(cpo, uid, {"location_id": "LOC-1"})
    assert decision["allowed"] == expected
    assert decision["source"] == "realtime"
    reference = decision["reference"]
    assert reference
    stored = emsp.sql(
        "SELECT allowed, requested_by FROM emsp_authorizationrecord WHERE authorization_reference = %s",
        [reference],
    )
    assert stored == [(expected, cpo.name)]


def test_unknown_token_is_unknown_at_the_cpo(pair):
    cpo, _ = pair
    assert decide(cpo, "RT-NOBODY") == {"allowed": None, "source": "unknown", "reference": None}


def test_location_restricted_token_with_and_without_location_references(pair):
    cpo, emsp = pair
    token = outgoing_token(cpo, emsp)
    url = "/ocpi/2.2.1/emsp/tokens/RT-LOCATED/authorize"
    allowed = emsp.post(url, token=token, json={"location_id": "LOC-OK", "evse_uids": ["E1"]}).json()
    assert allowed["status_code"] == 1000
    assert allowed["data"]["allowed"] == "ALLOWED"
    assert allowed["data"]["location"] == {"location_id": "LOC-OK", "evse_uids": ["E1"]}
    other = emsp.post(url, token=token, json={"location_id": "LOC-ELSEWHERE"}).json()
    assert other["data"]["allowed"] == "NOT_ALLOWED"
    assert "location" not in other["data"]
    without = emsp.post(url, token=token)
    assert without.json()["status_code"] == 2002
    assert decide(cpo, "RT-LOCATED", {"location_id": "LOC-OK"})["allowed"] == "ALLOWED"


def test_unknown_token_over_http_is_404_2004(pair):
    cpo, emsp = pair
    response = emsp.post("/ocpi/2.2.1/emsp/tokens/RT-NOBODY/authorize", token=outgoing_token(cpo, emsp))
    assert response.status_code == 404
    assert response.json()["status_code"] == 2004
    assert "data" not in response.json()


def test_routing_headers_name_both_parties(pair):
    cpo, emsp = pair
    response = emsp.post(
        "/ocpi/2.2.1/emsp/tokens/RT-ALLOWED/authorize",
        token=outgoing_token(cpo, emsp),
        headers={"OCPI-from-country-code": "NL", "OCPI-from-party-id": "CPA"},
    )
    assert response.headers["OCPI-to-party-id"] == "CPA"
    assert response.headers["OCPI-from-party-id"] == "EMB"


def test_unrestricted_token_without_location_references(pair):
    cpo, _ = pair
    assert decide(cpo, "RT-ALLOWED")["allowed"] == "ALLOWED"
    assert decide(cpo, "RT-BLOCKED")["allowed"] == "BLOCKED"
