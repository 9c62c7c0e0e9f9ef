"""Encryption at rest (SQLCipher, the workstation key file), as an IT administrator meets it: a copied
database file reveals nothing, the app and the CLI work with the key, a missing, wrong or too open key
file is one clear line and exit 2 with nothing touched, `--no-encryption` stays plain on purpose, and a
plain database from a release before encryption is encrypted in place, also when killed half-way."""
from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from store import cases, db, dbfile
from tui import cli

from . import inprocess
from .conftest import DEMO_PIN, TODAY, World
from .waiting import ForkServer, ended_within, wait_until

ROOT = Path(__file__).resolve().parent.parent
PIN = "246813"
TRIALS = 6  # kills during a migration


def arena_process(*args: str, key: Path | None = None, stdin: str = "", login: str = "sara",
                  switch_wait: float | None = None) -> subprocess.CompletedProcess:
    """`arena ARGS` as its own process; `switch_wait` shortens how long its migration waits for another
    program to close the file (store.dbfile.JOURNAL_SWITCH_WAIT_S, 5 s) before it refuses."""
    env = {**{k: v for k, v in os.environ.items() if k != "ARENA_USER"}, "ARENA_TODAY": TODAY.isoformat(),
           "LOGNAME": login, "USER": login}
    if key is not None:
        env["ARENA_DB_KEY"] = str(key)
    command = ["-m", "tui.cli"] if switch_wait is None else [
        "-c", f"import sys; from store import dbfile; dbfile.JOURNAL_SWITCH_WAIT_S = {switch_wait!r}; "
              "from tui.cli.entry import main; sys.exit(main(sys.argv[1:]))"]
    return subprocess.run([sys.executable, *command, *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, input=stdin, timeout=120)


def arena(*args: str, key: Path | None = None, stdin: str = "", login: str = "sara") -> inprocess.Ran:
    """`arena ARGS` run in this process as `arena_process` would run it (tests/inprocess.py): what it says,
    writes and exits with, with the workstation key file `key`."""
    return inprocess.arena(*args, stdin=stdin, unset=("ARENA_USER",), os_login=login,
                           env={"ARENA_TODAY": TODAY.isoformat(), **({"ARENA_DB_KEY": str(key)} if key else {})})


def digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes() if p.exists() else b"-")
    return h.hexdigest()


def legacy_copy(source: Path, target: Path) -> None:
    """`source` as a release before encryption left it: plain, WAL mode, no mark (decrypted with the
    key through SQLCipher's own export)."""
    con = dbfile.connect(source, isolation_level=None)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    con.execute("ATTACH DATABASE ? AS plain KEY ''", (str(target),))
    con.execute("SELECT sqlcipher_export('plain')")
    con.execute(f"PRAGMA plain.user_version = {version}")
    con.execute("DETACH DATABASE plain")
    con.close()
    plain = sqlite3.connect(target, isolation_level=None)
    plain.execute("PRAGMA journal_mode=WAL")
    plain.close()
    assert dbfile.state(target) == dbfile.LEGACY


def contents(con) -> dict[str, str]:  # noqa: ANN001 -- a sqlite3 or a SQLCipher connection
    """Every table's rows, hashed: what must survive a migration unchanged."""
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: hashlib.sha256(repr(sorted(map(repr, con.execute(f'SELECT * FROM "{t}"')))).encode()).hexdigest()
            for t in tables if not t.startswith("sqlite_")}


def test_a_copied_database_reveals_nothing_without_the_key(world: World, tmp_path: Path) -> None:
    cases.register(world.db, "setup", cases.NewParticipant(
        first_name="Åsa", last_name="Öberg", gender="K", referral_date="2026-11-02", personnummer="19090527-1474",
        address="Storgatan 12, 123 45 Småstad", phone="070-1234567"))
    assert world.db.encrypted and dbfile.state(world.path) == dbfile.ENCRYPTED
    # what a thief takes: the file and its write-ahead log, as they are while the app is open
    stolen = tmp_path / "stolen"
    stolen.mkdir()
    for suffix in ("", "-wal"):
        if Path(f"{world.path}{suffix}").exists():
            shutil.copy(f"{world.path}{suffix}", stolen / f"arena.db{suffix}")
    raw = b"".join(p.read_bytes() for p in stolen.iterdir())
    assert len(raw) > 50_000
    for secret in ("190905271474", "0905271474", "090527-1474", "Öberg", "Storgatan", "070-1234567", "Andersson",
                   "Sara Systemansvarig", "omar.farah"):
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in raw, f"{secret!r} is readable in the copied file"
    assert b"SQLite format 3" not in raw and b"CREATE TABLE" not in raw
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(stolen / "arena.db").execute("SELECT count(*) FROM participant").fetchone()
    # with the key it is the same database
    assert dbfile.connect(stolen / "arena.db").execute("SELECT count(*) FROM participant").fetchone() == (26,)
    key = dbfile.key_path()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.parent != world.path.parent
    assert key.read_text().count("\n") == 3 and dbfile.load_key().hex() in key.read_text()


