"""Celery tasks of the sync engine: thin wrappers that load ids and call the services."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from ocpi.core import context
from ocpi.models import Platform
from ocpi.sync.outbox import deliver_platform, platforms_with_due_messages
from ocpi.sync.pull import pull_platform


@shared_task(ignore_result=True, acks_late=True)
def outbox_deliver(platform_id: int) -> None:
    """Deliver what is due to one partner; schedule the next run when more becomes due soon."""
    with context.bind(correlation_id=context.new_id(), module="push"):
        report = deliver_platform(platform_id=platform_id)
    if report.claimed and report.next_due is not None:
        delay = max(0.0, (report.next_due - timezone.now()).total_seconds())
        outbox_deliver.apply_async((platform_id,), countdown=delay)


@shared_task(ignore_result=True)
def outbox_sweep() -> None:
    """Beat: every partner with due messages gets a delivery run (covers lost kicks and dead workers)."""
    for platform_id in platforms_with_due_messages():
        outbox_deliver.delay(platform_id)


@shared_task(ignore_result=True, acks_late=True)
def pull_partner(platform_id: int, full: bool = False, modules: list[str] | None = None) -> None:
    platform = Platform.objects.prefetch_related("endpoints").get(pk=platform_id)
    if platform.is_registered:
        pull_platform(platform=platform, modules=modules, full=full)


@shared_task(ignore_result=True)
def pull_all() -> None:
    """Beat: a delta pull of every registered partner."""
    for platform_id in Platform.objects.filter(status=Platform.Status.REGISTERED).values_list(
        "pk", flat=True
    ):
        pull_partner.delay(platform_id)
