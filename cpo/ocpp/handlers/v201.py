"""OCPP 2.0.1 CSMS handlers (OCPP 2.0.1 Part 2: B01 Boot, G01 Status, C01 Authorize, E TransactionEvent).

The library validates every request and our answer against its bundled 2.0.1 JSON schemas, answers
NotImplemented for a 2.0.1 action without a handler here (e.g. NotifyEvent) and NotSupported for a
name that is no 2.0.1 action.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from ocpp.routing import on
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.datatypes import IdTokenInfoType
from ocpp.v201.enums import (
    Action,
    AuthorizationStatusEnumType,
    DataTransferStatusEnumType,
    RegistrationStatusEnumType,
)

from cpo.ocpp import bridge, metering, services
from cpo.ocpp.handlers.base import OcppConnectionMixin, now_text
from cpo.ocpp.models import OcppProtocol


def id_token_info(decision: bridge.AuthDecision) -> IdTokenInfoType:
    """2.0.1 IdTokenInfoType: the status (Accepted, Blocked or Invalid are ours)."""
    return IdTokenInfoType(status=AuthorizationStatusEnumType(decision.status.value))


class ChargePoint201(OcppConnectionMixin, ChargePoint):
    """One connected OCPP 2.0.1 charging station."""

    call_module = call
    protocol = OcppProtocol.V201.value

    @on(Action.boot_notification)
    async def on_boot_notification(self, charging_station: dict[str, Any], reason: str, **kwargs: Any) -> Any:
        """B01: registered stations are Accepted (they authenticated on the upgrade)."""
        await self.db(
            services.charge_point_boot,
            charge_point_id=self.pk,
            info={
                "vendor": charging_station.get("vendor_name"),
                "model": charging_station.get("model"),
                "serial_number": charging_station.get("serial_number"),
                "firmware_version": charging_station.get("firmware_version"),
            },
        )
        return call_result.BootNotification(
            current_time=now_text(),
            interval=int(settings.OCPP_HEARTBEAT_INTERVAL),
            status=RegistrationStatusEnumType.accepted,
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self, **kwargs: Any) -> Any:
        """G02."""
        await self.db(services.charge_point_seen, charge_point_id=self.pk, heartbeat=True)
        return call_result.Heartbeat(current_time=now_text())

    @on(Action.status_notification)
    async def on_status_notification(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **kwargs: Any
    ) -> Any:
        """G01."""
        evses = await self.db(
            bridge.connector_status_record,
            charge_point_id=self.pk,
            evse_id=evse_id,
            connector_id=connector_id,
            ocpp_status=connector_status,
            error_code="",
            at=self.charger_time(timestamp),
        )
        self.statuses_changed(evses)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_token: dict[str, Any], **kwargs: Any) -> Any:
        """C01: the idToken with its type (ISO14443, eMAID, Central, ...)."""
        decision = await self.authorize(id_token["id_token"], token_type=id_token["type"])
        return call_result.Authorize(id_token_info=id_token_info(decision))

    @on(Action.transaction_event)
    async def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        **kwargs: Any,
    ) -> Any:
        """E01-E15: idTokenInfo is answered whenever the request carried an idToken (E01.FR.09).

        A transaction's first idToken is decided here, off the database threads (it may involve the
        eMSP); later ones get the stored decision."""
        id_token = kwargs.get("id_token")
        evse = kwargs.get("evse")
        decision = None
        if id_token is not None:
            transaction_id = str(transaction_info["transaction_id"])
            decision = await self.db(
                bridge.transaction_decision_v201, charge_point_id=self.pk, transaction_id=transaction_id
            )
            if decision is None:
                decision = await self.authorize(
                    id_token["id_token"],
                    token_type=id_token["type"],
                    evse_id=evse.get("id") if evse else None,
                )
        result = await self.db(
            bridge.transaction_event_v201,
            charge_point_id=self.pk,
            event_type=event_type,
            at=self.charger_time(timestamp),
            transaction_info=transaction_info,
            evse=evse,
            id_token=id_token,
            readings=metering.readings_v201(kwargs.get("meter_value") or []),
            decision=decision,
        )
        self.statuses_changed(result.evses)
        if result.decision is None:
            return call_result.TransactionEvent()
        return call_result.TransactionEvent(id_token_info=id_token_info(result.decision))

    @on(Action.meter_values)
    async def on_meter_values(self, evse_id: int, meter_value: list[dict[str, Any]], **kwargs: Any) -> Any:
        """J01: values of evseId > 0 go to the transaction running there, if any (0 is the main meter)."""
        await self.central.meters.submit(
            bridge.MeterValuesItem(
                charge_point_id=self.pk,
                transaction_id=None,
                evse_id=evse_id,
                readings=metering.readings_v201(meter_value),
            )
        )
        return call_result.MeterValues()

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **kwargs: Any) -> Any:
        """P01: we implement no vendor extension (UnknownVendorId)."""
        return call_result.DataTransfer(status=DataTransferStatusEnumType.unknown_vendor_id)
