"""Parties owning the spec examples' tariffs: ours (no platform) or a registered partner's."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ocpi.models import Party, Platform


@pytest.fixture
def own_party(db) -> Callable[[str, str], Party]:
    """Our own CPO party with the given codes, e.g. own_party("BE", "BEC")."""

    def make(country_code: str, party_id: str) -> Party:
        party, _ = Party.objects.get_or_create(
            country_code=country_code, party_id=party_id, role="CPO", defaults={"business_name": party_id}
        )
        assert party.platform_id is None
        return party

    return make


@pytest.fixture
def partner_party(db) -> Callable[[str, str], Party]:
    """A registered partner platform's CPO party with the given codes (its tariffs are copies)."""

    def make(country_code: str, party_id: str) -> Party:
        platform, _ = Platform.objects.get_or_create(name="partner-cpo", status=Platform.Status.REGISTERED)
        party, _ = Party.objects.get_or_create(
            country_code=country_code,
            party_id=party_id,
            role="CPO",
            defaults={"business_name": party_id, "platform": platform},
        )
        assert party.platform_id == platform.pk
        return party

    return make
