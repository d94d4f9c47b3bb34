"""Routes with their handlers' signatures attached (`handlers.base._signed`): the library still passes
the call's unique id exactly to the handlers that ask for it."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from cpo.ocpp.handlers.base import _signed


class Handlers:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def on_with_id(self, connector_id: int, call_unique_id: str | None = None) -> str:
        self.calls.append(("on", {"connector_id": connector_id, "call_unique_id": call_unique_id}))
        return "answered"

    def after_plain(self, connector_id: int) -> None:
        self.calls.append(("after", {"connector_id": connector_id}))


def test_signed_routes_answer_as_the_bound_handlers() -> None:
    handlers = Handlers()
    route = {
        "_on_action": handlers.on_with_id,
        "_after_action": handlers.after_plain,
        "_skip_schema_validation": True,
    }
    signed = _signed(route)

    assert signed["_skip_schema_validation"] is True
    on, after = signed["_on_action"], signed["_after_action"]
    assert inspect.signature(on) == inspect.signature(handlers.on_with_id)
    assert "call_unique_id" in inspect.signature(on).parameters  # what the library checks
    assert "call_unique_id" not in inspect.signature(after).parameters
    assert "self" not in inspect.signature(on).parameters

    assert asyncio.run(on(connector_id=2, call_unique_id="u-1")) == "answered"
    after(connector_id=2)
    assert handlers.calls == [
        ("on", {"connector_id": 2, "call_unique_id": "u-1"}),
        ("after", {"connector_id": 2}),
    ]
    assert route["_on_action"] == handlers.on_with_id  # the library's own map is left as it was
