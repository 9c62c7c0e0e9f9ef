"""Sync through every hub: a real directory, a real SMB share (ARENA_TEST_SMB) and a real PostgreSQL
server (tests/pgserver.py) — real SQLite files, real subprocesses killed mid-sync, damaged files, skewed
clocks, random orders, each on all three."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import signal
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from store import attendance, cases, db, dbfile, sealed, sync
from tui import cli

from .conftest import HUBS, ON_THE_DIRECTORY_HUB, PIN, TODAY, make_world
from .hubs import copy_files, short_blink_allowance
from .waiting import ForkServer, ended_within, next_millisecond, record_notices

TABLES = ("participants", "caseworkers", "activities", "enrolments", "attendance", "milestones", "notes")
@pytest.fixture
def key(tmp_path: Path) -> Path:
    return sync.new_key(tmp_path / "arena.key")


def export(path: Path, what: str) -> str:
    return exports(path, (what,))[what]


def exports(path: Path, tables: tuple[str, ...] = TABLES) -> dict[str, str]:
    """Each table as the administrator's CSV export writes it, from one opening of the database."""
    import io

    from store import export as exp

    database = db.open(path)
    try:
        written = {}
        for what in tables:
            out = io.StringIO()
            exp.write(database, "setup", what, "csv", out, reason="test: the workstations agree")
            written[what] = out.getvalue()
        return written
    finally:
        database.dispose()


def assert_same(*paths: Path) -> None:
    tables = {p: exports(p) for p in paths}
    for what in TABLES:
        outputs = {p: tables[p][what] for p in paths}
        if len(set(outputs.values())) > 1:
            first = paths[0]
            lines = set(outputs[first].splitlines())
            diff = {p.name: sorted(set(o.splitlines()) ^ lines) for p, o in outputs.items() if o != outputs[first]}
            raise AssertionError(f"{what} differs between workstations: {first.name} vs {diff}")


def copy_db(source: Path, target: Path) -> None:
    """A file-level copy, as a backup tool or a disk image makes it (the WAL folded in)."""
    con, out = dbfile.connect(source), dbfile.connect(target)
    con.backup(out)
    out.close()
    con.close()


def run_sync(path: Path, hub, key: Path, **options: object) -> sync.Summary:  # noqa: ANN001 -- a tests.hubs hub
    database = db.open(path)
    share = hub.share()
    try:
        return sync.sync(database, share, sync.load_key(key), **options)
    finally:
        share.close()
        database.dispose()


def test_three_workstations_converge_and_keep_conflicts(tmp_path: Path, hub, key: Path) -> None:
    a = make_world(tmp_path / "a.db")
    b_path, c_path = tmp_path / "b.db", tmp_path / "c.db"
    db.open(b_path).dispose()
    db.open(c_path).dispose()
    run_sync(a.path, hub, key)
    assert run_sync(b_path, hub, key).received > 0  # a new workstation joins with one sync
    run_sync(c_path, hub, key)
    assert_same(a.path, b_path, c_path)
    # the same person marked differently at two sites the same morning
    pid, aid = a.people[3], a.activity_id
    attendance.mark(a.db, "omar.farah", pid, aid, TODAY, "present")
    b = db.open(b_path)
    next_millisecond()  # the next write gets a later clock
    attendance.mark(b, "lena.leder", pid, aid, TODAY, "sick")
    cases.update(b, "karin.ek", a.people[4], phone="070-1111111")
    cases.update(a.db, "omar.farah", a.people[4], phone="070-2222222")
    cases.add_note(b, "karin.ek", a.people[4], "Samtal om praktik")
    cases.add_note(a.db, "omar.farah", a.people[4], "Samtal om SFI")
    b.dispose()
    csv_file = tmp_path / "paper.csv"
    csv_file.write_text("participant_id,activity,date,status,hours,reason,note\n"
                        f"{a.people[5]},Arbetsträning café,2026-11-23,partial,3,,\n", encoding="utf-8")
    assert cli.main(["import", "attendance", str(csv_file), "--db", str(c_path), "--user", "lena.leder", "--pin-stdin"]) == 0
    for order in ((c_path, b_path, a.path), (a.path, b_path, c_path)):
        for path in order:
            run_sync(path, hub, key)
    assert_same(a.path, b_path, c_path)
    con = dbfile.connect(a.path)
    assert con.execute("SELECT count(*) FROM attendance WHERE participant_id = ? AND date = ?",
                       (pid, TODAY.isoformat())).fetchone()[0] == 1
    assert con.execute("SELECT status FROM attendance WHERE participant_id = ? AND date = ?",
                       (pid, TODAY.isoformat())).fetchone()[0] == "sick"  # the later mark wins
    assert con.execute("SELECT count(*) FROM note WHERE participant_id = ?", (a.people[4],)).fetchone()[0] == 2
    kept = [dbfile.connect(p).execute("SELECT tbl, field FROM conflict").fetchall() for p in (a.path, b_path)]
    assert ("attendance", "status") in kept[0] + kept[1]
    assert ("participant", "phone") in kept[0] + kept[1]


