"""PATCH bodies (Locations §8.2.2.3, Sessions, Tokens) and path/body id checks, for every module.

A PATCH carries only the fields that change. Each present field is validated against the same
annotation the full wire schema uses, so types, enums and lengths are checked exactly as on PUT;
whether the whole object stays valid (cross-field rules) is up to the service that applies it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError, create_model
from pydantic_core import InitErrorDetails, PydanticCustomError

from ocpi.core.exceptions import InvalidParameters, validation_error
from ocpi.core.types import OcpiModel

LAST_UPDATED = "last_updated"


@cache
def _patch_model(model: type[OcpiModel]) -> type[BaseModel]:
    """The schema with every field optional (absent = untouched) but each annotation kept as is.

    Only the field annotations are copied, never the defaults or the model's own validators: a value
    that is present is validated exactly as in the full object, and an explicit null is accepted only
    where the annotation allows it (optional fields).
    """
    fields: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        annotation: Any = field.annotation
        if field.metadata:
            annotation = Annotated[(annotation, *field.metadata)]
        fields[name] = (annotation, None)
    return create_model(f"{model.__name__}Patch", __config__=model.model_config, **fields)


def _error(field: str, kind: str, message: str, value: Any) -> InitErrorDetails:
    return {"type": PydanticCustomError(kind, message), "loc": (field,), "input": value}


def validate_patch(
    model: type[OcpiModel], data: object, *, require_last_updated: bool = True
) -> dict[str, Any]:
    """Validate a PATCH body against `model` and return {field: validated value} for the fields sent.

    The body must be a JSON object. Unknown fields are ignored (as in every OCPI object). Missing
    required fields are fine (that is what PATCH means) except `last_updated` when asked for: every
    Locations PATCH "SHALL contain the last_updated field" (§8.2.2.3). A required field sent as null
    is refused: it cannot be removed. Values are Python values: enums, aware datetimes, Decimals and
    schema instances for nested objects. Raises InvalidParameters (2001) naming every bad field.
    """
    if not isinstance(data, Mapping):
        raise validation_error(
            ValidationError.from_exception_data(
                model.__name__, [{"type": "dict_type", "loc": (), "input": data}]
            )
        )
    fields = model.model_fields
    present = {name: value for name, value in data.items() if name in fields}
    errors: list[InitErrorDetails] = []
    if require_last_updated and LAST_UPDATED in fields and LAST_UPDATED not in present:
        errors.append({"type": "missing", "loc": (LAST_UPDATED,), "input": data})
    for name, value in present.items():
        if value is None and fields[name].is_required():
            errors.append(_error(name, "null_required", "required field cannot be null", value))
    try:
        validated = _patch_model(model).model_validate(present)
    except ValidationError as exc:
        reported = {err["loc"] for err in errors}
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            if loc[:1] in reported:
                continue
            errors.append(
                {"type": PydanticCustomError(err["type"], err["msg"]), "loc": loc, "input": err.get("input")}
            )
    if errors:
        raise validation_error(ValidationError.from_exception_data(model.__name__, errors))
    return {name: getattr(validated, name) for name in present}


def check_path_ids(*, path: Mapping[str, str], body: Mapping[str, Any]) -> None:
    """Ids in the URL must equal those in the body, compared case-insensitively (CiString, §16.1).

    The Receiver PUT parameters "SHALL be the same value as" the object's (§8.2.2.2, §11.2.2), and
    ids "can never be changed" (§8.3.1), so a PATCH that carries an id must carry the same one. Ids
    absent from the body (PATCH) pass.
    """
    for name, expected in path.items():
        if name not in body or body[name] is None:
            continue
        given = body[name]
        if not isinstance(given, str) or given.upper() != expected.upper():
            raise InvalidParameters(
                f"Invalid or missing parameters: {name}: {given!r} in the body differs from "
                f"{expected!r} in the URL",
                data={"errors": [{"field": name, "message": "differs from the URL"}]},
            )
