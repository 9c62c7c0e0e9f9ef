"""The one engine factory and the transaction helpers.

`open(path)` builds an engine (never at import time), sets every connection's pragmas in one `connect`
listener, applies migrations and makes sure this database has its own workstation id. Writes go through
`Database.write()`, which takes the write lock up front (BEGIN IMMEDIATE) so two windows on one file
queue politely instead of failing half-way, and turns SQLite's failures into messages a person reads.
"""
from __future__ import annotations

import errno
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.pool import StaticPool

from store import clock, dbfile, schema
from store.tx import Tx, driver, run  # noqa: F401 -- the transaction and the driver call, as store.db names them
from store.i18n import ArenaError, os_reason

BUSY_TIMEOUT_MS = 5000
# What a failed write or open raises: SQLAlchemy's wrapper, or the driver's own (sqlite3 or SQLCipher).
FAILED_WRITE: tuple[type[Exception], ...] = (exc.OperationalError, exc.DatabaseError, *dbfile.Error)
FAILED_OPEN: tuple[type[Exception], ...] = (exc.DBAPIError, *dbfile.Error)
CACHE_KIB = 16384
AUTOCHECKPOINT_PAGES = 1000  # SQLite's default: an ordinary commit copies the WAL back past this many pages


class StoreError(ArenaError):
    """A write that did not happen; nothing was saved."""


def _translate(error: BaseException) -> StoreError:
    text = str(getattr(error, "orig", error) or error).lower()
    if "locked" in text or "busy" in text:
        return StoreError("err.db_locked")
    if "full" in text:
        return StoreError("err.db_full")
    if "readonly" in text or "read-only" in text:
        return StoreError("err.db_readonly")
    return StoreError("err.db_other", detail=str(getattr(error, "orig", error)))


