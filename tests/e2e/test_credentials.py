"""End-to-end credentials handshake (OCPI 2.2.1 §7) between two live platforms, over real HTTP.

A is NL-AAA (CPO), B is DE-BBB (eMSP). On A, B's platform row is named "beta"; on B, A's is "alpha".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.harness import LivePlatform, Platforms, PlatformSpec, parallel

pytestmark = pytest.mark.e2e

NAMES = {"NL-AAA": "alpha", "DE-BBB": "beta"}  # the name a platform's partner gives it


@pytest.fixture(scope="module")
def pair(platforms: Platforms) -> Iterator[tuple[LivePlatform, LivePlatform]]:
    a, b = platforms.start(
        PlatformSpec("NL", "AAA", ("CPO",), "Alpha Charging"),
        PlatformSpec("DE", "BBB", ("EMSP",), "Beta Mobility"),
    )
    yield a, b
    platforms.destroy(a, b)


@pytest.fixture
def a(pair: tuple[LivePlatform, LivePlatform]) -> LivePlatform:
    return pair[0]


@pytest.fixture
def b(pair: tuple[LivePlatform, LivePlatform]) -> LivePlatform:
    return pair[1]


@pytest.fixture(autouse=True)
def no_partners(pair: tuple[LivePlatform, LivePlatform]) -> None:
    """Every test starts with two platforms that have never heard of each other."""
    for platform in pair:
        if not platform.running:
            platform.start()
    parallel(LivePlatform.reset_partners, pair)


# --- helpers --------------------------------------------------------------------------------------


@dataclass
class PartnerRow:
    """What a platform stored about one partner."""

    name: str
    status: str
    versions_url: str
    version: str
    outgoing_token: str
    endpoints: set[tuple[str, str, str]]
    parties: set[tuple[str, str, str]]
    active_tokens: int


def partner_row(platform: LivePlatform, name: str) -> PartnerRow | None:
    rows = platform.sql(
        "SELECT id, status, versions_url, version, outgoing_token FROM ocpi_platform WHERE name = %s", [name]
    )
    if not rows:
        return None
    pk, status, versions_url, version, outgoing_token = rows[0]
    endpoints = platform.sql(
        "SELECT identifier, role, url FROM ocpi_platformendpoint WHERE platform_id = %s", [pk]
    )
    parties = platform.sql("SELECT country_code, party_id, role FROM ocpi_party WHERE platform_id = %s", [pk])
    active = platform.sql(
        "SELECT count(*) FROM ocpi_credentialstoken WHERE platform_id = %s AND revoked_at IS NULL", [pk]
    )
    return PartnerRow(
        name=name,
        status=status,
        versions_url=versions_url,
        version=version,
        outgoing_token=outgoing_token,
        endpoints={tuple(e) for e in endpoints},
        parties={tuple(p) for p in parties},
        active_tokens=active[0][0],
    )


def row(platform: LivePlatform, name: str) -> PartnerRow:
    found = partner_row(platform, name)
    assert found is not None, f"{platform.name} has no partner {name!r}"
    return found


def partner_count(platform: LivePlatform) -> tuple[int, int, int, int]:
    """(platforms, partner parties, tokens, endpoints) stored on a platform."""
    return (
        platform.sql("SELECT count(*) FROM ocpi_platform")[0][0],
        platform.sql("SELECT count(*) FROM ocpi_party WHERE platform_id IS NOT NULL")[0][0],
        platform.sql("SELECT count(*) FROM ocpi_credentialstoken")[0][0],
        platform.sql("SELECT count(*) FROM ocpi_platformendpoint")[0][0],
    )


def invite(inviter: LivePlatform, partner: LivePlatform) -> str:
    """`ocpi_invite` on the inviter for `partner`; checks the printed versions URL, returns Token A."""
    out = inviter.manage("ocpi_invite", "--name", NAMES[partner.name]).stdout
    fields = dict(re.findall(r"^([\w ]+):\s+(\S+)$", out, flags=re.MULTILINE))
    assert fields["platform"] == NAMES[partner.name]
    assert fields["versions URL"] == inviter.versions_url
    return fields["token A"]


def register(registrant: LivePlatform, partner: LivePlatform, token_a: str, *, check: bool = True) -> Any:
    """`ocpi_register <partner versions URL> <token A> --name <partner's name>` on the registrant."""
    return registrant.manage(
        "ocpi_register", partner.versions_url, token_a, "--name", NAMES[partner.name], check=check
    )


def connect(initiator: LivePlatform, inviter: LivePlatform) -> None:
    """The inviter issues a Token A, the initiator registers with it."""
    result = register(initiator, inviter, invite(inviter, initiator))
    assert f"registered with {NAMES[inviter.name]}" in result.stdout


def envelope(response: Any, http_status: int = 200) -> Any:
    """The OCPI envelope of a response, after checking its HTTP status and its shape."""
    assert response.status_code == http_status, f"{response.request.method} {response.url}: {response.text}"
    body = response.json()
    assert set(body) >= {"status_code", "timestamp"}, body
    return body


def ok_data(response: Any) -> Any:
    body = envelope(response)
    assert body["status_code"] == 1000, body
    return body["data"]


def assert_rejected(platform: LivePlatform, token: str) -> None:
    """The token opens nothing on the platform: 401 with an OCPI 2xxx envelope."""
    for path in ("/ocpi/versions", "/ocpi/2.2.1/credentials"):
        body = envelope(platform.get(path, token=token), 401)
        assert 2000 <= body["status_code"] < 3000, body


def assert_token_works(server: LivePlatform, client: LivePlatform, token: str) -> None:
    """`client` reaches `server` with `token`: credentials GET echoes it with server's identity."""
    data = ok_data(server.get("/ocpi/2.2.1/credentials", token=token))
    assert data["token"] == token
    assert data["url"] == server.versions_url
    assert [(r["country_code"], r["party_id"], r["role"]) for r in data["roles"]] == [
        (server.country_code, server.party_id, role) for role in server.roles
    ]
    assert data["roles"][0]["business_details"]["name"] == server.business_name
    details = ok_data(server.get("/ocpi/2.2.1", token=token))
    assert details["version"] == "2.2.1"
    credentials_endpoint = {"identifier": "credentials", "role": "SENDER", "url": server.credentials_url}
    assert credentials_endpoint in details["endpoints"]
    versions = ok_data(server.get("/ocpi/versions", token=token))
    assert {"version": "2.2.1", "url": server.details_url} in versions


