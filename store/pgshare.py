"""PostgreSQL as the sync hub: the share's three calls (list, read, write once) on one table of sealed blobs.

For a programme that outgrows a file share (several municipalities, far-apart sites, thousands of files)
the hub is a database IT already runs. Nothing about the merge changes: a row of `arena_file` holds
exactly the bytes a file on the share would (compressed, AES-GCM-sealed under the programme key, the
header binding workstation and range), so the server's administrators see nothing personal.

- write once: `INSERT … ON CONFLICT DO NOTHING`; a row already there with the same name must hold the
  same bytes (compared by SHA-256), otherwise it is a collision, reported as `FileExistsError` exactly
  like the file share;
- list: an indexed query for the ops files past the caller's high-water mark (and the snapshots);
- read: one row.

Every failure of the server (cannot connect, authentication, gone mid-sync, disk full, no rights)
becomes one `ArenaError` sentence naming the server without its password; the sync's local
transactions are each complete or absent, so the workstation's database stays consistent.

psycopg is imported here only: `arena --help` and a file-share sync never load it.
"""
from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import conninfo, errors as pg_errors

from store.i18n import ArenaError

OPS_NAME = re.compile(r"^(\d{12})-(\d{12})\.ops$")
SNAP_NAME = re.compile(r"^snapshot-(\d{12})\.snap$")

# What the hub needs, created on first use in the schema the role's search_path names (the README gives
# IT the same statements for a role without CREATE rights). `last_seq` is the last sequence number an ops
# file holds (NULL for a snapshot), so "after my mark" is an index range, not a listing of every file.
# The blobs are compressed and encrypted already: EXTERNAL storage spares the server compressing them again.
SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS arena_workstation (
    id text PRIMARY KEY,
    first_seen timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS arena_file (
    workstation text NOT NULL REFERENCES arena_workstation (id),
    name text NOT NULL,
    last_seq bigint,
    digest bytea NOT NULL,
    data bytea NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workstation, name)
);
ALTER TABLE arena_file ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX IF NOT EXISTS arena_file_after ON arena_file (workstation, last_seq);
"""

# Nothing waits forever: a server that cannot be reached, or vanishes without closing the connection,
# is noticed within seconds (the URL may override each of these).
DEFAULTS = {"connect_timeout": "10", "keepalives": "1", "keepalives_idle": "10", "keepalives_interval": "5",
            "keepalives_count": "3", "tcp_user_timeout": "30000", "application_name": "arena-sync",
            # a table locked by someone else, or a statement the server cannot finish, ends in an error
            # (one line, non-zero exit) instead of a sync that waits all night
            "options": "-c lock_timeout=30000 -c statement_timeout=120000"}


def shown(url: str) -> str:
    """The URL without its password, for remembering (the password belongs in ~/.pgpass): neither the
    `user:password@` form nor a `password=` option survives."""
    url = re.sub(r"^(postgres(?:ql)?://[^:@/]*):[^@/]*@", r"\1@", url)
    if "?" not in url:
        return url
    base, query = url.split("?", 1)
    kept = [part for part in query.split("&") if part and not part.lower().startswith("password=")]
    return base + ("?" + "&".join(kept) if kept else "")


def where(url: str) -> str:
    """user@host:port/db for messages: no password, no options."""
    return shown(url).split("?", 1)[0]


def last_seq(name: str) -> int | None:
    """The last sequence number an ops file's name says it holds (None for any other file)."""
    match = OPS_NAME.match(name)
    return int(match[2]) if match else None


