"""A fleet's night on PostgreSQL against the same night on the file share (`sync_fleet_pg`).

50 workstations, one programme: each site takes the roll call of its own activity and writes a few notes
and phone numbers; then every workstation syncs twice (the first round publishes, the second brings
everyone everything), once through a directory and once through PostgreSQL, with the same databases and
the same work. The PostgreSQL hub is `ARENA_BENCH_PG` (a URL whose schema is empty) or a throwaway
server started here from the `postgresql` package's initdb/pg_ctl on a temporary directory and a
loopback port (as root, run as the postgres user).
"""
from __future__ import annotations

import glob
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.core import TODAY, Context, Goal, Result, benchmark, result
from store import dbfile

STATIONS, PER_SITE = 50, 12


class _Server:
    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        bindir = Path(shutil.which("pg_ctl") or (found[-1] if found else "")).parent
        if not (bindir / "initdb").exists():
            raise SystemExit("sync_fleet_pg needs PostgreSQL: apt-get install postgresql, or set ARENA_BENCH_PG")
        self.bindir, self.root = bindir, Path(tempfile.mkdtemp(prefix="arena-bench-pg-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        self._run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with open(data / "postgresql.conf", "a") as out:  # durable like a real server: fsync stays on
            out.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.root}'\n")
        self._run("pg_ctl", "-D", data, "-l", self.root / "log", "-w", "start")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: object) -> None:
        cmd = [str(self.bindir / tool), *map(str, args)]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", self.root / "data", "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _programme(base: Path, share_dir: Path, key: bytes, stations: int = STATIONS,
               days_back: int = 30, per_site: int = PER_SITE) -> list[tuple[str, list[str]]]:
    """One programme of `stations` sites (an activity of PER_SITE people each), every workstation joined
    through the file share and level."""
    import datetime as dt

    from store import activities, cases, db, staff, sync

    first = db.open(base / "dir-0.db")
    with first.write("bench") as tx:
        staff.create_in(tx, "bench", "Bench Admin", role="admin")
    me = staff.by_login(first, "bench").id
    start = TODAY - dt.timedelta(days=days_back)
    sites = []
    for i in range(stations):
        aid = activities.create(first, "bench", f"Aktivitet {i}", (6, 6, 6, 6, 4), kind="arbetsträning",
                                site=f"Ort {i}", capacity=per_site)
        people = []
        for j in range(per_site):
            pid = cases.register(first, "bench", cases.NewParticipant(
                first_name=f"Namn{i}x{j}", last_name=f"Efternamn{j}", gender="KM"[j % 2],
                referral_date=start.isoformat(), caseworker_id=me, plan=(6, 6, 6, 6, 4)))
            activities.enrol(first, "bench", pid, aid, start)
            people.append(pid)
        sites.append((aid, people))
    sync.sync(first, sync.DirShare(share_dir), key, write_snapshot=True)
    first.dispose()
    for _ in range(2):  # the fleet joins from the snapshot, then everyone is level
        for i in range(stations):
            station = db.open(base / f"dir-{i}.db")
            sync.sync(station, sync.DirShare(share_dir), key, write_snapshot=False)
            station.dispose()
    return sites


def _night(base: Path, kind: str, spec: str, key: bytes, sites: list[tuple[str, list[str]]]) -> tuple[float, int]:
    from store import attendance, cases, db, sync

    for i, (aid, people) in enumerate(sites):  # the same day of work at every site, on both hubs
        station = db.open(base / f"{kind}-{i}.db")
        rng = random.Random(i)
        for pid in people:
            attendance.mark(station, "bench", pid, aid, TODAY, rng.choice(("present", "present", "sick", "unexcused")))
        for pid in rng.sample(people, 3):
            cases.add_note(station, "bench", pid, f"Samtal {i}")
            cases.update(station, "bench", pid, phone=f"070-{i:03d}{rng.randrange(10**4):04d}")
        station.dispose()
    start, received = time.perf_counter(), 0
    for _ in range(2):
        for i in range(STATIONS):
            station = db.open(base / f"{kind}-{i}.db")
            share = sync.open_share(spec)
            try:
                summary = sync.sync(station, share, key, write_snapshot=False)
            finally:
                share.close()
                station.dispose()
            assert summary.ok, summary.line()
            received += summary.received
    seconds = time.perf_counter() - start
    for i in (0, STATIONS - 1):  # the night brought everyone everything
        count = dbfile.connect(base / f"{kind}-{i}.db").execute(
            "SELECT count(*) FROM attendance WHERE date = ?", (TODAY.isoformat(),)).fetchone()[0]
        assert count == STATIONS * PER_SITE, (kind, i, count)
    return seconds, received


