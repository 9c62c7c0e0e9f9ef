"""Roles, PIN and lock: the same refusal through the store, the CLI and the TUI; checked on the file."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from store import access, attendance, cases, db, dbfile, milestones, pins, staff
from store.i18n import ArenaError
from tui import cli

from .conftest import PIN, TODAY, World, footer_keys
from .test_tui import count, make_app, settle


# ------------------------------------------------------------------------------------------------ store

def test_each_role_gets_what_it_needs_and_nothing_more(world: World) -> None:
    pid = world.people[1]
    # the leader takes the roll call of the activity they lead ...
    attendance.mark(world.db, "lena.leder", pid, world.activity_id, TODAY, "present")
    # ... but reads no case, no identity numbers, no notes, and changes no case
    for refused in (lambda: cases.open_case(world.db, "lena.leder", pid, reason="nyfiken"),
                    lambda: cases.search(world.db, "Berg", login="lena.leder"),
                    lambda: cases.add_note(world.db, "lena.leder", pid, "hej"),
                    lambda: milestones.plan(world.db, "lena.leder", pid, "kartlaggning", TODAY)):
        with pytest.raises(access.AccessDenied, match="aktivitetsledare"):
            refused()
    # a caseworker administers nothing; an unknown login does nothing at all
    with pytest.raises(access.AccessDenied, match="administrera"):
        milestones.add_stage(world.db, "omar.farah", "ny", "Ny", "New")
    with pytest.raises(access.AccessDenied, match="administrera"):
        staff.create(world.db, "omar.farah", "kompis", "Kompis")
    with pytest.raises(access.AccessDenied, match="finns inte"):
        attendance.mark(world.db, "inkräktare", world.people[2], world.activity_id, TODAY, "present")
    assert count(world, "SELECT count(*) FROM attendance") == 1
    assert count(world, "SELECT count(*) FROM note") == 0
    assert count(world, "SELECT count(*) FROM caseworker WHERE login = 'kompis'") == 0


def test_a_leader_marks_only_their_own_activity(world: World) -> None:
    from store import activities

    other = activities.create(world.db, "setup", "Snickeri", (6, 6, 6, 6, 4), leader_login="omar.farah")
    activities.enrol(world.db, "setup", world.people[0], other, dt.date(2026, 9, 1))
    with pytest.raises(access.AccessDenied, match="inte ledare"):
        attendance.mark(world.db, "lena.leder", world.people[0], other, TODAY, "present")
    assert [s.name for s in attendance.sessions(world.db, TODAY, "lena.leder")] == ["Arbetsträning café"]


def test_deactivated_user_can_no_longer_act(world: World) -> None:
    staff.deactivate(world.db, "setup", "karin.ek")
    with pytest.raises(access.AccessDenied):
        attendance.mark(world.db, "karin.ek", world.people[0], world.activity_id, TODAY, "present")
    with pytest.raises(ArenaError):
        staff.deactivate(world.db, "setup", "setup")


def test_pin_is_hashed_and_wrong_tries_are_limited_and_logged(world: World) -> None:
    for weak, why in (("2580", "minst 6 siffror"), ("111111", "för enkel"), ("456789", "för enkel"),
                      ("kort fras", "lösenfras")):
        with pytest.raises(ArenaError, match=why):
            pins.set_pin(world.db, "omar.farah", weak, current_pin=PIN)
    pins.set_pin(world.db, "omar.farah", "258013", current_pin=PIN)
    stored = dbfile.connect(world.path).execute(
        "SELECT pin_hash FROM caseworker WHERE login = 'omar.farah'").fetchone()[0]
    assert stored.startswith("scrypt$") and "258013" not in stored
    pins.unlock(world.db, "omar.farah", "258013")
    for left in (4, 3, 2, 1):
        with pytest.raises(access.AccessDenied, match=f"{left} försök kvar"):
            pins.unlock(world.db, "omar.farah", "000000")
    with pytest.raises(access.AccessDenied, match="För många"):
        pins.unlock(world.db, "omar.farah", "000000")
    with pytest.raises(access.AccessDenied, match="För många"):  # even the right PIN waits now
        pins.unlock(world.db, "omar.farah", "258013")
    assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'unlock_failed'"
                        " AND user_login = 'omar.farah'") == 5
    # changing the PIN needs the current one
    with pytest.raises(access.AccessDenied):
        pins.set_pin(world.db, "karin.ek", "975310", current_pin="258013")
    pins.set_pin(world.db, "karin.ek", "975310", current_pin=PIN)
    pins.unlock(world.db, "karin.ek", "975310")
    pins.set_pin(world.db, "karin.ek", "en lång lösenfras", current_pin="975310")  # a passphrase will do too
    pins.unlock(world.db, "karin.ek", "en lång lösenfras")


def test_a_forgotten_pin_is_replaced_only_with_the_setup_code(world: World) -> None:
    code = pins.reset_pin(world.db, "setup", "omar.farah")
    assert not pins.has_pin(world.db, "omar.farah")
    with pytest.raises(access.AccessDenied, match="ingen PIN-kod"):  # the old PIN is gone ...
        pins.unlock(world.db, "omar.farah", PIN)
    with pytest.raises(access.AccessDenied, match="ingen PIN-kod"):  # ... and nobody chooses one without the code
        pins.set_pin(world.db, "omar.farah", "258013")
    with pytest.raises(access.AccessDenied, match="Fel engångskod"):
        pins.set_pin(world.db, "omar.farah", "258013", setup_code="AAAA-BBBB-CCCC")
    with pytest.raises(access.AccessDenied):  # the code is no PIN
        pins.unlock(world.db, "omar.farah", code)
    pins.set_pin(world.db, "omar.farah", "258013", setup_code=code.lower().replace("-", " "))
    pins.unlock(world.db, "omar.farah", "258013")
    with pytest.raises(access.AccessDenied):  # once
        pins.set_pin(world.db, "omar.farah", "369147", setup_code=code)
    stored = dbfile.connect(world.path).execute("SELECT pin_hash FROM caseworker WHERE login = 'omar.farah'")
    assert code not in stored.fetchone()[0]
    with pytest.raises(access.AccessDenied, match="administrera"):  # only administrators issue codes
        pins.reset_pin(world.db, "karin.ek", "omar.farah")


def test_the_real_pin_cost_is_the_default(tmp_path: Path) -> None:
    """The suite hashes cheaply (ARENA_SCRYPT_N in conftest); a real run uses the full cost (>= 0.25 s a
    guess, measured in bench/) — shown by what a subprocess without the override stores."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ARENA_SCRYPT_N"}
    # one process started without the override; then, in it, an override above the real cost
    code = ("import os; from store import pins; print(pins.hash_pin('246801').split('$')[1]); "
            f"os.environ['ARENA_SCRYPT_N'] = '{2**20}'; print(pins.hash_pin('246801').split('$')[1])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                            cwd=Path(__file__).resolve().parent.parent)
    default, raised = map(int, result.stdout.split())
    assert default == pins.SCRYPT_N >= 2**16
    assert pins.SCRYPT_R * pins.SCRYPT_P >= 16  # 0.21 s a guess with p=1 on the reference machine: too cheap
    assert raised == pins.SCRYPT_N  # the override only ever lowers the cost


# -------------------------------------------------------------------------------------- CLI and TUI agree

def test_a_leader_is_refused_a_case_lookup_in_the_cli_and_the_tui(world: World,
                                                                  capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["find", "Berg", "--db", str(world.path), "--user", "lena.leder", "--pin-stdin"]) == 2
    err = capsys.readouterr().err
    assert "aktivitetsledare" in err and "Traceback" not in err
    assert cli.main(["stages", "add", "ny", "--sv", "Ny", "--db", str(world.path), "--user", "omar.farah", "--pin-stdin"]) == 2
    assert "administrera" in capsys.readouterr().err
    assert count(world, "SELECT count(*) FROM milestone_stage WHERE code = 'ny'") == 0
    assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'search'") == 0


async def test_a_leader_in_the_tui_gets_the_roll_call_and_nothing_else(world: World) -> None:
    app = make_app(world, login="lena.leder")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, app)
        assert type(app.screen).__name__ == "AttendanceScreen"
        dimmed = {k.key: k.disabled or k.refused for k in footer_keys(app.screen) if k.key.startswith("f")}
        assert dimmed == {"f1": False, "f2": True, "f3": False, "f4": True, "f5": True}, dimmed  # shown, dimmed
        for key in ("f2", "f4", "f5"):
            await pilot.press(key)
            await settle(pilot, app)
            assert type(app.screen).__name__ == "AttendanceScreen"
        assert any("inte öppen för din roll" in n.message for n in app.notices)
        await pilot.press("enter", "n")  # the leader's roll call: first person present
        await settle(pilot, app)
        app.open_case(world.people[0], "Anna Andersson")  # what the case key would do
        await settle(pilot, app)
        assert type(app.screen).__name__ == "AttendanceScreen"
    assert count(world, "SELECT count(*) FROM attendance WHERE recorded_by = 'lena.leder'") == 1
    assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'view'") == 0


