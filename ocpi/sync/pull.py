"""Paginated delta pull of partners' Sender endpoints (§4.1.2: a receiver must be able to get in sync).

`date_from` is the start of the last successful pull of that module from that partner (so nothing
changed during a pull is missed); a full resync sends none. Every object is validated and stored
through its module's own receiver service; one invalid object is skipped and logged, it does not
fail the page (interop lesson 8).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from ocpi.core import context
from ocpi.core.client import OcpiClient, OcpiClientError
from ocpi.core.exceptions import InvalidParameters, OcpiError
from ocpi.core.types import format_datetime
from ocpi.models import Party, Platform
from ocpi.sync.models import PullRun

logger = logging.getLogger("ocpi.sync.pull")

StoreFn = Callable[[Platform, dict[str, Any]], None]
"""Validate one object of a partner's list and store it (raise ValidationError/OcpiError to skip it)."""


@dataclass(frozen=True)
class PullHandler:
    module: str
    store: StoreFn
    page_limit: int = 100


_handlers: dict[str, PullHandler] = {}


def registered_party(*, platform: Platform, role: str, country_code: str, party_id: str) -> Party:
    """The party `platform` registered with this role and these codes; InvalidParameters otherwise
    (an object of a party the platform did not register is ignored, "Client Owned Object Pull")."""
    party = Party.objects.filter(
        platform=platform, role=role, country_code=country_code.upper(), party_id=party_id.upper()
    ).first()
    if party is None:
        raise InvalidParameters(
            f"{country_code}-{party_id} is not a {role} party registered by platform {platform.name}"
        )
    return party


def register_pull(module: str, store: StoreFn, *, page_limit: int = 100) -> None:
    _handlers[module] = PullHandler(module, store, page_limit)


def pull_modules() -> list[str]:
    return list(_handlers)


def pullable_modules(platform: Platform) -> list[str]:
    """Modules we know how to store for which the partner has a Sender endpoint."""
    return [m for m in _handlers if platform.endpoint_url(m, "SENDER")]


def last_successful_start(platform: Platform, module: str) -> Any:
    return (
        PullRun.objects.filter(platform=platform, module=module, outcome=PullRun.Outcome.OK)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )


def _object_id(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("id") or obj.get("uid") or "?")
    return "?"


def pull_module(
    *,
    platform: Platform,
    module: str,
    full: bool = False,
    progress: Callable[[int], object] | None = None,
) -> PullRun:
    """Pull one module from one partner and record the run."""
    handler = _handlers[module]
    url = platform.endpoint_url(module, "SENDER")
    started = timezone.now()
    date_from = None if full else last_successful_start(platform, module)
    run = PullRun.objects.create(
        platform=platform, module=module, full=full, date_from=date_from, started_at=started
    )
    params = {"limit": str(settings.OCPI_PULL_PAGE_LIMIT or handler.page_limit)}
    if date_from is not None:
        params["date_from"] = format_datetime(date_from)
    errors: list[str] = []
    client = OcpiClient(token=platform.outgoing_token, module=module)
    with context.bind(partner=platform.name, module=module, correlation_id=context.new_id()):
        try:
            if url is None:
                raise OcpiClientError(f"partner has no {module} Sender endpoint")
            for page in client.iter_pages(url, params=params):
                run.pages += 1
                for obj in _objects(page.data):
                    run.fetched += 1
                    try:
                        with transaction.atomic():
                            handler.store(platform, obj)
                    except (ValidationError, OcpiError, ValueError, TypeError) as exc:
                        run.skipped += 1
                        message = f"{module} {_object_id(obj)}: {exc}"
                        errors.append(message[:500])
                        logger.warning("pull skipped an invalid object from %s: %s", platform.name, message)
                    else:
                        run.stored += 1
                if progress is not None:
                    progress(len(page.data or []))
            run.outcome = PullRun.Outcome.OK
        except OcpiClientError as exc:
            run.outcome = PullRun.Outcome.FAILED
            errors.append(str(exc))
            logger.warning("pull of %s from %s failed: %s", module, platform.name, exc)
    run.finished_at = timezone.now()
    run.errors = "\n".join(errors[:200])
    run.save()
    if run.outcome == PullRun.Outcome.OK:
        Platform.objects.filter(pk=platform.pk).update(last_contact_at=run.finished_at)
    return run


def _objects(data: Any) -> Iterator[Any]:
    if isinstance(data, list):
        yield from data


def pull_platform(
    *, platform: Platform, modules: list[str] | None = None, full: bool = False
) -> list[PullRun]:
    return [
        pull_module(platform=platform, module=m, full=full) for m in (modules or pullable_modules(platform))
    ]
