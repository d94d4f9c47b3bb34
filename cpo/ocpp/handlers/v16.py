"""OCPP 1.6J central system handlers (OCPP 1.6 §4 Operations initiated by Charge Point).

The library validates every request and our answer against its bundled 1.6 JSON schemas, answers
NotImplemented for a 1.6 action without a handler here (e.g. FirmwareStatusNotification) and
NotSupported for a name that is no 1.6 action.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action, AuthorizationStatus, DataTransferStatus, RegistrationStatus

from cpo.ocpp import bridge, metering, services
from cpo.ocpp.handlers.base import OcppConnectionMixin, now_text
from cpo.ocpp.models import OcppProtocol

PARENT_ID_TAG_MAX = 20


STATUS_V16: dict[bridge.AuthStatus, AuthorizationStatus] = {
    bridge.AuthStatus.ACCEPTED: AuthorizationStatus.accepted,
    bridge.AuthStatus.BLOCKED: AuthorizationStatus.blocked,
    bridge.AuthStatus.INVALID: AuthorizationStatus.invalid,
    bridge.AuthStatus.EXPIRED: AuthorizationStatus.expired,
    bridge.AuthStatus.NO_CREDIT: AuthorizationStatus.blocked,
    bridge.AuthStatus.NOT_AT_THIS_LOCATION: AuthorizationStatus.invalid,
}
"""1.6 has no NoCredit or NotAtThisLocation (§7.2): the closest refusals (docs/ocpp.md)."""


def id_tag_info(decision: bridge.AuthDecision) -> IdTagInfo:
    """1.6 IdTagInfo (§7.23); the token's group_id is the parentIdTag when it fits 1.6's 20 characters."""
    group = decision.group_id
    return IdTagInfo(
        status=STATUS_V16[decision.status],
        parent_id_tag=group if group and len(group) <= PARENT_ID_TAG_MAX else None,
    )


class ChargePoint16(OcppConnectionMixin, ChargePoint):
    """One connected OCPP 1.6J charger."""

    call_module = call
    protocol = OcppProtocol.V16.value

    @on(Action.boot_notification)
    async def on_boot_notification(
        self, charge_point_vendor: str, charge_point_model: str, **kwargs: Any
    ) -> Any:
        """§4.2: registered chargers are Accepted (they authenticated on the upgrade)."""
        await self.db(
            services.charge_point_boot,
            charge_point_id=self.pk,
            info={
                "vendor": charge_point_vendor,
                "model": charge_point_model,
                "serial_number": kwargs.get("charge_point_serial_number")
                or kwargs.get("charge_box_serial_number"),
                "firmware_version": kwargs.get("firmware_version"),
                "meter_type": kwargs.get("meter_type"),
                "meter_serial_number": kwargs.get("meter_serial_number"),
            },
        )
        return call_result.BootNotification(
            current_time=now_text(),
            interval=int(settings.OCPP_HEARTBEAT_INTERVAL),
            status=RegistrationStatus.accepted,
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self, **kwargs: Any) -> Any:
        """§4.6."""
        await self.db(services.charge_point_seen, charge_point_id=self.pk, heartbeat=True)
        return call_result.Heartbeat(current_time=now_text())

    @on(Action.status_notification)
    async def on_status_notification(
        self, connector_id: int, error_code: str, status: str, **kwargs: Any
    ) -> Any:
        """§4.9: connectorId N is (evse N, connector 1); 0 is the whole charge point."""
        evses = await self.db(
            bridge.connector_status_record,
            charge_point_id=self.pk,
            evse_id=connector_id,
            connector_id=1,
            ocpp_status=status,
            error_code=error_code,
            at=self.charger_time(kwargs.get("timestamp")),
        )
        self.statuses_changed(evses)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag: str, **kwargs: Any) -> Any:
        """§4.1: the decision may involve the eMSP (real-time authorization, OCPI §12.2.3)."""
        decision = await self.authorize(id_tag)
        return call_result.Authorize(id_tag_info=id_tag_info(decision))

    @on(Action.start_transaction)
    async def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **kwargs: Any
    ) -> Any:
        """§4.8: meterStart is integer Wh. A retransmitted start is answered as before, without a new
        token decision; a new one is decided (off the database threads) before it is stored."""
        start = {
            "charge_point_id": self.pk,
            "connector_id": connector_id,
            "id_tag": id_tag,
            "meter_start_wh": Decimal(meter_start),
            "at": self.charger_time(timestamp),
        }
        result = await self.db(bridge.transaction_start_known_v16, **start)
        if result is None:
            decision = await self.authorize(id_tag, evse_id=connector_id)
            result = await self.db(bridge.transaction_start_v16, **start, decision=decision)
        self.statuses_changed(result.evses)
        return call_result.StartTransaction(
            transaction_id=int(result.transaction_id), id_tag_info=id_tag_info(result.decision)
        )

    @on(Action.meter_values)
    async def on_meter_values(
        self, connector_id: int, meter_value: list[dict[str, Any]], **kwargs: Any
    ) -> Any:
        """§4.7: without a transactionId, the readings belong to the transaction running on the connector."""
        transaction_id = kwargs.get("transaction_id")
        await self.central.meters.submit(
            bridge.MeterValuesItem(
                charge_point_id=self.pk,
                transaction_id=str(transaction_id) if transaction_id is not None else None,
                evse_id=connector_id,
                readings=metering.readings_v16(meter_value),
            )
        )
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    async def on_stop_transaction(
        self, meter_stop: int, timestamp: str, transaction_id: int, **kwargs: Any
    ) -> Any:
        """§4.10: transactionData are ingested before the stop; a missing reason means Local (§7.28)."""
        evses = await self.db(
            bridge.transaction_stop_v16,
            charge_point_id=self.pk,
            transaction_id=str(transaction_id),
            meter_stop_wh=Decimal(meter_stop),
            at=self.charger_time(timestamp),
            reason=kwargs.get("reason") or "Local",
            readings=metering.readings_v16(kwargs.get("transaction_data") or []),
        )
        self.statuses_changed(evses)
        id_tag = kwargs.get("id_tag")
        if not id_tag:
            return call_result.StopTransaction()
        decision = await self.authorize(id_tag)
        return call_result.StopTransaction(id_tag_info=id_tag_info(decision))

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **kwargs: Any) -> Any:
        """§4.3: we implement no vendor extension, so every vendorId is unknown (§7.22 UnknownVendorId)."""
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)
