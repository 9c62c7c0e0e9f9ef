"""Snapshots: a new workstation that starts from one ends exactly where a full replay of every ops file
ends; a damaged, renamed or foreign snapshot is quarantined and the replay takes over. Every test runs on
every hub (directory, SMB share, PostgreSQL)."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from store import attendance, cases, changes, db, dbfile, milestones, sealed, snapshot, sync, tamper
from tui import cli

from .conftest import HUBS, TODAY, make_world, reader
from .waiting import ForkServer, ended_within, next_millisecond
from .test_sync import assert_same, export, key, run_sync  # noqa: F401 -- a fixture shared with the sync tests

YESTERDAY = TODAY - dt.timedelta(days=1)


def history(path: Path, *leaving_out: Path) -> list[tuple]:
    """The change log without the ops of these workstations (each test export logs an audit event)."""
    ids = [dbfile.connect(p).execute("SELECT id FROM workstation WHERE is_local = 1").fetchone()[0]
           for p in (path, *leaving_out)]
    return dbfile.connect(path).execute(
        "SELECT op_id, workstation_id, ws_seq, hlc, tbl, row_id, kind, changes, at, by FROM change_log"
        f" WHERE workstation_id NOT IN ({', '.join('?' * len(ids))}) ORDER BY op_id", ids).fetchall()


sync_with = run_sync


def ops_names(hub) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(ws, name) for ws in hub.workstations() for name in hub.names(ws) if name.endswith(".ops")]


def listed(hub) -> list[snapshot.Listed]:  # noqa: ANN001
    share = hub.share()
    try:
        return snapshot.listed(share)
    finally:
        share.close()


def busy_programme(tmp_path: Path, share, key_file: Path) -> tuple[Path, Path, Path, str]:  # noqa: ANN001
    """Three workstations with a history that exercises every merge rule; B's work is older than the
    snapshot A publishes but reaches the share only after it, so it must fold in among the snapshot's ops."""
    a = make_world(tmp_path / "a.db", n=10)
    b_path, c_path = tmp_path / "b.db", tmp_path / "c.db"
    for path in (a.path, b_path, c_path):
        run_sync(path, share, key_file)
    mid = milestones.plan(a.db, "omar.farah", a.people[1], "kartlaggning", TODAY)
    for pid in a.people:
        attendance.mark(a.db, "omar.farah", pid, a.activity_id, YESTERDAY, "present")
    run_sync(a.path, share, key_file)
    run_sync(b_path, share, key_file)

    b = db.open(b_path)  # B works offline: these ops are stamped before A's next ones
    cases.update(b, "karin.ek", a.people[2], phone="070-1111111")
    attendance.mark(b, "lena.leder", a.people[3], a.activity_id, TODAY, "sick")
    attendance.clear(b, "omar.farah", a.people[4], a.activity_id, YESTERDAY)
    milestones.set_status(b, "karin.ek", mid, "started")
    cases.add_note(b, "karin.ek", a.people[2], "Ringde om praktikplats")
    b.dispose()
    next_millisecond()  # the next write gets a later clock

    cases.update(a.db, "omar.farah", a.people[2], phone="070-2222222")
    attendance.mark(a.db, "omar.farah", a.people[3], a.activity_id, TODAY, "present")
    attendance.mark(a.db, "omar.farah", a.people[4], a.activity_id, YESTERDAY, "partial", hours=3)
    milestones.set_status(a.db, "omar.farah", mid, "achieved", achieved=TODAY)
    attendance.clear(a.db, "omar.farah", a.people[5], a.activity_id, YESTERDAY)
    cases.add_note(a.db, "omar.farah", a.people[2], "Möte bokat")
    a.db.dispose()
    assert cli.main(["sync", "--db", str(a.path), "--share", share.spec, "--key", str(key_file),
                     "--snapshot"]) == 0

    run_sync(b_path, share, key_file)  # B's older work arrives after the snapshot
    c = db.open(c_path)
    run_sync(c_path, share, key_file)
    cases.update(c, "karin.ek", a.people[6], address="Storgatan 1")
    attendance.mark(c, "lena.leder", a.people[7], a.activity_id, TODAY, "vab")
    c.dispose()
    run_sync(c_path, share, key_file)
    a_again = db.open(a.path)  # and A goes on after its snapshot
    attendance.mark(a_again, "omar.farah", a.people[8], a.activity_id, TODAY, "unexcused")
    a_again.dispose()
    run_sync(a.path, share, key_file)
    return a.path, b_path, c_path, mid