class PgShare:
    """The share on a PostgreSQL server: `arena_file(workstation, name, last_seq, digest, data)`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = where(url)
        self.conn: psycopg.Connection | None = None
        with self._talking(connecting=True):  # a server that refuses from the start: said at once
            self._ensure_tables(self._connect())

    def __str__(self) -> str:
        return self.where

    # ------------------------------------------------------------------------------- the three calls

    def workstations(self) -> list[str]:
        """Workstations with files; names starting with "." (the share's marker) are not workstations."""
        return [r[0] for r in self._call(lambda c: c.execute(
            "SELECT id FROM arena_workstation WHERE left(id, 1) <> '.' ORDER BY id").fetchall())]

    def files(self, workstation: str, after: int = 0) -> list[str]:
        """The workstation's ops files whose last sequence number is past `after`, and its other files
        (snapshots, requests): one index range, whatever the number of files before the mark."""
        return [r[0] for r in self._call(lambda c: c.execute(
            "SELECT name FROM arena_file WHERE workstation = %s AND (last_seq > %s OR last_seq IS NULL)"
            " ORDER BY name", (workstation, after)).fetchall())]

    def read(self, workstation: str, name: str) -> bytes:
        row = self._call(lambda c: c.execute("SELECT data FROM arena_file WHERE workstation = %s AND name = %s",
                                             (workstation, name), binary=True).fetchone())
        if row is None:
            raise FileNotFoundError(f"{workstation}/{name}")
        return bytes(row[0])

    def write_once(self, workstation: str, name: str, data: bytes) -> None:
        """Insert the file; if the name is taken, the same bytes are fine (a rerun whose answer was lost)
        and different bytes a `Collision`, as on the file share: never an overwrite."""
        from store.share import Collision

        digest = hashlib.sha256(data).digest()

        def insert(conn: psycopg.Connection) -> bytes | None:
            with conn.transaction():
                conn.execute("INSERT INTO arena_workstation (id) VALUES (%s) ON CONFLICT DO NOTHING", (workstation,))
                if conn.execute(
                        "INSERT INTO arena_file (workstation, name, last_seq, digest, data) VALUES (%s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING RETURNING 1", (workstation, name, last_seq(name), digest, data)
                ).fetchone():
                    return None
                return bytes(_one(conn.execute("SELECT digest FROM arena_file WHERE workstation = %s AND name = %s",
                                               (workstation, name))))

        existing = self._call(insert)
        if existing is not None and existing != digest:
            raise Collision(f"{self.where}: {workstation}/{name}")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    # -------------------------------------------------------------------------- moving from a share

    def digests(self, workstation: str) -> dict[str, bytes]:
        return {name: bytes(digest) for name, digest in self._call(lambda c: c.execute(
            "SELECT name, digest FROM arena_file WHERE workstation = %s", (workstation,)).fetchall())}

    # ----------------------------------------------------------------------------------- internals

    def _connect(self) -> psycopg.Connection:
        try:
            given = conninfo.conninfo_to_dict(self.url)
            params: dict[str, Any] = {**DEFAULTS, **given}
            if "options" in given:  # the URL's own settings (e.g. search_path) come after the timeouts
                params["options"] = f"{DEFAULTS['options']} {given['options']}"
        except psycopg.Error as error:
            raise ArenaError("sync.pg_bad_url", where=self.where, detail=_first_line(error)) from error
        self.conn = conn = psycopg.connect(**params, autocommit=True)
        if _one(conn.execute("SHOW synchronous_commit")) == "off":
            # a file counts as published once the server said so: it must survive the server's crash
            conn.execute("SET synchronous_commit = on")
        return conn

    def _call(self, action):  # noqa: ANN001, ANN202
        """Run one statement (or one transaction); every call is idempotent, so a connection lost on the way
        (a server restarted, a network that blinked) is reopened and the call repeated for a few seconds,
        as the file share retries a mount that blinks. Then it is one sentence and the sync stops."""
        from store.share import RETRY_DELAYS

        with self._talking():
            for delay in (*RETRY_DELAYS, None):
                try:
                    if self.conn is None or self.conn.closed:
                        self._connect()
                    return action(self.conn)
                except (pg_errors.DiskFull, pg_errors.InsufficientPrivilege, pg_errors.InvalidSchemaName,
                        pg_errors.LockNotAvailable, pg_errors.QueryCanceled):
                    raise
                except psycopg.OperationalError:
                    if delay is None or (self.conn is not None and not self.conn.closed and not self.conn.broken):
                        raise  # not the connection: an answer from the server, said as it is
                    if self.conn is not None:
                        self.conn.close()
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _ensure_tables(self, conn: psycopg.Connection) -> None:
        if _one(conn.execute("SELECT to_regclass('arena_file')")) is not None:
            return
        with conn.transaction():  # two workstations starting at once: one creates, the other waits
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('arena sync hub tables'))")
            conn.execute(SCHEMA_SQL)

    @contextmanager
    def _talking(self, connecting: bool = False) -> Iterator[None]:
        """Every server error as one sentence: what happened, where, what to do."""
        try:
            yield
        except pg_errors.DiskFull as error:
            raise ArenaError("sync.pg_full", where=self.where) from error
        except (pg_errors.InsufficientPrivilege, pg_errors.InvalidSchemaName) as error:
            raise ArenaError("sync.pg_denied", where=self.where, detail=_first_line(error)) from error
        except (pg_errors.LockNotAvailable, pg_errors.QueryCanceled) as error:  # lock_timeout, statement_timeout
            raise ArenaError("sync.pg_failed", where=self.where, detail=_first_line(error)) from error
        except (pg_errors.InvalidAuthorizationSpecification, pg_errors.InvalidPassword) as error:
            raise ArenaError("sync.pg_auth", where=self.where, detail=_first_line(error)) from error
        except psycopg.OperationalError as error:
            text = str(error)
            if any(s in text for s in ("authentication failed", "no password supplied", "no pg_hba.conf entry")) \
                    or ('role "' in text and "does not exist" in text):
                raise ArenaError("sync.pg_auth", where=self.where, detail=_first_line(error)) from error
            if connecting and ("invalid" in text and ("value" in text or "option" in text)):
                raise ArenaError("sync.pg_bad_url", where=self.where, detail=_first_line(error)) from error
            if connecting:
                raise ArenaError("sync.pg_connect", where=self.where, detail=_first_line(error)) from error
            raise ArenaError("sync.pg_lost", where=self.where, detail=_first_line(error)) from error
        except psycopg.Error as error:
            raise ArenaError("sync.pg_failed", where=self.where, detail=_first_line(error)) from error


def _one(cursor: psycopg.Cursor) -> Any:  # noqa: ANN401 -- a value from the server
    """The first column of the one row a statement returns."""
    row = cursor.fetchone()
    if row is None:
        raise psycopg.ProgrammingError("the statement returned no row")
    return row[0]


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    return re.sub(r"^connection failed: ", "", text)[:200]
