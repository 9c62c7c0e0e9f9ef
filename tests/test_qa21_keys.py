"""The qa21 tester's findings 1 and 6-12 (issue 21): a cancelled session's hours in the närvarorapport and
the export, the CLI's find with no hits, and the dialogs and footers a caseworker and a leader press keys in.
Through the real parts: the CLI as `arena` runs it, the Pilot pressing keys, then the database."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from store import attendance, cases

from .conftest import PIN, TODAY, World
from .inprocess import arena

MONDAY = TODAY - dt.timedelta(days=1)


def _report_weeks(world: World, pid: str, login: str = "karin.ek") -> list[dict[str, str]]:
    number = cases.get(world.db, login, pid).personnummer or pid
    done = arena("report", "narvaro", "--from", MONDAY.isoformat(), "--to", TODAY.isoformat(), "--participant",
                 number, "--format", "csv", "--dialect", "rfc4180", "--db", str(world.path), "--user", login,
                 "--pin-stdin", stdin=f"{PIN}\n")
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout.lstrip("\ufeff"))))


def test_a_cancelled_session_is_planned_for_nobody_and_its_marks_are_shown_as_cancelled(world: World) -> None:
    """qa21 1: Monday and Tuesday at 6 h; Tuesday's session is cancelled with the person marked present: the
    report plans 6 and counts 0 attended (the kept mark counts for nothing), the export says the mark belongs to
    a cancelled session; un-cancelled, 12 planned and the mark's 6 back."""
    pid = world.people[0]  # Karin Ek's
    attendance.mark(world.db, "lena.leder", pid, world.activity_id, TODAY, "present")
    before = _report_weeks(world, pid)
    planned, attended = before[0]["Planerade timmar"], before[0]["Närvarotimmar"]
    assert (planned, attended) == ("12", "6"), before[0]

    assert attendance.cancel_session(world.db, "lena.leder", world.activity_id, TODAY, "Personalbrist") >= 1
    with world.db.read() as conn:  # the mark is kept
        assert conn.exec_driver_sql("SELECT status FROM attendance WHERE participant_id = ? AND date = ?",
                                    (pid, TODAY.isoformat())).scalar() == "present"
    during = _report_weeks(world, pid)
    assert (during[0]["Planerade timmar"], during[0]["Närvarotimmar"]) == ("6", "0"), during[0]
    exported = arena("export", "--what", "attendance", "--format", "jsonl", "--reason", "Kontroll av inställt pass",
                     "--db", str(world.path), "--user", "setup", "--pin-stdin", stdin=f"{PIN}\n")
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    mine = [r for r in rows if r["participant_id"] == pid and r["date"] == TODAY.isoformat()]
    assert [(r["status"], r["cancelled"]) for r in mine] == [("present", 1)]
    assert all(r["cancelled"] == 0 for r in rows if r["date"] != TODAY.isoformat())

    attendance.uncancel_session(world.db, "lena.leder", world.activity_id, TODAY)
    after = _report_weeks(world, pid)
    assert (after[0]["Planerade timmar"], after[0]["Närvarotimmar"]) == ("12", "6"), after[0]