def test_init_makes_the_key_and_the_cli_works_with_it_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture) -> None:
    key, path = tmp_path / "keys" / "workstation.key", tmp_path / "data" / "arena.db"
    made = arena_process("init", "--db", str(path), "--admin", "sara", "--name", "Sara Admin", key=key,
                         stdin=f"{PIN}\n")
    assert made.returncode == 0, made.stderr
    assert f"nyckelfil {key}" in made.stdout and "säkerhetskopiera" in made.stdout
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert dbfile.state(path) == dbfile.ENCRYPTED
    secret = key.read_text().split("\n")[2]
    assert len(secret) == 64 and secret not in made.stdout + made.stderr  # the key itself is never shown
    before = digest(path, Path(f"{path}-wal"))
    # the key file lost: one line naming it and what to do, exit 2, nothing touched
    lost = arena("sync", "--status", "--db", str(path), key=tmp_path / "gone.key")
    assert lost.returncode == 2 and lost.stderr.count("\n") == 1, lost.stderr
    assert "gone.key saknas" in lost.stderr and "säkerhetskopia" in lost.stderr
    assert not (tmp_path / "gone.key").exists()

    def run(*args: str, key_file: Path = key) -> tuple[int, str]:
        monkeypatch.setenv("ARENA_DB_KEY", str(key_file))
        code = cli.main(list(args))
        return code, capsys.readouterr().err

    code, err = run("--lang", "en", "sync", "--status", "--db", str(path), key_file=tmp_path / "gone.key")
    assert code == 2 and "gone.key is missing" in err and "backup" in err
    # another workstation's key (a copy of the database taken elsewhere, or a restore with the wrong key)
    other = tmp_path / "other" / "workstation.key"
    assert run("init", "--join", "--db", str(tmp_path / "other" / "x" / "b.db"), key_file=other)[0] == 0
    code, err = run("sync", "--status", "--db", str(path), key_file=other)
    assert code == 2 and err.count("\n") == 1 and "öppnar inte databasen" in err, err
    # a key file others can read: refused until it is owner-only again
    key.chmod(0o644)
    code, err = run("sync", "--status", "--db", str(path))
    assert code == 2 and f"chmod 600 {key}" in err
    key.chmod(0o600)
    # a damaged key file
    saved = key.read_text()
    key.write_text(saved[:-10] + "\n")
    assert "skadad" in run("sync", "--status", "--db", str(path))[1]
    key.write_text(saved)
    # the key file in the database's own folder would travel with every copy: refused
    beside = path.parent / "workstation.key"
    shutil.copy(key, beside)
    beside.chmod(0o600)
    code, err = run("sync", "--status", "--db", str(path), key_file=beside)
    assert code == 2 and "samma mapp" in err
    beside.unlink()
    assert digest(path, Path(f"{path}-wal")) == before
    assert run("sync", "--status", "--db", str(path))[0] in (0, 1)  # the right key, restored: it opens
    log = path.parent / "arena.log"
    assert secret not in (log.read_text() if log.exists() else "")


def test_no_encryption_is_plain_on_purpose_and_never_migrated(tmp_path: Path) -> None:
    key, path = tmp_path / "keys" / "workstation.key", tmp_path / "data" / "arena.db"
    made = arena("init", "--no-encryption", "--db", str(path), "--admin", "sara", "--name", "Sara Admin", key=key,
                 stdin=f"{PIN}\n")
    assert made.returncode == 0, made.stderr
    assert "OKRYPTERAD" in made.stdout and not key.exists()  # no key is made for a plain database
    assert dbfile.state(path) == dbfile.PLAIN
    assert arena("sync", "--status", "--db", str(path), key=key).returncode in (0, 1)
    assert dbfile.state(path) == dbfile.PLAIN and not key.exists()
    assert sqlite3.connect(path).execute("SELECT login FROM caseworker").fetchall() == [("sara",)]
    joined = arena("init", "--join", "--no-encryption", "--db", str(tmp_path / "j.db"), key=key)
    assert joined.returncode == 0 and dbfile.state(tmp_path / "j.db") == dbfile.PLAIN


