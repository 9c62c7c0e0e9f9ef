"""Crash safety: a marking loop in a real subprocess is SIGKILLed at random moments, many times.
Every mark the child reported as saved must be in the database, and the file must stay intact."""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from .conftest import TODAY, World

ROOT = Path(__file__).resolve().parent.parent
KILLS = int(os.environ.get("ARENA_CRASH_KILLS", "60"))


def test_sigkill_never_loses_a_reported_mark(world: World) -> None:
    rng = random.Random(20261124)
    env = {**os.environ, "ARENA_TODAY": TODAY.isoformat(), "PYTHONPATH": str(ROOT)}
    world.db.dispose()
    statuses = ("present", "sick", "unexcused", "vab")
    total_reported = 0
    for trial in range(KILLS):
        status = statuses[trial % len(statuses)]
        child = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "crash_child.py"), str(world.path), status, str(trial * 37),
             world.activity_id], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        # wait for the child to start marking, then kill it at a random moment
        first = child.stdout.readline()
        assert first, child.stderr.read()
        time.sleep(rng.uniform(0.0, 0.08))
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        reported = [line.split() for line in (first + rest).splitlines() if line.count(" ") == 2]
        total_reported += len(reported)
        con = sqlite3.connect(world.path)
        try:
            for pid, day, st in reported:
                got = con.execute("SELECT status FROM attendance WHERE participant_id = ? AND activity_id = ?"
                                  " AND date = ?", (pid, world.activity_id, day)).fetchone()
                assert got == (st,), f"trial {trial}: {pid} {day} reported {st}, database has {got}"
                logged = con.execute("SELECT count(*) FROM change_log WHERE tbl = 'attendance'"
                                     " AND changes LIKE ?", (f'%"status": [%"{st}"]%',)).fetchone()[0]
                assert logged > 0
        finally:
            con.close()
    con = sqlite3.connect(world.path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # one row per (participant, activity, date), never two
    assert con.execute("SELECT count(*) FROM (SELECT 1 FROM attendance GROUP BY participant_id, activity_id, date"
                       " HAVING count(*) > 1)").fetchone()[0] == 0
    con.close()
    assert total_reported > KILLS
