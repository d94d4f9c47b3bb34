"""Pulling a partner eMSP's tokens (§12.1.2 Pull model): validate, check the owner, never go back in time."""

from __future__ import annotations

import pytest
import responses
from pydantic import ValidationError

from ocpi.core.exceptions import InvalidParameters
from ocpi.models import PlatformEndpoint
from ocpi.sync import pull
from ocpi.sync.models import OutboxMessage
from ocpi.sync.pull import pull_module
from ocpi.tokens.models import Token
from ocpi.tokens.pull import token_store
from ocpi.tokens.services import token_to_json
from tests.conftest import example

pytestmark = pytest.mark.django_db

URL = "http://emsp.test/ocpi/emsp/2.2.1/tokens"


@pytest.fixture
def emsp(make_partner):
    partner = make_partner([("NL", "TNM", "EMSP"), ("NL", "CPX", "CPO")], name="emsp")
    PlatformEndpoint.objects.create(platform=partner.platform, identifier="tokens", role="SENDER", url=URL)
    return partner.platform


def test_handler_is_registered_with_a_page_of_1000():
    handler = pull._handlers["tokens"]
    assert (handler.store, handler.page_limit) == (token_store, 1000)


def test_a_token_of_the_partners_emsp_party_is_stored(emsp):
    data = example("token_put_example.json")
    token_store(emsp, data)
    token = Token.objects.get()
    assert token.party.platform == emsp
    assert token_to_json(token) == data
    assert OutboxMessage.objects.count() == 0  # a partner's copy is never pushed


def test_a_newer_version_replaces_the_stored_one(emsp):
    data = example("token_put_example.json")
    token_store(emsp, data)
    token_store(emsp, {**data, "valid": False, "last_updated": "2016-01-01T00:00:00Z"})
    assert (Token.objects.get().valid, Token.objects.count()) == (False, 1)


def test_an_older_version_is_skipped(emsp):
    data = example("token_put_example.json")
    token_store(emsp, data)
    token_store(emsp, {**data, "valid": False, "last_updated": "2015-01-01T00:00:00Z"})
    assert token_to_json(Token.objects.get()) == data


@pytest.mark.parametrize(
    "codes",
    [("DE", "XXX"), ("NL", "CPX")],
    ids=["party-not-registered", "party-not-an-emsp"],
)
def test_a_token_of_a_party_the_partner_did_not_register_is_refused(emsp, codes):
    data = {**example("token_put_example.json"), "country_code": codes[0], "party_id": codes[1]}
    with pytest.raises(InvalidParameters):
        token_store(emsp, data)
    assert not Token.objects.exists()


def test_a_token_of_another_platforms_party_is_refused(emsp, make_partner):
    other = make_partner([("DE", "OTH", "EMSP")]).platform
    with pytest.raises(InvalidParameters):
        token_store(other, example("token_put_example.json"))


def test_an_invalid_token_raises_validation_error(emsp):
    with pytest.raises(ValidationError):
        token_store(emsp, {**example("token_put_example.json"), "whitelist": "SOMETIMES"})


@responses.activate
def test_pull_module_stores_the_partners_tokens_and_skips_the_bad_ones(emsp):
    good = example("token_put_example.json")
    foreign = {**good, "uid": "2", "country_code": "FR", "party_id": "XXX"}
    invalid = {**good, "uid": "3", "valid": "yes"}
    responses.get(
        URL,
        json={"data": [good, foreign, invalid], "status_code": 1000, "timestamp": "2024-01-01T00:00:00Z"},
        headers={"X-Total-Count": "3", "X-Limit": "1000"},
    )
    run = pull_module(platform=emsp, module="tokens")
    assert (run.outcome, run.fetched, run.stored, run.skipped) == ("OK", 3, 1, 2)
    assert "limit=1000" in responses.calls[0].request.url
    assert token_to_json(Token.objects.get()) == good
