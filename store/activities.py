"""Activities, their sessions (with weekday hours that change from a date on) and enrolments.

An activity (e.g. "Jobbsök") meets in one or more sessions (e.g. "fm" 08:30–12:00 and "em" 13:00–16:00),
each with its own hours per weekday, capacity and optional end date. Hours are versioned in
`session_hours`: a change applies from a date on, so the roll calls, reports and figures of earlier days
keep the hours they had. An activity created with one schedule, and every activity from before
sessions existed, has one all-day session whose id is the activity's own id.

A person is enrolled in one session for a period; the roll call of a day is built from the enrolments
valid that day. Capacity is enforced per session (an override needs a reason, kept on the enrolment
and in the access log), and nobody is enrolled in two sessions that meet at the same time.
Every write goes through `store.changes`, so it syncs.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import Connection

from store import access, audit, changes, clock, rows, validate
from store.db import Database, Tx, run
from store.i18n import ArenaError
from store.schema import SESSION_HOURS_ALWAYS
from store.tables import WEEKDAYS

class SessionFull(ArenaError):
    """The session has no place left: enrolling anyway needs a reason (kept and logged)."""


_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$")


@dataclass(frozen=True)
class SessionSpec:
    """What an administrator types for one session: name, times, hours per weekday, capacity."""

    name: str
    hours: tuple[float, ...]
    start: str = ""
    end: str = ""
    capacity: int | None = None
    end_date: dt.date | None = None


@dataclass(frozen=True)
class ActivitySession:
    id: str
    activity_id: str
    activity: str
    name: str
    start: str
    end: str
    capacity: int
    end_date: str | None
    hours: tuple[float, ...]  # valid on the day asked about
    enrolled: int = 0  # enrolments valid on that day

    @property
    def times(self) -> str:
        return f"{self.start}–{self.end}" if self.start and self.end else ""

    @property
    def title(self) -> str:
        """'Jobbsök fm 08:30–12:00', or the bare activity name for an all-day session."""
        return " ".join(part for part in (self.activity, self.name, self.times) if part)


@dataclass(frozen=True)
class Activity:
    id: str
    name: str
    kind: str
    site: str
    hours: tuple[float, ...]  # of its first session today (what a one-session activity meets)
    capacity: int
    leader_login: str | None = None
    sessions: list[ActivitySession] = field(default_factory=list)
    closed: bool = False


# ------------------------------------------------------------------------------------------- checks

def _hours(hours: tuple[float, ...] | list) -> dict[str, float]:
    if len(hours) != 5:
        raise ArenaError("reg.bad_plan")
    values = {}
    for day, h in zip(WEEKDAYS, hours):
        h = validate.number(h)
        if not 0 <= h <= 12 or (h * 2) != int(h * 2):
            raise ArenaError("att.bad_hours", max=12)
        values[f"hours_{day}"] = h
    return values


def parse_hours(text: str) -> tuple[float, ...]:
    """'6 6 6 6 4' or '6,6,6,6,4' (Swedish decimal commas inside a value: '3,5 3,5 …')."""
    parts = text.replace(";", " ").split()
    if len(parts) == 1 and parts[0].count(",") == 4:
        parts = parts[0].split(",")
    if len(parts) != 5:
        raise ArenaError("reg.bad_plan")
    return tuple(validate.number(p) for p in parts)


def parse_session(text: str, default_hours: str | None = None) -> SessionSpec:
    """'fm=08:30-12:00/3.5,3.5,3.5,3.5,3.5/12': name, times, hours Monday–Friday (optional: the length
    of the session every weekday), places (optional: the activity's capacity)."""
    name, _, rest = text.partition("=")
    parts = rest.split("/") if rest else [""]
    times = parts[0]
    start, _, end = times.partition("-")
    start, end = check_times(start, end)
    if len(parts) > 1 and parts[1].strip():
        hours = parse_hours(parts[1])
    elif default_hours:
        hours = parse_hours(default_hours)
    elif start and end:
        h0, m0 = map(int, start.split(":"))
        h1, m1 = map(int, end.split(":"))
        length = round(((h1 * 60 + m1) - (h0 * 60 + m0)) / 30) / 2  # in half hours, as marks are
        hours = (length,) * 5
    else:
        raise ArenaError("reg.bad_plan")
    capacity = int(validate.number(parts[2])) if len(parts) > 2 and parts[2].strip() else None
    return SessionSpec(name.strip(), hours, start, end, capacity)


def parse_time(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    m = _TIME.match(value)
    if not m:
        raise ArenaError("act.bad_time", value=value[:20])
    return f"{int(m[1]):02d}:{m[2]}"


def check_times(start: str, end: str) -> tuple[str, str]:
    start, end = parse_time(start), parse_time(end)
    if bool(start) != bool(end) or (start and start >= end):
        raise ArenaError("act.bad_times", start=start or "–", end=end or "–")
    return start, end


def tidy_name(text: str | None) -> str:
    """An activity's or a session's name as kept: trimmed, inner whitespace collapsed to one space."""
    return " ".join((text or "").split())


def name_key(text: str | None) -> str:
    """The one name rule: two names are the same activity (or session) when their keys are equal --
    trimmed, whitespace collapsed, Unicode-normalised and fully case-folded ('JOBBSÖK' is 'Jobbsök')."""
    return unicodedata.normalize("NFKC", tidy_name(text)).casefold()


def activity_named(conn: Connection, name: str, except_id: str | None = None) -> str | None:
    """The id of the activity whose name is `name` by the name rule, or None."""
    key = name_key(name)
    for r in conn.exec_driver_sql("SELECT id, name FROM activity"):
        if r.id != except_id and name_key(r.name) == key:
            return str(r.id)
    return None


def names_to_ids(conn: Connection) -> dict[str, str | None]:
    """Every activity by its name key, for the imports; None where two activities (made before the name
    rule, or on two workstations) share a key, so a row naming it is refused rather than guessed."""
    found: dict[str, str | None] = {}
    for r in conn.exec_driver_sql("SELECT id, name FROM activity"):
        key = name_key(r.name)
        found[key] = None if key in found else r.id
    return found


def activity_id_in(known: dict[str, str | None], name: str) -> str:
    """The activity a file's row names, by the name rule; unknown or ambiguous is refused."""
    key = name_key(name)
    if key in known and known[key] is None:
        raise ArenaError("act.ambiguous", name=name[:60])
    aid = known.get(key)
    if aid is None:
        raise ArenaError("att.unknown_activity", value=name[:60])
    return aid


def session_named(conn: Connection, activity_id: str, name: str, except_id: str | None = None) -> str | None:
    """The id of the activity's session named `name` by the name rule, or None."""
    key = name_key(name)
    for r in conn.exec_driver_sql("SELECT id, name FROM activity_session WHERE activity_id = ?", (activity_id,)):
        if r.id != except_id and name_key(r.name) == key:
            return str(r.id)
    return None


def check_hours_fit(hours: tuple[float, ...], start: str, end: str) -> None:
    """Hours a day cannot be more than the session lasts (08:30–12:00 holds at most 3.5)."""
    if not (start and end):
        return  # an all-day session: no times to measure against
    h0, m0 = map(int, start.split(":"))
    h1, m1 = map(int, end.split(":"))
    length = ((h1 * 60 + m1) - (h0 * 60 + m0)) / 60
    over = [h for h in hours if h > length + 1e-9]
    if over:
        raise ArenaError("act.hours_over_session", hours=f"{max(over):g}".replace(".", ","),
                         times=f"{start}–{end}", length=f"{length:g}".replace(".", ","))


def session_id_for(activity_id: str, name: str) -> str:
    """The session's id: the activity's own id for its all-day session (named ''), else derived from the
    name, so the same session added on two workstations is one row after the sync."""
    return activity_id if not name else changes.natural_id("activity_session", activity_id, name.casefold())


def _leader(tx: Tx, leader_login: str | None) -> str | None:
    if not leader_login:
        return None
    leader = tx.conn.exec_driver_sql("SELECT id FROM caseworker WHERE login = ?", (leader_login,)).scalar()
    if leader is None:
        raise ArenaError("acc.unknown_login", login=leader_login[:64])
    return leader


# ------------------------------------------------------------------------------------------ writing

def create(db: Database, login: str, name: str, hours: tuple[float, ...] | None = None, *, kind: str = "",
           site: str = "", leader_login: str | None = None, capacity: int = 25,
           sessions: list[SessionSpec] | None = None) -> str:
    """A new activity: with `hours` one all-day session, or the named `sessions`."""
    name = tidy_name(validate.text(name, "activity", max_len=80, required=True))
    if sessions is None:
        sessions = [SessionSpec("", tuple(hours if hours is not None else (0, 0, 0, 0, 0)))]
    if not sessions:
        raise ArenaError("act.no_sessions")
    capacity = _capacity(capacity)
    values: dict = {"name": name, "kind": validate.text(kind, "kind", max_len=40),
                    "site": validate.text(site, "site", max_len=80), "capacity": capacity, "active": 1}
    values.update(_hours(sessions[0].hours))  # the legacy columns: what the first session meets
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ADMIN)
        if activity_named(tx.conn, name):
            raise ArenaError("act.exists", name=name)
        values["leader_id"] = _leader(tx, leader_login)
        aid = changes.insert(tx, "activity", values)
        for spec in sessions:
            _add_session(tx, aid, spec, capacity)
        return aid


def _capacity(value: object) -> int:
    number = validate.number(value)
    if number != int(number) or not 1 <= number <= 1000:
        raise ArenaError("act.bad_capacity", value=str(value)[:20])
    return int(number)


def _add_session(tx: Tx, activity_id: str, spec: SessionSpec, default_capacity: int) -> str:
    name = tidy_name(validate.text(spec.name, "session", max_len=20))
    start, end = check_times(spec.start, spec.end)
    check_hours_fit(spec.hours, start, end)
    sid = session_id_for(activity_id, name)
    if tx.conn.exec_driver_sql("SELECT 1 FROM activity_session WHERE id = ?", (sid,)).first() \
            or session_named(tx.conn, activity_id, name):
        raise ArenaError("act.session_exists", name=name or "–")
    changes.upsert(tx, "activity_session", sid, {
        "activity_id": activity_id, "name": name, "start_time": start, "end_time": end,
        "capacity": _capacity(spec.capacity if spec.capacity is not None else default_capacity),
        "end_date": spec.end_date.isoformat() if spec.end_date else None, "active": 1})
    _set_hours(tx, sid, spec.hours, None)
    return sid


def _set_hours(tx: Tx, session_id: str, hours: tuple[float, ...], valid_from: dt.date | None) -> None:
    since = valid_from.isoformat() if valid_from else SESSION_HOURS_ALWAYS
    changes.upsert(tx, "session_hours", changes.natural_id("session_hours", session_id, since),
                   {"session_id": session_id, "valid_from": since, **_hours(hours)})


def add_session(db: Database, login: str, activity_id: str, spec: SessionSpec) -> str:
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ADMIN)
        capacity = tx.conn.exec_driver_sql("SELECT capacity FROM activity WHERE id = ?", (activity_id,)).scalar()
        if capacity is None:
            raise ArenaError("err.not_found", what=activity_id[:40])
        return _add_session(tx, activity_id, spec, capacity)