# ------------------------------------------------------------------------------------------ first start

async def test_first_start_on_an_empty_database_makes_the_administrator(tmp_path: Path) -> None:
    from tui.app import ArenaApp

    path = tmp_path / "ny.db"
    database = db.open(path)
    app = ArenaApp(database, "nina.ny")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert type(app.screen).__name__ == "FormDialog"
        await pilot.press(*"Nina Ny", "enter", "enter", *"1234", "enter", *"1234", "enter")  # login kept: nina.ny
        await settle(pilot, app)
        assert "minst 6 siffror" in str(app.screen.query_one("#form-error").render())
        await pilot.press("shift+tab", *"246813", "tab", *"246813", "enter")  # a field is selected on focus
        await settle(pilot, app)
        assert type(app.screen).__name__ == "OverviewScreen"
    con = dbfile.connect(path)
    assert con.execute("SELECT name, role FROM caseworker WHERE login = 'nina.ny'").fetchall() == [("Nina Ny", "admin")]
    assert pins.has_pin(db.open(path), "nina.ny")


async def test_an_unknown_login_proves_who_it_is_with_the_pin(world: World) -> None:
    from tui.app import ArenaApp

    app = ArenaApp(db.open(world.path), "okand.dator")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ChoiceDialog"
        names = app.screen.query_one("#choice-list")

        def highlighted() -> str:
            return str(names.get_option_at_index(names.highlighted).prompt)

        assert "Karin Ek" in highlighted()  # first by name
        await pilot.press("o")  # a letter jumps to the next name that starts with it
        assert "Omar Farah" in highlighted()
        await pilot.press("K")  # round the end of the list
        assert "Karin Ek" in highlighted()
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "LockScreen"
        assert str(app.screen.query_one(".dialog-question").render()) == "Arena startar"  # (it said "Låst")
        await pilot.press(*"135799", "enter")
        await settle(pilot, app)
        assert "Fel PIN-kod" in str(app.screen.query_one("#lock-error").render())
        assert app.user is None
        await pilot.press(*PIN, "enter")
        await settle(pilot, app)
        assert app.user is not None and app.user.login == "karin.ek"
        assert type(app.screen).__name__ == "OverviewScreen"
    assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'unlock_failed'") == 1
    again = ArenaApp(db.open(world.path), "okand.dator")  # remembered on this workstation, and asked again
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot, again)
        assert type(again.screen).__name__ == "LockScreen" and again.user is None
        assert "Karin Ek" in str(again.screen.query_one("#lock-user").render())
        await pilot.press(*PIN, "enter")
        await settle(pilot, again)
        assert type(again.screen).__name__ == "OverviewScreen" and again.login == "karin.ek"


