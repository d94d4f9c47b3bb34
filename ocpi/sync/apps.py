"""Keeping partners in step: the durable push outbox and the paginated delta pull (§4.1.2 Pull and Push)."""

from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "ocpi.sync"
    label = "ocpi_sync"
    verbose_name = "OCPI sync (push outbox, pull)"
    default_auto_field = "django.db.models.BigAutoField"
