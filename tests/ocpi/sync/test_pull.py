"""The delta pull: follows Link, date_from from the last successful run, skips invalid objects."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from ocpi.core.types import OcpiModel, String5
from ocpi.models import PlatformEndpoint
from ocpi.sync import pull
from ocpi.sync.models import PullRun
from ocpi.sync.pull import pull_module, pullable_modules

pytestmark = pytest.mark.django_db

URL = "http://cpo.test/ocpi/cpo/2.2.1/things"


class Thing(OcpiModel):
    id: String5


@pytest.fixture
def stored(monkeypatch):
    rows: list[str] = []

    def store(platform, obj):
        rows.append(Thing.model_validate(obj).id)

    monkeypatch.setitem(pull._handlers, "things", pull.PullHandler("things", store, page_limit=2))
    return rows


@pytest.fixture
def cpo(make_partner):
    partner = make_partner([("DE", "CPO", "CPO")], name="cpo")
    PlatformEndpoint.objects.create(platform=partner.platform, identifier="things", role="SENDER", url=URL)
    return partner.platform


def envelope(data):
    return {"data": data, "status_code": 1000, "timestamp": "2024-01-01T00:00:00Z"}


def mock_pages(items):
    def callback(request):
        query = parse_qs(urlsplit(request.url).query)
        offset, limit = int(query.get("offset", ["0"])[0]), int(query["limit"][0])
        page = items[offset : offset + limit]
        headers = {"X-Total-Count": str(len(items)), "X-Limit": str(limit)}
        if offset + limit < len(items):
            rest = "".join(f"&{k}={v[0]}" for k, v in query.items() if k not in ("offset", "limit"))
            headers["Link"] = f'<{URL}?offset={offset + limit}&limit={limit}{rest}>; rel="next"'
        return 200, headers, json.dumps(envelope(page))

    responses.add_callback(responses.GET, URL, callback=callback)


@responses.activate
def test_pull_follows_links_and_skips_invalid_objects(stored, cpo):
    mock_pages([{"id": "a"}, {"id": "toolong"}, {"id": "c"}, {"nothing": 1}, {"id": "e"}])
    run = pull_module(platform=cpo, module="things")
    assert stored == ["a", "c", "e"]
    assert (run.outcome, run.fetched, run.stored, run.skipped, run.pages) == ("OK", 5, 3, 2, 3)
    assert "things toolong:" in run.errors
    assert "things ?:" in run.errors
    assert "date_from" not in responses.calls[0].request.url


@responses.activate
def test_second_pull_sends_date_from_of_the_last_successful_start(stored, cpo):
    mock_pages([{"id": "a"}])
    first = pull_module(platform=cpo, module="things")
    second = pull_module(platform=cpo, module="things")
    query = parse_qs(urlsplit(responses.calls[-1].request.url).query)
    assert query["date_from"] == [
        first.started_at.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".") + "Z"
    ]
    assert second.outcome == "OK"


@responses.activate
def test_full_resync_sends_no_date_from(stored, cpo):
    mock_pages([{"id": "a"}])
    pull_module(platform=cpo, module="things")
    pull_module(platform=cpo, module="things", full=True)
    assert "date_from" not in responses.calls[-1].request.url


@responses.activate
def test_failed_pull_is_recorded_and_not_used_as_date_from(stored, cpo):
    responses.get(URL, status=500, body="down")
    run = pull_module(platform=cpo, module="things")
    assert run.outcome == PullRun.Outcome.FAILED
    assert "500" in run.errors
    assert pull.last_successful_start(cpo, "things") is None


def test_pullable_modules_need_a_sender_endpoint(stored, cpo, make_partner):
    other = make_partner([("FR", "XXX", "CPO")]).platform
    assert pullable_modules(cpo) == ["things"]
    assert pullable_modules(other) == []
