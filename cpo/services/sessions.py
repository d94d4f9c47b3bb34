"""CPO-side session services that are not plain storage: charging preferences (§9.2.1.2)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ocpi.core.exceptions import InvalidParameters, UnknownObject
from ocpi.locations.selectors import evse_get, location_get
from ocpi.models import Party
from ocpi.sessions.models import Session, SessionChargingPreferences
from ocpi.sessions.schemas import ChargingPreferences, ChargingPreferencesResponse
from ocpi.sessions.selectors import sessions_visible_to

CAPABLE = "CHARGING_PREFERENCES_CAPABLE"


@transaction.atomic
def charging_preferences_set(
    *, session_id: str, preferences: ChargingPreferences, caller_parties: list[Party]
) -> ChargingPreferencesResponse:
    """Store the driver's preferences for one of our active sessions and answer (§9.4.1).

    Only the eMSP owning the session's token may set them (other sessions are unknown to it). An
    EVSE without CHARGING_PREFERENCES_CAPABLE answers HTTP 404 with 2001, as §9.4.1 requires.
    """
    session: Session | None = (
        sessions_visible_to(caller_parties=caller_parties).filter(ocpi_id__iexact=session_id).first()
    )
    if session is None:
        raise UnknownObject(f"Unknown session {session_id}")
    try:
        location = location_get(
            country_code=session.country_code, party_id=session.ocpi_party_id, location_id=session.location_id
        )
        evse = evse_get(location=location, evse_uid=session.evse_uid)
    except UnknownObject:
        evse = None
    if evse is None or CAPABLE not in (evse.capabilities or []):
        raise InvalidParameters(
            f"The EVSE of session {session_id} does not support charging preferences", http_status=404
        )
    if session.status not in ("ACTIVE", "PENDING", "RESERVED"):
        answer = ChargingPreferencesResponse.NOT_POSSIBLE
    else:
        answer = ChargingPreferencesResponse.ACCEPTED
    SessionChargingPreferences.objects.update_or_create(
        session=session,
        defaults={"data": preferences.to_json(), "answer": answer.value, "received_at": timezone.now()},
    )
    return answer
