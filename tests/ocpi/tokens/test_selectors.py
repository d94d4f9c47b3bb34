"""token_get and tokens_of_own_emsp_parties (§12.2.1.1, §12.2.2.1)."""

from __future__ import annotations

import pytest

from ocpi.core.exceptions import UnknownToken
from ocpi.models import Party
from ocpi.tokens.selectors import token_get, tokens_of_own_emsp_parties
from ocpi.tokens.services import token_put
from tests.conftest import example

pytestmark = pytest.mark.django_db


def _token(party: Party, uid: str, last_updated: str, **extra: object) -> None:
    data = {
        **example("token_put_example.json"),
        "country_code": party.country_code,
        "party_id": party.party_id,
        "uid": uid,
        "last_updated": last_updated,
        **extra,
    }
    token_put(party=party, data=data)


def test_token_get_finds_by_full_key_in_any_case(partner):
    party = partner.parties[0]
    _token(party, "AbC", "2020-01-01T00:00:00Z")
    _token(party, "AbC", "2020-01-01T00:00:00Z", type="APP_USER")
    assert token_get(country_code="de", party_id="abc", uid="abc").type == "RFID"
    assert token_get(country_code="DE", party_id="ABC", uid="ABC", type="APP_USER").type == "APP_USER"


@pytest.mark.parametrize(
    "key",
    [
        {"country_code": "DE", "party_id": "ABC", "uid": "nope"},
        {"country_code": "DE", "party_id": "XYZ", "uid": "AbC"},
        {"country_code": "DE", "party_id": "ABC", "uid": "AbC", "type": "OTHER"},
    ],
)
def test_token_get_raises_unknown_token(partner, key):
    _token(partner.parties[0], "AbC", "2020-01-01T00:00:00Z")
    with pytest.raises(UnknownToken) as exc:
        token_get(**key)
    assert exc.value.http_status == 404


def test_tokens_of_own_emsp_parties_only_and_in_paging_order(partner):
    own_emsp = Party.objects.create(country_code="NL", party_id="OWN", role="EMSP", business_name="own")
    own_cpo = Party.objects.create(country_code="NL", party_id="CPX", role="CPO", business_name="own cpo")
    _token(own_emsp, "b", "2020-01-02T00:00:00Z")
    _token(own_emsp, "a", "2020-01-02T00:00:00Z")
    _token(own_emsp, "c", "2020-01-01T00:00:00Z")
    _token(own_cpo, "cpo-token", "2020-01-01T00:00:00Z")
    _token(partner.parties[0], "partner-token", "2019-01-01T00:00:00Z")
    tokens = tokens_of_own_emsp_parties()
    assert tokens.ordered
    assert [t.uid for t in tokens] == ["c", "b", "a"]
