"""Measure what caseworkers feel, as ratios against a baseline measured in the same run.

    python -m bench            # 100 000 participants (cached scale database, built once)
    python -m bench --quick    # 10 000 participants, for CI-sized runs

Prints one table: name, ours, baseline, ratio, goal, pass/fail. Not part of pytest; timings on a
shared machine are noisy, so `--quick` is a smoke test that fails only on errors.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
TODAY = dt.date(2026, 11, 24)


@dataclass
class Result:
    name: str
    ours: float
    baseline: float | None
    unit: str
    goal: str
    ok: bool

    @property
    def ratio(self) -> float | None:
        return self.ours / self.baseline if self.baseline else None


def timed(fn, repeat: int = 1) -> float:  # noqa: ANN001
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def scale_db(participants: int, days: int) -> Path:
    from store import demo

    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"scale-{participants}-{days}.db"
    if not path.exists():
        print(f"building {path.name} (once) …", flush=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        demo.build(str(tmp), participants, 1, days, today=TODAY)
        tmp.replace(path)
    return path


def bench_demo_build(n: int) -> Result:
    """Demo generator rows/s against raw executemany of the same number of attendance-shaped rows."""
    from store import demo

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        built = demo.build(f"{tmp}/d.db", n, 2, 20, today=TODAY)
        ours = (built.attendance + built.participants) / (time.perf_counter() - start)
        con = sqlite3.connect(f"{tmp}/raw.db")
        con.execute("CREATE TABLE t (id TEXT PRIMARY KEY, p TEXT, a TEXT, d TEXT, s TEXT, h REAL)")
        rows = [(f"{i:032x}", "p", "a", "2026-11-01", "present", 6.0) for i in range(built.attendance)]
        start = time.perf_counter()
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", rows)
        con.commit()
        raw = len(rows) / (time.perf_counter() - start)
        con.close()
    ratio = raw / ours
    return Result("demo_build", ratio, 1.0, "× slower than raw (rows/s)", "≤ 3×", ratio <= 3)


def bench_mark_one(path: Path) -> Result:
    """One mark through attendance.mark (rules, change log, commit) vs raw INSERT + commit."""
    from store import attendance, db

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "m.db"
        shutil.copy(path, copy)
        database = db.open(copy)
        day = TODAY - dt.timedelta(days=1)
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        todo = []
        for s in attendance.sessions(database, day):
            for r in attendance.roll_call(database, s.activity_id, day):
                todo.append((r.participant_id, s.activity_id))
            if len(todo) >= 1000:
                break
        todo = todo[:1000]
        start = time.perf_counter()
        for pid, aid in todo:
            attendance.mark(database, "anna.lind", pid, aid, day, "sick")
        ours = (time.perf_counter() - start) / len(todo)
        database.dispose()
        # baseline: raw sqlite3 INSERT + COMMIT of the same rows into the same table of the same database
        # (same indexes, same journal and sync settings): what any correct program must pay
        con = sqlite3.connect(copy, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        base_day = day - dt.timedelta(days=7)
        while base_day.weekday() >= 5:
            base_day -= dt.timedelta(days=1)
        start = time.perf_counter()
        for i, (pid, aid) in enumerate(todo):
            con.execute("BEGIN")
            con.execute("INSERT OR REPLACE INTO attendance (id, participant_id, activity_id, date, status, hours,"
                        " reason_code, note, recorded_by, recorded_at, late) VALUES (?, ?, ?, ?, 'sick', 0, 'SJUK',"
                        " '', 'raw', '2026-11-24T09:00:00', 1)", (f"raw-{i}", pid, aid, f"{base_day.isoformat()}x"))
            con.execute("COMMIT")
        raw = (time.perf_counter() - start) / len(todo)
        con.close()
    return Result("mark_one", ours * 1000, raw * 1000, "ms", "≤ 2×", ours / raw <= 2)


QUERIES_NAMES = ["andersson", "anderson", "ostberg", "östberg", "muller", "asa", "åsa lund", "anna ek", "ek anna",
                 "hassan", "mohamed", "mohammed", "johansson", "johanson", "nilson", "sjoberg", "haddad", "ali",
                 "karlsson sara", "lindqvist", "warsame", "kowalski", "nystrom", "soderlund", "eriksson e"]


def bench_search(path: Path) -> Result:
    from store import cases, db

    database = db.open(path)
    con = sqlite3.connect(path)
    numbers = [r[0] for r in con.execute("SELECT personnummer FROM participant WHERE personnummer IS NOT NULL"
                                         " ORDER BY id LIMIT 100")]
    ids = [r[0] for r in con.execute("SELECT id FROM participant ORDER BY id LIMIT 200")]
    rng = random.Random(5)
    queries = []
    for i in range(200):
        if i % 2:
            queries.append(rng.choice(QUERIES_NAMES))
        else:
            n = rng.choice(numbers)
            queries.append(rng.choice([n, f"{n[:8]}-{n[8:]}", f"{n[2:8]}-{n[8:]}", n[2:], n[2:8], f"{n[2:8]} {n[8:]}"]))
    cases.search(database, "warm up", login="anna.lind")
    times = []
    for q in queries:
        start = time.perf_counter()
        cases.search(database, q, login="anna.lind")
        times.append(time.perf_counter() - start)
    base = []
    for pid in ids:
        start = time.perf_counter()
        con.execute("SELECT * FROM participant WHERE id = ?", (pid,)).fetchall()
        base.append(time.perf_counter() - start)
    con.close()
    database.dispose()
    p95 = statistics.quantiles(times, n=20)[-1] * 1000
    p50 = statistics.median(times) * 1000
    base95 = statistics.quantiles(base, n=20)[-1] * 1000
    print(f"  search p50 {p50:.2f} ms, p95 {p95:.2f} ms over {len(queries)} queries")
    return Result("search_p95", p95, base95, "ms", "p95 < 20 ms", p95 < 20)


def bench_overview(path: Path) -> Result:
    from store import db, overview

    database = db.open(path)
    con = sqlite3.connect(path)
    login = con.execute("SELECT c.login FROM caseworker c JOIN participant p ON p.caseworker_id = c.id"
                        " GROUP BY c.id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    overview.my_day(database, login, TODAY)  # warm (holiday tables, page cache)
    ours = timed(lambda: (overview.my_day(database, login, TODAY), overview.figures(database, today=TODAY)), 3)
    base = timed(lambda: con.execute("SELECT count(*) FROM attendance").fetchone(), 3)
    con.close()
    database.dispose()
    return Result("overview", ours * 1000, base * 1000, "ms", "< 200 ms", ours < 0.2)


def bench_report(path: Path) -> Result:
    from store import db, report

    database = db.open(path)
    con = sqlite3.connect(path)
    login = con.execute("SELECT c.login FROM caseworker c JOIN participant p ON p.caseworker_id = c.id"
                        " WHERE p.status = 'active' GROUP BY c.id ORDER BY count(*) LIMIT 1").fetchone()[0]
    ids = [r[0] for r in con.execute("SELECT id FROM participant WHERE status = 'active' LIMIT 60")]
    con.close()

    one = timed(lambda: report.build(database, "anna.lind", "2026-11", participant=ids[0]))
    caseload = timed(lambda: report.build(database, "anna.lind", "2026-11", caseworker=login))
    print(f"  report: one person {one * 1000:.1f} ms; all of {login}'s demo caseload {caseload * 1000:.0f} ms")
    ours = timed(lambda: report.build(database, "anna.lind", "2026-11", participant_ids=ids))
    print(f"  report: a caseload of 60 {ours * 1000:.0f} ms")
    database.dispose()
    return Result("report_month", ours * 1000, None, "ms", "< 1 s", ours < 1)


def bench_roll_call_keys() -> Result:
    """Key presses for a 25-person roll call, counted by driving the real app with a Pilot."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ["ARENA_TODAY"] = TODAY.isoformat()
    from tests.conftest import make_world
    from tui.app import ArenaApp

    async def drive() -> tuple[int, int]:
        with tempfile.TemporaryDirectory() as tmp:
            world = make_world(Path(tmp) / "k.db")
            app = ArenaApp(world.db, "omar.farah")
            keys = ["f3", "enter"] + ["n"] * 25
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause(0.3)
                for key in keys[:2]:
                    await pilot.press(key)
                    await app.workers.wait_for_complete()
                    await pilot.pause(0.1)
                await pilot.press(*keys[2:])
                app.write_lane.wait_idle()
                await pilot.pause(0.2)
            marked = sqlite3.connect(world.path).execute("SELECT count(*) FROM attendance").fetchone()[0]
            return len(keys), marked

    pressed, marked = asyncio.run(drive())
    return Result("roll_call_keys", pressed, 25, "keys", "≤ 1.2×", pressed <= 30 and marked == 25)