async def test_a_new_user_sets_the_pin_only_with_the_setup_code(world: World) -> None:
    """On main a user without a PIN chose one on the lock screen: whoever sat down first owned the account."""
    from tui.app import ArenaApp

    code = pins.reset_pin(world.db, "setup", "omar.farah")
    app = ArenaApp(db.open(world.path), "omar.farah")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert type(app.screen).__name__ == "LockScreen"
        assert "engångskod" in str(app.screen.query_one("#lock-prompt").render())
        await pilot.press(*"ABCD-EFGH-JKLM", "enter", *"258013", "enter", *"258013", "enter")  # a guessed code
        await settle(pilot, app)
        assert "Fel engångskod" in str(app.screen.query_one("#lock-error").render())
        assert app.user is None and not pins.has_pin(world.db, "omar.farah")
        await pilot.press(*code, "enter", *"258013", "enter", *"258031", "enter")  # typo in the repeat
        await settle(pilot, app)
        assert "olika" in str(app.screen.query_one("#lock-error").render())
        await pilot.press("enter", *"258013", "enter", *"258013", "enter")  # the code is kept
        await settle(pilot, app)
        assert type(app.screen).__name__ == "OverviewScreen" and app.user.login == "omar.farah"
    pins.unlock(world.db, "omar.farah", "258013")


