"""Sessions wire schemas (§9.3, §9.4, and the §10.4 classes a Session uses)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from ocpi.core.exceptions import validation_error
from ocpi.sessions.schemas import (
    CdrDimension,
    CdrDimensionType,
    ChargingPreferences,
    ChargingPreferencesResponse,
    ProfileType,
    Session,
    SessionStatus,
)
from tests.conftest import example

SESSION_EXAMPLES = ["session_example_1_simple_start.json", "session_example_2_short_finished.json"]


def _fields(exc: ValidationError) -> list[str]:
    return [problem["field"] for problem in validation_error(exc).data["errors"]]


@pytest.mark.parametrize("name", SESSION_EXAMPLES)
def test_session_example_round_trips(name):
    data = example(name)
    assert Session.model_validate(data).to_json() == data


def test_session_numbers_are_exact_decimals():
    session = Session.model_validate(example("session_example_2_short_finished.json"))
    assert session.kwh == Decimal("41.12")
    assert session.total_cost is not None
    assert session.total_cost.incl_vat == Decimal("9.35")
    assert session.status is SessionStatus.COMPLETED
    assert session.charging_periods is not None
    assert session.charging_periods[2].tariff_id == "12"
    assert session.charging_periods[2].dimensions[0].type is CdrDimensionType.PARKING_TIME


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("status", "CHARGING", "status"),
        ("auth_method", "APP", "auth_method"),
        ("id", "s" * 37, "id"),
        ("location_id", "l" * 37, "location_id"),
        ("currency", "EURO", "currency"),
        ("meter_id", "m" * 256, "meter_id"),
        ("kwh", "41.12", "kwh"),
        ("start_date_time", "2015-06-29 22:39", "start_date_time"),
        (
            "cdr_token",
            {"country_code": "NL", "party_id": "TST", "uid": "1", "type": "CARD", "contract_id": "c"},
            "cdr_token.type",
        ),
        (
            "charging_periods",
            [{"start_date_time": "2015-06-29T22:39:09Z", "dimensions": []}],
            "charging_periods[0].dimensions",
        ),
        (
            "charging_periods",
            [{"start_date_time": "2015-06-29T22:39:09Z", "dimensions": [{"type": "VOLTAGE", "volume": 230}]}],
            "charging_periods[0].dimensions[0].type",
        ),
        ("total_cost", {"incl_vat": 1}, "total_cost.excl_vat"),
    ],
)
def test_session_rejects_bad_field_and_names_it(field, value, path):
    data = {**example("session_example_2_short_finished.json"), field: value}
    with pytest.raises(ValidationError) as exc:
        Session.model_validate(data)
    assert _fields(exc.value) == [path]


@pytest.mark.parametrize(
    "field",
    [
        "start_date_time",
        "kwh",
        "cdr_token",
        "auth_method",
        "location_id",
        "evse_uid",
        "connector_id",
        "currency",
        "status",
        "last_updated",
    ],
)
def test_session_requires_mandatory_field(field):
    data = example("session_example_1_simple_start.json")
    del data[field]
    with pytest.raises(ValidationError) as exc:
        Session.model_validate(data)
    assert _fields(exc.value) == [field]


@pytest.mark.parametrize(
    ("volume", "ok"), [(0, True), (100, True), (55.5, True), (-1, False), (100.1, False)]
)
def test_state_of_charge_is_a_percentage(volume, ok):
    data = {"type": "STATE_OF_CHARGE", "volume": volume}
    if ok:
        assert CdrDimension.model_validate(data).to_json() == data
    else:
        with pytest.raises(ValidationError) as exc:
            CdrDimension.model_validate(data)
        assert _fields(exc.value) == ["volume"]


def test_negative_volumes_are_allowed_for_other_dimensions():
    data = {"type": "MIN_POWER", "volume": -3.5}
    assert CdrDimension.model_validate(data).to_json() == data


def test_charging_preferences_round_trip():
    data = {
        "profile_type": "FAST",
        "departure_time": "2019-06-23T18:00:00Z",
        "energy_need": 42.5,
        "discharge_allowed": False,
    }
    prefs = ChargingPreferences.model_validate(data)
    assert prefs.profile_type is ProfileType.FAST
    assert prefs.to_json() == data
    assert ChargingPreferences.model_validate({"profile_type": "CHEAP"}).to_json() == {
        "profile_type": "CHEAP"
    }


def test_charging_preferences_rejects_unknown_profile_type():
    with pytest.raises(ValidationError) as exc:
        ChargingPreferences.model_validate({"profile_type": "SLOW"})
    assert _fields(exc.value) == ["profile_type"]


def test_charging_preferences_response_values():
    assert {member.value for member in ChargingPreferencesResponse} == {
        "ACCEPTED",
        "DEPARTURE_REQUIRED",
        "ENERGY_NEED_REQUIRED",
        "NOT_POSSIBLE",
        "PROFILE_TYPE_NOT_SUPPORTED",
    }