def edit(db: Database, login: str, activity_id: str, *, name: str | None = None, kind: str | None = None,
         site: str | None = None, leader_login: str | None = None, capacity: int | None = None) -> dict:
    """Change an activity's own fields; `leader_login=''` removes the leader. Returns what changed."""
    values: dict = {}
    if name is not None:
        values["name"] = tidy_name(validate.text(name, "activity", max_len=80, required=True))
    if kind is not None:
        values["kind"] = validate.text(kind, "kind", max_len=40)
    if site is not None:
        values["site"] = validate.text(site, "site", max_len=80)
    if capacity is not None:
        values["capacity"] = _capacity(capacity)
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ADMIN)
        if tx.conn.exec_driver_sql("SELECT 1 FROM activity WHERE id = ?", (activity_id,)).first() is None:
            raise ArenaError("err.not_found", what=activity_id[:40])
        if "name" in values and activity_named(tx.conn, values["name"], except_id=activity_id):
            raise ArenaError("act.exists", name=values["name"])
        if leader_login is not None:
            values["leader_id"] = _leader(tx, leader_login)
        return changes.upsert(tx, "activity", activity_id, values) if values else {}


def edit_session(db: Database, login: str, session_id: str, *, name: str | None = None,
                 start: str | None = None, end: str | None = None, capacity: int | None = None,
                 end_date: dt.date | None | str = "", hours: tuple[float, ...] | None = None,
                 valid_from: dt.date | None = None) -> None:
    """Change a session. New hours apply from `valid_from` on (default: today), so earlier days keep
    theirs; `end_date=None` reopens a session, a date ends it after that day."""
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ADMIN)
        row = tx.conn.exec_driver_sql("SELECT activity_id, name, start_time, end_time FROM activity_session"
                                      " WHERE id = ?", (session_id,)).mappings().first()
        if row is None:
            raise ArenaError("err.not_found", what=session_id[:40])
        values: dict = {}
        if name is not None:
            values["name"] = tidy_name(validate.text(name, "session", max_len=20))
            if session_named(tx.conn, row["activity_id"], values["name"], except_id=session_id):
                raise ArenaError("act.session_exists", name=values["name"] or "–")
        if start is not None or end is not None:
            values["start_time"], values["end_time"] = check_times(
                row["start_time"] if start is None else start, row["end_time"] if end is None else end)
        times: tuple[str, str] = (values.get("start_time", row["start_time"]), values.get("end_time", row["end_time"]))
        if hours is not None or start is not None or end is not None:
            check_hours_fit(hours if hours is not None else week_hours(tx.conn, session_id, valid_from or clock.today()),
                            *times)
        if capacity is not None:
            values["capacity"] = _capacity(capacity)
        if end_date != "":
            values["end_date"] = validate.date(end_date).isoformat() if end_date else None
        if values:
            changes.upsert(tx, "activity_session", session_id, values)
        if hours is not None:
            _set_hours(tx, session_id, hours, valid_from or clock.today())