def bench_cold_start(path: Path) -> Result:
    env = {**os.environ, "ARENA_TODAY": TODAY.isoformat(), "TERM": "xterm-256color"}
    bare = ("from textual.app import App\nfrom textual.widgets import Static\n"
            "class A(App):\n    def compose(self):\n        yield Static('x')\n"
            "    def on_mount(self):\n        self.call_after_refresh(self.exit)\nA().run(headless=True)\n")
    login = sqlite3.connect(path).execute("SELECT login FROM caseworker ORDER BY login LIMIT 1").fetchone()[0]

    def ours() -> None:
        code = ("import sys; sys.argv=['arena']\nfrom store import db\nfrom tui.app import ArenaApp\n"
                f"app = ArenaApp(db.open({str(path)!r}), {login!r}, exit_after_ready=True)\napp.run(headless=True)\n")
        subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, timeout=120)

    def base() -> None:
        subprocess.run([sys.executable, "-c", bare], check=True, env=env, capture_output=True, timeout=120)

    base()
    b = min(timed(base) for _ in range(3))
    o = min(timed(ours) for _ in range(3))
    return Result("cold_start", o * 1000, b * 1000, "ms", "≤ 1.5×", o / b <= 1.5)


def bench_memory(path: Path) -> Result:
    code = (
        "import resource, asyncio\nfrom store import db\nfrom tui.app import ArenaApp\n"
        f"con = __import__('sqlite3').connect({str(path)!r})\n"
        "login = con.execute('SELECT c.login FROM caseworker c JOIN participant p ON p.caseworker_id = c.id"
        " GROUP BY c.id ORDER BY count(*) DESC LIMIT 1').fetchone()[0]\n"
        "async def main():\n"
        f"    app = ArenaApp(db.open({str(path)!r}), login)\n"
        "    async with app.run_test(size=(120, 40)) as pilot:\n"
        "        await pilot.pause(0.5)\n        await app.workers.wait_for_complete()\n        await pilot.pause(0.5)\n"
        "asyncio.run(main())\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n")
    env = {**os.environ, "ARENA_TODAY": TODAY.isoformat()}
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True,
                         timeout=300).stdout.split()[-1]
    mb = float(out)
    return Result("memory_f5", mb, None, "MB peak RSS", "< 300 MB", mb < 300)


