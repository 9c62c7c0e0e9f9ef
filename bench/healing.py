"""The nightly sync of a fleet that heals (`sync_night_50`, `sync_restore_recovery`).

`sync_night_50`: 50 workstations, each with a day of work (a roll call, notes, phone numbers), sync
twice through the file share – every sync proving the share (marker), reading its own folder back,
listing others' snapshot requests – against the same 100 syncs on a quiet share (nobody worked: what
the healing checks cost by themselves).

`sync_restore_recovery`: one workstation's database is restored from the backup taken before that
night; its first sync finds the night's files in its own folder, takes a new identity and applies
them and everyone else's. Against the same catching-up by a workstation that was simply away that
night (the same backup under an identity of its own: no fork).
"""
from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

from bench.core import TODAY, Context, Goal, Result, benchmark, result
from bench.fleet import PER_SITE, STATIONS, _night, _programme
from store import dbfile


def _quiet_night(base: Path, share_dir: Path, key: bytes) -> float:
    from store import db, sync

    start = time.perf_counter()
    for _ in range(2):
        for i in range(STATIONS):
            station = db.open(base / f"dir-{i}.db")
            summary = sync.sync(station, sync.DirShare(share_dir), key, write_snapshot=False)
            station.dispose()
            assert summary.ok, summary.line()
    return time.perf_counter() - start


def _copy(source: Path, target: Path) -> None:
    con, out = dbfile.connect(source), dbfile.connect(target)
    con.backup(out)
    out.close()
    con.close()


def _timed_sync(path: Path, share_dir: Path, key: bytes) -> tuple[float, object]:
    from store import db, sync

    station = db.open(path)
    start = time.perf_counter()
    summary = sync.sync(station, sync.DirShare(share_dir), key, write_snapshot=False)
    seconds = time.perf_counter() - start
    station.dispose()
    return seconds, summary


@benchmark("sync_night_50")
def sync_night_50(ctx: Context) -> list[Result]:
    from store import sync

    with tempfile.TemporaryDirectory() as tmpdir:
        base, share_dir = Path(tmpdir), Path(tmpdir) / "share"
        share_dir.mkdir()
        key = sync.load_key(sync.new_key(base / "k.key"))
        sites = _programme(base, share_dir, key)
        quiet = _quiet_night(base, share_dir, key)
        _copy(base / "dir-0.db", base / "backup-0.db")  # the backup IT took before the night
        night, received = _night(base, "dir", str(share_dir), key, sites)
        # the disk of workstation 0 dies the next morning: IT restores last night's backup
        _copy(base / "backup-0.db", base / "restored.db")
        _copy(base / "backup-0.db", base / "away.db")
        with dbfile.connect(base / "away.db") as con:  # the same state, but a workstation of its own
            con.execute("UPDATE workstation SET id = ? WHERE is_local = 1", (str(uuid.uuid4()),))
            con.execute("DELETE FROM setting WHERE key = 'sync.published'")
        away_s, _ = _timed_sync(base / "away.db", share_dir, key)
        restore_s, summary = _timed_sync(base / "restored.db", share_dir, key)
        healed = summary.forked != "" and summary.ok and dbfile.connect(base / "restored.db").execute(
            "SELECT count(*) FROM attendance WHERE date = ?", (TODAY.isoformat(),)).fetchone()[0] == STATIONS * PER_SITE
    print(f"  {STATIONS} workstations: a night's 100 syncs {night:.1f} s ({received} ops applied), on a quiet share"
          f" {quiet:.1f} s; a restore healed in {restore_s:.2f} s, an away workstation caught up in {away_s:.2f} s",
          flush=True)
    return [
        result("sync_night_50", night, quiet, f"s, {STATIONS} workstations × 2 syncs with a day of work each"
               " (vs the same syncs on a quiet share)", Goal("fits the nightly window: ≤ 10 min", most=600.0),
               note=f"{received} ops applied"),
        result("sync_restore_recovery", restore_s, away_s, "s, the first sync of a database restored from"
               " before the night (vs an away workstation catching up the same night)",
               Goal("≤ 1.5×", ratio=1.5), note="fork + own folder applied", extra_ok=healed),
    ]