def close(db: Database, login: str, activity_id: str, last_day: dt.date) -> int:
    """The activity ends after `last_day`: its sessions end then, and so do the enrolments still open
    after it (their marks stay). Returns how many enrolments were ended."""
    iso = last_day.isoformat()
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ADMIN)
        if tx.conn.exec_driver_sql("SELECT 1 FROM activity WHERE id = ?", (activity_id,)).first() is None:
            raise ArenaError("err.not_found", what=activity_id[:40])
        for r in tx.conn.exec_driver_sql("SELECT id, end_date FROM activity_session WHERE activity_id = ?",
                                         (activity_id,)).all():
            if r.end_date is None or r.end_date > iso:
                changes.upsert(tx, "activity_session", r.id, {"end_date": iso})
        ended = 0
        for r in tx.conn.exec_driver_sql(
                "SELECT id, start_date FROM enrolment WHERE activity_id = ? AND (end_date IS NULL OR end_date > ?)",
                (activity_id, iso)).all():
            changes.upsert(tx, "enrolment", r.id, {"end_date": max(iso, r.start_date)})
            ended += 1
        return ended


# ------------------------------------------------------------------------------------------ reading

def hours_sql(day: dt.date, session: str = "s.id") -> str:
    """SQL for a session's hours on `day`: the newest version valid then (0 on weekends)."""
    if day.weekday() >= 5:
        return "0"
    return (f"coalesce((SELECT h.hours_{WEEKDAYS[day.weekday()]} FROM session_hours h WHERE h.session_id = {session}"
            f" AND h.valid_from <= '{day.isoformat()}' ORDER BY h.valid_from DESC LIMIT 1), 0)")