def test_the_demo_and_a_joining_workstation_are_encrypted(tmp_path: Path, demo_template: Path) -> None:
    assert dbfile.state(demo_template) == dbfile.ENCRYPTED
    key = tmp_path / "k" / "ws.key"
    joined = arena("init", "--join", "--db", str(tmp_path / "ws2" / "arena.db"), key=key)
    assert joined.returncode == 0 and dbfile.state(tmp_path / "ws2" / "arena.db") == dbfile.ENCRYPTED
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_plain_database_from_before_is_encrypted_in_place_on_first_open(tmp_path: Path,
                                                                       demo_template: Path) -> None:
    old = tmp_path / "arena.db"
    legacy_copy(demo_template, old)
    con = sqlite3.connect(old)
    before = contents(con)
    con.close()
    opened = arena_process("find", "Berg", "--db", str(old), "--user", "anna.lind", "--pin-stdin",
                           stdin=f"{DEMO_PIN}\n")
    assert opened.returncode == 0, opened.stderr
    assert f"Databasen {old} krypteras nu" in opened.stderr and str(dbfile.key_path()) in opened.stderr
    assert dbfile.state(old) == dbfile.ENCRYPTED and not list(tmp_path.glob("*.encrypting*"))
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    con = dbfile.connect(old)
    after = contents(con)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    con.close()
    data = ("participant", "caseworker", "activity", "enrolment", "attendance", "milestone", "note", "referral")
    assert {t: after[t] for t in data if t in before} == {t: before[t] for t in data if t in before}
    assert len([t for t in data if t in before]) >= 6  # (the search itself is logged: audit, change log)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(old).execute("SELECT count(*) FROM participant").fetchone()


def test_a_migration_killed_at_any_moment_loses_nothing(tmp_path: Path, demo_template: Path) -> None:
    template = tmp_path / "legacy.db"
    legacy_copy(demo_template, template)
    con = sqlite3.connect(template)
    rows = contents(con)
    con.close()
    rng = random.Random(17)
    landed = 0
    path = tmp_path / "arena.db"

    def leftovers() -> list[Path]:
        return list(tmp_path.glob("arena.db.encrypting*"))

    def started() -> bool:  # without asking SQLite, which waits while the migration holds its lock
        return bool(leftovers()) or replaced()

    def replaced() -> bool:
        return os.stat(path).st_ino != plain_inode

    with ForkServer("tests.crash_child", env={**os.environ, "ARENA_TODAY": TODAY.isoformat()}) as server:
        # once whole, to learn how long the export and the rename take here
        shutil.copy(template, path)
        plain_inode = os.stat(path).st_ino
        server.start("tests.crash_child:open_database", str(path))
        wait_until(started, "the migration to start", step=0.001)
        start = time.monotonic()
        wait_until(replaced, "the migration to end", step=0.001)
        took = time.monotonic() - start
        assert list(server.lines()) == ["opened\n"] and server.status == 0
        for trial in range(3 * TRIALS):  # at least TRIALS, and on until two kills landed during a migration
            if trial >= TRIALS and landed >= 2:  # (the first, measured migration may have been the slowest)
                break
            path.unlink()
            shutil.copy(template, path)
            plain_inode = os.stat(path).st_ino
            child = server.start("tests.crash_child:open_database", str(path))
            wait_until(started, "the migration to start", step=0.001)
            if not ended_within(child, rng.uniform(0, took * 1.1)):  # else it finished: a whole migration
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            rest = list(server.lines())
            state = dbfile.state(path)
            if server.status == signal.SIGKILL and state == dbfile.LEGACY:
                landed += 1  # killed before the rename: the plain file is whole and is encrypted next time
            assert state in (dbfile.LEGACY, dbfile.ENCRYPTED), f"trial {trial}: {state} after {rest}"
            database = db.open(path)  # the next start: finishes (or never needed) the migration
            database.dispose()
            assert dbfile.state(path) == dbfile.ENCRYPTED and not leftovers()
            con = dbfile.connect(path)
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert contents(con) == rows, f"trial {trial}: rows differ after a kill ({state})"
            con.close()
    assert landed >= 2, f"only {landed} of {3 * TRIALS} kills landed during a migration ({took:.3f} s)"


