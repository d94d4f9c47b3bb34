"""CPO Tariffs Sender (§11.2.1): the list of our tariffs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi.core.openapi import envelope_of
from ocpi.core.pagination import paginated_response
from ocpi.core.views import OcpiView
from ocpi.tariffs.models import Tariff as TariffRow
from ocpi.tariffs.schemas import Tariff
from ocpi.tariffs.selectors import tariffs_of_own_parties
from ocpi.tariffs.services import tariff_to_json

TARIFFS_PAGE_LIMIT = 100


def _render(tariffs: Sequence[TariffRow]) -> list[dict[str, Any]]:
    return [tariff_to_json(t) for t in tariffs]


class TariffListView(OcpiView):
    ocpi_module, ocpi_role = "tariffs", "CPO"

    @extend_schema(responses=envelope_of(Tariff, many=True), tags=["tariffs"])
    def get(self, request: Request) -> Response:
        return paginated_response(
            request, tariffs_of_own_parties(), max_limit=TARIFFS_PAGE_LIMIT, render=_render
        )