def week_hours(conn: Connection, session_id: str, day: dt.date) -> tuple[float, ...]:
    """The session's hours per weekday (Monday first) in the version valid on `day`; all 0 before any."""
    row = run(conn, f"SELECT {', '.join('hours_' + d for d in WEEKDAYS)} FROM session_hours"
                    " WHERE session_id = ? AND valid_from <= ? ORDER BY valid_from DESC LIMIT 1",
              (session_id, day.isoformat())).fetchone()
    return tuple(row) if row else (0.0,) * len(WEEKDAYS)  # the whole row: the weekdays in order, by name


def open_sessions(db: Database, day: dt.date) -> list[ActivitySession]:
    """Every session running on `day`, with enrolled of capacity (for choosing where to enrol)."""
    with db.read() as conn:
        return sessions_of(conn, None, day)


def sessions_of_activity(db: Database, activity_id: str, day: dt.date) -> list[ActivitySession]:
    """An activity's sessions on `day`, ended ones included (`arena activities` editing sessions by name)."""
    with db.read() as conn:
        return sessions_of(conn, activity_id, day, include_ended=True)


def sessions_of(conn: Connection, activity_id: str | None, day: dt.date, *, include_ended: bool = False,
                session_id: str | None = None) -> list[ActivitySession]:
    iso = day.isoformat()
    sql = ("SELECT s.id AS id, s.activity_id AS activity_id, a.name AS activity, s.name AS name,"
           ' s.start_time AS start, s.end_time AS "end", s.capacity AS capacity, s.end_date AS end_date,'
           " (SELECT count(*) FROM enrolment e WHERE e.session_id = s.id AND e.start_date <= ?1"
           "   AND (e.end_date IS NULL OR e.end_date >= ?1)) AS enrolled"
           " FROM activity_session s JOIN activity a ON a.id = s.activity_id WHERE s.active = 1")
    params: list = [iso]
    if activity_id is not None:
        sql += " AND s.activity_id = ?2"
        params.append(activity_id)
    if session_id is not None:
        sql += f" AND s.id = ?{len(params) + 1}"
        params.append(session_id)
    if not include_ended:
        sql += " AND (s.end_date IS NULL OR s.end_date >= ?1)"
    sql += " ORDER BY a.name COLLATE NOCASE, s.start_time, s.name COLLATE NOCASE"
    return [rows.named(ActivitySession, r, hours=week_hours(conn, r.id, day))
            for r in conn.exec_driver_sql(sql, tuple(params)).all()]