class Database:
    def __init__(self, engine: Engine, path: str, encrypted: bool = False) -> None:
        self.engine = engine
        self.path = path
        self.encrypted = encrypted  # SQLCipher with the workstation key (store.dbfile); False: plain on purpose
        self.log_unchecked = False  # opened with `log_later`: the change log's check is still to run (`check_log`)
        self._workstation_id: str | None = None

    @property
    def workstation_id(self) -> str:
        if self._workstation_id is None:
            with self.read() as conn:
                self._workstation_id = conn.exec_driver_sql(
                    "SELECT id FROM workstation WHERE is_local = 1").scalar_one()
        return self._workstation_id

    def forget_workstation(self) -> None:
        """The sync gave this database a new workstation identity: read it again."""
        self._workstation_id = None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            try:
                yield conn
            finally:
                conn.rollback()

    @contextmanager
    def write(self, login: str, *, bulk: bool = False, checkpoints_itself: bool = False) -> Iterator[Tx]:
        """One write transaction, committed when the block ends; any failure raises StoreError.

        An interactive write (a mark, a form) announces itself while it waits and writes, so a bulk
        writer (`bulk=True`, an import in chunks) lets it go first between two chunks. A bulk chunk's
        commit does not wait for the disk (synchronous=NORMAL): the bulk writer makes its chunks durable
        itself before it reports them done (`make_durable`); every other commit waits for the disk."""
        token = None if bulk else self._announce()
        try:
            with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
                if bulk:
                    driver(conn).execute("PRAGMA synchronous=NORMAL")
                if checkpoints_itself:
                    # no checkpoint on this commit: the bulk writer checkpoints between its chunks itself
                    # (`checkpoint`), so the WAL stays short and a waiting mark's commit does not find a
                    # long one to copy back (store.bulk)
                    driver(conn).execute("PRAGMA wal_autocheckpoint=0")
                try:
                    with conn.begin():
                        # read under the write lock: another process's sync may have given this database
                        # a new identity (a restore or a copy was detected) since this one last looked
                        ws = run(conn, "SELECT id FROM workstation WHERE is_local = 1").fetchone()[0]
                        self._workstation_id = ws
                        yield Tx(conn, login, ws)
                finally:
                    if bulk:
                        driver(conn).execute("PRAGMA synchronous=FULL")
                    if checkpoints_itself:
                        driver(conn).execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        except FAILED_WRITE as error:
            raise _translate(error) from error
        finally:
            if token is not None:
                try:
                    os.unlink(token)
                except OSError:
                    pass

    def make_durable(self) -> None:
        """After bulk chunks: wait until what they committed is on the disk (the write-ahead log synced;
        a checkpoint syncs what it moved into the database file itself)."""
        if self.path == ":memory:":
            return
        try:
            fd = os.open(self.path + "-wal", os.O_RDWR)
        except FileNotFoundError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def checkpoint(self) -> None:
        """Between bulk chunks, outside any transaction: copy the WAL back into the database file as far
        as no reader needs it (PASSIVE: it never waits for, nor blocks, a reader or a writer)."""
        if self.path == ":memory:":
            return
        try:
            with self.engine.connect() as conn:
                driver(conn).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except FAILED_WRITE:
            pass  # busy (another checkpoint): the next one moves it

    def waiting(self) -> bool:
        """An interactive write of any process on this database is waiting or writing (a token in the
        writers folder; one left by a dead process is removed by `yield_to_waiters`)."""
        folder = self._waiting_dir()
        if folder is None:
            return False
        try:
            with os.scandir(folder) as entries:
                return any(True for _ in entries)
        except OSError:
            return False

    def _waiting_dir(self) -> str | None:
        return None if self.path == ":memory:" else self.path + ".writers"

    def _announce(self) -> str | None:
        folder = self._waiting_dir()
        if folder is None:
            return None
        token = os.path.join(folder, f"{os.getpid()}-{threading.get_ident()}")
        try:
            fd = os.open(token, os.O_CREAT | os.O_WRONLY, 0o600)
        except FileNotFoundError:
            try:
                os.mkdir(folder, 0o700)
                fd = os.open(token, os.O_CREAT | os.O_WRONLY, 0o600)
            except OSError:
                return None
        except OSError:
            return None
        os.close(fd)
        return token

    def yield_to_waiters(self, limit: float = 2.0) -> None:
        """Between two chunks of a bulk write: wait (at most `limit` seconds) while an interactive write
        of any process on this database is waiting or writing. Tokens of processes that died are removed."""
        folder = self._waiting_dir()
        if folder is None:
            return
        deadline = time.monotonic() + limit
        me = os.getpid()
        while True:
            try:
                names = os.listdir(folder)
            except OSError:
                return
            alive = False
            for name in names:
                pid = int(name.split("-", 1)[0]) if name.split("-", 1)[0].isdigit() else 0
                if pid != me and not _alive(pid):
                    try:
                        os.unlink(os.path.join(folder, name))
                    except OSError:
                        pass
                    continue
                alive = True
            if not alive or time.monotonic() > deadline:
                return
            time.sleep(0.002)

    def dispose(self) -> None:
        self.engine.dispose()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill would end the process there; a stale token costs at most `limit`
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _make_engine(path: str, key: bytes | None) -> Engine:
    # Every connection comes from store.dbfile, the key set before anything else runs on it.
    if path == ":memory:":
        engine = create_engine("sqlite://", poolclass=StaticPool, module=dbfile.driver,
                               creator=lambda: dbfile.connect(path, key=None, check_same_thread=False))
    else:
        engine = create_engine(f"sqlite:///{path}", module=dbfile.driver, creator=lambda: dbfile.connect(
            path, key=key, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000))

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
        # Let us issue BEGIN ourselves (the pysqlite driver's implicit BEGIN is deferred and late).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if path != ":memory:":
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # 16 MB of pages per connection (SQLite's default is 2 MB): an encrypted page read from the OS's
        # cache is decrypted each time, so the F2 search on a large programme reads (and decrypts) less
        cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        # FULL: a mark shown as saved survives a power cut, not only a crash of the app.
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def migrate(engine: Engine, path: str, upto: int | None = None) -> int:
    """Apply pending migrations (up to `upto`, for tests); return the resulting schema version. A new
    database (version 0, no `upto`) is made at the latest schema in one step (`_create_latest`)."""
    target = schema.LATEST if upto is None else upto
    # Reading the version takes no lock: a database that is up to date is opened without ever asking for
    # the write lock, so `arena find` or a second window opens while a long import is writing.
    with engine.connect() as conn:
        version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
        conn.rollback()
    if version > schema.LATEST:
        raise ArenaError("err.db_newer", path=path, found=version, known=schema.LATEST)
    if version >= target:
        return version
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
        with conn.begin():
            version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
            if version > schema.LATEST:
                raise ArenaError("err.db_newer", path=path, found=version, known=schema.LATEST)
            if version >= 1 and version < target and dbfile.on_upgrade is not None:  # (a new file: no word)
                dbfile.on_upgrade(path, version, target)
            if version == 0 and upto is None:
                _create_latest(conn)
                conn.exec_driver_sql(f"PRAGMA user_version={schema.LATEST}")
                return schema.LATEST
            for number in range(version + 1, target + 1):
                schema.MIGRATIONS[number - 1](conn)
                conn.exec_driver_sql(f"PRAGMA user_version={number}")
            return max(version, target)


