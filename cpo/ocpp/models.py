"""OCPP bookkeeping: registered charge points, their connector mapping onto OCPI, messages, transactions.

The OCPI objects (Location, EVSE, Connector, Session, CDR) stay in the `ocpi.*` apps; these tables hold
what only the OCPP side knows: which charger is which EVSE, what it last reported, and the transaction
data (meter readings, charging states) the OCPI Session and CDR are computed from.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from ocpi.cdrs.models import Cdr
from ocpi.locations.models import EVSE, Connector, Location
from ocpi.sessions.models import Session
from ocpi.tokens.models import Token

WH_DIGITS = 20
WH_PLACES = 6


def wh_field(**kwargs: Any) -> models.DecimalField[Any, Any]:
    """Energy in Wh (or power in W, current in A): exact decimals, as OCPP sends them after unit scaling."""
    return models.DecimalField(max_digits=WH_DIGITS, decimal_places=WH_PLACES, **kwargs)


class OcppProtocol(models.TextChoices):
    """The OCPP-J WebSocket subprotocols we speak (OCPP-J 1.6 §3.1.2, OCPP 2.0.1 Part 4 §3.1.2)."""

    V16 = "ocpp1.6", "OCPP 1.6J"
    V201 = "ocpp2.0.1", "OCPP 2.0.1"


class ChargePoint(models.Model):
    """A charge point allowed to connect to `ws://<host>/ocpp/<identity>` (security profile 1).

    Profile 1 is HTTP Basic authentication on the WebSocket upgrade with the identity as user name
    (OCPP 1.6 Security Whitepaper §2.1, OCPP 2.0.1 Part 2 A00.FR.201); only a hash of the password is
    stored. The connection fields are written by the `run_ocpp` process holding the socket (`node`).
    """

    identity = models.CharField(
        max_length=48, unique=True, help_text="The charge point identity: the last segment of its URL."
    )
    password_hash = models.CharField(
        max_length=256, help_text="Django password hash; set with the form field."
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ocpp_charge_points",
        help_text="The OCPI Location (one of ours) this charger belongs to.",
    )
    protocol = models.CharField(
        max_length=12,
        choices=OcppProtocol.choices,
        blank=True,
        help_text="Negotiated at the last connection.",
    )
    vendor = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=50, blank=True)
    serial_number = models.CharField(max_length=50, blank=True)
    firmware_version = models.CharField(max_length=50, blank=True)
    meter_type = models.CharField(max_length=50, blank=True)
    meter_serial_number = models.CharField(
        max_length=50, blank=True, help_text="Becomes the Session meter_id."
    )
    station_status = models.CharField(
        max_length=16, blank=True, help_text="OCPP 1.6 status of connectorId 0 (the whole charge point)."
    )
    connected = models.BooleanField(default=False)
    node = models.CharField(
        max_length=255, blank=True, help_text="The run_ocpp process holding the connection."
    )
    connected_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_boot_at = models.DateTimeField(null=True, blank=True)
    offline_published = models.BooleanField(
        default=False, help_text="Its EVSEs were set to UNKNOWN after the offline grace period."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["identity"]
        indexes = [models.Index(fields=["connected", "disconnected_at"], name="ocpp_cp_connection")]

    def __str__(self) -> str:
        return self.identity


class OcppConnector(models.Model):
    """One OCPP connector of a charger, mapped onto an OCPI EVSE and Connector, with its last status.

    Addressed as OCPP 2.0.1 does, (evseId, connectorId). OCPP 1.6 has no EVSEs: its connectorId N
    is (ocpp_evse_id=N, ocpp_connector_id=1), one virtual EVSE per connector (OCPI mod_locations, "OCPP 1.x
    Charge Points with multiple connectors per EVSE"); several of them may still point at one OCPI EVSE.
    """

    charge_point = models.ForeignKey(ChargePoint, on_delete=models.CASCADE, related_name="connectors")
    ocpp_evse_id = models.PositiveIntegerField(
        "OCPP EVSE id", help_text="OCPP 2.0.1 evseId; OCPP 1.6: the connectorId."
    )
    ocpp_connector_id = models.PositiveIntegerField(
        "OCPP connector id", default=1, help_text="OCPP 2.0.1 connectorId; OCPP 1.6: 1."
    )
    evse = models.ForeignKey(
        EVSE, on_delete=models.SET_NULL, null=True, blank=True, related_name="ocpp_connectors"
    )
    connector = models.ForeignKey(
        Connector, on_delete=models.SET_NULL, null=True, blank=True, related_name="ocpp_connectors"
    )
    ocpp_status = models.CharField(max_length=16, blank=True, help_text="Last status the charger reported.")
    error_code = models.CharField(max_length=50, blank=True)
    status_at = models.DateTimeField(null=True, blank=True, help_text="Charger time of that status.")
    ocpi_status = models.CharField(max_length=11, blank=True, help_text="That status mapped to OCPI.")
    status_pending = models.BooleanField(
        default=False, help_text="Changed since its EVSE status was last published (debounce)."
    )

    class Meta:
        verbose_name = "OCPP connector"
        ordering = ["charge_point", "ocpp_evse_id", "ocpp_connector_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["charge_point", "ocpp_evse_id", "ocpp_connector_id"], name="ocpp_connector_address"
            ),
        ]
        indexes = [models.Index(fields=["status_pending"], name="ocpp_connector_pending")]

    def __str__(self) -> str:
        return f"evse {self.ocpp_evse_id} connector {self.ocpp_connector_id}"


class OcppMessage(models.Model):
    """One OCPP-J frame sent or received (OCPP-J §4 RPC framework), kept for the admin, bounded."""

    class Direction(models.TextChoices):
        IN = "IN", "charger to us"
        OUT = "OUT", "us to charger"

    class Type(models.IntegerChoices):
        CALL = 2
        CALLRESULT = 3
        CALLERROR = 4

    # No index of its own: ocpp_message_recent (charge_point, -id) serves every look-up by charger, and
    # each index more is written for every frame logged and every frame pruned.
    charge_point = models.ForeignKey(
        ChargePoint, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    message_type = models.PositiveSmallIntegerField(choices=Type.choices, null=True, blank=True)
    unique_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64, blank=True)
    frame = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["charge_point", "-id"], name="ocpp_message_recent")]

    def __str__(self) -> str:
        return f"{self.direction} {self.action or self.get_message_type_display()} {self.unique_id}"


class OcppTransaction(models.Model):
    """An OCPP transaction and the OCPI Session/CDR it became.

    1.6 transaction ids are ours (this row's pk, OCPP 1.6 §5.18 StartTransaction.conf); 2.0.1 ids are
    the charger's strings, unique per charger (OCPP 2.0.1 E01). `start_key` makes a repeated 1.6
    StartTransaction return the same id. The energy bookkeeping is in Wh.
    """

    class State(models.TextChoices):
        ACTIVE = "ACTIVE"
        STOPPED = "STOPPED"

    charge_point = models.ForeignKey(ChargePoint, on_delete=models.PROTECT, related_name="transactions")
    ocpp_connector = models.ForeignKey(
        OcppConnector, on_delete=models.SET_NULL, null=True, blank=True, related_name="transactions"
    )
    evse_id = models.PositiveIntegerField(null=True, blank=True)
    connector_id = models.PositiveIntegerField(null=True, blank=True)
    transaction_id = models.CharField(max_length=36, null=True, blank=True)
    start_key = models.CharField(max_length=200, null=True, blank=True, help_text="1.6 duplicate detection.")
    id_tag = models.CharField(max_length=36, blank=True)
    id_token_type = models.CharField(max_length=20, blank=True)
    token = models.ForeignKey(Token, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    auth_status = models.CharField(max_length=20, blank=True, help_text="What we answered the charger.")
    auth_method = models.CharField(max_length=12, blank=True)
    authorization_reference = models.CharField(max_length=36, null=True, blank=True)
    remote_start_id = models.IntegerField(null=True, blank=True)
    state = models.CharField(max_length=7, choices=State.choices, default=State.ACTIVE)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=30, blank=True)
    meter_start_wh = wh_field(null=True, blank=True)
    meter_stop_wh = wh_field(null=True, blank=True)
    charging_state = models.CharField(max_length=16, blank=True)
    periods_until = models.DateTimeField(
        null=True, blank=True, help_text="End of the last charging period sent in a Session PATCH."
    )
    energy_until_wh = wh_field(null=True, blank=True, help_text="Meter register at periods_until.")
    remarks = models.JSONField(default=list, blank=True, help_text="Anomalies found (they go into the CDR).")
    location = models.ForeignKey(
        Location,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Of its Session.",
    )
    tariff = models.JSONField(
        null=True, blank=True, help_text="The connector's Tariff at the start (wire JSON)."
    )
    cdr_location = models.JSONField(null=True, blank=True, help_text="CdrLocation snapshot at the start.")
    session = models.OneToOneField(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="ocpp_transaction"
    )
    cdr = models.OneToOneField(Cdr, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "OCPP transaction"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["charge_point", "transaction_id"], name="ocpp_tx_id_per_cp"),
            models.UniqueConstraint(fields=["charge_point", "start_key"], name="ocpp_tx_start_key"),
        ]
        indexes = [
            models.Index(fields=["charge_point", "evse_id", "state"], name="ocpp_tx_active_on_evse"),
        ]

    def __str__(self) -> str:
        return f"{self.charge_point_id} tx {self.transaction_id}"


class OcppMeterReading(models.Model):
    """What a charger measured at one instant of a transaction, normalised (Wh, W, A, %).

    One row per timestamp: a second MeterValues for the same instant (a retransmission, or another
    measurand) fills in what is missing and never duplicates (OCPP-J §4.1.1 retransmits).
    """

    # No index of its own: the (transaction, timestamp) constraint's index serves every look-up by
    # transaction, and each index more is written for every reading of every MeterValues.
    transaction = models.ForeignKey(
        OcppTransaction, on_delete=models.CASCADE, related_name="readings", db_index=False
    )
    timestamp = models.DateTimeField()
    energy_wh = wh_field(null=True, blank=True, help_text="Energy.Active.Import.Register")
    power_w = wh_field(null=True, blank=True, help_text="Power.Active.Import")
    current_a = wh_field(null=True, blank=True, help_text="Current.Import, summed over phases")
    soc = wh_field(null=True, blank=True, help_text="SoC, percent")
    context = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["transaction", "timestamp"]
        constraints = [
            models.UniqueConstraint(fields=["transaction", "timestamp"], name="ocpp_reading_per_instant"),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id} @ {self.timestamp.isoformat()}"


class OcppChargingState(models.Model):
    """A charging-state change inside a transaction: it splits charging periods into TIME and PARKING_TIME.

    From 1.6 StatusNotification (Charging, SuspendedEV, SuspendedEVSE, Finishing, ...) of the
    transaction's connector and 2.0.1 TransactionEvent `chargingState`.
    """

    # No index of its own: the (transaction, timestamp, state) constraint's index serves it.
    transaction = models.ForeignKey(
        OcppTransaction, on_delete=models.CASCADE, related_name="states", db_index=False
    )
    timestamp = models.DateTimeField()
    state = models.CharField(max_length=16)

    class Meta:
        ordering = ["transaction", "timestamp", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["transaction", "timestamp", "state"], name="ocpp_state_once"),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.state} @ {self.timestamp.isoformat()}"


class OcppCommand(models.Model):
    """A call the web side wants sent to a charger (e.g. RemoteStartTransaction), durable across restarts.

    The run_ocpp process holding the charger's connection claims it (PENDING -> SENT) and stores the
    outcome. `request_id` is the OCPP-J message id of the CALL, so the message log shows it too.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING"
        SENT = "SENT"
        ANSWERED = "ANSWERED", "Answered with a CALLRESULT"
        REJECTED = "REJECTED", "Answered with a CALLERROR"
        TIMEOUT = "TIMEOUT", "No answer in time"
        EXPIRED = "EXPIRED", "Charger not connected before the deadline"

    request_id = models.CharField(max_length=36, unique=True)
    charge_point = models.ForeignKey(ChargePoint, on_delete=models.CASCADE, related_name="commands")
    action = models.CharField(max_length=64)
    payload = models.JSONField(help_text="The OCPP payload (camelCase, as on the wire).")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    response = models.JSONField(null=True, blank=True, help_text="CALLRESULT payload or CALLERROR details.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "charge_point"], name="ocpp_command_pending")]

    def __str__(self) -> str:
        return f"{self.action} to {self.charge_point_id} ({self.status})"
