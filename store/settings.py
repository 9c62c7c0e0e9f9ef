"""The `setting` table: this workstation's local key/value pairs (never synced), and the programme
settings an administrator tunes (`arena settings KEY VALUE`, store.staff.set_setting) with their defaults."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # SQLAlchemy stays off the app's way to its first screen (tests/test_startup.py)
    from sqlalchemy import Connection

from store import rows
from store.tx import run


class Database(Protocol):
    """What these functions need of store.db.Database (which needs this module: no import back)."""

    def read(self) -> AbstractContextManager[Connection]: ...


# What an administrator may set, with the value that holds until they do (whole numbers, at least 1).
DEFAULTS = {
    "alert.stale_days": "60",  # days without a change to a case's milestones before it is flagged
    "alert.plan_days": "30",  # days after the referral without an action plan before it is flagged
    "alert.silent_days": "30",  # days without a mark, note or milestone before a person is listed as silent
    "lock.idle_minutes": "10",  # minutes without a key press before the screen locks
    "sync.snapshot_every": "20000",  # ops no snapshot covers before this workstation writes one
}
# The values that make sense (a lock after 0 or -5 minutes, or after two centuries, is no lock).
RANGE = {
    "alert.stale_days": (1, 3650), "alert.plan_days": (1, 3650), "alert.silent_days": (1, 3650),
    "lock.idle_minutes": (1, 240), "sync.snapshot_every": (1, 10_000_000),
}


def read(conn: Connection, key: str) -> str | None:
    return rows.scalar(run(conn, "SELECT value FROM setting WHERE key = ?", (key,)))


def value(db: Database, key: str) -> str:
    """A programme setting: what an administrator set, or its default."""
    with db.read() as conn:
        stored = read(conn, key)
    return DEFAULTS[key] if stored is None else stored


def threshold(db: Database, key: str) -> int:
    """A programme setting as a whole number of at least 1 (its default if what is stored is not a number)."""
    try:
        return max(int(value(db, key)), 1)
    except ValueError:
        return int(DEFAULTS[key])


def write(conn: Connection, key: str, value: str) -> None:
    run(conn, "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value))
