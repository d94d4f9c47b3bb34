"""Plain Django views outside DRF: /metrics, and the JSON envelope for 404/500 anywhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from ocpi.core.envelope import envelope
from ocpi.core.metrics import exposition
from ocpi.core.status import OcpiStatus


def metrics_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return JsonResponse(
        envelope(status_code=OcpiStatus.CLIENT_ERROR, message=f"No such URL: {request.path}"), status=404
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        envelope(status_code=OcpiStatus.SERVER_ERROR, message="Internal server error"), status=500
    )
