"""Per-request context (request/correlation ids, partner, module) shared by logging and the HTTP client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None = None
    correlation_id: str | None = None
    partner: str | None = None
    module: str | None = None


_current: ContextVar[RequestContext] = ContextVar("ocpi_request_context", default=RequestContext())  # noqa: B039


def current() -> RequestContext:
    return _current.get()


def new_id() -> str:
    return str(uuid.uuid4())


def update(**changes: str | None) -> None:
    """Set fields of the current context (e.g. the partner once the token is known)."""
    _current.set(replace(_current.get(), **changes))


@contextmanager
def bind(**fields: str | None) -> Iterator[RequestContext]:
    """Run a block (a request, a Celery task) with its own context; restored afterwards."""
    token = _current.set(replace(_current.get(), **fields))
    try:
        yield _current.get()
    finally:
        _current.reset(token)