def _sync_1000(path: Path) -> tuple[float, int, int]:
    """Seconds to publish 1 000 fresh marks and apply them on a second workstation; bytes on the share."""
    from store import attendance, db, settings, sync

    with tempfile.TemporaryDirectory() as tmp:
        a_path, b_path, share = Path(tmp) / "a.db", Path(tmp) / "b.db", Path(tmp) / "share"
        share.mkdir()
        shutil.copy(path, a_path)
        shutil.copy(path, b_path)
        con = sqlite3.connect(b_path)  # the copy becomes a workstation of its own
        con.execute("UPDATE workstation SET id = 'bench-b' WHERE is_local = 1")
        con.commit()
        con.close()
        key = sync.load_key(sync.new_key(Path(tmp) / "k.key"))
        a, b = db.open(a_path), db.open(b_path)
        # both start level: everything before now counts as published and applied
        with a.write("bench") as tx:
            top = tx.conn.exec_driver_sql("SELECT coalesce(max(ws_seq), 0) FROM change_log"
                                          " WHERE workstation_id = ?", (a.workstation_id,)).scalar_one()
            settings.write(tx.conn, "sync.published", str(top))
        with b.write("bench") as tx:
            tx.conn.exec_driver_sql("INSERT OR REPLACE INTO sync_peer (workstation_id, applied_seq) VALUES (?, ?)",
                                    (a.workstation_id, top))
            settings.write(tx.conn, "sync.published", str(10**9))
        day = TODAY - dt.timedelta(days=1)
        done = 0
        for s in attendance.sessions(a, day):
            for r in attendance.roll_call(a, s.activity_id, day):
                if done < 1000:
                    attendance.mark(a, "anna.lind", r.participant_id, s.activity_id, day, "vab")
                    done += 1
        start = time.perf_counter()
        # (no snapshot: B's published mark is set past everything above, which would make one due)
        sync.sync(a, sync.DirShare(share), key, write_snapshot=False)
        summary = sync.sync(b, sync.DirShare(share), key, write_snapshot=False)
        seconds = time.perf_counter() - start
        written = sum(f.stat().st_size for f in share.rglob("*.ops"))
        size = path.stat().st_size
        a.dispose()
        b.dispose()
        assert summary.received > 0.9 * done, summary  # re-marking an identical mark logs nothing
    return seconds, written, size


