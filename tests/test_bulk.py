"""Imports never block the workstation: checked without the write lock, written in short chunks, all or
nothing through a staging file; the database opens for reading while someone else holds the write lock."""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
import subprocess
import sys
from pathlib import Path

import pytest

from store import attendance, calendar, db, dbfile
from tui import cli

from .conftest import PIN, TODAY, Poll, World
from .inprocess import arena
from .waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent


def big_file(world: World, path: Path, people: list[str] | None = None) -> int:
    """Every person (of `people`, else the world's) on every past session day, once (a file naming one mark
    twice with different values is refused), present or partly: each row a change."""
    days = [d for d in (dt.date(2026, 9, 1) + dt.timedelta(n) for n in range((TODAY - dt.date(2026, 9, 1)).days))
            if calendar.is_workday(d)]
    lines = ["participant_id;aktivitet;datum;status;timmar"]
    for n, day in enumerate(days):
        for pid in people or world.people:
            lines.append(f"{pid};Arbetsträning café;{day.isoformat()};{'present' if n % 2 == 0 else 'partial'};"
                         f"{'' if n % 2 == 0 else '2,5'}")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    return len(lines) - 1


def more_people(world: World, n: int) -> list[str]:
    """`n` more people in the world's activity (enrolled beyond its 25 places, with a reason)."""
    from store import activities, cases, staff

    omar = staff.by_login(world.db, "omar.farah")
    people = []
    for i in range(n):
        pid = cases.register(world.db, "setup", cases.NewParticipant(
            first_name="Extra", last_name=f"Person{i}", gender="K", referral_date="2026-09-01",
            caseworker_id=omar.id, plan=(6, 6, 6, 6, 4)))
        activities.enrol(world.db, "setup", pid, world.activity_id, dt.date(2026, 9, 1), reason="Stor grupp i test")
        people.append(pid)
    return people


