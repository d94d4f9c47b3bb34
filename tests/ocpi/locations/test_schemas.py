"""Locations wire schemas (§8.3, §8.4): every spec example round-trips; bad input names the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from ocpi.core.exceptions import InvalidParameters, validation_error
from ocpi.locations import schemas
from tests.conftest import example

LOCATION_EXAMPLES = [
    "location_example.json",
    "location_example_parking_garage_opening_hours.json",
    "location_example_uc2_destination_charger.json",
    "location_example_uc3_destination_charger_not_published.json",
    "location_example_uc4_limited_visibility.json",
    "location_example_uc5_home_charge_point.json",
]
HOURS_EXAMPLES = [
    "location_hours_247_open_exception_closing.json",
    "location_hours_opening_hours_with_exceptional_closing.json",
    "location_hours_opening_hours_with_exceptional_opening.json",
]
ENERGY_MIX_EXAMPLES = [
    "location_energymix_example_complete.json",
    "location_energymix_example_energy_provider.json",
    "location_energymix_example_simple.json",
]


def fields_of(exc: ValidationError) -> set[str]:
    """The field names the 2001 error reports, as a partner will read them."""
    err = validation_error(exc)
    assert isinstance(err, InvalidParameters)
    return {problem["field"] for problem in err.data["errors"]}


def invalid(schema: type[schemas.OcpiModel], data: Any) -> set[str]:
    with pytest.raises(ValidationError) as info:
        schema.model_validate(data)
    return fields_of(info.value)


@pytest.mark.parametrize("name", LOCATION_EXAMPLES)
def test_location_examples_round_trip(name):
    data = example(name)
    assert schemas.Location.model_validate(data).to_json() == data


@pytest.mark.parametrize("name", LOCATION_EXAMPLES)
def test_evse_and_connector_of_examples_round_trip(name):
    for evse in example(name)["evses"]:
        assert schemas.EVSE.model_validate(evse).to_json() == evse
        for connector in evse["connectors"]:
            assert schemas.Connector.model_validate(connector).to_json() == connector


@pytest.mark.parametrize("name", HOURS_EXAMPLES)
def test_hours_examples_round_trip(name):
    data = example(name)
    assert schemas.Hours.model_validate(data).to_json() == data


def test_regular_hours_example_round_trips():
    data = example("location_regularhours_example.json")["opening_times"]
    assert schemas.Hours.model_validate(data).to_json() == data


@pytest.mark.parametrize("name", ENERGY_MIX_EXAMPLES)
def test_energy_mix_examples_round_trip(name):
    data = example(name)["energy_mix"]
    assert schemas.EnergyMix.model_validate(data).to_json() == data


def test_put_add_evse_example_is_not_a_valid_evse():
    """The spec's own "add an EVSE" example breaks §8.3.2/§8.3.3 (connector fields missing,
    physical_reference a number): the spec's tables win, and the error names every offending field."""
    fields = invalid(schemas.EVSE, example("location_put_example_add_evse.json"))
    assert fields == {
        "connectors[0].power_type",
        "connectors[0].max_voltage",
        "connectors[0].max_amperage",
        "connectors[0].last_updated",
        "physical_reference",
    }


def test_datetimes_are_utc_and_fractions_survive():
    data = example("location_example.json")
    data["last_updated"] = "2016-12-29T17:45:09.2"
    assert schemas.Location.model_validate(data).to_json()["last_updated"] == "2016-12-29T17:45:09.2Z"


@pytest.fixture
def location() -> dict[str, Any]:
    return copy.deepcopy(example("location_example.json"))


def test_wrong_type_is_named(location):
    location["evses"][0]["connectors"][1]["max_voltage"] = "220"
    location["publish"] = "true"
    assert invalid(schemas.Location, location) == {"evses[0].connectors[1].max_voltage", "publish"}


def test_unknown_enum_is_named(location):
    location["evses"][1]["status"] = "BROKEN"
    location["parking_type"] = "ROOFTOP"
    location["evses"][0]["capabilities"] = ["RESERVABLE", "TELEPORT"]
    assert invalid(schemas.Location, location) == {
        "evses[1].status",
        "parking_type",
        "evses[0].capabilities[1]",
    }


def test_over_long_strings_are_named(location):
    location["name"] = "x" * 256
    location["id"] = "L" * 37
    location["evses"][0]["floor_level"] = "-1234"
    assert invalid(schemas.Location, location) == {"name", "id", "evses[0].floor_level"}


