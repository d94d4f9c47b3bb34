"""OpenAPI helpers: describe OCPI responses as the envelope around the real pydantic wire object."""

from __future__ import annotations

from functools import cache
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from pydantic import BaseModel, create_model


@cache
def envelope_of(model: type[BaseModel] | None, many: bool = False) -> type[BaseModel]:
    """A pydantic model of `{data: <model>, status_code, status_message, timestamp}` for drf-spectacular."""
    data_type: Any
    if model is None:
        name, data_type = "EmptyResponse", Any
    else:
        name = f"{model.__name__}{'List' if many else ''}Response"
        data_type = list[model] if many else model  # type: ignore[valid-type]
    return create_model(
        name,
        data=(data_type | None, None),
        status_code=(int, ...),
        status_message=(str | None, None),
        timestamp=(str, ...),
    )


class OcpiTokenScheme(OpenApiAuthenticationExtension):
    """Describe `Authorization: Token <base64(credentials token)>` (§4.1.3) in the OpenAPI document."""

    target_class = "ocpi.core.auth.OcpiTokenAuthentication"
    name = "OcpiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <base64 of the credentials token>`; the plain token is accepted too.",
        }


class OcpiAutoSchema(AutoSchema):
    """Operation ids from the whole path, so /locations/{id} and /locations/{id}/{evse_uid} differ."""

    def get_operation_id(self) -> str:
        parts = [p.strip("{}") for p in self.path.strip("/").split("/") if p not in ("ocpi", "2.2.1")]
        return "_".join([*(parts or ["version_details"]), self.method.lower()])


def drop_slash_variants(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """PREPROCESSING_HOOK: document each OCPI path once, without the trailing-slash twin."""
    return [e for e in endpoints if not (e[0].startswith("/ocpi/") and e[0].endswith("/"))]
