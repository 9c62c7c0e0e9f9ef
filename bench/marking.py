"""Marking attendance: one mark through the store, and the roll call as a caseworker types it."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from store import dbfile
from bench.core import Context, Goal, Result, benchmark, interleave, last_workday, ms, result
from store import dbfile

BATCH = 50


@benchmark("mark_one")
def mark_one(ctx: Context) -> Result:
    """One mark through attendance.mark (rules, change log, HLC, commit) against the same work done the
    simplest way: one transaction writing the attendance row and its change-log entry with raw sqlite3,
    same file, same pragmas. Interleaved in batches on the same copy, each batch after the same untimed
    warm-up of the rows it touches, so both see the same page cache; most of either is the commit's
    fsync (synchronous=FULL), which a mark needs before it is shown."""
    from store import attendance, db

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "m.db"
        shutil.copy(ctx.path, copy)
        database = db.open(copy)
        day = last_workday()
        todo = []
        for s in attendance.sessions(database, day):
            todo += [(r.participant_id, s.activity_id) for r in attendance.roll_call(database, "anna.lind", s.activity_id, day)]
            if len(todo) >= BATCH * (ctx.runs + 1):
                break
        batches = iter([todo[i:i + BATCH] for i in range(0, len(todo), BATCH)])
        raw_batches = iter([todo[i:i + BATCH] for i in range(0, len(todo), BATCH)])
        con = dbfile.connect(copy, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL"):
            con.execute(f"PRAGMA {pragma}")
        ws = "bench-raw"  # its own sequence, so the raw entries never collide with ours
        seq = [10**9]

        def warm(rows: list[tuple[str, str]]) -> None:
            """Untimed, before either side's batch: read what a mark of these people touches (their row,
            enrolments and marks, the change log's tail) and commit once, so neither side starts on a
            page cache or a WAL the other one warmed (the baseline's swing, 0.39–3.15 ms, came from that)."""
            for pid, aid in rows:
                con.execute("SELECT * FROM participant WHERE id = ?", (pid,)).fetchall()
                con.execute("SELECT * FROM enrolment WHERE participant_id = ? AND activity_id = ?", (pid, aid)).fetchall()
                con.execute("SELECT * FROM attendance WHERE participant_id = ? ORDER BY date DESC LIMIT 5", (pid,)).fetchall()
            con.execute("SELECT * FROM change_log ORDER BY rowid DESC LIMIT 50").fetchall()
            con.execute("BEGIN IMMEDIATE")
            con.execute("COMMIT")

        def ours() -> float:
            rows = next(batches)
            warm(rows)
            start = time.perf_counter()
            for pid, aid in rows:
                attendance.mark(database, "anna.lind", pid, aid, day, "sick")
            return (time.perf_counter() - start) / len(rows)

        def raw() -> float:
            rows = next(raw_batches)
            warm(rows)
            other = (day - dt.timedelta(days=7)).isoformat() + "r"  # a key no real row has
            start = time.perf_counter()
            for pid, aid in rows:
                rid = str(uuid.uuid4())
                seq[0] += 1
                con.execute("BEGIN IMMEDIATE")
                con.execute("INSERT OR REPLACE INTO attendance (id, participant_id, activity_id, session_id, date,"
                            " status, hours, reason_code, note, recorded_by, recorded_at, late) VALUES (?1, ?2, ?3, ?3,"
                            " ?4, 'sick', 0, 'SJUK', '', 'raw', '2026-11-24T09:00:00', 1)", (rid, pid, aid, other))
                con.execute("INSERT INTO change_log (op_id, workstation_id, ws_seq, hlc, tbl, row_id, kind, changes,"
                            " at, by) VALUES (?, ?, ?, ?, 'attendance', ?, 'upsert', ?, '2026-11-24T09:00:00', 'raw')",
                            (str(uuid.uuid4()), ws, seq[0], f"{seq[0]:013d}-00000-{ws}", rid,
                             json.dumps({"status": [None, "sick"], "participant_id": [None, pid]})))
                con.execute("COMMIT")
            return (time.perf_counter() - start) / len(rows)

        a, b = interleave(ours, raw, ctx.runs)
        con.close()
        database.dispose()
    return result("mark_one", ms(a), ms(b), f"ms per mark (batches of {BATCH})", Goal("≤ 2×", ratio=2))
