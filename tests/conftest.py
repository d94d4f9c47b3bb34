"""Shared fixtures: registered partner platforms with their tokens, and an API client that speaks OCPI."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from ocpi.core.auth import encode_token
from ocpi.models import CredentialsToken, Party, Platform, token_hash

# The spec lives beside the checkout: <checkout>/../shared/ocpi-2.2.1 (also on CI).
EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "ocpi-2.2.1" / "examples"


def example(name: str) -> Any:
    """An example JSON file of the OCPI 2.2.1 spec (../shared/ocpi-2.2.1/examples)."""
    return json.loads((EXAMPLES / name).read_text())


@dataclass
class Partner:
    platform: Platform
    token: str
    parties: list[Party]

    @property
    def auth(self) -> str:
        return encode_token(self.token)

    def client(self, *, plain: bool = False, **headers: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {self.token}" if plain else self.auth, **headers)
        return client


@pytest.fixture
def make_partner(db: Any) -> Callable[..., Partner]:
    """A registered partner platform with the given parties, e.g. make_partner([("DE", "ABC", "CPO")])."""
    counter = iter(range(1, 10_000))

    def make(
        parties: list[tuple[str, str, str]] | None = None,
        *,
        name: str | None = None,
        token: str | None = None,
        status: str = Platform.Status.REGISTERED,
    ) -> Partner:
        n = next(counter)
        platform = Platform.objects.create(
            name=name or f"partner-{n}",
            status=status,
            versions_url=f"http://partner{n}.test/ocpi/versions",
            outgoing_token=f"outgoing-{n}",
        )
        raw = token or f"token-of-partner-{n}"
        CredentialsToken.objects.create(
            platform=platform, kind=CredentialsToken.Kind.ACCESS, token_hash=token_hash(raw)
        )
        rows = [
            Party.objects.create(
                country_code=cc, party_id=pid, role=role, platform=platform, business_name=f"{cc}{pid}"
            )
            for cc, pid, role in (parties or [("DE", f"P{n:02d}", "EMSP")])
        ]
        return Partner(platform=platform, token=raw, parties=rows)

    return make


@pytest.fixture
def partner(make_partner: Callable[..., Partner]) -> Partner:
    """One registered eMSP partner DE-ABC."""
    return make_partner([("DE", "ABC", "EMSP")])


@pytest.fixture
def cpo_partner(make_partner: Callable[..., Partner]) -> Partner:
    """One registered CPO partner DE-CPO."""
    return make_partner([("DE", "CPO", "CPO")])
