"""Activities (with their weekday schedule) and enrolments of participants in them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from store import access, changes, validate
from store.db import Database
from store.i18n import ArenaError
from store.schema import WEEKDAYS


@dataclass(frozen=True)
class Activity:
    id: str
    name: str
    kind: str
    site: str
    hours: tuple[float, ...]
    capacity: int


def create(db: Database, login: str, name: str, hours: tuple[float, ...], *, kind: str = "", site: str = "",
           leader_login: str | None = None, capacity: int = 25) -> str:
    name = validate.text(name, "aktivitet", max_len=80, required=True)
    if len(hours) != 5:
        raise ArenaError("reg.bad_plan")
    values: dict = {"name": name, "kind": validate.text(kind, "kind", max_len=40),
                    "site": validate.text(site, "site", max_len=80), "capacity": int(capacity), "active": 1}
    for day, h in zip(WEEKDAYS, hours):
        h = validate.number(h)
        if not 0 <= h <= 12:
            raise ArenaError("att.bad_hours", max=12)
        values[f"hours_{day}"] = h
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ADMIN)
        if tx.conn.exec_driver_sql("SELECT 1 FROM activity WHERE name = ?", (name,)).first():
            raise ArenaError("act.exists", name=name)
        if leader_login:
            leader = tx.conn.exec_driver_sql("SELECT id FROM caseworker WHERE login = ?", (leader_login,)).scalar()
            if leader is None:
                raise ArenaError("acc.unknown_user", login=leader_login)
            values["leader_id"] = leader
        return changes.insert(tx, "activity", values)


def all_activities(db: Database) -> list[Activity]:
    cols = ", ".join(f"hours_{d}" for d in WEEKDAYS)
    with db.read() as conn:
        return [Activity(r[0], r[1], r[2], r[3], tuple(r[4:9]), r[9]) for r in conn.exec_driver_sql(
            f"SELECT id, name, kind, site, {cols}, capacity FROM activity WHERE active = 1 ORDER BY name")]


def enrol(db: Database, login: str, participant_id: str, activity_id: str, start: dt.date,
          end: dt.date | None = None) -> str:
    if end is not None and end < start:
        raise ArenaError("err.bad_date", value=end.isoformat())
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        for table, row_id in (("participant", participant_id), ("activity", activity_id)):
            if tx.conn.exec_driver_sql(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).first() is None:
                raise ArenaError("err.not_found", what=row_id[:40])
        return changes.insert(tx, "enrolment", {"participant_id": participant_id, "activity_id": activity_id,
                                                "start_date": start.isoformat(),
                                                "end_date": end.isoformat() if end else None})
