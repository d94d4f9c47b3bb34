"""Reads of the OCPP side: what the server needs at connect time and what the web side may ask."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from cpo.ocpp.models import ChargePoint, OcppCommand


@dataclass(frozen=True)
class Login:
    """What the WebSocket upgrade needs to know about a charger (OCPP security profile 1)."""

    pk: int
    identity: str
    password_hash: str


def charge_point_login(*, identity: str) -> Login | None:
    """The charger registered under exactly this identity, if any."""
    row = ChargePoint.objects.filter(identity=identity).values_list("pk", "identity", "password_hash").first()
    return Login(*row) if row is not None else None


def charger_command_get(*, request_id: str) -> OcppCommand:
    """A command queued with `charger_send`, with its status and the charger's answer."""
    return OcppCommand.objects.select_related("charge_point").get(request_id=request_id)


def commands_pending(
    *, charge_point_ids: Sequence[int] | None = None, node: str | None = None
) -> list[OcppCommand]:
    """PENDING commands of the given chargers, or of every charger connected to `node`, oldest first."""
    queryset = OcppCommand.objects.filter(status=OcppCommand.Status.PENDING, expires_at__gt=timezone.now())
    if charge_point_ids is not None:
        queryset = queryset.filter(charge_point_id__in=list(charge_point_ids))
    if node is not None:
        queryset = queryset.filter(charge_point__node=node, charge_point__connected=True)
    return list(queryset.select_related("charge_point").order_by("pk"))


def charge_points_held_elsewhere(*, charge_point_ids: Sequence[int], node: str) -> list[int]:
    """Of the chargers this node holds, those whose newest connection is on another node."""
    moved: list[int] = []
    for offset in range(0, len(charge_point_ids), 500):
        chunk = list(charge_point_ids[offset : offset + 500])
        moved += (
            ChargePoint.objects.filter(pk__in=chunk, connected=True)
            .exclude(node=node)
            .values_list("pk", flat=True)
        )
    return moved
