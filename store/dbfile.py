"""The one place a local SQLite file is opened, and the workstation key that encrypts it at rest.

Every local database is encrypted with SQLCipher (AES-256, one key per workstation) unless it was made
plain on purpose for a test setup (`arena init --no-encryption`). The key is 256 random bits kept in the
*workstation key file*, outside the database's folder: the user's configuration directory, or the file
`ARENA_DB_KEY` names. It is created owner-only (0600) by the first database made on the workstation
(`arena init`, the demo, the first start) and never written anywhere else: not in the database, the log,
a command line or the share. The raw key is given to SQLCipher as `x'…'`, so no key derivation runs per
connection; it is set before any other statement.

What a file is, is read from its first 100 bytes, before SQLite sees it:
- missing or empty: a new database, encrypted (or plain, when asked for);
- `SQLite format 3` with the application id `PLAIN_MARK`: plain on purpose; opened plain, never migrated;
- `SQLite format 3` without it: a database from a release before encryption; `store.db.open` encrypts it
  in place on the first open (`encrypt_in_place`), so a plain file is never taken for a protected one;
- anything else: encrypted; opened with the key, and a wrong or missing key is one clear error.

`connect(path)` returns a DB-API connection (the `sqlcipher3` driver, `sqlite3`'s API) with the key set;
the engine (`store.db`), the bulk import's staging file, the benchmarks and the tests all open files
through it. `Error`, `IntegrityError` and `OperationalError` are the driver's exceptions (either driver's).
"""
from __future__ import annotations

import os
import random
import secrets
import sqlite3
import stat
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

from store.i18n import ArenaError, os_reason

try:  # the SQLCipher build of SQLite (sqlcipher3-binary on Linux)
    import sqlcipher3 as _cipher
except ImportError:  # pragma: no cover -- without it only plain databases open, and encrypted ones say why
    _cipher = None

ENV = "ARENA_DB_KEY"
PLAIN_MARK = 0x41524E50  # "ARNP": PRAGMA application_id of a database made plain on purpose
KEY_BYTES = 32
KEY_COMMENT = ("# Arena: arbetsstationens databasnyckel / the workstation's database key.\n"
               "# Säkerhetskopiera den separat från databasen / back it up apart from the database.\n")

driver: Any = _cipher or sqlite3
Row = driver.Row
Error: tuple[type[Exception], ...] = (sqlite3.Error,) + ((_cipher.Error,) if _cipher else ())
IntegrityError: tuple[type[Exception], ...] = (sqlite3.IntegrityError,) + ((_cipher.IntegrityError,) if _cipher else ())
OperationalError: tuple[type[Exception], ...] = (sqlite3.OperationalError,) + (
    (_cipher.OperationalError,) if _cipher else ())
DatabaseError: tuple[type[Exception], ...] = (sqlite3.DatabaseError,) + ((_cipher.DatabaseError,) if _cipher else ())

NEW, PLAIN, LEGACY, ENCRYPTED = "new", "plain", "legacy", "encrypted"
# Told before a migration starts (the CLI prints it): on a large database it takes minutes, and nothing
# waits without saying so. Called with the database's path and the key file's.
on_migrate: Callable[[str, str], None] | None = None
# Told before migrations upgrade a database that already holds a programme (store.db.migrate; the CLI
# prints it on stderr, the app shows it on screen): on a large one an upgrade takes a while. Called with
# the database's path, its schema version and the one it is upgraded to.
on_upgrade: Callable[[str, int, int], None] | None = None
MIGRATION_WAIT_S = 120.0  # how long a second opener waits for a migration under way
JOURNAL_SWITCH_WAIT_S = 5.0  # how long a migration waits for other programs to close the file


# ------------------------------------------------------------------------------------------ the key file

def key_path() -> Path:
    """The workstation key file: `ARENA_DB_KEY`, else `workstation.key` in the user's configuration
    directory (roaming on Windows), never the data directory the databases are in."""
    override = os.environ.get(ENV)
    if override:
        return Path(override)
    from platformdirs import user_config_path, user_data_path

    folder = user_config_path("arena", appauthor=False, roaming=True)
    if folder == user_data_path("arena", appauthor=False):  # macOS: one folder for both
        folder = folder.with_name("arena-key")
    return folder / "workstation.key"


_keys: dict[str, tuple[tuple[int, int, int], bytes]] = {}


