"""eMSP Receiver endpoints for sessions and CDRs, over HTTP (§9.2.2, §10.2.2)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest

from emsp.models import CdrPriceCheck
from ocpi.cdrs.models import Cdr
from ocpi.sessions.models import Session
from tests.conftest import example

pytestmark = pytest.mark.django_db

SESSIONS = "/ocpi/2.2.1/emsp/sessions"
CDRS = "/ocpi/2.2.1/emsp/cdrs"


@pytest.fixture
def stk(make_partner):
    """The CPO partner owning session_example_1 (NL-STK)."""
    return make_partner([("NL", "STK", "CPO")])


@pytest.fixture
def bec(make_partner):
    """The CPO partner owning session_example_2 and cdr_example (BE-BEC)."""
    return make_partner([("BE", "BEC", "CPO")])


def send(client, method, url, body):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("name", "owner"),
    [("session_example_1_simple_start.json", "stk"), ("session_example_2_short_finished.json", "bec")],
)
def test_session_examples_round_trip_over_http(request, name, owner):
    partner = request.getfixturevalue(owner)
    session = example(name)
    url = f"{SESSIONS}/{session['country_code']}/{session['party_id']}/{session['id']}"
    created = send(partner.client(), "put", url, session)
    assert created.status_code == 201
    assert created.json()["status_code"] == 1000
    again = send(partner.client(), "put", url, session)
    assert again.status_code == 200
    got = partner.client().get(url)
    assert got.json()["data"] == session


def test_session_patch_appends_charging_periods(stk):
    session = example("session_example_1_simple_start.json")
    url = f"{SESSIONS}/NL/STK/101"
    send(stk.client(), "put", url, session)
    patch = example("session_patch_example_charging_period.json")
    response = send(stk.client(), "patch", url, patch)
    assert response.json()["status_code"] == 1000
    data = stk.client().get(url).json()["data"]
    assert data["charging_periods"] == (session.get("charging_periods") or []) + patch["charging_periods"]
    assert data["kwh"] == patch["kwh"]
    send(
        stk.client(),
        "patch",
        url,
        {
            **patch,
            "charging_periods": [{**patch["charging_periods"][0], "start_date_time": "2030-01-01T00:00:00Z"}],
        },
    )
    assert len(stk.client().get(url).json()["data"]["charging_periods"]) == len(data["charging_periods"]) + 1


def test_session_patch_without_last_updated_is_2001(stk):
    send(stk.client(), "put", f"{SESSIONS}/NL/STK/101", example("session_example_1_simple_start.json"))
    response = send(stk.client(), "patch", f"{SESSIONS}/NL/STK/101", {"kwh": 3})
    assert response.json()["status_code"] == 2001
    assert "last_updated" in response.json()["status_message"]


def test_patch_of_unknown_session_is_404_2003(stk):
    response = send(
        stk.client(), "patch", f"{SESSIONS}/NL/STK/nope", {"kwh": 3, "last_updated": "2020-01-01T00:00:00Z"}
    )
    assert response.status_code == 404
    assert response.json()["status_code"] == 2003


def test_partner_cannot_write_under_another_partys_ids(stk, bec):
    session = example("session_example_1_simple_start.json")
    response = send(bec.client(), "put", f"{SESSIONS}/NL/STK/101", session)
    assert response.json()["status_code"] == 2001
    assert not Session.objects.exists()


def test_path_ids_must_match_the_body(stk):
    response = send(
        stk.client(), "put", f"{SESSIONS}/NL/STK/999", example("session_example_1_simple_start.json")
    )
    assert response.json()["status_code"] == 2001
    assert "id" in response.json()["status_message"]
    assert not Session.objects.exists()


def test_invalid_session_is_2001_naming_the_field_and_stores_nothing(stk):
    session = example("session_example_1_simple_start.json")
    session["status"] = "CHARGING"
    response = send(stk.client(), "put", f"{SESSIONS}/NL/STK/101", session)
    assert response.json()["status_code"] == 2001
    assert "status" in response.json()["status_message"]
    assert not Session.objects.exists()


def test_partner_cannot_read_another_partys_session(stk, bec):
    send(stk.client(), "put", f"{SESSIONS}/NL/STK/101", example("session_example_1_simple_start.json"))
    assert bec.client().get(f"{SESSIONS}/NL/STK/101").status_code == 404


# --- CDRs --------------------------------------------------------------------------------------------


def test_cdr_post_answers_location_and_reads_back(bec):
    cdr = example("cdr_example.json")
    response = send(bec.client(), "post", CDRS, cdr)
    assert response.status_code == 201
    assert response.json()["status_code"] == 1000
    location = response["Location"]
    assert location == "http://127.0.0.1:8000/ocpi/2.2.1/emsp/cdrs/BE/BEC/12345"
    got = bec.client().get(location.removeprefix("http://127.0.0.1:8000"))
    assert got.json()["data"] == cdr


def test_cdr_post_twice_creates_no_duplicate(bec):
    cdr = example("cdr_example.json")
    first = send(bec.client(), "post", CDRS, cdr)
    second = send(bec.client(), "post", CDRS, copy.deepcopy(cdr))
    assert (first.status_code, second.status_code) == (201, 200)
    assert second["Location"] == first["Location"]
    assert Cdr.objects.count() == 1


def test_cdrs_have_no_put_or_patch(bec):
    assert send(bec.client(), "put", f"{CDRS}/BE/BEC/12345", {}).status_code == 405
    assert send(bec.client(), "patch", f"{CDRS}/BE/BEC/12345", {}).status_code == 405


def test_cdr_of_another_party_is_refused(stk):
    response = send(stk.client(), "post", CDRS, example("cdr_example.json"))
    assert response.json()["status_code"] == 2001
    assert not Cdr.objects.exists()


# --- the eMSP checks the cost of the CDRs it receives --------------------------------------------------


def test_received_cdr_cost_matches_our_pricing(bec):
    send(bec.client(), "post", CDRS, example("cdr_example.json"))
    check = CdrPriceCheck.objects.get()
    assert check.outcome == "OK"
    assert check.expected_excl_vat == Decimal("4.00")
    assert check.difference_excl_vat == Decimal("0")


def test_received_cdr_with_a_wrong_cost_is_flagged(bec):
    cdr = example("cdr_example.json")
    cdr["total_cost"] = {"excl_vat": 5.0, "incl_vat": 5.5}
    send(bec.client(), "post", CDRS, cdr)
    check = CdrPriceCheck.objects.get()
    assert check.outcome == "MISMATCH"
    assert check.difference_excl_vat == Decimal("1.00")
    assert "4.00" in check.message


def test_received_cdr_without_a_known_tariff(bec):
    cdr = example("cdr_example.json")
    cdr.pop("tariffs", None)
    for period in cdr["charging_periods"]:
        period["tariff_id"] = "UNKNOWN"
    send(bec.client(), "post", CDRS, cdr)
    assert CdrPriceCheck.objects.get().outcome == "NO_TARIFF"


def test_pulled_cdrs_are_cost_checked_too(bec):
    from ocpi.sync.pull import _handlers

    _handlers["cdrs"].store(bec.platform, example("cdr_example.json"))
    assert CdrPriceCheck.objects.get().outcome == "OK"