@pytest.mark.parametrize("hub_factory", ["dir"], indirect=True)
def test_a_copied_database_writing_at_the_same_moment_converges(tmp_path: Path, hub, key: Path) -> None:
    """The example the property test found (84c6235), kept as a directed test: a database copied to a
    second PC goes on from the same clock under the same identity, so an edit on each in the same
    millisecond carries the same stamp; every workstation folds the two alike, whatever order they came in."""
    a = make_world(tmp_path / "a.db", n=2)
    pid = a.people[0]
    a.db.dispose()
    run_sync(a.path, hub, key)
    clone, b_path = tmp_path / "clone.db", tmp_path / "b.db"
    copy_db(a.path, clone)
    run_sync(b_path, hub, key)
    real_time, frozen = time.time, time.time()
    time.time = lambda: frozen  # type: ignore[assignment]
    try:
        for path, phone in ((a.path, "0701111"), (clone, "0702222")):
            database = db.open(path)
            cases.update(database, "omar.farah", pid, phone=phone)
            database.dispose()
    finally:
        time.time = real_time  # type: ignore[assignment]
    stamps = {dbfile.connect(p).execute("SELECT hlc FROM change_log WHERE tbl = 'participant' AND row_id = ?"
                                        " AND changes LIKE '%phone%' ORDER BY seq DESC", (pid,)).fetchone()[0]
              for p in (a.path, clone)}
    assert len(stamps) == 1, stamps  # the tie this test is about
    for order in ((a.path, clone, b_path), (clone, a.path, b_path)):
        for p in order:
            run_sync(p, hub, key)
    assert_same(a.path, clone, b_path)
    phones = {dbfile.connect(p).execute("SELECT phone FROM participant WHERE id = ?", (pid,)).fetchone()[0]
              for p in (a.path, clone, b_path)}
    assert len(phones) == 1 and phones <= {"0701111", "0702222"}, phones


@ON_THE_DIRECTORY_HUB
def test_delete_against_a_concurrent_edit_keeps_the_edit(tmp_path: Path, hub, key: Path) -> None:
    a = make_world(tmp_path / "a.db", n=5)
    b_path = tmp_path / "b.db"
    db.open(b_path).dispose()
    attendance.mark(a.db, "omar.farah", a.people[1], a.activity_id, TODAY, "present")
    run_sync(a.path, hub, key)
    run_sync(b_path, hub, key)
    b = db.open(b_path)
    attendance.clear(a.db, "omar.farah", a.people[1], a.activity_id, TODAY)  # A deletes
    next_millisecond()  # the next write gets a later clock
    attendance.mark(b, "karin.ek", a.people[1], a.activity_id, TODAY, "partial", hours=2)  # B edits, unaware
    b.dispose()
    for path in (a.path, b_path, a.path):
        run_sync(path, hub, key)
    assert_same(a.path, b_path)
    assert dbfile.connect(a.path).execute("SELECT status, hours FROM attendance").fetchall() == [("partial", 2.0)]