def assert_registered(x: LivePlatform, y: LivePlatform) -> tuple[str, str]:
    """x and y know each other as REGISTERED, with parties and endpoints; (token x uses, token y uses)."""
    for me, other in ((x, y), (y, x)):
        stored = row(me, NAMES[other.name])
        assert stored.status == "REGISTERED"
        assert stored.versions_url == other.versions_url
        assert stored.version == "2.2.1"
        assert stored.parties == {(other.country_code, other.party_id, role) for role in other.roles}
        assert ("credentials", "SENDER", other.credentials_url) in stored.endpoints
        assert stored.outgoing_token
        assert stored.active_tokens == 1  # exactly the token the partner uses to call us
    x_token = row(x, NAMES[y.name]).outgoing_token
    y_token = row(y, NAMES[x.name]).outgoing_token
    assert x_token != y_token
    assert_token_works(y, x, x_token)
    assert_token_works(x, y, y_token)
    return x_token, y_token


def assert_forgotten(me: LivePlatform, other: LivePlatform) -> None:
    stored = row(me, NAMES[other.name])
    assert stored.status == "UNREGISTERED"
    assert stored.outgoing_token == ""
    assert stored.endpoints == set()
    assert stored.active_tokens == 0


def credentials_body(platform: LivePlatform, token: str) -> dict[str, Any]:
    """A Credentials object as `platform` would send it."""
    return {
        "token": token,
        "url": platform.versions_url,
        "roles": [
            {
                "role": role,
                "party_id": platform.party_id,
                "country_code": platform.country_code,
                "business_details": {"name": platform.business_name},
            }
            for role in platform.roles
        ],
    }


