"""The durable push outbox: enqueue in the change's transaction, deliver from Celery, in order per object.

Delivery rules (issue: sync engine; §4.1.2 Push):
- one worker at a time per partner (a lease row), so messages of one object leave in id order;
- only the oldest pending message of an object may be sent: a failure holds the later ones back;
- a PUT of a whole object supersedes the older pending messages of that object (path and below);
  consecutive PATCHes of the same path are merged into one (never when they append charging periods);
- retries with exponential backoff and jitter; HTTP 429 pauses the partner for its Retry-After;
- a per-partner circuit breaker opens after consecutive unreachable/5xx answers;
- a message older than OCPI_PUSH_MAX_AGE_SECONDS is marked FAILED (admin can retry it);
- a PATCH the partner answers with "unknown object" is replaced by a PUT of the whole current object.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ocpi.core.client import (
    OcpiClient,
    OcpiClientError,
    OcpiDecodeError,
    OcpiHttpError,
    OcpiStatusError,
    OcpiTransportError,
)
from ocpi.core.db import insert_values
from ocpi.core.routing import PartyRef
from ocpi.models import Party, Platform, PlatformEndpoint
from ocpi.sync.models import OutboxMessage, PushChannel

logger = logging.getLogger("ocpi.sync.push")

APPENDING_FIELDS = frozenset({"charging_periods"})


@dataclass(frozen=True)
class Push:
    """One change to announce: which object, and the OCPI call that carries it."""

    module: str
    object_key: str
    method: str
    path: str
    body: Any = None
    from_party: PartyRef | None = None
    to_party: PartyRef | None = None


ResyncHandler = Callable[[str, str], "Push | None"]
"""(object_key, path) -> a PUT of the whole current object, or None when it no longer exists."""

_resync: dict[str, ResyncHandler] = {}


def register_resync(module: str, handler: ResyncHandler) -> None:
    """Modules say how to rebuild a full PUT when a partner lost an object a PATCH was meant for."""
    _resync[module] = handler


def push_audience(
    *,
    module: str,
    owner: Party | None = None,
    only_parties: Iterable[PartyRef] | None = None,
    to_role: str | None = None,
) -> list[tuple[Platform, PartyRef | None]]:
    """Registered partners with a Receiver endpoint for the module, with the party to address.

    `to_role` picks the addressee among a platform's parties (its first party of that role, by code;
    a platform without one, e.g. a hub, keeps its first party). `only_parties` narrows the audience to
    the platforms owning one of those parties, of `to_role` when given (sessions and CDRs go only to
    the eMSP of the token, interop lesson 14).
    """
    endpoints = PlatformEndpoint.objects.filter(
        identifier=module, role="RECEIVER", platform__status=Platform.Status.REGISTERED
    ).select_related("platform")
    platforms = {e.platform_id: e.platform for e in endpoints}
    if owner is not None and owner.platform_id is not None:
        platforms.pop(owner.platform_id, None)
    parties: dict[int, list[Party]] = {}
    for party in Party.objects.filter(platform_id__in=platforms).order_by("country_code", "party_id", "pk"):
        parties.setdefault(party.platform_id or 0, []).append(party)
    wanted = {(p.country_code, p.party_id) for p in only_parties} if only_parties is not None else None
    audience = []
    for platform_id, platform in platforms.items():
        own = parties.get(platform_id, [])
        of_role = [p for p in own if p.role == to_role] if to_role else own
        if wanted is not None:
            matching = [p for p in of_role if (p.country_code, p.party_id) in wanted]
            if not matching:
                continue
            own = matching
        elif of_role:
            own = of_role
        to = PartyRef(own[0].country_code, own[0].party_id) if len(own) >= 1 else None
        audience.append((platform, to))
    return audience


def _merge_patch(older: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    return {**older, **newer}


@transaction.atomic
def outbox_enqueue(
    *, push: Push, audience: Iterable[tuple[Platform, PartyRef | None]]
) -> list[OutboxMessage]:
    """Write the messages in the caller's transaction; delivery is kicked once it commits."""
    now = timezone.now()
    created: list[OutboxMessage] = []
    for platform, to_party in audience:
        pending = OutboxMessage.objects.filter(
            platform=platform,
            object_key=push.object_key,
            module=push.module,
            state=OutboxMessage.State.PENDING,
        )
        if push.method == "PUT":
            pending.filter(Q(path=push.path) | Q(path__startswith=push.path + "/"), attempts=0).update(
                state=OutboxMessage.State.SUPERSEDED
            )
        elif (
            push.method == "PATCH" and isinstance(push.body, dict) and not APPENDING_FIELDS & push.body.keys()
        ):
            last = pending.select_for_update().order_by("-id").first()
            if (
                last is not None
                and last.attempts == 0
                and last.method == "PATCH"
                and last.path == push.path
                and isinstance(last.body, dict)
                and not APPENDING_FIELDS & last.body.keys()
            ):
                # Only while no worker has claimed it (attempts still 0): see _claim_message.
                merged = _merge_patch(last.body, push.body)
                if OutboxMessage.objects.filter(
                    pk=last.pk, state=OutboxMessage.State.PENDING, attempts=0
                ).update(body=merged):
                    last.body = merged
                    created.append(last)
                    continue
        message = _message(push, platform, to_party, now)
        message.save(force_insert=True)
        created.append(message)
    platform_ids = sorted({m.platform_id for m in created})
    if platform_ids:
        transaction.on_commit(lambda: kick(platform_ids))
    return created


