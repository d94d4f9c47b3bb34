"""Credentials (§7): server side over HTTP, client side as services; the partner is mocked."""

from __future__ import annotations

import base64
import json

import pytest
import responses
from rest_framework.test import APIClient

from ocpi.credentials.services import (
    RegistrationFailed,
    platform_create,
    platform_invite,
    platform_register,
    platform_unregister,
    platform_update_credentials,
)
from ocpi.models import CredentialsToken, Party, Platform, token_hash

pytestmark = pytest.mark.django_db

THEIR_VERSIONS = "http://them.test/ocpi/versions"
THEIR_DETAILS = "http://them.test/ocpi/2.2.1"
THEIR_CREDENTIALS = "http://them.test/ocpi/2.2.1/credentials"


def b64(token: str) -> str:
    return "Token " + base64.b64encode(token.encode()).decode()


def envelope(data):
    return {"data": data, "status_code": 1000, "timestamp": "2024-01-01T00:00:00Z"}


def their_credentials(token="token-b-from-them", party=("DE", "THM"), role="EMSP"):
    return {
        "token": token,
        "url": THEIR_VERSIONS,
        "roles": [
            {
                "role": role,
                "party_id": party[1],
                "country_code": party[0],
                "business_details": {"name": "Them", "website": "https://them.test"},
            }
        ],
    }


def mock_their_versions(versions=("2.1.1", "2.2.1"), endpoints=None):
    responses.get(
        THEIR_VERSIONS,
        json=envelope([{"version": v, "url": f"http://them.test/ocpi/{v}"} for v in versions]),
    )
    if endpoints is None:
        endpoints = [
            {"identifier": "credentials", "role": "SENDER", "url": THEIR_CREDENTIALS},
            {
                "identifier": "locations",
                "role": "RECEIVER",
                "url": "http://them.test/ocpi/emsp/2.2.1/locations",
            },
        ]
    responses.get(THEIR_DETAILS, json=envelope({"version": "2.2.1", "endpoints": endpoints}))


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=b64(token))
    return client


@pytest.fixture
def invited():
    return platform_invite(name="them")


def post_credentials(token: str, body):
    return client_with(token).post(
        "/ocpi/2.2.1/credentials", data=json.dumps(body), content_type="application/json"
    )


# --- server side: POST -------------------------------------------------------------------------------


@responses.activate
def test_post_registers_and_answers_with_a_new_token(invited):
    platform, token_a = invited
    mock_their_versions()
    response = post_credentials(token_a, their_credentials())
    assert response.status_code == 200
    data = response.json()
    assert data["status_code"] == 1000
    token_c = data["data"]["token"]
    assert token_c != token_a
    assert data["data"]["url"] == "http://127.0.0.1:8000/ocpi/versions"
    assert {(r["role"], r["country_code"], r["party_id"]) for r in data["data"]["roles"]} == {
        ("CPO", "NL", "OCP"),
        ("EMSP", "NL", "OCP"),
    }
    # we fetched their versions with THEIR token B, base64-encoded
    assert responses.calls[0].request.headers["Authorization"] == b64("token-b-from-them")
    platform.refresh_from_db()
    assert platform.status == Platform.Status.REGISTERED
    assert platform.outgoing_token == "token-b-from-them"
    assert platform.version == "2.2.1"
    assert {(e.identifier, e.role) for e in platform.endpoints.all()} == {
        ("credentials", "SENDER"),
        ("locations", "RECEIVER"),
    }
    assert [(p.country_code, p.party_id, p.role) for p in platform.parties.all()] == [("DE", "THM", "EMSP")]
    # Token A is spent, token C works
    assert client_with(token_a).get("/ocpi/versions").status_code == 401
    got = client_with(token_c).get("/ocpi/2.2.1/credentials").json()
    assert got["data"]["token"] == token_c
    assert not CredentialsToken.objects.filter(token_hash=token_c).exists()  # stored hashed only
    assert CredentialsToken.objects.filter(token_hash=token_hash(token_c)).exists()


