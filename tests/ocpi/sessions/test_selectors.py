"""session_get and sessions_visible_to: privacy (interop lesson 14) and constant-query rendering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ocpi.core.exceptions import UnknownObject
from ocpi.models import Party
from ocpi.sessions.models import Session, SessionChargingPeriod
from ocpi.sessions.schemas import Session as SessionSchema
from ocpi.sessions.selectors import session_get, sessions_visible_to
from ocpi.sessions.services import session_put, sessions_to_json
from tests.conftest import example

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_cpo() -> Party:
    return Party.objects.create(country_code="NL", party_id="OWN", role="CPO", business_name="own cpo")


def _session(
    owner: Party, session_id: str, emsp: tuple[str, str], last_updated: str = "2020-01-01T00:00:00Z"
):
    data = {
        **example("session_example_2_short_finished.json"),
        "country_code": owner.country_code,
        "party_id": owner.party_id,
        "id": session_id,
        "last_updated": last_updated,
    }
    data["cdr_token"] = {**data["cdr_token"], "country_code": emsp[0], "party_id": emsp[1]}
    return session_put(party=owner, data=data)[0]


def test_session_get_in_any_case(own_cpo):
    _session(own_cpo, "Sess-1", ("DE", "ABC"))
    assert session_get(country_code="nl", party_id="own", session_id="SESS-1").ocpi_id == "Sess-1"
    with pytest.raises(UnknownObject):
        session_get(country_code="NL", party_id="OWN", session_id="other")
    with pytest.raises(UnknownObject):
        session_get(country_code="NL", party_id="XXX", session_id="Sess-1")


def test_caller_sees_only_sessions_of_its_own_emsp_tokens(make_partner, own_cpo):
    alice = make_partner([("DE", "ABC", "EMSP"), ("DE", "ABD", "EMSP")])
    bob = make_partner([("FR", "BOB", "EMSP")])
    partner_cpo = make_partner([("BE", "BEC", "CPO")])
    _session(own_cpo, "a1", ("DE", "ABC"), "2020-01-03T00:00:00Z")
    _session(own_cpo, "a2", ("de", "abd"), "2020-01-01T00:00:00Z")
    _session(own_cpo, "b1", ("FR", "BOB"), "2020-01-02T00:00:00Z")
    _session(partner_cpo.parties[0], "foreign", ("DE", "ABC"))

    assert [s.ocpi_id for s in sessions_visible_to(caller_parties=alice.parties)] == ["a2", "a1"]
    assert [s.ocpi_id for s in sessions_visible_to(caller_parties=bob.parties)] == ["b1"]
    assert list(sessions_visible_to(caller_parties=partner_cpo.parties)) == []
    assert list(sessions_visible_to(caller_parties=[])) == []
    assert sessions_visible_to(caller_parties=[]).ordered


def test_same_codes_with_another_role_do_not_grant_access(make_partner, own_cpo):
    cpo_only = make_partner([("DE", "ABC", "CPO")])
    _session(own_cpo, "a1", ("DE", "ABC"))
    assert list(sessions_visible_to(caller_parties=cpo_only.parties)) == []


def _bulk_sessions(owner: Party, count: int, periods_each: int) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    token = {"country_code": "DE", "party_id": "ABC", "uid": "u", "type": "RFID", "contract_id": "c"}
    sessions = Session.objects.bulk_create(
        Session(
            party=owner,
            country_code=owner.country_code,
            ocpi_party_id=owner.party_id,
            ocpi_id=f"s{n}",
            start_date_time=base,
            kwh=Decimal("12.5"),
            cdr_token=token,
            token_country_code="DE",
            token_party_id="ABC",
            token_uid="u",
            token_type="RFID",
            token_contract_id="c",
            auth_method="WHITELIST",
            location_id="LOC1",
            evse_uid="E1",
            connector_id="1",
            currency="EUR",
            total_cost_excl_vat=Decimal("3.25"),
            status="ACTIVE",
            last_updated=base + timedelta(seconds=n),
        )
        for n in range(count)
    )
    SessionChargingPeriod.objects.bulk_create(
        SessionChargingPeriod(
            session=session,
            position=p,
            start_date_time=base + timedelta(minutes=p),
            data={"start_date_time": "2024-01-01T00:00:00Z", "dimensions": [{"type": "ENERGY", "volume": p}]},
        )
        for session in sessions
        for p in range(periods_each)
    )


@pytest.mark.parametrize("page_size", [10, 100, 1000])
def test_a_page_renders_in_constant_queries(partner, own_cpo, django_assert_num_queries, page_size):
    _bulk_sessions(own_cpo, 1000, 3)
    with django_assert_num_queries(2):
        page = list(sessions_visible_to(caller_parties=partner.parties)[:page_size])
        rendered = sessions_to_json(page)
    assert len(rendered) == page_size
    assert [len(s["charging_periods"]) for s in rendered] == [3] * page_size
    assert rendered[0]["id"] == "s0"
    assert SessionSchema.model_validate(rendered[-1]).to_json() == rendered[-1]