@transaction.atomic(savepoint=False)
def outbox_enqueue_many(*, pushes: Iterable[tuple[Push, Iterable[tuple[Platform, PartyRef | None]]]]) -> None:
    """`outbox_enqueue` for many changes at once, in the caller's transaction and in the given order.

    Appending PATCHes (charging periods) are never merged nor superseding, so they are written in one
    insert (rows of values: the OCPP bridge queues one per MeterValues); anything else takes
    `outbox_enqueue`'s rules one by one. One delivery kick per partner. No savepoint inside the
    caller's transaction (a batch writer's hot path): if it fails, the caller's transaction fails.
    """
    now = timezone.now()
    rows: list[tuple[Any, ...]] = []
    platform_ids: set[int] = set()
    for push, audience in pushes:
        appending = (
            push.method == "PATCH" and isinstance(push.body, dict) and APPENDING_FIELDS & push.body.keys()
        )
        if not appending:
            insert_values(OutboxMessage, _ROW_COLUMNS, rows)
            rows = []
            platform_ids.update(m.platform_id for m in outbox_enqueue(push=push, audience=audience))
            continue
        for platform, to_party in audience:
            fields = _party_fields(push.from_party, to_party or push.to_party)
            rows.append(
                (
                    platform.pk,
                    push.module,
                    push.object_key,
                    push.method,
                    push.path,
                    push.body,
                    fields["from_party"],
                    fields["to_party"],
                    now,
                    now,
                )
            )
            platform_ids.add(platform.pk)
    insert_values(OutboxMessage, _ROW_COLUMNS, rows)
    if platform_ids:
        ids = sorted(platform_ids)
        transaction.on_commit(lambda: kick(ids))


_ROW_COLUMNS = (
    "platform_id",
    "module",
    "object_key",
    "method",
    "path",
    "body",
    "from_party",
    "to_party",
    "next_attempt_at",
    "created_at",
)


def _message(push: Push, platform: Platform, to_party: PartyRef | None, now: datetime) -> OutboxMessage:
    return OutboxMessage(
        platform=platform,
        module=push.module,
        object_key=push.object_key,
        method=push.method,
        path=push.path,
        body=push.body,
        next_attempt_at=now,
        last_error="",
        **_party_fields(push.from_party, to_party or push.to_party),
    )


def _party_fields(from_party: PartyRef | None, to_party: PartyRef | None) -> dict[str, str]:
    return {
        "from_party": str(from_party) if from_party else "",
        "to_party": str(to_party) if to_party else "",
    }


def kick(platform_ids: Iterable[int]) -> None:
    """Ask the workers to deliver to these partners now."""
    from ocpi.sync.tasks import outbox_deliver

    for platform_id in platform_ids:
        outbox_deliver.delay(platform_id)


# --- delivery ---------------------------------------------------------------------------------------