async def test_every_start_asks_the_pin_and_the_lock_survives_a_restart(world: World) -> None:
    """On main: lock, five wrong PINs, ctrl+q, start again as the same login: the overview, no PIN."""
    from tui.app import ArenaApp

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+l")
        await settle(pilot, app)
        for _ in range(5):
            await pilot.press(*"000000", "enter")
            await settle(pilot, app)
        assert "För många" in str(app.screen.query_one("#lock-error").render())
        await pilot.press("ctrl+q")
        await settle(pilot, app)
    again = ArenaApp(db.open(world.path), "omar.farah")
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot, again)
        assert type(again.screen).__name__ == "LockScreen" and again.user is None
        shown = "\n".join(str(w.render()) for w in again.screen.query("Label"))
        assert "Andersson" not in shown
        for key in ("f2", "f3", "f5", "escape"):  # escape at the start quits; nothing opens
            await pilot.press(key)
            await settle(pilot, again)
            assert again.user is None and type(again.screen).__name__ != "OverviewScreen"
    third = ArenaApp(db.open(world.path), "omar.farah")
    async with third.run_test(size=(120, 40)) as pilot:
        await settle(pilot, third)
        await pilot.press(*PIN, "enter")  # the right PIN still waits out the block
        await settle(pilot, third)
        assert "För många" in str(third.screen.query_one("#lock-error").render()) and third.user is None


async def test_a_wrong_pin_given_up_front_opens_nothing(world: World) -> None:
    from tui.app import ArenaApp

    app = ArenaApp(db.open(world.path), "omar.farah", pin="000000")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert type(app.screen).__name__ == "LockScreen" and app.user is None


async def test_the_tui_refuses_another_user_than_the_mapped_one(world: World) -> None:
    from tui.app import ArenaApp

    app = ArenaApp(db.open(world.path), "omar.farah", claimed="setup", pin=PIN)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
    assert app.return_code == 2 and app.user is None


async def test_lock_hides_everything_and_only_the_pin_opens_it(world: World) -> None:
    staff.set_setting(world.db, "setup", "lock.idle_minutes", "3")
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert app.idle_seconds == 180
        await pilot.press("f3")
        await settle(pilot, app)
        app._last_input = time.monotonic() - 181  # three minutes without a key
        app._lock_when_idle()
        await settle(pilot, app)
        assert type(app.screen).__name__ == "LockScreen"
        shown = "\n".join(str(w.render()) for w in app.screen.query("Label"))
        assert "Arbetsträning" not in shown and "Andersson" not in shown
        for key in ("f2", "f5", "escape", "ctrl+p"):
            await pilot.press(key)
            await settle(pilot, app)
            assert type(app.screen).__name__ == "LockScreen"
        await pilot.press(*PIN, "enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "AttendanceScreen"


# ------------------------------------------------------------------------------------------ access review

async def test_access_review_filters_views_outside_the_caseload(world: World) -> None:
    from textual.widgets import DataTable

    cases.open_case(world.db, "karin.ek", world.people[1], reason="Vikarierar för Omar")
    cases.open_case(world.db, "omar.farah", world.people[1])
    cases.open_case(world.db, "omar.farah", world.people[2])
    app = make_app(world, login="omar.farah")
    async with app.run_test(size=(120, 40)) as pilot:  # a caseworker has no review key
        await settle(pilot, app)
        await pilot.press("g")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "OverviewScreen"
    app = make_app(world, login="setup")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("g")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "AccessReviewScreen"
        table = app.screen.query_one(DataTable)
        assert table.row_count == 3
        await pilot.press("ctrl+o")
        await settle(pilot, app)
        assert table.row_count == 1
        row = [str(c) for c in table.get_row_at(0)]
        assert row[1] == "Karin Ek" and "Vikarierar för Omar" in row[4] and "Berg" in row[3]
        await pilot.press("ctrl+o", *"omar.farah", "enter")
        await settle(pilot, app)
        assert table.row_count == 2
        await pilot.press("tab", "tab", *"2026-13-01", "enter")  # a date that does not exist
        await settle(pilot, app)
        assert "inget datum" in str(app.screen.query_one("#rv-status").render())


def test_audit_export_takes_the_same_filter_and_only_for_administrators(world: World, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture) -> None:
    import csv

    cases.open_case(world.db, "karin.ek", world.people[1], reason="Vikarierar för Omar")
    cases.open_case(world.db, "omar.farah", world.people[1])
    out = tmp_path / "granskning.csv"
    assert cli.main(["export", "--what", "audit", "--outside", "--db", str(world.path), "--user", "setup", "--pin-stdin",
                     "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig"), delimiter=";"))
    assert [(r["användare"], r["anledning"]) for r in rows] == [("karin.ek", "Vikarierar för Omar")]
    capsys.readouterr()
    assert cli.main(["export", "--what", "audit", "--db", str(world.path), "--user", "omar.farah", "--pin-stdin",
                     "--out", str(tmp_path / "nej.csv")]) == 2
    assert "administrera" in capsys.readouterr().err and not (tmp_path / "nej.csv").exists()
    assert cli.main(["export", "--what", "audit", "--since", "igår", "--db", str(world.path), "--user", "setup", "--pin-stdin"]) == 2
    assert "inget datum" in capsys.readouterr().err


