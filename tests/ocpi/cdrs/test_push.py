"""Our own CPO's CDRs are POSTed once to the eMSP of their token only, through the outbox (§10.2.2.2)."""

from __future__ import annotations

import pytest

from ocpi.cdrs.services import cdr_create, cdr_to_json
from ocpi.models import Party, PlatformEndpoint
from ocpi.sync.models import OutboxMessage
from tests.conftest import example

pytestmark = pytest.mark.django_db


def _receiver(partner, url: str) -> None:
    PlatformEndpoint.objects.create(platform=partner.platform, identifier="cdrs", role="RECEIVER", url=url)


@pytest.fixture
def own_cpo() -> Party:
    return Party.objects.create(country_code="BE", party_id="BEC", role="CPO", business_name="BEC")


@pytest.fixture
def token_owner(make_partner):
    """DE-TNM, the eMSP of the example CDR's token."""
    partner = make_partner([("DE", "TNM", "EMSP")], name="token-owner")
    _receiver(partner, "http://tnm.test/cdrs")
    return partner


@pytest.fixture
def other_emsp(make_partner):
    partner = make_partner([("FR", "OTH", "EMSP")], name="other")
    _receiver(partner, "http://other.test/cdrs")
    return partner


def test_new_cdr_is_posted_whole_to_the_token_owner_only(own_cpo, token_owner, other_emsp):
    cdr, created = cdr_create(party=own_cpo, data=example("cdr_example.json"))
    assert created
    [message] = OutboxMessage.objects.all()
    assert message.platform == token_owner.platform
    assert (message.module, message.method, message.path) == ("cdrs", "POST", "")
    assert message.object_key == "BE/BEC/12345"
    assert message.body == cdr_to_json(cdr) == example("cdr_example.json")
    assert (message.from_party, message.to_party) == ("BE-BEC", "DE-TNM")
    assert message.state == OutboxMessage.State.PENDING


def test_a_duplicate_create_enqueues_nothing(own_cpo, token_owner):
    data = example("cdr_example.json")
    cdr_create(party=own_cpo, data=data)
    cdr_create(party=own_cpo, data=data)
    cdr_create(party=own_cpo, data={**data, "remark": "other content, same id"})
    assert OutboxMessage.objects.count() == 1


def test_a_credit_cdr_is_a_new_cdr_and_is_posted_too(own_cpo, token_owner):
    data = example("cdr_example.json")
    cdr_create(party=own_cpo, data=data)
    credit = {**data, "id": "12345-CREDIT", "credit": True, "credit_reference_id": "12345"}
    cdr_create(party=own_cpo, data=credit)
    assert list(OutboxMessage.objects.order_by("id").values_list("object_key", "method")) == [
        ("BE/BEC/12345", "POST"),
        ("BE/BEC/12345-CREDIT", "POST"),
    ]


def test_token_owner_without_a_cdrs_receiver_gets_nothing(own_cpo, make_partner, other_emsp):
    make_partner([("DE", "TNM", "EMSP")], name="no-endpoint")
    cdr_create(party=own_cpo, data=example("cdr_example.json"))
    assert not OutboxMessage.objects.exists()


def test_unregistered_token_owner_gets_nothing(own_cpo, token_owner):
    token_owner.platform.status = "UNREGISTERED"
    token_owner.platform.save()
    cdr_create(party=own_cpo, data=example("cdr_example.json"))
    assert not OutboxMessage.objects.exists()


def test_partners_cdrs_are_never_pushed(make_partner, token_owner):
    cpo = make_partner([("BE", "BEC", "CPO")], name="cpo")
    _receiver(cpo, "http://cpo.test/cdrs")
    cdr_create(party=cpo.parties[0], data=example("cdr_example.json"))
    assert not OutboxMessage.objects.exists()
