"""The `setting` table: this workstation's local key/value pairs (never synced)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy stays off the app's way to its first screen (tests/test_startup.py)
    from sqlalchemy import Connection

from store.tx import run


def read(conn: Connection, key: str) -> str | None:
    row = run(conn, "SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def write(conn: Connection, key: str, value: str) -> None:
    run(conn, "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value))
