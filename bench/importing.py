"""Imports and whole-programme reports: rows/s of `import attendance` against a raw `executemany` of the
same rows, the latency of roll-call marks made while the import runs in another process, and the peak
memory of the whole programme's närvarorapport."""
from __future__ import annotations

import datetime as dt
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.core import TODAY, Context, Goal, Result, benchmark, result

ROOT = Path(__file__).resolve().parent.parent


def _world(path: Path, people: int) -> tuple[str, list[str]]:
    """A programme of `people` participants enrolled in one activity with sessions every weekday."""
    from store import activities, cases, db, staff

    database = db.open(path)
    with database.write("setup") as tx:
        staff.create_in(tx, "setup", "Bench Admin", role="admin")
        staff.create_in(tx, "lena.leder", "Lena Leder", role="leader")
    aid = activities.create(database, "setup", "Arbetsträning café", (6, 6, 6, 6, 4), kind="arbetsträning",
                            site="Centrum", leader_login="lena.leder")
    ids = []
    for i in range(people):
        pid = cases.register(database, "setup", cases.NewParticipant(
            first_name=f"Bench{i}", last_name=f"Deltagare{i}", gender="KMX"[i % 3], referral_date="2026-09-01",
            plan=(6, 6, 6, 6, 4)))
        activities.enrol(database, "setup", pid, aid, dt.date(2026, 9, 1))
        ids.append(pid)
    database.dispose()
    return aid, ids


@benchmark("import_attendance")
def import_attendance(ctx: Context) -> list[Result]:
    from store import attendance, calendar, db

    wanted = 20_000 if ctx.quick else 200_000
    folder = Path(tempfile.mkdtemp(prefix="arena-bench-import-"))
    try:
        aid, people = _world(folder / "arena.db", 200)
        days = [d for d in (dt.date(2026, 9, 1) + dt.timedelta(n) for n in range((TODAY - dt.date(2026, 9, 1)).days))
                if calendar.is_workday(d)]
        lines, raw, n = ["participant_id;aktivitet;datum;status;timmar"], [], 0
        while len(raw) < wanted:
            status = "present" if n % 2 == 0 else "partial"
            for day in days:
                for pid in people[1:]:
                    lines.append(f"{pid};Arbetsträning café;{day.isoformat()};{status};{'' if n % 2 == 0 else '2,5'}")
                    raw.append((pid, day.isoformat(), status))
            n += 1
        file = folder / "lista.csv"
        file.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
        base = folder / "raw.db"
        shutil.copy(folder / "arena.db", base)
        con = sqlite3.connect(base, isolation_level=None)
        start = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        con.executemany("INSERT OR REPLACE INTO attendance (id, participant_id, activity_id, date, status, hours,"
                        " recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, 6, 'bench', '2026-11-24T00:00:00')",
                        [(f"{pid}-{day}", pid, aid, day, status) for pid, day, status in raw])
        con.execute("COMMIT")
        raw_s = time.perf_counter() - start
        con.close()
        # The import as `arena import attendance` runs it (the store call, without the PIN prompt).
        code = ("import sys; from store import attendance, db; r = attendance.import_csv(db.open(sys.argv[1]),"
                " 'lena.leder', sys.argv[2]); print(r.imported, len(r.rejected))")
        env = {**os.environ, "ARENA_TODAY": TODAY.isoformat()}
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code, str(folder / "arena.db"), str(file)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        marker = db.open(folder / "arena.db")
        latencies: list[float] = []
        while proc.poll() is None:
            m0 = time.perf_counter()
            attendance.mark(marker, "lena.leder", people[0], aid, TODAY, ("present", "sick")[len(latencies) % 2])
            latencies.append(time.perf_counter() - m0)
            time.sleep(0.05)
        out, err = proc.communicate()
        ours_s = time.perf_counter() - start
        marker.dispose()
        assert proc.returncode == 0, err
        imported, rejected = map(int, out.split())
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        latencies.sort()
        p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
        note = (f"{len(raw)} rows, import peak RSS {peak:.0f} MB; {len(latencies)} marks during it: median"
                f" {latencies[len(latencies) // 2] * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
        return [result("import_rows_s", len(raw) / ours_s, len(raw) / raw_s, "rows/s (vs raw executemany)",
                       Goal("informative"), note, extra_ok=imported == len(raw) and rejected == 0),
                result("import_mark_max", latencies[-1] * 1000, None, "ms, slowest mark during the import",
                       Goal("< 1000 ms", most=1000), note)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@benchmark("report_all_memory")
def report_all_memory(ctx: Context) -> Result:
    """The whole programme's närvarorapport as XLSX (streamed), in its own process: peak memory."""
    from store import report

    code = ("import sys; from store import db, report; d = db.open(sys.argv[1]);"
            " b = report.build(d, 'anna.lind', '2026-11', stream=True, reason='bench');"
            " report.write_file(b, __import__('pathlib').Path(sys.argv[2]), 'xlsx'); print(b.count)")
    out = Path(tempfile.mkdtemp(prefix="arena-bench-report-")) / "alla.xlsx"
    try:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code, str(ctx.path), str(out)], cwd=ROOT, capture_output=True,
                              text=True, env={**os.environ, "ARENA_TODAY": TODAY.isoformat()})
        took = time.perf_counter() - start
        assert done.returncode == 0, done.stderr
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        note = f"{done.stdout.strip()} participants in {took:.0f} s, {out.stat().st_size // 2**20} MB file"
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    del report
    return result("report_all_mb", peak, None, "MB peak RSS, whole programme as XLSX", Goal("< 300 MB", most=300),
                  note)