@benchmark("sync_fleet_pg")
def sync_fleet_pg(ctx: Context) -> Result:
    """50 workstations' night through PostgreSQL against the same night through the file share."""
    from store import hubmove, sync

    server = None if os.environ.get("ARENA_BENCH_PG") else _Server()
    url = os.environ.get("ARENA_BENCH_PG") or server.url
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            base, share_dir = Path(tmpdir), Path(tmpdir) / "share"
            share_dir.mkdir()
            key = sync.load_key(sync.new_key(base / "k.key"))
            sites = _programme(base, share_dir, key)
            hub = sync.open_share(url)  # the programme moves its files to PostgreSQL, as --import-share does
            hubmove.import_share(sync.DirShare(share_dir), hub, key)
            hub.close()
            for i in range(STATIONS):
                shutil.copy(base / f"dir-{i}.db", base / f"pg-{i}.db")
            dir_s, dir_ops = _night(base, "dir", str(share_dir), key, sites)
            pg_s, pg_ops = _night(base, "pg", url, key, sites)
    finally:
        if server is not None:
            server.stop()
    print(f"  {STATIONS} workstations, {pg_ops} ops applied in the night: PostgreSQL {pg_s:.1f} s,"
          f" file share {dir_s:.1f} s", flush=True)
    return result("sync_fleet_pg", pg_s, dir_s, f"s, {STATIONS} workstations' night (PostgreSQL vs file share)",
                  Goal("≤ 1.5×", ratio=1.5), note=f"{pg_ops} ops applied; one night on each hub, one after the other (not interleaved)",
                  extra_ok=pg_ops == dir_ops)


def _apply_simply(path: Path, share_dir: Path, key: bytes, me: str, done: dict[str, int]) -> int:
    """The baseline of `sync_fleet`: the files a workstation's sync applies, applied the simplest way to a
    copy of its database: each file read and decrypted, its entries added to the change log in one
    statement, then each op written over the row as it arrived (UPDATE the fields it sets, INSERT when
    the row is not there; DELETE), in one transaction, with the same tables, indexes and triggers. No
    fold, no conflicts kept, no savepoints, no rows waiting for a parent, no tamper check. `done`: per
    peer, the last sequence number applied (moved on here). Returns the ops applied."""
    from store.changes import SYNCED
    from store.sealed import OPS_NAME, decode_ops

    con = dbfile.connect(path, isolation_level=None)
    applied = 0
    con.execute("BEGIN IMMEDIATE")
    for folder in sorted((share_dir / "ops").iterdir()):
        ws = folder.name
        if ws == me or ws.startswith(".") or not folder.is_dir():
            continue
        for file in sorted(folder.iterdir()):
            match = OPS_NAME.match(file.name)
            if not match or int(match[2]) <= done.get(ws, 0):
                continue
            _, ops = decode_ops(key, file.read_bytes(), ws, file.name)
            ops = [op for op in ops if op["seq"] > done.get(ws, 0)]
            con.executemany(
                "INSERT OR IGNORE INTO change_log (op_id, workstation_id, ws_seq, hlc, tbl, row_id, kind, changes, at,"
                " by, digest, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(op["op"], ws, op["seq"], op["hlc"], op["tbl"], op["row"], op["kind"],
                  json.dumps(op["changes"], ensure_ascii=False, sort_keys=True), op["at"], op["by"], op.get("digest"),
                  op.get("chain")) for op in ops])
            for op in ops:
                table, pk = op["tbl"], SYNCED[op["tbl"]]
                if op["kind"] == "delete":
                    con.execute(f"DELETE FROM {table} WHERE {pk} = ?", (op["row"],))
                    continue
                values = {f: new for f, (_, new) in op["changes"].items()}
                if values and con.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in values)}"
                                          f" WHERE {pk} = ?", (*values.values(), op["row"])).rowcount == 0:
                    con.execute(f"INSERT INTO {table} ({pk}, {', '.join(values)}) VALUES (?{', ?' * len(values)})",
                                (op["row"], *values.values()))
            done[ws] = int(match[2])
            applied += len(ops)
    con.execute("COMMIT")
    con.close()
    return applied


