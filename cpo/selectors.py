"""What a partner may see of our CPO data (reads only).

The visibility rule itself (§8.3.1 publish / publish_allowed_to) lives in `ocpi.locations.visibility`,
shared with the push so a partner is pushed exactly what it may GET.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from ocpi.core.exceptions import UnknownObject
from ocpi.locations.models import Location
from ocpi.locations.selectors import locations_of_own_parties, own_location_get
from ocpi.locations.visibility import location_visible_to, unpublished_visible_ids
from ocpi.models import Party


def locations_visible_to(*, caller_parties: Iterable[Party]) -> QuerySet[Location]:
    """Our CPO locations a partner may list (§8.3.1 publish / publish_allowed_to), oldest change first.

    Published locations go to every partner. An unpublished one goes only to the eMSP whose drivers
    `publish_allowed_to` names (so it can show it to them, spec examples uc4/uc5); without such a
    list it is private and goes to nobody.
    """
    own = locations_of_own_parties()
    visible = unpublished_visible_ids(locations=own, parties=list(caller_parties))
    return own.filter(Q(publish=True) | Q(pk__in=visible))


def location_visible_get(*, location_id: str, caller_parties: Iterable[Party]) -> Location:
    """One of our locations by id, as UnknownObject when the caller may not see it (§8.2.1.2)."""
    location = own_location_get(location_id=location_id)
    if not location_visible_to(location=location, parties=caller_parties):
        raise UnknownObject(f"Unknown location {location_id}")
    return location