def count(path: Path, sql: str) -> int:
    con = dbfile.connect(path, timeout=30)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_opening_for_reading_never_takes_the_write_lock(world: World) -> None:
    """Another process holds the write lock (BEGIN IMMEDIATE); opening the database and reading still work."""
    holder = dbfile.connect(world.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        original = db.BUSY_TIMEOUT_MS
        db.BUSY_TIMEOUT_MS = 200  # would fail within 0.2 s if opening waited for the lock
        try:
            other = db.open(world.path)
            with other.read() as conn:
                assert conn.exec_driver_sql("SELECT count(*) FROM participant").scalar_one() == 25
            other.dispose()
        finally:
            db.BUSY_TIMEOUT_MS = original
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_mark_is_saved_within_a_second_while_a_big_import_runs(world: World, tmp_path: Path) -> None:
    """A real `arena import attendance` subprocess writes thousands of rows; meanwhile the roll call marks
    someone, and `arena find`, `arena export` and `arena report` run, all with a busy timeout of one
    second. Each is done (none waited longer than a second: opening reads without the write lock, and
    their one short write – the access log's event – goes between two chunks), the mark's change-log
    entry lies between the import's first and last (it ran during the import), and the import still
    writes every row."""
    file = tmp_path / "stor.csv"
    rows = big_file(world, file, world.people + more_people(world, 75))  # thousands of rows: seconds of writing
    extra = attendance.roll_call(world.db, "lena.leder", world.activity_id, TODAY)[0].participant_id
    env = {**os.environ, "ARENA_TODAY": TODAY.isoformat(), "ARENA_USER": "lena.leder"}
    importer = subprocess.Popen([sys.executable, "-m", "tui.cli", "import", "attendance", str(file), "--db",
                                 str(world.path), "--user", "lena.leder", "--pin-stdin"], cwd=ROOT, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    importer.stdin.write(PIN + "\n")
    importer.stdin.close()
    try:
        with Poll(world.path) as poll:
            def writing() -> bool:  # the import is writing (and has not ended without doing so)
                assert importer.poll() is None, importer.stderr.read()
                return poll("SELECT count(*) FROM attendance") > 0

            wait_until(writing, "the import's first rows", timeout=120)
        original = db.BUSY_TIMEOUT_MS
        db.BUSY_TIMEOUT_MS = 1000  # a mark that waited longer than a second fails ("upptagen")
        try:
            marker = db.open(world.path)
            attendance.mark(marker, "lena.leder", extra, world.activity_id, TODAY, "sick")
            marker.dispose()
            for args in (["find", "Andersson", "--user", "omar.farah"],
                         ["export", "--what", "participants", "--user", "setup", "--reason", "Uppföljning av programmet"],
                         ["report", "narvaro", "--month", "2026-11", "--format", "csv", "--user", "setup",
                          "--reason", "Uppföljning av programmet", "--out", str(tmp_path / "rapport.csv")]):
                done = arena(*args, "--db", str(world.path), "--pin-stdin", stdin=f"{PIN}\n")
                assert done.returncode == 0 and "upptagen" not in done.stderr, (args[0], done.stderr)
            commands_done = count(world.path, "SELECT max(seq) FROM change_log")
        finally:
            db.BUSY_TIMEOUT_MS = original
        out, err = importer.stdout.read(), importer.stderr.read()
        importer.wait(300)
    finally:
        if importer.poll() is None:
            importer.kill()
    assert importer.returncode == 0, err
    assert out.replace("\xa0", "").startswith(f"{rows} rader importerade"), out
    con = dbfile.connect(world.path)
    mark_seq = con.execute("SELECT seq FROM change_log WHERE tbl = 'attendance' AND changes LIKE '%sick%'"
                           ).fetchone()[0]
    first, last = con.execute("SELECT min(seq), max(seq) FROM change_log WHERE tbl = 'attendance'"
                              " AND changes NOT LIKE '%sick%'").fetchone()
    con.close()
    assert first < mark_seq < last
    assert commands_done < last  # the commands were done while the import was still writing


def test_all_or_nothing_writes_nothing_when_a_row_is_refused(world: World, tmp_path: Path) -> None:
    file = tmp_path / "lista.csv"
    big_file(world, file)
    with file.open("a", encoding="utf-8") as out:
        out.write(f"{world.people[0]};Arbetsträning café;2026-12-24;present;\r\n")  # future: refused
    seq = count(world.path, "SELECT coalesce(max(seq), 0) FROM change_log")
    assert cli.main(["import", "attendance", str(file), "--db", str(world.path), "--user", "lena.leder",
                     "--all-or-nothing", "--pin-stdin"]) == 2
    assert count(world.path, "SELECT count(*) FROM attendance") == 0
    assert count(world.path, "SELECT coalesce(max(seq), 0) FROM change_log") == seq
    assert not list(world.path.parent.glob(".arena-import-*"))  # the staging file is gone


def test_all_or_nothing_undoes_written_chunks_when_a_row_fails_late(world: World, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A row that passed the check but fails when written (the person changed meanwhile): the chunks
    already written are put back, through the change log, to what they were."""
    from store import bulk

    attendance.mark(world.db, "lena.leder", world.people[0], world.activity_id, dt.date(2026, 11, 23), "sick")
    file = tmp_path / "lista.csv"
    rows = big_file(world, file)
    monkeypatch.setattr(bulk, "CHUNK", 50)
    from store import changes

    real = changes.upsert
    calls = {"n": 0}

    def flaky(tx, table, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        """A mark's write, late in the file, refused as if its session had been cancelled meanwhile."""
        if table == "attendance":
            calls["n"] += 1
            if calls["n"] == rows - 10:
                from store.i18n import ArenaError

                raise ArenaError("att.cancelled", date="2026-11-20")
        return real(tx, table, *args, **kwargs)

    monkeypatch.setattr(changes, "upsert", flaky)
    result = attendance.import_csv(world.db, "lena.leder", file, all_or_nothing=True)
    monkeypatch.setattr(changes, "upsert", real)
    assert calls["n"] >= rows - 10  # the refusal came late, after chunks had been written
    assert result.imported == 0 and len(result.rejected) == 1
    assert count(world.path, "SELECT count(*) FROM attendance") == 1
    assert attendance.get_mark(world.db, "lena.leder", world.people[0], world.activity_id, dt.date(2026, 11, 23)).status == "sick"


def test_a_row_refused_under_the_lock_leaves_no_trace_and_the_rest_of_its_chunk_is_written(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk's rows go in under one savepoint; a row that passed the check but is refused when written
    (its session cancelled meanwhile) rolls the chunk back and its rows are written again one by one: the
    refused row is named with its line, every other row is written with its change-log entry, and the
    change log's numbers and hash chain have no hole (the chunk remembered its last entry: forgotten on the
    rollback)."""
    from store import bulk, changes, tamper

    file = tmp_path / "lista.csv"
    rows = big_file(world, file)
    monkeypatch.setattr(bulk, "CHUNK", 50)
    real = changes.upsert
    refused_at = 75  # the middle of the second chunk
    pid, _, day, *_ = file.read_text(encoding="utf-8-sig").splitlines()[refused_at].split(";")

    def flaky(tx, table, row_id, values, **kwargs):  # noqa: ANN001, ANN003, ANN202
        """That row's session was cancelled after the check: refused each time it is written."""
        if table == "attendance" and (values["participant_id"], values["date"]) == (pid, day):
            from store.i18n import ArenaError

            raise ArenaError("att.cancelled", date=day)
        return real(tx, table, row_id, values, **kwargs)

    monkeypatch.setattr(changes, "upsert", flaky)
    seq = count(world.path, "SELECT coalesce(max(seq), 0) FROM change_log")
    result = attendance.import_csv(world.db, "lena.leder", file)
    monkeypatch.setattr(changes, "upsert", real)
    assert result.imported == rows - 1 and result.unchanged == 0
    assert [(line, m.key) for line, m in result.rejected] == [(refused_at + 1, "att.cancelled")]  # line 1: header
    assert count(world.path, "SELECT count(*) FROM attendance") == rows - 1
    assert count(world.path, f"SELECT count(*) FROM change_log WHERE tbl = 'attendance' AND seq > {seq}") == rows - 1
    assert count(world.path, "SELECT count(DISTINCT ws_seq) - (max(ws_seq) - min(ws_seq) + 1) FROM change_log"
                             " WHERE workstation_id = (SELECT id FROM workstation WHERE is_local = 1)") == 0
    with world.db.read() as conn:
        found, _, _ = tamper.verify_log(conn)
    assert found == []
    # the same file again: every row the same, nothing written (the refused one now goes in)
    again = attendance.import_csv(world.db, "lena.leder", file)
    assert (again.imported, again.unchanged, again.rejected) == (1, rows - 1, [])


def test_an_interactive_write_goes_before_the_next_chunk(world: World) -> None:
    """The hand-off itself: while an interactive write is announced, a bulk writer waits between chunks."""
    import threading

    started, release = threading.Event(), threading.Event()
    order: list[str] = []

    def interactive() -> None:
        with world.db.write("lena.leder"):
            started.set()
            release.wait(10)
            order.append("mark")

    thread = threading.Thread(target=interactive)
    thread.start()
    started.wait(10)
    waiter = threading.Thread(target=lambda: (world.db.yield_to_waiters(10), order.append("chunk")))
    waiter.start()
    release.set()
    thread.join(10)
    waiter.join(10)
    assert order == ["mark", "chunk"]


def test_bulk_chunks_do_not_wait_for_the_disk_but_the_import_is_synced_before_it_reports(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk's commit skips the disk wait (synchronous=NORMAL); the connection goes back to FULL for the
    next write, and the import syncs the write-ahead log once before it returns."""
    from store.db import run

    with world.db.write("lena.leder", bulk=True) as tx:
        assert run(tx.conn, "PRAGMA synchronous").fetchone()[0] == 1
    with world.db.write("lena.leder") as tx:
        assert run(tx.conn, "PRAGMA synchronous").fetchone()[0] == 2
    synced: list[str] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")), real_fsync(fd)))
    file = tmp_path / "lista.csv"
    rows = big_file(world, file)
    result = attendance.import_csv(world.db, "lena.leder", file)
    assert result.imported == rows and not result.rejected
    assert synced and synced[-1] == str(world.path.resolve()) + "-wal"
    with world.db.write("lena.leder") as tx:
        assert run(tx.conn, "PRAGMA synchronous").fetchone()[0] == 2


def referral_file(path: Path, people: int) -> int:
    """A referral list as Swedish Excel saves it: `;`, UTF-8 BOM, CRLF, Swedish headers, valid numbers."""
    lines = ["personnummer;förnamn;efternamn;kön;anvisningsdatum;handläggare;enhet"]
    for n in range(people):
        year, serial = 1960 + n % 40, 100 + n // 40
        digits = f"{year % 100:02d}0101{serial:03d}"
        total = sum(v // 10 + v % 10 for v in (int(c) * (2 - k % 2) for k, c in enumerate(digits)))
        lines.append(f"{year}0101-{serial:03d}{(10 - total % 10) % 10};Öberg{n};Åström;{'KM'[n % 2]};2026-11-02;"
                     "omar.farah;Ryd")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    return people


def test_a_find_is_done_within_a_second_while_a_big_referral_import_runs(world: World, tmp_path: Path) -> None:
    """A real `arena import participants --all-or-nothing` subprocess registers a thousand people; meanwhile
    `arena find` runs with a busy timeout of one second and is done (the import writes in short chunks
    from its staging file, not in one long write transaction), and the import still registers everyone."""
    file = tmp_path / "anvisningar.csv"
    people = referral_file(file, 1200)
    env = {**os.environ, "ARENA_TODAY": TODAY.isoformat()}
    importer = subprocess.Popen([sys.executable, "-m", "tui.cli", "import", "participants", str(file), "--db",
                                 str(world.path), "--user", "setup", "--pin-stdin", "--all-or-nothing"], cwd=ROOT,
                                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    importer.stdin.write(PIN + "\n")
    importer.stdin.close()
    before = count(world.path, "SELECT count(*) FROM participant")
    try:
        with Poll(world.path) as poll:
            def writing() -> bool:
                assert importer.poll() is None, importer.stderr.read()
                return poll("SELECT count(*) FROM participant") > before

            wait_until(writing, "the import's first people", timeout=120)
        original = db.BUSY_TIMEOUT_MS
        db.BUSY_TIMEOUT_MS = 1000
        try:
            done = arena("find", "Andersson", "--user", "omar.farah", "--db", str(world.path), "--pin-stdin",
                         stdin=f"{PIN}\n")
            assert done.returncode == 0 and "upptagen" not in done.stderr, done.stderr
        finally:
            db.BUSY_TIMEOUT_MS = original
        registered_then = count(world.path, "SELECT count(*) FROM participant")
        out, err = importer.stdout.read(), importer.stderr.read()
        importer.wait(300)
    finally:
        if importer.poll() is None:
            importer.kill()
    assert importer.returncode == 0, err
    assert out.replace("\xa0", "").startswith(f"{people} rader importerade"), out
    assert registered_then < before + people  # the find was done while the import was still writing
    assert count(world.path, "SELECT count(*) FROM participant") == before + people
    assert not list(world.path.parent.glob(".arena-import-*"))


def test_a_killed_imports_staging_file_is_removed_by_the_next_import_but_a_live_ones_is_not(
        world: World, tmp_path: Path) -> None:
    """kill -9 of an import leaves its staging file; the next import removes it. A staging file a live
    import holds (another process, here a child that opened one and waits) stays."""
    from store import bulk

    dead = world.path.parent / ".arena-import-dead.db"
    dead.write_bytes(b"x" * 100)
    os.utime(dead, (0, 0))
    live = world.path.parent / ".arena-import-live.db"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, os; sys.path.insert(0, sys.argv[2]);"
                               "from store import bulk; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600);"
                               "bulk._hold(fd); print('held', flush=True); sys.stdin.read()", str(live), str(ROOT)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        os.utime(live, (0, 0))
        file = tmp_path / "anvisningar.csv"
        referral_file(file, 3)
        assert cli.main(["import", "participants", str(file), "--db", str(world.path), "--user", "setup",
                         "--pin-stdin"]) == 0
        assert not dead.exists()
        assert live.exists()
        assert bulk.remove_stale(world.path.parent) == []
    finally:
        holder.stdin.close()
        holder.wait(30)
    assert bulk.remove_stale(world.path.parent) == [live]


def _between_chunks(monkeypatch: pytest.MonkeyPatch, after: int, action: Callable[[], None]) -> None:
    """`action` runs once, as another user, between the import's chunk number `after` and the next."""
    real = db.Database.yield_to_waiters
    calls = [0]

    def hooked(self: db.Database, limit: float = 2.0) -> None:
        calls[0] += 1
        if calls[0] == after + 1:
            action()
        real(self, limit)

    monkeypatch.setattr(db.Database, "yield_to_waiters", hooked)


def _late_refusal(monkeypatch: pytest.MonkeyPatch, table: str, at: int) -> dict[str, int]:
    """The `at`-th write to `table` is refused as if the session had been cancelled after the check."""
    from store import changes
    from store.i18n import ArenaError

    real = changes.upsert
    calls = {"n": 0}

    def flaky(tx, name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if name == table and tx.bulk:
            calls["n"] += 1
            if calls["n"] == at:
                raise ArenaError("att.cancelled", date="2026-11-20")
        return real(tx, name, *args, **kwargs)

    monkeypatch.setattr(changes, "upsert", flaky)
    return calls


def test_all_or_nothing_puts_back_only_what_nobody_else_touched_and_names_the_rest(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A late refusal undoes the chunks written – but a mark the leader made in the roll call between two
    chunks, on a row the import had written, is hers: it stays, and the import names its line (exit 2).
    A mark made before the import, which the file changes, goes back to what it was."""
    from store import bulk

    monkeypatch.setattr(bulk, "CHUNK", 50)
    before_day = dt.date(2026, 9, 1)
    attendance.mark(world.db, "lena.leder", world.people[1], world.activity_id, before_day, "sick")
    file = tmp_path / "lista.csv"
    rows = big_file(world, file)
    lines = file.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].split(";")[:3] == [world.people[0], "Arbetsträning café", before_day.isoformat()]
    leader = db.open(world.path)

    def leader_marks() -> None:  # line 2's mark, which the first chunk wrote, is now hers
        attendance.mark(leader, "lena.leder", world.people[0], world.activity_id, before_day, "sick")

    _between_chunks(monkeypatch, 2, leader_marks)
    calls = _late_refusal(monkeypatch, "attendance", rows - 10)
    done = arena("import", "attendance", str(file), "--db", str(world.path), "--user", "lena.leder",
                 "--all-or-nothing", "--pin-stdin", stdin=f"{PIN}\n")
    leader.dispose()
    assert calls["n"] >= rows - 10  # the refusal came late, after chunks had been written
    assert done.returncode == 2
    said = [line for line in done.stderr.splitlines() if line.startswith("rad ")]
    assert said[0].startswith("rad 2: ändrad av någon annan"), done.stderr
    assert len(said) == 2 and "inställt" in said[1], done.stderr
    assert "lämnades" in done.stdout, done.stdout
    # the leader's mark and the one from before the import; nothing else of the import is left
    assert count(world.path, "SELECT count(*) FROM attendance") == 2
    assert attendance.get_mark(world.db, "lena.leder", world.people[0], world.activity_id, before_day).status == "sick"
    assert attendance.get_mark(world.db, "lena.leder", world.people[1], world.activity_id, before_day).status == "sick"


def test_a_late_refusal_in_a_referral_import_keeps_what_caseworkers_did_meanwhile(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """All-or-nothing participants import, refused late: the people it created are removed and the person
    it updated gets the old fields back – except a person a caseworker edited between two chunks (her
    phone number stays) and a new person someone wrote a note on (kept, note and all). Both lines are
    named; the command exits 2."""
    from store import bulk, cases
    from store.i18n import ArenaError

    monkeypatch.setattr(bulk, "CHUNK", 20)
    header = "reservnummer;förnamn;efternamn;kön;anvisningsdatum;handläggare;veckoplan;telefon"
    first = tmp_path / "forsta.csv"
    first.write_text(f"{header}\r\nRES-0001;Björn;Bergman;M;2026-09-01;omar.farah;8;070-000 00 00\r\n"
                     "RES-0002;Cilla;Carlsson;K;2026-09-01;omar.farah;8;070-000 00 02\r\n", encoding="utf-8-sig")
    assert arena("import", "participants", str(first), "--db", str(world.path), "--user", "setup",
                 "--pin-stdin", stdin=f"{PIN}\n").returncode == 0
    file = tmp_path / "lista.csv"
    file.write_text("\r\n".join([header, "RES-0001;Björn;Bergman;M;2026-09-01;omar.farah;8;070-111 11 11",
                                 "RES-0002;Cilla;Carlsson;K;2026-09-01;omar.farah;8;070-111 11 12"]
                                + [f"RES-9{i:03d};Ny{i};Person{i};K;2026-11-02;omar.farah;8;" for i in range(100)])
                    + "\r\n", encoding="utf-8-sig")
    other = db.open(world.path)

    def ids() -> dict[str, str]:
        with other.read() as conn:
            return dict(conn.exec_driver_sql("SELECT reserve_number, id FROM participant WHERE reserve_number"
                                             " IS NOT NULL").fetchall())

    def caseworkers_work() -> None:  # the first chunk's rows: Björn's phone edited, a note on a new person
        people = ids()
        cases.update(other, "omar.farah", people["RES-0001"], phone="070-222 22 22")
        cases.add_note(other, "omar.farah", people["RES-9000"], "Ringde, kommer på måndag.")

    _between_chunks(monkeypatch, 1, caseworkers_work)
    real = cases.register_in
    calls = [0]

    def refused_late(tx, values):  # noqa: ANN001, ANN202
        calls[0] += 1
        if calls[0] == 90:  # as if another workstation had given that reserve number meanwhile
            raise ArenaError("id.reserve_taken", value=values["reserve_number"])
        return real(tx, values)

    monkeypatch.setattr(cases, "register_in", refused_late)
    done = arena("import", "participants", str(file), "--db", str(world.path), "--user", "setup",
                 "--all-or-nothing", "--pin-stdin", stdin=f"{PIN}\n")
    assert calls[0] == 90 and done.returncode == 2, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("rad ")]
    assert said[:2] == ["rad 2: ändrad av någon annan medan importen pågick – lämnad som den är, kontrollera den",
                        "rad 4: ändrad av någon annan medan importen pågick – lämnad som den är, kontrollera den"
                        ], done.stderr
    assert len(said) == 3 and said[2].startswith("rad 93: ") and "RES-9089" in said[2], done.stderr
    people = ids()
    assert sorted(people) == ["RES-0001", "RES-0002", "RES-9000"]  # the other 99 new people are gone
    assert cases.get(other, "omar.farah", people["RES-0001"]).phone == "070-222 22 22"  # hers, not the file's
    assert cases.get(other, "omar.farah", people["RES-0002"]).phone == "070-000 00 02"  # put back
    assert [n.text for n in cases.notes(other, "omar.farah", people["RES-9000"])] == ["Ringde, kommer på måndag."]
    other.dispose()


def test_a_file_naming_one_mark_twice_with_different_values_is_refused_on_both_rows(
        world: World, tmp_path: Path) -> None:
    """Written in turn, the last row would win unsaid and the same file imported again would write the mark
    back and forth through the change log. Both rows are refused, each naming the other; a row repeated with
    the same values is one mark; the rest is imported; the same file again changes nothing."""
    file = tmp_path / "lista.csv"
    a, b, c = world.people[:3]
    file.write_text("participant_id;aktivitet;datum;status;timmar\r\n"
                    f"{a};Arbetsträning café;2026-11-23;present;\r\n"
                    f"{b};Arbetsträning café;2026-11-23;partial;3,5\r\n"
                    f"{a};Arbetsträning café;2026-11-23;sick;\r\n"
                    f"{b};Arbetsträning café;2026-11-23;partial;3.5\r\n"
                    f"{c};Arbetsträning café;2026-11-23;present;\r\n", encoding="utf-8-sig")
    args = ["import", "attendance", str(file), "--db", str(world.path), "--user", "lena.leder", "--pin-stdin"]
    done = arena(*args, "--all-or-nothing", stdin=f"{PIN}\n")
    assert done.returncode == 2 and count(world.path, "SELECT count(*) FROM attendance") == 0, done.stderr
    done = arena(*args, stdin=f"{PIN}\n")
    assert done.returncode == 2, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("rad ")]
    assert said == ["rad 2: samma närvaro (person, pass och dag) står också på rad 4 med andra värden – ingen av dem"
                    " importerades; låt den stå en gång i filen och importera den igen",
                    "rad 4: samma närvaro (person, pass och dag) står också på rad 2 med andra värden – ingen av dem"
                    " importerades; låt den stå en gång i filen och importera den igen"], done.stderr
    assert done.stdout.replace("\xa0", "").startswith("2 rader importerade, 1 oförändrad, 2 avvisade"), done.stdout
    con = dbfile.connect(world.path)
    try:
        marks = con.execute("SELECT participant_id, status, hours FROM attendance ORDER BY participant_id").fetchall()
    finally:
        con.close()
    assert sorted(marks) == sorted([(b, "partial", 3.5), (c, "present", 6.0)])
    seq = count(world.path, "SELECT max(seq) FROM change_log")
    assert arena(*args, stdin=f"{PIN}\n").returncode == 2
    assert count(world.path, "SELECT max(seq) FROM change_log") == seq