def _claim(platform_id: int, owner: str) -> bool:
    now = timezone.now()
    PushChannel.objects.get_or_create(platform_id=platform_id)
    claimed = PushChannel.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner), platform_id=platform_id
    ).update(lease_owner=owner, lease_until=now + timedelta(seconds=settings.OCPI_PUSH_LEASE_SECONDS))
    return claimed == 1


def _release(platform_id: int, owner: str) -> None:
    PushChannel.objects.filter(platform_id=platform_id, lease_owner=owner).update(
        lease_owner="", lease_until=None
    )


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter between half and one and a half of the step."""
    step = min(
        settings.OCPI_PUSH_BACKOFF_MAX_SECONDS,
        settings.OCPI_PUSH_BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1),
    )
    return step * random.uniform(0.5, 1.5)  # noqa: S311 - jitter, not security


def _party(value: str) -> PartyRef | None:
    if len(value) == 6 and value[2] == "-":
        return PartyRef(value[:2], value[3:])
    return None


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    retried: int = 0
    next_due: datetime | None = None
    circuit_open: bool = False
    claimed: bool = False


def _receiver_url(platform: Platform, module: str) -> str | None:
    return platform.endpoint_url(module, "RECEIVER")


def deliver_platform(
    *, platform_id: int, budget_seconds: float = 30.0, worker: str | None = None
) -> DeliveryReport:
    """Deliver what is due to one partner, in order per object, within a time budget."""
    owner = worker or uuid.uuid4().hex
    report = DeliveryReport()
    if not Platform.objects.filter(pk=platform_id).exists():
        return report  # a kick for a partner deleted since: nothing to deliver
    if not _claim(platform_id, owner):
        return report
    report.claimed = True
    try:
        platform = Platform.objects.prefetch_related("endpoints").get(pk=platform_id)
        deadline = timezone.now() + timedelta(seconds=budget_seconds)
        client = OcpiClient(token=platform.outgoing_token, timeout=settings.OCPI_PUSH_TIMEOUT, module="push")
        while timezone.now() < deadline:
            channel = PushChannel.objects.get(platform_id=platform_id)
            now = timezone.now()
            if channel.open_until and channel.open_until > now:
                if _wait_inline(channel.open_until, deadline):
                    continue
                report.circuit_open = True
                report.next_due = channel.open_until
                break
            batch = _claim_batch(_due_heads(platform, now, limit=BATCH), now)
            if not batch:
                if _wait_inline(_next_due(platform_id), deadline):
                    continue
                break
            delivered: list[OutboxMessage] = []
            attempted: set[int] = set()
            for message in batch:
                if timezone.now() >= deadline:
                    break
                attempted.add(message.pk)
                outcome = _send(platform, client, message)
                if outcome == "delivered":
                    delivered.append(message)
                    report.delivered += 1
                    if channel.consecutive_failures or channel.last_error:
                        # the partner answers again: close the breaker now, not at the end of the run
                        _channel_healthy(platform_id)
                        channel.consecutive_failures, channel.last_error = 0, ""
                elif outcome == "failed":
                    report.failed += 1
                else:
                    report.retried += 1
                    channel.last_error = "failed in this run"  # reset on the next success
                    if outcome == "paused":
                        break
            _mark_delivered(delivered)
            _unclaim([m.pk for m in batch if m.pk not in attempted])
            PushChannel.objects.filter(platform_id=platform_id, lease_owner=owner).update(
                lease_until=timezone.now() + timedelta(seconds=settings.OCPI_PUSH_LEASE_SECONDS)
            )
        if report.next_due is None:
            report.next_due = _next_due(platform_id)
        if report.delivered:
            now = timezone.now()
            PushChannel.objects.filter(platform_id=platform_id).update(last_success_at=now)
            Platform.objects.filter(pk=platform_id).update(last_contact_at=now)
    finally:
        _release(platform_id, owner)
    return report


def _channel_healthy(platform_id: int) -> None:
    PushChannel.objects.filter(platform_id=platform_id).update(
        consecutive_failures=0, open_until=None, last_error=""
    )


def _next_due(platform_id: int) -> datetime | None:
    """When the next head falls due (messages waiting behind a head do not count)."""
    return min((m.next_attempt_at for m in _heads(platform_id)), default=None)


def _wait_inline(until: datetime | None, deadline: datetime) -> bool:
    """Sleep through a short pause (a 1 s Retry-After, a short backoff) instead of a broker round trip."""
    if until is None:
        return False
    wait = (until - timezone.now()).total_seconds()
    if wait >= settings.OCPI_PUSH_INLINE_WAIT_SECONDS or until >= deadline:
        return False
    time.sleep(max(0.0, wait))
    return True


def _heads(platform_id: int, scan: int = 2000) -> list[OutboxMessage]:
    """The oldest pending message of each object: only it may be sent, the later ones wait behind it."""
    pending = OutboxMessage.objects.filter(platform_id=platform_id, state=OutboxMessage.State.PENDING)
    heads: list[OutboxMessage] = []
    seen: set[tuple[str, str]] = set()
    for message in pending.order_by("id")[:scan]:
        key = (message.module, message.object_key)
        if key not in seen:
            seen.add(key)
            heads.append(message)
    return heads


def _due_heads(platform: Platform, now: datetime, limit: int = 200) -> list[OutboxMessage]:
    """The heads that are due now."""
    return [m for m in _heads(platform.pk) if m.next_attempt_at <= now][:limit]


def _send(platform: Platform, client: OcpiClient, message: OutboxMessage) -> str:
    """One attempt. Returns delivered, failed, retry or paused (the whole partner must wait)."""
    now = timezone.now()
    if message.created_at < now - timedelta(seconds=settings.OCPI_PUSH_MAX_AGE_SECONDS):
        _finish(
            message,
            OutboxMessage.State.FAILED,
            error=f"not delivered within its maximum age; {message.last_error}",
        )
        return "failed"
    base = _receiver_url(platform, message.module)
    if base is None:
        _finish(
            message, OutboxMessage.State.FAILED, error=f"partner has no {message.module} Receiver endpoint"
        )
        return "failed"
    client.from_party, client.to_party = _party(message.from_party), _party(message.to_party)
    try:
        result = client.request(message.method, base.rstrip("/") + message.path, json_body=message.body)
    except OcpiStatusError as exc:
        message.last_http_status, message.last_ocpi_status = exc.http_status, exc.status_code
        if 2000 <= exc.status_code < 3000:
            return _refused(message, exc)
        return _retry(message, exc, now)
    except OcpiHttpError as exc:
        message.last_http_status, message.last_ocpi_status = exc.http_status, None
        if exc.http_status == 404 and message.method == "PATCH":
            return _refused(message, exc)
        if exc.http_status is not None and 400 <= exc.http_status < 500 and exc.http_status not in (408, 429):
            return _refused(message, exc)
        return _retry(message, exc, now)
    except (OcpiTransportError, OcpiDecodeError, OcpiClientError) as exc:
        message.last_http_status = exc.http_status
        return _retry(message, exc, now)
    message.last_http_status, message.last_ocpi_status = result.http_status, result.status_code
    return "delivered"  # written with the rest of the batch by _mark_delivered


BATCH = 100
"""Messages claimed, sent and marked per round: a few statements per round instead of per message."""


def _claim_batch(heads: list[OutboxMessage], now: datetime) -> list[OutboxMessage]:
    """Count the attempt in the database before sending, then send what is stored once claimed.

    Enqueueing merges a PATCH into, or supersedes, only messages with no attempt yet; claiming first
    and reading the bodies back afterwards closes the race where a merge lands while the older body
    is on the wire and the newer one would be lost.
    """
    if not heads:
        return []
    ids = [m.pk for m in heads]
    OutboxMessage.objects.filter(pk__in=ids, state=OutboxMessage.State.PENDING).update(
        attempts=F("attempts") + 1, last_attempt_at=now
    )
    return list(OutboxMessage.objects.filter(pk__in=ids, state=OutboxMessage.State.PENDING).order_by("id"))


def _unclaim(ids: list[int]) -> None:
    """Messages claimed but not attempted (the run ended or the partner paused) keep their count."""
    if ids:
        OutboxMessage.objects.filter(pk__in=ids, attempts__gt=0).update(attempts=F("attempts") - 1)


def _mark_delivered(messages: list[OutboxMessage]) -> None:
    """One UPDATE per distinct answer status. A crash before it means a redelivery, and deliveries
    are idempotent (PUT/PATCH by key, CDR POST deduplicated, equal charging periods not re-appended)."""
    groups: dict[tuple[int | None, int | None], list[int]] = {}
    for message in messages:
        groups.setdefault((message.last_http_status, message.last_ocpi_status), []).append(message.pk)
    now = timezone.now()
    for (http_status, ocpi_status), ids in groups.items():
        OutboxMessage.objects.filter(pk__in=ids).update(
            state=OutboxMessage.State.DELIVERED,
            delivered_at=now,
            last_http_status=http_status,
            last_ocpi_status=ocpi_status,
            last_error="",
        )


def _finish(message: OutboxMessage, state: str, *, error: str = "") -> None:
    message.state = state
    message.last_error = error[:4000]
    if state == OutboxMessage.State.DELIVERED:
        message.delivered_at = timezone.now()
    message.save()


def _refused(message: OutboxMessage, exc: OcpiClientError) -> str:
    """The partner refused the content: retrying the same call cannot help."""
    unknown = getattr(exc, "status_code", None) == 2003 or exc.http_status == 404
    if unknown and message.method == "PATCH" and message.module in _resync:
        replacement = _resync[message.module](message.object_key, message.path)
        if replacement is not None:
            _finish(
                message, OutboxMessage.State.SUPERSEDED, error=f"partner lost the object ({exc}); sent as PUT"
            )
            OutboxMessage.objects.create(
                platform_id=message.platform_id,
                module=replacement.module,
                object_key=replacement.object_key,
                method=replacement.method,
                path=replacement.path,
                body=replacement.body,
                next_attempt_at=timezone.now(),
                from_party=message.from_party,
                to_party=message.to_party,
            )
            return "retry"
    _finish(message, OutboxMessage.State.FAILED, error=str(exc))
    logger.warning("push refused by partner: %s", exc)
    return "failed"


def _retry(message: OutboxMessage, exc: OcpiClientError, now: datetime) -> str:
    paused = False
    if exc.http_status == 429 or exc.retry_after is not None:
        wait = exc.retry_after if exc.retry_after is not None else backoff_seconds(message.attempts)
        message.next_attempt_at = now + timedelta(seconds=wait)
        PushChannel.objects.filter(platform_id=message.platform_id).update(
            open_until=message.next_attempt_at, last_error=str(exc)[:2000], last_failure_at=now
        )
        paused = True
    else:
        message.next_attempt_at = now + timedelta(seconds=backoff_seconds(message.attempts))
        channel = PushChannel.objects.get(platform_id=message.platform_id)
        channel.consecutive_failures += 1
        channel.last_failure_at = now
        channel.last_error = str(exc)[:2000]
        if channel.consecutive_failures >= settings.OCPI_PUSH_BREAKER_THRESHOLD:
            steps = channel.consecutive_failures - settings.OCPI_PUSH_BREAKER_THRESHOLD
            pause = min(
                settings.OCPI_PUSH_BREAKER_MAX_SECONDS, settings.OCPI_PUSH_BACKOFF_BASE_SECONDS * 2**steps
            )
            channel.open_until = now + timedelta(seconds=pause)
            paused = True
        channel.save()
    message.last_error = str(exc)[:4000]
    message.save()
    logger.info("push to partner failed, will retry: %s", exc)
    return "paused" if paused else "retry"


def outbox_retry(*, messages: Iterable[OutboxMessage]) -> int:
    """Admin: put FAILED messages back in the queue, due now."""
    ids = [m.pk for m in messages if m.state == OutboxMessage.State.FAILED]
    now = timezone.now()
    count = OutboxMessage.objects.filter(pk__in=ids).update(
        state=OutboxMessage.State.PENDING, next_attempt_at=now, created_at=now, attempts=0
    )
    platform_ids = set(OutboxMessage.objects.filter(pk__in=ids).values_list("platform_id", flat=True))
    transaction.on_commit(lambda: kick(platform_ids))
    return count


def platforms_with_due_messages() -> list[int]:
    now = timezone.now()
    return list(
        OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
        .values_list("platform_id", flat=True)
        .distinct()
    )
