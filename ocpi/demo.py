"""Demo data for `make run`: what a new operator sees after a fresh install."""

from __future__ import annotations


def demo_load() -> list[str]:
    """Create the demo objects (idempotent) and describe them, one line each."""
    return []
