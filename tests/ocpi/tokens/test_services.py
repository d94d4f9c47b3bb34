"""token_put / token_patch / token_to_json (§12.2.1.2 PUT, §12.2.1.3 PATCH) through the database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ocpi.core.exceptions import InvalidParameters
from ocpi.models import Party
from ocpi.tokens.models import Token
from ocpi.tokens.services import token_patch, token_put, token_to_json, tokens_to_json
from tests.conftest import example

pytestmark = pytest.mark.django_db

EXAMPLES = [
    "token_example_1_app_user.json",
    "token_example_2_full_rfid.json",
    "token_put_example.json",
]


def _emsp(country_code: str, party_id: str) -> Party:
    party, _ = Party.objects.get_or_create(
        country_code=country_code, party_id=party_id, role="EMSP", defaults={"business_name": party_id}
    )
    return party


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}
    ]


@pytest.mark.parametrize("name", EXAMPLES)
def test_put_then_to_json_equals_the_example(name):
    data = example(name)
    token, created = token_put(party=_emsp(data["country_code"], data["party_id"]), data=data)
    assert created
    token.refresh_from_db()
    assert token_to_json(token) == data


def test_transport_and_format_list_round_trips_through_the_database():
    items = example("transport_and_format_get_token_list_example.json")["data"]
    for item in items:
        token_put(party=_emsp("NL", "TNM"), data=item)
    assert tokens_to_json(Token.objects.order_by("uid")) == sorted(items, key=lambda i: i["uid"])


def test_put_accepts_a_parsed_schema():
    from ocpi.tokens.schemas import Token as TokenSchema

    data = example("token_put_example.json")
    token, created = token_put(party=_emsp("NL", "TNM"), data=TokenSchema.model_validate(data))
    assert created
    assert token_to_json(token) == data


def test_second_put_replaces_the_token():
    party = _emsp("NL", "TNM")
    data = example("token_put_example.json")
    first, _ = token_put(party=party, data=data)
    changed = {**data, "valid": False, "visual_number": None, "last_updated": "2015-07-01T10:00:00Z"}
    del changed["visual_number"]
    second, created = token_put(party=party, data=changed, uid="012345678", type="RFID")
    assert not created
    assert second.pk == first.pk
    second.refresh_from_db()
    assert token_to_json(second) == changed
    assert Token.objects.count() == 1


def test_put_without_change_writes_nothing_and_keeps_last_updated():
    party = _emsp("NL", "TNM")
    data = example("token_put_example.json")
    token_put(party=party, data=data)
    newer = {**data, "last_updated": "2020-01-01T00:00:00Z"}
    with CaptureQueriesContext(connection) as queries:
        token, created = token_put(party=party, data=newer)
    assert not created
    assert _writes(queries) == []
    token.refresh_from_db()
    assert token.last_updated == datetime(2015, 6, 29, 22, 39, 9, tzinfo=UTC)


def test_uid_is_case_insensitive_and_type_part_of_the_key():
    party = _emsp("NL", "TNM")
    data = {**example("token_put_example.json"), "uid": "abc123"}
    token_put(party=party, data=data)
    _, created = token_put(
        party=party, data={**data, "uid": "ABC123", "last_updated": "2016-01-01T00:00:00Z"}
    )
    assert not created
    assert Token.objects.get().uid == "ABC123"
    _, created = token_put(party=party, data={**data, "type": "APP_USER"})
    assert created
    assert Token.objects.count() == 2


def test_same_uid_of_another_emsp_is_another_token():
    data = example("token_put_example.json")
    token_put(party=_emsp("NL", "TNM"), data=data)
    _, created = token_put(party=_emsp("NL", "ABC"), data={**data, "party_id": "ABC"})
    assert created


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"uid": "999"}, "uid"),
        ({"type": "APP_USER"}, "type"),
    ],
)
def test_put_refuses_url_body_mismatch(kwargs, field):
    with pytest.raises(InvalidParameters) as exc:
        token_put(party=_emsp("NL", "TNM"), data=example("token_put_example.json"), **kwargs)
    assert exc.value.data["errors"][0]["field"] == field
    assert not Token.objects.exists()


def test_put_refuses_a_token_of_another_party():
    with pytest.raises(InvalidParameters) as exc:
        token_put(party=_emsp("DE", "TNM"), data=example("token_put_example.json"))
    assert "country_code" in exc.value.message


def test_put_owner_codes_compare_case_insensitively():
    data = {**example("token_put_example.json"), "country_code": "nl", "party_id": "tnm"}
    token, created = token_put(party=_emsp("NL", "TNM"), data=data)
    assert created
    assert (token.country_code, token.ocpi_party_id) == ("NL", "TNM")


def test_put_validation_error_names_the_field():
    data = {**example("token_put_example.json"), "whitelist": "SOMETIMES"}
    with pytest.raises(InvalidParameters) as exc:
        token_put(party=_emsp("NL", "TNM"), data=data)
    assert [e["field"] for e in exc.value.data["errors"]] == ["whitelist"]
    assert "whitelist" in exc.value.message


def test_patch_example_invalidates_the_token():
    party = _emsp("NL", "TNM")
    token, _ = token_put(party=party, data=example("token_put_example.json"))
    patched = token_patch(token=token, patch=example("token_patch_example.json"))
    patched.refresh_from_db()
    assert patched.valid is False
    assert token_to_json(patched) == {
        **example("token_put_example.json"),
        "valid": False,
        "last_updated": "2019-06-19T02:11:11Z",
    }


def test_patch_replaces_nested_object_whole_and_clears_optional_fields():
    data = example("token_example_2_full_rfid.json")
    token, _ = token_put(party=_emsp("DE", "TNM"), data=data)
    patch = {
        "energy_contract": {"supplier_name": "Other"},
        "language": None,
        "last_updated": "2019-01-01T00:00:00Z",
    }
    patched = token_patch(token=token, patch=patch)
    patched.refresh_from_db()
    result = token_to_json(patched)
    assert result["energy_contract"] == {"supplier_name": "Other"}
    assert "language" not in result
    assert result["last_updated"] == "2019-01-01T00:00:00Z"


def test_patch_without_change_keeps_last_updated():
    token, _ = token_put(party=_emsp("NL", "TNM"), data=example("token_put_example.json"))
    with CaptureQueriesContext(connection) as queries:
        token_patch(token=token, patch={"valid": True, "last_updated": "2030-01-01T00:00:00Z"})
    assert _writes(queries) == []
    token.refresh_from_db()
    assert token_to_json(token)["last_updated"] == "2015-06-29T22:39:09Z"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"valid": False}, "last_updated"),
        ({"valid": "no", "last_updated": "2019-06-19T02:11:11Z"}, "valid"),
        ({"issuer": None, "last_updated": "2019-06-19T02:11:11Z"}, "issuer"),
        ({"whitelist": "MAYBE", "last_updated": "2019-06-19T02:11:11Z"}, "whitelist"),
        ({"uid": "other", "last_updated": "2019-06-19T02:11:11Z"}, "uid"),
        ({"type": "APP_USER", "last_updated": "2019-06-19T02:11:11Z"}, "type"),
        ({"party_id": "XXX", "last_updated": "2019-06-19T02:11:11Z"}, "party_id"),
    ],
)
def test_patch_errors_name_the_field(patch, field):
    token, _ = token_put(party=_emsp("NL", "TNM"), data=example("token_put_example.json"))
    with pytest.raises(InvalidParameters) as exc:
        token_patch(token=token, patch=patch)
    assert [e["field"] for e in exc.value.data["errors"]] == [field]
    token.refresh_from_db()
    assert token_to_json(token) == example("token_put_example.json")


def test_patch_may_repeat_the_key_in_any_case():
    token, _ = token_put(party=_emsp("NL", "TNM"), data=example("token_put_example.json"))
    patched = token_patch(
        token=token,
        patch={
            "country_code": "nl",
            "uid": "012345678",
            "valid": False,
            "last_updated": "2019-06-19T02:11:11Z",
        },
    )
    assert patched.valid is False
