"""OCPI 2.2.1 basic types (§16 Types) as pydantic v2 annotations, shared by every module's wire schemas.

Wire schemas are the only way objects cross the wire, so every constraint of the spec lives here once:
max lengths, printable characters, UTC timestamps, exact decimal numbers, and enums that refuse
unknown values.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    WithJsonSchema,
)

_NON_PRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
_NON_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")


def _printable(value: str) -> str:
    """§16.6 string: only printable UTF-8 (no CR, LF, TAB or other control characters)."""
    if _NON_PRINTABLE.search(value):
        raise ValueError("must contain only printable characters")
    return value


def _printable_ascii(value: str) -> str:
    """§16.1 CiString: only printable ASCII."""
    if _NON_PRINTABLE_ASCII.search(value):
        raise ValueError("must contain only printable ASCII characters")
    return value


_STRICT = Strict()
PRINTABLE = AfterValidator(_printable)
"""Building block for module-specific string types: `Annotated[str, Strict(), MaxLen(n), PRINTABLE]`."""
PRINTABLE_ASCII = AfterValidator(_printable_ascii)

# OCPI `string(n)`: case sensitive, printable UTF-8, at most n characters (every n the spec uses).
String2 = Annotated[str, _STRICT, StringConstraints(max_length=2), PRINTABLE]
String3 = Annotated[str, _STRICT, StringConstraints(max_length=3), PRINTABLE]
String4 = Annotated[str, _STRICT, StringConstraints(max_length=4), PRINTABLE]
String5 = Annotated[str, _STRICT, StringConstraints(max_length=5), PRINTABLE]
String10 = Annotated[str, _STRICT, StringConstraints(max_length=10), PRINTABLE]
String11 = Annotated[str, _STRICT, StringConstraints(max_length=11), PRINTABLE]
String16 = Annotated[str, _STRICT, StringConstraints(max_length=16), PRINTABLE]
String20 = Annotated[str, _STRICT, StringConstraints(max_length=20), PRINTABLE]
String45 = Annotated[str, _STRICT, StringConstraints(max_length=45), PRINTABLE]
String64 = Annotated[str, _STRICT, StringConstraints(max_length=64), PRINTABLE]
String100 = Annotated[str, _STRICT, StringConstraints(max_length=100), PRINTABLE]
String255 = Annotated[str, _STRICT, StringConstraints(max_length=255), PRINTABLE]
String512 = Annotated[str, _STRICT, StringConstraints(max_length=512), PRINTABLE]
String5000 = Annotated[str, _STRICT, StringConstraints(max_length=5000), PRINTABLE]

# OCPI `CiString(n)`: printable ASCII, at most n characters, compared case-insensitively.
CiString2 = Annotated[str, _STRICT, StringConstraints(max_length=2), PRINTABLE_ASCII]
CiString3 = Annotated[str, _STRICT, StringConstraints(max_length=3), PRINTABLE_ASCII]
CiString4 = Annotated[str, _STRICT, StringConstraints(max_length=4), PRINTABLE_ASCII]
CiString32 = Annotated[str, _STRICT, StringConstraints(max_length=32), PRINTABLE_ASCII]
CiString36 = Annotated[str, _STRICT, StringConstraints(max_length=36), PRINTABLE_ASCII]
CiString39 = Annotated[str, _STRICT, StringConstraints(max_length=39), PRINTABLE_ASCII]
CiString48 = Annotated[str, _STRICT, StringConstraints(max_length=48), PRINTABLE_ASCII]


URL = Annotated[str, _STRICT, StringConstraints(max_length=255, min_length=1), PRINTABLE]
"""§16.7 URL: string(255)."""


def parse_datetime(value: Any) -> datetime:
    """§16.2 DateTime: RFC 3339; no zone designator means UTC; always returned aware, in UTC."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        if len(value) > 35:
            raise ValueError("is not an RFC 3339 timestamp")
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("is not an RFC 3339 timestamp") from None
        if "T" not in text and "t" not in text:
            raise ValueError("is not an RFC 3339 timestamp")
    else:
        raise ValueError("must be an RFC 3339 timestamp string")
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def format_datetime(dt: datetime) -> str:
    """UTC with `Z`; fractional seconds only when present, without trailing zeros."""
    dt = dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    if dt.microsecond:
        text = dt.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0")
    else:
        text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return text + "Z"


DateTime = Annotated[
    datetime,
    BeforeValidator(parse_datetime),
    PlainSerializer(format_datetime, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2015-06-29T20:39:09Z"}),
]


def _to_decimal(value: Any) -> Decimal:
    """§16.4 number: JSON numbers, kept exact as Decimal (never float arithmetic)."""
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        raise ValueError("must be a number")
    if not result.is_finite():
        raise ValueError("must be a finite number")
    return result


def number_json(value: Decimal) -> int | float:
    """§16.4 number as JSON: integral values as int, others as float (what Number serialises to)."""
    return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)


def price_json(excl_vat: Decimal | None, incl_vat: Decimal | None) -> dict[str, Any] | None:
    """§16.5 Price as JSON from two stored Decimal columns (None when there is no price)."""
    if excl_vat is None:
        return None
    price: dict[str, Any] = {"excl_vat": number_json(excl_vat)}
    if incl_vat is not None:
        price["incl_vat"] = number_json(incl_vat)
    return price


Number = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    PlainSerializer(number_json, return_type=float, when_used="json"),
    WithJsonSchema({"type": "number"}),
]

Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]


class OcpiModel(BaseModel):
    """Base of every wire schema: unknown fields are ignored (forward compatible), types are strict."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, use_enum_values=False)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict; optional fields that are unset are left out, as the spec examples do."""
        return self.model_dump(mode="json", exclude_none=True)

    @classmethod
    def from_json(cls, data: Any) -> Self:
        return cls.model_validate(data)


# --- §16 classes and enums used by several modules ---------------------------------------------------


class DisplayText(OcpiModel):
    """§16.3 DisplayText."""

    language: String2
    text: String512


class Price(OcpiModel):
    """§16.5 Price."""

    excl_vat: Number
    incl_vat: Number | None = None


class Role(StrEnum):
    """§16.8 Role."""

    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


class ImageCategory(StrEnum):
    """§8.4.7 ImageCategory (Locations), also used by BusinessDetails in Credentials."""

    CHARGER = "CHARGER"
    ENTRANCE = "ENTRANCE"
    LOCATION = "LOCATION"
    NETWORK = "NETWORK"
    OPERATOR = "OPERATOR"
    OTHER = "OTHER"
    OWNER = "OWNER"


class Image(OcpiModel):
    """§8.4.6 Image."""

    url: URL
    thumbnail: URL | None = None
    category: ImageCategory
    type: CiString4
    width: Annotated[int, Strict(), Field(ge=0, le=99999)] | None = None
    height: Annotated[int, Strict(), Field(ge=0, le=99999)] | None = None


class BusinessDetails(OcpiModel):
    """§8.4.2 BusinessDetails."""

    name: String100
    website: URL | None = None
    logo: Image | None = None


CountryCode = Annotated[
    str, Strict(), StringConstraints(min_length=2, max_length=2), AfterValidator(_printable_ascii)
]
PartyId = Annotated[
    str, Strict(), StringConstraints(min_length=3, max_length=3), AfterValidator(_printable_ascii)
]
