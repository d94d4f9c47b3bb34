"""CPO CDRs Sender (§10.2.1): the list, filtered by last_updated; each eMSP sees only its tokens' CDRs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi.cdrs.schemas import CDR
from ocpi.cdrs.selectors import cdrs_visible_to
from ocpi.cdrs.services import cdrs_to_json
from ocpi.core.openapi import envelope_of
from ocpi.core.pagination import paginated_response
from ocpi.core.views import OcpiView

CDRS_PAGE_LIMIT = 100


class CdrListView(OcpiView):
    ocpi_module, ocpi_role = "cdrs", "CPO"

    @extend_schema(responses=envelope_of(CDR, many=True), tags=["cdrs"])
    def get(self, request: Request) -> Response:
        qs = cdrs_visible_to(caller_parties=self.caller(request).parties)
        return paginated_response(request, qs, max_limit=CDRS_PAGE_LIMIT, render=cdrs_to_json)