def all_activities(db: Database, *, include_closed: bool = False, day: dt.date | None = None) -> list[Activity]:
    """Activities with their sessions (as of `day`, default today); closed ones only when asked."""
    day = day or clock.today()
    with db.read() as conn:
        found = conn.exec_driver_sql(
            "SELECT a.id, a.name, a.kind, a.site, a.capacity, c.login AS leader_login FROM activity a"
            " LEFT JOIN caseworker c ON c.id = a.leader_id WHERE a.active = 1 ORDER BY a.name COLLATE NOCASE").all()
        result = []
        for r in found:
            every = sessions_of(conn, r.id, day, include_ended=True)
            current = [s for s in every if s.end_date is None or s.end_date >= day.isoformat()]
            closed = bool(every) and not current
            if closed and not include_closed:
                continue
            shown = current or every
            hours = shown[0].hours if shown else (0.0,) * 5
            result.append(rows.named(Activity, r, hours=hours, sessions=shown, closed=closed))
    return result


def find(db: Database, name: str) -> str:
    """An activity's id by its name (the name rule: case, accents' case and spacing do not matter)."""
    with db.read() as conn:
        return activity_id_in(names_to_ids(conn), name or "")


def find_session(conn: Connection, activity_id: str, name: str | None, day: dt.date) -> str:
    """The session of an activity by name; without a name, its only session running on `day`."""
    if name:
        sid = session_named(conn, activity_id, name)
        if sid is None:
            raise ArenaError("act.unknown_session", name=name[:20])
        return sid
    if conn.exec_driver_sql("SELECT 1 FROM activity_session WHERE id = ?", (activity_id,)).first():
        return activity_id  # the all-day session
    running = [s.id for s in sessions_of(conn, activity_id, day)]
    if len(running) != 1:
        names = ", ".join(s.name for s in sessions_of(conn, activity_id, day)) or "–"
        raise ArenaError("act.choose_session", names=names)
    return running[0]


# ---------------------------------------------------------------------------------------- enrolment

@dataclass(frozen=True)
class Enrolment:
    id: str
    activity_id: str
    session_id: str
    title: str  # 'Jobbsök fm 08:30–12:00'
    start_date: str
    end_date: str | None


def _overlap(a: ActivitySession, b: ActivitySession) -> bool:
    """Two sessions meet at the same time: a common weekday with hours and times that cross. A session
    without times (an activity from before sessions had times) clashes with nothing: the roll call shows
    "present elsewhere" as a hint instead."""
    if not (a.start and b.start) or not any(x > 0 and y > 0 for x, y in zip(a.hours, b.hours)):
        return False
    return a.start < b.end and b.start < a.end


def _enrolled_at(conn: Connection, session_id: str, day: str, skip: str | None) -> int:
    return conn.exec_driver_sql(
        "SELECT count(*) FROM enrolment WHERE session_id = ? AND start_date <= ? AND (end_date IS NULL OR end_date >= ?)"
        " AND id != ?", (session_id, day, day, skip or "")).scalar_one()