def test_starting_from_a_snapshot_equals_a_full_replay(tmp_path: Path, hub, key: Path,  # noqa: ANN001
                                                       capsys: pytest.CaptureFixture) -> None:
    a, b, c, mid = busy_programme(tmp_path, hub, key)
    capsys.readouterr()
    snaps = listed(hub)
    assert len(snaps) == 1 and snaps[0].covered > 0

    fresh, replayed = tmp_path / "d.db", tmp_path / "e.db"
    db.open(fresh).dispose()  # a new workstation: an empty database
    assert cli.main(["sync", "--db", str(fresh), "--share", hub.spec, "--key", str(key)]) == 0
    assert dbfile.state(fresh) == dbfile.ENCRYPTED  # joined from the snapshot, encrypted at rest
    on_share = sum(int(name[13:25]) - int(name[:12]) + 1 for _, name in ops_names(hub))
    after = on_share - snaps[0].covered  # ops published after the snapshot: the only files it replays
    assert 0 < after < on_share
    assert (f"{after} mottagna" in (out := capsys.readouterr().out)
            and f"Läste ögonblicksbilden {snaps[0].workstation}/{snaps[0].name} ({snaps[0].covered} "
            in out), out
    full = sync_with(replayed, hub, key, from_snapshot=False)
    assert (full.read_snapshot, full.received) == ("", on_share)
    # before anyone syncs again: the new workstations hold what the share holds, whichever way they came
    assert_same(fresh, replayed)
    assert history(fresh) == history(replayed, fresh)
    for path in (a, b, c, fresh, replayed, a, b):
        run_sync(path, hub, key)
    assert_same(a, b, c, fresh, replayed)
    assert history(fresh, replayed) == history(replayed, fresh)
    con = dbfile.connect(fresh)
    assert con.execute("SELECT status FROM milestone WHERE id = ?", (mid,)).fetchall() == [("achieved",)]
    assert con.execute("SELECT count(*) FROM note").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 0
    # the name index came along: the new workstation finds people by name
    d = db.open(fresh)
    someone_id = dbfile.connect(a).execute("SELECT id FROM participant LIMIT 1").fetchone()[0]
    someone = cases.get(d, reader(d, someone_id), someone_id)
    assert someone.id in [hit.participant.id for hit in cases.search(d, someone.last_name, login="setup")]
    d.dispose()


def test_a_new_workstation_joins_when_the_ops_a_snapshot_covers_are_archived(tmp_path: Path, key: Path, hub,  # noqa: ANN001
                                                                             capsys: pytest.CaptureFixture) -> None:
    share = hub
    a, b, c, _ = busy_programme(tmp_path, share, key)
    assert sync_with(c, share, key, write_snapshot=True).snapshot  # an older one (A's) and a newer one (C's)
    later = db.open(b)  # and work goes on after it
    pid, aid = dbfile.connect(a).execute("SELECT participant_id, activity_id FROM enrolment").fetchone()
    attendance.mark(later, "lena.leder", pid, aid, YESTERDAY - dt.timedelta(days=3), "unexcused")
    later.dispose()
    run_sync(b, share, key)
    capsys.readouterr()
    assert cli.main(["sync", "--share", share.spec, "--key", str(key), "--archivable"]) == 0
    listing = capsys.readouterr()
    spare = listing.out.split()
    assert "kan flyttas från utdelningen" in listing.err
    assert any(p.endswith(".snap") for p in spare) and any(p.endswith(".ops") for p in spare)
    for path in spare:
        _, ws, name = path.split("/")
        share.remove(ws, name)  # an administrator moved them to an archive
    remaining = ops_names(share)
    assert remaining  # the work after the newest snapshot stays
    fresh = tmp_path / "d.db"
    assert sync_with(fresh, share, key).read_snapshot
    assert sync_with(fresh, share, key).waiting == 0
    for path in (a, b, c, fresh):
        run_sync(path, share, key)
    assert_same(a, b, c, fresh)


