"""Attendance rules through the store function the roll call uses, the CSV import, and the change log."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from store import attendance, milestones
from store.i18n import ArenaError
from tui import cli

from .conftest import TODAY, World, rows
from .waiting import thread_is_in, wait_until

MONDAY = dt.date(2026, 11, 23)


def test_a_mark_and_its_change_log_entry_are_one_commit(world: World) -> None:
    pid = world.people[0]
    saved = attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "present")
    assert saved.hours == 6 and saved.recorded_by == "omar.farah" and not saved.late
    got = rows(world, "SELECT status, hours, recorded_by FROM attendance WHERE participant_id = ?", pid)
    assert got == [("present", 6.0, "omar.farah")]
    log = rows(world, "SELECT tbl, kind, changes, by FROM change_log WHERE tbl = 'attendance'")
    assert len(log) == 1 and log[0][3] == "omar.farah"
    assert json.loads(log[0][2])["status"] == [None, "present"]


def test_re_marking_the_same_is_a_no_op_and_a_change_is_logged_old_to_new(world: World) -> None:
    pid = world.people[1]
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "present")
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "present")
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "sick")
    log = rows(world, "SELECT changes FROM change_log WHERE tbl = 'attendance' ORDER BY seq")
    assert len(log) == 2
    assert json.loads(log[1][0])["status"] == ["present", "sick"]
    assert rows(world, "SELECT count(*) FROM attendance")[0][0] == 1


@pytest.mark.parametrize("day,key", [
    (TODAY + dt.timedelta(days=1), "att.future"),
    (dt.date(2026, 11, 22), "att.weekend"),
    (dt.date(2026, 11, 6), None),  # Gustav Adolfsdagen is a flag day, not a holiday: allowed
    (dt.date(2026, 6, 19), "att.holiday"),  # midsommarafton (de facto)
    (dt.date(2026, 12, 25), "att.future"),
])
def test_day_rules(world: World, day: dt.date, key: str | None) -> None:
    pid = world.people[2]
    if key is None:
        attendance.mark(world.db, "omar.farah", pid, world.activity_id, day, "present")
        return
    with pytest.raises(ArenaError) as caught:
        attendance.mark(world.db, "omar.farah", pid, world.activity_id, day, "present")
    assert caught.value.key == key
    assert rows(world, "SELECT count(*) FROM attendance")[0][0] == 0


def test_past_marks_are_allowed_and_flagged_late(world: World) -> None:
    saved = attendance.mark(world.db, "omar.farah", world.people[3], world.activity_id, MONDAY, "present")
    assert saved.late


def test_partial_hours_in_half_steps_below_the_plan(world: World) -> None:
    """Half hours from 0.5 to half an hour below the plan: the planned hours in full are a present mark
    ("Delvis 3 h" of a plan of 3 was accepted)."""
    pid = world.people[4]
    planned = next(r.planned_hours for r in attendance.roll_call(world.db, "omar.farah", world.activity_id, TODAY)
                   if r.participant_id == pid)
    assert planned >= 1
    for bad in (0, 0.3, planned, planned + 0.5, "x"):
        with pytest.raises(ArenaError):
            attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "partial", hours=bad)
    assert attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "partial", hours=2.5).hours == 2.5
    top = attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "partial", hours=planned - 0.5)
    assert top.hours == planned - 0.5


def test_absence_codes_are_data(world: World) -> None:
    codes = {c.code: c for c in attendance.absence_codes(world.db)}
    assert codes["OGILTIG"].category == "unexcused" and not codes["OGILTIG"].excused
    saved = attendance.mark(world.db, "omar.farah", world.people[5], world.activity_id, TODAY, "excused",
                            reason="intervju")
    assert saved.reason_code == "INTERVJU" and saved.hours == 0
    with pytest.raises(ArenaError):
        attendance.mark(world.db, "omar.farah", world.people[5], world.activity_id, TODAY, "excused", reason="SJUK")


def test_cancelling_keeps_the_marks_and_uncancelling_brings_them_back(world: World) -> None:
    from store import overview, report

    attendance.mark(world.db, "omar.farah", world.people[6], world.activity_id, TODAY, "unexcused")
    attendance.mark(world.db, "omar.farah", world.people[7], world.activity_id, TODAY, "present")
    assert attendance.marks_in_session(world.db, "omar.farah", world.activity_id, TODAY) == 2

    def counted() -> tuple[float, int, float]:
        rep = report.build(world.db, "omar.farah", "2026-11", reason="Månadsuppföljning av gruppen")
        hours = sum(p.total.attended for p in rep.people)
        unexcused = sum(p.total.unexcused for p in rep.people)
        return hours, unexcused, overview.figures(world.db, "setup", today=TODAY + dt.timedelta(days=7)).weekly_rate[-1][2]

    assert counted() == (6.0, 1, 6.0)
    assert attendance.cancel_session(world.db, "omar.farah", world.activity_id, TODAY) == 2
    kept = rows(world, "SELECT participant_id, status FROM attendance ORDER BY status")
    assert kept == [(world.people[7], "present"), (world.people[6], "unexcused")]
    assert counted() == (0.0, 0, 0.0)  # kept, but neither hours nor absence
    week = attendance.week_grid(world.db, "omar.farah", world.activity_id, MONDAY)
    assert week[7].marks[TODAY.isoformat()].cancelled and week[7].attended_week == 0
    with pytest.raises(ArenaError) as caught:
        attendance.mark(world.db, "omar.farah", world.people[6], world.activity_id, TODAY, "present")
    assert caught.value.key == "att.cancelled"
    assert attendance.uncancel_session(world.db, "omar.farah", world.activity_id, TODAY) == 2
    assert counted() == (6.0, 1, 6.0)
    # the cancellation went through the change log, the marks were never touched by it
    assert rows(world, "SELECT kind FROM change_log WHERE tbl = 'session_cancel' ORDER BY seq") == [("upsert",), ("delete",)]
    assert rows(world, "SELECT count(*) FROM change_log WHERE tbl = 'attendance'")[0][0] == 2


def test_undo_of_a_whole_action_is_one_transaction(world: World) -> None:
    attendance.mark(world.db, "omar.farah", world.people[0], world.activity_id, TODAY, "sick")
    done = attendance.mark_all_present(world.db, "omar.farah", world.activity_id, TODAY)
    assert len(done) == 24
    attendance.restore_many(world.db, "omar.farah", world.activity_id, TODAY, [(pid, None) for pid in done])
    assert rows(world, "SELECT participant_id, status FROM attendance") == [(world.people[0], "sick")]


def test_exited_people_leave_the_roll_call_the_day_after(world: World) -> None:
    pid = world.people[7]
    milestones.exit_participant(world.db, "omar.farah", pid, "arbete", MONDAY)
    assert pid in [r.participant_id for r in attendance.roll_call(world.db, "omar.farah", world.activity_id, MONDAY)]
    assert pid not in [r.participant_id for r in attendance.roll_call(world.db, "omar.farah", world.activity_id, TODAY)]
    with pytest.raises(ArenaError) as caught:
        attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "present")
    assert caught.value.key == "att.exited"


def test_enrolment_not_started_is_not_in_the_list(world: World) -> None:
    early = attendance.roll_call(world.db, "omar.farah", world.activity_id, dt.date(2026, 8, 31))
    assert early == []


def test_present_elsewhere_is_a_hint_not_a_block(world: World) -> None:
    from store import activities

    other = activities.create(world.db, "setup", "Jobbsök", (3, 3, 3, 3, 3))
    pid = world.people[8]
    activities.enrol(world.db, "setup", pid, other, dt.date(2026, 9, 1))
    attendance.mark(world.db, "omar.farah", pid, other, TODAY, "present")
    roll = {r.participant_id: r for r in attendance.roll_call(world.db, "omar.farah", world.activity_id, TODAY)}
    assert roll[pid].elsewhere == "Jobbsök"
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "present")


def test_clear_and_restore(world: World) -> None:
    pid = world.people[9]
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "sick")
    before = attendance.get_mark(world.db, "omar.farah", pid, world.activity_id, TODAY)
    attendance.clear(world.db, "omar.farah", pid, world.activity_id, TODAY)
    assert attendance.get_mark(world.db, "omar.farah", pid, world.activity_id, TODAY) is None
    attendance.restore(world.db, "omar.farah", pid, world.activity_id, TODAY, before)
    assert attendance.get_mark(world.db, "omar.farah", pid, world.activity_id, TODAY).status == "sick"
    kinds = [k for (k,) in rows(world, "SELECT kind FROM change_log WHERE tbl = 'attendance' ORDER BY seq")]
    assert kinds == ["upsert", "delete", "upsert"]


def test_week_grid_counts_planned_against_attended(world: World) -> None:
    pid = world.people[10]
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, MONDAY, "present")
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "partial", hours=2)
    grid = {r.participant_id: r for r in attendance.week_grid(world.db, "omar.farah", world.activity_id, MONDAY)}
    # Monday and Tuesday (today) so far: 6 + 6 planned
    assert grid[pid].planned_week == 12 and grid[pid].attended_week == 8 and grid[pid].shortfall == 4


# --------------------------------------------------------------------------------------------- import

def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("personnummer,activity,date,status,hours,reason,note\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return path


def numbers(world: World) -> list[str]:
    return [n for (n,) in rows(world, "SELECT personnummer FROM participant ORDER BY last_name")]


def test_import_reports_bad_rows_by_line_and_is_idempotent(world: World, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    from store import cases

    for pid, number in zip(world.people[:3], ("19850612-1238", "19900101-0017", "19720229-1238")):
        cases.update(world.db, "setup", pid, personnummer=number)
    file = write_csv(tmp_path / "in.csv", [
        "198506121238,Arbetsträning café,2026-11-23,present,,,",
        "900101-0017,Arbetsträning café,2026-11-23,partial,3,,kom sent",
        "19720229-1238,Arbetsträning café,2026-11-23,sick,,,",
        "19720229-1230,Arbetsträning café,2026-11-23,present,,,",  # bad check digit
        "198506121238,Arbetsträning café,2026-12-24,present,,,",  # future
        "198506121238,Arbetsträning café,2026-06-19,present,,,",  # midsommarafton
        "198506121238,Okänd aktivitet,2026-11-23,present,,,",
        "198506121238,Arbetsträning café,2026-11-20,närvarnde,,,",  # bad status (närvarande is read)
    ])
    code = cli.main(["import", "attendance", str(file), "--db", str(world.path), "--user", "lena.leder", "--pin-stdin"])
    err = capsys.readouterr().err
    assert code == 2
    assert [line.split(":")[0] for line in err.strip().splitlines()] == [f"rad {n}" for n in (5, 6, 7, 8, 9)]
    assert rows(world, "SELECT count(*) FROM attendance")[0][0] == 3
    seq = rows(world, "SELECT max(seq) FROM change_log")[0][0]
    assert cli.main(["import", "attendance", str(file), "--db", str(world.path), "--user", "lena.leder",
                     "--pin-stdin"]) == 2
    assert rows(world, "SELECT max(seq) FROM change_log")[0][0] == seq  # nothing changed the second time
    assert rows(world, "SELECT hours, note FROM attendance WHERE status = 'partial'") == [(3.0, "kom sent")]


def test_import_all_or_nothing(world: World, tmp_path: Path) -> None:
    from store import cases

    cases.update(world.db, "setup", world.people[0], personnummer="19850612-1238")
    file = write_csv(tmp_path / "in.csv", ["198506121238,Arbetsträning café,2026-11-23,present,,,",
                                           "000000-0000,Arbetsträning café,2026-11-23,present,,,"])
    assert cli.main(["import", "attendance", str(file), "--db", str(world.path), "--all-or-nothing",
                     "--user", "setup", "--pin-stdin"]) == 2
    assert rows(world, "SELECT count(*) FROM attendance")[0][0] == 0


def test_two_windows_on_one_database_both_write(world: World) -> None:
    """Two app instances (two engines, two threads) mark at the same time: WAL and busy_timeout make the
    second wait for the first instead of failing; no mark is lost."""
    import threading

    from store import db

    other = db.open(world.path)
    errors: list[Exception] = []

    def marker(database, people: list[str], status: str) -> None:  # noqa: ANN001
        try:
            for pid in people:
                attendance.mark(database, "omar.farah", pid, world.activity_id, MONDAY, status)
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=marker, args=(world.db, world.people[:12], "present")),
               threading.Thread(target=marker, args=(other, world.people[12:], "sick"))]
    with world.db.write("holder"):  # one window holds the write lock until both others wait for it
        for thread in threads:
            thread.start()
        for thread in threads:  # BEGIN IMMEDIATE cannot return while the lock is held
            wait_until(lambda t=thread: thread_is_in(t, "store/db.py", "_begin") or not t.is_alive(),
                       f"{thread.name} to wait for the write lock")
        assert all(thread.is_alive() for thread in threads) and not errors
    for thread in threads:
        thread.join(30)
    other.dispose()
    assert not errors
    assert rows(world, "SELECT status, count(*) FROM attendance GROUP BY status ORDER BY status") == [
        ("present", 12), ("sick", 13)]


def test_day_totals_follow_every_mark_change(world: World) -> None:
    attendance.mark(world.db, "omar.farah", world.people[1], world.activity_id, MONDAY, "present")
    attendance.mark(world.db, "omar.farah", world.people[2], world.activity_id, MONDAY, "partial", hours=2)
    attendance.mark(world.db, "omar.farah", world.people[2], world.activity_id, MONDAY, "partial", hours=3.5)
    attendance.mark(world.db, "omar.farah", world.people[3], world.activity_id, TODAY, "present")
    attendance.clear(world.db, "omar.farah", world.people[1], world.activity_id, MONDAY)
    totals = rows(world, "SELECT date, hours, marks FROM attendance_day WHERE marks > 0 ORDER BY date")
    raw = rows(world, "SELECT date, sum(hours), count(*) FROM attendance GROUP BY date ORDER BY date")
    assert totals == raw == [(MONDAY.isoformat(), 3.5, 1), (TODAY.isoformat(), 6.0, 1)]


def test_import_reads_what_swedish_excel_writes(world: World, tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    """Semicolons, Windows-1252, CRLF, Swedish headers and an unquoted decimal comma: all read."""
    from store import cases

    cases.update(world.db, "setup", world.people[0], personnummer="19850612-1238")
    file = tmp_path / "lista.csv"
    file.write_bytes("Personnummer;Aktivitet;Datum;Status;Timmar;Orsak;Anteckning\r\n"
                     "198506121238;Arbetsträning café;2026-11-23;partial;3,5;;kom sent – bussen\r\n"
                     .encode("cp1252"))
    assert cli.main(["import", "attendance", str(file), "--db", str(world.path), "--user", "lena.leder", "--pin-stdin"]) == 0
    assert rows(world, "SELECT hours, note FROM attendance") == [(3.5, "kom sent – bussen")]


def test_import_an_unquoted_decimal_comma_in_a_comma_file_is_a_refused_row(world: World, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture) -> None:
    from store import cases

    cases.update(world.db, "setup", world.people[0], personnummer="19850612-1238")
    file = tmp_path / "lista.csv"
    file.write_text("personnummer,activity,date,status,hours\n"
                    "198506121238,Arbetsträning café,2026-11-23,partial,3,5\n", encoding="utf-8")
    assert cli.main(["import", "attendance", str(file), "--db", str(world.path), "--user", "lena.leder", "--pin-stdin"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rad 2: fler fält än rubrikraden") and "Traceback" not in err
    assert rows(world, "SELECT count(*) FROM attendance")[0][0] == 0


@pytest.mark.parametrize("content,expected", [
    (None, "finns inte"),
    (b"namn;telefon\r\nAnna;070\r\n", "saknar aktivitet, datum, status"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "gamla Excel-formatet"),
])
def test_import_names_the_true_reason_a_file_cannot_be_used(world: World, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture, content, expected) -> None:  # noqa: ANN001
    file = tmp_path / "lista.csv"
    if content is not None:
        file.write_bytes(content)
    assert cli.main(["import", "attendance", str(file), "--db", str(world.path), "--user", "lena.leder", "--pin-stdin"]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1


def _counted(world: World, day: dt.date) -> tuple[int, int]:
    """A session's marked/enrolled counted the slow way, straight from the rows."""
    iso = day.isoformat()
    (marked,), = rows(world, "SELECT count(*) FROM attendance WHERE activity_id = ? AND date = ?", world.activity_id, iso)
    (enrolled,), = rows(world, "SELECT count(*) FROM enrolment WHERE activity_id = ? AND start_date <= ?"
                               " AND (end_date IS NULL OR end_date >= ?)", world.activity_id, iso, iso)
    return marked, enrolled


