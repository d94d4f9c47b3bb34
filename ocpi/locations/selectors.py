"""Reads of Locations, EVSEs and Connectors (§8), shaped for rendering without extra queries.

Selectors of one object prefetch its EVSEs and connectors in the order they were sent (`position`),
so `services.location_to_json` runs no query of its own. List selectors return ordered querysets
for the pagination helper; `services.locations_to_json(page)` renders a page in two more queries,
whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from ocpi.core.exceptions import UnknownObject
from ocpi.locations.models import EVSE, Connector, Location
from ocpi.models import Party

OWN_LOCATION_ROLES = ("CPO",)


# Prefetched children land in plain lists (Prefetch.to_attr): Django then skips building a related
# manager and queryset per parent row, which is most of the cost of rendering a page.
EVSES_ATTR = "prefetched_evses"
CONNECTORS_ATTR = "prefetched_connectors"


def connectors_prefetch() -> Prefetch:
    """An EVSE's connectors in the order they were sent, as a list in EVSE.prefetched_connectors."""
    return Prefetch(
        "connectors", queryset=Connector.objects.order_by("position", "pk"), to_attr=CONNECTORS_ATTR
    )


def evses_prefetch() -> Prefetch:
    """A location's EVSEs then their connectors, in the order sent, as lists (see EVSES_ATTR)."""
    return Prefetch(
        "evses",
        queryset=EVSE.objects.order_by("position", "pk").prefetch_related(connectors_prefetch()),
        to_attr=EVSES_ATTR,
    )


def evses_of(location: Location) -> list[EVSE]:
    """The location's EVSEs in order: the prefetched list, or one query when not prefetched."""
    evses: list[EVSE] | None = getattr(location, EVSES_ATTR, None)
    return list(location.evses.order_by("position", "pk")) if evses is None else evses


def connectors_of(evse: EVSE) -> list[Connector]:
    """The EVSE's connectors in order: the prefetched list, or one query when not prefetched."""
    connectors: list[Connector] | None = getattr(evse, CONNECTORS_ATTR, None)
    return list(evse.connectors.order_by("position", "pk")) if connectors is None else connectors


def _locations() -> QuerySet[Location]:
    return Location.objects.select_related("party").prefetch_related(evses_prefetch())


def _one(queryset: QuerySet[Location], what: str) -> Location:
    location = queryset.first()
    if location is None:
        raise UnknownObject(f"Unknown location {what}")
    return location


def location_get(*, country_code: str, party_id: str, location_id: str) -> Location:
    """A location by its full key (Receiver interface, §8.2.2), EVSEs and connectors prefetched."""
    queryset = _locations().filter(
        country_code=country_code.upper(), ocpi_party_id=party_id.upper(), ocpi_id__iexact=location_id
    )
    return _one(queryset, f"{country_code}/{party_id}/{location_id}")


def own_location_get(*, location_id: str, roles: Iterable[str] = OWN_LOCATION_ROLES) -> Location:
    """One of our own locations by id alone (Sender GET Object, §8.2.1.1: the URL has no party).

    Location ids are unique "within the CPO's platform" (§8.3.1); with several own CPO parties the
    oldest location wins, deterministically.
    """
    queryset = _locations().filter(
        party__platform__isnull=True, party__role__in=list(roles), ocpi_id__iexact=location_id
    )
    return _one(queryset.order_by("pk"), location_id)


def evse_get(*, location: Location, evse_uid: str) -> EVSE:
    """An EVSE of `location` by uid, connectors prefetched; uses the location's prefetched EVSEs if any."""
    wanted = evse_uid.upper()
    for evse in evses_of(location):
        if evse.uid.upper() == wanted:
            return evse
    raise UnknownObject(f"Unknown EVSE {evse_uid} at location {location.ocpi_id}")


def connector_get(*, evse: EVSE, connector_id: str) -> Connector:
    """A connector of `evse` by id; uses the EVSE's prefetched connectors if any."""
    wanted = connector_id.upper()
    for connector in connectors_of(evse):
        if connector.ocpi_id.upper() == wanted:
            return connector
    raise UnknownObject(f"Unknown connector {connector_id} of EVSE {evse.uid}")


def locations_of_own_parties(*, roles: Iterable[str] = OWN_LOCATION_ROLES) -> QuerySet[Location]:
    """Our own CPO parties' locations for a partner's GET list (§8.2.1.1), oldest change first.

    Every own location is listed, published or not. `publish`/`publish_allowed_to` are instructions
    to the receiver about whom it may *show* the location to (§8.3.1): an unpublished location is
    still shared so an eMSP helpdesk can use it (spec example uc3), and a `publish_allowed_to`
    location must reach the eMSPs so they can show it to the matching token owners (uc4, uc5);
    parties not owning the token "MAY show this location ... but only to the owner of that Token".
    A PublishTokenType matches tokens, not platforms, so it cannot narrow the list per partner.

    Ordered by (last_updated, pk) for stable offset paging and date_from/date_to filtering. EVSEs
    are not prefetched: render the page with `services.locations_to_json(page)`, which reads the
    whole page's EVSEs and connectors in two queries as plain rows (much cheaper than prefetching
    model instances); `location_to_json` per row would query per location.
    """
    return Location.objects.filter(party__platform__isnull=True, party__role__in=list(roles)).order_by(
        "last_updated", "pk"
    )


def locations_of_party(*, party: Party) -> QuerySet[Location]:
    """One party's locations (e.g. a partner CPO's copies held by our eMSP), ordered and rendered like
    `locations_of_own_parties`."""
    return Location.objects.filter(party=party).order_by("last_updated", "pk")
