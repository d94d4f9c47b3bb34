"""§6 Versions module wire objects."""

from __future__ import annotations

from enum import StrEnum

from ocpi.core.types import URL, OcpiModel, String64


class VersionNumber(StrEnum):
    V2_0 = "2.0"
    V2_1 = "2.1"
    V2_1_1 = "2.1.1"
    V2_2 = "2.2"
    V2_2_1 = "2.2.1"


class InterfaceRole(StrEnum):
    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class ModuleID(StrEnum):
    """§6.2.4 ModuleID; partners may list custom modules too, so Endpoint.identifier stays a string."""

    CDRS = "cdrs"
    CHARGING_PROFILES = "chargingprofiles"
    COMMANDS = "commands"
    CREDENTIALS = "credentials"
    HUB_CLIENT_INFO = "hubclientinfo"
    LOCATIONS = "locations"
    SESSIONS = "sessions"
    TARIFFS = "tariffs"
    TOKENS = "tokens"


class Version(OcpiModel):
    """§6.1.2 Version. `version` is a string: partners list versions we do not know."""

    version: String64
    url: URL


class Endpoint(OcpiModel):
    """§6.2.2 Endpoint."""

    identifier: String64
    role: InterfaceRole
    url: URL


class VersionDetails(OcpiModel):
    """§6.2.1 Version details data."""

    version: String64
    endpoints: list[Endpoint]
