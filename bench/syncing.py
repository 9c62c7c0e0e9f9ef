"""The nightly sync: moving a day's changes between workstations, and a new workstation joining."""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from bench.core import TODAY, Context, Goal, Result, benchmark, interleave, last_workday, ms, result
from store import dbfile
from store.tables import WEEKDAYS

PER_ROUND = 500
STATUSES = ("vab", "sick")


def _people_of_a_round(a, day):  # noqa: ANN001, ANN202
    """PER_ROUND (person, activity) pairs from the day's roll calls, as anna.lind sees them."""
    people = []
    for s in attendance.sessions(a, day):
        people += [(r.participant_id, s.activity_id) for r in attendance.roll_call(a, "anna.lind", s.activity_id, day)]
        if len(people) >= PER_ROUND:
            break
    return people[:PER_ROUND]


def _two_workstations(source: Path, tmp: Path):  # noqa: ANN202
    """Two copies of `source` that are level (everything before now published and applied)."""
    from store import db, settings, sync

    a_path, b_path, share = tmp / "a.db", tmp / "b.db", tmp / "share"
    share.mkdir()
    shutil.copy(source, a_path)
    shutil.copy(source, b_path)
    with dbfile.connect(b_path) as con:  # the copy becomes a workstation of its own
        con.execute("UPDATE workstation SET id = 'bench-b' WHERE is_local = 1")
    key = sync.load_key(sync.new_key(tmp / "k.key"))
    a, b = db.open(a_path), db.open(b_path)
    with a.write("bench") as tx:
        top = tx.conn.exec_driver_sql("SELECT coalesce(max(ws_seq), 0) FROM change_log"
                                      " WHERE workstation_id = ?", (a.workstation_id,)).scalar_one()
        settings.write(tx.conn, "sync.published", str(top))
    with b.write("bench") as tx:
        tx.conn.exec_driver_sql("INSERT OR REPLACE INTO sync_peer (workstation_id, applied_seq) VALUES (?, ?)",
                                (a.workstation_id, top))
        settings.write(tx.conn, "sync.published", str(10**9))
    return a, b, share, key


@benchmark("sync_changes")
def sync_changes(ctx: Context) -> list[Result]:
    """A day's marks (500 per round) published by one workstation and applied by another through the
    share (encrypted ops files, change log, last-writer-wins) against moving the same rows the simplest
    way: SELECT them on A, one JSON file on the share, INSERT OR REPLACE them on B in one transaction.
    Bytes: the ops files written against that JSON file of the same rows."""
    from store import attendance, sync

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        a, b, share, key = _two_workstations(ctx.path, tmp)
        day = last_workday()
        people = _people_of_a_round(a, day)
        rounds = [0]
        ops_bytes: list[float] = []
        json_bytes: list[float] = []
        marked: list[tuple[str, str]] = []

        def mark_round() -> None:
            status = STATUSES[rounds[0] % 2]
            rounds[0] += 1
            for pid, aid in people:
                attendance.mark(a, "anna.lind", pid, aid, day, status)

        def ours() -> float:
            mark_round()
            before = {f: f.stat().st_size for f in share.rglob("*.ops")}
            start = time.perf_counter()
            sync.sync(a, sync.DirShare(share), key, write_snapshot=False)
            summary = sync.sync(b, sync.DirShare(share), key, write_snapshot=False)
            seconds = time.perf_counter() - start
            assert summary.received >= 0.9 * len(people), summary
            ops_bytes.append(sum(f.stat().st_size - before.get(f, 0) for f in share.rglob("*.ops")))
            return seconds

        src = dbfile.connect(tmp / "a.db")
        dst = dbfile.connect(tmp / "b.db", isolation_level=None)
        dst.execute("PRAGMA synchronous=FULL")
        cols = [c[1] for c in src.execute("PRAGMA table_info(attendance)")]
        iso = day.isoformat()

        def base() -> float:
            start = time.perf_counter()
            rows = []
            for pid, aid in people:
                rows += src.execute(f"SELECT {', '.join(cols)} FROM attendance WHERE participant_id = ?"
                                    " AND activity_id = ? AND date = ?", (pid, aid, iso)).fetchall()
            path = share / "raw.json"
            path.write_text(json.dumps(rows))
            json_bytes.append(path.stat().st_size)
            got = json.loads(path.read_text())
            dst.execute("BEGIN IMMEDIATE")
            dst.executemany(f"INSERT OR REPLACE INTO attendance ({', '.join(cols)})"
                            f" VALUES ({', '.join('?' * len(cols))})", got)
            dst.execute("COMMIT")
            return time.perf_counter() - start

        a_s, b_s = interleave(ours, base, ctx.runs)
        src.close()
        dst.close()
        a.dispose()
        b.dispose()
    return [result("sync_changes", ms(a_s), ms(b_s), f"ms for {PER_ROUND} marks, A→share→B vs raw copy",
                   Goal("≤ 5×", ratio=5)),
            result("sync_bytes", [x / 1024 for x in ops_bytes], [x / 1024 for x in json_bytes],
                   "KiB ops files vs the same rows as JSON", Goal("≤ 2×", ratio=2))]


