"""URLs of small functional-module views used to test the kernel (envelope, auth, paging, errors)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi.core.envelope import ocpi_response
from ocpi.core.exceptions import UnknownObject
from ocpi.core.pagination import paginated_response
from ocpi.core.types import DateTime, Number, OcpiModel, String5
from ocpi.core.views import OcpiView
from ocpi.models import Party
from ocpi.versions.schemas import InterfaceRole


class Thing(OcpiModel):
    name: String5
    role: InterfaceRole
    amount: Number
    last_updated: DateTime


def render(parties: Sequence[Party]) -> list[dict[str, Any]]:
    return [{"id": p.pk, "party_id": p.party_id} for p in parties]


class PartyListView(OcpiView):
    ocpi_module = "things"

    def get(self, request: Request) -> Response:
        qs = Party.objects.order_by("updated_at", "pk")
        return paginated_response(request, qs, max_limit=50, render=render, date_field="updated_at")


class UnorderedListView(OcpiView):
    ocpi_module = "things"

    def get(self, request: Request) -> Response:
        return paginated_response(request, Party.objects.all().order_by(), max_limit=50, render=render)


class ThingView(OcpiView):
    ocpi_module = "things"

    def get(self, request: Request, thing_id: str) -> Response:
        raise UnknownObject(f"Unknown thing {thing_id}")

    def put(self, request: Request, thing_id: str) -> Response:
        thing = Thing.model_validate(request.data)
        return ocpi_response(thing.to_json(), http_status=201)


class CrashView(OcpiView):
    ocpi_module = "things"

    def get(self, request: Request) -> Response:
        raise RuntimeError("boom")


urlpatterns = [
    path("test/things", PartyListView.as_view()),
    path("test/unordered", UnorderedListView.as_view()),
    path("test/things/<str:thing_id>", ThingView.as_view()),
    path("test/crash", CrashView.as_view()),
    path("", include("config.urls")),
]

handler404 = "config.urls.not_found"
handler500 = "config.urls.server_error"
