"""Our own CPO's sessions go to the eMSP of their token only, through the outbox (§9.1.1, §9.2.2)."""

from __future__ import annotations

import pytest

from ocpi.models import Party, PlatformEndpoint
from ocpi.sessions.models import Session
from ocpi.sessions.push import session_resync
from ocpi.sessions.services import session_patch, session_put, session_to_json
from ocpi.sync import outbox
from ocpi.sync.models import OutboxMessage
from tests.conftest import example

pytestmark = pytest.mark.django_db

PERIOD_1 = {"start_date_time": "2020-03-09T10:17:09Z", "dimensions": [{"type": "ENERGY", "volume": 1.5}]}
PERIOD_2 = {"start_date_time": "2020-03-09T10:30:00Z", "dimensions": [{"type": "ENERGY", "volume": 2}]}
PERIOD_3 = {"start_date_time": "2020-03-09T10:45:00Z", "dimensions": [{"type": "TIME", "volume": 0.25}]}


def _receiver(partner, url: str) -> None:
    PlatformEndpoint.objects.create(
        platform=partner.platform, identifier="sessions", role="RECEIVER", url=url
    )


@pytest.fixture
def own_cpo() -> Party:
    return Party.objects.create(country_code="NL", party_id="STK", role="CPO", business_name="STK")


@pytest.fixture
def token_owner(make_partner):
    """NL-TST, the eMSP of the example session's token."""
    partner = make_partner([("NL", "TST", "EMSP")], name="token-owner")
    _receiver(partner, "http://tst.test/sessions")
    return partner


@pytest.fixture
def other_emsp(make_partner):
    partner = make_partner([("DE", "OTH", "EMSP")], name="other")
    _receiver(partner, "http://other.test/sessions")
    return partner


def _pending():
    return list(OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).order_by("id"))


def _deliver_all() -> None:
    OutboxMessage.objects.update(state=OutboxMessage.State.DELIVERED)


def _start(own_cpo: Party, **changes) -> Session:
    return session_put(party=own_cpo, data={**example("session_example_1_simple_start.json"), **changes})[0]


def test_new_session_is_put_whole_to_the_token_owner_only(own_cpo, token_owner, other_emsp):
    session = _start(own_cpo, charging_periods=[PERIOD_1])
    [message] = _pending()
    assert message.platform == token_owner.platform
    assert (message.module, message.method, message.path) == ("sessions", "PUT", "/NL/STK/101")
    assert message.object_key == "NL/STK/101"
    assert message.body == session_to_json(session)
    assert message.body["charging_periods"] == [PERIOD_1]
    assert (message.from_party, message.to_party) == ("NL-STK", "NL-TST")


def test_token_owner_without_receiver_or_unregistered_gets_nothing(own_cpo, make_partner, other_emsp):
    make_partner([("NL", "TST", "EMSP")], name="no-endpoint")
    _start(own_cpo)
    assert _pending() == []


def test_unregistered_token_owner_gets_nothing(own_cpo, token_owner):
    token_owner.platform.status = "UNREGISTERED"
    token_owner.platform.save()
    _start(own_cpo)
    assert _pending() == []


def test_patch_carries_only_what_is_new_and_only_the_new_charging_periods(own_cpo, token_owner):
    session = _start(own_cpo, charging_periods=[PERIOD_1])
    _deliver_all()
    session_patch(
        session=session,
        patch={
            "kwh": 3.5,
            "status": "ACTIVE",
            "charging_periods": [PERIOD_1, PERIOD_2],
            "last_updated": "2020-03-09T10:31:00Z",
        },
    )
    session_patch(
        session=session, patch={"charging_periods": [PERIOD_3], "last_updated": "2020-03-09T10:46:00Z"}
    )
    first, second = _pending()
    assert (first.method, first.path, first.object_key) == ("PATCH", "/NL/STK/101", "NL/STK/101")
    assert first.body == {
        "kwh": 3.5,
        "status": "ACTIVE",
        "charging_periods": [PERIOD_2],
        "last_updated": "2020-03-09T10:31:00Z",
    }
    assert second.body == {"charging_periods": [PERIOD_3], "last_updated": "2020-03-09T10:46:00Z"}
    assert session_to_json(session)["charging_periods"] == [PERIOD_1, PERIOD_2, PERIOD_3]