@responses.activate
def test_post_again_after_registration_is_405(invited):
    _, token_a = invited
    mock_their_versions()
    token_c = post_credentials(token_a, their_credentials()).json()["data"]["token"]
    response = post_credentials(token_c, their_credentials())
    assert response.status_code == 405
    assert response.json()["status_code"] == 2000


def assert_nothing_stored(platform: Platform, token_a: str) -> None:
    platform.refresh_from_db()
    assert platform.status == Platform.Status.INVITED
    assert platform.outgoing_token == ""
    assert not platform.endpoints.exists()
    assert not platform.parties.exists()
    assert client_with(token_a).get("/ocpi/versions").status_code == 200  # Token A still usable


@responses.activate
def test_post_when_their_versions_cannot_be_fetched_is_3001_and_stores_nothing(invited):
    platform, token_a = invited
    responses.get(THEIR_VERSIONS, status=500, body="oops")
    data = post_credentials(token_a, their_credentials()).json()
    assert data["status_code"] == 3001
    assert_nothing_stored(platform, token_a)


@responses.activate
def test_post_without_a_mutual_version_is_3002(invited):
    platform, token_a = invited
    mock_their_versions(versions=("2.1.1",))
    data = post_credentials(token_a, their_credentials()).json()
    assert data["status_code"] == 3002
    assert "2.1.1" in data["status_message"]
    assert_nothing_stored(platform, token_a)


@responses.activate
def test_post_without_their_credentials_endpoint_is_3003(invited):
    platform, token_a = invited
    mock_their_versions(
        endpoints=[{"identifier": "locations", "role": "SENDER", "url": "http://them.test/l"}]
    )
    data = post_credentials(token_a, their_credentials()).json()
    assert data["status_code"] == 3003
    assert_nothing_stored(platform, token_a)


@responses.activate
def test_post_claiming_our_own_party_is_2001_and_stores_nothing(invited):
    platform, token_a = invited
    mock_their_versions()
    data = post_credentials(token_a, their_credentials(party=("NL", "OCP"), role="CPO")).json()
    assert data["status_code"] == 2001
    assert_nothing_stored(platform, token_a)


def test_post_with_invalid_credentials_object_is_2001_naming_the_field(invited):
    _, token_a = invited
    body = their_credentials()
    body["token"] = "has space"
    data = post_credentials(token_a, body).json()
    assert data["status_code"] == 2001
    assert "token" in data["status_message"]


# --- server side: PUT, DELETE, GET ----------------------------------------------------------------------


@pytest.fixture
def registered(invited):
    platform, token_a = invited
    with responses.RequestsMock() as mock:
        mock.get(THEIR_VERSIONS, json=envelope([{"version": "2.2.1", "url": THEIR_DETAILS}]))
        mock.get(
            THEIR_DETAILS,
            json=envelope(
                {
                    "version": "2.2.1",
                    "endpoints": [{"identifier": "credentials", "role": "SENDER", "url": THEIR_CREDENTIALS}],
                }
            ),
        )
        token_c = post_credentials(token_a, their_credentials()).json()["data"]["token"]
    platform.refresh_from_db()
    return platform, token_c


@responses.activate
def test_put_rotates_our_token_and_stores_theirs(registered):
    platform, token_c = registered
    mock_their_versions()
    response = client_with(token_c).put(
        "/ocpi/2.2.1/credentials",
        data=json.dumps(their_credentials(token="their-new-token")),
        content_type="application/json",
    )
    assert response.status_code == 200
    new_c = response.json()["data"]["token"]
    assert new_c != token_c
    platform.refresh_from_db()
    assert platform.outgoing_token == "their-new-token"
    assert responses.calls[0].request.headers["Authorization"] == b64("their-new-token")
    assert client_with(token_c).get("/ocpi/2.2.1/credentials").status_code == 401
    assert client_with(new_c).get("/ocpi/2.2.1/credentials").status_code == 200


def test_put_before_registration_is_405(invited):
    _, token_a = invited
    response = client_with(token_a).put(
        "/ocpi/2.2.1/credentials", data=json.dumps(their_credentials()), content_type="application/json"
    )
    assert response.status_code == 405


