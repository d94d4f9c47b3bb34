"""Pushing our own Tariffs to partners through the durable outbox (§11.1 Push model, §11.2.2 Receiver).

A Tariff is only ever sent whole: the CPO creates or replaces it with PUT and removes it with DELETE on
`{tariffs_endpoint_url}/{country_code}/{party_id}/{tariff_id}` (§11.2.2; there is no PATCH). The tariff
services call `tariff_pushed` in the change's transaction, for our own tariffs only (a partner's copy is
never pushed back). Tariffs have no publish flag: every registered partner with a Tariffs Receiver gets
them, addressed to its eMSP party.
"""

from __future__ import annotations

from urllib.parse import quote

from ocpi.core.exceptions import UnknownObject
from ocpi.core.routing import PartyRef
from ocpi.core.types import Role
from ocpi.models import Party
from ocpi.sync.outbox import Push, outbox_enqueue, push_audience
from ocpi.tariffs.models import Tariff
from ocpi.tariffs.selectors import tariff_get
from ocpi.tariffs.services import tariff_to_json

MODULE = "tariffs"


def tariff_object_key(tariff: Tariff) -> str:
    return f"{tariff.country_code}/{tariff.ocpi_party_id}/{tariff.ocpi_id}"


def tariff_path(tariff: Tariff) -> str:
    """`/{country_code}/{party_id}/{tariff_id}` (§11.2.2)."""
    return f"/{tariff.country_code}/{tariff.ocpi_party_id}/{quote(tariff.ocpi_id, safe='')}"


def tariff_put_push(tariff: Tariff) -> Push:
    """PUT of the whole Tariff (§11.2.2.2)."""
    return Push(
        module=MODULE,
        object_key=tariff_object_key(tariff),
        method="PUT",
        path=tariff_path(tariff),
        body=tariff_to_json(tariff),
        from_party=PartyRef(tariff.country_code, tariff.ocpi_party_id),
    )


def tariff_delete_push(tariff: Tariff) -> Push:
    """DELETE of the Tariff (§11.2.2.3), no body."""
    return Push(
        module=MODULE,
        object_key=tariff_object_key(tariff),
        method="DELETE",
        path=tariff_path(tariff),
        from_party=PartyRef(tariff.country_code, tariff.ocpi_party_id),
    )


def tariff_pushed(*, tariff: Tariff, party: Party, deleted: bool = False) -> None:
    """Queue a PUT of one of our tariffs (new or replaced) or its DELETE. Partners' tariffs are never
    pushed. Call it inside the change's transaction (after a delete the instance still has its ids)."""
    if party.platform_id is not None:
        return
    push = tariff_delete_push(tariff) if deleted else tariff_put_push(tariff)
    outbox_enqueue(push=push, audience=push_audience(module=MODULE, owner=party, to_role=Role.EMSP))


def tariff_resync(object_key: str, path: str) -> Push | None:
    """A PUT of the whole current Tariff when a partner answered with "unknown object", None when it is
    gone. Tariffs are never PATCHed, so this only serves the outbox's generic recovery."""
    country_code, party_id, tariff_id = object_key.split("/", 2)
    try:
        tariff = tariff_get(country_code=country_code, party_id=party_id, tariff_id=tariff_id)
    except UnknownObject:
        return None
    return tariff_put_push(tariff)
