"""The `setting` table: this workstation's local key/value pairs (never synced)."""
from __future__ import annotations

from sqlalchemy import Connection


def read(conn: Connection, key: str) -> str | None:
    row = conn.exec_driver_sql("SELECT value FROM setting WHERE key = ?", (key,)).first()
    return row[0] if row else None


def write(conn: Connection, key: str, value: str) -> None:
    conn.exec_driver_sql("INSERT INTO setting (key, value) VALUES (?, ?)"
                         " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
