"""The one pagination helper for every list endpoint (§4.1.5.1 Pagination).

offset/limit (limit capped at the endpoint's maximum, sent back in X-Limit), date_from (inclusive)
and date_to (exclusive) on last_updated, X-Total-Count, and a Link rel="next" that keeps every query
parameter. The queryset must be ordered: offset paging over an unordered set skips and repeats rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Model, QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi.core.envelope import ocpi_response
from ocpi.core.exceptions import InvalidParameters
from ocpi.core.types import parse_datetime

M = TypeVar("M", bound=Model)


class UnorderedQuerySetError(RuntimeError):
    """Raised when a list endpoint tries to page a queryset without a stable ordering."""


@dataclass(frozen=True)
class PageParams:
    offset: int
    limit: int
    date_from: datetime | None
    date_to: datetime | None


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    total: int
    params: PageParams
    next_url: str | None

    def headers(self) -> dict[str, str]:
        headers = {"X-Total-Count": str(self.total), "X-Limit": str(self.params.limit)}
        if self.next_url:
            headers["Link"] = f'<{self.next_url}>; rel="next"'
        return headers


def _int_param(query: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameters(f"Invalid query parameter {name}: {raw!r} is not an integer") from None
    if value < minimum:
        raise InvalidParameters(f"Invalid query parameter {name}: must be >= {minimum}")
    return value


def _date_param(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        return parse_datetime(raw.replace(" ", "+"))
    except ValueError:
        raise InvalidParameters(
            f"Invalid query parameter {name}: {raw!r} is not an RFC 3339 timestamp"
        ) from None


def page_params(query: Mapping[str, str], *, max_limit: int) -> PageParams:
    limit = min(_int_param(query, "limit", max_limit, 1), max_limit)
    date_from, date_to = _date_param(query, "date_from"), _date_param(query, "date_to")
    return PageParams(_int_param(query, "offset", 0, 0), limit, date_from, date_to)


def next_link(path: str, query: Sequence[tuple[str, str]], *, offset: int, limit: int) -> str:
    """The next page URL: same path and filters, new offset, the effective limit (citrineos PR #89)."""
    kept = [(k, v) for k, v in query if k not in ("offset", "limit")]
    params = [("offset", str(offset)), ("limit", str(limit)), *kept]
    return f"{settings.OCPI_BASE_URL}{path}?{urlencode(params)}"


def paginate(
    request: Request, queryset: QuerySet[M], *, max_limit: int, date_field: str = "last_updated"
) -> Page:
    if not queryset.ordered:
        raise UnorderedQuerySetError(f"{queryset.model.__name__} list must be ordered to be paged")
    params = page_params(request.query_params, max_limit=max_limit)
    if params.date_from is not None:
        queryset = queryset.filter(**{f"{date_field}__gte": params.date_from})
    if params.date_to is not None:
        queryset = queryset.filter(**{f"{date_field}__lt": params.date_to})
    total = queryset.count()
    items = list(queryset[params.offset : params.offset + params.limit])
    next_offset = params.offset + len(items)
    next_url = None
    if items and next_offset < total:
        next_url = next_link(
            request.path,
            [(k, v) for k, vs in request.query_params.lists() for v in vs],
            offset=next_offset,
            limit=params.limit,
        )
    return Page(items=items, total=total, params=params, next_url=next_url)


def paginated_response(
    request: Request,
    queryset: QuerySet[M],
    *,
    max_limit: int,
    render: Callable[[Sequence[M]], list[Any]],
    date_field: str = "last_updated",
) -> Response:
    """Page a queryset and answer the envelope with the paging headers; `render` turns rows into JSON."""
    page = paginate(request, queryset, max_limit=max_limit, date_field=date_field)
    return ocpi_response(render(page.items), headers=page.headers())
