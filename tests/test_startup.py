"""Start-up: the PIN prompt is drawn before the heavy part of the program is imported, and a PIN typed
while the database is still being opened is not lost."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from textual.widgets import Input

import tui.app as app_module
from store import access, db, dbfile, pins, schema
from tui.app import ArenaApp

from .conftest import PIN, TODAY, World, older_release_database
from .test_keys import _event, marks, type_fast
from .test_tui import count, settle
from .waiting import TIMEOUT, eventually, wait_until_async

ROOT = Path(__file__).resolve().parent.parent

# What must stay lazy: imported by the start-up worker while the PIN is typed, or when a screen needs it
# (see the comment at the top of tui/app.py). A store module declaring tables with sqlmodel is fine, as
# long as nothing the first screen imports imports it.
LAZY = ("sqlalchemy", "sqlmodel", "holidays", "openpyxl", "reportlab")

FIRST_PAINT = r"""
import sys
import tui.app as app_module
from textual.app import App

seen = {}

def start_loading(self):
    # called once the first screen has been drawn (ArenaApp.on_mount: call_after_refresh)
    seen["lazy"] = sorted({m.split(".")[0] for m in sys.modules} & set(LAZY))
    seen["screens"] = sorted(m for m in sys.modules if m.startswith("tui.screens.") and m != "tui.screens.lock")
    seen["screen"] = type(self.screen).__name__
    seen["focused"] = getattr(self.screen.focused, "id", None)
    self.exit()

