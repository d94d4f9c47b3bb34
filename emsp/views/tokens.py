"""eMSP Tokens Sender (§12.2.2): the list of our tokens and real-time authorization."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from emsp.services.authorization import token_authorize
from ocpi.core.envelope import ocpi_response
from ocpi.core.openapi import envelope_of
from ocpi.core.pagination import paginated_response
from ocpi.core.views import OcpiView, enum_query
from ocpi.tokens.schemas import AuthorizationInfo, LocationReferences, Token, TokenType
from ocpi.tokens.selectors import tokens_of_own_emsp_parties
from ocpi.tokens.services import tokens_to_json

TOKENS_PAGE_LIMIT = 1000
TYPE_PARAM = OpenApiParameter("type", str, enum=[t.value for t in TokenType], required=False)


class TokenListView(OcpiView):
    ocpi_module, ocpi_role = "tokens", "EMSP"

    @extend_schema(responses=envelope_of(Token, many=True), tags=["tokens"])
    def get(self, request: Request) -> Response:
        qs = tokens_of_own_emsp_parties()
        return paginated_response(request, qs, max_limit=TOKENS_PAGE_LIMIT, render=tokens_to_json)


class TokenAuthorizeView(OcpiView):
    ocpi_module, ocpi_role = "tokens", "EMSP"

    @extend_schema(
        request=LocationReferences,
        responses=envelope_of(AuthorizationInfo),
        parameters=[TYPE_PARAM],
        tags=["tokens"],
    )
    def post(self, request: Request, token_uid: str) -> Response:
        token_type = enum_query(request, "type", TokenType, TokenType.RFID) or TokenType.RFID
        location = LocationReferences.model_validate(request.data) if request.data else None
        caller = self.caller(request)
        info = token_authorize(
            uid=token_uid,
            token_type=token_type.value,
            location=location,
            caller_parties=caller.parties,
            requested_by=caller.platform.name,
        )
        return ocpi_response(info.to_json())
