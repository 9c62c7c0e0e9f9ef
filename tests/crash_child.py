"""The child of the crash test (run through tests/fork_server.py): it marks people through the roll
call's store function and reports each mark on stdout only after `attendance.mark` has returned
(committed). The parent SIGKILLs it."""
from __future__ import annotations

import datetime as dt
import os

from store import attendance, calendar, db

DAYS = (dt.date(2026, 9, 1), dt.date(2026, 11, 24))


def warm(path: str, activity_id: str) -> None:
    """What every child would do first, done once in the fork server (holiday tables, SQLAlchemy's
    caches); the engine is disposed, so no connection crosses the fork."""
    database = db.open(path)
    attendance.roll_call(database, "omar.farah", activity_id, list(calendar.workdays(*DAYS))[-1])
    database.dispose()


def mark_until_killed(path: str, activity_id: str, status: str, offset: int) -> None:
    database = db.open(path)
    days = list(calendar.workdays(*DAYS))
    people = [r.participant_id for r in attendance.roll_call(database, "omar.farah", activity_id, days[-1])]
    combos = [(p, d) for d in days for p in people]
    i = offset % len(combos)
    while True:
        pid, day = combos[i]
        attendance.mark(database, "omar.farah", pid, activity_id, day, status)
        os.write(1, f"{pid} {day.isoformat()} {status}\n".encode())  # one write: a line is whole or absent
        i = (i + 1) % len(combos)


def open_database(path: str) -> None:
    """The child of the migration test: opens (and so encrypts in place) a plain database until killed."""
    db.open(path).dispose()
    os.write(1, b"opened\n")
