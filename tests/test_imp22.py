"""#22, a tester's findings on the referral import and the report dialog: a row for a full session could
not be imported at all (and `arena enrol --reason` needs the person to exist), so the file takes the reason
in a column `anledning`; a weekly plan corrected by a second import on the day the person was registered
left the first plan in the weeks before; the report dialog's error line stayed after the choice was fixed.
The imports run through the real CLI in-process, the dialog through the Pilot with real keys."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from store import report

from .conftest import PIN, TODAY, World, rows
from .inprocess import arena
from .test_keys import type_fast
from .test_tui import make_app, settle

HEAD = "personnummer;reservnummer;förnamn;efternamn;kön;anvisningsdatum;handläggare;veckoplan;aktivitet;pass"


def import_rows(world: World, tmp_path: Path, text: str, name: str = "enr.csv") -> tuple[int, str]:
    """`arena import participants FILE` on a cp1252 `;` CSV with CRLF, as Excel saves it."""
    file = tmp_path / name
    file.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    done = arena("import", "participants", str(file), "--db", str(world.path), "--user", "setup", "--pin-stdin",
                 stdin=f"{PIN}\n", env={"ARENA_TODAY": TODAY.isoformat()})
    return done.returncode, done.stdout + done.stderr


def full_session(world: World) -> None:
    """Jobbsök with one place in fm, taken by Anna Andersson from 2026-11-02."""
    env = {"ARENA_TODAY": TODAY.isoformat()}
    done = arena("activities", "add", "Jobbsök", "--db", str(world.path), "--user", "setup", "--pin-stdin",
                 "--session", "fm=08:30-12:00", "--capacity", "1", stdin=f"{PIN}\n", env=env)
    assert done.returncode == 0, done.stderr
    anna = rows(world, "SELECT id FROM participant WHERE last_name = 'Andersson'")[0][0]
    done = arena("enrol", anna, "Jobbsök", "--session", "fm", "--from", "2026-11-02", "--db", str(world.path),
                 "--user", "setup", "--pin-stdin", stdin=f"{PIN}\n", env=env)
    assert done.returncode == 0, done.stderr


def ali(world: World) -> list[tuple]:
    return rows(world, "SELECT p.first_name, e.start_date, e.capacity_reason FROM participant p"
                       " LEFT JOIN enrolment e ON e.participant_id = p.id WHERE p.reserve_number = 'RES-9002'")


def test_a_row_for_a_full_session_is_imported_with_a_reason_in_its_anledning_column(world: World,
                                                                                     tmp_path: Path) -> None:
    full_session(world)
    status, said = import_rows(world, tmp_path, f"{HEAD}\n;RES-9002;Ali;Berg;M;2026-11-02;omar.farah;6 6 6 6 4;"
                                                "Jobbsök;fm\n")
    assert status == 2 and "rad 2: Jobbsök fm" in said and "är fullt (1 av 1 plats)" in said, said
    assert "kolumn anledning" in said and "--capacity" in said, said  # what the file can do about it
    assert "arena enrol" not in said, said  # the person does not exist: enrol cannot be the way
    assert ali(world) == []

    # a reason too long for the log is refused on its line, as `arena enrol --reason` refuses it
    status, said = import_rows(world, tmp_path, f"{HEAD};anledning\n;RES-9002;Ali;Berg;M;2026-11-02;omar.farah;"
                                                f"6 6 6 6 4;Jobbsök;fm;{'x' * 201}\n")
    assert status == 2 and "rad 2:" in said and ali(world) == [], said

    status, said = import_rows(world, tmp_path, f"{HEAD};anledning\n;RES-9002;Ali;Berg;M;2026-11-02;omar.farah;"
                                                "6 6 6 6 4;Jobbsök;fm;Beslut av enhetschef\n")
    assert status == 0 and "1 rad importerad" in said, said
    assert ali(world) == [("Ali", "2026-11-02", "Beslut av enhetschef")]
    assert rows(world, "SELECT a.reason, a.detail FROM audit_event a JOIN participant p ON p.id = a.participant_id"
                       " WHERE a.action = 'enrol_over_capacity' AND p.reserve_number = 'RES-9002'") == [
        ("Beslut av enhetschef", "Jobbsök fm 08:30–12:00 2/1")]
    # the same file again changes nothing; the English header works too
    status, said = import_rows(world, tmp_path, f"{HEAD};enrol_reason\n;RES-9002;Ali;Berg;M;2026-11-02;omar.farah;"
                                                "6 6 6 6 4;Jobbsök;fm;Beslut av enhetschef\n")
    assert status == 0 and "1 oförändrad" in said, said


def planned(world: World, pid: str) -> dict[str, float]:
    person = report.build(world.db, "omar.farah", "2026-11", participant=pid, today=TODAY).people[0]
    return {line.week: line.planned for line in [*person.weeks, person.total]}


def test_a_plan_corrected_on_the_day_the_person_was_registered_holds_from_the_referral(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_TODAY", TODAY.isoformat())
    head = HEAD.rsplit(";", 2)[0]
    for plan in ("8", "6"):
        status, said = import_rows(world, tmp_path, f"{head}\n;RES-9003;Ali;Berg;M;2026-11-02;omar.farah;{plan}\n")
        assert status == 0, said
    pid = rows(world, "SELECT id FROM participant WHERE reserve_number = 'RES-9003'")[0][0]
    assert rows(world, "SELECT count(*) FROM plan_period WHERE participant_id = ?", pid) == [(0,)]
    weeks = planned(world, pid)
    assert weeks["2026-W45"] == weeks["2026-W46"] == weeks["2026-W47"] == 30, weeks  # 6 h a day, not 8
    assert weeks["2026-W48"] == 12, weeks  # Monday and Tuesday (today)

    # another day the rule is as before: the days before the change keep the plan in force then
    monkeypatch.setenv("ARENA_TODAY", "2026-11-26")
    file = tmp_path / "later.csv"
    file.write_text(f"{head}\n;RES-9003;Ali;Berg;M;2026-11-02;omar.farah;4\n", encoding="utf-8")
    done = arena("import", "participants", str(file), "--db", str(world.path), "--user", "setup", "--pin-stdin",
                 stdin=f"{PIN}\n", env={"ARENA_TODAY": "2026-11-26"})
    assert done.returncode == 0, done.stderr
    assert rows(world, "SELECT valid_until, plan_mon FROM plan_period WHERE participant_id = ?", pid) == [
        ("2026-11-25", 6.0)]


def test_a_same_day_plan_change_keeps_the_period_when_a_day_before_was_marked(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from store import activities, attendance

    monkeypatch.setenv("ARENA_TODAY", TODAY.isoformat())
    head = HEAD.rsplit(";", 2)[0]
    status, said = import_rows(world, tmp_path, f"{head}\n;RES-9004;Ali;Berg;M;2026-11-02;omar.farah;8\n")
    assert status == 0, said
    pid = rows(world, "SELECT id FROM participant WHERE reserve_number = 'RES-9004'")[0][0]
    activities.enrol(world.db, "setup", pid, world.activity_id, dt.date(2026, 11, 2), reason="Test, full grupp")
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, dt.date(2026, 11, 10), "present")
    status, said = import_rows(world, tmp_path, f"{head}\n;RES-9004;Ali;Berg;M;2026-11-02;omar.farah;6\n")
    assert status == 0, said
    assert rows(world, "SELECT valid_until, plan_mon FROM plan_period WHERE participant_id = ?", pid) == [
        ("2026-11-23", 8.0)]


async def test_report_dialog_from_the_card_shows_one_period_and_clears_its_error_line(world: World) -> None:
    from textual.widgets import Input, Label

    app = make_app(world)
    folder = world.path.parent / "rapporter"
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *"berg", "enter", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen"
        await type_fast(pilot, app, "r")
        screen = app.screen
        assert type(screen).__name__ == "ReportDialog"
        month, start, end = (screen.query_one(f"#rep-{name}", Input) for name in ("month", "from", "to"))
        error = screen.query_one("#rep-error", Label)
        assert month.value == "2026-11"
        await type_fast(pilot, app, "tab", "2")
        assert month.value == "", "a from date typed empties the month at once"
        await type_fast(pilot, app, *"026-11-09", "tab", *"2026-11-20")
        assert (month.value, start.value, end.value) == ("", "2026-11-09", "2026-11-20")
        await type_fast(pilot, app, "shift+tab", "shift+tab", "2")
        assert (month.value, start.value, end.value) == ("2", "", ""), "a month typed empties from–to"
        await type_fast(pilot, app, "ctrl+s")
        assert str(error.render()) != "" and app.screen is screen
        await type_fast(pilot, app, *"026-11")
        assert str(error.render()) == "", "the error line goes when the fields change"
        # whom: an activity, none chosen, refused; choosing one clears the line
        await type_fast(pilot, app, "tab", "tab", "tab", "enter", "down", "down", "enter", "ctrl+s")
        assert str(screen.query_one("#rep-scope").value) == "activity"
        assert str(error.render()) == "Välj en aktivitet först."
        await type_fast(pilot, app, "tab", "enter", "down", "enter")
        assert not screen.query_one("#rep-activity").is_blank()
        assert str(error.render()) == ""
        # both a month and a from–to (set behind the fields' backs, before they empty each other) are refused
        # with the CLI's words, not written as one of them
        start.value, end.value, month.value = "2026-11-09", "2026-11-20", "2026-11"
        screen.action_write()
        assert "--month | --from/--to" in str(error.render())
        await settle(pilot, app)
        assert app.screen is screen
        await type_fast(pilot, app, "escape")
    assert not folder.exists() or not any(folder.iterdir())


async def test_the_report_dialog_typed_ahead_chooses_among_the_activities_once_they_are_read(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """`r` and the keys choosing "one activity" and then the activity, typed right behind it while the
    activities are still being read: the keys wait for the list, and the activity is chosen, not lost on
    an empty field."""
    from .test_keys import SlowRead

    slow = SlowRead(monkeypatch, report, "activities")
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *"berg", "enter", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen"
        await slow.typed(app, pilot, "r", "tab", "tab", "tab", "enter", "down", "down", "enter", "tab", "enter", "down",
                         "enter")
        screen = app.screen
        assert type(screen).__name__ == "ReportDialog"
        assert str(screen.query_one("#rep-scope").value) == "activity"
        assert screen.query_one("#rep-activity").value == world.activity_id