def test_delete_unregisters(registered):
    platform, token_c = registered
    response = client_with(token_c).delete("/ocpi/2.2.1/credentials")
    assert response.status_code == 200
    assert response.json()["status_code"] == 1000
    platform.refresh_from_db()
    assert platform.status == Platform.Status.UNREGISTERED
    assert platform.outgoing_token == ""
    assert not platform.endpoints.exists()
    assert client_with(token_c).get("/ocpi/2.2.1/credentials").status_code == 401


def test_delete_before_registration_is_405(invited):
    _, token_a = invited
    assert client_with(token_a).delete("/ocpi/2.2.1/credentials").status_code == 405


# --- client side ------------------------------------------------------------------------------------


@responses.activate
def test_platform_register_posts_token_b_and_stores_token_c():
    platform = platform_create(versions_url=THEIR_VERSIONS, token_a="their-token-a", name="them")
    mock_their_versions()
    seen = {}

    def on_post(request):
        body = json.loads(request.body)
        seen["auth"] = request.headers["Authorization"]
        # token B must already work: they fetch our versions with it during this very call
        seen["b_valid"] = CredentialsToken.objects.filter(
            token_hash=token_hash(body["token"]), revoked_at__isnull=True
        ).exists()
        seen["roles"] = body["roles"]
        return (
            200,
            {},
            json.dumps(envelope(their_credentials(token="token-c-from-them", party=("DE", "THM")))),
        )

    responses.add_callback(responses.POST, THEIR_CREDENTIALS, callback=on_post)
    platform_register(platform=platform)
    platform.refresh_from_db()
    assert seen["auth"] == b64("their-token-a")
    assert seen["b_valid"] is True
    assert {r["role"] for r in seen["roles"]} == {"CPO", "EMSP"}
    assert platform.status == Platform.Status.REGISTERED
    assert platform.outgoing_token == "token-c-from-them"
    assert Party.objects.filter(platform=platform, party_id="THM").exists()


@responses.activate
def test_platform_register_failure_removes_token_b_and_keeps_the_error():
    platform = platform_create(versions_url=THEIR_VERSIONS, token_a="their-token-a", name="them")
    mock_their_versions()
    responses.post(THEIR_CREDENTIALS, json={"status_code": 2001, "status_message": "nope", "timestamp": "x"})
    with pytest.raises(RegistrationFailed, match="2001"):
        platform_register(platform=platform)
    platform.refresh_from_db()
    assert platform.status == Platform.Status.NEW
    assert not platform.tokens.exists()
    assert not platform.parties.exists()
    assert "nope" in platform.last_error


@responses.activate
def test_platform_register_unreachable_partner_fails_cleanly():
    platform = platform_create(versions_url="http://127.0.0.1:9/ocpi/versions", token_a="a", name="them")
    responses.add_passthru("http://127.0.0.1:9")
    with pytest.raises(RegistrationFailed, match="3001"):
        platform_register(platform=platform)
    assert not platform.tokens.exists()


@responses.activate
def test_platform_update_credentials_rotates_both_tokens(registered):
    platform, token_c = registered
    mock_their_versions()
    responses.put(THEIR_CREDENTIALS, json=envelope(their_credentials(token="rotated-by-them")))
    platform_update_credentials(platform=platform)
    platform.refresh_from_db()
    assert platform.outgoing_token == "rotated-by-them"
    sent = json.loads(responses.calls[0].request.body)
    assert client_with(token_c).get("/ocpi/2.2.1/credentials").status_code == 401
    assert client_with(sent["token"]).get("/ocpi/2.2.1/credentials").status_code == 200


@responses.activate
def test_platform_unregister_deletes_at_partner_and_forgets(registered):
    platform, token_c = registered
    responses.delete(THEIR_CREDENTIALS, json=envelope(None))
    platform_unregister(platform=platform)
    platform.refresh_from_db()
    assert platform.status == Platform.Status.UNREGISTERED
    assert responses.calls[0].request.headers["Authorization"] == b64("token-b-from-them")
    assert client_with(token_c).get("/ocpi/2.2.1/credentials").status_code == 401