def test_session_counts_kept_by_triggers_match_the_rows(world: World, tmp_path: Path) -> None:
    """The totals behind "marked/enrolled" follow every way a mark or an enrolment changes, and a
    database from before them gets them filled by the migration."""
    def shown(day: dt.date) -> tuple[int, int]:
        session = next(s for s in attendance.sessions(world.db, day) if s.activity_id == world.activity_id)
        return session.marked, session.enrolled

    for pid in world.people[:6]:
        attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "present")
    attendance.mark(world.db, "omar.farah", world.people[0], world.activity_id, TODAY, "sick")  # an update
    attendance.clear(world.db, "omar.farah", world.people[1], world.activity_id, TODAY)
    attendance.mark(world.db, "omar.farah", world.people[2], world.activity_id, MONDAY, "present")
    milestones.exit_participant(world.db, "omar.farah", world.people[7], "arbete", MONDAY)  # ends enrolments
    for day in (MONDAY, TODAY, dt.date(2026, 8, 31)):
        assert shown(day) == _counted(world, day), day
    assert shown(TODAY) == (5, 24)
    # a database from before the totals (schema 8) gets them from its rows: tests/test_sessions.py
    # (test_migration_turns_each_activity_into_one_all_day_session_and_keeps_every_mark) upgrades a real one


def test_marks_typed_ahead_share_one_commit_and_a_refused_one_is_undone_alone(world: World) -> None:
    """attendance.mark_many (the roll call's write lane, during a burst): the marks around a refused one
    are saved, the refused one comes back as its error and leaves nothing, not even a change-log entry."""
    people = world.people[:3]
    requests = [attendance.MarkRequest(people[0], world.activity_id, TODAY, "present"),
                attendance.MarkRequest(people[1], world.activity_id, TODAY, "partial", hours=99),
                attendance.MarkRequest(people[2], world.activity_id, TODAY, "sick")]
    results = attendance.mark_many(world.db, "omar.farah", requests)
    assert [type(r) for r in results] == [attendance.Mark, ArenaError, attendance.Mark]
    assert [r.status for r in results if isinstance(r, attendance.Mark)] == ["present", "sick"]
    assert sorted(rows(world, "SELECT participant_id, status FROM attendance")) == sorted(
        [(people[0], "present"), (people[2], "sick")])
    assert rows(world, "SELECT count(*) FROM change_log WHERE tbl = 'attendance'") == [(2,)]