def build_history(base: Path, participants: int, days: int) -> tuple:
    """A programme's history made through the store: registrations, enrolments, a roll call a day, some
    marks changed. Returns the database (open) and the day after the last marked day."""
    from store import activities, attendance, cases, db, staff

    a = db.open(base / "a.db")
    with a.write("bench") as tx:
        staff.create_in(tx, "bench", "Bench Admin", role="admin")
    group = 500  # an activity holds at most 1 000 places: the programme in groups
    aids = [activities.create(a, "bench", f"Arbetsträning {k + 1}", (6, 6, 6, 6, 4), kind="arbetsträning",
                              site="Centrum", capacity=min(group, participants))
            for k in range((participants + group - 1) // group)]
    aid = aids[0]
    me = staff.by_login(a, "bench").id
    start = TODAY - dt.timedelta(days=days * 7 // 5 + 7)
    people = []
    for i in range(participants):
        pid = cases.register(a, "bench", cases.NewParticipant(
            first_name=f"Namn{i}", last_name=f"Efternamn{i % 97}", gender="KM"[i % 2],
            referral_date=start.isoformat(), caseworker_id=me, plan=(6, 6, 6, 6, 4)))
        activities.enrol(a, "bench", pid, aids[i // group], start)
        people.append(pid)
    rng, day, marked = random.Random(5), start, 0
    while marked < days:
        day += dt.timedelta(days=1)
        try:
            for each in aids:
                attendance.mark_all_present(a, "bench", each, day)
        except Exception:  # noqa: BLE001 -- weekends and holidays are refused
            continue
        for n in sorted(rng.sample(range(participants), max(1, participants // 20))):
            attendance.mark(a, "bench", people[n], aids[n // group], day, "sick")
        marked += 1
    return a, aid, people, day


@benchmark("join_snapshot")
def join_snapshot(ctx: Context) -> list[Result]:
    """A new workstation joining: from a snapshot against replaying every ops file (the baseline)."""
    from store import db, sync

    participants, days = (500, 10) if ctx.quick else (2000, 20)
    with tempfile.TemporaryDirectory() as tmp:
        base, share = Path(tmp), Path(tmp) / "share"
        share.mkdir()
        key = sync.load_key(sync.new_key(base / "k.key"))
        a, *_ = build_history(base, participants, days)
        sync.sync(a, sync.DirShare(share), key, write_snapshot=False)
        ops_bytes = sum(f.stat().st_size for f in share.rglob("*.ops"))
        t0 = time.perf_counter()
        sync.sync(a, sync.DirShare(share), key, write_snapshot=True)
        write_s = time.perf_counter() - t0
        snap_bytes = sum(f.stat().st_size for f in share.rglob("*.snap"))
        a.dispose()
        count = [0]

        def join(from_snapshot: bool) -> float:
            count[0] += 1
            path = base / f"j{count[0]}.db"
            new = db.open(path)
            t = time.perf_counter()
            summary = sync.sync(new, sync.DirShare(share), key, from_snapshot=from_snapshot, write_snapshot=False)
            seconds = time.perf_counter() - t
            assert summary.waiting == 0 and bool(summary.read_snapshot) == from_snapshot, summary
            new.dispose()
            path.unlink()
            return seconds

        runs = max(3, ctx.runs if ctx.quick else 3)  # replay takes tens of seconds at full size
        s, r = interleave(lambda: join(True), lambda: join(False), runs, warm=0)
    print(f"  writing the snapshot took {write_s:.2f} s", flush=True)
    return [result("join_snapshot", s, r, "s, snapshot vs replaying every file", Goal("≤ 0.5×", ratio=0.5),
                   note=f"{runs} runs"),
            result("snapshot_bytes", snap_bytes / 1024, ops_bytes / 1024, "KiB, snapshot vs all ops files",
                   Goal("≤ 1.2×", ratio=1.2))]


def _history_sql(me: str, first_seq: int) -> list[str]:
    """The 100k database was built without a change log: give it one, as if every person and every mark
    had been written through the store on this workstation (one entry each with every field, numbered in
    its sequence, stamped in order; no hash chain, as entries from before the chain)."""
    def entries(table: str, columns: list[str], order: str, offset: str) -> str:
        fields = ", ".join(f"'{c}', json_array(NULL, {c})" for c in columns)
        return (f"INSERT INTO change_log (op_id, workstation_id, ws_seq, hlc, tbl, row_id, kind, changes, at, by)"
                f" SELECT printf('bench-{table}-%012d', n), '{me}', {offset} + n, printf('%013d-00000-%s', 1780000000000"
                f" + {offset} + n, '{me}'), '{table}', id, 'upsert', json_object({fields}), created, 'bench'"
                f" FROM (SELECT *, row_number() OVER (ORDER BY {order}) AS n, {'created_at' if table == 'participant' else 'recorded_at'} AS created"
                f" FROM {table})")
    people = ["personnummer", "first_name", "last_name", "gender", "birth_date", "referral_date", "caseworker_id",
              "site", *(f"plan_{day}" for day in WEEKDAYS), "status", "created_at"]
    marks = ["participant_id", "activity_id", "session_id", "date", "status", "hours", "reason_code", "note",
             "recorded_by", "recorded_at", "late"]
    # numbered in the order of the rows' ids, so every index of the change log grows at its end (minutes,
    # not an hour, for 4 million entries)
    return [entries("participant", people, "id", str(first_seq)),
            entries("attendance", marks, "id", f"{first_seq} + (SELECT count(*) FROM participant)")]


def _prepared_history(ctx: Context) -> tuple[Path, Path, Path, float]:
    """The scale database with its whole history in the change log, published, and a full snapshot of it on
    a share: built once in the bench cache (minutes at 100k); returns (database, share, key, seconds the
    full snapshot took to write)."""
    from store import db, settings, snapshot, sync

    cache = Path(os.environ.get("ARENA_BENCH_CACHE") or Path(__file__).resolve().parent / ".cache")
    folder = cache / f"history-{ctx.participants}"
    done = folder / "full_snapshot_seconds"
    if done.exists():
        return folder / "a.db", folder / "share", folder / "k.key", float(done.read_text())
    print(f"  building {folder.name} (once): the change log of every person and mark, a full snapshot …", flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / "a.db"
    shutil.copy(ctx.path, path)
    (folder / "share").mkdir()
    sync.new_key(folder / "k.key")
    with dbfile.connect(path) as con:
        me = con.execute("SELECT id FROM workstation WHERE is_local = 1").fetchone()[0]
        top = con.execute("SELECT coalesce(max(ws_seq), 0) FROM change_log WHERE workstation_id = ?", (me,)).fetchone()[0]
        for sql in _history_sql(me, top):
            con.execute(sql)
        last = con.execute("SELECT max(ws_seq) FROM change_log WHERE workstation_id = ?", (me,)).fetchone()[0]
        con.execute("INSERT INTO setting (key, value) VALUES ('sync.published', ?) ON CONFLICT(key)"
                    " DO UPDATE SET value = excluded.value", (str(last),))
    key = sync.load_key(folder / "k.key")
    a = db.open(path)
    share = sync.DirShare(folder / "share")
    sync.sync(a, share, key, write_snapshot=False)  # proves the share, checks the chains once
    start = time.perf_counter()
    name = snapshot.write(a, share, key)
    seconds = time.perf_counter() - start
    assert name and "-" not in name.removeprefix("snapshot-").split(".")[0], name  # a full one
    with a.read() as conn:
        assert settings.read(conn, "sync.snapshot_last")
    a.dispose()
    done.write_text(f"{seconds:.3f}")
    return path, folder / "share", folder / "k.key", seconds


@benchmark("snapshot_delta")
def snapshot_delta(ctx: Context) -> list[Result]:
    """Snapshots stay proportional at full size: the whole programme's history (every person and mark of
    the scale database in the change log, published, a full snapshot of it on the share: the cost every
    automatic snapshot had before they were incremental, measured once when the history is built), then
    rounds of a day's work (500 marks) and a sync that writes a snapshot: each one a delta of what the
    last one did not cover. Ours: the seconds each sync spends writing its snapshot; baseline: the full one."""
    from store import attendance, db, snapshot, sync

    src_db, src_share, key_path, full_s = _prepared_history(ctx)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        shutil.copy(src_db, tmp / "a.db")
        shutil.copytree(src_share, tmp / "share")
        key = sync.load_key(key_path)
        a = db.open(tmp / "a.db")
        day = last_workday()
        people = _people_of_a_round(a, day)
        writes, syncs, sizes = [], [], []
        for n in range(ctx.runs):
            for pid, aid in people:
                attendance.mark(a, "anna.lind", pid, aid, day, STATUSES[n % 2])
            share = sync.DirShare(tmp / "share")
            start = time.perf_counter()
            summary = sync.sync(a, share, key, write_snapshot=False)
            syncs.append(time.perf_counter() - start)
            start = time.perf_counter()
            name = snapshot.write(a, share, key)
            writes.append(time.perf_counter() - start)
            assert summary.ok and name and "-" in name.removeprefix("snapshot-").split(".")[0], (summary.line(), name)
            sizes.append((tmp / "share" / "ops" / a.workstation_id / name).stat().st_size)
        total = sum(f.stat().st_size for f in (tmp / "share").rglob("*.snap"))
        with a.read() as conn:
            entries = conn.exec_driver_sql("SELECT count(*) FROM change_log").scalar_one()
        a.dispose()
    return [result("snapshot_delta", writes, full_s, f"s writing a sync's snapshot after {PER_ROUND} marks:"
                   " a delta vs the full one (built once)", Goal("< 2 s", most=2),
                   note=f"{entries} change-log entries; the sync before it {min(syncs):.2f}–{max(syncs):.2f} s;"
                        f" deltas {min(sizes) // 1024}–{max(sizes) // 1024} KiB, all snapshots {total // 2**20} MB")]
