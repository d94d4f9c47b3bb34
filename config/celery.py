"""The Celery app (`celery -A config worker`, `celery -A config beat`); the beat schedule is in code."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _beat_schedule() -> dict[str, dict[str, object]]:
    from django.conf import settings

    return {
        "outbox-sweep": {
            "task": "ocpi.sync.tasks.outbox_sweep",
            "schedule": settings.OCPI_SWEEP_INTERVAL_SECONDS,
        },
        "pull-all": {"task": "ocpi.sync.tasks.pull_all", "schedule": settings.OCPI_PULL_INTERVAL_SECONDS},
    }


@app.on_after_configure.connect
def _setup_beat(sender: Celery, **kwargs: object) -> None:
    sender.conf.beat_schedule = _beat_schedule()
