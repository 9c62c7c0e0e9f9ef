"""An open write transaction (`Tx`) and one statement straight to the driver (`run`).

Apart from `store.db` so that what runs inside a transaction – the change log, the settings, the
migrations that log changes – needs nothing of the engine factory, which needs the migrations: no
module imports itself back through another.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # SQLAlchemy stays off the app's way to its first screen (tests/test_startup.py)
    from sqlalchemy import Connection

from store.dbfile import IntegrityError


def driver(conn: Connection) -> Any:  # noqa: ANN401 -- sqlite3's connection, or the SQLCipher driver's
    """The DB-API connection under a SQLAlchemy one."""
    raw = conn.connection.driver_connection
    if raw is None:
        from sqlalchemy import exc

        raise exc.ResourceClosedError("the connection is closed")
    return raw


def run(conn: Connection, sql: str, params: tuple | list = ()) -> Any:
    """One statement straight to the driver, inside the connection's current transaction. For the hot
    path of a mark and the change log: SQLAlchemy's per-statement bookkeeping costs more than these
    indexed statements do. A broken constraint is raised as SQLAlchemy's IntegrityError, as elsewhere."""
    try:
        return driver(conn).execute(sql, params)
    except IntegrityError as error:
        from sqlalchemy import exc

        raise exc.IntegrityError(sql, params, error) from error


@dataclass
class Tx:
    """An open write transaction: the connection, who is writing, and from which workstation."""

    conn: Connection
    login: str
    workstation_id: str
    # What a rule read once and cannot change while this transaction lasts (who the user is, an activity's
    # session that day): a bulk import checks thousands of rows against the same few facts.
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    # A bulk chunk moves the change log's clock on in memory and writes it once, before it commits
    # (`changes.save_clock`); every other transaction writes it at each tick.
    clock_saved_later: bool = field(default=False, repr=False, compare=False)
    # A bulk import's transaction (`store.bulk`): what it reads of a person and the change log's last
    # entry is kept in `memo` (nothing else writes them while it holds the lock or its read snapshot; a
    # rollback to a savepoint forgets the memo, `forget`).
    bulk: bool = field(default=False, repr=False, compare=False)

    def forget(self) -> None:
        """After a rollback to a savepoint: what was remembered may be what was rolled back (the clock's
        state is kept: it only ever moves on)."""
        hlc = self.memo.get("hlc")
        self.memo.clear()
        if hlc is not None:
            self.memo["hlc"] = hlc

    def once(self, key: Any, read: Any) -> Any:
        """`read()` the first time `key` is asked in this transaction, the remembered answer after."""
        try:
            return self.memo[key]
        except KeyError:
            value = self.memo[key] = read()
            return value