@pytest.mark.parametrize("tail", ["a file after the gap", "nothing after it"])
def test_a_workstation_behind_archived_or_damaged_files_catches_up_from_a_snapshot(tmp_path: Path, key: Path,
                                                                                   tail: str, hub) -> None:  # noqa: ANN001
    share = hub
    a = make_world(tmp_path / "a.db", n=6)
    b_path = tmp_path / "b.db"
    run_sync(a.path, share, key)
    run_sync(b_path, share, key)
    b = db.open(b_path)  # B is away for a while, with work of its own
    cases.update(b, "karin.ek", a.people[1], phone="070-3333333")
    b.dispose()
    for day, status in ((YESTERDAY, "present"), (TODAY, "sick")):
        for pid in a.people:
            attendance.mark(a.db, "omar.farah", pid, a.activity_id, day, status)
        run_sync(a.path, share, key)
    cases.add_note(a.db, "omar.farah", a.people[2], "Före ögonblicksbilden")
    assert sync_with(a.path, share, key, write_snapshot=True).snapshot
    if tail == "a file after the gap":
        cases.add_note(a.db, "omar.farah", a.people[2], "Efter ögonblicksbilden")
        run_sync(a.path, share, key)
    ws = a.db.workstation_id
    files = [name for name in share.names(ws) if name.endswith(".ops")]
    share.remove(ws, files[1])  # archived by an administrator
    share.put(ws, files[2], share.get(ws, files[2])[:-10])  # damaged
    if tail == "nothing after it":
        share.remove(ws, files[3])  # the snapshot's last file archived too: no gap left for B to notice
    assert sync_with(b_path, share, key, from_snapshot=False).waiting == 0
    assert export(b_path, "notes") != export(a.path, "notes")  # replaying alone, B stays behind
    summary = sync_with(b_path, share, key)
    assert summary.read_snapshot and summary.from_snapshot > 0
    assert sync_with(b_path, share, key).read_snapshot == ""  # looked at once, not read every night
    run_sync(a.path, share, key)
    assert_same(a.path, b_path)
    assert dbfile.connect(a.path).execute("SELECT phone FROM participant WHERE id = ?",
                                           (a.people[1],)).fetchone() == ("070-3333333",)
    a.db.dispose()


def test_every_table_is_loaded_parents_first() -> None:
    assert sorted(snapshot.TABLE_ORDER) == sorted(changes.SYNCED)


# Every damage on the directory; on a remote hub, a damaged file and one put under another name (the hub's
# own part: what it returns and lists). Judging a snapshot's bytes is the same whichever hub held them.
DAMAGES = [(damage, "dir") for damage in ("flipped", "truncated", "renamed", "foreign")] + [
    (damage, hub) for hub in HUBS if hub != "dir" for damage in ("flipped", "renamed")]


