"""Tokens wire schemas (§12.3, §12.4): every spec example round-trips, and bad input names its field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ocpi.core.exceptions import validation_error
from ocpi.tokens.schemas import (
    AllowedType,
    AuthorizationInfo,
    LocationReferences,
    Token,
    TokenType,
    WhitelistType,
)
from tests.conftest import example

TOKEN_EXAMPLES = ["token_example_1_app_user.json", "token_example_2_full_rfid.json", "token_put_example.json"]


def _fields(exc: ValidationError) -> list[str]:
    return [problem["field"] for problem in validation_error(exc).data["errors"]]


@pytest.mark.parametrize("name", TOKEN_EXAMPLES)
def test_token_example_round_trips(name):
    data = example(name)
    assert Token.model_validate(data).to_json() == data


def test_transport_and_format_token_examples_round_trip():
    single = example("transport_and_format_get_token_example.json")["data"]
    assert Token.model_validate(single).to_json() == single
    for item in example("transport_and_format_get_token_list_example.json")["data"]:
        assert Token.model_validate(item).to_json() == item


def test_full_rfid_example_parses_nested_objects():
    token = Token.model_validate(example("token_example_2_full_rfid.json"))
    assert token.type is TokenType.RFID
    assert token.whitelist is WhitelistType.ALLOWED
    assert token.energy_contract is not None
    assert token.energy_contract.supplier_name == "Greenpeace Energy eG"
    assert token.last_updated.tzinfo is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "BADGE"),
        ("whitelist", "SOMETIMES"),
        ("default_profile_type", "TURBO"),
        ("uid", "x" * 37),
        ("uid", ""),
        ("contract_id", "DE8ACC12E46L8é"),
        ("contract_id", "DE8ACC\n12E46L89"),
        ("issuer", "y" * 65),
        ("language", "ita"),
        ("country_code", "DEU"),
        ("party_id", "TN"),
        ("valid", "true"),
        ("last_updated", "yesterday"),
    ],
)
def test_token_rejects_bad_field_and_names_it(field, value):
    data = {**example("token_example_2_full_rfid.json"), field: value}
    with pytest.raises(ValidationError) as exc:
        Token.model_validate(data)
    assert _fields(exc.value) == [field]


@pytest.mark.parametrize(
    "field", ["country_code", "party_id", "uid", "type", "contract_id", "issuer", "valid"]
)
def test_token_requires_mandatory_field(field):
    data = example("token_example_1_app_user.json")
    del data[field]
    with pytest.raises(ValidationError) as exc:
        Token.model_validate(data)
    assert _fields(exc.value) == [field]


def test_energy_contract_supplier_name_is_required():
    data = {**example("token_example_2_full_rfid.json"), "energy_contract": {"contract_id": "1"}}
    with pytest.raises(ValidationError) as exc:
        Token.model_validate(data)
    assert _fields(exc.value) == ["energy_contract.supplier_name"]


def test_authorization_info_round_trips():
    data = {
        "allowed": "ALLOWED",
        "token": example("token_example_2_full_rfid.json"),
        "location": {"location_id": "LOC1", "evse_uids": ["3256", "3257"]},
        "authorization_reference": "567890",
        "info": {"language": "en", "text": "Enjoy"},
    }
    info = AuthorizationInfo.model_validate(data)
    assert info.allowed is AllowedType.ALLOWED
    assert info.to_json() == data


def test_location_references_evse_uids_are_optional_and_bounded():
    assert LocationReferences.model_validate({"location_id": "LOC1"}).to_json() == {"location_id": "LOC1"}
    with pytest.raises(ValidationError) as exc:
        LocationReferences.model_validate({"location_id": "LOC1", "evse_uids": ["ok", "z" * 37]})
    assert _fields(exc.value) == ["evse_uids[1]"]


def test_authorization_info_rejects_unknown_allowed_type():
    data = {"allowed": "MAYBE", "token": example("token_example_1_app_user.json")}
    with pytest.raises(ValidationError) as exc:
        AuthorizationInfo.model_validate(data)
    assert _fields(exc.value) == ["allowed"]
