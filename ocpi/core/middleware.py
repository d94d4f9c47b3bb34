"""Request ids (§4.3 Unique message IDs), logging context and metrics for every request.

X-Request-ID / X-Correlation-ID are read (header names are case-insensitive), generated when absent,
echoed on the response and bound to the logging context and to every outgoing OCPI call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from ocpi.core import context
from ocpi.core.envelope import envelope
from ocpi.core.metrics import REQUEST_SECONDS, REQUESTS
from ocpi.core.status import OcpiStatus

logger = logging.getLogger("ocpi.request")

MAX_ID_LENGTH = 255


def _clean_id(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if not value or len(value) > MAX_ID_LENGTH or not value.isprintable():
        return None
    return value


def module_of(path: str) -> str:
    """OCPI module of a path: /ocpi/2.2.1/<role>/<module>/... or /ocpi/2.2.1/credentials."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] != "ocpi":
        return parts[0] if parts else "-"
    if len(parts) == 1 or parts[1] == "versions":
        return "versions"
    if len(parts) == 2:
        return "versions"
    if parts[2] in ("cpo", "emsp", "hub") and len(parts) > 3:
        return parts[3]
    return parts[2]


class OcpiRequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _clean_id(request.headers.get("X-Request-ID")) or context.new_id()
        correlation_id = _clean_id(request.headers.get("X-Correlation-ID")) or context.new_id()
        module = module_of(request.path)
        started = time.perf_counter()
        with context.bind(request_id=request_id, correlation_id=correlation_id, module=module, partner=None):
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            response["X-Request-ID"] = request_id
            response["X-Correlation-ID"] = correlation_id
            ocpi_status = getattr(response, "data", None)
            code = ocpi_status.get("status_code", "-") if isinstance(ocpi_status, dict) else "-"
            REQUESTS.labels(
                module=module,
                method=request.method or "-",
                http_status=str(response.status_code),
                ocpi_status=str(code),
            ).inc()
            REQUEST_SECONDS.labels(module=module, method=request.method or "-").observe(elapsed)
            if module != "metrics":
                logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "http_status": response.status_code,
                        "ocpi_status": code,
                        "ms": round(elapsed * 1000, 1),
                    },
                )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Anything that escaped a view outside DRF still answers the envelope, never an HTML 500.

        Django's own 4xx exceptions (404, 403, 400) keep their status: Django turns them into responses.
        """
        if isinstance(exception, Http404 | PermissionDenied | SuspiciousOperation | BadRequest):
            return None
        logger.exception("unhandled error", exc_info=exception)
        return JsonResponse(
            envelope(status_code=OcpiStatus.SERVER_ERROR, message="Internal server error"), status=500
        )
