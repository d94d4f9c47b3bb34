"""The OCPI transport kernel: envelope, token auth, request ids, routing headers, error mapping."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ocpi.credentials.services import platform_invite
from ocpi.models import CredentialsToken

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ocpi.kernel_urls")]

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

GOOD_THING = {"name": "abc", "role": "SENDER", "amount": 1.25, "last_updated": "2020-01-01T00:00:00Z"}


def body(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_envelope_shape_on_success(partner):
    response = partner.client().get("/ocpi/versions")
    data = body(response)
    assert response.status_code == 200
    assert set(data) == {"data", "status_code", "timestamp"}
    assert data["status_code"] == 1000
    assert TIMESTAMP.match(data["timestamp"])
    assert data["data"] == [{"version": "2.2.1", "url": "http://127.0.0.1:8000/ocpi/2.2.1"}]


def test_base64_token_is_accepted(partner):
    header = "Token " + base64.b64encode(partner.token.encode()).decode()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/ocpi/2.2.1").status_code == 200


def test_plain_token_is_accepted_for_older_peers(partner):
    assert partner.client(plain=True).get("/ocpi/2.2.1").status_code == 200


@pytest.mark.parametrize("header", [None, "Token ", "Bearer abc", "Token dW5rbm93bg==", "Token unknown"])
def test_missing_or_unknown_token_is_401_with_envelope(partner, header):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/ocpi/2.2.1")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    data = body(response)
    assert data["status_code"] == 2000
    assert "data" not in data
    assert data["status_message"]


def test_revoked_token_is_401(partner):
    CredentialsToken.objects.filter(platform=partner.platform).update(revoked_at=timezone.now())
    assert partner.client().get("/ocpi/2.2.1").status_code == 401


def test_token_a_works_on_versions_and_credentials_only():
    _, token_a = platform_invite(name="newcomer")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + base64.b64encode(token_a.encode()).decode())
    assert client.get("/ocpi/versions").status_code == 200
    assert client.get("/ocpi/2.2.1").status_code == 200
    assert client.get("/ocpi/2.2.1/credentials").status_code == 200
    response = client.get("/test/things")
    assert response.status_code == 401
    assert "Token A" in body(response)["status_message"]


def test_spent_token_a_is_401():
    platform, token_a = platform_invite(name="newcomer")
    platform.tokens.update(revoked_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + base64.b64encode(token_a.encode()).decode())
    assert client.get("/ocpi/versions").status_code == 401


def test_request_and_correlation_ids_are_echoed(partner):
    response = partner.client().get(
        "/ocpi/versions", HTTP_X_REQUEST_ID="req-1", HTTP_X_CORRELATION_ID="corr-1"
    )
    assert response["X-Request-ID"] == "req-1"
    assert response["X-Correlation-ID"] == "corr-1"


def test_request_ids_are_generated_when_absent(partner):
    first = partner.client().get("/ocpi/versions")
    second = partner.client().get("/ocpi/versions")
    assert re.match(r"^[0-9a-f-]{36}$", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert first["X-Correlation-ID"]
    assert first["X-Correlation-ID"] != first["X-Request-ID"]


def test_ids_are_echoed_on_errors_too():
    response = APIClient().get("/ocpi/versions", HTTP_X_REQUEST_ID="r-401")
    assert response.status_code == 401
    assert response["X-Request-ID"] == "r-401"


# --- routing headers ---------------------------------------------------------------------------------


def test_routing_headers_are_swapped_on_the_response(partner):
    response = partner.client().get(
        "/test/things",
        HTTP_OCPI_FROM_COUNTRY_CODE="DE",
        HTTP_OCPI_FROM_PARTY_ID="abc",
        HTTP_OCPI_TO_COUNTRY_CODE="NL",
        HTTP_OCPI_TO_PARTY_ID="OCP",
    )
    assert response.status_code == 200
    assert response["OCPI-from-country-code"] == "NL"
    assert response["OCPI-from-party-id"] == "OCP"
    assert response["OCPI-to-country-code"] == "DE"
    assert response["OCPI-to-party-id"] == "ABC"


def test_routing_headers_default_to_our_party_and_the_callers_single_party(partner):
    response = partner.client().get("/test/things")
    assert (response["OCPI-from-country-code"], response["OCPI-from-party-id"]) == ("NL", "OCP")
    assert (response["OCPI-to-country-code"], response["OCPI-to-party-id"]) == ("DE", "ABC")


def test_from_header_of_a_party_the_caller_does_not_own_is_2001_with_routing_headers(partner):
    response = partner.client().get(
        "/test/things", HTTP_OCPI_FROM_COUNTRY_CODE="FR", HTTP_OCPI_FROM_PARTY_ID="XYZ"
    )
    data = body(response)
    assert data["status_code"] == 2001
    assert "OCPI-from" in data["status_message"]
    assert response["OCPI-to-party-id"] == "XYZ"
    assert response["OCPI-from-party-id"] == "OCP"


def test_to_header_of_an_unknown_party_is_2001(partner):
    response = partner.client().get(
        "/test/things", HTTP_OCPI_TO_COUNTRY_CODE="NL", HTTP_OCPI_TO_PARTY_ID="ZZZ"
    )
    assert body(response)["status_code"] == 2001


def test_half_a_routing_pair_is_2001(partner):
    response = partner.client().get("/test/things", HTTP_OCPI_FROM_COUNTRY_CODE="DE")
    data = body(response)
    assert data["status_code"] == 2001
    assert "OCPI-from-party-id" in data["status_message"]


def test_routing_headers_on_401_responses_of_functional_modules():
    response = APIClient().get(
        "/test/things", HTTP_OCPI_FROM_COUNTRY_CODE="DE", HTTP_OCPI_FROM_PARTY_ID="ABC"
    )
    assert response.status_code == 401
    assert response["OCPI-to-party-id"] == "ABC"


def test_configuration_modules_carry_no_routing_headers(partner):
    response = partner.client().get("/ocpi/versions")
    assert "OCPI-from-party-id" not in response


# --- bad input classes ------------------------------------------------------------------------------


def put(partner, payload: Any, *, raw: str | None = None):
    data = raw if raw is not None else json.dumps(payload)
    return partner.client().put("/test/things/1", data=data, content_type="application/json")


def test_valid_put_round_trips(partner):
    response = put(partner, GOOD_THING)
    assert response.status_code == 201
    assert body(response)["data"] == GOOD_THING


def test_malformed_json_is_http_400(partner):
    response = put(partner, None, raw='{"name": "abc",')
    assert response.status_code == 400
    data = body(response)
    assert data["status_code"] == 2000
    assert "not valid JSON" in data["status_message"]


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"name": 12}, "name", "string"),
        ({"role": "BOTH"}, "role", "SENDER"),
        ({"name": "abcdef"}, "name", "at most 5"),
        ({"amount": "1.0"}, "amount", "number"),
        ({"last_updated": "yesterday"}, "last_updated", "RFC 3339"),
        ({"name": None}, "name", "string"),
    ],
)
def test_each_bad_input_class_is_2001_naming_the_field(partner, change, field, fragment):
    response = put(partner, {**GOOD_THING, **change})
    data = body(response)
    assert response.status_code == 200
    assert data["status_code"] == 2001
    assert f"{field}:" in data["status_message"]
    assert fragment in data["status_message"]
    assert data["data"]["errors"][0]["field"] == field


def test_missing_field_is_2001_naming_it(partner):
    payload = dict(GOOD_THING)
    del payload["role"]
    data = body(put(partner, payload))
    assert data["status_code"] == 2001
    assert "role: missing required field" in data["status_message"]


def test_body_that_is_not_an_object_is_2001(partner):
    data = body(put(partner, [1, 2]))
    assert data["status_code"] == 2001


def test_unknown_object_is_404_2003(partner):
    response = partner.client().get("/test/things/42")
    assert response.status_code == 404
    assert body(response)["status_code"] == 2003


def test_unsupported_method_is_405_envelope(partner):
    response = partner.client().delete("/test/things/42")
    assert response.status_code == 405
    assert body(response)["status_code"] == 2000


def test_crash_is_500_with_3000_envelope_not_html(partner, caplog):
    response = partner.client().get("/test/crash", HTTP_X_REQUEST_ID="crash-1")
    assert response.status_code == 500
    data = body(response)
    assert data["status_code"] == 3000
    assert "boom" not in data["status_message"]
    record = next(r for r in caplog.records if r.name == "ocpi.errors")
    assert record.request_id == "crash-1"
    assert record.exc_info is not None


def test_unknown_url_is_json_404(partner):
    response = partner.client().get("/ocpi/2.2.1/nothing-here")
    assert response.status_code == 404
    assert body(response)["status_code"] == 2000


def test_metrics_endpoint_counts_requests(partner):
    partner.client().get("/ocpi/versions")
    text = APIClient().get("/metrics").content.decode()
    assert "ocpi_http_requests_total{" in text
    assert 'module="versions"' in text
