"""A peer's file applied a chunk at a time (store.merge._apply_together: the chunk's change-log entries in
one statement, each row folded once) ends exactly as the same file applied op by op: the rows, the
figures the triggers keep, the change log, the conflicts kept and the rows waiting for a parent."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from store import activities, attendance, cases, db, dbfile, merge, sync

from .conftest import TODAY, make_world

# columns that say when this database noticed something, not what it holds; and the change log's local
# numbering (within a chunk the entries of rows the file touches more than once are numbered after the rest)
LOCAL_TIMES = {"conflict": ("id", "detected_at"), "sync_peer": ("last_seen",), "quarantine": ("detected_at",),
               "change_log": ("seq",)}


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every table of the database, rows sorted, without the local times (and the settings, which hold them)."""
    con = dbfile.connect(path)
    try:
        found = {}
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                                    " AND name != 'setting'"):
            cols = [c[1] for c in con.execute(f"PRAGMA table_info({table})") if c[1] not in LOCAL_TIMES.get(table, ())]
            found[table] = sorted(map(repr, con.execute(f"SELECT {', '.join(cols)} FROM {table}")))
        return found
    finally:
        con.close()


def test_a_file_applied_in_chunks_ends_as_op_by_op(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    share_dir, key = tmp_path / "share", sync.load_key(sync.new_key(tmp_path / "k.key"))
    share_dir.mkdir()
    b = make_world(tmp_path / "b.db", n=8)
    x, y = tmp_path / "x.db", tmp_path / "y.db"

    def sync_at(path: Path) -> sync.Summary:
        database = db.open(path)
        try:
            return sync.sync(database, sync.DirShare(share_dir), key, write_snapshot=False)
        finally:
            database.dispose()

    b.db.dispose()
    for path in (b.path, x, y, b.path):
        sync_at(path)
    ids = {}
    for path in (x, y):
        database = db.open(path)
        ids[path] = database.workstation_id
        database.dispose()
    early, late = sorted((x, y), key=ids.__getitem__)  # B applies the early one's files first
    one_by_one = tmp_path / "b-op-by-op.db"
    together: list[bool] = []
    chunked = merge._apply_together

    def spying(*args: object) -> bool:
        together.append(chunked(*args))  # type: ignore[arg-type]
        return together[-1]

    def sync_both() -> None:
        """B's sync in chunks, and the same sync of its copy op by op (every chunk falls back, as before)."""
        if not one_by_one.exists():
            shutil.copy(b.path, one_by_one)
        monkeypatch.setattr(merge, "_apply_together", spying)
        got = sync_at(b.path)
        monkeypatch.setattr(merge, "_apply_together", lambda *args: False)
        expected = sync_at(one_by_one)
        assert (got.received, got.conflicts, got.waiting) == (expected.received, expected.conflicts, expected.waiting)
        assert got.ok
        assert contents(b.path) == contents(one_by_one)

    # B writes first (and has not synced since): the early workstation's work overwrites it
    database = db.open(b.path)
    attendance.mark(database, "lena.leder", b.people[2], b.activity_id, TODAY, "present")
    attendance.mark(database, "lena.leder", b.people[4], b.activity_id, TODAY, "present")
    cases.update(database, "karin.ek", b.people[1], phone="070-1111111")
    database.dispose()
    # the early workstation marks the whole group (three of them again), changes a phone number, writes a note
    database = db.open(early)
    attendance.mark_all_present(database, "lena.leder", b.activity_id, TODAY)
    attendance.mark(database, "lena.leder", b.people[0], b.activity_id, TODAY, "sick")
    attendance.mark(database, "lena.leder", b.people[2], b.activity_id, TODAY, "unexcused")
    attendance.mark(database, "lena.leder", b.people[2], b.activity_id, TODAY, "vab")
    attendance.mark(database, "lena.leder", b.people[4], b.activity_id, TODAY, "sick")
    cases.update(database, "omar.farah", b.people[1], phone="070-2222222")
    cases.add_note(database, "omar.farah", b.people[3], "Samtal om praktik")
    database.dispose()
    sync_at(early)
    sync_both()  # one chunk, with conflicts
    assert together == [True]
    assert dbfile.connect(b.path).execute("SELECT count(*) FROM conflict").fetchone()[0] > 0
    # the late workstation registers a person; the early one enrols and marks them: B reads the early
    # one's file first, ahead of the registration, so that chunk falls back and the rows wait a moment
    database = db.open(late)
    newcomer = cases.register(database, "omar.farah", cases.NewParticipant(
        first_name="Ny", last_name="Deltagare", gender="K", referral_date="2026-09-01"))
    database.dispose()
    sync_at(late)
    sync_at(early)
    database = db.open(early)
    activities.enrol(database, "setup", newcomer, b.activity_id, TODAY)
    attendance.mark(database, "lena.leder", newcomer, b.activity_id, TODAY, "present")
    database.dispose()
    sync_at(early)
    sync_both()
    assert together == [True, False]
