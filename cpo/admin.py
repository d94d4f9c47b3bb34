"""Admin of the CPO role: the OCPP central system's models register in cpo.ocpp.admin."""

import cpo.ocpp.admin  # noqa: F401 - registers ChargePoint, OcppTransaction, OcppCommand