@ON_THE_DIRECTORY_HUB
def test_milestone_status_never_moves_back_through_a_merge(tmp_path: Path, hub, key: Path) -> None:
    from store import milestones

    a = make_world(tmp_path / "a.db", n=3)
    mid = milestones.plan(a.db, "omar.farah", a.people[1], "kartlaggning", TODAY)
    b_path = tmp_path / "b.db"
    run_sync(a.path, hub, key)
    run_sync(b_path, hub, key)
    milestones.set_status(a.db, "omar.farah", mid, "achieved", achieved=TODAY)
    next_millisecond()  # the next write gets a later clock
    b = db.open(b_path)
    milestones.set_status(b, "karin.ek", mid, "started")  # later clock, but behind in the state machine
    b.dispose()
    for path in (a.path, b_path, a.path):
        run_sync(path, hub, key)
    assert_same(a.path, b_path)
    assert dbfile.connect(b_path).execute("SELECT status FROM milestone WHERE id = ?", (mid,)).fetchone() == (
        "achieved",)


def test_damaged_foreign_renamed_and_replayed_files_are_quarantined(tmp_path: Path, hub, hub_factory,  # noqa: ANN001
                                                                    key: Path) -> None:
    a = make_world(tmp_path / "a.db", n=4)
    b_path = tmp_path / "b.db"
    run_sync(a.path, hub, key)
    ws = a.db.workstation_id
    good = hub.names(ws)[0]
    data = hub.get(ws, good)
    fake = "f" * 8 + "-0000-4000-8000-" + "0" * 12
    stranger = "e" * 8 + "-0000-4000-8000-" + "0" * 12
    last = int(good[13:25])
    other_key = sync.load_key(sync.new_key(tmp_path / "other.key"))
    for damaged, reason in ((data[:-1] + bytes([data[-1] ^ 1]), "kan inte dekrypteras"),
                            (data[: len(data) // 2], "kan inte dekrypteras"),
                            (data[:5], "avkortad")):
        copy = hub_factory()
        copy_files(hub, copy)
        copy.put(ws, good, damaged)
        c_path = tmp_path / f"c-{len(damaged)}.db"
        summary = run_sync(c_path, copy, key)
        assert summary.quarantined == 1 and summary.received == 0 and reason in summary.problems[0]
        assert dbfile.connect(c_path).execute("SELECT count(*) FROM participant").fetchone() == (0,)
    hub.put(fake, good, data)  # renamed into another workstation's folder
    hub.put(ws, f"{last + 1:012d}-{last + 1:012d}.ops", data)  # an old file replayed under the next range
    hub.put(stranger, "000000000001-000000000001.ops", sealed.encode_ops(  # made with another key
        other_key, stranger, 1, 1, [{"op": "x", "ws": stranger, "seq": 1}]))
    summary = run_sync(b_path, hub, key)
    assert summary.received > 0 and summary.quarantined == 3
    quarantined = {f for (f,) in dbfile.connect(b_path).execute("SELECT file FROM quarantine")}
    assert quarantined == {f"{fake}/{good}", f"{ws}/{last + 1:012d}-{last + 1:012d}.ops",
                           f"{stranger}/000000000001-000000000001.ops"}
    again = run_sync(b_path, hub, key)  # reported once, never applied; still counted while in quarantine
    assert again.quarantined == 3 and not again.problems and not again.ok
    assert len(dbfile.connect(b_path).execute("SELECT * FROM participant").fetchall()) == 4
    assert_same(a.path, b_path)


def test_a_gap_waits_for_the_missing_file(tmp_path: Path, hub, key: Path, monkeypatch) -> None:
    monkeypatch.setattr(sync, "MAX_OPS_PER_FILE", 5)
    a = make_world(tmp_path / "a.db", n=10)
    run_sync(a.path, hub, key)
    ws = a.db.workstation_id
    files = hub.names(ws)
    assert len(files) > 3
    hidden = hub.get(ws, files[1])
    hub.remove(ws, files[1])
    b_path = tmp_path / "b.db"
    run_sync(b_path, hub, key)
    con = dbfile.connect(b_path)
    assert con.execute("SELECT applied_seq FROM sync_peer").fetchone()[0] == 5
    hub.put(ws, files[1], hidden)
    run_sync(b_path, hub, key)
    assert_same(a.path, b_path)


@ON_THE_DIRECTORY_HUB
def test_skewed_clocks(tmp_path: Path, hub, key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = make_world(tmp_path / "a.db", n=4)
    b_path = tmp_path / "b.db"
    run_sync(a.path, hub, key)
    run_sync(b_path, hub, key)
    real = time.time
    b = db.open(b_path)
    monkeypatch.setattr(time, "time", lambda: real() - 3 * 3600)  # B's clock three hours behind
    cases.update(b, "karin.ek", a.people[1], phone="1")
    monkeypatch.setattr(time, "time", real)
    cases.update(a.db, "omar.farah", a.people[1], phone="2")  # A wrote later in real time
    monkeypatch.setattr(time, "time", lambda: real() + 2 * 86400)  # B's clock ran two days ahead for one write
    cases.update(b, "karin.ek", a.people[2], phone="future")
    monkeypatch.setattr(time, "time", real)
    for i in range(3):  # later work on B inherits the future stamp through its HLC: none of it may wait
        cases.add_note(b, "karin.ek", a.people[3], f"efter klockfelet {i}")
    b.dispose()
    run_sync(a.path, hub, key)
    reported = run_sync(b_path, hub, key)
    received = run_sync(a.path, hub, key)
    assert received.ahead == 4 and received.ok and "klocka" in received.line()  # applied, reported
    assert reported.ahead == 0
    con = dbfile.connect(a.path)
    assert con.execute("SELECT phone FROM participant WHERE id = ?", (a.people[2],)).fetchone() == ("future",)
    assert con.execute("SELECT count(*) FROM note WHERE text LIKE 'efter klockfelet%'").fetchone() == (3,)
    assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
    cases.update(a.db, "omar.farah", a.people[2], phone="later")  # A's HLC moved past the future stamp
    for path in (a.path, b_path):
        run_sync(path, hub, key)
    assert_same(a.path, b_path)
    assert dbfile.connect(b_path).execute("SELECT phone FROM participant WHERE id = ?",
                                           (a.people[2],)).fetchone() == ("later",)
    phones = {dbfile.connect(p).execute("SELECT phone FROM participant WHERE id = ?", (a.people[1],)).fetchone()
              for p in (a.path, b_path)}
    assert len(phones) == 1


def test_cli_sync_and_keys(tmp_path: Path, hub, capsys: pytest.CaptureFixture,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    short_blink_allowance(monkeypatch)  # a share that is not there is waited for as for one that blinks
    a = make_world(tmp_path / "a.db", n=3)
    key_file = tmp_path / "k.key"
    assert cli.main(["keys", "new", str(key_file)]) == 0
    assert cli.main(["keys", "new", str(key_file)]) == 2
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert cli.main(["sync", "--db", str(a.path), "--share", hub.spec, "--key", str(tmp_path / "none")]) == 2
    assert "Programnyckeln" in capsys.readouterr().err
    assert cli.main(["sync", "--db", str(a.path), "--share", str(tmp_path / "nowhere"), "--key", str(key_file)]) == 2
    assert cli.main(["sync", "--db", str(a.path), "--share", hub.spec, "--key", str(key_file)]) == 0
    assert "skickade" in capsys.readouterr().out
    assert not any(b"Hassan" in blob or b"Andersson" in blob for blob in hub.blobs())  # nothing plain on the hub


def test_kill_9_during_sync_loses_and_doubles_nothing(tmp_path: Path, hub, key: Path) -> None:
    """A real `arena sync` process killed with SIGKILL at a random moment of its run, thirty times (fifteen
    on a remote hub), the two workstations taking turns; then plain syncs make them equal, each change once. The kill moment
    is drawn from the time a whole sync takes here (measured on a sync left to finish, every tenth one;
    at most 0.6 s), so on a fast machine the kills fall inside the syncs instead of after them."""
    a = make_world(tmp_path / "a.db", n=25)
    b_path = tmp_path / "b.db"
    db.open(b_path).dispose()
    rng = random.Random(7)
    env = {**os.environ, "ARENA_TODAY": TODAY.isoformat()}
    days = [d for d in (TODAY - dt.timedelta(days=i) for i in range(1, 60)) if d.weekday() < 5
            and d >= dt.date(2026, 9, 1)]
    # 30 kills on the directory; 15 on a remote hub, whose own writes are all-or-nothing by themselves (a
    # transaction, a renamed file): what a kill can tear is the workstation's side, the same on every hub
    trials = int(os.environ.get("ARENA_SYNC_KILLS", "30" if hub.kind == "dir" else "15"))
    whole = 0.6  # seconds a whole sync takes, measured below
    killed = 0
    with ForkServer("tui.cli", "store.sync", "store.snapshot", env=env) as server:  # real processes, started fast
        for trial in range(trials):
            day = days[trial % len(days)]
            attendance.mark_many(a.db, "omar.farah", [  # one commit; a holiday's marks are refused, fine here
                attendance.MarkRequest(pid, a.activity_id, day, rng.choice(("present", "sick", "unexcused")))
                for pid in a.people[1:]])
            target = a.path if trial % 2 == 0 else b_path
            started = time.monotonic()
            child = server.start("tui.cli:main", ["sync", "--db", str(target), "--share", hub.spec,
                                                  "--key", str(key)])
            if trial % 10 == 0:  # left to finish: how long a whole sync takes now
                list(server.lines())
                whole = time.monotonic() - started
                assert server.status == 0, "a sync left alone failed"
                continue
            if not ended_within(child, rng.uniform(0.0, min(0.6, 1.25 * whole))):  # the kill moment, in the sync
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            list(server.lines())
            killed += os.WIFSIGNALED(server.status) and os.WTERMSIG(server.status) == signal.SIGKILL
    assert killed, "no sync was killed before it ended"
    for path in (a.path, b_path, a.path, b_path):
        run_sync(path, hub, key)
    ws_a = a.db.workstation_id
    local = dbfile.connect(a.path).execute("SELECT max(ws_seq) FROM change_log WHERE workstation_id = ?",
                                            (ws_a,)).fetchone()[0]
    applied = dbfile.connect(b_path).execute("SELECT applied_seq FROM sync_peer WHERE workstation_id = ?",
                                              (ws_a,)).fetchone()[0]
    assert applied == local
    assert_same(a.path, b_path)
    for path in (a.path, b_path):
        con = dbfile.connect(path)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT count(*) FROM (SELECT op_id FROM change_log GROUP BY op_id"
                           " HAVING count(*) > 1)").fetchone()[0] == 0


# The property is about the sync's rules, not the transport: it explores most on the directory hub and
# runs two examples on each real remote hub (SMB, PostgreSQL), whose own failure modes (kill -9, an
# unmounted share, a stopped server) have directed tests. What it found is kept as a directed test
# (test_a_copied_database_writing_at_the_same_moment_converges). ARENA_SYNC_EXAMPLES raises both for a
# long run (e.g. 50 before a release).
EXAMPLES = int(os.environ.get("ARENA_SYNC_EXAMPLES", "5"))
REMOTE_HUBS = [h for h in HUBS if h != "dir"]


@pytest.mark.parametrize("hub_factory", ["dir"], indirect=True)
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), stations=st.integers(3, 5))
def test_property_random_work_and_orders_converge(tmp_path_factory: pytest.TempPathFactory, hub_factory,  # noqa: ANN001
                                                  data, stations: int) -> None:
    converge(tmp_path_factory, hub_factory, data, stations)


@pytest.mark.parametrize("hub_factory", REMOTE_HUBS, indirect=True)
@settings(max_examples=max(2, EXAMPLES // 3), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), stations=st.integers(3, 5))
def test_property_converges_on_the_remote_hubs(tmp_path_factory: pytest.TempPathFactory, hub_factory,  # noqa: ANN001
                                               data, stations: int) -> None:
    converge(tmp_path_factory, hub_factory, data, stations)


def converge(tmp_path_factory: pytest.TempPathFactory, hub_factory, data, stations: int) -> None:  # noqa: ANN001
    """Random work on 3–5 workstations (marks, edits, notes, syncs, snapshots, backups and restores,
    clones, a clock running ahead), then two late joiners and every station synced twice in a random
    order: all databases are equal and every mark made survives (unless its disk was restored away)."""
    base = tmp_path_factory.mktemp("prop")
    hub = hub_factory()
    key_file = sync.new_key(base / "k.key")
    a = make_world(base / "ws0.db", n=6)
    paths = [a.path] + [base / f"ws{i}.db" for i in range(1, stations)]
    run_sync(a.path, hub, key_file)
    for p in paths[1:]:
        run_sync(p, hub, key_file)
    days = [dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 20)]
    a.db.dispose()  # every station is opened per step: a restore replaces the file underneath
    safe: set[tuple[str, str]] = set()  # marks that reached the share
    unsynced: dict[Path, set[tuple[str, str]]] = {p: set() for p in paths}  # marks only in one database
    backups: dict[Path, tuple[Path, set]] = {}
    for step in range(data.draw(st.integers(5, 25), label="steps")):
        i = data.draw(st.integers(0, len(paths) - 1), label="station")
        action = data.draw(st.sampled_from(["mark", "phone", "note", "sync", "sync", "snapshot", "backup",
                                            "restore", "clone", "clock"]), label="action")
        pid = a.people[data.draw(st.integers(0, 5), label="person")]
        path = paths[i]
        if action == "backup":
            copy_db(path, base / f"backup-{i}.db")
            backups[path] = (base / f"backup-{i}.db", set(unsynced[path]))
            continue
        if action == "restore":  # the work done since the backup and never synced is gone with the disk
            if path in backups:
                copy_db(backups[path][0], path)
                unsynced[path] = set(backups[path][1])
            continue
        if action == "clone":  # the database copied to another PC; both go on
            if len(paths) < 7:
                twin = base / f"clone-{step}.db"
                copy_db(path, twin)
                paths.append(twin)
                unsynced[twin] = set(unsynced[path])
            continue
        database = db.open(path)
        real_time = time.time
        try:
            if action in ("mark", "clock"):
                if action == "clock":  # this workstation's clock ran two days ahead for this one write
                    time.time = lambda: real_time() + 2 * 86400  # type: ignore[assignment]
                day = data.draw(st.sampled_from(days), label="day")
                attendance.mark(database, "omar.farah", pid, a.activity_id, day,
                                data.draw(st.sampled_from(["present", "sick", "vab", "unexcused"]), label="status"))
                unsynced[path].add((pid, day.isoformat()))
            elif action == "phone":
                cases.update(database, "omar.farah", pid, phone=f"07{data.draw(st.integers(0, 99))}")
            elif action == "note":
                cases.add_note(database, "omar.farah", pid, f"anteckning {i}")
            else:
                share = hub.share()
                try:
                    sync.sync(database, share, sync.load_key(key_file), write_snapshot=action == "snapshot")
                finally:
                    share.close()
                safe |= unsynced[path]
                unsynced[path] = set()
        finally:
            time.time = real_time  # type: ignore[assignment]
            database.dispose()
    marked = safe.union(*unsynced.values())
    # two workstations join late: one starts from the newest snapshot (if any), one replays every file
    late, replaying = base / "late.db", base / "replaying.db"
    run_sync(late, hub, key_file)
    run_sync(replaying, hub, key_file, from_snapshot=False)
    paths += [late, replaying]
    order = data.draw(st.permutations(paths), label="final order")
    for _ in range(2):
        for p in order:
            run_sync(p, hub, key_file)
    assert_same(*paths)
    got = {(r[0], r[1]) for r in dbfile.connect(paths[0]).execute("SELECT participant_id, date FROM attendance")}
    assert marked <= got


async def test_sync_and_conflict_restore_from_the_tui(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     hub) -> None:  # noqa: ANN001
    from store.pgshare import shown
    from tui.app import ArenaApp

    from .test_keys import paste
    from .test_tui import settle

    monkeypatch.setenv("ARENA_DATA_DIR", str(tmp_path))
    share = hub
    key = sync.new_key(tmp_path / "arena.key")
    a = make_world(tmp_path / "a.db", n=3)
    b_path = tmp_path / "b.db"
    run_sync(a.path, share, key)
    run_sync(b_path, share, key)
    b = db.open(b_path)
    cases.update(b, "karin.ek", a.people[1], phone="070-B")
    b.dispose()
    run_sync(b_path, share, key)
    cases.update(a.db, "omar.farah", a.people[1], phone="070-A")
    app = ArenaApp(db.open(a.path), "omar.farah", pin=PIN)
    record_notices(app)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, app)
        await pilot.press("f5", "y")
        await settle(pilot, app)
        await paste(pilot, app, hub.spec)  # first time: the share is asked for (pasted), then remembered
        await pilot.press("enter")
        await settle(pilot, app)
        await settle(pilot, app)
        assert any("Synk klar" in n.message for n in app.notices)
        assert sync.remembered(a.db, "sync.share") == shown(hub.spec)  # a PostgreSQL password is not kept
        await pilot.press("k")
        await settle(pilot, app)
        table = app.screen.query_one("#conflicts")
        assert table.row_count == 1
        await pilot.press("r")
        await settle(pilot, app)
    con = dbfile.connect(a.path)
    assert con.execute("SELECT phone FROM participant WHERE id = ?", (a.people[1],)).fetchone() == ("070-B",)
    assert con.execute("SELECT resolved FROM conflict").fetchone() == (1,)


@pytest.mark.parametrize("order", ["ab", "ba"])
@ON_THE_DIRECTORY_HUB
def test_same_number_registered_on_two_stations_becomes_a_reviewed_pair(tmp_path: Path, hub, key: Path,
                                                                      order: str) -> None:
    a = make_world(tmp_path / "a.db", n=2)
    b_path = tmp_path / "b.db"
    run_sync(a.path, hub, key)
    run_sync(b_path, hub, key)
    b = db.open(b_path)
    cw = cases.get(a.db, "karin.ek", a.people[0]).caseworker_id
    same = "19850612-1238"
    for database, first in ((a.db, "Sara"), (b, "Sahra")):  # the same person, typed a little differently
        cases.register(database, "omar.farah", cases.NewParticipant(
            first_name=first, last_name="Ahmed", gender="K", referral_date="2026-11-02", personnummer=same,
            caseworker_id=cw, plan=(8, 8, 8, 8, 8)))
    paths = {"a": a.path, "b": b_path}
    for name in order + order:
        summary = run_sync(paths[name], hub, key)
        assert summary.waiting == 0
    assert_same(a.path, b_path)
    for path in paths.values():
        con = dbfile.connect(path)
        rows = con.execute("SELECT first_name, personnummer FROM participant WHERE last_name = 'Ahmed'"
                           " ORDER BY id").fetchall()
        assert len(rows) == 2 and sorted(r[1] is None for r in rows) == [False, True]  # both kept, one number
        assert con.execute("SELECT count(*) FROM conflict WHERE field = 'personnummer'").fetchone()[0] >= 1
        assert con.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 0


@pytest.mark.parametrize("order", ["ab", "ba"])
@ON_THE_DIRECTORY_HUB
def test_same_login_added_on_two_stations_keeps_both_users_and_their_work(tmp_path: Path, hub,
                                                                          key: Path, order: str) -> None:
    from store import staff

    a = make_world(tmp_path / "a.db", n=2)
    b_path = tmp_path / "b.db"
    run_sync(a.path, hub, key)
    run_sync(b_path, hub, key)
    b = db.open(b_path)
    registered = {}
    for database, name in ((a.db, "Nadia Nilsson"), (b, "Nadja Nilsson")):  # two sites, one new colleague
        cw = staff.create(database, "setup", "nadia.nilsson", name)
        registered[name] = cases.register(database, "setup", cases.NewParticipant(
            first_name="Ny", last_name=name.split()[0], gender="K", referral_date="2026-11-02",
            caseworker_id=cw.id, plan=(8, 8, 8, 8, 8)))
    b.dispose()
    paths = {"a": a.path, "b": b_path}
    for name in order + order:
        assert run_sync(paths[name], hub, key).waiting == 0
    assert_same(a.path, b_path)
    for path in paths.values():
        con = dbfile.connect(path)
        logins = [r[0] for r in con.execute("SELECT login FROM caseworker WHERE name LIKE 'Nad%' ORDER BY id")]
        assert logins[0] == "nadia.nilsson" and logins[1].startswith("nadia.nilsson.")  # both kept, apart
        # what each site registered under its new colleague arrived everywhere, nothing waits
        assert con.execute("SELECT count(*) FROM participant WHERE id IN (?, ?)",
                           tuple(registered.values())).fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM conflict WHERE field = 'login'").fetchone()[0] >= 1
        assert con.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 0


@pytest.mark.parametrize(("lang", "words", "junk"), [
    ("sv", "inte tillämpad: {where}: behörighet saknas", "inte tillämpad: {where}: ingen Arena-fil, eller avkortad"),
    ("en", "not applied: {where}: permission denied", "not applied: {where}: not an Arena file, or truncated")])
def test_a_share_file_that_cannot_be_read_is_named_in_the_users_words(tmp_path: Path, key: Path, lang: str, words: str,
                                                                      junk: str,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture) -> None:
    """`arena sync` where another workstation's file on the share cannot be read: the problem line says why
    in the catalog's words of the command's language, never the system's English ('[Errno 13] Permission
    denied'); the sync exits 1 and the next one, once the file can be read, applies it. A file that is
    no Arena file is quarantined, its reason in the same words."""
    share = tmp_path / "share"
    share.mkdir()
    a = make_world(tmp_path / "a.db", n=2)
    assert cli.main(["sync", "--db", str(a.path), "--share", str(share), "--key", str(key)]) == 0
    ws = a.db.workstation_id
    (name,) = [p.name for p in (share / "ops" / ws).iterdir() if not p.name.startswith(".")]
    blocked = share / "ops" / ws / name
    blocked.chmod(0)
    if os.geteuid() == 0:  # root reads a file of mode 0 all the same: the share refuses as the OS would
        read = sync.DirShare.read

        def refused(self: sync.DirShare, workstation: str, file: str) -> bytes:
            if file == name and not blocked.stat().st_mode & 0o777:
                raise PermissionError(13, os.strerror(13), str(blocked))
            return read(self, workstation, file)
        monkeypatch.setattr(sync.DirShare, "read", refused)
    b_path = tmp_path / "b.db"
    db.open(b_path).dispose()
    capsys.readouterr()
    assert cli.main(["--lang", lang, "sync", "--db", str(b_path), "--share", str(share), "--key", str(key)]) == 1
    err = capsys.readouterr().err
    assert words.format(where=f"{ws}/{name}") in err
    assert "Errno" not in err and "Permission denied" not in err
    blocked.chmod(0o600)
    last = int(name[13:25])
    garbage = f"{last + 1:012d}-{last + 1:012d}.ops"
    (share / "ops" / ws / garbage).write_bytes(b"not ours")
    assert cli.main(["--lang", lang, "sync", "--db", str(b_path), "--share", str(share), "--key", str(key)]) == 1
    err = capsys.readouterr().err
    assert junk.format(where=f"{ws}/{garbage}") in err and words.format(where=f"{ws}/{name}") not in err
    other = "en" if lang == "sv" else "sv"  # the quarantine is said in the language of whoever asks
    for asker, said in ((lang, junk), (other, {"sv": "ingen Arena-fil, eller avkortad",
                                               "en": "not an Arena file, or truncated"}[other])):
        assert cli.main(["--lang", asker, "sync", "--status", "--db", str(b_path)]) == 1
        assert f"{ws}/{garbage}: " + said.split(": ")[-1] in capsys.readouterr().out
    assert dbfile.connect(b_path).execute("SELECT count(*) FROM participant").fetchone() == (2,)
