"""Benchmarks, run with `python -m bench` (all) or `python -m bench pricing` (some).

Adding one: create `bench/bench_<name>.py` with a `run() -> list[str]` function that does its own
timing and returns the lines to print. Benchmarks print figures; they never assert.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

PREFIX = "bench_"


def discover() -> list[str]:
    """The benchmark names (`bench_<name>.py` modules of this package), sorted."""
    return sorted(
        module.name.removeprefix(PREFIX)
        for module in pkgutil.iter_modules([str(Path(__file__).parent)])
        if module.name.startswith(PREFIX)
    )
