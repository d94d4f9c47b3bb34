"""Services on platforms and parties that are not part of the credentials handshake."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from ocpi.models import Party, RoleChoices


def own_parties_sync(*, using: str = "default") -> list[Party]:
    """Create or update our own parties from OCPI_COUNTRY_CODE/OCPI_PARTY_ID/OCPI_ROLES (run on migrate).

    Parties added in admin are left alone: the settings define the default identity, not all of them.
    """
    parties = []
    with transaction.atomic(using=using):
        for role in settings.OCPI_ROLES:
            if role not in RoleChoices.values:
                raise ValueError(
                    f"OCPI_ROLES: unknown role {role!r} (expected {', '.join(RoleChoices.values)})"
                )
            party, _ = Party.objects.using(using).update_or_create(
                country_code=settings.OCPI_COUNTRY_CODE,
                party_id=settings.OCPI_PARTY_ID,
                role=role,
                platform=None,
                defaults={
                    "business_name": settings.OCPI_BUSINESS_NAME,
                    "business_website": settings.OCPI_BUSINESS_WEBSITE or "",
                },
            )
            parties.append(party)
    return parties
