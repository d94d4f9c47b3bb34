"""Shared steps of the end-to-end tests: connect two live platforms, read their data back."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from tests.e2e.harness import LivePlatform


def invite(inviter: LivePlatform, partner: LivePlatform) -> str:
    """`ocpi_invite` on the inviter, naming the partner by its CC-PID; returns the Token A."""
    out = inviter.manage("ocpi_invite", "--name", partner.name).stdout
    fields = dict(re.findall(r"^([\w ]+):\s+(\S+)$", out, flags=re.MULTILINE))
    return fields["token A"]


def connect(initiator: LivePlatform, inviter: LivePlatform) -> None:
    """The inviter issues a Token A; the initiator registers with it (both name the other by CC-PID)."""
    token_a = invite(inviter, initiator)
    result = initiator.manage("ocpi_register", inviter.versions_url, "--name", inviter.name, "--", token_a)
    assert "registered with" in result.stdout, result.stdout + result.stderr


def outgoing_token(platform: LivePlatform, partner: LivePlatform) -> str:
    """The credentials token `platform` uses to call `partner`."""
    rows = platform.sql("SELECT outgoing_token FROM ocpi_platform WHERE name = %s", [partner.name])
    assert rows, f"{platform.name} does not know {partner.name}"
    return str(rows[0][0])


def run_json(platform: LivePlatform, code: str) -> Any:
    """Run Python in the platform's `manage.py shell`; the code prints one JSON document as its last line."""
    out = platform.shell(code).strip().splitlines()
    assert out, f"no output from {code!r}"
    return json.loads(out[-1])


def wait_for(
    predicate: Callable[[], Any], *, timeout: float = 60.0, interval: float = 0.5, what: str = ""
) -> Any:
    """Poll until `predicate()` is truthy; its value, or AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout:.0f}s waiting for {what or predicate}: last value {last!r}"
    )
