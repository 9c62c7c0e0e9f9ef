"""Gallring: removing cases whose last entry is more than five years old.

The rule (DOMAIN.md): a case is removed when its last entry is more than five years before the reference
day, except for people born on day 5, 15 or 25 of a month (kept for research). What counts as an entry:
the referral, registration, exit, every attendance mark, milestone, note and enrolment date of the case.

Removal goes through the change log as *purge tombstones* (a delete without the old values), so every
workstation removes the case at its next sync and no personal data travels in the tombstone. The earlier
change-log entries of the removed rows are emptied here and wherever the tombstone arrives (an emptied entry sets nothing when
the merge replays it). Files already on the share keep their encrypted copies until the share is
compacted (README, sync). A deletion log keeps internal id, dates and counts: no personal data.
The access log (audit_event) is kept: it holds internal ids, not personal data, and has its own rules.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Connection

from store import access, changes, clock
from store.db import Database, Tx

YEARS = 5
RESEARCH_DAYS = ("05", "15", "25")
# child tables first, so no row is ever left pointing at a removed one
CHILDREN = (("attendance", "date DESC"), ("enrolment", "start_date DESC"), ("milestone", "updated_at DESC"),
            ("note", "created_at DESC"), ("plan_period", "valid_until DESC"))


@dataclass(frozen=True)
class Candidate:
    participant_id: str
    last_entry: str
    counts: dict[str, int]


@dataclass(frozen=True)
class Plan:
    as_of: dt.date
    cutoff: dt.date  # last entries before this day go
    remove: list[Candidate]
    kept_for_research: int


def cutoff_for(as_of: dt.date) -> dt.date:
    try:
        return as_of.replace(year=as_of.year - YEARS)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - YEARS, day=28)


_LAST_ENTRY = """
SELECT p.id, coalesce(substr(p.birth_date, 9, 2),  -- unknown birth date: the day the number gives, if any
  printf('%02d', CAST(substr(p.personnummer, 7, 2) AS INTEGER) % 60)) AS birth_day,
  max(p.referral_date, substr(p.created_at, 1, 10), coalesce(p.exit_date, ''),
      coalesce((SELECT max(date) FROM attendance WHERE participant_id = p.id), ''),
      coalesce((SELECT max(max(coalesce(planned_date, '')), max(coalesce(achieved_date, '')),
                           max(substr(updated_at, 1, 10))) FROM milestone WHERE participant_id = p.id), ''),
      coalesce((SELECT max(substr(created_at, 1, 10)) FROM note WHERE participant_id = p.id), ''),
      coalesce((SELECT max(max(start_date), max(coalesce(end_date, ''))) FROM enrolment
                WHERE participant_id = p.id), '')) AS last_entry
FROM participant p
"""


def plan(db: Database, login: str, as_of: dt.date | None = None) -> Plan:
    """What gallring on `as_of` (default today) would remove; reads only."""
    as_of = as_of or clock.today()
    cutoff = cutoff_for(as_of)
    with db.read() as conn:
        access.require(conn, login, access.ADMIN)
        old = conn.exec_driver_sql(
            f"SELECT * FROM ({_LAST_ENTRY}) WHERE last_entry < ? ORDER BY last_entry, id", (cutoff.isoformat(),)).all()
        remove = [Candidate(r.id, r.last_entry, _counts(conn, r.id)) for r in old if r.birth_day not in RESEARCH_DAYS]
    return Plan(as_of, cutoff, remove, len(old) - len(remove))


def _counts(conn: Connection, pid: str) -> dict[str, int]:
    return {table: conn.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE participant_id = ?", (pid,)).scalar_one()
            for table, _ in CHILDREN}


def names(db: Database, login: str, participant_ids: list[str]) -> dict[str, str]:
    """'Surname, First name (number)' of each case gallring would remove, for the administrator's
    confirmation; a protected person is named by the internal id only."""
    from store.i18n import t

    out = {}
    with db.read() as conn:
        access.require(conn, login, access.ADMIN)
        for pid in participant_ids:
            r = conn.exec_driver_sql(
                "SELECT last_name || ', ' || first_name AS name, coalesce(personnummer, reserve_number, '') AS number,"
                " protected FROM participant WHERE id = ?", (pid,)).first()
            if r is not None:
                out[pid] = f"[{t('protected')}]" if r.protected else f"{r.name} ({r.number})" if r.number else r.name
    return out


def run(db: Database, login: str, as_of: dt.date | None = None, only: set[str] | None = None) -> Plan:
    """Remove what `plan` lists (with `only`: just those of them, the cases the administrator confirmed),
    one case per transaction; a case touched meanwhile is left alone."""
    planned = plan(db, login, as_of)
    done = []
    for candidate in planned.remove:
        if only is not None and candidate.participant_id not in only:
            continue
        with db.write(login) as tx:
            access.require(tx.conn, login, access.ADMIN)
            if not _still_old(tx.conn, candidate.participant_id, planned.cutoff):
                continue
            _remove(tx, candidate, planned.as_of)
            done.append(candidate)
    return Plan(planned.as_of, planned.cutoff, done, planned.kept_for_research)


def _still_old(conn: Connection, pid: str, cutoff: dt.date) -> bool:
    last = conn.exec_driver_sql(f"SELECT last_entry FROM ({_LAST_ENTRY}) WHERE id = ?", (pid,)).scalar()
    return last is not None and last < cutoff.isoformat()


def _remove(tx: Tx, candidate: Candidate, as_of: dt.date) -> None:
    pid = candidate.participant_id
    removed: list[tuple[str, str]] = []
    for table, order in CHILDREN:
        for row_id in tx.conn.exec_driver_sql(
                f"SELECT id FROM {table} WHERE participant_id = ? ORDER BY {order}, id", (pid,)).scalars().all():
            changes.purge(tx, table, row_id)
            removed.append((table, row_id))
    changes.purge(tx, "participant", pid)
    removed.append(("participant", pid))
    for table, row_id in removed:
        redact(tx.conn, table, row_id)
    tx.conn.exec_driver_sql(
        "INSERT INTO gallring_log (id, participant_id, last_entry, as_of, removed_at, removed_by, counts)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (changes.new_id(), pid, candidate.last_entry, as_of.isoformat(), clock.now().isoformat(), tx.login,
         json.dumps(candidate.counts, sort_keys=True)))


def redact(conn: Connection, table: str, row_id: str) -> None:
    """Empty the logged values of a removed row: here, and on every workstation the tombstone reaches.
    An emptied entry still holds its place in the sequence (no gap for the others to wait on) but sets
    nothing when the merge replays it."""
    conn.exec_driver_sql("UPDATE change_log SET changes = '{}' WHERE tbl = ? AND row_id = ? AND changes != '{}'",
                         (table, row_id))
    conn.exec_driver_sql("DELETE FROM conflict WHERE tbl = ? AND row_id = ?", (table, row_id))
