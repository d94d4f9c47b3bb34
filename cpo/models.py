"""Models of the CPO role: the OCPP central system's tables live in cpo.ocpp.models."""

from cpo.ocpp.models import (
    ChargePoint,
    OcppChargingState,
    OcppCommand,
    OcppConnector,
    OcppMessage,
    OcppMeterReading,
    OcppTransaction,
)

__all__ = [
    "ChargePoint",
    "OcppChargingState",
    "OcppCommand",
    "OcppConnector",
    "OcppMessage",
    "OcppMeterReading",
    "OcppTransaction",
]
