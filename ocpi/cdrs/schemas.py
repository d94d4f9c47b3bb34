"""OCPI 2.2.1 CDRs module wire objects (§10 CDRs: §10.3.1 CDR, §10.4 data types).

AuthMethod, CdrDimension, CdrDimensionType, CdrToken and ChargingPeriod are defined in
`ocpi.sessions.schemas` (a Session is made of them) and re-exported here.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from ocpi.core.types import (
    PRINTABLE_ASCII,
    Bool,
    CiString32,
    CiString36,
    CiString39,
    CiString48,
    CountryCode,
    DateTime,
    Number,
    OcpiModel,
    PartyId,
    Price,
    String3,
    String10,
    String20,
    String45,
    String255,
    String512,
    String5000,
)
from ocpi.locations.schemas import ConnectorFormat, ConnectorType, GeoLocation, Int64, PowerType
from ocpi.sessions.schemas import (
    SESSION_ONLY_DIMENSIONS,
    AuthMethod,
    CdrDimension,
    CdrDimensionType,
    CdrToken,
    ChargingPeriod,
)
from ocpi.tariffs.schemas import Tariff

__all__ = [
    "CDR",
    "AuthMethod",
    "CdrDimension",
    "CdrDimensionType",
    "CdrLocation",
    "CdrToken",
    "ChargingPeriod",
    "SignedData",
    "SignedValue",
]

CdrId = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=39), PRINTABLE_ASCII]
"""§10.3.1 CDR.id: CiString(39), the room above 36 only for credit CDRs (checked by CDR)."""

NON_CREDIT_ID_MAX_LENGTH = 36


class CdrLocation(OcpiModel):
    """§10.4.4 CdrLocation: the Location, EVSE and Connector of the session, as they were at its start."""

    id: CiString36
    name: String255 | None = None
    address: String45
    city: String45
    postal_code: String10 | None = None
    state: String20 | None = None
    country: String3
    coordinates: GeoLocation
    evse_uid: CiString36
    evse_id: CiString48
    connector_id: CiString36
    connector_standard: ConnectorType
    connector_format: ConnectorFormat
    connector_power_type: PowerType


class SignedValue(OcpiModel):
    """§10.4.8 SignedValue."""

    nature: CiString32
    plain_data: String512
    signed_data: String5000


class SignedData(OcpiModel):
    """§10.4.7 SignedData (e.g. German Eichrecht)."""

    encoding_method: CiString36
    encoding_method_version: Int64 | None = None
    public_key: String512 | None = None
    signed_values: Annotated[list[SignedValue], Field(min_length=1)]
    url: String512 | None = None


def _error(loc: tuple[str | int, ...], kind: str, message: str, value: Any) -> InitErrorDetails:
    return {"type": PydanticCustomError(kind, message), "loc": loc, "input": value}


class CDR(OcpiModel):
    """§10.3.1 CDR object: the final, billable record of a session, owned by the CPO.

    Besides the field types, the rules the spec states in prose are enforced, each reported on its
    field: a credit CDR names the CDR it credits; only a credit CDR may use an id longer than 36; and
    the "Session Only" dimensions of §10.4.3 may not appear in a CDR's charging periods.
    """

    country_code: CountryCode
    party_id: PartyId
    id: CdrId
    start_date_time: DateTime
    end_date_time: DateTime
    session_id: CiString36 | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    cdr_location: CdrLocation
    meter_id: String255 | None = None
    currency: String3
    tariffs: list[Tariff] | None = None
    charging_periods: Annotated[list[ChargingPeriod], Field(min_length=1)]
    signed_data: SignedData | None = None
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy: Number
    total_energy_cost: Price | None = None
    total_time: Number
    total_time_cost: Price | None = None
    total_parking_time: Number | None = None
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
    remark: String255 | None = None
    invoice_reference_id: CiString39 | None = None
    credit: Bool | None = None
    credit_reference_id: CiString39 | None = None
    home_charging_compensation: Bool | None = None
    last_updated: DateTime

    @model_validator(mode="wrap")
    @classmethod
    def _spec_rules(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> CDR:
        cdr: CDR = handler(data)
        errors: list[InitErrorDetails] = []
        if cdr.credit:
            if cdr.credit_reference_id is None:
                errors.append(
                    _error(
                        ("credit_reference_id",),
                        "credit_reference_required",
                        "required for a credit CDR",
                        None,
                    )
                )
        elif len(cdr.id) > NON_CREDIT_ID_MAX_LENGTH:
            errors.append(
                _error(
                    ("id",),
                    "string_too_long",
                    "a CDR that is not a credit CDR has at most 36 characters",
                    cdr.id,
                )
            )
        for p, period in enumerate(cdr.charging_periods):
            for d, dimension in enumerate(period.dimensions):
                if dimension.type in SESSION_ONLY_DIMENSIONS:
                    errors.append(
                        _error(
                            ("charging_periods", p, "dimensions", d, "type"),
                            "session_only_dimension",
                            f"{dimension.type.value} is a Session only dimension, not allowed in a CDR",
                            dimension.type.value,
                        )
                    )
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return cdr