def test_a_database_open_elsewhere_is_not_migrated_under_it(tmp_path: Path, demo_template: Path) -> None:
    """An old release still has the plain file open in WAL mode: the migration waits for it to close."""
    old = tmp_path / "arena.db"
    legacy_copy(demo_template, old)
    holder = sqlite3.connect(old)
    holder.execute("SELECT count(*) FROM participant").fetchone()
    holder.execute("BEGIN")
    holder.execute("SELECT count(*) FROM participant").fetchone()
    before = digest(old)
    busy = arena_process("sync", "--status", "--db", str(old), switch_wait=0.5)  # it waits, then refuses
    assert busy.returncode == 2 and "öppen i ett annat program" in busy.stderr, busy.stderr
    assert dbfile.state(old) == dbfile.LEGACY and digest(old) == before
    holder.close()
    assert arena_process("sync", "--status", "--db", str(old)).returncode in (0, 1)
    assert dbfile.state(old) == dbfile.ENCRYPTED


def test_the_import_staging_file_is_encrypted_like_its_database(world: World) -> None:
    """A referral import stages its checked rows (personal data) in a file beside the database."""
    from store import bulk

    staging = bulk.Staging(world.db)
    try:
        staging.add([(2, {"first_name": "Åsa", "last_name": "Öberg", "personnummer": "190905271474"})])
        staging.conn.commit()
        assert staging.path.parent == world.path.parent and dbfile.state(staging.path) == dbfile.ENCRYPTED
        assert b"Oberg" not in staging.path.read_bytes() and "Öberg".encode() not in staging.path.read_bytes()
    finally:
        staging.close()


async def test_a_plain_database_says_so_on_every_screen(tmp_path: Path, world: World) -> None:
    """A --no-encryption database is never shown as if it were protected: the title says OKRYPTERAD; an
    encrypted one shows nothing extra."""
    from tui.app import ArenaApp

    from .conftest import PIN, make_world
    from .waiting import until_quiet

    plain_path = tmp_path / "plain" / "arena.db"
    db.open(plain_path, encrypt=False).dispose()
    plain = make_world(plain_path)
    assert not plain.db.encrypted and dbfile.state(plain_path) == dbfile.PLAIN
    for w, marked in ((plain, True), (world, False)):
        app = ArenaApp(db.open(w.path), "omar.farah", pin=PIN)
        async with app.run_test(size=(80, 24)) as pilot:
            await until_quiet(pilot, app)
            assert ("OKRYPTERAD" in app.title) is marked, app.title  # the header shows the title
    plain.db.dispose()


def test_three_programs_opening_one_plain_database_at_once_encrypt_it_once(tmp_path: Path,
                                                                            demo_template: Path) -> None:
    """The first start after an upgrade, in three windows at once: one migrates, the others wait for it
    and open the encrypted file; nothing is lost and nothing is left beside it."""
    old = tmp_path / "arena.db"
    legacy_copy(demo_template, old)
    con = sqlite3.connect(old)
    rows = contents(con)
    con.close()
    code = "import sys; from store import db; d = db.open(sys.argv[1]); print(d.encrypted); d.dispose()"
    runs = [subprocess.Popen([sys.executable, "-c", code, str(old)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0 and out == "True\n", (run.returncode, out, err)
    assert dbfile.state(old) == dbfile.ENCRYPTED and not list(tmp_path.glob("*.encrypting*"))
    con = dbfile.connect(old)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",) and contents(con) == rows
    con.close()


def test_a_migration_that_finds_the_work_done_by_another_leaves_nothing_beside_the_database(
        tmp_path: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two programs start on a plain database at once: this one makes its `.encrypting` file while the other
    encrypts the database and replaces it, then finds the work done. Its file was left beside the database
    (seen once in a CI run of the three-programs test above); here the other program runs at exactly that
    moment, every time."""
    old = tmp_path / "arena.db"
    legacy_copy(demo_template, old)
    real_open = os.open
    done: list[int] = []

    def open_after_the_other_program(file, flags, *args):  # noqa: ANN001, ANN002, ANN202
        if str(file).startswith(f"{old}.encrypting-") and flags & os.O_EXCL and not done:
            code = "import sys; from store import db; d = db.open(sys.argv[1]); d.dispose()"
            other = subprocess.run([sys.executable, "-c", code, str(old)], cwd=ROOT, capture_output=True,
                                   text=True, timeout=120)
            done.append(other.returncode)
            assert other.returncode == 0, other.stderr
        return real_open(file, flags, *args)

    monkeypatch.setattr(os, "open", open_after_the_other_program)
    dbfile.encrypt_in_place(old, dbfile.load_key(old, create=True))
    monkeypatch.undo()
    assert done == [0]
    assert dbfile.state(old) == dbfile.ENCRYPTED
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("arena.db")) == ["arena.db"]