app_module.ArenaApp._start_loading = start_loading
app_module.ArenaApp.run = lambda self, **kw: App.run(self, headless=True, size=(80, 24))
from tui.cli import entry
entry.main(["--db", sys.argv[1]])
print(seen)
"""


def test_the_pin_prompt_is_drawn_before_sqlalchemy_holidays_or_other_screens_are_imported(world: World) -> None:
    code = f"LAZY = {LAZY!r}\n" + FIRST_PAINT
    result = subprocess.run([sys.executable, "-c", code, str(world.path)], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = eval(result.stdout.strip().splitlines()[-1])  # noqa: S307 -- our own dict's repr
    assert seen == {"lazy": [], "screens": [], "screen": "LockScreen", "focused": "pin"}, seen


def test_help_imports_nothing_lazy() -> None:
    code = ("import sys; from tui.cli import entry\n"
            "try:\n    entry.main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"bad = sorted({{m.split('.')[0] for m in sys.modules}} & set({LAZY + ('textual',)!r}))\n"
            "sys.stderr.write(str(bad)); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr


async def test_a_pin_typed_while_the_database_opens_unlocks_and_the_keys_after_it_follow(world: World) -> None:
    """The app given a way to open the database (as `arena` starts it): the prompt is there at once,
    the PIN and F3 typed straight away; the PIN is checked once the user is known, F3 then opens."""
    app = ArenaApp(lambda: db.open(world.path), "omar.farah")
    async with app.run_test(size=(120, 40)) as pilot:
        assert type(app.screen).__name__ == "LockScreen"
        await type_fast(pilot, app, *PIN, "enter", "f3")
        await settle(pilot, app)
        assert app.user is not None and app.user.login == "omar.farah"
        assert type(app.screen).__name__ == "AttendanceScreen"
    app.db.dispose()


async def test_a_wrong_pin_typed_early_is_refused_and_counted(world: World) -> None:
    app = ArenaApp(lambda: db.open(world.path), "omar.farah")
    async with app.run_test(size=(120, 40)) as pilot:
        await type_fast(pilot, app, *"999999", "enter", "f3")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "LockScreen" and app.user is None
        assert "Omar Farah" in str(app.screen.query_one("#lock-user").render())
    app.db.dispose()
    assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'unlock_failed'") == 1


async def test_enter_typed_before_the_terminal_was_raw_still_submits_the_pin(world: World) -> None:
    """Typed before the app set the terminal to raw mode, Enter arrives as a newline (ctrl+j)."""
    app = ArenaApp(lambda: db.open(world.path), "omar.farah")
    async with app.run_test(size=(80, 24)) as pilot:
        await type_fast(pilot, app, *PIN, "ctrl+j")
        await settle(pilot, app)
        assert app.user is not None and type(app.screen).__name__ != "LockScreen"
    app.db.dispose()


def test_the_cli_says_in_one_line_that_it_upgrades_an_older_database_and_only_then(tmp_path: Path) -> None:
    path = older_release_database(tmp_path / "old.db")
    env = {**os.environ, "ARENA_USER": "anna.lind"}
    said = []
    for _ in range(2):
        result = subprocess.run([sys.executable, "-m", "tui.cli", "find", "anna", "--db", str(path)], input="",
                                capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        assert "Traceback" not in result.stderr, result.stderr
        said.append([line for line in result.stderr.splitlines() if "uppgraderas" in line])
    assert said[0] == [f"arena: Databasen {path} uppgraderas till den här versionen av Arena (en gång; på en"
                       " stor databas kan det ta några minuter)."], said
    assert said[1] == []  # upgraded once: the next start says nothing
    assert dbfile.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATIONS)


async def test_the_app_says_on_screen_that_it_upgrades_an_older_database(tmp_path: Path) -> None:
    """Opened by the start-up worker (as `arena` does): the line is a toast on the screen shown then."""
    path = older_release_database(tmp_path / "old.db")
    app = ArenaApp(lambda: db.open(path), "anna.lind", pin=PIN)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, app)

        def said() -> list[str]:
            return [text for toast in app.screen.query("Toast") if "uppgraderas till den här versionen av Arena"
                    in (text := str(toast.render()))]

        assert await wait_until_async(said, "the upgrade's toast")
    app.db.dispose()


def _opener(path: Path):  # noqa: ANN202
    def open_database() -> db.Database:
        return db.open(path)

    open_database.path = str(path)  # type: ignore[attr-defined]  # (as tui.app.run names it)
    return open_database


async def test_a_pin_given_at_start_is_proven_while_the_database_opens_and_a_wrong_one_is_counted(world: World) -> None:
    """The PIN's scrypt begins before the store is imported (pins.prove_ahead); the store still decides:
    the right PIN starts the app, a wrong one is refused and counted once, as a PIN typed at the prompt."""
    for pin, user, failures in ((PIN, "omar.farah", 0), ("999999", None, 1)):
        app = ArenaApp(_opener(world.path), "omar.farah", pin=pin)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, app)
            assert (app.user.login if app.user else None) == user
            assert type(app.screen).__name__ == ("OverviewScreen" if user else "LockScreen")
        app.db.dispose()
        assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'unlock_failed'") == failures


def test_a_pin_proven_ahead_against_a_hash_since_replaced_is_checked_again(world: World) -> None:
    """A proof begun against the PIN hash as it was is not taken once the PIN has changed: unlock checks
    the hash it reads itself (the old PIN is wrong now, the new one right, whatever was proven ahead)."""
    new_pin = "864200"
    ahead_old = pins.prove_ahead(str(world.path), "omar.farah", PIN)
    ahead_new = pins.prove_ahead(str(world.path), "omar.farah", new_pin)
    assert ahead_old is not None and ahead_new is not None
    pins.set_pin(world.db, "omar.farah", new_pin, current_pin=PIN)
    pins.unlock(world.db, "omar.farah", new_pin, ahead=ahead_new)  # proven ahead as wrong, right now
    with pytest.raises(access.AccessDenied) as refused:
        pins.unlock(world.db, "omar.farah", PIN, ahead=ahead_old)  # proven ahead as right, wrong now
    assert refused.value.key == "pin.wrong"
    assert pins.prove_ahead(str(world.path), "nobody.here", PIN) is None


def test_the_swedish_holidays_load_without_the_other_countries_and_are_the_packages_own() -> None:
    """store.calendar loads holidays.Sweden's module on its own (the package's `holidays.countries`
    imports 250 countries on the way to one): the tables are the ones the package gives the ordinary way."""
    years, args = range(2024, 2029), "include_sundays=False, categories=('public', 'de_facto')"
    ours = ("import sys; from store import calendar\n"
            f"print(repr({{(y, l): calendar._holidays(y, l) for y in {years!r} for l in ('sv', 'en')}}))\n"
            "print(sorted(m for m in sys.modules if m.startswith('holidays.countries')))\n")
    ordinary = ("import datetime; from holidays.countries import Sweden\n"
                f"print(repr({{(y, l): dict(Sweden(years=y, {args}, language='sv' if l == 'sv' else 'en_US').items())"
                f" for y in {years!r} for l in ('sv', 'en')}}))\n")
    out = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
           for code in (ours, ordinary)]
    assert all(r.returncode == 0 for r in out), [r.stderr for r in out]
    tables, modules = out[0].stdout.splitlines()
    assert tables == out[1].stdout.splitlines()[0] and "Julafton" in tables and "Midsummer Eve" in tables
    assert modules == "['holidays.countries.sweden']"


# --- keys typed after the PIN's Enter while the start is slow (an upgrade, a held write lock): they wait
# for the first screen, however long, and go there in order; a wrong PIN drops them. The start is held by
# an event the test sets; the app's clock is moved on two minutes meanwhile, so a hold that ends by itself
# after some seconds would end.

def _held_opener(path: Path, gate: threading.Event, older: bool = False):  # noqa: ANN202
    def open_database() -> db.Database:
        assert gate.wait(TIMEOUT), "the test never let the start go on"
        return db.open(path)

    open_database.path = str(path)  # type: ignore[attr-defined]
    return open_database


def _send(app: ArenaApp, *keys: str) -> None:
    """Every key queued at once, as a fast typist's terminal sends them (nothing waited for)."""
    for key in keys:
        event = _event(key)
        event.set_sender(app)
        app._driver.send_message(event)