def test_non_printable_strings_are_refused(location):
    location["address"] = "Line 1\nLine 2"
    assert invalid(schemas.Location, location) == {"address"}


def test_missing_required_fields_are_named(location):
    del location["address"]
    del location["evses"][0]["connectors"][0]["standard"]
    location["evses"][1]["connectors"] = []
    assert invalid(schemas.Location, location) == {
        "address",
        "evses[0].connectors[0].standard",
        "evses[1].connectors",
    }


@pytest.mark.parametrize(
    ("latitude", "longitude", "bad"),
    [
        ("51.0475", "3.729944", {"coordinates.latitude"}),  # fewer than 5 decimals
        ("151.047599", "3.729944", {"coordinates.latitude"}),  # three integer digits
        ("51,047599", "3.729944", {"coordinates.latitude"}),  # decimal comma
        ("51.04759912", "3.729944", {"coordinates.latitude"}),  # over 7 decimals
        ("51.047599", "1234.729944", {"coordinates.longitude"}),
        ("51.047599", "3.7299", {"coordinates.longitude"}),
        (51.047599, "3.729944", {"coordinates.latitude"}),  # a number, not a string
    ],
)
def test_bad_coordinates_are_named(location, latitude, longitude, bad):
    location["coordinates"] = {"latitude": latitude, "longitude": longitude}
    assert invalid(schemas.Location, location) == bad


@pytest.mark.parametrize(
    ("latitude", "longitude"), [("-9.12345", "-179.1234567"), ("-51.1234567", "0.00000")]
)
def test_good_coordinates_pass(location, latitude, longitude):
    location["coordinates"] = {"latitude": latitude, "longitude": longitude}
    assert schemas.Location.model_validate(location).coordinates.latitude == latitude


def test_publish_allowed_to_only_when_unpublished():
    data = example("location_example_uc4_limited_visibility.json")
    data["publish"] = True
    assert invalid(schemas.Location, data) == {"publish_allowed_to"}
    data["publish_allowed_to"] = []
    schemas.Location.model_validate(data)


@pytest.mark.parametrize(
    "token",
    [
        {"type": "RFID"},  # none of uid, visual_number, group_id
        {"uid": "12345678905880"},  # uid without type
        {"visual_number": "12345-67"},  # visual_number without issuer
        {"group_id": "G1", "type": "NFC"},  # unknown TokenType
    ],
)
def test_publish_token_rules(token):
    with pytest.raises(ValidationError):
        schemas.PublishTokenType.model_validate(token)


@pytest.mark.parametrize(
    "token", [{"group_id": "G1"}, {"uid": "U1", "type": "APP_USER"}, {"visual_number": "1", "issuer": "X"}]
)
def test_publish_token_valid(token):
    assert schemas.PublishTokenType.model_validate(token).to_json() == token


@pytest.mark.parametrize(
    ("hours", "bad"),
    [
        ({"twentyfourseven": False}, {"body"}),
        (
            {
                "twentyfourseven": True,
                "regular_hours": [{"weekday": 1, "period_begin": "01:00", "period_end": "02:00"}],
            },
            {"body"},
        ),
        (
            {
                "twentyfourseven": False,
                "regular_hours": [{"weekday": 8, "period_begin": "01:00", "period_end": "02:00"}],
            },
            {"regular_hours[0].weekday"},
        ),
        (
            {
                "twentyfourseven": False,
                "regular_hours": [{"weekday": 1, "period_begin": "18:00", "period_end": "08:00"}],
            },
            {"regular_hours[0].period_end"},
        ),
        (
            {
                "twentyfourseven": False,
                "regular_hours": [{"weekday": 1, "period_begin": "24:00", "period_end": "24:30"}],
            },
            {"regular_hours[0].period_begin", "regular_hours[0].period_end"},
        ),
    ],
)
def test_hours_rules(hours, bad):
    assert invalid(schemas.Hours, hours) == bad


def test_energy_source_percentage_is_0_to_100():
    fields = invalid(
        schemas.EnergyMix,
        {"is_green_energy": True, "energy_sources": [{"source": "SOLAR", "percentage": 101}]},
    )
    assert fields == {"energy_sources[0].percentage"}


def test_unknown_fields_are_ignored(location):
    location["floor"] = -1
    location["evses"][0]["vendor_extension"] = {"x": 1}
    assert schemas.Location.model_validate(location).to_json() == example("location_example.json")
