"""Pulling a partner CPO's sessions (§9.2.1.1): validate, check the owner, never go back in time."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ocpi.core.exceptions import InvalidParameters
from ocpi.sessions.models import Session
from ocpi.sessions.pull import session_store
from ocpi.sessions.services import session_to_json
from ocpi.sync import pull
from ocpi.sync.models import OutboxMessage
from tests.conftest import example

pytestmark = pytest.mark.django_db

PERIOD = {"start_date_time": "2020-03-09T10:17:09Z", "dimensions": [{"type": "ENERGY", "volume": 1.5}]}


@pytest.fixture
def cpo(make_partner):
    """NL-STK, the CPO of the example session, with an eMSP role NL-EMX too."""
    return make_partner([("NL", "STK", "CPO"), ("NL", "EMX", "EMSP")], name="cpo").platform


def _session(**changes):
    return {**example("session_example_1_simple_start.json"), "charging_periods": [PERIOD], **changes}


def test_handler_is_registered_with_a_page_of_100():
    handler = pull._handlers["sessions"]
    assert (handler.store, handler.page_limit) == (session_store, 100)


def test_a_session_of_the_partners_cpo_party_is_stored_with_its_periods(cpo):
    session_store(cpo, _session())
    session = Session.objects.get()
    assert session.party.platform == cpo
    assert session_to_json(session) == _session()
    assert OutboxMessage.objects.count() == 0  # a partner's copy is never pushed


def test_a_newer_version_replaces_the_stored_one(cpo):
    session_store(cpo, _session())
    newer = _session(kwh=4, status="ACTIVE", charging_periods=[], last_updated="2020-03-09T11:00:00Z")
    session_store(cpo, newer)
    session = Session.objects.get()
    expected = {k: v for k, v in newer.items() if k != "charging_periods"}
    assert session_to_json(session) == expected


def test_an_older_version_is_skipped(cpo):
    session_store(cpo, _session(last_updated="2020-03-09T11:00:00Z"))
    session_store(cpo, _session(kwh=9, status="ACTIVE", last_updated="2020-03-09T10:00:00Z"))
    assert session_to_json(Session.objects.get()) == _session(last_updated="2020-03-09T11:00:00Z")


@pytest.mark.parametrize(
    "codes", [("DE", "XXX"), ("NL", "EMX")], ids=["party-not-registered", "party-not-a-cpo"]
)
def test_a_session_of_a_party_the_partner_did_not_register_is_refused(cpo, codes):
    with pytest.raises(InvalidParameters):
        session_store(cpo, _session(country_code=codes[0], party_id=codes[1]))
    assert not Session.objects.exists()


def test_an_invalid_session_raises_validation_error(cpo):
    with pytest.raises(ValidationError):
        session_store(cpo, _session(status="RUNNING"))
    assert not Session.objects.exists()