async def _typed_during_a_long_start(pilot, app: ArenaApp, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
                                     keys: tuple[str, ...], after: int) -> list[str]:
    """Type `keys` at full speed while the start is held, move the app's clock on two minutes, check
    nothing typed after Enter reached the prompt; return the toasts said meanwhile."""
    said: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **_: said.append(str(message)))
    skew = [0.0]
    monkeypatch.setattr(app_module, "time", SimpleNamespace(monotonic=lambda: time.monotonic() + skew[0]))
    _send(app, *keys)
    await eventually(pilot, lambda: app.keys_waiting() == after and app.opening, "the keys after Enter held")
    skew[0] = 120.0  # two minutes of upgrade: any hold that ends after some seconds has ended now
    for _ in range(30):
        await pilot.pause()
    lock = app.screen
    assert type(lock).__name__ == "LockScreen" and app.keys_waiting() == after
    assert lock.query_one("#pin", Input).value == "".join(keys[:keys.index("enter")])  # nothing after Enter
    assert "kontrolleras" in str(lock.query_one("#lock-prompt").render())
    return said


async def test_f2_and_letters_typed_after_the_pin_reach_the_search_however_long_the_start_takes(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    app = ArenaApp(_held_opener(world.path, gate), "omar.farah")
    async with app.run_test(size=(120, 40)) as pilot:
        said = await _typed_during_a_long_start(pilot, app, monkeypatch, (*PIN, "enter", "f2", *"ander"), 6)
        gate.set()
        await settle(pilot, app)
        assert type(app.screen).__name__ == "SearchScreen" and app.user is not None
        field = app.screen.query_one("#search-input", Input)
        assert field.value == "ander" and app.focused is field
        assert said == []  # no "not open for your role (?)"
    app.db.dispose()


async def test_f3_enter_n_typed_while_the_pin_is_checked_marks_the_first_person(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    app = ArenaApp(_held_opener(world.path, gate), "omar.farah")
    async with app.run_test(size=(120, 40)) as pilot:
        said = await _typed_during_a_long_start(pilot, app, monkeypatch, (*PIN, "enter", "f3", "enter", "n"), 3)
        assert marks(world) == []
        gate.set()
        await settle(pilot, app)
        assert type(app.screen).__name__ == "AttendanceScreen"
        assert said == []
    app.db.dispose()
    assert marks(world) == [("Andersson", "present", 6.0, TODAY.isoformat())]


async def test_keys_typed_after_a_wrong_pin_are_dropped_never_typed_into_the_prompt(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    app = ArenaApp(_held_opener(world.path, gate), "omar.farah")
    async with app.run_test(size=(120, 40)) as pilot:
        said = await _typed_during_a_long_start(pilot, app, monkeypatch, (*"999999", "enter", "f3", *"ander"), 6)
        gate.set()
        await settle(pilot, app)
        lock = app.screen
        assert type(lock).__name__ == "LockScreen" and app.user is None and app.keys_waiting() == 0
        assert lock.query_one("#pin", Input).value == "" and app.focused is lock.query_one("#pin", Input)
        assert "Fel PIN-kod" in str(lock.query_one("#lock-error").render())
        assert str(lock.query_one("#lock-prompt").render()) == "Skriv din PIN-kod och tryck Enter."
        assert said == []
        await type_fast(pilot, app, *PIN, "enter", "f2", *"berg")  # the right PIN now: in, and on to search
        await settle(pilot, app)
        assert app.screen.query_one("#search-input", Input).value == "berg"
    app.db.dispose()
    assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'unlock_failed'") == 1
    assert marks(world) == []


async def test_after_ctrl_l_keys_typed_after_a_wrong_pin_are_dropped_and_after_the_right_one_reach_the_screen(
        world: World) -> None:
    from .test_tui import make_app

    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "ctrl+l", *"999999", "enter", "f3", "enter", "n", *"ander")
        lock = app.screen
        assert type(lock).__name__ == "LockScreen" and app.locked
        assert lock.query_one("#pin", Input).value == "" and "Fel PIN-kod" in str(lock.query_one("#lock-error").render())
        await type_fast(pilot, app, *PIN, "enter", "f2", *"ander")
        assert not app.locked and app.screen.query_one("#search-input", Input).value == "ander"
    app.db.dispose()
    assert marks(world) == []
    assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'unlock_failed'") == 1