def _check_enrolment(tx: Tx, participant_id: str, session: ActivitySession, start: dt.date, end: dt.date | None,
                     reason: str, skip: str | None = None) -> None:
    s_iso, e_iso = start.isoformat(), (end.isoformat() if end else "9999-12-31")
    # capacity: the most people enrolled on any day of the period (counts change only at a start date)
    starts = {s_iso} | set(tx.conn.exec_driver_sql(
        "SELECT start_date FROM enrolment WHERE session_id = ? AND start_date > ? AND start_date <= ?",
        (session.id, s_iso, e_iso)).scalars())
    most = max(_enrolled_at(tx.conn, session.id, d, skip) for d in starts)
    if most >= session.capacity and not reason:
        raise SessionFull("act.full", session=session.title, n=most, capacity=session.capacity)
    # no two sessions of one person at the same time
    for other in tx.conn.exec_driver_sql(
            "SELECT session_id, start_date FROM enrolment WHERE participant_id = ? AND id != ?"
            " AND start_date <= ? AND (end_date IS NULL OR end_date >= ?)",
            (participant_id, skip or "", e_iso, s_iso)).all():
        when = max(start, dt.date.fromisoformat(other.start_date))
        found = sessions_of(tx.conn, None, when, include_ended=True, session_id=other.session_id)
        if other.session_id == session.id:
            raise ArenaError("act.already_enrolled", session=session.title, date=other.start_date)
        mine = sessions_of(tx.conn, None, when, include_ended=True, session_id=session.id)
        if found and mine and _overlap(mine[0], found[0]):
            raise ArenaError("act.overlap", session=session.title, other=found[0].title)
    if most >= session.capacity:
        audit.record(tx, "enrol_over_capacity", participant_id, reason,
                     f"{session.title} {most + 1}/{session.capacity}")


def enrol(db: Database, login: str, participant_id: str, activity_id: str, start: dt.date,
          end: dt.date | None = None, *, session: str | None = None, reason: str = "") -> str:
    """Enrol a person in a session (by name; an activity's only session without one) from `start`.
    A full session needs a `reason` (logged); overlapping sessions are refused."""
    if end is not None and end < start:
        raise ArenaError("enr.to_before_from", end=end.isoformat(), start=start.isoformat())
    reason = validate.text(reason, "reason", max_len=200)
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        if tx.conn.exec_driver_sql("SELECT 1 FROM participant WHERE id = ?", (participant_id,)).first() is None:
            raise ArenaError("err.not_found", what=participant_id[:40])
        if tx.conn.exec_driver_sql("SELECT 1 FROM activity WHERE id = ?", (activity_id,)).first() is None:
            raise ArenaError("err.not_found", what=activity_id[:40])
        return enrol_in(tx, participant_id, activity_id, find_session(tx.conn, activity_id, session, start),
                         start, end, reason)


def enrol_in(tx: Tx, participant_id: str, activity_id: str, session_id: str, start: dt.date, end: dt.date | None,
             reason: str, skip: str | None = None) -> str:
    found = sessions_of(tx.conn, activity_id, start, include_ended=True, session_id=session_id)
    if not found:
        raise ArenaError("act.unknown_session", name=session_id[:20])
    s = found[0]
    if s.end_date and s.end_date < start.isoformat():
        raise ArenaError("act.session_ended", session=s.title, date=s.end_date)
    referral = tx.conn.exec_driver_sql("SELECT referral_date FROM participant WHERE id = ?",
                                       (participant_id,)).scalar()
    if referral and start.isoformat() < referral:
        raise ArenaError("act.before_referral", start=start.isoformat(), referral=referral)
    _check_enrolment(tx, participant_id, s, start, end, reason, skip)
    return changes.insert(tx, "enrolment", {
        "participant_id": participant_id, "activity_id": activity_id, "session_id": session_id,
        "start_date": start.isoformat(), "end_date": end.isoformat() if end else None,
        "capacity_reason": reason if s.enrolled >= s.capacity or reason else ""})


def change_session_in(tx: Tx, enrolment_id: str, session_id: str, reason: str = "") -> None:
    """Put an enrolment in another session of its activity for its whole period (a move before anything
    ran in the old one), checked as an enrolment is; the change log keeps the old session."""
    row = tx.conn.exec_driver_sql("SELECT participant_id, activity_id, start_date, end_date FROM enrolment"
                                  " WHERE id = ?", (enrolment_id,)).first()
    if row is None:
        raise ArenaError("err.not_found", what=enrolment_id[:40])
    start = dt.date.fromisoformat(row.start_date)
    found = sessions_of(tx.conn, row.activity_id, start, include_ended=True, session_id=session_id)
    if not found:
        raise ArenaError("act.unknown_session", name=session_id[:20])
    end = dt.date.fromisoformat(row.end_date) if row.end_date else None
    _check_enrolment(tx, row.participant_id, found[0], start, end, reason, skip=enrolment_id)
    changes.upsert(tx, "enrolment", enrolment_id, {"session_id": session_id,
                                                   **({"capacity_reason": reason} if reason else {})})


