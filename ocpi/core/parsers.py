"""JSON request parsing that keeps numbers exact (Decimal) and reports malformed JSON as such."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import IO, Any

from rest_framework.parsers import BaseParser

from ocpi.core.exceptions import MalformedRequest


def loads(raw: bytes | str) -> Any:
    """Parse JSON with floats as Decimal, so money and energy never pass through binary floating point."""
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequest(f"Request body is not valid JSON: {exc}") from None


class OcpiJSONParser(BaseParser):
    """application/json (§4.1.4 requires it on bodies)."""

    media_type = "application/json"

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        raw = stream.read()
        if not raw:
            return None
        return loads(raw)


class LenientJSONParser(OcpiJSONParser):
    """Bodies sent without (or with a wrong) Content-Type are still read as JSON: partners forget it."""

    media_type = "*/*"
