"""PostgreSQL as the hub, where it differs from a file share: a real server that refuses, rejects the
login, goes away mid-sync, restarts, or runs out of disk; moving a programme from the file share with
`--import-share`; write-once and the indexed listing. (Everything the file share does, the sync and
snapshot suites already run on PostgreSQL too.)"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from store import attendance, cases, db, dbfile, sync
from tui import cli

from .conftest import TODAY, make_world
from .hubs import DirHub, PgHub, short_blink_allowance
from .test_sync import assert_same, run_sync

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pg(pg_server) -> PgHub:  # noqa: ANN001 -- the session's server: tests here stop it (and start it again)
    hub = PgHub(pg_server, pg_server.new_schema())
    yield hub
    hub.close()


@pytest.fixture
def key(tmp_path: Path) -> Path:
    return sync.new_key(tmp_path / "arena.key")


def cli_sync(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["sync", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def state(path: Path) -> tuple:
    """What a failed sync must leave as it was (or consistently advanced): the local tables and marks."""
    con = dbfile.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return (con.execute("SELECT count(*) FROM change_log").fetchone(),
                con.execute("SELECT * FROM sync_peer ORDER BY workstation_id").fetchall(),
                con.execute("SELECT value FROM setting WHERE key = 'sync.published'").fetchall())
    finally:
        con.close()


def no_double_ops(path: Path) -> None:
    con = dbfile.connect(path)
    assert con.execute("SELECT count(*) FROM (SELECT op_id FROM change_log GROUP BY op_id HAVING count(*) > 1)"
                       ).fetchone()[0] == 0
    con.close()


# ------------------------------------------------------------------------------------- refusals

def test_a_server_that_cannot_be_reached_is_one_line_and_changes_nothing(tmp_path: Path, key: Path,
                                                                         capsys: pytest.CaptureFixture) -> None:
    a = make_world(tmp_path / "a.db", n=2)
    before = state(a.path)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = cli_sync(capsys, "--db", str(a.path), "--share", f"postgresql://arena:hemligt@127.0.0.1:{port}/arena",
                              "--key", str(key))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "går inte att nå" in err and "Traceback" not in err
    assert "hemligt" not in err  # the password is never shown
    assert state(a.path) == before


def test_a_malformed_address_is_said_as_such(tmp_path: Path, key: Path, capsys: pytest.CaptureFixture) -> None:
    a = make_world(tmp_path / "a.db", n=2)
    for url in ("postgresql://[arena", "postgresql://arena@127.0.0.1/arena?sslmode=ibland"):
        code, out, err = cli_sync(capsys, "--db", str(a.path), "--share", url, "--key", str(key))
        assert code == 2 and err.count("\n") == 1 and "ingen giltig PostgreSQL-adress" in err, err


def test_a_wrong_password_or_role_is_said_as_such(tmp_path: Path, key: Path, pg: PgHub,
                                                  capsys: pytest.CaptureFixture) -> None:
    a = make_world(tmp_path / "a.db", n=2)
    before = state(a.path)
    for url in (pg.server.url(pg.schema, password="fel-lösen"), pg.server.url(pg.schema, user="okand")):
        code, out, err = cli_sync(capsys, "--db", str(a.path), "--share", url, "--key", str(key), "--lang", "en")
        assert code == 2 and err.count("\n") == 1 and "refused the login" in err, err
        assert "fel-lösen" not in err
    assert state(a.path) == before


def test_a_role_without_rights_on_its_schema_is_told_what_it_lacks(tmp_path: Path, key: Path, pg: PgHub,
                                                                   capsys: pytest.CaptureFixture) -> None:
    schema = f"{pg.schema}_other"
    a = make_world(tmp_path / "a.db", n=2)
    with pg.server.admin("arena") as conn:
        conn.execute(f"CREATE SCHEMA {schema}")  # the administrator's, not given to the role at all
    for grant in ("", f"GRANT USAGE ON SCHEMA {schema} TO arena"):  # then visible, but not the role's to create in
        if grant:
            with pg.server.admin("arena") as conn:
                conn.execute(grant)
        code, _, err = cli_sync(capsys, "--db", str(a.path), "--share", pg.server.url(schema), "--key", str(key))
        assert code == 2 and err.count("\n") == 1 and "saknar behörighet" in err, err
    pg.server.drop_schema(schema)


# ---------------------------------------------------------------------------- a server that goes

def test_a_server_gone_mid_sync_stops_it_consistently_and_the_next_sync_completes(
        tmp_path: Path, key: Path, pg: PgHub, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from store import pgshare

    monkeypatch.setattr(sync, "MAX_OPS_PER_FILE", 20)
    short_blink_allowance(monkeypatch, (0.05, 0.1))  # the blink allowance, short for the test
    a = make_world(tmp_path / "a.db", n=12)
    run_sync(a.path, pg, key)
    b_path = tmp_path / "b.db"
    run_sync(b_path, pg, key, from_snapshot=False)  # B knows the hub (its marker)...
    for day in range(17, 21):  # ...then A works on and publishes more files
        for pid in a.people:
            attendance.mark(a.db, "omar.farah", pid, a.activity_id, TODAY.replace(day=day), "present")
    run_sync(a.path, pg, key)
    files = [n for n in pg.names(a.db.workstation_id) if n.endswith(".ops")]
    assert len(files) > 4
    reads, real_read = [], pgshare.PgShare.read

    def read_then_lose_the_server(self, ws: str, name: str) -> bytes:  # noqa: ANN001
        reads.append(name)
        if len(reads) == 3:  # the marker, A's first new file, and then the server goes away
            pg.server.halt()
        return real_read(self, ws, name)

    monkeypatch.setattr(pgshare.PgShare, "read", read_then_lose_the_server)
    try:
        code, out, err = cli_sync(capsys, "--db", str(b_path), "--share", pg.spec, "--key", str(key))
    finally:
        pg.server.resume()
    monkeypatch.setattr(pgshare.PgShare, "read", real_read)
    assert code == 2 and err.count("\n") == 1 and "bröts mitt i synken" in err and "Traceback" not in err, err
    _, peers, _ = state(b_path)  # every file applied whole or not at all: the mark is a file's last op
    assert peers and peers[0][1] in {int(n[13:25]) for n in files} | {0}
    no_double_ops(b_path)
    assert cli.main(["sync", "--status", "--db", str(b_path)]) == 1  # the failure is remembered
    capsys.readouterr()
    code, out, err = cli_sync(capsys, "--db", str(b_path), "--share", pg.spec, "--key", str(key))
    assert code == 0, err
    run_sync(a.path, pg, key)
    assert_same(a.path, b_path)
    no_double_ops(b_path)


def test_a_server_that_restarts_mid_sync_is_reconnected_and_the_sync_completes(
        tmp_path: Path, key: Path, pg: PgHub, monkeypatch: pytest.MonkeyPatch) -> None:
    from store import pgshare

    monkeypatch.setattr(sync, "MAX_OPS_PER_FILE", 20)
    a = make_world(tmp_path / "a.db", n=12)
    run_sync(a.path, pg, key)
    b_path = tmp_path / "b.db"
    reads, real_read = [], pgshare.PgShare.read

    def read_with_a_restart(self, ws: str, name: str) -> bytes:  # noqa: ANN001
        reads.append(name)
        if len(reads) == 2:  # after the marker, before A's first file
            with pg.server.admin("arena") as conn:  # the server drops every connection of the role
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'arena'")
        return real_read(self, ws, name)

    monkeypatch.setattr(pgshare.PgShare, "read", read_with_a_restart)
    summary = run_sync(b_path, pg, key, from_snapshot=False)
    assert summary.ok and len(reads) > 3
    assert_same(a.path, b_path)
    no_double_ops(b_path)


@contextmanager
def a_full_disk(server, schema: str) -> Iterator[object]:  # noqa: ANN001
    """Put the hub's table on a tiny file system and fill it, as a server whose disk ran full; yield a
    function that frees the space. Needs root (mount); otherwise the server is made to answer exactly
    what PostgreSQL answers then (SQLSTATE 53100, disk_full) from a trigger."""
    small = server.root / f"small-{schema}"
    small.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", str(small)], capture_output=True).returncode == 0
    if not mounted:
        with server.admin("arena") as conn:
            conn.execute(f"CREATE FUNCTION {schema}.full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                         " RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';"
                         " END $$")
            conn.execute(f"CREATE TRIGGER full BEFORE INSERT ON {schema}.arena_file FOR EACH ROW"
                         f" EXECUTE FUNCTION {schema}.full()")

        def free_trigger() -> None:
            with server.admin("arena") as conn:
                conn.execute(f"DROP TRIGGER full ON {schema}.arena_file")
        yield free_trigger
        return
    filler = small / "filler"
    try:
        shutil.chown(small, "postgres", "postgres")
        with server.admin("arena") as conn:
            conn.execute(f"CREATE TABLESPACE {schema}_small LOCATION '{small}'")
            conn.execute(f"ALTER TABLE {schema}.arena_file SET TABLESPACE {schema}_small")
        try:
            with open(filler, "wb") as out:
                while True:
                    out.write(b"\0" * 4096)
                    out.flush()
        except OSError:
            pass  # full
        yield lambda: filler.unlink()
    finally:
        with server.admin("arena") as conn:
            conn.execute(f"ALTER TABLE {schema}.arena_file SET TABLESPACE pg_default")
            conn.execute(f"DROP TABLESPACE IF EXISTS {schema}_small")
        subprocess.run(["umount", str(small)], check=True)


def test_a_full_disk_on_the_server_is_one_line_and_nothing_is_lost(tmp_path: Path, key: Path, pg: PgHub,
                                                                   capsys: pytest.CaptureFixture) -> None:
    a = make_world(tmp_path / "a.db", n=25)
    b_path = tmp_path / "b.db"
    run_sync(a.path, pg, key)
    run_sync(b_path, pg, key)
    for day in (10, 11, 12, 13, 16, 17, 18, 19, 20):  # a file larger than the room in the table: it must grow
        for pid in a.people:
            attendance.mark(a.db, "omar.farah", pid, a.activity_id, TODAY.replace(day=day), "sick")
    cases.add_note(a.db, "omar.farah", a.people[0], "Skrivet när servern var full")
    before = state(a.path)
    with a_full_disk(pg.server, pg.schema) as free:
        code, out, err = cli_sync(capsys, "--db", str(a.path), "--share", pg.spec, "--key", str(key))
        assert code == 2 and err.count("\n") == 1 and "fullt på disken" in err and "Traceback" not in err, err
        assert state(a.path)[2] == before[2]  # nothing counted as published that is not on the server
        free()
        code, out, err = cli_sync(capsys, "--db", str(a.path), "--share", pg.spec, "--key", str(key))
        assert code == 0, err
        run_sync(b_path, pg, key)
    assert_same(a.path, b_path)


# ------------------------------------------------------------------------------- moving to PostgreSQL

def test_moving_from_the_file_share_loses_nothing_and_sends_nothing_twice(
        tmp_path: Path, key: Path, pg_server, capsys: pytest.CaptureFixture) -> None:  # noqa: ANN001
    share_path = tmp_path / "share"
    share_path.mkdir()
    old = DirHub(share_path)
    pg = PgHub(pg_server, pg_server.new_schema())
    a = make_world(tmp_path / "a.db", n=6)
    b_path = tmp_path / "b.db"
    for path in (a.path, b_path, a.path):
        run_sync(path, old, key)
    b = db.open(b_path)
    cases.update(b, "karin.ek", a.people[1], phone="070-4444444")  # B's last work on the file share
    b.dispose()
    run_sync(b_path, old, key)
    on_share = {(ws, n) for ws in old.workstations() for n in old.names(ws)}

    code, out, err = cli_sync(capsys, "--db", str(a.path), "--share", pg.spec, "--key", str(key),
                              "--import-share", str(share_path))
    assert code == 0, err
    assert f"{len(on_share)} filer kopierade, 0 fanns redan" in out
    assert "0 skickade" in out  # A's work is on the hub already, copied, not sent again
    assert {(ws, n) for ws in pg.workstations() + [".share"] for n in pg.names(ws)} >= on_share
    assert all(pg.get(ws, n) == old.get(ws, n) for ws, n in on_share)  # the same sealed bytes
    code, out, err = cli_sync(capsys, "--db", str(b_path), "--share", pg.spec, "--key", str(key),
                              "--import-share", str(share_path))  # B does it too: nothing copied twice
    assert code == 0 and f"0 filer kopierade, {len(on_share)} fanns redan" in out, out + err
    assert "0 skickade, 0 mottagna" in out, out  # and nothing re-sent or re-applied

    for database, phone in ((a.db, "070-A"), (db.open(b_path), "070-B")):  # work goes on, on PostgreSQL
        cases.update(database, "omar.farah", a.people[2], phone=phone)
    for path in (a.path, b_path, a.path):
        run_sync(path, pg, key)
    newcomer = tmp_path / "c.db"
    run_sync(newcomer, pg, key)
    assert_same(a.path, b_path, newcomer)
    for path in (a.path, b_path, newcomer):
        no_double_ops(path)
    assert dbfile.connect(newcomer).execute("SELECT phone FROM participant WHERE id = ?",
                                             (a.people[1],)).fetchone() == ("070-4444444",)
    pg.close()


def test_an_import_never_overwrites_a_different_file(tmp_path: Path, key: Path, pg: PgHub,
                                                     capsys: pytest.CaptureFixture) -> None:
    share_path = tmp_path / "share"
    share_path.mkdir()
    old = DirHub(share_path)
    a = make_world(tmp_path / "a.db", n=2)
    run_sync(a.path, old, key)
    ws = a.db.workstation_id
    name = [n for n in old.names(ws) if n.endswith(".ops")][0]
    pg.put(ws, name, b"something else entirely")
    code, out, err = cli_sync(capsys, "--db", str(a.path), "--share", pg.spec, "--key", str(key),
                              "--import-share", str(share_path))
    assert code == 2 and err.count("\n") == 1 and "annat innehåll" in err and name in err, err
    assert pg.get(ws, name) == b"something else entirely"
    assert pg.names(ws) == [name] and pg.names(".share") == []  # with a collision nothing at all is copied
    code, _, err = cli_sync(capsys, "--db", str(a.path), "--share", str(share_path), "--key", str(key),
                            "--import-share", str(share_path))
    assert code == 2 and "postgresql://" in err  # an import goes to PostgreSQL only


# ------------------------------------------------------------------------------------- the calls

def test_write_once_and_the_listing_after_a_mark(pg: PgHub) -> None:
    share = pg.share()
    try:
        share.write_once("ws-1", "000000000001-000000000005.ops", b"one")
        share.write_once("ws-1", "000000000001-000000000005.ops", b"one")  # the same bytes again: a rerun
        with pytest.raises(sync.Collision):
            share.write_once("ws-1", "000000000001-000000000005.ops", b"two")
        assert share.read("ws-1", "000000000001-000000000005.ops") == b"one"
        share.write_once("ws-1", "000000000006-000000000009.ops", b"three")
        share.write_once("ws-1", "snapshot-000000000009.snap", b"snap")
        share.write_once(".share", "arena-share", b"marker")
        assert share.workstations() == ["ws-1"]  # the marker's folder is no workstation
        assert share.files("ws-1") == ["000000000001-000000000005.ops", "000000000006-000000000009.ops",
                                       "snapshot-000000000009.snap"]
        assert share.files("ws-1", after=5) == ["000000000006-000000000009.ops", "snapshot-000000000009.snap"]
        with pytest.raises(FileNotFoundError):
            share.read("ws-1", "000000000010-000000000011.ops")
    finally:
        share.close()
    with pg.server.admin("arena") as conn:  # "after my mark" is an index range, not a scan of every file
        conn.execute(f"SET search_path = {pg.schema}")
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN SELECT name FROM arena_file WHERE workstation = 'ws-1' AND (last_seq > 5 OR last_seq IS NULL)"))
    assert "arena_file_after" in plan, plan


def test_arena_help_does_not_load_the_postgresql_driver() -> None:
    code = ("import sys, contextlib, io\nfrom tui import cli\nwith contextlib.suppress(SystemExit), "
            "contextlib.redirect_stdout(io.StringIO()):\n    cli.main(['--help'])\n"
            "print('psycopg' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_readme_tables_serve_a_role_that_may_only_select_and_insert(tmp_path: Path, key: Path,
                                                                        pg_server) -> None:  # noqa: ANN001
    """IT creates the tables from the README itself and grants the role no more than SELECT and INSERT:
    the sync works on exactly that (Arena never updates or deletes a row on the hub)."""
    import re
    import uuid

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### PostgreSQL as the hub"):]
    tables_sql = re.findall(r"```sql\n(.*?)```", section, re.S)[1]
    schema = f"it_{uuid.uuid4().hex[:12]}"
    with pg_server.admin("arena") as conn:
        conn.execute(f"CREATE SCHEMA {schema}")  # the administrator's, not the role's
        conn.execute(tables_sql.replace("arena.arena_", f"{schema}.arena_"))
        conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO arena")
        conn.execute(f"GRANT SELECT, INSERT ON {schema}.arena_workstation, {schema}.arena_file TO arena")
    hub = PgHub.__new__(PgHub)
    hub.server, hub.schema, hub.spec = pg_server, schema, pg_server.url(schema)
    a = make_world(tmp_path / "a.db", n=3)
    b_path = tmp_path / "b.db"
    for path in (a.path, b_path):
        assert run_sync(path, hub, key).ok
    cases.update(a.db, "omar.farah", a.people[1], phone="070-5555555")
    for path in (a.path, b_path):
        assert run_sync(path, hub, key, write_snapshot=True).ok
    assert_same(a.path, b_path)
    pg_server.drop_schema(schema)


def test_a_steady_sync_lists_only_what_is_new(tmp_path: Path, key: Path, pg: PgHub,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Once a workstation has applied a file, no later sync lists it again: listing is by high-water mark."""
    from store import pgshare

    monkeypatch.setattr(sync, "MAX_OPS_PER_FILE", 10)
    a = make_world(tmp_path / "a.db", n=6)
    b_path = tmp_path / "b.db"
    for path in (a.path, b_path, a.path, b_path):
        run_sync(path, pg, key)
    cases.update(a.db, "omar.farah", a.people[1], phone="070-6666666")
    run_sync(a.path, pg, key)
    listed, real_files = [], pgshare.PgShare.files

    def files(self, ws: str, after: int = 0) -> list[str]:  # noqa: ANN001
        names = real_files(self, ws, after)
        listed.extend(names)
        return names

    monkeypatch.setattr(pgshare.PgShare, "files", files)
    for path in (a.path, b_path):
        assert run_sync(path, pg, key).ok
    ops = [name for name in listed if name.endswith(".ops")]
    assert len(pg.names(a.db.workstation_id)) >= 4 and set(ops) == {pg.names(a.db.workstation_id)[-1]}, ops  # only the new file
    assert_same(a.path, b_path)