def end_enrolment(db: Database, login: str, enrolment_id: str, last_day: dt.date) -> None:
    """The enrolment ends after `last_day` (its marks stay)."""
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        first = tx.conn.exec_driver_sql("SELECT start_date FROM enrolment WHERE id = ?", (enrolment_id,)).scalar()
        if first is None:
            raise ArenaError("err.not_found", what=enrolment_id[:40])
        if last_day.isoformat() < first:
            raise ArenaError("act.end_before_start", date=first)
        changes.upsert(tx, "enrolment", enrolment_id, {"end_date": last_day.isoformat()})


def unenrol(db: Database, login: str, participant_id: str, activity_id: str, session: str | None,
            last_day: dt.date) -> int:
    """End the person's enrolments in the activity (or its named session) still open after `last_day`
    (their marks stay); the same right as enrolling. Returns how many ended; none open is refused."""
    iso = last_day.isoformat()
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        sid = find_session(tx.conn, activity_id, session, last_day) if session else None
        open_ones = [r.id for r in tx.conn.exec_driver_sql(
            "SELECT id, session_id FROM enrolment WHERE participant_id = ? AND activity_id = ? AND start_date <= ?"
            " AND (end_date IS NULL OR end_date > ?)", (participant_id, activity_id, iso, iso)).all()
            if sid is None or r.session_id == sid]
        for eid in open_ones:
            changes.upsert(tx, "enrolment", eid, {"end_date": iso})
        return len(open_ones)


def move(db: Database, login: str, enrolment_id: str, session_id: str, from_day: dt.date, reason: str = "") -> str:
    """Move an enrolment to another session from `from_day` on: the old one ends the day before, the new
    one starts then (same end date). Returns the new enrolment's id."""
    reason = validate.text(reason, "reason", max_len=200)
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        row = tx.conn.exec_driver_sql("SELECT participant_id, start_date, end_date, session_id FROM enrolment"
                                      " WHERE id = ?", (enrolment_id,)).first()
        if row is None:
            raise ArenaError("err.not_found", what=enrolment_id[:40])
        pid, start, end, current = row.participant_id, row.start_date, row.end_date, row.session_id
        target = tx.conn.exec_driver_sql("SELECT activity_id FROM activity_session WHERE id = ?", (session_id,)).scalar()
        if target is None:
            raise ArenaError("act.unknown_session", name=session_id[:20])
        if session_id == current:  # said by its name, as everywhere (it said the session's id)
            found = sessions_of(tx.conn, None, max(from_day, dt.date.fromisoformat(start)), include_ended=True,
                                session_id=session_id)
            raise ArenaError("act.already_enrolled", session=found[0].title if found else "?", date=start)
        from_iso = max(from_day.isoformat(), start)
        if end is not None and from_iso > end:
            raise ArenaError("act.end_before_start", date=from_iso)
        new = enrol_in(tx, pid, target, session_id, dt.date.fromisoformat(from_iso),
                        dt.date.fromisoformat(end) if end else None, reason, skip=enrolment_id)
        # moved on (or before) its first day: the old enrolment ends the day before it starts, i.e. it never
        # ran and is on no roll call, but stays in the history
        before = (dt.date.fromisoformat(from_iso) - dt.timedelta(days=1)).isoformat()
        changes.upsert(tx, "enrolment", enrolment_id, {"end_date": before})
        return new


def enrolments(db: Database, login: str, participant_id: str) -> list[Enrolment]:
    """One person's enrolments, current and past, newest first: for a caseworker whose caseload it is or who
    opened the case today with a reason, and administrators (`access.require_case`); never a leader."""
    today = clock.today()
    with db.read() as conn:
        access.require_case(conn, login, participant_id)
        found = conn.exec_driver_sql(
            "SELECT e.id, e.activity_id, e.session_id, e.start_date, e.end_date FROM enrolment e"
            " WHERE e.participant_id = ? ORDER BY (e.end_date IS NULL) DESC, e.end_date DESC, e.start_date DESC",
            (participant_id,)).all()
        result = []
        for r in found:
            session = sessions_of(conn, r.activity_id, today, include_ended=True, session_id=r.session_id)
            result.append(rows.named(Enrolment, r, title=session[0].title if session else "?"))
    return result
