"""The outbound OCPI client: auth encoding, ids, routing headers, envelope decoding, Link following."""

from __future__ import annotations

import base64
import json

import pytest
import responses

from ocpi.core import context
from ocpi.core.client import (
    OcpiClient,
    OcpiDecodeError,
    OcpiHttpError,
    OcpiStatusError,
    OcpiTransportError,
)
from ocpi.core.routing import PartyRef

URL = "http://partner.test/ocpi/cpo/2.2.1/locations"


def ok(data, **extra):
    return {"data": data, "status_code": 1000, "timestamp": "2024-01-01T00:00:00Z", **extra}


@responses.activate
def test_sends_base64_token_ids_and_routing_headers():
    responses.get(URL, json=ok([]))
    client = OcpiClient(
        token="secret-token", from_party=PartyRef("NL", "OCP"), to_party=PartyRef("DE", "ABC")
    )
    with context.bind(correlation_id="corr-9"):
        client.get(URL)
    sent = responses.calls[0].request.headers
    assert sent["Authorization"] == "Token " + base64.b64encode(b"secret-token").decode()
    assert sent["X-Correlation-ID"] == "corr-9"
    assert len(sent["X-Request-ID"]) == 36
    assert sent["OCPI-from-country-code"] == "NL"
    assert sent["OCPI-from-party-id"] == "OCP"
    assert sent["OCPI-to-country-code"] == "DE"
    assert sent["OCPI-to-party-id"] == "ABC"


@responses.activate
def test_each_request_gets_a_new_request_id():
    responses.get(URL, json=ok([]))
    client = OcpiClient(token="t")
    client.get(URL)
    client.get(URL)
    assert (
        responses.calls[0].request.headers["X-Request-ID"]
        != responses.calls[1].request.headers["X-Request-ID"]
    )


@responses.activate
def test_body_is_json_with_exact_decimals():
    from decimal import Decimal

    responses.put(URL, json=ok(None))
    OcpiClient(token="t").put(URL, {"price": Decimal("0.2500"), "kwh": Decimal("12")})
    request = responses.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {"price": 0.25, "kwh": 12}


@responses.activate
def test_decodes_data_and_status():
    responses.get(URL, json=ok([{"id": "1", "price": 0.1}]))
    result = OcpiClient(token="t").get(URL)
    assert result.status_code == 1000
    assert result.data[0]["id"] == "1"
    assert str(result.data[0]["price"]) == "0.1"


@responses.activate
def test_non_success_status_code_is_a_typed_error():
    responses.get(URL, json={"status_code": 2001, "status_message": "bad", "timestamp": "x"})
    with pytest.raises(OcpiStatusError) as info:
        OcpiClient(token="t").get(URL)
    assert info.value.status_code == 2001
    assert info.value.http_status == 200


@responses.activate
def test_truncated_json_is_a_decode_error():
    responses.get(URL, body='{"data": [1, 2', status=200)
    with pytest.raises(OcpiDecodeError):
        OcpiClient(token="t").get(URL)


@responses.activate
def test_html_error_page_is_an_http_error_with_retry_after():
    responses.get(URL, body="<html>busy</html>", status=429, headers={"Retry-After": "2"})
    with pytest.raises(OcpiHttpError) as info:
        OcpiClient(token="t").get(URL)
    assert info.value.http_status == 429
    assert info.value.retry_after == 2.0


def test_unreachable_partner_is_a_transport_error():
    with pytest.raises(OcpiTransportError):
        OcpiClient(token="t", timeout=0.5).get("http://127.0.0.1:9/ocpi/versions")


@responses.activate
def test_iter_pages_follows_link_to_the_end_and_honours_x_limit():
    def page(offset, limit, last=False):
        headers = {"X-Limit": "2", "X-Total-Count": "5"}
        if not last:
            headers["Link"] = (
                f'<{URL}?offset={offset + 2}&limit={limit}&date_from=2024-01-01T00:00:00Z>; rel="next"'
            )
        return headers

    responses.get(
        URL,
        json=ok([1, 2]),
        headers=page(0, 100),
        match=[responses.matchers.query_param_matcher({"limit": "100"})],
    )
    responses.get(
        URL,
        json=ok([3, 4]),
        headers=page(2, 2),
        match=[
            responses.matchers.query_param_matcher(
                {"offset": "2", "limit": "2", "date_from": "2024-01-01T00:00:00Z"}
            )
        ],
    )
    responses.get(
        URL,
        json=ok([5]),
        headers=page(4, 2, last=True),
        match=[
            responses.matchers.query_param_matcher(
                {"offset": "4", "limit": "2", "date_from": "2024-01-01T00:00:00Z"}
            )
        ],
    )
    items = list(OcpiClient(token="t").iter_objects(URL, params={"limit": "100"}))
    assert items == [1, 2, 3, 4, 5]
    assert len(responses.calls) == 3