# --- tests ----------------------------------------------------------------------------------------


def test_platforms_are_up_and_distinct(a: LivePlatform, b: LivePlatform) -> None:
    """Harness sanity: separate ports and databases, own parties from the settings, admin login, 401s."""
    assert a.port != b.port
    assert a.database_url != b.database_url
    for platform in (a, b):
        body = envelope(platform.get("/ocpi/versions"), 401)
        assert body["status_code"] == 2000
        assert set(platform.sql("SELECT country_code, party_id, role FROM ocpi_party")) == {
            (platform.country_code, platform.party_id, role) for role in platform.roles
        }
        assert platform.admin_session().get(platform.url("/admin/"), timeout=15).status_code == 200


def test_register_a_with_b(a: LivePlatform, b: LivePlatform) -> None:
    """B invites, A registers (§7.1.1): both REGISTERED; Token A is spent; tokens B and C both work."""
    token_a_from_a = invite(a, b)  # both invited each other; A is first to register
    token_a = invite(b, a)
    assert row(b, "alpha").status == "INVITED"
    assert_token_works(b, a, token_a)  # a Token A opens versions and credentials before registration

    result = register(a, b, token_a)
    assert "registered with beta (DE-BBB EMSP)" in result.stdout

    token_c, token_b = assert_registered(a, b)
    assert token_a not in (token_b, token_c)
    assert_rejected(b, token_a)
    # Registered: a second POST is refused with 405 (§7.2.2), and changes nothing.
    body = envelope(
        b.post("/ocpi/2.2.1/credentials", credentials_body(a, "another-token"), token=token_c), 405
    )
    assert body["status_code"] >= 2000
    assert row(b, "alpha").outgoing_token == token_b
    # The token only opens the platform that issued it.
    assert_rejected(a, token_c)
    assert_rejected(b, token_b)
    # The invitation A had sent B is void now that they are registered: no second registration with it.
    assert_rejected(a, token_a_from_a)


def test_register_b_with_a(a: LivePlatform, b: LivePlatform) -> None:
    """The same handshake initiated from the other side: A invites, B registers."""
    token_a = invite(a, b)
    result = register(b, a, token_a)
    assert "registered with alpha (NL-AAA CPO)" in result.stdout
    b_to_a, a_to_b = assert_registered(b, a)
    assert token_a not in (a_to_b, b_to_a)
    assert_rejected(a, token_a)


def test_update_credentials_both_ways(a: LivePlatform, b: LivePlatform) -> None:
    """`ocpi_update_credentials` (PUT, §7.2.3) from either side: old tokens 401, new tokens 200."""
    connect(a, b)
    a_to_b, b_to_a = assert_registered(a, b)

    result = a.manage("ocpi_update_credentials", "DE-BBB")  # by party: the platform is named "beta"
    assert "credentials rotated with beta" in result.stdout
    new_a_to_b, new_b_to_a = assert_registered(a, b)
    assert new_a_to_b != a_to_b
    assert new_b_to_a != b_to_a
    assert_rejected(b, a_to_b)
    assert_rejected(a, b_to_a)

    b.manage("ocpi_update_credentials", "alpha")
    newest_a_to_b, newest_b_to_a = assert_registered(a, b)
    assert newest_a_to_b not in (a_to_b, new_a_to_b)
    assert newest_b_to_a not in (b_to_a, new_b_to_a)
    for old in (a_to_b, new_a_to_b):
        assert_rejected(b, old)
    for old in (b_to_a, new_b_to_a):
        assert_rejected(a, old)


