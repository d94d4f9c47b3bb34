"""CPO Tokens Receiver (§12.2.1): an eMSP's tokens, GET / PUT / PATCH, `?type=` defaulting to RFID."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi.core.envelope import ocpi_response
from ocpi.core.openapi import envelope_of
from ocpi.core.views import ReceiverView, enum_query
from ocpi.tokens.models import Token as TokenRow
from ocpi.tokens.schemas import Token, TokenType
from ocpi.tokens.selectors import token_get
from ocpi.tokens.services import token_patch, token_put, token_to_json

TYPE_PARAM = OpenApiParameter("type", str, enum=[t.value for t in TokenType], required=False)


class TokenReceiverView(ReceiverView):
    ocpi_module, ocpi_role, owner_role = "tokens", "CPO", "EMSP"

    def _type(self) -> TokenType | None:
        return enum_query(self.request, "type", TokenType)

    def _token(self, kw: dict[str, Any]) -> TokenRow:
        token_type = (self._type() or TokenType.RFID).value
        return token_get(
            country_code=kw["country_code"], party_id=kw["party_id"], uid=kw["token_uid"], type=token_type
        )

    @extend_schema(responses=envelope_of(Token), parameters=[TYPE_PARAM], tags=["tokens"])
    def get(self, request: Request, **kw: Any) -> Response:
        return ocpi_response(token_to_json(self._token(kw)))

    @extend_schema(request=Token, responses=envelope_of(None), parameters=[TYPE_PARAM], tags=["tokens"])
    def put(self, request: Request, **kw: Any) -> Response:
        token_type = self._type()
        _, created = token_put(
            party=self.party,
            data=request.data,
            uid=kw["token_uid"],
            type=token_type.value if token_type else None,
        )
        return ocpi_response(http_status=201 if created else 200)

    @extend_schema(request=Token, responses=envelope_of(None), parameters=[TYPE_PARAM], tags=["tokens"])
    def patch(self, request: Request, **kw: Any) -> Response:
        token_patch(token=self._token(kw), patch=request.data)
        return ocpi_response()
