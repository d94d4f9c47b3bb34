"""Who may see one of our own locations (§8.3.1 `publish`/`publish_allowed_to`, §8.4.20 PublishTokenType).

One rule for the CPO Sender (GET list and object, `cpo.selectors`) and for the push
(`ocpi.locations.push`), so a partner is pushed exactly what it may GET:

- a published location is for every partner;
- an unpublished one only for the eMSP parties owning a token its `publish_allowed_to` names, so they
  can show it to those drivers (spec examples uc4/uc5); without such a list it is private: nobody.

A PublishTokenType entry names a driver by `uid` (and `type` when given), by `visual_number` (and
`issuer` when given) or by `group_id` (§8.4.20); ids are compared case-insensitively (CiString, §16.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Upper

from ocpi.core.types import Role
from ocpi.locations.models import Location
from ocpi.models import Party
from ocpi.tokens.models import Token

PublishAllowedTo = Sequence[Mapping[str, Any]]
"""`publish_allowed_to` as stored: the wire JSON of a list of PublishTokenType."""


def entry_matches(entry: Mapping[str, Any], token: Token) -> bool:
    """Whether one PublishTokenType entry names this token's driver (§8.4.20)."""
    uid = entry.get("uid")
    if uid and uid.upper() == token.uid.upper() and (not entry.get("type") or entry["type"] == token.type):
        return True
    visual = entry.get("visual_number")
    if (
        visual
        and visual == token.visual_number
        and (not entry.get("issuer") or entry["issuer"] == token.issuer)
    ):
        return True
    group = entry.get("group_id")
    return bool(group and token.group_id and group.upper() == token.group_id.upper())


def _named_tokens(lists: Iterable[PublishAllowedTo], parties: Sequence[Party]) -> list[Token]:
    """The tokens of `parties` that any entry of `lists` could name, in one query (matched afterwards)."""
    uids, visuals, groups = set(), set(), set()
    for entries in lists:
        for entry in entries:
            if entry.get("uid"):
                uids.add(entry["uid"].upper())
            if entry.get("visual_number"):
                visuals.add(entry["visual_number"])
            if entry.get("group_id"):
                groups.add(entry["group_id"].upper())
    if not parties or not (uids or visuals or groups):
        return []
    lookups = Q(uid_ci__in=uids) | Q(visual_number__in=visuals) | Q(group_ci__in=groups)
    tokens = Token.objects.alias(uid_ci=Upper("uid"), group_ci=Upper("group_id"))
    return list(tokens.filter(party__in=parties).filter(lookups))


def _emsp(parties: Iterable[Party]) -> list[Party]:
    return [p for p in parties if p.role == Role.EMSP]


def allowed_parties(
    *, publish: bool, publish_allowed_to: PublishAllowedTo | None, parties: Iterable[Party]
) -> list[Party]:
    """Those of `parties` that may see a location with these publish settings (one query at most).

    Published: all of them. Unpublished: the eMSP parties owning a token the list names. Taking the
    settings rather than a Location lets the push compare the audience before and after a change.
    """
    candidates = list(parties)
    if publish:
        return candidates
    emsp = _emsp(candidates)
    if not publish_allowed_to or not emsp:
        return []
    tokens = _named_tokens([publish_allowed_to], emsp)
    owners = {t.party_id for t in tokens if any(entry_matches(e, t) for e in publish_allowed_to)}
    return [p for p in emsp if p.pk in owners]


def location_visible_to(*, location: Location, parties: Iterable[Party]) -> bool:
    """Whether the platform owning `parties` (a caller, or a push audience member) may see `location`."""
    if location.publish:
        return True
    return bool(
        allowed_parties(publish=False, publish_allowed_to=location.publish_allowed_to, parties=parties)
    )


def unpublished_visible_ids(*, locations: QuerySet[Location], parties: Iterable[Party]) -> list[int]:
    """Pks of the unpublished ones among `locations` that `parties` may see: the same rule as
    `location_visible_to`, for a whole list in two queries (GET list filtering)."""
    emsp = _emsp(parties)
    if not emsp:
        return []
    rows = (
        locations.filter(publish=False)
        .exclude(publish_allowed_to__isnull=True)
        .values_list("pk", "publish_allowed_to")
    )
    candidates: list[tuple[int, PublishAllowedTo]] = [(pk, entries) for pk, entries in rows if entries]
    tokens = _named_tokens((entries for _, entries in candidates), emsp)
    if not tokens:
        return []
    return [pk for pk, entries in candidates if any(entry_matches(e, t) for e in entries for t in tokens)]
