"""One ocpp-library ChargePoint class per OCPP version: the `@on` handlers of the central system."""

from cpo.ocpp.handlers.v16 import ChargePoint16
from cpo.ocpp.handlers.v201 import ChargePoint201

__all__ = ["ChargePoint16", "ChargePoint201"]
