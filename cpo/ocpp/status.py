"""OCPP connector status -> OCPI EVSE Status (OCPI 2.2.1 §8.4.22), as tabled in docs/ocpp.md.

Pure functions: what a status means depends only on the reported value and on whether a transaction
runs on that connector (a car plugged in without one blocks the bay; with one, the EVSE is in use).
"""

from __future__ import annotations

from collections.abc import Iterable

from ocpi.locations.schemas import Status

# OCPP 1.6 §7.7 ChargePointStatus.
_V16: dict[str, Status] = {
    "Available": Status.AVAILABLE,
    "Charging": Status.CHARGING,
    "SuspendedEV": Status.CHARGING,
    "SuspendedEVSE": Status.CHARGING,
    "Finishing": Status.BLOCKED,
    "Reserved": Status.RESERVED,
    "Unavailable": Status.INOPERATIVE,
    "Faulted": Status.OUTOFORDER,
}

# OCPP 2.0.1 ConnectorStatusEnumType (Part 2 §3.26 / G01).
_V201: dict[str, Status] = {
    "Available": Status.AVAILABLE,
    "Reserved": Status.RESERVED,
    "Unavailable": Status.INOPERATIVE,
    "Faulted": Status.OUTOFORDER,
}

# Statuses whose meaning depends on a running transaction: in use when one runs, else a car (or a
# driver) occupies the bay without charging.
_IN_USE_IF_TRANSACTION = frozenset({"Preparing", "Occupied"})

# 1.6 connectorId 0 reports the whole charge point; these override every connector.
_STATION_OVERRIDES: dict[str, Status] = {"Unavailable": Status.INOPERATIVE, "Faulted": Status.OUTOFORDER}

# One EVSE, several connectors: the most telling status wins (an EVSE serves one car at a time).
PRECEDENCE: tuple[Status, ...] = (
    Status.CHARGING,
    Status.BLOCKED,
    Status.RESERVED,
    Status.AVAILABLE,
    Status.INOPERATIVE,
    Status.OUTOFORDER,
    Status.UNKNOWN,
)


def connector_ocpi_status(*, ocpp_status: str, transaction_active: bool) -> Status:
    """One connector's OCPP 1.6 ChargePointStatus or 2.0.1 ConnectorStatus as an OCPI Status.

    The two vocabularies overlap only where they mean the same thing, so one function serves both.
    """
    if ocpp_status in _IN_USE_IF_TRANSACTION:
        return Status.CHARGING if transaction_active else Status.BLOCKED
    return _V16.get(ocpp_status) or _V201.get(ocpp_status) or Status.UNKNOWN


def station_override(station_status: str) -> Status | None:
    """The status a 1.6 connectorId 0 report imposes on all the charger's EVSEs, if any."""
    return _STATION_OVERRIDES.get(station_status)


def evse_status(statuses: Iterable[Status | str]) -> Status:
    """The status of an EVSE from its connectors' statuses (precedence: in use first, UNKNOWN last)."""
    present = {Status(value) for value in statuses}
    for status in PRECEDENCE:
        if status in present:
            return status
    return Status.UNKNOWN
