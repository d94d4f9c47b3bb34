"""The batch writer's child processes: MeterValues batches and the message log, each with its own GIL.

The SQLite driver (and psycopg) give the GIL up around every statement and every row they step. On
the database threads of the run_ocpp process each of those releases is a hand-over to the busy event
loop and back: measured, it doubled the CPU a batch of MeterValues costs (docs/ocpp.md, benchmark).
In a child process the same work runs on the other core, alongside the event loop. What crosses is
small and plain (`MeterValuesItem`s of Decimals and datetimes, log rows as tuples), pickled once per
batch.

This module imports no model at import time: a child imports it before Django is set up.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

GC_THRESHOLDS = (10_000, 10, 100)
SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits for it (Python's default: 0.005). The database
threads give the GIL up around every SQLite step and psycopg network wait; with the event loop busy,
each time they want it back costs them up to this long, which made a write of a few hundred rows take
tenths of a second."""


def tune_gc() -> None:
    """Fewer, cheaper garbage collections: a collection stops the event loop and the database threads
    alike, and a full one walks every live object (tenths of a second with thousands of chargers).

    What is loaded at start (Django, the schemas) is frozen out of the collector's walks; the youngest
    generation is collected every 10,000 allocations instead of 700, so the short-lived objects of each
    message (frames, rows, schemas) mostly die before they are promoted; and a full collection comes
    after 100 collections of the middle generation instead of 10.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    sys.setswitchinterval(SWITCH_INTERVAL)


def start(databases: dict[str, dict[str, Any]]) -> None:
    """A child's set-up (the pool's initializer): the parent's database settings as its connections had
    them (a test run's database name included), then Django.

    Ctrl-C reaches the whole process group: the child leaves it to run_ocpp, which writes what it has
    buffered through the child and then stops it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_watch, args=(parent.sentinel, os._exit), name="parent", daemon=True).start()
    from django.conf import settings

    settings.DATABASES.clear()
    settings.DATABASES.update(databases)
    import django

    django.setup()
    tune_gc()


def _watch(sentinel: int, leave: Callable[[int], object]) -> None:
    """End the child when run_ocpp has ended, however it ended: killed (SIGKILL, the OOM killer), it
    could not stop its children, and an idle child waits for its next job forever, its database
    connection open."""
    multiprocessing.connection.wait([sentinel])
    leave(0)


def ready() -> bool:
    """A first job: makes the pool start its child before the first batch needs it."""
    return True


def call(fn: Any, kwargs: dict[str, Any]) -> Any:
    """Run one job in the child as the database threads run theirs (`DbExecutor.call`)."""
    from cpo.ocpp.server import DbExecutor

    return DbExecutor.call(fn, kwargs)
