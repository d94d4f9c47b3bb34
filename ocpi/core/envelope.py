"""The OCPI response envelope (§4.1.7 Response format): {data, status_code, status_message, timestamp}."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rest_framework.response import Response

from ocpi.core.status import OcpiStatus
from ocpi.core.types import format_datetime


def now_timestamp() -> str:
    return format_datetime(datetime.now(UTC).replace(microsecond=0))


def envelope(
    data: Any = None, *, status_code: int = OcpiStatus.SUCCESS, message: str | None = None
) -> dict[str, Any]:
    """Build the envelope; `data` is left out when there is none, as §4.1.7 advises."""
    body: dict[str, Any] = {}
    if data is not None:
        body["data"] = data
    body["status_code"] = int(status_code)
    if message:
        body["status_message"] = message
    body["timestamp"] = now_timestamp()
    return body


def ocpi_response(
    data: Any = None,
    *,
    status_code: int = OcpiStatus.SUCCESS,
    message: str | None = None,
    http_status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        envelope(data, status_code=status_code, message=message),
        status=http_status,
        headers=dict(headers or {}),
        content_type="application/json",
    )
