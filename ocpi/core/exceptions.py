"""OCPI errors: one exception per error class, and the one handler that turns any error into the envelope.

HTTP status policy (§5 Status codes): a request with valid JSON that reached the OCPI layer answers
HTTP 200 with a 2xxx/3xxx status code; malformed JSON answers 400; unknown objects 404; missing or
unknown credentials 401; an unsupported method 405; an unexpected crash 500 with 3000. See
docs/decisions.md.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from pydantic import ValidationError
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

from ocpi.core import context
from ocpi.core.envelope import ocpi_response
from ocpi.core.metrics import ERRORS
from ocpi.core.status import OcpiStatus

logger = logging.getLogger("ocpi.errors")


class OcpiError(Exception):
    """Base of every OCPI error; carries its status code, HTTP status and a message for the partner."""

    status_code: OcpiStatus = OcpiStatus.SERVER_ERROR
    http_status: int = 200
    default_message = "Generic server error"

    def __init__(
        self, message: str | None = None, *, data: Any = None, http_status: int | None = None
    ) -> None:
        self.message = message or self.default_message
        self.data = data
        if http_status is not None:
            self.http_status = http_status
        super().__init__(self.message)


class ClientError(OcpiError):
    status_code = OcpiStatus.CLIENT_ERROR
    default_message = "Generic client error"


class MalformedRequest(ClientError):
    """The body is not valid JSON (§5: HTTP 400 Bad Request)."""

    http_status = 400
    default_message = "Request body is not valid JSON"


class InvalidParameters(ClientError):
    status_code = OcpiStatus.INVALID_PARAMETERS
    default_message = "Invalid or missing parameters"


class NotEnoughInformation(ClientError):
    status_code = OcpiStatus.NOT_ENOUGH_INFORMATION
    default_message = "Not enough information"


class UnknownObject(ClientError):
    """2003 'Unknown Location', used for any unknown object, with HTTP 404 (§5)."""

    status_code = OcpiStatus.UNKNOWN_LOCATION
    http_status = 404
    default_message = "Unknown object"


class UnknownToken(ClientError):
    status_code = OcpiStatus.UNKNOWN_TOKEN
    http_status = 404
    default_message = "Unknown token"


class Unauthorized(ClientError):
    """Missing or unknown credentials token (§4.1.3: HTTP 401)."""

    http_status = 401
    default_message = "Unauthorized: missing or unknown credentials token"


class MethodNotAllowed(ClientError):
    http_status = 405
    default_message = "Method not allowed"


class ServerError(OcpiError):
    http_status = 500


class UnableToUseClientApi(OcpiError):
    status_code = OcpiStatus.UNABLE_TO_USE_CLIENT_API
    default_message = "Unable to use the client's API"


class UnsupportedVersion(OcpiError):
    status_code = OcpiStatus.UNSUPPORTED_VERSION
    default_message = "Unsupported version"


class NoMatchingEndpoints(OcpiError):
    status_code = OcpiStatus.NO_MATCHING_ENDPOINTS
    default_message = "No matching endpoints or expected endpoints missing"


class HubError(OcpiError):
    status_code = OcpiStatus.HUB_ERROR
    default_message = "Hub error"


class UnknownReceiver(HubError):
    status_code = OcpiStatus.UNKNOWN_RECEIVER
    default_message = "Unknown receiver"


class ForwardTimeout(HubError):
    status_code = OcpiStatus.FORWARD_TIMEOUT
    default_message = "Timeout on forwarded request"


class ConnectionProblem(HubError):
    status_code = OcpiStatus.CONNECTION_PROBLEM
    default_message = "Connection problem: receiving party is not connected"


def _field_path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    parts = [prefix] if prefix else []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "body"


def validation_error(exc: ValidationError, *, prefix: str = "") -> InvalidParameters:
    """A pydantic error as 2001, naming every offending field (`evses[0].uid: ...`)."""
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        field = _field_path(tuple(err["loc"]), prefix)
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "missing required field"
        problems.append({"field": field, "message": msg})
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
    if len(problems) > 5:
        summary += f"; and {len(problems) - 5} more"
    return InvalidParameters(f"Invalid or missing parameters: {summary}", data={"errors": problems})


def to_ocpi_error(exc: Exception) -> OcpiError:
    """Map any exception raised while serving a request onto its OCPI error."""
    if isinstance(exc, OcpiError):
        return exc
    if isinstance(exc, ValidationError):
        return validation_error(exc)
    if isinstance(exc, drf_exceptions.ParseError):
        return MalformedRequest(str(exc.detail))
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        return MalformedRequest(str(exc.detail), http_status=415)
    if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
        return Unauthorized(str(exc.detail))
    if isinstance(exc, drf_exceptions.PermissionDenied | PermissionDenied):
        detail = getattr(exc, "detail", None) or str(exc) or None
        return Unauthorized(str(detail) if detail else None)
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        return MethodNotAllowed(str(exc.detail))
    if isinstance(exc, drf_exceptions.NotFound | Http404):
        return UnknownObject("Not found")
    if isinstance(exc, drf_exceptions.ValidationError):
        return InvalidParameters(f"Invalid or missing parameters: {exc.detail}")
    if isinstance(exc, drf_exceptions.Throttled):
        return ClientError("Too many requests", http_status=429)
    return ServerError("Internal server error")


def error_response(exc: Exception) -> Response:
    err = to_ocpi_error(exc)
    ctx = context.current()
    ERRORS.labels(module=ctx.module or "-", ocpi_status=str(int(err.status_code))).inc()
    if isinstance(err, ServerError) and err is not exc:
        logger.exception("unhandled error while serving request", exc_info=exc)
    else:
        logger.info("ocpi error %s: %s", int(err.status_code), err.message)
    response = ocpi_response(
        err.data, status_code=err.status_code, message=err.message, http_status=err.http_status
    )
    if err.http_status == 401:
        response["WWW-Authenticate"] = "Token"
    return response


def ocpi_exception_handler(exc: Exception, ctx: dict[str, Any]) -> Response:
    """DRF EXCEPTION_HANDLER: every error becomes the envelope, never an HTML page."""
    return error_response(exc)
