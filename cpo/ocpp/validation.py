"""The ocpp library's schema validation, compiled: same schemas, same errors, a fraction of the time.

The library validates every request and every answer with jsonschema's Draft4Validator (`ocpp.messages.
_validate_payload`), which interprets the schema anew for every message: with a few thousand chargers
this was the largest single cost of the event loop. Here each schema the library loads is also compiled
with fastjsonschema. A payload the compiled check accepts is valid; one it refuses is checked again by
the library's own validator, so every refusal carries exactly the library's error (and its OCPP error
code), and a payload the two would judge differently is judged by the library. `format` is not checked,
as the library does not check it either.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import fastjsonschema
from ocpp import messages

logger = logging.getLogger("cpo.ocpp")

_IGNORED_FORMATS: dict[str, Callable[[str], bool]] = {
    name: lambda _value: True for name in ("date-time", "uri", "uri-reference", "email", "hostname", "ipv4")
}


class CompiledValidator:
    """A stand-in for the library's Draft4Validator: `validate` raises only what the library raises."""

    def __init__(self, library: Any, check: Callable[[Any], Any]) -> None:
        self.library = library
        self.check = check

    def validate(self, payload: Any) -> None:
        try:
            self.check(payload)
        except fastjsonschema.JsonSchemaException:
            self.library.validate(payload)  # the library's verdict and error


_compiled: dict[int, Any] = {}


def _compiled_validator(library: Any) -> Any:
    """The compiled stand-in for a library validator, made once; the library's own when the schema does
    not compile (e.g. the schemas it loads with Decimal numbers)."""
    key = id(library)
    if key not in _compiled:
        try:
            check = fastjsonschema.compile(library.schema, formats=_IGNORED_FORMATS)
        except Exception:  # any schema the compiler cannot take keeps the library's path
            logger.info("schema %s not compiled: the library validates it", library.schema.get("$id", ""))
            _compiled[key] = library
        else:
            _compiled[key] = CompiledValidator(library, check)
    return _compiled[key]


_library_get_validator = messages.get_validator


def _get_validator(
    message_type_id: int, action: str, ocpp_version: str, parse_float: Callable[[str], Any] = float
) -> Any:
    library = _library_get_validator(message_type_id, action, ocpp_version, parse_float)
    if parse_float is not float:  # the three 1.6 schemas checked with Decimal numbers: the library's way
        return library
    return _compiled_validator(library)


def install() -> None:
    """Make the library validate with the compiled schemas (idempotent; process-wide)."""
    messages.get_validator = _get_validator
