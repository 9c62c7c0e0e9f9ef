"""Child process for the crash test: marks people through the roll call's store function and reports
each mark on stdout only after `attendance.mark` has returned (committed). The parent SIGKILLs it."""
from __future__ import annotations

import datetime as dt
import sys

from store import attendance, calendar, db


def main() -> None:
    path, status, offset = sys.argv[1], sys.argv[2], int(sys.argv[3])
    database = db.open(path)
    activity_id = sys.argv[4]
    days = [d for d in calendar.workdays(dt.date(2026, 9, 1), dt.date(2026, 11, 24))]
    people = [r.participant_id for r in attendance.roll_call(database, activity_id, days[-1])]
    combos = [(p, d) for d in days for p in people]
    i = offset % len(combos)
    while True:
        pid, day = combos[i]
        attendance.mark(database, "omar.farah", pid, activity_id, day, status)
        sys.stdout.write(f"{pid} {day.isoformat()} {status}\n")
        sys.stdout.flush()
        i = (i + 1) % len(combos)


if __name__ == "__main__":
    main()
