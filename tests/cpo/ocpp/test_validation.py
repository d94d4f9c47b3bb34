"""Compiled schema validation (`cpo.ocpp.validation`) accepts what the library accepts and refuses with the
library's own errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ocpp
import pytest
from ocpp import messages
from ocpp.exceptions import OCPPError

from cpo.ocpp import validation

METER_VALUES_16 = {
    "connectorId": 1,
    "transactionId": 7,
    "meterValue": [
        {
            "timestamp": "2026-01-01T10:00:00Z",
            "sampledValue": [{"value": "1030", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}],
        }
    ],
}
TRANSACTION_EVENT_201 = {
    "eventType": "Updated",
    "timestamp": "2026-01-01T10:00:00Z",
    "triggerReason": "MeterValuePeriodic",
    "seqNo": 3,
    "transactionInfo": {"transactionId": "TX-1", "chargingState": "Charging"},
    "meterValue": [
        {
            "timestamp": "2026-01-01T10:00:00Z",
            "sampledValue": [{"value": 1030.5, "measurand": "Energy.Active.Import.Register"}],
        }
    ],
}

CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("1.6", "MeterValues", METER_VALUES_16),
    ("1.6", "MeterValues", {**METER_VALUES_16, "connectorId": "1"}),  # type
    ("1.6", "MeterValues", {**METER_VALUES_16, "colour": "red"}),  # additional property
    ("1.6", "MeterValues", {"connectorId": 1}),  # required
    ("1.6", "Authorize", {"idTag": "X" * 21}),  # maxLength
    ("1.6", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"}),  # enum
    ("2.0.1", "TransactionEvent", TRANSACTION_EVENT_201),
    ("2.0.1", "TransactionEvent", {**TRANSACTION_EVENT_201, "seqNo": -1}),  # minimum
    ("2.0.1", "TransactionEvent", {**TRANSACTION_EVENT_201, "eventType": "Paused"}),  # enum
]


def _verdict(
    get_validator: Any, version: str, action: str, payload: dict[str, Any]
) -> tuple[str, str] | None:
    """What `_validate_payload` raises (class and description) with this get_validator, or None."""
    original = messages.get_validator
    messages.get_validator = get_validator
    try:
        messages._validate_payload(messages.Call("1", action, payload), version)
    except OCPPError as error:
        return type(error).__name__, str(error.details)
    finally:
        messages.get_validator = original
    return None


@pytest.mark.parametrize(("version", "action", "payload"), CASES)
def test_same_verdict_as_the_library(version: str, action: str, payload: dict[str, Any]) -> None:
    library = _verdict(validation._library_get_validator, version, action, payload)
    compiled = _verdict(validation._get_validator, version, action, payload)
    assert compiled == library


def test_valid_payloads_never_reach_the_library_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = validation._get_validator(2, "MeterValues", "1.6")
    assert isinstance(compiled, validation.CompiledValidator)

    class Refuse:
        def validate(self, payload: Any) -> None:
            raise AssertionError("the library validator was used")

    monkeypatch.setattr(compiled, "library", Refuse())
    compiled.validate(METER_VALUES_16)  # the compiled check alone
    with pytest.raises(AssertionError, match="library validator was used"):
        compiled.validate({"connectorId": 1})  # refusals are the library's


def test_every_bundled_schema_compiles_or_keeps_the_library_path() -> None:
    root = Path(ocpp.__file__).parent
    compiled = 0
    for version, folder in (("1.6", "v16"), ("2.0.1", "v201")):
        for schema in sorted((root / folder / "schemas").glob("*.json")):
            name = schema.stem
            response = name.endswith("Response")
            action = name.removesuffix("Response").removesuffix("Request")
            validator = validation._get_validator(3 if response else 2, action, version)
            compiled += isinstance(validator, validation.CompiledValidator)
    assert compiled > 150  # 1.6 and 2.0.1 requests and responses
