"""Crash safety: a marking loop in a real subprocess is SIGKILLed at random moments, many times.
Every mark the child reported as saved must be in the database with its change-log entry, and the file
must stay intact and consistent (rows, their change log and the day totals agree)."""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3

from store import dbfile

from .conftest import TODAY, World
from .waiting import ForkServer, ended_within

KILLS = int(os.environ.get("ARENA_CRASH_KILLS", "60"))


def logged_status(con: sqlite3.Connection, row_id: str) -> str | None:
    """The status an attendance row has according to its change log alone (the last value written)."""
    status = None
    for kind, changes in con.execute("SELECT kind, changes FROM change_log WHERE tbl = 'attendance' AND row_id = ?"
                                     " ORDER BY seq", (row_id,)):
        fields = json.loads(changes)
        if kind == "delete":
            status = None
        elif "status" in fields:
            status = fields["status"][1]
    return status


def test_sigkill_never_loses_a_reported_mark(world: World) -> None:
    rng = random.Random(20261124)
    world.db.dispose()
    statuses = ("present", "sick", "unexcused", "vab")
    total_reported = 0
    with ForkServer("tests.crash_child", env={**os.environ, "ARENA_TODAY": TODAY.isoformat()}) as server:
        server.run_here("tests.crash_child:warm", str(world.path), world.activity_id)
        for trial in range(KILLS):
            child = server.start("tests.crash_child:mark_until_killed", str(world.path), world.activity_id,
                                 statuses[trial % len(statuses)], trial * 37)
            output = server.lines()
            reported = [next(output, None)]  # the first reported mark: the child is marking
            assert reported[0] is not None, f"trial {trial}: the child ended (status {server.status}) before a mark"
            if not ended_within(child, rng.uniform(0.0, 0.08)):  # the kill moment, while it goes on marking
                os.kill(child, signal.SIGKILL)  # (one that ended by itself fails the status check below)
            reported += list(output)
            assert server.status == signal.SIGKILL, f"trial {trial}: the child ended with status {server.status}"
            total_reported += len(reported)
            con = dbfile.connect(world.path)
            try:
                for line in reported:
                    pid, day, st = line.split()
                    got = con.execute("SELECT id, status FROM attendance WHERE participant_id = ?"
                                      " AND activity_id = ? AND date = ?", (pid, world.activity_id, day)).fetchone()
                    assert got is not None and got[1] == st, \
                        f"trial {trial}: {pid} {day} reported {st}, database has {got}"
                    assert logged_status(con, got[0]) == st, f"trial {trial}: the change log of {pid} {day} lacks {st}"
            finally:
                con.close()
    con = dbfile.connect(world.path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # every row agrees with its own change log, and the day totals (triggers) with the rows
        rows = con.execute("SELECT id, status FROM attendance").fetchall()
        disagree = [(row_id, status) for row_id, status in rows if logged_status(con, row_id) != status]
        assert not disagree, f"{len(disagree)} rows differ from their change log, e.g. {disagree[:3]}"
        assert con.execute("SELECT date, hours, marks FROM attendance_day WHERE marks > 0 ORDER BY date").fetchall() \
            == con.execute("SELECT date, sum(hours), count(*) FROM attendance GROUP BY date ORDER BY date").fetchall()
    finally:
        con.close()
    assert total_reported > KILLS