@pytest.mark.parametrize(("damage", "hub_factory"), DAMAGES, indirect=["hub_factory"])
def test_a_bad_snapshot_is_quarantined_and_the_replay_takes_over(tmp_path: Path, key: Path, damage: str,
                                                                 hub) -> None:  # noqa: ANN001
    share = hub
    a, *_ = busy_programme(tmp_path, share, key)
    snap = listed(share)[0]
    data = bytearray(share.get(snap.workstation, snap.name))
    if damage == "flipped":
        data[len(data) // 2] ^= 0x01
        share.put(snap.workstation, snap.name, bytes(data))
    elif damage == "truncated":
        share.put(snap.workstation, snap.name, bytes(data[:-100]))
    elif damage == "renamed":
        share.remove(snap.workstation, snap.name)
        share.put(snap.workstation, sealed.snapshot_name(snap.covered + 1), bytes(data))
    else:  # made with another programme key
        other = sync.load_key(sync.new_key(tmp_path / "other.key"))
        database = db.open(a)
        with database.read() as conn:
            covered = snapshot.vector(conn, database.workstation_id)
        database.dispose()
        share.put(snap.workstation, snap.name, sealed.encode_snapshot(other, snap.workstation, covered, iter([])))
    fresh = tmp_path / "d.db"
    summary = sync_with(fresh, share, key)
    assert summary.read_snapshot == "" and summary.quarantined == 1
    assert dbfile.connect(fresh).execute("SELECT count(*) FROM quarantine").fetchone()[0] == 1
    run_sync(a, share, key)
    run_sync(fresh, share, key)
    assert_same(a, fresh)


def test_a_snapshot_is_published_when_enough_ops_lack_one(tmp_path: Path, key: Path, hub) -> None:  # noqa: ANN001
    share = hub
    a = make_world(tmp_path / "a.db", n=5)
    assert cli.main(["settings", "sync.snapshot_every", "10", "--db", str(a.path), "--user", "setup", "--pin-stdin"]) == 0
    first = sync_with(a.path, share, key)
    assert first.snapshot  # the world's setup is more than 10 ops
    assert sync_with(a.path, share, key).snapshot == ""  # nothing new: no second one
    for pid in a.people[:3]:
        attendance.mark(a.db, "omar.farah", pid, a.activity_id, TODAY, "present")
    assert sync_with(a.path, share, key).snapshot == ""  # 3 new ops: fewer than sync.snapshot_every
    newest = listed(share)[0].covered
    for day in (YESTERDAY, YESTERDAY - dt.timedelta(days=3), YESTERDAY - dt.timedelta(days=4)):
        for pid in a.people:
            attendance.mark(a.db, "omar.farah", pid, a.activity_id, day, "sick")
    # incremental: only what the last one did not cover, named with what it builds on
    assert sync_with(a.path, share, key).snapshot == sealed.snapshot_name(newest + 18, base=newest)
    a.db.dispose()


def test_kill_9_while_a_new_workstation_starts_from_a_snapshot(tmp_path: Path, key: Path, hub) -> None:  # noqa: ANN001
    import contextlib
    import os
    import random
    import signal

    share = hub
    a = make_world(tmp_path / "a.db", n=25)
    day = dt.date(2026, 9, 1)
    while day < TODAY:
        if day.weekday() < 5:
            try:
                attendance.mark_all_present(a.db, "omar.farah", a.activity_id, day)
            except Exception:  # noqa: BLE001 -- holidays are refused
                pass
        day += dt.timedelta(days=1)
    assert sync_with(a.path, share, key, write_snapshot=True).snapshot
    fresh = tmp_path / "d.db"
    db.open(fresh).dispose()
    env = {**os.environ, "ARENA_TODAY": TODAY.isoformat()}
    rng = random.Random(11)
    with ForkServer("tui.cli", "store.sync", "store.snapshot", env=env) as server:  # real processes, started fast
        for _ in range(int(os.environ.get("ARENA_SNAPSHOT_KILLS", "8"))):
            child = server.start("tui.cli:main", ["sync", "--db", str(fresh), "--share", share.spec, "--key", str(key)])
            if not ended_within(child, rng.uniform(0.0, 0.6)):  # the kill moment, anywhere in reading the snapshot
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            list(server.lines())
            con = dbfile.connect(fresh)
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            # all or nothing: either the snapshot is in (with its high-water marks) or none of it is
            rows, peers = (con.execute("SELECT count(*) FROM attendance").fetchone()[0],
                           con.execute("SELECT count(*) FROM sync_peer").fetchone()[0])
            assert (rows == 0) == (peers == 0)
            con.close()
    sync_with(fresh, share, key)
    assert_same(a.path, fresh)
    con = dbfile.connect(fresh)
    assert con.execute("SELECT count(*) FROM (SELECT op_id FROM change_log GROUP BY op_id"
                       " HAVING count(*) > 1)").fetchone()[0] == 0
    a.db.dispose()


def test_snapshots_are_incremental_and_a_chain_joins_like_a_replay(tmp_path: Path, key: Path, hub) -> None:  # noqa: ANN001
    """After the first, a workstation's snapshot holds only what its last one did not cover; a new
    workstation joins from the chain, one that has been away reads only the deltas it lacks."""
    share = hub
    a = make_world(tmp_path / "a.db", n=6)
    b = tmp_path / "b.db"
    first = sync_with(a.path, share, key, write_snapshot=True).snapshot
    assert sealed.SNAPSHOT_NAME.match(first)[2] is None  # the first one is whole
    run_sync(b, share, key)  # B has everything the full one holds, then is away
    names = [first]
    for day in (YESTERDAY, TODAY):
        for pid in a.people:
            attendance.mark(a.db, "omar.farah", pid, a.activity_id, day, "present" if day == TODAY else "sick")
        cases.add_note(a.db, "omar.farah", a.people[0], f"Anteckning {day}")
        names.append(sync_with(a.path, share, key, write_snapshot=True).snapshot)
    deltas = [listed_one for listed_one in listed(share) if listed_one.base is not None]
    assert sorted(s.name for s in deltas) == sorted(names[1:])
    prev = int(sealed.SNAPSHOT_NAME.match(names[0])[1])
    for name in names[1:]:  # each covers only what the one before did not
        covered, base = map(int, sealed.SNAPSHOT_NAME.match(name).groups())
        assert base == prev and covered > base
        header, frames = sealed.decode_snapshot(sync.load_key(key), share.get(a.db.workstation_id, name),
                                                a.db.workstation_id, name)
        entries = [e for frame in frames for e in frame]
        assert entries and all(e["seq"] > header["base_vector"].get(e["ws"], 0) for e in entries)
        assert len(entries) <= covered - base
        prev = covered
    # the ops files the chain covers are archived: B catches up from the two deltas alone
    me = a.db.workstation_id
    for name in share.names(me):
        if name.endswith(".ops"):
            share.remove(me, name)
    summary = sync_with(b, share, key)
    assert summary.read_snapshot == f"{me}/{names[-1]}"
    assert 0 < summary.from_snapshot <= prev - int(sealed.SNAPSHOT_NAME.match(names[0])[1])
    fresh = tmp_path / "d.db"  # a new workstation: the full one and both deltas
    assert sync_with(fresh, share, key).read_snapshot == f"{me}/{names[-1]}"
    for path in (a.path, b, fresh):
        assert run_sync(path, share, key).ok
    assert_same(a.path, b, fresh)
    assert history(fresh, a.path) == history(b, a.path) == history(a.path, a.path)
    chains = {path: dbfile.connect(path).execute("SELECT op_id, digest, chain FROM change_log WHERE workstation_id = ?"
                                                 " ORDER BY op_id", (me,)).fetchall() for path in (a.path, b, fresh)}
    # the hash chain came whole through the deltas (A has more: the audit events of the exports above)
    assert chains[b] == chains[fresh] and set(chains[b]) <= set(chains[a.path]) and len(chains[b]) > 20
    for path in (b, fresh):
        with db.open(path).read() as conn:
            assert tamper.state(conn).clean, path
    a.db.dispose()


def test_a_damaged_delta_is_quarantined_and_the_join_falls_back(tmp_path: Path, key: Path, hub) -> None:  # noqa: ANN001
    share = hub
    a = make_world(tmp_path / "a.db", n=4)
    sync_with(a.path, share, key, write_snapshot=True)
    attendance.mark(a.db, "omar.farah", a.people[0], a.activity_id, TODAY, "present")
    middle = sync_with(a.path, share, key, write_snapshot=True).snapshot
    attendance.mark(a.db, "omar.farah", a.people[1], a.activity_id, TODAY, "sick")
    newest = sync_with(a.path, share, key, write_snapshot=True).snapshot
    me = a.db.workstation_id
    data = bytearray(share.get(me, middle))
    data[len(data) // 2] ^= 0x01
    share.put(me, middle, bytes(data))
    fresh = tmp_path / "d.db"
    summary = sync_with(fresh, share, key)
    assert summary.quarantined == 1 and f"{me}/{middle}" in summary.problems[0]
    assert summary.read_snapshot != f"{me}/{newest}"  # not the chain through the damaged file
    run_sync(fresh, share, key)
    assert_same(a.path, fresh)
    a.db.dispose()