def test_patch_of_cost_and_end(own_cpo, token_owner):
    session = _start(own_cpo)
    _deliver_all()
    session_patch(
        session=session,
        patch={
            "end_date_time": "2020-03-09T11:00:00Z",
            "total_cost": {"excl_vat": 4, "incl_vat": 4.84},
            "status": "COMPLETED",
            "last_updated": "2020-03-09T11:00:00Z",
        },
    )
    [message] = _pending()
    assert message.body == {
        "end_date_time": "2020-03-09T11:00:00Z",
        "total_cost": {"excl_vat": 4, "incl_vat": 4.84},
        "status": "COMPLETED",
        "last_updated": "2020-03-09T11:00:00Z",
    }


def test_patch_with_the_spec_example(own_cpo, token_owner):
    session = _start(own_cpo)
    _deliver_all()
    session_patch(session=session, patch=example("session_patch_example_charging_period.json"))
    [message] = _pending()
    assert message.body == example("session_patch_example_charging_period.json")


def test_nothing_new_pushes_nothing(own_cpo, token_owner):
    data = {**example("session_example_1_simple_start.json"), "charging_periods": [PERIOD_1]}
    session, _ = session_put(party=own_cpo, data=data)
    _deliver_all()
    session_put(party=own_cpo, data={**data, "last_updated": "2030-01-01T00:00:00Z"})
    session_patch(
        session=session,
        patch={"kwh": 0.0, "charging_periods": [PERIOD_1], "last_updated": "2030-01-01T00:00:00Z"},
    )
    assert _pending() == []


def test_replacing_put_pushes_everything_and_supersedes_pending_patches(own_cpo, token_owner):
    session = _start(own_cpo, charging_periods=[PERIOD_1])
    _deliver_all()
    session_patch(session=session, patch={"kwh": 1, "last_updated": "2020-03-09T10:20:00Z"})
    completed = {
        **session_to_json(session),
        "charging_periods": [PERIOD_2, PERIOD_3],
        "status": "COMPLETED",
        "last_updated": "2020-03-09T11:00:00Z",
    }
    session_put(party=own_cpo, data=completed, session_id="101")
    [message] = _pending()
    assert (message.method, message.path) == ("PUT", "/NL/STK/101")
    assert message.body == completed
    assert OutboxMessage.objects.filter(state=OutboxMessage.State.SUPERSEDED, method="PATCH").count() == 1


def test_partners_sessions_are_never_pushed(make_partner, token_owner):
    cpo = make_partner([("DE", "CPO", "CPO")], name="cpo")
    _receiver(cpo, "http://cpo.test/sessions")
    data = {**example("session_example_1_simple_start.json"), "country_code": "DE", "party_id": "CPO"}
    session, _ = session_put(party=cpo.parties[0], data=data)
    session_patch(session=session, patch={"kwh": 2, "last_updated": "2020-03-09T10:20:00Z"})
    assert _pending() == []


def test_resync_is_registered_and_rebuilds_the_session_with_all_periods(own_cpo):
    session = _start(own_cpo, charging_periods=[PERIOD_1])
    session = session_patch(
        session=session, patch={"charging_periods": [PERIOD_2], "last_updated": "2020-03-09T10:31:00Z"}
    )
    assert outbox._resync["sessions"] is session_resync
    push = session_resync("NL/STK/101", "/NL/STK/101")
    assert push is not None
    assert (push.method, push.path, push.object_key) == ("PUT", "/NL/STK/101", "NL/STK/101")
    assert push.body == session_to_json(session)
    assert push.body["charging_periods"] == [PERIOD_1, PERIOD_2]
    assert session_resync("NL/STK/unknown", "/NL/STK/unknown") is None
