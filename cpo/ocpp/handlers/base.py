"""What both OCPP versions' handlers share: database offload, the message log, charger clocks, commands.

The ocpp library's ChargePoint reads one frame at a time and awaits its handler before the next
(`ChargePoint.start`), so the messages of one charger are processed in order. Handlers never block
the event loop: database work is awaited on the central system's worker threads. They never `call()`
the charger themselves either (that would wait on the very loop that reads the answer, §1.2 of
shared/notes/ocpp-to-ocpi.md); commands are sent from their own task (`send_command`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.utils import timezone
from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from cpo.ocpp import bridge, services
from cpo.ocpp.models import OcppCommand
from ocpi.core.types import format_datetime, parse_datetime

if TYPE_CHECKING:
    from cpo.ocpp.server import CentralSystem

T = TypeVar("T")
FRAME_LOGGER = logging.getLogger("cpo.ocpp.frames")
logger = logging.getLogger("cpo.ocpp")


def now_text() -> str:
    """currentTime of Boot and Heartbeat answers: UTC, so chargers resync their clocks (1.6 §4.6)."""
    return format_datetime(timezone.now())


_SIGNATURES: dict[Any, inspect.Signature] = {}


def _signed(handlers: dict[str, Any]) -> dict[str, Any]:
    """A route of the library's route map with its handlers' signatures attached.

    For every message the library asks `inspect.signature(handler)` whether the handler takes the call's
    unique id; worked out anew each time, that cost more than some handlers. A function that carries its
    `__signature__` is answered at once, so each handler's is worked out once per process.
    """
    signed = dict(handlers)
    for option in ("_on_action", "_after_action"):
        handler = handlers.get(option)
        function = getattr(handler, "__func__", None)
        if handler is None or function is None:
            continue
        if function not in _SIGNATURES:
            _SIGNATURES[function] = inspect.signature(handler)
        signed[option] = _with_signature(handler, _SIGNATURES[function])
    return signed


def _with_signature(handler: Callable[..., Any], signature: inspect.Signature) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return handler(*args, **kwargs)

    call.__signature__ = signature  # type: ignore[attr-defined]
    return call


class OcppConnectionMixin:
    """Mixed into ocpp.v16.ChargePoint / ocpp.v201.ChargePoint: one instance per open connection."""

    id: str
    call_module: Any
    route_map: dict[str, dict[str, Any]]
    protocol: str
    _connection: Any

    def __init__(self, identity: str, connection: Any, *, central: CentralSystem, pk: int) -> None:
        super().__init__(  # type: ignore[call-arg]
            identity, connection, response_timeout=central.response_timeout, logger=FRAME_LOGGER
        )
        self.route_map = {action: _signed(handlers) for action, handlers in self.route_map.items()}
        self.central = central
        self.pk = pk
        self._seen_at = asyncio.get_running_loop().time()  # charge_point_connect has just set last_seen_at
        self._calls: dict[str, str] = {}
        self._decisions: dict[tuple[str, str | None], tuple[float, bridge.AuthDecision]] = {}

    # --- frames in and out: the message log and liveness ------------------------------------------

    async def route_message(self, raw_msg: str) -> None:
        fields = self._frame_fields(raw_msg)
        self.central.message_log.add(self.pk, "IN", raw_msg, fields)
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._seen_at >= self.central.seen_interval:
            self._seen_at = loop_time
            self.central.spawn(self.db(services.charge_point_seen, charge_point_id=self.pk))
        await super().route_message(raw_msg)  # type: ignore[misc]

    async def _send(self, message: str) -> None:
        fields = self._frame_fields(message)
        self.central.message_log.add(self.pk, "OUT", message, fields)
        await super()._send(message)  # type: ignore[misc]

    def _frame_fields(self, frame: str) -> dict[str, Any]:
        """Log fields of a frame; a CALLRESULT/CALLERROR gets the action of the CALL it answers."""
        fields = services.ocpp_frame_fields(frame)
        if fields.get("message_type") == 2:
            self._calls[fields["unique_id"]] = fields.get("action", "")
        elif "unique_id" in fields:
            fields["action"] = self._calls.pop(fields["unique_id"], "")
        return fields

    async def disconnect(self, reason: str) -> None:
        """Close this connection normally (it was replaced, or is held by another process now)."""
        await self._connection.close(CloseCode.NORMAL_CLOSURE, reason)

    # --- helpers for the handlers -------------------------------------------------------------------

    async def db(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Run a service on the central system's database threads."""
        return await self.central.db.run(fn, **kwargs)

    async def authorize(
        self, id_tag: str, *, token_type: str | None = None, evse_id: int | None = None
    ) -> bridge.AuthDecision:
        """The token decision (`bridge.authorize_id_tag`) on the central system's authorization threads.

        The answer to an Authorize is reused by the transaction start that follows it within
        OCPP_AUTHORIZE_REUSE_SECONDS (default 120): one real-time request to the eMSP per charge, and
        the Session carries the authorization_reference the driver was admitted with. A decision that
        takes longer than OCPP_AUTHORIZE_DEADLINE_SECONDS (default 15, below the chargers' usual
        30 s message timeout) is replaced by the offline one (whitelist fallbacks, no network).
        """
        loop = asyncio.get_running_loop()
        key = (id_tag.upper(), token_type)
        reuse = float(settings.OCPP_AUTHORIZE_REUSE_SECONDS)
        cached = self._decisions.get(key)
        if cached is not None and loop.time() - cached[0] <= reuse:
            return cached[1]
        deadline = float(settings.OCPP_AUTHORIZE_DEADLINE_SECONDS)
        arguments = {
            "id_tag": id_tag,
            "token_type": token_type,
            "charge_point_id": self.pk,
            "evse_id": evse_id,
        }
        try:
            decision = await asyncio.wait_for(
                self.central.auth.run(bridge.authorize_id_tag, **arguments), timeout=deadline
            )
        except TimeoutError:
            logger.warning(
                "token decision for %s at %s took over %.0f s: offline answer", id_tag, self.id, deadline
            )
            decision = await self.central.auth.run(bridge.authorize_id_tag, **arguments, realtime=False)
        self._decisions = {k: v for k, v in self._decisions.items() if loop.time() - v[0] <= reuse}
        self._decisions[key] = (loop.time(), decision)
        return decision

    def statuses_changed(self, evses: Iterable[int]) -> None:
        """EVSEs whose OCPI status may have changed: published after the debounce."""
        self.central.debouncer.schedule(evses)

    def charger_time(self, value: str | None) -> datetime:
        """A charger timestamp, trusted for the past (offline queues send old ones) but not for the future.

        More than OCPP_CLOCK_SKEW_SECONDS ahead of us (a charger whose clock was never set) becomes our
        receive time, so a Session never starts in the future. Absent (optional in 1.6 StatusNotification)
        is our receive time too.
        """
        now = timezone.now()
        if not value:
            return now
        try:
            moment = parse_datetime(value)
        except ValueError:
            logger.warning("charger %s sent an unreadable timestamp %r; using receive time", self.id, value)
            return now
        skew = timedelta(seconds=float(settings.OCPP_CLOCK_SKEW_SECONDS))
        if moment > now + skew:
            logger.warning("charger %s clock is ahead (%s); using receive time", self.id, value)
            return now
        return moment

    # --- commands to the charger --------------------------------------------------------------------

    async def send_command(self, command: OcppCommand) -> None:
        """Send a claimed OcppCommand as a CALL and store the answer (run as its own task)."""
        outcome: str
        answer: Any
        try:
            payload = getattr(self.call_module, command.action)(**camel_to_snake_case(command.payload))
            result = await self.call(payload, suppress=False, unique_id=command.request_id)  # type: ignore[attr-defined]
        except TimeoutError:
            outcome, answer = OcppCommand.Status.TIMEOUT, None
        except ConnectionClosed:
            outcome, answer = OcppCommand.Status.TIMEOUT, {"error": "connection closed before the answer"}
        except OCPPError as error:
            outcome = OcppCommand.Status.REJECTED
            answer = {"code": error.code, "description": error.description, "details": error.details}
        except (TypeError, AttributeError) as error:
            outcome, answer = OcppCommand.Status.REJECTED, {"error": str(error)}
        else:
            outcome = OcppCommand.Status.ANSWERED
            answer = snake_to_camel_case(remove_nones(serialize_as_dict(result)))
        await self.db(services.command_finish, command_id=command.pk, status=outcome, response=answer)
