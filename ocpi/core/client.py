"""The OCPI HTTP client used by every outbound call (registration, push, pull).

Sends our credentials token base64-encoded, fresh X-Request-ID, the current X-Correlation-ID, the
routing headers; decodes the envelope into data or a typed error; follows `Link` to the end.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from django.conf import settings

from ocpi.core import context
from ocpi.core.auth import encode_token
from ocpi.core.metrics import OUTBOUND, OUTBOUND_SECONDS
from ocpi.core.routing import PartyRef, headers_for
from ocpi.core.status import is_success

logger = logging.getLogger("ocpi.client")

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)


class OcpiClientError(Exception):
    """Base of every outbound-call failure."""

    def __init__(
        self, message: str, *, http_status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retry_after = retry_after


class OcpiTransportError(OcpiClientError):
    """Connection refused, DNS, TLS or timeout: the partner could not be reached."""


class OcpiHttpError(OcpiClientError):
    """The partner answered with an HTTP error and no usable envelope."""


class OcpiDecodeError(OcpiClientError):
    """The partner answered something that is not an OCPI envelope (e.g. truncated JSON)."""


class OcpiStatusError(OcpiClientError):
    """The partner answered an envelope whose status_code is not 1xxx."""

    def __init__(self, message: str, *, status_code: int, http_status: int | None, data: Any = None) -> None:
        super().__init__(message, http_status=http_status)
        self.status_code = status_code
        self.data = data


@dataclass
class OcpiResult:
    data: Any
    status_code: int
    status_message: str | None
    http_status: int
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def next_url(self) -> str | None:
        link = self.headers.get("Link") or self.headers.get("link")
        if not link:
            return None
        match = _LINK_NEXT.search(link)
        return match.group(1) if match else None

    def int_header(self, name: str) -> int | None:
        value = self.headers.get(name)
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class _DecimalEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def dumps(data: Any) -> str:
    return json.dumps(data, cls=_DecimalEncoder, separators=(",", ":"))


class OcpiClient:
    """One partner connection: its token, our party and theirs for the routing headers."""

    def __init__(
        self,
        *,
        token: str,
        from_party: PartyRef | None = None,
        to_party: PartyRef | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
        module: str = "-",
    ) -> None:
        self.token = token
        self.from_party = from_party
        self.to_party = to_party
        self.timeout = timeout if timeout is not None else settings.OCPI_HTTP_TIMEOUT
        if session is None:
            session = requests.Session()
            # Reading proxy settings from the environment on every call costs more than the call itself
            # on a local network; operators behind a proxy set OCPI_HTTP_TRUST_ENV=true.
            session.trust_env = settings.OCPI_HTTP_TRUST_ENV
        self.session = session
        self.module = module

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        ctx = context.current()
        headers = {
            "Authorization": encode_token(self.token),
            "Accept": "application/json",
            "X-Request-ID": context.new_id(),
            "X-Correlation-ID": ctx.correlation_id or context.new_id(),
            **headers_for(self.from_party, self.to_party),
        }
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> OcpiResult:
        body = None
        all_headers = self.headers(headers)
        if json_body is not None:
            body = dumps(json_body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        outcome = "error"
        try:
            try:
                response = self.session.request(
                    method, url, data=body, params=params, headers=all_headers, timeout=self.timeout
                )
            except requests.RequestException as exc:
                outcome = "unreachable"
                raise OcpiTransportError(f"{method} {url}: {exc.__class__.__name__}: {exc}") from exc
            result = self._decode(method, url, response)
            outcome = "ok"
            return result
        finally:
            elapsed = time.perf_counter() - started
            OUTBOUND.labels(module=self.module, method=method, outcome=outcome).inc()
            OUTBOUND_SECONDS.labels(module=self.module, method=method).observe(elapsed)
            logger.info(
                "outbound %s %s %s",
                method,
                url,
                outcome,
                extra={"request_id_out": all_headers["X-Request-ID"], "ms": round(elapsed * 1000, 1)},
            )

    def _decode(self, method: str, url: str, response: requests.Response) -> OcpiResult:
        where = f"{method} {url}"
        retry_after = _retry_after(response)
        try:
            payload = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            cls = OcpiHttpError if response.status_code >= 400 else OcpiDecodeError
            raise cls(
                f"{where}: HTTP {response.status_code}, body is not JSON",
                http_status=response.status_code,
                retry_after=retry_after,
            ) from None
        if not isinstance(payload, dict) or not isinstance(payload.get("status_code"), int):
            cls = OcpiHttpError if response.status_code >= 400 else OcpiDecodeError
            raise cls(
                f"{where}: HTTP {response.status_code}, body is not an OCPI envelope",
                http_status=response.status_code,
                retry_after=retry_after,
            )
        status_code = payload["status_code"]
        message = payload.get("status_message")
        if not is_success(status_code):
            err = OcpiStatusError(
                f"{where}: OCPI {status_code} {message or ''}".strip(),
                status_code=status_code,
                http_status=response.status_code,
                data=payload.get("data"),
            )
            err.retry_after = retry_after
            raise err
        if response.status_code >= 400:
            raise OcpiHttpError(
                f"{where}: HTTP {response.status_code} with a success envelope",
                http_status=response.status_code,
                retry_after=retry_after,
            )
        return OcpiResult(
            data=payload.get("data"),
            status_code=status_code,
            status_message=message,
            http_status=response.status_code,
            headers=response.headers,
        )

    def get(self, url: str, *, params: Mapping[str, str] | None = None) -> OcpiResult:
        return self.request("GET", url, params=params)

    def post(self, url: str, body: Any = None) -> OcpiResult:
        return self.request("POST", url, json_body=body)

    def put(self, url: str, body: Any) -> OcpiResult:
        return self.request("PUT", url, json_body=body)

    def patch(self, url: str, body: Any) -> OcpiResult:
        return self.request("PATCH", url, json_body=body)

    def delete(self, url: str) -> OcpiResult:
        return self.request("DELETE", url)

    def iter_pages(
        self, url: str, *, params: Mapping[str, str] | None = None, max_pages: int = 1_000_000
    ) -> Iterator[OcpiResult]:
        """GET a list and follow `Link: rel="next"` to the end.

        When the server caps the page (X-Limit lower than our limit), the next request asks for
        X-Limit; a missing Link ends the walk.
        """
        next_url: str | None = url
        next_params: Mapping[str, str] | None = params
        for _ in range(max_pages):
            if next_url is None:
                return
            result = self.get(next_url, params=next_params)
            yield result
            link = result.next_url
            if not link or not result.data:
                return
            x_limit = result.int_header("X-Limit")
            next_url, next_params = _with_limit(link, x_limit), None

    def iter_objects(self, url: str, *, params: Mapping[str, str] | None = None) -> Iterator[Any]:
        for page in self.iter_pages(url, params=params):
            yield from page.data or []


def _with_limit(url: str, x_limit: int | None) -> str:
    """Never ask for more than the server's X-Limit on the following pages."""
    if x_limit is None:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    changed = []
    for key, value in query:
        if key == "limit":
            try:
                value = str(min(int(value), x_limit))
            except ValueError:
                value = str(x_limit)
        changed.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(changed)))