def load_key(db_path: str | os.PathLike[str] | None = None, *, create: bool = False) -> bytes:
    """The workstation key, its file's permissions checked at every open of a database (the key itself is
    read again only when the file changed). With `create` a missing key file is made (0600, its folder
    0700); otherwise a missing one is an error that names the file and what to do."""
    path = key_path()
    if db_path is not None and str(db_path) != ":memory:":
        folder = Path(db_path).resolve().parent
        if path.resolve().parent == folder:
            raise ArenaError("err.db_key_beside", file=str(path), path=str(db_path))
    try:
        st = path.stat()
    except FileNotFoundError:
        if not create:
            raise ArenaError("err.db_key_missing", file=str(path), path=str(db_path or "")) from None
        _create_key(path)
        st = path.stat()
    except OSError as error:
        raise ArenaError("err.db_key_unreadable", file=str(path), detail=os_reason(error)) from error
    if os.name == "posix" and st.st_mode & 0o077:
        # The database is owner-only; a key others can read would undo that. Refused, as ssh refuses a
        # private key others can read: one chmod fixes it, and nothing is opened before.
        raise ArenaError("err.db_key_mode", file=str(path), mode=f"{stat.S_IMODE(st.st_mode):04o}")
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    cached = _keys.get(str(path))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    key = _read_key(path)
    _keys[str(path)] = (stamp, key)
    return key


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = KEY_COMMENT + secrets.token_bytes(KEY_BYTES).hex() + "\n"
    # written whole under a temporary name, then linked into place: never a half-written key, and two
    # processes creating it at once both end with the one that won
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        if not path.exists():
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _read_key(path: Path) -> bytes:
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as error:
        raise ArenaError("err.db_key_damaged", file=str(path)) from error
    except OSError as error:
        raise ArenaError("err.db_key_unreadable", file=str(path), detail=os_reason(error)) from error
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    try:
        key = bytes.fromhex(lines[0]) if len(lines) == 1 else b""
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ArenaError("err.db_key_damaged", file=str(path))
    return key


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------------- the files

def state(path: str | os.PathLike[str]) -> str:
    """NEW, PLAIN (on purpose), LEGACY (plain from before encryption) or ENCRYPTED.

    Asked of SQLite itself, never by opening the file from Python: closing any descriptor of a file
    drops every POSIX lock this process holds on it, those of its SQLite connections included."""
    if str(path) == ":memory:":
        return PLAIN
    try:
        if os.stat(path).st_size == 0:
            return NEW
    except FileNotFoundError:
        return NEW
    _quiet()
    con = driver.connect(str(path), timeout=MIGRATION_WAIT_S)  # (only a migration under way locks it)
    try:
        mark = con.execute("PRAGMA application_id").fetchone()[0]
    except DatabaseError as error:
        if "not a database" in str(error):
            return ENCRYPTED
        raise
    finally:
        con.close()
    return PLAIN if mark == PLAIN_MARK else LEGACY


def connect(path: str | os.PathLike[str], *, key: bytes | None | bool = True, **kwargs: Any) -> Any:
    """A DB-API connection to `path` (`sqlite3.connect`'s keyword arguments), the key set first.

    `key=True` (the default) decides from the file: an encrypted or a new file gets the workstation key
    (a new one creates the key file if needed), a plain one none. `key=None`/`False` opens plain, bytes
    use that key. A wrong key raises ArenaError naming the key file."""
    name = str(path)
    if key is True:
        kind = state(name)
        key = load_key(name, create=kind == NEW) if kind in (NEW, ENCRYPTED) else None
    if key and _cipher is None:
        raise ArenaError("err.db_no_sqlcipher", path=name)
    _quiet()
    con = driver.connect(name, **kwargs)
    if key:
        try:
            con.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except DatabaseError as error:
            con.close()
            if "not a database" in str(error):
                raise ArenaError("err.db_key_wrong", path=name, file=str(key_path())) from error
            raise
    return con


def plain_reader(path: str | os.PathLike[str]) -> Any:
    """A connection of the standard library's sqlite3 to a database that is plain on purpose, for a long
    read (an export of millions of rows): the SQLCipher build runs the same SELECT about 1.9x slower than
    the system's SQLite, on a plain file too. Its sorts spill to temporary files (bounded memory), where
    SQLCipher's build keeps them in memory.

    SQLite's POSIX locks belong to the process and each library tracks only its own: closing this
    connection drops the locks SQLCipher's connections to the same file hold in this process. Dispose of
    the engine's connections before (`Database.dispose`) and use none while this one is open."""
    if state(path) != PLAIN:
        raise ArenaError("err.db_open", path=str(path), detail="not a plain database")
    con = sqlite3.connect(str(path), isolation_level=None, timeout=MIGRATION_WAIT_S)
    con.execute("PRAGMA temp_store = FILE")
    return con


_quieted = False


def _quiet() -> None:
    """SQLCipher writes its own lines to stderr (a wrong key: "hmac check failed"); the user reads ours."""
    global _quieted
    if not _quieted and _cipher is not None:
        _quieted = True
        con = _cipher.connect(":memory:")
        try:
            con.execute("PRAGMA cipher_log_level = NONE")  # process-wide; touches no database
        finally:
            con.close()


def mark_plain(path: str | os.PathLike[str]) -> None:
    """Record in a new (or plain) database that it is plain on purpose, in the file's header itself."""
    con = driver.connect(str(path), isolation_level=None)
    try:
        con.execute(f"PRAGMA application_id = {PLAIN_MARK}")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the header in the main file, not only the log
    finally:
        con.close()
    if state(path) != PLAIN:  # a reader kept the checkpoint from reaching page 1
        raise ArenaError("err.db_encrypt_busy", path=str(path))