def bench_sync(small: Path, large: Path) -> list[Result]:
    s_small, _, _ = _sync_1000(small)
    s_large, written, size = _sync_1000(large)
    share = written / size
    return [Result("sync_changes", s_large * 1000, s_small * 1000, "ms (large vs small DB)", "≤ 1.3×",
                   s_large / s_small <= 1.3),
            Result("sync_bytes", written / 1024, size / 1024, "KiB on the share vs DB file", "≪ 1 %", share < 0.01)]


def bench_bootstrap(participants: int, days: int) -> list[Result]:
    """A new workstation joining: from a snapshot against replaying every ops file (the baseline), on a
    history made through the store (registrations, enrolments, a roll call a day, some marks changed)."""
    from store import activities, attendance, cases, db, staff, sync

    with tempfile.TemporaryDirectory() as tmp:
        base, share = Path(tmp), Path(tmp) / "share"
        share.mkdir()
        key = sync.load_key(sync.new_key(base / "k.key"))
        a = db.open(base / "a.db")
        with a.write("bench") as tx:
            staff.create_in(tx, "bench", "Bench Admin", role="admin")
        aid = activities.create(a, "bench", "Arbetsträning", (6, 6, 6, 6, 4), kind="arbetsträning", site="Centrum",
                                capacity=participants)
        me = staff.by_login(a, "bench").id
        start = TODAY - dt.timedelta(days=days * 7 // 5 + 7)
        people = []
        for i in range(participants):
            pid = cases.register(a, "bench", cases.NewParticipant(
                first_name=f"Namn{i}", last_name=f"Efternamn{i % 97}", gender="KM"[i % 2],
                referral_date=start.isoformat(), caseworker_id=me, plan=(6, 6, 6, 6, 4)))
            activities.enrol(a, "bench", pid, aid, start)
            people.append(pid)
        rng, day, marked = random.Random(5), start, 0
        while marked < days:
            day += dt.timedelta(days=1)
            try:
                attendance.mark_all_present(a, "bench", aid, day)
            except Exception:  # noqa: BLE001 -- weekends and holidays are refused
                continue
            for pid in rng.sample(people, max(1, participants // 20)):
                attendance.mark(a, "bench", pid, aid, day, "sick")
            marked += 1
        sync.sync(a, sync.DirShare(share), key, write_snapshot=False)
        ops_bytes = sum(f.stat().st_size for f in share.rglob("*.ops"))
        t0 = time.perf_counter()
        sync.sync(a, sync.DirShare(share), key, write_snapshot=True)
        write_s = time.perf_counter() - t0
        snap_bytes = sum(f.stat().st_size for f in share.rglob("*.snap"))
        with a.read() as conn:
            ops = conn.exec_driver_sql("SELECT count(*) FROM change_log").scalar_one()
        a.dispose()
        timings = {}
        for name, from_snapshot in (("replay", False), ("snapshot", True)):
            new = db.open(base / f"{name}.db")
            t0 = time.perf_counter()
            summary = sync.sync(new, sync.DirShare(share), key, from_snapshot=from_snapshot, write_snapshot=False)
            timings[name] = time.perf_counter() - t0
            assert summary.waiting == 0 and bool(summary.read_snapshot) == from_snapshot, summary
            new.dispose()
    print(f"  join: {ops} ops; replay {timings['replay']:.2f} s, snapshot {timings['snapshot']:.2f} s,"
          f" writing the snapshot {write_s:.2f} s", flush=True)
    return [Result("join_snapshot", timings["snapshot"], timings["replay"], "s (snapshot vs replaying every file)",
                   "≤ 0.5×", timings["snapshot"] <= 0.5 * timings["replay"]),
            Result("snapshot_bytes", snap_bytes / 1024, ops_bytes / 1024, "KiB (snapshot vs all ops files)", "≤ 1.2×",
                   snap_bytes <= 1.2 * ops_bytes)]


def bench_pin_guess() -> Result:
    """One offline PIN guess at the default cost (the one stored with every new hash) against the cost
    before issue 17 (N=2**14): what a copied hash costs an attacker per try."""
    import statistics

    from store import access

    os.environ.pop("ARENA_SCRYPT_N", None)
    stored = access.hash_pin("246801")
    assert stored.split("$")[1] == str(access.SCRYPT_N)
    ours = statistics.median(timed(lambda: access.pin_matches("135790", stored)) for _ in range(5))
    old = "scrypt$16384$8$1$" + stored.split("$", 4)[4]
    base = statistics.median(timed(lambda: access.pin_matches("135790", old)) for _ in range(5))
    return Result("pin_guess", ours, base, "s per guess", ">= 0.25 s", ours >= 0.25)


def _print(results: list[Result]) -> None:
    print(f"{'name':16} {'ours':>12} {'baseline':>12} {'ratio':>8}  {'goal':14} result")
    for r in results:
        base = f"{r.baseline:.3f}" if r.baseline is not None else "—"
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "—"
        print(f"{r.name:16} {r.ours:12.3f} {base:>12} {ratio:>8}  {r.goal:14} {'pass' if r.ok else 'FAIL'}  ({r.unit})")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="10 000 participants instead of 100 000")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    parser.add_argument("--pin", action="store_true", help="only the PIN hash cost (no database needed)")
    args = parser.parse_args()
    os.environ["ARENA_TODAY"] = TODAY.isoformat()
    if args.pin:
        _print([bench_pin_guess()])
        return 0
    n, days = (10_000, 40) if args.quick else (100_000, 40)
    path = scale_db(n, days)
    results = []
    for name, fn in (("demo_build", lambda: bench_demo_build(2000 if args.quick else 10_000)),
                     ("mark_one", lambda: bench_mark_one(path)), ("search_p95", lambda: bench_search(path)),
                     ("overview", lambda: bench_overview(path)), ("report_month", lambda: bench_report(path)),
                     ("roll_call_keys", bench_roll_call_keys), ("cold_start", lambda: bench_cold_start(path)),
                     ("memory_f5", lambda: bench_memory(path)), ("pin_guess", bench_pin_guess)):
        print(f"· {name}", flush=True)
        results.append(fn())
    print("· sync_changes, sync_bytes", flush=True)
    small = scale_db(n // 10 if args.quick else 10_000, days)
    results += bench_sync(small, path)
    print("· join_snapshot, snapshot_bytes", flush=True)
    results += bench_bootstrap(500, 10) if args.quick else bench_bootstrap(2000, 20)
    rows = sqlite3.connect(path).execute("SELECT count(*) FROM attendance").fetchone()[0]
    print(f"\nscale database: {n} participants, {rows} attendance rows ({path.stat().st_size // 2**20} MB)\n")
    _print(results)
    if args.json:
        Path(args.json).write_text(json.dumps([{**asdict(r), "ratio": r.ratio} for r in results], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
