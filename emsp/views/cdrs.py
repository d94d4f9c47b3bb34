"""eMSP CDRs Receiver (§10.2.2): POST a CDR (answering its URL in `Location`), GET it back."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from emsp.services.cdrs import cdr_receive
from ocpi.cdrs.schemas import CDR
from ocpi.cdrs.selectors import cdr_get
from ocpi.cdrs.services import cdr_to_json
from ocpi.core.envelope import ocpi_response
from ocpi.core.openapi import envelope_of
from ocpi.core.views import OcpiView, ReceiverView
from ocpi.versions.registry import endpoint_url

CDRS_PATH = "emsp/cdrs"


class CdrReceiverView(OcpiView):
    ocpi_module, ocpi_role = "cdrs", "EMSP"

    @extend_schema(request=CDR, responses=envelope_of(None), tags=["cdrs"])
    def post(self, request: Request) -> Response:
        cdr = CDR.model_validate(request.data)
        party = self.writer_party(request, country_code=cdr.country_code, party_id=cdr.party_id, role="CPO")
        stored, created = cdr_receive(party=party, data=cdr)
        location = f"{endpoint_url(CDRS_PATH)}/{stored.country_code}/{stored.ocpi_party_id}/{stored.ocpi_id}"
        return ocpi_response(http_status=201 if created else 200, headers={"Location": location})


class CdrDetailView(ReceiverView):
    """The URL a CDR POST answers in its `Location` header (§10.2.2.1)."""

    ocpi_module, ocpi_role, owner_role = "cdrs", "EMSP", "CPO"

    @extend_schema(responses=envelope_of(CDR), tags=["cdrs"])
    def get(self, request: Request, **kw: Any) -> Response:
        return ocpi_response(cdr_to_json(cdr_get(**kw)))
