"""Tariffs pull store (§11.1 Pull model): a partner CPO's list into our copies, never older over newer."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from ocpi.core.exceptions import InvalidParameters
from ocpi.sync import pull
from ocpi.sync.models import OutboxMessage
from ocpi.tariffs import services
from ocpi.tariffs.models import Tariff
from ocpi.tariffs.pull import tariff_store
from tests.conftest import example

pytestmark = pytest.mark.django_db


@pytest.fixture
def cpo(make_partner):
    return make_partner([("DE", "ALL", "CPO")], name="cpo")


@pytest.fixture
def tariff4():
    return copy.deepcopy(example("tariff_4_complex.json"))


def test_registered_with_the_sync_engine():
    handler = pull._handlers["tariffs"]
    assert handler.store is tariff_store
    assert handler.page_limit == 100


def test_a_valid_tariff_is_stored_as_the_partners_copy(cpo, tariff4):
    tariff_store(cpo.platform, tariff4)
    tariff = Tariff.objects.get()
    assert tariff.party == cpo.parties[0]
    assert services.tariff_to_json(tariff) == tariff4
    assert not OutboxMessage.objects.exists()


def test_a_tariff_of_a_party_the_partner_did_not_register_is_refused(cpo, make_partner, tariff4):
    make_partner([("NL", "OTH", "CPO")], name="another")
    with pytest.raises(InvalidParameters):
        tariff_store(cpo.platform, {**tariff4, "country_code": "NL", "party_id": "OTH"})
    assert not Tariff.objects.exists()


def test_an_older_version_never_overwrites_a_newer_one(cpo, tariff4):
    tariff_store(cpo.platform, tariff4)
    tariff_store(cpo.platform, {**tariff4, "currency": "USD", "last_updated": "2015-01-01T00:00:00Z"})
    assert Tariff.objects.get().currency == "EUR"
    tariff_store(cpo.platform, {**tariff4, "currency": "USD", "last_updated": "2016-01-01T00:00:00Z"})
    assert Tariff.objects.get().currency == "USD"


def test_an_invalid_tariff_raises_validation_error(cpo, tariff4):
    with pytest.raises(ValidationError):
        tariff_store(cpo.platform, {**tariff4, "elements": []})
    assert not Tariff.objects.exists()
