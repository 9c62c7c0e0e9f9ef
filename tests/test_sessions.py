"""Activities with several sessions: the schema-10 migration, marks per session, hours that change from a
date on, capacity and overlapping sessions, and the sync of all of it between workstations."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from store import activities, attendance, audit, cases, changes, db, dbfile, merge, report, schema, staff, sync
from store.activities import SessionSpec
from store.i18n import ArenaError

from .conftest import TODAY, make_world, reader

MONDAY = dt.date(2026, 11, 23)


def two_sessions(database: db.Database, name: str = "Jobbsök", capacity: int = 25) -> str:
    return activities.create(database, "setup", name, kind="jobbsök", site="Centrum", capacity=capacity, sessions=[
        SessionSpec("fm", (3.5, 3.5, 3.5, 3.5, 3.5), "08:30", "12:00"),
        SessionSpec("em", (3, 3, 3, 3, 0), "13:00", "16:00")])


def session_of(database: db.Database, aid: str, name: str) -> str:
    with database.read() as conn:
        return activities.find_session(conn, aid, name, TODAY)


def test_migration_turns_each_activity_into_one_all_day_session_and_keeps_every_mark(tmp_path: Path) -> None:
    path = tmp_path / "v8.db"
    old = db.open(path, upto=8)  # before the session totals (9) and the sessions (10)
    with old.write("setup") as tx:
        tx.conn.exec_driver_sql(
            "INSERT INTO participant (id, first_name, last_name, gender, referral_date, created_at)"
            " VALUES ('p1', 'Åsa', 'Öberg', 'K', '2026-09-01', '2026-09-01')")
        tx.conn.exec_driver_sql("INSERT INTO activity (id, name, hours_mon, hours_tue, hours_wed, hours_thu, hours_fri)"
                                " VALUES ('a1', 'Café', 6, 6, 6, 6, 4)")
        tx.conn.exec_driver_sql("INSERT INTO enrolment (id, participant_id, activity_id, start_date)"
                                " VALUES ('e1', 'p1', 'a1', '2026-09-01')")
        mark_id = changes.natural_id("attendance", "p1", "a1", MONDAY.isoformat())
        tx.conn.exec_driver_sql(
            "INSERT INTO attendance (id, participant_id, activity_id, date, status, hours, recorded_by, recorded_at)"
            " VALUES (?, 'p1', 'a1', ?, 'present', 6, 'x', 'x')", (mark_id, MONDAY.isoformat()))
        tx.conn.exec_driver_sql("INSERT INTO session_cancel (id, activity_id, date, recorded_by, recorded_at)"
                                " VALUES ('c1', 'a1', '2026-11-20', 'x', 'x')")
    old.dispose()
    new = db.open(path)
    with new.read() as conn:
        assert conn.exec_driver_sql("SELECT id, activity_id, name, start_time FROM activity_session").all() == [
            ("a1", "a1", "", "")]
        assert conn.exec_driver_sql("SELECT valid_from, hours_mon, hours_fri FROM session_hours").all() == [("", 6, 4)]
        assert conn.exec_driver_sql("SELECT id, session_id, hours FROM attendance").all() == [(mark_id, "a1", 6)]
        assert conn.exec_driver_sql("SELECT session_id FROM enrolment").scalar() == "a1"
        assert conn.exec_driver_sql("SELECT session_id FROM session_cancel").scalar() == "a1"
        # logged, so a workstation that receives this activity later receives its session too
        assert sorted(r[0] for r in conn.exec_driver_sql("SELECT tbl FROM change_log")) == [
            "activity_session", "session_hours"]
        assert conn.exec_driver_sql("SELECT marks, hours FROM attendance_day WHERE date = ?",
                                    (MONDAY.isoformat(),)).one() == (1, 6)
    # the totals behind "marked/enrolled" are filled from the rows, per session
    assert [(s.session_id, s.marked, s.enrolled) for s in attendance.sessions(new, MONDAY)] == [("a1", 1, 1)]
    with new.write("setup") as tx:
        staff.create_in(tx, "setup", "Sara", role="admin")
    # marking the same person, activity and day again is the same row (no second one)
    attendance.mark(new, "setup", "p1", "a1", MONDAY, "sick")
    with new.read() as conn:
        assert conn.exec_driver_sql("SELECT id, status FROM attendance").all() == [(mark_id, "sick")]
    new.dispose()


def test_an_op_from_before_sessions_lands_in_the_activitys_own_session() -> None:
    op = ("0000000000001-00000-ws", "ws", "upsert",
          {"participant_id": [None, "p"], "activity_id": [None, "a"], "date": [None, "2026-11-23"]}, "x")
    state, _ = merge.fold("attendance", [op])
    assert state["session_id"] == "a"


def test_two_sessions_a_day_each_with_its_own_mark_and_hours(tmp_path: Path) -> None:
    world = make_world(tmp_path / "a.db", n=3)
    aid = two_sessions(world.db)
    fm, em = session_of(world.db, aid, "fm"), session_of(world.db, aid, "em")
    pid = world.people[0]
    # the café is all day without times: no clash with timed sessions (a hint in the roll call instead)
    activities.enrol(world.db, "setup", pid, aid, dt.date(2026, 11, 2), session="fm")
    activities.enrol(world.db, "setup", pid, aid, dt.date(2026, 11, 2), session="em")
    listed = [(s.title, s.hours, s.enrolled) for s in attendance.sessions(world.db, TODAY) if s.activity_id == aid]
    assert listed == [("Jobbsök fm 08:30–12:00", 3.5, 1), ("Jobbsök em 13:00–16:00", 3, 1)]
    with pytest.raises(ArenaError, match="flera pass"):
        attendance.mark(world.db, "omar.farah", pid, aid, TODAY, "present")
    attendance.mark(world.db, "omar.farah", pid, aid, TODAY, "present", session_id=fm)
    attendance.mark(world.db, "omar.farah", pid, aid, TODAY, "sick", session_id=em)
    with world.db.read() as conn:
        rows = conn.exec_driver_sql("SELECT session_id, status, hours FROM attendance WHERE activity_id = ?"
                                    " ORDER BY hours DESC", (aid,)).all()
    assert rows == [(fm, "present", 3.5), (em, "sick", 0)]
    assert [r.participant_id for r in attendance.roll_call(world.db, "omar.farah", aid, TODAY, fm)] == [pid]
    # Friday has no afternoon session
    friday = dt.date(2026, 11, 20)
    assert [s.session for s in attendance.sessions(world.db, friday) if s.activity_id == aid] == ["fm"]
    attendance.cancel_session(world.db, "omar.farah", aid, TODAY, session_id=em)
    assert attendance.is_cancelled(world.db, aid, TODAY, session_id=em)
    assert not attendance.is_cancelled(world.db, aid, TODAY, session_id=fm)
    assert attendance.get_mark(world.db, "omar.farah", pid, aid, TODAY, fm).status == "present"


def test_new_hours_apply_from_a_date_and_the_past_keeps_its_own(tmp_path: Path) -> None:
    world = make_world(tmp_path / "a.db", n=2)
    pid = world.people[0]
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, MONDAY, "sick")
    before = report.build(world.db, "setup", "2026-11", reason="Månadsrapport till soc").people
    activities.edit_session(world.db, "setup", world.activity_id, hours=(2, 2, 2, 2, 2), valid_from=TODAY)
    after = report.build(world.db, "setup", "2026-11", reason="Månadsrapport till soc").people
    assert before[0].total.absence == after[0].total.absence == {"SJUK": 6}  # Monday's sick hours stay 6
    assert attendance.roll_call(world.db, "omar.farah", world.activity_id, MONDAY)[0].planned_hours == 6
    assert attendance.roll_call(world.db, "omar.farah", world.activity_id, TODAY)[0].planned_hours == 2
    assert attendance.mark(world.db, "omar.farah", pid, world.activity_id, TODAY, "present").hours == 2


def test_capacity_is_enforced_and_an_override_needs_a_reason_that_is_logged(tmp_path: Path) -> None:
    world = make_world(tmp_path / "a.db", n=4)
    aid = two_sessions(world.db, capacity=2)
    start = dt.date(2026, 11, 2)
    for pid in world.people[:2]:
        activities.enrol(world.db, "setup", pid, aid, start, session="fm")
    with pytest.raises(ArenaError, match="fullt"):
        activities.enrol(world.db, "setup", world.people[2], aid, start, session="fm")
    activities.enrol(world.db, "setup", world.people[2], aid, start, session="fm", reason="Beslut av chef")
    events = audit.events(world.db, "setup", participant_id=world.people[2])
    assert any(e.action == "enrol_over_capacity" and e.reason == "Beslut av chef" for e in events)
    # a place that frees up later does not help before it does
    for pid in (world.people[0], world.people[2]):
        activities.end_enrolment(world.db, "setup", activities.enrolments(world.db, reader(world.db, pid), pid)[0].id, dt.date(2026, 11, 30))
    with pytest.raises(ArenaError, match="fullt"):
        activities.enrol(world.db, "setup", world.people[3], aid, TODAY, session="fm")
    activities.enrol(world.db, "setup", world.people[3], aid, dt.date(2026, 12, 1), session="fm")


def test_one_person_never_in_two_sessions_at_the_same_time(tmp_path: Path) -> None:
    world = make_world(tmp_path / "a.db", n=2)
    aid = two_sessions(world.db)
    other = activities.create(world.db, "setup", "SFI", sessions=[SessionSpec("fm", (2.5, 2.5, 2.5, 2.5, 2.5), "09:00", "11:30")])
    pid = world.people[0]
    activities.enrol(world.db, "setup", pid, aid, dt.date(2026, 11, 2), session="fm")
    with pytest.raises(ArenaError, match="Krockar"):
        activities.enrol(world.db, "setup", pid, other, dt.date(2026, 11, 16))
    with pytest.raises(ArenaError, match="Redan inskriven"):
        activities.enrol(world.db, "setup", pid, aid, dt.date(2026, 11, 16), session="fm")
    # after the morning session ends, SFI fits; a move to the afternoon keeps the history
    eid = activities.enrolments(world.db, reader(world.db, pid), pid)[0].id
    with pytest.raises(ArenaError) as same:  # a move to the session it is in: said by the session's name
        activities.move(world.db, "setup", eid, session_of(world.db, aid, "fm"), dt.date(2026, 11, 16))
    assert str(same.value) == "Redan inskriven i Jobbsök fm 08:30–12:00 (från 2026-11-02)."
    new = activities.move(world.db, "setup", eid, session_of(world.db, aid, "em"), dt.date(2026, 11, 16))
    activities.enrol(world.db, "setup", pid, other, dt.date(2026, 11, 16))
    spans = {e.id: (e.title, e.start_date, e.end_date) for e in activities.enrolments(world.db, reader(world.db, pid), pid)}
    assert spans[eid] == ("Jobbsök fm 08:30–12:00", "2026-11-02", "2026-11-15")
    assert spans[new] == ("Jobbsök em 13:00–16:00", "2026-11-16", None)


def test_close_ends_sessions_and_enrolments_and_keeps_the_marks(tmp_path: Path) -> None:
    world = make_world(tmp_path / "a.db", n=3)
    attendance.mark(world.db, "omar.farah", world.people[0], world.activity_id, MONDAY, "present")
    assert activities.close(world.db, "setup", world.activity_id, MONDAY) == 3
    assert attendance.sessions(world.db, TODAY) == []
    assert [s.enrolled for s in attendance.sessions(world.db, MONDAY)] == [3]
    assert attendance.get_mark(world.db, "omar.farah", world.people[0], world.activity_id, MONDAY).status == "present"
    assert [a.name for a in activities.all_activities(world.db)] == []
    assert [a.closed for a in activities.all_activities(world.db, include_closed=True)] == [True]


def test_sessions_and_marks_sync_and_the_same_activity_name_on_two_workstations_is_kept_twice(
        tmp_path: Path) -> None:
    a = make_world(tmp_path / "a.db", n=3)
    share = tmp_path / "share"
    share.mkdir()
    key = sync.load_key(sync.new_key(tmp_path / "k"))
    aid = two_sessions(a.db)
    fm = session_of(a.db, aid, "fm")
    activities.enrol(a.db, "setup", a.people[0], aid, dt.date(2026, 11, 2), session="fm")
    attendance.mark(a.db, "omar.farah", a.people[0], aid, TODAY, "present", session_id=fm)
    sync.sync(a.db, sync.DirShare(share), key)
    b = db.open(tmp_path / "b.db")
    sync.sync(b, sync.DirShare(share), key)
    assert [(s.title, s.marked) for s in attendance.sessions(b, TODAY)] == \
        [(s.title, s.marked) for s in attendance.sessions(a.db, TODAY)]
    # the same new activity name made on both before they sync: both kept, one renamed, a conflict listed
    activities.create(a.db, "setup", "Friskvård", (2, 2, 2, 2, 2))
    activities.create(b, "setup", "Friskvård", (1, 1, 1, 1, 1))
    for _ in range(2):
        sync.sync(a.db, sync.DirShare(share), key)
        sync.sync(b, sync.DirShare(share), key)
    names_a = sorted(x.name for x in activities.all_activities(a.db))
    assert names_a == sorted(x.name for x in activities.all_activities(b))
    assert len([n for n in names_a if n.startswith("Friskvård")]) == 2
    assert any(c.tbl == "activity" and c.field == "name" for c in merge.conflicts(b, "setup") + merge.conflicts(a.db, "setup"))
    with dbfile.connect(tmp_path / "b.db") as con:
        assert con.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 0
    b.dispose()
