"""The ocpp library's payload key conversion, memoized: same keys, a fraction of the time.

For every request the library renames each key of the payload from camelCase to snake_case, and each
key of the answer back (`ocpp.charge_point.camel_to_snake_case` / `snake_to_camel_case`), with two
regular expressions or a dozen replaces per key, again and again for the same few hundred keys: a
MeterValues with six sampled values spent more time there than in its schema check. Here each key is
converted once by the library's own function and remembered, so the result is the library's by
construction.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ocpp import charge_point

_library_to_snake = charge_point.camel_to_snake_case
_library_to_camel = charge_point.snake_to_camel_case
_KEYS = 4096
"""Keys remembered per direction: every key of both OCPP versions' schemas, with room for the free-form
keys some payloads may carry (2.0.1 customData), which are still converted, only not all remembered."""


@lru_cache(maxsize=_KEYS)
def _snake_key(key: str) -> str:
    return next(iter(_library_to_snake({key: None})))


@lru_cache(maxsize=_KEYS)
def _camel_key(key: str) -> str:
    return next(iter(_library_to_camel({key: None})))


def _rename(data: Any, rename: Callable[[str], str]) -> Any:
    if isinstance(data, dict):
        return {rename(key): _rename(value, rename) for key, value in data.items()}
    if isinstance(data, list):
        return [_rename(value, rename) for value in data]
    return data


def camel_to_snake_case(data: Any) -> Any:
    return _rename(data, _snake_key)


def snake_to_camel_case(data: Any) -> Any:
    return _rename(data, _camel_key)


def install() -> None:
    """Make the library convert keys through the memo (idempotent; process-wide)."""
    charge_point.camel_to_snake_case = camel_to_snake_case
    charge_point.snake_to_camel_case = snake_to_camel_case