# A new database is made at the latest schema in one step: what every migration in turn makes of an empty
# database (built once per process, in memory, by the migrations themselves), replayed as its tables, their
# rows, then the indexes, views and triggers. The migrations one by one took ~40 ms of the 45 ms of a new
# file's open (each ALTER and DROP parses the whole schema again); the replay a few. tests/test_models.py
# proves a replayed database equals one migrated step by step, schema and rows.
_Template = tuple[list[str], list[tuple[str, list[str], list[tuple]]], list[str]]  # tables, their rows, the rest
_latest: _Template | None = None
_latest_lock = threading.Lock()


def _latest_template() -> _Template:
    global _latest
    with _latest_lock:
        if _latest is None:
            engine = _make_engine(":memory:", None)
            try:
                with engine.connect() as conn:
                    for step in schema.MIGRATIONS:
                        step(conn)
                    objects = conn.exec_driver_sql(
                        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL"
                        " AND name NOT LIKE 'sqlite~_%' ESCAPE '~' ORDER BY rowid").all()
                    tables = [sql for kind, _name, sql in objects if kind == "table"]
                    rest = [sql for kind, _name, sql in objects if kind != "table"]
                    rows = []
                    for kind, name, _sql in objects:
                        if kind != "table":
                            continue
                        columns = [c.name for c in conn.exec_driver_sql(f'PRAGMA table_xinfo("{name}")')
                                   if c.hidden == 0]  # (generated columns are computed, not inserted)
                        quoted = ", ".join(f'"{c}"' for c in columns)
                        found = conn.exec_driver_sql(f'SELECT {quoted} FROM "{name}"').all()
                        if found:
                            rows.append((name, columns, [tuple(r) for r in found]))
                    if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
                        analyzed = conn.exec_driver_sql("SELECT tbl, idx, stat FROM sqlite_stat1").all()
                        rows.append(("sqlite_stat1", ["tbl", "idx", "stat"], [tuple(r) for r in analyzed]))
                    conn.rollback()
            finally:
                engine.dispose()
            _latest = (tables, rows, rest)
        return _latest


def _create_latest(conn: Connection) -> None:
    tables, rows, rest = _latest_template()
    for sql in tables:
        conn.exec_driver_sql(sql)
    for name, columns, values in rows:
        if name == "sqlite_stat1":  # (made by ANALYZE, never by CREATE TABLE)
            conn.exec_driver_sql(f'ANALYZE "{values[0][0]}"' if values else "ANALYZE")
            conn.exec_driver_sql("DELETE FROM sqlite_stat1")
        if values:
            quoted = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" * len(columns))
            conn.exec_driver_sql(f'INSERT INTO "{name}" ({quoted}) VALUES ({marks})', values)
    for sql in rest:
        conn.exec_driver_sql(sql)


def _ensure_workstation(engine: Engine) -> None:
    with engine.connect() as conn:  # the usual case, a known workstation: no write lock
        known = conn.exec_driver_sql("SELECT 1 FROM workstation WHERE is_local = 1").first() is not None
        conn.rollback()
    if known:
        return
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
        with conn.begin():
            if conn.exec_driver_sql("SELECT 1 FROM workstation WHERE is_local = 1").first() is None:
                host = os.environ.get("HOSTNAME") or (os.uname().nodename if hasattr(os, "uname") else "")
                conn.exec_driver_sql(
                    "INSERT INTO workstation (id, name, is_local, created_at) VALUES (?, ?, 1, ?)",
                    (str(uuid.uuid4()), host or "arbetsstation", clock.now().isoformat()))