def test_unregister_and_register_again(a: LivePlatform, b: LivePlatform) -> None:
    """`ocpi_unregister` (DELETE, §7.2.4): both sides forget each other; a new invitation works again."""
    connect(a, b)
    a_to_b, b_to_a = assert_registered(a, b)

    result = a.manage("ocpi_unregister", "DE-BBB")
    assert "unregistered from beta" in result.stdout
    assert_forgotten(a, b)
    assert_forgotten(b, a)
    assert_rejected(b, a_to_b)
    assert_rejected(a, b_to_a)
    # Unregistered: PUT and DELETE with the old token are refused.
    envelope(b.put("/ocpi/2.2.1/credentials", credentials_body(a, "x"), token=a_to_b), 401)
    envelope(b.delete("/ocpi/2.2.1/credentials", token=a_to_b), 401)
    assert a.manage("ocpi_update_credentials", "beta", check=False).returncode != 0

    # A failed attempt leaves the unregistered partner as it was.
    assert register(a, b, "not-a-token-of-b", check=False).returncode != 0
    assert_forgotten(a, b)

    # The same pair registers again, this time initiated by B.
    connect(b, a)
    again_b_to_a, again_a_to_b = assert_registered(b, a)
    assert again_a_to_b != a_to_b
    assert again_b_to_a != b_to_a


def test_registration_with_unknown_token_a_stores_nothing(a: LivePlatform, b: LivePlatform) -> None:
    """A Token A that B never issued: the command fails; neither side keeps anything."""
    result = register(a, b, "never-issued-by-b", check=False)
    assert result.returncode != 0
    assert "2000" in result.stderr or "401" in result.stderr, result.stderr
    assert partner_count(a) == (0, 0, 0, 0)
    assert partner_count(b) == (0, 0, 0, 0)

    # The same over HTTP: a POST with an unknown token is a 401 and stores nothing.
    envelope(
        b.post("/ocpi/2.2.1/credentials", credentials_body(a, "some-token-b"), token="never-issued"), 401
    )
    assert partner_count(b) == (0, 0, 0, 0)


def test_registration_with_unreachable_partner_stores_nothing(a: LivePlatform, b: LivePlatform) -> None:
    """B cannot reach A's versions during the POST (A is down): nothing half-stored, Token A still valid."""
    token_a = invite(b, a)
    a.stop(kill=True)  # A crashes
    result = register(a, b, token_a, check=False)
    assert result.returncode != 0
    assert "3001" in result.stderr, result.stderr
    assert partner_count(a) == (0, 0, 0, 0)
    invited = row(b, "alpha")
    assert invited.status == "INVITED"
    assert (invited.outgoing_token, invited.endpoints, invited.parties) == ("", set(), set())
    assert invited.active_tokens == 1  # Token A, not spent
    assert_token_works(b, a, token_a)

    a.start()  # same port, same database: A is back and the same Token A now registers
    register(a, b, token_a)
    assert_registered(a, b)
    assert_rejected(b, token_a)


def test_registration_refused_after_partner_accepted_is_undone(a: LivePlatform, b: LivePlatform) -> None:
    """B accepts A's POST, but A cannot store B (its party is taken on A): A unregisters at B again."""
    a.shell(
        "from ocpi.models import Party, Platform\n"
        "p = Platform.objects.create(name='impostor', status='REGISTERED')\n"
        "Party.objects.create(platform=p, country_code='DE', party_id='BBB', role='EMSP', business_name='X')"
    )
    token_a = invite(b, a)
    result = register(a, b, token_a, check=False)
    assert result.returncode != 0
    assert "already registered" in result.stderr, result.stderr
    assert partner_count(a) == (1, 1, 0, 0)  # the impostor and its party only
    assert row(a, "impostor").status == "REGISTERED"
    assert_forgotten(b, a)
    assert_rejected(b, token_a)