def _timed(fn: Any, *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - start, value


@benchmark("sync_fleet")
def sync_fleet(ctx: Context) -> list[Result]:
    """A fleet over many working days on the file share: every night each workstation syncs once (with
    snapshots whenever the store finds one due, as in real use: `sync.snapshot_every` lowered to 2 000 ops
    so a month holds several) after a day of work: its site's roll call (everyone present in one go, then
    two absences), a note and a phone number. Ours: the seconds of every workstation's sync in a night.
    Baseline, interleaved workstation by workstation: the same files applied the simplest way to a copy
    of each workstation's database (`_apply_simply`). The same work every night, so the last nights must
    cost what the first ones did; no sync may spend more than 2 s on a snapshot; the share must stay
    within twice its ops files; and a workstation that joins at the end from the snapshots holds what
    the fleet holds. `ARENA_BENCH_FLEET=STATIONSxDAYS[xPEOPLE]` sets the fleet's shape."""
    import datetime as dt

    from store import attendance, calendar, cases, db, snapshot, staff, sync

    stations, days, per_site = (10, 10, PER_SITE) if ctx.quick else (STATIONS, 30, PER_SITE)
    if os.environ.get("ARENA_BENCH_FLEET"):  # "50x30x6": stations x days (x people a site, smaller groups)
        shape = [int(x) for x in os.environ["ARENA_BENCH_FLEET"].split("x")]
        stations, days, per_site = (*shape, per_site)[:3] if len(shape) == 2 else shape
    workdays, day = [], TODAY
    while len(workdays) < days:
        if calendar.is_workday(day):
            workdays.append(day)
        day -= dt.timedelta(days=1)
    workdays.reverse()
    nights: list[float] = []
    simple_nights: list[float] = []
    applied_ops: list[int] = []
    worst, snap_worst, snaps_written = (0.0, ""), (0.0, ""), 0
    writing: list[float] = []  # the seconds each snapshot.write took inside a sync
    write = snapshot.write

    def timed_write(*args: Any) -> str | None:
        start = time.perf_counter()
        try:
            return write(*args)
        finally:
            writing.append(time.perf_counter() - start)

    snapshot.write = timed_write  # type: ignore[assignment]  # the sync calls it through the module
    begun = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmpdir:
        base, share_dir = Path(tmpdir), Path(tmpdir) / "share"
        share_dir.mkdir()
        key = sync.load_key(sync.new_key(base / "k.key"))
        sites = _programme(base, share_dir, key, stations, days_back=(TODAY - workdays[0]).days + 7,
                           per_site=per_site)
        simple_done: list[dict[str, int]] = []
        ids: list[str] = []
        for i in range(stations):
            station = db.open(base / f"dir-{i}.db")
            staff.set_setting(station, "bench", "sync.snapshot_every", "2000")
            ids.append(station.workstation_id)
            station.dispose()
            with dbfile.connect(base / f"dir-{i}.db") as con:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                simple_done.append(dict(con.execute("SELECT workstation_id, applied_seq FROM sync_peer").fetchall()))
            shutil.copy(base / f"dir-{i}.db", base / f"simple-{i}.db")
        print(f"  {stations} workstations joined in {time.perf_counter() - begun:.0f} s", flush=True)
        for n, day in enumerate(workdays):
            for i, (aid, people) in enumerate(sites[:stations]):
                station = db.open(base / f"dir-{i}.db")
                rng = random.Random(n * 1000 + i)
                attendance.mark_all_present(station, "bench", aid, day)
                for pid, status in zip(rng.sample(people, 2), ("sick", "unexcused")):
                    attendance.mark(station, "bench", pid, aid, day, status)
                cases.add_note(station, "bench", rng.choice(people), f"Samtal {day}")
                cases.update(station, "bench", rng.choice(people), phone=f"070-{i:03d}{rng.randrange(10**4):04d}")
                station.dispose()
            night, simple_night, received, simple_received = 0.0, 0.0, 0, 0
            for i in range(stations):  # ours and the baseline take turns at going first
                simple = (base / f"simple-{i}.db", share_dir, key, ids[i], simple_done[i])
                if (n + i) % 2:
                    simple_s, simple_n = _timed(_apply_simply, *simple)
                station = db.open(base / f"dir-{i}.db")
                start = time.perf_counter()
                summary = sync.sync(station, sync.DirShare(share_dir), key)
                seconds = time.perf_counter() - start
                station.dispose()
                if not (n + i) % 2:
                    simple_s, simple_n = _timed(_apply_simply, *simple)
                simple_night += simple_s
                simple_received += simple_n
                assert summary.ok, summary.line()
                night += seconds
                received += summary.received
                where = f"night {n + 1}, workstation {i}"
                if seconds > worst[0]:
                    worst = (seconds, where + (", wrote a snapshot" if summary.snapshot else ""))
                if summary.snapshot:
                    snaps_written += 1
                    if writing[-1] > snap_worst[0]:
                        snap_worst = (writing[-1], f"{where}: {summary.snapshot}, the whole sync {seconds:.2f} s")
            nights.append(night)
            simple_nights.append(simple_night)
            applied_ops.append(received)
            assert simple_received == received, (simple_received, received)
            print(f"  night {n + 1}: {night:.1f} s, {received} ops applied ({1000 * night / max(received, 1):.2f} ms"
                  f" an op; the simplest way {simple_night:.1f} s, {1000 * simple_night / max(received, 1):.2f} ms)"
                  f"{', snapshots: ' + str(snaps_written) if snaps_written else ''}", flush=True)
        ops = sum(f.stat().st_size for f in share_dir.rglob("*.ops"))
        total = sum(f.stat().st_size for f in share_dir.rglob("*") if f.is_file())
        snap_bytes = sum(f.stat().st_size for f in share_dir.rglob("*.snap"))
        print(f"  the share: {total / 2**20:.1f} MiB, its ops files {ops / 2**20:.1f} MiB ({total / max(ops, 1):.2f}×,"
              f" goal ≤ 2×), snapshots {snap_bytes / 2**20:.1f} MiB", flush=True)
        snapshot.write = write  # type: ignore[assignment]
        joiner = db.open(base / "new.db")  # a workstation joins at the end: from the snapshot chain
        start = time.perf_counter()
        summary = sync.sync(joiner, sync.DirShare(share_dir), key, write_snapshot=False)
        join_s = time.perf_counter() - start
        joiner.dispose()
        count = "SELECT count(*) FROM attendance"
        joined_ok = bool(summary.read_snapshot) and summary.ok and (
            dbfile.connect(base / "new.db").execute(count).fetchone()[0]
            >= dbfile.connect(base / f"dir-{stations - 1}.db").execute(count).fetchone()[0])
    k = max(ctx.runs, 5) if days >= 10 else max(1, (days - 1) // 2)
    steady = slice(1, None) if days > 1 else slice(None)  # the first night each workstation gets half
    per_op = 1000 * sum(nights[steady]) / max(sum(applied_ops[steady]), 1)
    simple_per_op = 1000 * sum(simple_nights[steady]) / max(sum(applied_ops[steady]), 1)
    print(f"  {stations} x {days} nights in {time.perf_counter() - begun:.0f} s", flush=True)
    return [result("sync_fleet", nights[steady], simple_nights[steady],
                   f"s per night, {stations} workstations' syncs vs the same files applied the simplest way",
                   Goal("≤ 3×", ratio=3), note=f"{per_op:.2f} vs {simple_per_op:.2f} ms an op, "
                   f"{sum(applied_ops) // len(applied_ops)} ops a night; nights after the 1st;"
                   f" slowest single sync {worst[0]:.2f} s ({worst[1]})"),
            result("sync_fleet_night", nights[-k:], nights[1:k + 1],
                   f"s per night, {stations} workstations: last {k} of {days} nights vs the first (after the 1st)",
                   Goal("≤ 1.5×", ratio=1.5)),
            result("sync_fleet_snapshot", snap_worst[0], None, "s, the longest a sync spent writing a snapshot",
                   Goal("< 2 s", most=2), note=f"{snaps_written} snapshots in {days} nights ({snap_bytes // 1024} KiB);"
                   f" slowest: {snap_worst[1]}; a new workstation joined from them in {join_s:.1f} s",
                   extra_ok=joined_ok and snaps_written > 1),
            result("sync_fleet_share", total / 1024, ops / 1024, f"KiB on the share vs its ops files after {days} nights",
                   Goal("≤ 2×", ratio=2))]
