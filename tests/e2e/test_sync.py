"""The sync engine between live platforms: push through the outbox (also to a partner that is down or
misbehaving), ordering, and the delta pull (issue: sync engine; §4.1.2 Pull and Push)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.faulty_proxy import Faults, FaultyProxy
from tests.e2e.harness import LivePlatform, Platforms, PlatformSpec
from tests.e2e.helpers import connect, invite, wait_for

pytestmark = pytest.mark.e2e

FAST_RETRIES = {
    "OCPI_PUSH_BACKOFF_BASE_SECONDS": "0.2",
    "OCPI_PUSH_BACKOFF_MAX_SECONDS": "2",
    "OCPI_PUSH_BREAKER_MAX_SECONDS": "2",
    "OCPI_PUSH_TIMEOUT": "5",
}
CPO = "NL-CPS"
EMSP = "DE-EMS"


@pytest.fixture(scope="module")
def sync(platforms: Platforms) -> Iterator[tuple[LivePlatform, LivePlatform, FaultyProxy]]:
    """A CPO and an eMSP registered with each other; the eMSP is reached through a FaultyProxy."""
    proxy = FaultyProxy()
    cpo, emsp = platforms.start(
        PlatformSpec("NL", "CPS", ("CPO",), "Sync CPO", env=FAST_RETRIES),
        PlatformSpec("DE", "EMS", ("EMSP",), "Sync eMSP", env={**FAST_RETRIES, "OCPI_BASE_URL": proxy.url}),
    )
    proxy.target = emsp.base_url
    token_a = invite(emsp, cpo)
    result = cpo.manage("ocpi_register", f"{proxy.url}/ocpi/versions", "--name", emsp.name, "--", token_a)
    assert "registered with" in result.stdout
    yield cpo, emsp, proxy
    proxy.close()
    platforms.destroy(cpo, emsp)


def act(cpo: LivePlatform, *calls: str) -> None:
    """Run cpo_actions calls on the CPO platform, in one process."""
    cpo.shell("from tests.e2e import cpo_actions as x\n" + "\n".join(f"x.{c}" for c in calls))


def snapshot(platform: LivePlatform, cpo: str = CPO) -> dict[str, Any]:
    out = platform.shell(f"from tests.e2e import cpo_actions as x\nx.snapshot({cpo!r})").strip().splitlines()
    return json.loads(out[-1])


def pending(cpo: LivePlatform) -> int:
    return int(cpo.sql("SELECT count(*) FROM ocpi_sync_outboxmessage WHERE state = 'PENDING'")[0][0])


def settle(cpo: LivePlatform, timeout: float = 120) -> None:
    wait_for(lambda: pending(cpo) == 0, timeout=timeout, interval=0.5, what="the outbox to drain")


def last_message(cpo: LivePlatform) -> tuple[str, str, str]:
    rows = cpo.sql("SELECT method, path, state FROM ocpi_sync_outboxmessage ORDER BY id DESC LIMIT 1")
    return rows[0]


def assert_equal(cpo: LivePlatform, emsp: LivePlatform) -> None:
    ours, theirs = snapshot(cpo), snapshot(emsp)
    for kind in ("locations", "tariffs", "sessions", "cdrs"):
        assert theirs[kind] == ours[kind], kind


def test_each_kind_of_change_reaches_the_emsp_with_the_right_call(sync):
    cpo, emsp, _ = sync
    act(cpo, "location(1)")
    settle(cpo)
    assert last_message(cpo) == ("PUT", "/NL/CPS/L0001", "DELIVERED")
    act(cpo, "evse_status(1, 0, 'CHARGING')")
    settle(cpo)
    assert last_message(cpo) == ("PATCH", "/NL/CPS/L0001/L0001-E0", "DELIVERED")
    assert snapshot(emsp)["locations"][0]["evses"][0]["status"] == "CHARGING"
    act(cpo, f"session('S1', {EMSP!r})", "session_progress('S1', 15, 3.5)", f"cdr('C1', {EMSP!r})")
    settle(cpo)
    assert last_message(cpo) == ("POST", "", "DELIVERED")
    act(cpo, "tariff('T9', 0.31)")
    settle(cpo)
    assert [t["id"] for t in snapshot(emsp)["tariffs"]] == ["T9"]
    act(cpo, "tariff_remove('T9')")
    settle(cpo)
    assert last_message(cpo) == ("DELETE", "/NL/CPS/T9", "DELIVERED")
    assert_equal(cpo, emsp)


def test_fifty_quick_updates_to_one_evse_end_with_the_last_one(sync):
    cpo, emsp, _ = sync
    act(cpo, "location(2)")
    statuses = ["CHARGING", "AVAILABLE", "BLOCKED", "OUTOFORDER", "INOPERATIVE"] * 10
    act(cpo, *(f"evse_status(2, 1, {s!r})" for s in statuses))
    settle(cpo)
    location = next(loc for loc in snapshot(emsp)["locations"] if loc["id"] == "L0002")
    assert location["evses"][1]["status"] == statuses[-1]
    assert_equal(cpo, emsp)


def test_a_partner_that_is_down_gets_everything_in_order_once_it_is_back(sync):
    cpo, emsp, _ = sync
    emsp.stop()
    try:
        calls = [f"location({n})" for n in range(10, 30)]
        calls += [
            f"evse_status({n}, {n % 2}, {s!r})" for n in range(10, 30) for s in ("CHARGING", "AVAILABLE")
        ]
        calls += [f"session('D{n}', {EMSP!r})" for n in range(20)]
        calls += [f"session_progress('D{n}', {m}, {m / 10})" for n in range(20) for m in (15, 30, 45, 60, 75)]
        calls += [f"cdr('DC{n}', {EMSP!r})" for n in range(20)]
        assert len(calls) == 200
        act(cpo, *calls)
        assert pending(cpo) > 0
    finally:
        emsp.start()
    settle(cpo, timeout=180)
    assert_equal(cpo, emsp)


def test_a_faulty_partner_still_ends_equal_without_duplicates_or_lost_updates(sync):
    cpo, emsp, proxy = sync
    faults = Faults()
    proxy.set_faults(faults)
    try:
        # Each 429 pauses the partner for its Retry-After (1 s): keep the message count modest.
        calls = [f"location({n})" for n in range(40, 43)]
        calls += [f"evse_status({n}, 0, {s!r})" for n in range(40, 43) for s in ("CHARGING", "BLOCKED")]
        calls += [
            f"session('F0', {EMSP!r})",
            "session_progress('F0', 15, 1.5)",
            "session_progress('F0', 30, 3.0)",
        ]
        calls += [f"cdr('FC{n}', {EMSP!r})" for n in range(2)]
        act(cpo, *calls)
        settle(cpo, timeout=240)
    finally:
        proxy.set_faults(None)
    assert faults.counts.get("rate_limited", 0) > 0
    assert faults.counts.get("server_error", 0) + faults.counts.get("truncated", 0) > 0
    assert_equal(cpo, emsp)
    cdr_ids = [c["id"] for c in snapshot(emsp)["cdrs"]]
    assert len(cdr_ids) == len(set(cdr_ids))
    failed = cpo.sql("SELECT count(*) FROM ocpi_sync_outboxmessage WHERE state = 'FAILED'")[0][0]
    assert failed == 0


def test_an_emsp_that_missed_pushes_catches_up_with_one_pull(sync, platforms):
    cpo, _, _ = sync
    # It asks for pages of 10: the CPO's list comes through several Link pages.
    (late,) = platforms.start(
        PlatformSpec("FR", "LAT", ("EMSP",), "Late eMSP", env={"OCPI_PULL_PAGE_LIMIT": "10"})
    )
    try:
        connect(late, cpo)  # registered after the CPO's data existed: nothing was pushed to it
        assert snapshot(late)["locations"] == []
        first = late.manage("ocpi_sync", cpo.name).stdout
        ours, theirs = snapshot(cpo), snapshot(late)
        assert theirs["locations"] == ours["locations"]
        assert theirs["tariffs"] == ours["tariffs"]
        assert f"locations: OK fetched={len(ours['locations'])} " in first
        pages = int(re.search(r"locations: OK .* pages=(\d+)", first).group(1))
        assert pages == -(-len(ours["locations"]) // 10) > 1
        act(cpo, "evse_status(1, 1, 'CHARGING')", "evse_status(2, 0, 'CHARGING')")
        second = late.manage("ocpi_sync", cpo.name, "--module", "locations").stdout
        assert "locations: OK fetched=2 " in second, second
        assert snapshot(late)["locations"] == snapshot(cpo)["locations"]
    finally:
        platforms.destroy(late)
