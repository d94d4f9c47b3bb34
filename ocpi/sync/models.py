"""The push outbox and the pull bookkeeping.

An OutboxMessage is written in the same database transaction as the change it announces, one per
partner that must hear of it, so a crash between the change and the push loses nothing. Workers
deliver messages of one object strictly in order (their id order), so an older version never
overwrites a newer one at the partner.
"""

from __future__ import annotations

from django.db import models

from ocpi.models import Platform


class OutboxMessage(models.Model):
    """One OCPI call owed to one partner: PUT/PATCH/POST/DELETE of one object, with its body."""

    class State(models.TextChoices):
        PENDING = "PENDING"
        DELIVERED = "DELIVERED"
        SUPERSEDED = "SUPERSEDED", "Superseded by a later PUT of the same object"
        FAILED = "FAILED", "Failed (too old or refused): retry from admin"

    # No index of its own: `outbox_pending_idx` begins with it. Every push writes this table.
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="outbox", db_index=False)
    module = models.CharField(max_length=32)
    object_key = models.CharField(
        max_length=200, help_text="Top-level object (e.g. NL/ABC/LOC1): its messages go out in order"
    )
    method = models.CharField(max_length=6)
    path = models.CharField(max_length=300, help_text="Appended to the partner's Receiver endpoint URL")
    body = models.JSONField(null=True, blank=True)
    from_party = models.CharField(max_length=6, blank=True, help_text="OCPI-from-* as CC-PID")
    to_party = models.CharField(max_length=6, blank=True, help_text="OCPI-to-* as CC-PID")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_http_status = models.PositiveIntegerField(null=True, blank=True)
    last_ocpi_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["platform", "state", "object_key", "id"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.module}{self.path} -> {self.platform_id} ({self.state})"


class PushChannel(models.Model):
    """Per-partner delivery state: a lease so one worker at a time pushes to it, and a circuit breaker."""

    platform = models.OneToOneField(Platform, on_delete=models.CASCADE, related_name="push_channel")
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    open_until = models.DateTimeField(
        null=True, blank=True, help_text="Circuit open: no calls before this time"
    )
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"push channel of {self.platform_id}"


class PullRun(models.Model):
    """One pull of one module from one partner: when, how many objects, how many skipped, errors."""

    class Outcome(models.TextChoices):
        RUNNING = "RUNNING"
        OK = "OK"
        FAILED = "FAILED"

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="pull_runs")
    module = models.CharField(max_length=32)
    full = models.BooleanField(default=False)
    date_from = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.RUNNING)
    fetched = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    errors = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["platform", "module", "outcome", "-started_at"], name="pull_last_ok_idx")
        ]

    def __str__(self) -> str:
        return f"pull {self.module} from {self.platform_id} at {self.started_at:%Y-%m-%d %H:%M}"