def test_roles_are_changed_by_an_administrator_but_never_on_oneself(world: World) -> None:
    staff.set_role(world.db, "setup", "karin.ek", "admin")
    assert staff.by_login(world.db, "karin.ek").role == "admin"
    with pytest.raises(ArenaError, match="egen roll"):
        staff.set_role(world.db, "setup", "setup", "caseworker")
    with pytest.raises(access.AccessDenied):
        staff.set_role(world.db, "omar.farah", "omar.farah", "admin")
    assert staff.by_login(world.db, "omar.farah").role == "caseworker"


class _Terminal:
    """Standard input as a terminal whose user pressed Ctrl+D at the prompt (getpass and input raise
    EOFError there)."""

    def isatty(self) -> bool:
        return True

    def readline(self, *_: object) -> str:
        return ""


def test_ctrl_d_at_a_prompt_is_one_line_exit_2_and_nothing_done(world: World, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture) -> None:
    """Ctrl+D at the PIN prompt said "Oväntat fel: EOFError" with exit 1; at init's questions the same."""
    import builtins
    import getpass
    import sys

    def ended(*_: object) -> str:
        raise EOFError

    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(getpass, "getpass", ended)
    monkeypatch.setattr(builtins, "input", ended)
    assert cli.main(["find", "Berg", "--db", str(world.path), "--user", "omar.farah"]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert said == ["arena: Inmatningen tog slut (Ctrl+D) innan något angavs: inget gjordes."]
    fresh = tmp_path / "ny" / "arena.db"
    assert cli.main(["init", "--db", str(fresh), "--lang", "en"]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert said == ["arena: The input ended (Ctrl+D) before anything was given: nothing was done."]
    assert not fresh.exists()


async def test_the_first_pin_dialog_fits_80x24_and_shows_its_error(world: World) -> None:
    """At 80x24 the setup code and the new PIN twice pushed the dialog's last field and its error line off
    the screen: a refused PIN only emptied the fields, without a word to read."""
    from tui.app import ArenaApp

    code = pins.reset_pin(world.db, "setup", "omar.farah")
    app = ArenaApp(db.open(world.path), "omar.farah")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert type(app.screen).__name__ == "LockScreen"
        await pilot.press(*code, "enter", *"123456", "enter", *"123456", "enter")  # too simple
        await settle(pilot, app)
        error = app.screen.query_one("#lock-error")
        assert "för enkel" in str(error.render())
        dialog = app.screen.query_one(".lock")
        shown = dialog.content_region.intersection(app.screen.region)
        for widget in (*app.screen.query("Input"), error):
            if widget.display:
                assert shown.contains_region(widget.region) and widget.region.height, (widget.id, widget.region, shown)
