"""The pagination helper (§4.1.5): Link chain, X-Total-Count, X-Limit, date filters, stable ordering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from ocpi.core.client import _LINK_NEXT
from ocpi.core.pagination import UnorderedQuerySetError, paginate
from ocpi.models import Party

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ocpi.kernel_urls")]

BASE = datetime(2024, 1, 1, tzinfo=UTC)
ROWS = 237


@pytest.fixture
def parties(partner):
    """ROWS parties with updated_at one minute apart, in a shuffled insertion order."""
    rows = [
        Party(country_code="FR", party_id=f"{i:03d}", role="CPO", business_name=f"p{i}")
        for i in sorted(range(ROWS), key=lambda i: (i * 7919) % ROWS)
    ]
    Party.objects.bulk_create(rows)
    for p in Party.objects.filter(country_code="FR"):
        Party.objects.filter(pk=p.pk).update(updated_at=BASE + timedelta(minutes=int(p.party_id)))
    Party.objects.exclude(country_code="FR").update(updated_at=BASE - timedelta(days=1))
    return Party.objects.count()


def crawl(client, url):
    seen, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["status_code"] == 1000
        seen.extend(item["id"] for item in data["data"])
        pages += 1
        link = response.get("Link")
        url = None
        if link:
            match = _LINK_NEXT.search(link)
            assert match, link
            parts = urlsplit(match.group(1))
            assert f"{parts.scheme}://{parts.netloc}" == "http://127.0.0.1:8000"
            url = f"{parts.path}?{parts.query}"
    return seen, pages


def test_link_chain_visits_every_row_exactly_once(partner, parties):
    seen, pages = crawl(partner.client(), "/test/things?limit=20")
    assert len(seen) == parties
    assert len(set(seen)) == parties
    assert pages == -(-parties // 20)


def test_limit_is_capped_and_reported_in_x_limit(partner, parties):
    response = partner.client().get("/test/things?limit=1000")
    assert response["X-Limit"] == "50"
    assert len(response.json()["data"]) == 50
    assert response["X-Total-Count"] == str(parties)
    next_query = parse_qs(urlsplit(_LINK_NEXT.search(response["Link"]).group(1)).query)
    assert next_query["limit"] == ["50"]
    assert next_query["offset"] == ["50"]


def test_default_limit_is_the_maximum(partner, parties):
    response = partner.client().get("/test/things")
    assert response["X-Limit"] == "50"
    assert len(response.json()["data"]) == 50


def test_date_filters_select_exactly_the_right_rows_and_stay_in_links(partner, parties):
    date_from = (BASE + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    date_to = (BASE + timedelta(minutes=110)).isoformat().replace("+00:00", "Z")
    url = f"/test/things?date_from={date_from}&date_to={date_to}&limit=7"
    first = partner.client().get(url)
    assert first["X-Total-Count"] == "100"  # minutes 10..109: from inclusive, to exclusive
    link_query = parse_qs(urlsplit(_LINK_NEXT.search(first["Link"]).group(1)).query)
    assert link_query["date_from"] == [date_from]
    assert link_query["date_to"] == [date_to]
    seen, _ = crawl(partner.client(), url)
    expected = set(
        Party.objects.filter(
            updated_at__gte=BASE + timedelta(minutes=10), updated_at__lt=BASE + timedelta(minutes=110)
        ).values_list("pk", flat=True)
    )
    assert len(seen) == 100
    assert set(seen) == expected


def test_rows_come_oldest_first(partner, parties):
    ids = [item["id"] for item in partner.client().get("/test/things?limit=50").json()["data"]]
    stamps = list(Party.objects.filter(pk__in=ids).order_by("updated_at", "pk").values_list("pk", flat=True))
    assert ids == stamps


def test_last_page_has_no_link(partner, parties):
    response = partner.client().get(f"/test/things?offset={parties - 3}&limit=10")
    assert len(response.json()["data"]) == 3
    assert "Link" not in response


def test_offset_past_the_end_is_an_empty_page(partner, parties):
    response = partner.client().get(f"/test/things?offset={parties + 5}")
    assert response.json()["data"] == []
    assert "Link" not in response


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("date_from=yesterday", "date_from"),
    ],
)
def test_bad_paging_parameters_are_2001(partner, query, name):
    data = partner.client().get(f"/test/things?{query}").json()
    assert data["status_code"] == 2001
    assert name in data["status_message"]


def test_paging_an_unordered_queryset_is_an_error(partner):
    request = Request(RequestFactory().get("/x"))
    with pytest.raises(UnorderedQuerySetError):
        paginate(request, Party.objects.all().order_by(), max_limit=10)
