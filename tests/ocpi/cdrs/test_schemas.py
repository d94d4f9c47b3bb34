"""CDR wire schemas (§10.3.1, §10.4): the spec example round-trips, the prose rules name their field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from ocpi.cdrs.schemas import CDR, CdrLocation, SignedData
from ocpi.core.exceptions import validation_error
from tests.conftest import example


def _fields(exc: ValidationError) -> list[str]:
    return [problem["field"] for problem in validation_error(exc).data["errors"]]


def _full() -> dict:
    """The spec example with every optional field of §10.3.1 set."""
    return {
        **example("cdr_example.json"),
        "session_id": "101",
        "authorization_reference": "auth-1",
        "meter_id": "M-1",
        "signed_data": {
            "encoding_method": "OCMF",
            "encoding_method_version": 1,
            "public_key": "MIIB",
            "signed_values": [{"nature": "Start", "plain_data": "OCMF|{}", "signed_data": "c2lnbmVk"}],
            "url": "https://check.example.com/abc",
        },
        "total_fixed_cost": {"excl_vat": 0.5, "incl_vat": 0.55},
        "total_energy_cost": {"excl_vat": 0},
        "total_parking_time": 0.25,
        "total_parking_cost": {"excl_vat": 1, "incl_vat": 1.1},
        "total_reservation_cost": {"excl_vat": 0},
        "remark": "EV full",
        "invoice_reference_id": "INV-2015-06",
        "credit": False,
        "home_charging_compensation": False,
    }


def test_cdr_example_round_trips():
    data = example("cdr_example.json")
    cdr = CDR.model_validate(data)
    assert cdr.to_json() == data
    assert cdr.total_energy == Decimal("15.342")
    assert cdr.tariffs is not None
    assert cdr.tariffs[0].id == "12"


def test_cdr_with_every_field_round_trips():
    data = _full()
    assert CDR.model_validate(data).to_json() == data


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("id", "c" * 40, "id"),
        ("id", "c" * 37, "id"),
        ("end_date_time", None, "end_date_time"),
        ("auth_method", "PIN", "auth_method"),
        ("total_cost", None, "total_cost"),
        ("total_energy", "15", "total_energy"),
        ("charging_periods", [], "charging_periods"),
        ("remark", "r" * 256, "remark"),
        ("invoice_reference_id", "i" * 40, "invoice_reference_id"),
        ("credit", "yes", "credit"),
        (
            "cdr_location",
            {**example("cdr_example.json")["cdr_location"], "connector_standard": "TESLA"},
            "cdr_location.connector_standard",
        ),
        (
            "cdr_location",
            {
                **example("cdr_example.json")["cdr_location"],
                "coordinates": {"latitude": "3.7", "longitude": "51.047599"},
            },
            "cdr_location.coordinates.latitude",
        ),
        ("tariffs", [{**example("cdr_example.json")["tariffs"][0], "elements": []}], "tariffs[0].elements"),
        ("signed_data", {"encoding_method": "OCMF", "signed_values": []}, "signed_data.signed_values"),
    ],
)
def test_cdr_rejects_bad_field_and_names_it(field, value, path):
    data = {**example("cdr_example.json"), field: value}
    with pytest.raises(ValidationError) as exc:
        CDR.model_validate(data)
    assert _fields(exc.value) == [path]


@pytest.mark.parametrize(
    "field",
    [
        "country_code",
        "party_id",
        "id",
        "start_date_time",
        "end_date_time",
        "cdr_token",
        "auth_method",
        "cdr_location",
        "currency",
        "charging_periods",
        "total_cost",
        "total_energy",
        "total_time",
        "last_updated",
    ],
)
def test_cdr_requires_mandatory_field(field):
    data = example("cdr_example.json")
    del data[field]
    with pytest.raises(ValidationError) as exc:
        CDR.model_validate(data)
    assert _fields(exc.value) == [field]


def test_credit_cdr_needs_its_reference_and_may_have_a_longer_id():
    data = {**example("cdr_example.json"), "id": "c" * 36 + "-CR", "credit": True}
    with pytest.raises(ValidationError) as exc:
        CDR.model_validate(data)
    assert _fields(exc.value) == ["credit_reference_id"]
    credit = {**data, "credit_reference_id": "c" * 36, "total_cost": {"excl_vat": -4.0, "incl_vat": -4.4}}
    assert CDR.model_validate(credit).to_json() == credit


@pytest.mark.parametrize(
    "dimension", ["CURRENT", "ENERGY_EXPORT", "ENERGY_IMPORT", "POWER", "STATE_OF_CHARGE"]
)
def test_session_only_dimensions_are_refused_in_a_cdr(dimension):
    data = example("cdr_example.json")
    data["charging_periods"].append(
        {
            "start_date_time": "2015-06-29T22:00:00Z",
            "dimensions": [{"type": "ENERGY", "volume": 1}, {"type": dimension, "volume": 50}],
        }
    )
    with pytest.raises(ValidationError) as exc:
        CDR.model_validate(data)
    assert _fields(exc.value) == ["charging_periods[1].dimensions[1].type"]


@pytest.mark.parametrize(
    "dimension",
    [
        "ENERGY",
        "MAX_CURRENT",
        "MIN_CURRENT",
        "MAX_POWER",
        "MIN_POWER",
        "PARKING_TIME",
        "RESERVATION_TIME",
        "TIME",
    ],
)
def test_cdr_dimensions_are_accepted(dimension):
    data = example("cdr_example.json")
    data["charging_periods"][0]["dimensions"] = [{"type": dimension, "volume": 2}]
    assert CDR.model_validate(data).to_json() == data


def test_cdr_location_and_signed_data_alone():
    location = example("cdr_example.json")["cdr_location"]
    assert CdrLocation.model_validate(location).to_json() == location
    with pytest.raises(ValidationError) as exc:
        SignedData.model_validate(
            {
                "encoding_method": "OCMF",
                "encoding_method_version": "1",
                "signed_values": [{"nature": "Start", "plain_data": "p", "signed_data": "s"}],
            }
        )
    assert _fields(exc.value) == ["encoding_method_version"]
