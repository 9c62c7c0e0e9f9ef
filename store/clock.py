"""What "today" and "now" are.

`ARENA_TODAY` (YYYY-MM-DD) pins the date for demos, snapshots and tests; otherwise the system clock.
"""
from __future__ import annotations

import datetime as dt
import os


def today() -> dt.date:
    pinned = os.environ.get("ARENA_TODAY")
    if pinned:
        return dt.date.fromisoformat(pinned)
    return dt.date.today()


def now() -> dt.datetime:
    """Local wall-clock time, second precision; on a pinned day, the pinned date with the real time."""
    real = dt.datetime.now().replace(microsecond=0)
    pinned = os.environ.get("ARENA_TODAY")
    if pinned:
        return dt.datetime.combine(dt.date.fromisoformat(pinned), real.time())
    return real


def iso_week(day: dt.date) -> int:
    return day.isocalendar()[1]


def week_monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
