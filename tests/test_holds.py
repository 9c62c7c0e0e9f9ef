"""Keys typed while a screen waits for a slow read (search results, a roll call) wait for it however
long it takes – not a few seconds – and act on it once shown; a read that fails drops them with a line,
never hands them to the screen beneath. The read is held by an event the test sets, and the app's clock
is moved on two minutes meanwhile, so a hold that ended by itself after some seconds would end."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from textual.widgets import Input

import tui.app as app_module
from store import attendance, cases
from tui.app import ArenaApp

from .conftest import TODAY, World
from .test_keys import marks
from .test_startup import _send
from .test_tui import make_app, settle
from .waiting import TIMEOUT, eventually


def _slowed(monkeypatch: pytest.MonkeyPatch, module: object, name: str, gate: threading.Event,
            fail: bool = False) -> None:
    real = getattr(module, name)

    def held(*args: object, **kwargs: object) -> object:
        assert gate.wait(TIMEOUT), "the test never let the read go on"
        if fail:
            raise OSError("disk I/O error")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, held)


async def _two_minutes_pass(pilot, app: ArenaApp, monkeypatch: pytest.MonkeyPatch, after: int) -> None:  # noqa: ANN001
    """Once `after` keys wait, the app's clock moves on two minutes; they still wait."""
    await eventually(pilot, lambda: app.keys_waiting() == after and app.opening, "the keys held")
    monkeypatch.setattr(app_module, "time", SimpleNamespace(monotonic=lambda: time.monotonic() + 120.0))
    for _ in range(30):
        await pilot.pause()
    assert app.keys_waiting() == after


async def test_enter_typed_after_a_slow_search_opens_the_card_of_the_person_found(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(world, "karin.ek")  # (Anna Andersson is in her caseload: the card opens at once)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        gate = threading.Event()
        _slowed(monkeypatch, cases, "search", gate)
        _send(app, "f2", *"ander", "enter", "enter")
        await _two_minutes_pass(pilot, app, monkeypatch, 1)
        assert type(app.screen).__name__ == "SearchScreen"
        assert app.screen.query_one("#search-input", Input).value == "ander"
        gate.set()
        await settle(pilot, app)
        assert type(app.screen).__name__ == "CaseCardScreen"
        assert "Andersson" in app.screen.participant.name
    app.db.dispose()


async def test_f3_enter_n_on_a_slow_roll_call_marks_the_first_person(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        gate = threading.Event()
        _slowed(monkeypatch, attendance, "roll_call", gate)
        _send(app, "f3", "enter", "n")
        await _two_minutes_pass(pilot, app, monkeypatch, 1)
        assert marks(world) == []
        gate.set()
        await settle(pilot, app)
        assert type(app.screen).__name__ == "AttendanceScreen"
    app.db.dispose()
    assert marks(world) == [("Andersson", "present", 6.0, TODAY.isoformat())]


async def test_keys_typed_after_a_search_that_fails_are_dropped_with_a_line(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        gate = threading.Event()
        _slowed(monkeypatch, cases, "search", gate, fail=True)
        _send(app, "f2", *"ander", "enter", *"xy", "enter")
        await _two_minutes_pass(pilot, app, monkeypatch, 3)
        gate.set()
        await settle(pilot, app)
        assert type(app.screen).__name__ == "SearchScreen" and app.keys_waiting() == 0
        assert app.screen.query_one("#search-input", Input).value == "ander"  # not 'anderxy'
        said = lambda: [str(n.message) for n in app.notices]  # noqa: E731
        assert any("misslyckades. Skriv det igen" in line for line in said())
        assert any("disk I/O error" in line for line in said())  # the failure's own line
    app.db.dispose()
