"""Fixtures for live multi-platform tests: `platforms` starts real platforms; their logs show on failure."""

from __future__ import annotations

import signal
from collections.abc import Generator, Iterator
from types import FrameType

import pytest

from tests.e2e.harness import Platforms, live_platforms


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def platforms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platforms]:
    """The session's platform factory: `a, b = platforms.start("NL-AAA:CPO", "DE-BBB:EMSP")`.

    Platforms live until `platforms.destroy(p)` or the end of the session; SIGTERM to pytest is
    turned into KeyboardInterrupt so that the teardown still stops every process group.
    """
    previous = None
    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            previous = signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread
        previous = None
    owner = Platforms(tmp_path_factory.mktemp("e2e"))
    try:
        yield owner
    finally:
        owner.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Logs are reported from here on if this test fails."""
    if item.get_closest_marker("e2e"):
        for platform in live_platforms():
            platform.mark_logs()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, object, object]:
    """On a failing e2e test, every live platform's logs (since the test began) join the report."""
    report = yield
    if isinstance(report, pytest.TestReport) and report.failed and item.get_closest_marker("e2e"):
        for platform in live_platforms():
            for file_name, text in platform.log_report():
                report.sections.append((f"{platform.name} {file_name} ({platform.log_dir})", text))
    return report
