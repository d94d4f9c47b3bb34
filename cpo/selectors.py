"""What a partner may see of our CPO data (reads only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from ocpi.core.exceptions import UnknownObject
from ocpi.locations.models import Location
from ocpi.locations.selectors import locations_of_own_parties, own_location_get
from ocpi.models import Party
from ocpi.tokens.models import Token


def _entry_matches(entry: dict[str, Any], tokens: list[Token]) -> bool:
    """§8.4.20 PublishTokenType: uid (+type), visual_number (+issuer) or group_id identify the driver."""
    for token in tokens:
        uid_matches = bool(entry.get("uid")) and entry["uid"].upper() == token.uid.upper()
        if uid_matches and (not entry.get("type") or entry["type"] == token.type):
            return True
        visual_matches = bool(entry.get("visual_number")) and entry["visual_number"] == token.visual_number
        if visual_matches and (not entry.get("issuer") or entry["issuer"] == token.issuer):
            return True
        if entry.get("group_id") and token.group_id and entry["group_id"].upper() == token.group_id.upper():
            return True
    return False


def _unpublished_visible_ids(caller_parties: Iterable[Party]) -> list[int]:
    """Unpublished locations whose publish_allowed_to names a driver of one of the caller's eMSP parties."""
    emsp = [p for p in caller_parties if p.role == "EMSP"]
    if not emsp:
        return []
    rows = (
        locations_of_own_parties()
        .filter(publish=False)
        .exclude(publish_allowed_to__isnull=True)
        .values_list("pk", "publish_allowed_to")
    )
    candidates: list[tuple[int, list[dict[str, Any]]]] = [(pk, entries) for pk, entries in rows if entries]
    if not candidates:
        return []
    uids, visuals, groups = set(), set(), set()
    for _, entries in candidates:
        for entry in entries:
            uids.add((entry.get("uid") or "").upper())
            visuals.add(entry.get("visual_number") or "")
            groups.add((entry.get("group_id") or "").upper())
    owner = Q()
    for party in emsp:
        owner |= Q(party=party)
    lookups = Q(uid__in=[u for u in uids if u]) | Q(visual_number__in=[v for v in visuals if v])
    lookups |= Q(group_id__in=[g for g in groups if g])
    tokens = list(Token.objects.filter(owner).filter(lookups))
    return [pk for pk, entries in candidates if any(_entry_matches(e, tokens) for e in entries)]


def locations_visible_to(*, caller_parties: Iterable[Party]) -> QuerySet[Location]:
    """Our CPO locations a partner may list (§8.3.1 publish / publish_allowed_to), oldest change first.

    Published locations go to every partner. An unpublished one goes only to the eMSP whose drivers
    `publish_allowed_to` names (so it can show it to them, spec examples uc4/uc5); without such a
    list it is private and goes to nobody. See docs/decisions.md.
    """
    parties = list(caller_parties)
    return locations_of_own_parties().filter(Q(publish=True) | Q(pk__in=_unpublished_visible_ids(parties)))


def location_visible_get(*, location_id: str, caller_parties: Iterable[Party]) -> Location:
    location = own_location_get(location_id=location_id)
    if not location.publish and location.pk not in _unpublished_visible_ids(list(caller_parties)):
        raise UnknownObject(f"Unknown location {location_id}")
    return location
