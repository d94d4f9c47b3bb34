"""Memoized key conversion (`cpo.ocpp.casing`) gives exactly the library's keys, both ways."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ocpp
from ocpp import charge_point

from cpo.ocpp import casing

SCHEMAS = sorted(Path(ocpp.__file__).parent.glob("v*/schemas/*.json"))


def _keys(node: Any) -> set[str]:
    """Every property name a schema defines, at any depth."""
    found: set[str] = set()
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "properties" and isinstance(value, dict):
                found.update(value)
            found |= _keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= _keys(value)
    return found


def test_every_schema_key_converts_as_the_library_converts_it() -> None:
    keys = set().union(*(_keys(json.loads(path.read_text())) for path in SCHEMAS))
    assert len(SCHEMAS) > 100  # both versions' schemas were read
    assert len(keys) > 300
    for key in sorted(keys):
        snake = casing.camel_to_snake_case({key: 1})
        assert snake == casing._library_to_snake({key: 1}), key
        assert casing.snake_to_camel_case(snake) == casing._library_to_camel(snake), key


def test_nested_payloads_convert_as_the_library_converts_them() -> None:
    payload = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": "2026-01-01T10:00:00Z",
                "sampledValue": [{"value": "1030", "measurand": "SoC", "unit": "Percent"}, "text", 5],
            }
        ],
        "customData": {"vendorId": "X", "someFreeFormKey": {"deepV2XValue": [1, {"aB": None}]}},
    }
    snake = casing.camel_to_snake_case(payload)
    assert snake == casing._library_to_snake(payload)
    assert snake["meter_value"][0]["sampled_value"][0]["measurand"] == "SoC"  # values are left alone
    answer = {"id_tag_info": {"status": "Accepted", "parent_id_tag": "P"}, "transaction_id": 7, "soc": 3}
    assert casing.snake_to_camel_case(answer) == casing._library_to_camel(answer)
    assert casing.snake_to_camel_case(answer)["idTagInfo"] == {"status": "Accepted", "parentIdTag": "P"}


def test_install_makes_the_library_convert_through_the_memo() -> None:
    casing.install()
    assert charge_point.camel_to_snake_case is casing.camel_to_snake_case
    assert charge_point.snake_to_camel_case is casing.snake_to_camel_case
