"""Pulling a partner CPO's CDRs (§10.2.1.1): validate, check the owner, a stored CDR never changes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ocpi.cdrs.models import Cdr
from ocpi.cdrs.pull import cdr_store
from ocpi.cdrs.services import cdr_to_json
from ocpi.core.exceptions import InvalidParameters
from ocpi.sync import pull
from ocpi.sync.models import OutboxMessage
from tests.conftest import example

pytestmark = pytest.mark.django_db


@pytest.fixture
def cpo(make_partner):
    """BE-BEC, the CPO of the example CDR, with an eMSP role BE-EMX too."""
    return make_partner([("BE", "BEC", "CPO"), ("BE", "EMX", "EMSP")], name="cpo").platform


def test_handler_is_registered_with_a_page_of_100():
    # The eMSP role registers its own store (same validation, plus the cost check) over this one.
    handler = pull._handlers["cdrs"]
    assert handler.page_limit == 100
    assert handler.store.__qualname__ == cdr_store.__qualname__


def test_a_cdr_of_the_partners_cpo_party_is_stored(cpo):
    cdr_store(cpo, example("cdr_example.json"))
    cdr = Cdr.objects.get()
    assert cdr.party.platform == cpo
    assert cdr_to_json(cdr) == example("cdr_example.json")
    assert not OutboxMessage.objects.exists()  # a partner's copy is never pushed


def test_a_stored_cdr_is_never_overwritten(cpo):
    data = example("cdr_example.json")
    cdr_store(cpo, data)
    cdr_store(cpo, {**data, "remark": "older copy", "last_updated": "2015-01-01T00:00:00Z"})
    cdr_store(cpo, {**data, "remark": "newer copy", "last_updated": "2016-01-01T00:00:00Z"})
    assert cdr_to_json(Cdr.objects.get()) == data


@pytest.mark.parametrize(
    "codes", [("DE", "XXX"), ("BE", "EMX")], ids=["party-not-registered", "party-not-a-cpo"]
)
def test_a_cdr_of_a_party_the_partner_did_not_register_is_refused(cpo, codes):
    with pytest.raises(InvalidParameters):
        cdr_store(cpo, {**example("cdr_example.json"), "country_code": codes[0], "party_id": codes[1]})
    assert not Cdr.objects.exists()


def test_an_invalid_cdr_raises_validation_error(cpo):
    data = example("cdr_example.json")
    del data["cdr_location"]
    with pytest.raises(ValidationError):
        cdr_store(cpo, data)
    assert not Cdr.objects.exists()
