"""Generic PATCH validation (ocpi.core.patch): each present field checked like on PUT, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

import pytest
from pydantic import Field

from ocpi.core.exceptions import InvalidParameters
from ocpi.core.patch import check_path_ids, validate_patch
from ocpi.core.types import DateTime, DisplayText, Int, Number, OcpiModel, String5
from ocpi.locations import schemas
from ocpi.versions.schemas import InterfaceRole
from tests.conftest import example

LAST_UPDATED = "2019-06-24T12:39:09Z"


class Thing(OcpiModel):
    name: String5
    role: InterfaceRole
    amount: Number | None = None
    texts: Annotated[list[DisplayText], Field(min_length=1)]
    count: Int | None = None
    last_updated: DateTime


class Undated(OcpiModel):
    name: String5


def errors(model, data, **kwargs) -> dict[str, str]:
    with pytest.raises(InvalidParameters) as info:
        validate_patch(model, data, **kwargs)
    assert info.value.status_code == 2001
    return {p["field"]: p["message"] for p in info.value.data["errors"]}


def test_returns_validated_python_values_of_present_fields_only():
    patch = validate_patch(
        Thing,
        {
            "role": "SENDER",
            "amount": Decimal("1.25"),
            "texts": [{"language": "en", "text": "hi"}],
            "last_updated": LAST_UPDATED,
        },
    )
    assert patch == {
        "role": InterfaceRole.SENDER,
        "amount": Decimal("1.25"),
        "texts": [DisplayText(language="en", text="hi")],
        "last_updated": datetime(2019, 6, 24, 12, 39, 9, tzinfo=UTC),
    }
    assert isinstance(patch["role"], InterfaceRole)


def test_unknown_fields_are_ignored():
    assert validate_patch(Thing, {"vendor_x": 1, "last_updated": LAST_UPDATED}) == {
        "last_updated": datetime(2019, 6, 24, 12, 39, 9, tzinfo=UTC)
    }


@pytest.mark.parametrize("body", [[], "name", 1, None, [{"name": "x"}]])
def test_body_must_be_an_object(body):
    assert errors(Thing, body) == {"body": "Input should be a valid dictionary"}


def test_last_updated_is_required_unless_told_otherwise():
    assert errors(Thing, {"name": "abc"}) == {"last_updated": "missing required field"}
    assert validate_patch(Thing, {"name": "abc"}, require_last_updated=False) == {"name": "abc"}
    assert validate_patch(Undated, {"name": "abc"}) == {"name": "abc"}


def test_other_required_fields_may_be_absent():
    assert validate_patch(Thing, {"last_updated": LAST_UPDATED}).keys() == {"last_updated"}


def test_every_bad_field_is_named():
    found = errors(
        Thing,
        {
            "name": "toolong",
            "role": "BOTH",
            "amount": "1.25",
            "count": 2.0,
            "texts": [],
            "last_updated": "yesterday",
        },
    )
    assert set(found) == {"name", "role", "amount", "count", "texts", "last_updated"}


def test_nested_errors_carry_their_path():
    found = errors(
        Thing,
        {"texts": [{"language": "en", "text": "ok"}, {"language": "english"}], "last_updated": LAST_UPDATED},
    )
    assert set(found) == {"texts[1].language", "texts[1].text"}


def test_null_on_a_required_field_is_an_error_on_an_optional_one_it_clears():
    assert errors(Thing, {"name": None, "last_updated": LAST_UPDATED}) == {
        "name": "required field cannot be null"
    }
    assert errors(Thing, {"last_updated": None}) == {"last_updated": "required field cannot be null"}
    assert validate_patch(Thing, {"amount": None, "last_updated": LAST_UPDATED})["amount"] is None


@pytest.mark.parametrize(
    ("model", "name", "expected"),
    [
        (schemas.Location, "location_patch_example_location.json", {"name": "Interparking Gent Zuid"}),
        (schemas.EVSE, "location_patch_example_status.json", {"status": schemas.Status.CHARGING}),
        (schemas.EVSE, "location_patch_example_remove_evse.json", {"status": schemas.Status.REMOVED}),
        (schemas.Connector, "location_patch_example_tariff.json", {"tariff_ids": ["15"]}),
    ],
)
def test_spec_patch_examples(model, name, expected):
    patch = validate_patch(model, example(name))
    assert patch == {**expected, "last_updated": datetime(2019, 6, 24, 12, 39, 9, tzinfo=UTC)}


def test_nested_objects_are_validated_fully_including_their_own_rules():
    found = errors(
        schemas.Location,
        {
            "coordinates": {"latitude": "51.0", "longitude": "3.729944"},
            "publish_allowed_to": [{"uid": "123"}],
            "evses": [{"uid": "1", "status": "AVAILABLE", "connectors": [], "last_updated": LAST_UPDATED}],
            "last_updated": LAST_UPDATED,
        },
    )
    assert set(found) == {"coordinates.latitude", "publish_allowed_to[0]", "evses[0].connectors"}


def test_check_path_ids():
    check_path_ids(
        path={"country_code": "NL", "id": "LOC1"}, body={"country_code": "nl", "id": "loc1", "x": 1}
    )
    check_path_ids(path={"id": "LOC1"}, body={})
    with pytest.raises(InvalidParameters, match="country_code"):
        check_path_ids(path={"country_code": "NL"}, body={"country_code": "BE"})
    with pytest.raises(InvalidParameters, match="id"):
        check_path_ids(path={"id": "1"}, body={"id": 1})