def _check_tamper(engine: Engine, *, log: bool = True) -> None:
    """At every open: put back a dropped append-only trigger, repair a user's row changed past the change
    log, check the access log's hash chains and (`log`) the change log's; what is found is kept for
    `arena sync --status` and F5 (store.tamper)."""
    from store import tamper

    _unless_busy(engine, lambda conn: tamper.check(conn, full=False, log=log))


def check_log(database: Database) -> None:
    """The change log's check an open with `log_later=True` left out (store.tamper.check_log): what came
    since the last check, at most OPEN_LOG_LIMIT entries."""
    from store import tamper

    _unless_busy(database.engine, tamper.check_log)
    database.log_unchecked = False


def _unless_busy(engine: Engine, check: Callable[[Connection], object]) -> None:
    """A tamper check in its own transaction, deferred: it writes (and locks) only when there is something
    new. Busy (a sync is writing, or an import), it is not made: that sync checks every chain itself, and
    the next open checks again."""
    busy: tuple[type[Exception], ...] = (exc.OperationalError, *dbfile.OperationalError)
    try:
        with engine.connect() as conn:
            with conn.begin():
                check(conn)
    except busy:
        pass


def _key_for(path: str, encrypt: bool) -> bytes | None:
    """The key this database opens with (None: plain), after making it what it must be: a new file
    encrypted (or, with `encrypt=False`, marked plain on purpose), a plain one from before encryption
    encrypted in place. Checked here, before any engine exists: a missing or wrong key leaves the file
    as it was."""
    if path == ":memory:":
        return None
    kind = dbfile.state(path)
    if kind == dbfile.NEW and not encrypt:
        dbfile.mark_plain(path)
        return None
    if kind == dbfile.PLAIN:
        return None
    key = dbfile.load_key(path, create=kind in (dbfile.NEW, dbfile.LEGACY))
    if kind == dbfile.LEGACY:
        dbfile.encrypt_in_place(path, key)
    return key  # a wrong key is said by the engine's first connection (dbfile.connect checks it)


def open(path: str | os.PathLike[str], *, upto: int | None = None, encrypt: bool = True,  # noqa: A001
         log_later: bool = False) -> Database:
    """Open (creating if needed) the database at `path`, or ':memory:'; upgrade it to the latest schema.

    A new database is encrypted with the workstation key (store.dbfile) unless `encrypt=False` (a test
    setup: `arena init --no-encryption`), which is recorded in the file; a plain database from before
    encryption is encrypted in place first. `encrypt` never changes an existing database.

    Every open checks for tampering (store.tamper). `log_later`: the change log's entries since the last
    check (up to 20 000 after a big import, ~0.5 s) are left for `check_log`, which the app runs once its
    first screen is drawn (`Database.log_unchecked` says it is still to do)."""
    path = str(path)
    if path != ":memory:":
        file = Path(path)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            if file.is_dir():  # (SQLite's own words, in English, were "unable to open database file")
                raise IsADirectoryError(errno.EISDIR, "a folder", path)
            if not file.exists():
                # Case data is secret: owner-only from the first byte.
                fd = os.open(file, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
        except OSError as error:
            raise ArenaError("err.db_open", path=path, detail=os_reason(error)) from error
    try:
        key = _key_for(path, encrypt)
    except dbfile.Error as error:
        raise ArenaError("err.db_open", path=path, detail=str(error)) from error
    engine = _make_engine(path, key)
    try:
        migrate(engine, path, upto)
        if upto is None or upto >= 1:
            _ensure_workstation(engine)
        if upto is None:
            _check_tamper(engine, log=not log_later)
    except ArenaError:
        engine.dispose()
        raise
    except FAILED_OPEN as error:
        engine.dispose()
        raise ArenaError("err.db_open", path=path, detail=str(getattr(error, "orig", error))) from error
    database = Database(engine, path, encrypted=key is not None)
    database.log_unchecked = upto is None and log_later
    return database