def _out_of_wal(path: Path) -> Any:
    """A connection to `path` with its database switched out of WAL mode, which SQLite allows only while
    no other connection has it open; None if the file is no longer plain (another program encrypted it).

    Other programs starting at the same moment hold the file open for moments (one reading its header,
    one trying this very switch): on a refusal this connection is closed, so as not to block them in turn,
    and the switch is tried again after a random pause, for up to JOURNAL_SWITCH_WAIT_S. A connection
    held open all that time (Arena running elsewhere) is refused with what to do."""
    deadline = time.monotonic() + JOURNAL_SWITCH_WAIT_S
    while True:
        if state(path) != LEGACY:
            return None
        con = _cipher.connect(str(path), isolation_level=None, timeout=MIGRATION_WAIT_S)
        try:
            mode = con.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        except OperationalError:  # another connection holds the file open in WAL mode
            mode = None
        except DatabaseError as error:
            con.close()
            if "not a database" in str(error):
                return None
            raise
        except BaseException:
            con.close()
            raise
        if str(mode).lower() == "delete":
            return con
        con.close()
        if time.monotonic() >= deadline:
            raise ArenaError("err.db_encrypt_busy", path=str(path))
        time.sleep(random.uniform(0.02, 0.25))


def encrypt_in_place(path: str | os.PathLike[str], key: bytes) -> None:
    """Encrypt a plain database from a release before encryption, crash-safe.

    The database is switched out of WAL mode (which needs every other connection closed: one still open
    is refused with what to do) and locked exclusively for as long as this connection lives; the whole
    database is exported with `sqlcipher_export` into `<name>.encrypting-<pid>` beside it; after the rows
    are counted in both, that file is synced and renamed over the database in one step, and only then is
    the lock let go. Killed at any moment, the file at `path` is either the plain database, whole, or the
    encrypted one, whole; what a killed migration left is removed by the next one. A second process
    opening the same file at the same moment waits for the lock and then finds the work done."""
    if _cipher is None:
        raise ArenaError("err.db_no_sqlcipher", path=str(path))
    path = Path(path)
    if state(path) != LEGACY:
        return
    tmp = path.with_name(f"{path.name}.encrypting-{os.getpid()}")
    inode = os.stat(path).st_ino  # the plain file; another process's migration replaces it
    con = _out_of_wal(path)
    if con is None:
        return  # another process encrypted it between the look and the open
    mine = False  # the .encrypting file is this process's (only then is it removed on a failure)
    leave: list[Path] = []  # this process's files to remove once its connection is closed (Windows: not before)
    try:
        # the lock, once taken, is held until this connection closes: after the rename
        con.execute("PRAGMA main.locking_mode = EXCLUSIVE")
        for own in (tmp, Path(f"{tmp}-journal")):
            own.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        mine = True
        con.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", (str(tmp),))
        # the new file needs no journal and no syncs of its own while it is written: a crash discards it,
        # and it is synced once, whole, before it replaces anything
        con.execute("PRAGMA encrypted.journal_mode = OFF")
        con.execute("PRAGMA encrypted.synchronous = OFF")
        try:
            con.execute("BEGIN EXCLUSIVE")
        except OperationalError as error:
            raise ArenaError("err.db_encrypt_busy", path=str(path)) from error
        if os.stat(path).st_ino != inode:  # another process did it while this one waited for the lock
            con.execute("ROLLBACK")
            leave = [tmp, Path(f"{tmp}-journal")]  # (this one's file, made while it waited, was left beside it)
            return
        if on_migrate is not None:
            on_migrate(str(path), str(key_path()))
        for stale in path.parent.glob(f"{path.name}.encrypting*"):  # a killed migration's, under the lock
            if stale.name not in (tmp.name, f"{tmp.name}-journal"):
                stale.unlink(missing_ok=True)
        version = con.execute("PRAGMA main.user_version").fetchone()[0]
        tables = [r[0] for r in con.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'"
                                            " AND name NOT LIKE 'sqlite_%'")]
        con.execute("SELECT sqlcipher_export('encrypted')")
        con.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        for table in tables:
            q = table.replace('"', '""')
            a = con.execute(f'SELECT count(*) FROM main."{q}"').fetchone()[0]
            b = con.execute(f'SELECT count(*) FROM encrypted."{q}"').fetchone()[0]
            if a != b:
                raise ArenaError("err.db_open", path=str(path), detail=f"{table}: {a} ≠ {b}")
        con.execute("COMMIT")  # (main stays locked: locking_mode EXCLUSIVE)
        con.execute("DETACH DATABASE encrypted")
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        if mine:
            leave = [tmp, Path(f"{tmp}-journal")]
        raise
    finally:
        con.close()
        for own in leave:
            own.unlink(missing_ok=True)