def test_an_import_from_a_folder_without_the_share_marker_is_refused_and_copies_nothing(
        tmp_path: Path, key: Path, pg: PgHub, capsys: pytest.CaptureFixture) -> None:
    """An unmounted share (an empty mount point) is no share to move from: nothing reaches the hub."""
    empty = tmp_path / "mnt"
    empty.mkdir()
    a = make_world(tmp_path / "a.db", n=2)
    code, out, err = cli_sync(capsys, "--db", str(a.path), "--share", pg.spec, "--key", str(key),
                              "--import-share", str(empty))
    assert code == 2 and err.count("\n") == 1 and "monterad" in err and str(empty) in err, err
    assert pg.workstations() == [] and pg.names(".share") == []


def test_a_password_option_in_the_address_is_never_remembered() -> None:
    from store.pgshare import shown

    assert shown("postgresql://arena:hemligt@db/arena") == "postgresql://arena@db/arena"
    assert shown("postgresql://arena@db/arena?password=a%20long%20one&sslmode=require") \
        == "postgresql://arena@db/arena?sslmode=require"
    assert shown("postgresql://arena@db/arena?PASSWORD=x") == "postgresql://arena@db/arena"


def test_a_locked_hub_ends_in_one_line_instead_of_waiting(tmp_path: Path, key: Path, pg: PgHub,
                                                          capsys: pytest.CaptureFixture) -> None:
    """Someone holds the hub's table locked: the sync gives up after its lock timeout with one line and a
    non-zero exit. The timeouts hold even when the address brings options of its own."""
    share = pg.share()
    try:
        assert share.conn.execute("SHOW lock_timeout").fetchone()[0] == "30s"
        assert share.conn.execute("SHOW search_path").fetchone()[0] == pg.schema
    finally:
        share.close()
    a = make_world(tmp_path / "a.db", n=2)
    impatient = pg.spec.replace("?options=", "?options=-clock_timeout%3D300%20")
    with pg.server.admin("arena") as locker:
        locker.execute("BEGIN")
        locker.execute(f"LOCK TABLE {pg.schema}.arena_file IN ACCESS EXCLUSIVE MODE")
        code, out, err = cli_sync(capsys, "--db", str(a.path), "--share", impatient, "--key", str(key))
        locker.execute("ROLLBACK")
    assert code != 0 and err.count("\n") == 1 and "lock" in err, (code, out, err)
    code, out, err = cli_sync(capsys, "--db", str(a.path), "--share", impatient, "--key", str(key))
    assert code == 0, err  # the lock gone, the same sync goes through


def test_an_empty_hub_is_named_as_such_with_the_way_forward(tmp_path: Path, key: Path, pg: PgHub,
                                                            capsys: pytest.CaptureFixture,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A workstation of a programme pointed at a database that holds no programme: not a mount problem,
    but a wrong database or a hub the share has not been moved to yet."""
    short_blink_allowance(monkeypatch)  # the marker is looked for again, as on a share that blinks
    share_path = tmp_path / "share"
    share_path.mkdir()
    a = make_world(tmp_path / "a.db", n=2)
    run_sync(a.path, DirHub(share_path), key)
    code, out, err = cli_sync(capsys, "--db", str(a.path), "--share", pg.spec, "--key", str(key))
    assert code == 2 and err.count("\n") == 1 and "--import-share" in err and "monterad" not in err, err
    assert pg.workstations() == []
