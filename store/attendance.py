"""Attendance: the roll call's marks, session cancellations, the week grid and the CSV import.

`mark()` is the one function behind a key press in the roll call, a cell in the week grid and a row
of `arena import attendance`. It checks the rules, writes the row and its change-log entry in one
transaction and returns what is now stored; only then may a screen show the mark.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

from store import access, activities, calendar, changes, clock, identity, rows, tabular, validate
from store.db import Database, Tx, run
from store.i18n import ArenaError, Key, Message, language, num, t
from store.tables import ONE_OF, WEEKDAYS

STATUSES = ONE_OF["attendance"]["status"]
ABSENT = ("sick", "vab", "excused", "unexcused")
DEFAULT_REASON = {"sick": "SJUK", "vab": "VAB", "excused": "GILTIG", "unexcused": "OGILTIG"}
_ASCII = str.maketrans("ÅÄÖåäöÉé", "AAOaaoEe")


def code_key(text: str) -> str:
    """An absence code as a file may spell it: any case, å ä ö or without (`Läkare` is `LAKARE`)."""
    return " ".join((text or "").split()).upper().translate(_ASCII)


def one_line(note: str) -> str:
    """A note from a file as the roll call shows it: a line break in a quoted cell (Alt+Enter in Excel) is a space."""
    return re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", note or "")


def status_of(text: str) -> str:
    """A status as a paper list may spell it: the stored word (`present`) or the catalog's word in either
    language (`närvarande`, `Partial`), any case, with or without å ä ö; refused with the words of the
    reader's language."""
    wanted = code_key(text)
    found = _status_words().get(wanted) if wanted else None
    if found is None:
        raise ArenaError("att.bad_status", value=(text or "")[:40])
    return found


_STATUS_WORDS: dict[str, dict[str, str]] = {}


def _status_words() -> dict[str, str]:
    """Every word of a status (its code_key) -> the status, built once per catalog (an import asks it for
    every row; the catalog is installed at start-up, a store used without one knows only the codes)."""
    from store.i18n import text_in

    catalog = text_in("sv", "st.present")
    if catalog in _STATUS_WORDS:
        return _STATUS_WORDS[catalog]
    words = _STATUS_WORDS[catalog] = {}
    for status in STATUSES:  # in this order: the first status a word names wins, as before
        for word in [code_key(text_in(lang, f"{kind}.{status}")) for lang in ("sv", "en") for kind in ("st", "key")] + [
                code_key(status)]:
            words.setdefault(word, status)
    return words


@dataclass(frozen=True)
class Mark:
    status: str
    hours: float
    reason_code: str | None
    note: str
    recorded_by: str
    recorded_at: str
    late: bool
    cancelled: bool = False  # the session was cancelled: the mark is kept but counts for nothing


@dataclass(frozen=True)
class AbsenceCode:
    code: str
    category: str
    label_sv: str
    label_en: str
    excused: bool
    legal_ref: str

    @property
    def label(self) -> str:
        return self.label_sv if language() == "sv" else self.label_en


@dataclass(frozen=True)
class Session:
    """One activity session on one day: 'Jobbsök fm 08:30–12:00', its hours, enrolled and marked."""

    activity_id: str
    name: str  # the activity's name
    site: str
    hours: float
    enrolled: int
    marked: int
    cancelled: bool
    session_id: str = ""
    session: str = ""  # the session's name ('fm'); '' for an activity's one all-day session
    start: str = ""
    end: str = ""
    capacity: int = 0

    @property
    def short(self) -> str:
        """'Jobbsök fm': what fits in the session list (the roll call's header has the times)."""
        return f"{self.name} {self.session}" if self.session else self.name

    @property
    def title(self) -> str:
        times = f"{self.start}–{self.end}" if self.start and self.end else ""
        return " ".join(part for part in (self.name, self.session, times) if part)

    @property
    def state(self) -> str:
        if self.cancelled:
            return "cancelled"
        return "done" if self.enrolled and self.marked >= self.enrolled else "open"


@dataclass(frozen=True)
class RollRow:
    participant_id: str
    first_name: str
    last_name: str
    protected: bool
    planned_hours: float
    mark: Mark | None
    elsewhere: str | None  # name of another activity where the person is already marked present today
    edits: int = 0  # how many times this mark was changed after it was first recorded (see `_changes_of`)
    earlier: Mark | None = None  # the mark as it was before its last change

    @property
    def name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


def live_sql(alias: str = "t") -> str:
    """SQL condition: the mark belongs to a session that took place. Marks of a cancelled session are
    kept (un-cancelling brings them back) but count neither as hours nor as absence."""
    return (f"NOT EXISTS (SELECT 1 FROM session_cancel sc WHERE sc.session_id = {alias}.session_id"
            f" AND sc.date = {alias}.date)")


def absence_codes(db: Database) -> list[AbsenceCode]:
    with db.read() as conn:
        return [rows.named(AbsenceCode, r, excused=bool(r.excused)) for r in conn.exec_driver_sql(
            f"SELECT {rows.columns(AbsenceCode)} FROM absence_code ORDER BY sort, code")]


def _weekday_col(prefix: str, day: dt.date) -> str:
    return f"{prefix}_{WEEKDAYS[day.weekday()]}"


def _check_day(day: dt.date) -> None:
    if day > clock.today():
        raise ArenaError("att.future", date=day.isoformat())
    if day.weekday() >= 5:
        raise ArenaError("att.weekend", date=day.isoformat())
    holiday = calendar.holiday_name(day)
    if holiday:
        raise ArenaError("att.holiday", date=day.isoformat(), holiday=holiday)


def refusal(day: dt.date, cancelled: bool = False, *, short: bool = False) -> str | None:
    """Why no mark can be recorded at a session on this day (the same words `mark` raises), or None.
    Screens ask first, so a refused key leaves the cursor where it is. `short`: the row's few words
    (the catalog's `_short` form of the same key), the whole sentence said beside it."""
    found = ArenaError("att.cancelled", date=day.isoformat()) if cancelled else None
    try:
        _check_day(day)
    except ArenaError as error:
        found = error
    if found is None:
        return None
    return str(ArenaError(found.key + "_short", **found.params)) if short else str(found)


def sessions(db: Database, day: dt.date, leader_login: str | None = None) -> list[Session]:
    """The day's activity sessions with marked/enrolled counts; none on weekends and holidays."""
    if day.weekday() >= 5 or calendar.holiday_name(day, "sv"):
        return []
    iso = day.isoformat()
    hours = activities.hours_sql(day)
    sql = (
        f"SELECT a.id AS activity_id, a.name AS name, a.site AS site, {hours} AS hours,"
        # an exit ends the person's enrolments (store.milestones.exit_participant), so the enrolment
        # dates alone say who is on the list; both counts come from totals the triggers keep per session
        # (store.schema: SESSION_TOTAL_TRIGGERS), a few rows per session whatever its size
        " (SELECT coalesce(sum(e.delta), 0) FROM enrolment_step e WHERE e.session_id = s.id AND e.date <= ?1)"
        "  AS enrolled,"
        " coalesce((SELECT t.marks FROM session_marks t WHERE t.session_id = s.id AND t.date = ?1), 0) AS marked,"
        " EXISTS (SELECT 1 FROM session_cancel c WHERE c.session_id = s.id AND c.date = ?1) AS cancelled,"
        ' s.id AS session_id, s.name AS session, s.start_time AS start, s.end_time AS "end", s.capacity AS capacity'
        " FROM activity_session s JOIN activity a ON a.id = s.activity_id"
        f" WHERE a.active = 1 AND s.active = 1 AND (s.end_date IS NULL OR s.end_date >= ?1) AND {hours} > 0")
    params: tuple = (iso,)
    if leader_login:
        sql += " AND a.leader_id = (SELECT id FROM caseworker WHERE login = ?2)"
        params = (iso, leader_login)
    sql += " ORDER BY a.name, s.start_time, s.name"
    with db.read() as conn:
        return [rows.named(Session, r, cancelled=bool(r.cancelled)) for r in conn.exec_driver_sql(sql, params)]


def attendance_id(participant_id: str, activity_id: str, session_id: str, iso: str) -> str:
    """A mark's id from its natural key (participant, activity, session, date). An activity's own session
    (the one every activity had before sessions existed) keeps the id marks had then."""
    if session_id == activity_id:
        return changes.natural_id("attendance", participant_id, activity_id, iso)
    return changes.natural_id("attendance", participant_id, activity_id, session_id, iso)


def _cancel_id(activity_id: str, session_id: str, iso: str) -> str:
    if session_id == activity_id:
        return changes.natural_id("session_cancel", activity_id, iso)
    return changes.natural_id("session_cancel", activity_id, session_id, iso)


def _sid(conn, activity_id: str, session_id: str | None, day: dt.date) -> str:  # noqa: ANN001
    return session_id or activities.find_session(conn, activity_id, None, day)


def roll_call(db: Database, login: str, activity_id: str, day: dt.date,
              session_id: str | None = None) -> list[RollRow]:
    """Enrolled, active participants of one session, by surname, with today's mark and planned hours."""
    iso = day.isoformat()
    plan = _weekday_col("plan", day)
    with db.read() as conn:
        access.require(conn, login, access.ATTENDANCE, activity_id=activity_id)
        sid = _sid(conn, activity_id, session_id, day)
        found = conn.exec_driver_sql(
            "SELECT p.id AS participant_id, p.first_name AS first_name, p.last_name AS last_name,"
            f"  p.protected AS protected, min({activities.hours_sql(day, '?3')}, p.{plan}) AS planned_hours,"
            "  t.status AS status, t.hours AS hours, t.reason_code AS reason_code, t.note AS note,"
            "  t.recorded_by AS recorded_by, t.recorded_at AS recorded_at, t.late AS late, 0 AS cancelled,"
            "  (SELECT a2.name || CASE s2.name WHEN '' THEN '' ELSE ' ' || s2.name END FROM attendance t2"
            "    JOIN activity a2 ON a2.id = t2.activity_id JOIN activity_session s2 ON s2.id = t2.session_id"
            "    WHERE t2.participant_id = p.id AND t2.date = ?2 AND t2.session_id != ?3"
            "    AND t2.status IN ('present', 'partial') AND " + live_sql("t2") + " LIMIT 1) AS elsewhere,"
            "  t.id AS mark_id"
            " FROM enrolment e JOIN participant p ON p.id = e.participant_id"
            " LEFT JOIN attendance t ON t.participant_id = p.id AND t.session_id = e.session_id AND t.date = ?2"
            " WHERE e.session_id = ?3 AND e.activity_id = ?1 AND e.start_date <= ?2"
            "  AND (e.end_date IS NULL OR e.end_date >= ?2) AND (p.exit_date IS NULL OR p.exit_date >= ?2)"
            " GROUP BY p.id ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id",
            (activity_id, iso, sid)).all()
        marks = {r.mark_id: _mark(r) for r in found if r.status}
        changed = _changes_of(conn, marks)
    result = []
    for r in found:
        mark = marks.get(r.mark_id) if r.status else None
        edits, earlier = changed.get(r.mark_id, (0, None))
        result.append(rows.named(RollRow, r, protected=bool(r.protected), mark=mark, edits=edits, earlier=earlier))
    return result


def _mark(row: Any) -> Mark:  # noqa: ANN401 -- a row with a mark's columns by name (and `cancelled`)
    return rows.named(Mark, row, late=bool(row.late), cancelled=bool(row.cancelled))


_CONTENT = ("status", "hours", "reason_code", "note")  # what a change of a mark is (not who or when)
_MARK_FIELDS = tuple(f for f in rows.names(Mark) if f != "cancelled")  # a mark as stored


def _changes_of(conn, marks: dict[str, Mark]) -> dict[str, tuple[int, Mark]]:  # noqa: ANN001
    """For the marks (by attendance row id) that were changed after they were first recorded: how many
    times, and the mark as it was before the last change, read back from the change log (each entry keeps
    the old value of every field it changed). A mark recorded without a log entry of its own (the demo, an
    old import) counts as recorded; a deleted and re-recorded mark starts again."""
    import json

    found: dict[str, tuple[int, Mark]] = {}
    ids = list(marks)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        entries: dict[str, list[tuple[str, dict]]] = {}
        for entry in conn.exec_driver_sql(
                "SELECT row_id, kind, changes FROM change_log WHERE tbl = 'attendance' AND row_id IN"
                f" ({', '.join('?' * len(chunk))}) ORDER BY hlc", tuple(chunk)).all():
            entries.setdefault(entry.row_id, []).append((entry.kind, json.loads(entry.changes)))
        for row_id, log in entries.items():
            state = {f: getattr(marks[row_id], f) for f in _MARK_FIELDS}
            edits, earlier = 0, None
            for kind, fields in reversed(log):  # newest first, from the mark as it is now back in time
                if kind != "upsert" or any(fields.get(f, [None])[0] is None for f in ("status", "recorded_at")
                                           if f in fields):
                    break  # a deletion, or the entry that first recorded this mark: nothing before it
                before = {**state, **{f: old for f, (old, _) in fields.items() if f in state}}
                if any(before[f] != state[f] for f in _CONTENT):
                    edits += 1
                    if earlier is None:
                        earlier = Mark(**{**before, "note": before["note"] or "", "late": bool(before["late"])})
                state = before
            if earlier is not None:
                found[row_id] = (edits, earlier)
    return found


def get_mark(db: Database, login: str, participant_id: str, activity_id: str, day: dt.date,
             session_id: str | None = None) -> Mark | None:
    with db.read() as conn:
        access.require(conn, login, access.ATTENDANCE, activity_id=activity_id)
        return _get_mark(conn, participant_id, _sid(conn, activity_id, session_id, day), day.isoformat())


def _get_mark(conn, participant_id: str, session_id: str, iso: str) -> Mark | None:  # noqa: ANN001
    return rows.first(Mark, run(conn, f"SELECT {rows.columns(Mark, 'cancelled')} FROM attendance"
                                      " WHERE participant_id = ? AND session_id = ? AND date = ?",
                                (participant_id, session_id, iso)), flags=("late",))


@dataclass(frozen=True)
class _SessionDay:
    title: str  # 'Jobbsök fm'
    hours: float  # the session's hours that weekday
    end_date: str | None


@dataclass(frozen=True)
class _PersonDay:
    name: str
    exit_date: str | None
    planned: float  # the person's plan that weekday


def _session_context(tx: Tx, participant_id: str, activity_id: str, session_id: str, day: dt.date) -> float:
    """Check every rule for marking this person at this session; return the planned hours."""
    iso = day.isoformat()
    plan = _weekday_col("plan", day)
    act: _SessionDay | None = tx.once(("session", session_id, activity_id, iso), lambda: rows.first(_SessionDay, run(
        tx.conn, "SELECT a.name || CASE s.name WHEN '' THEN '' ELSE ' ' || s.name END AS title,"
                 f" {activities.hours_sql(day, 's.id')} AS hours, s.end_date AS end_date FROM activity_session s"
                 " JOIN activity a ON a.id = s.activity_id WHERE s.id = ? AND s.activity_id = ?",
        (session_id, activity_id))))
    if act is None:
        raise ArenaError("att.unknown_activity", value=activity_id)
    if act.end_date is not None and act.end_date < iso:
        raise ArenaError("att.no_session", activity=act.title,
                         weekday=calendar.WEEKDAY_LONG[language()][day.weekday()])
    if tx.bulk:  # an import: the person as the chunk's `_prepare_marks` (or the first row) read it
        person = _bulk_person(tx, participant_id, day)
    else:
        person = rows.first(_PersonDay, run(
            tx.conn, f"SELECT first_name || ' ' || last_name AS name, exit_date, {plan} AS planned FROM participant"
                     " WHERE id = ?", (participant_id,)))
    if person is None:
        raise ArenaError("att.unknown_person", value=participant_id)
    if act.hours <= 0:
        raise ArenaError("att.no_session", activity=act.title,
                         weekday=calendar.WEEKDAY_LONG[language()][day.weekday()])
    if person.exit_date and person.exit_date < iso:
        raise ArenaError("att.exited", name=person.name, date=person.exit_date)
    # by the person's few enrolments (the unary + keeps SQLite from walking the whole session's list instead)
    if tx.bulk:
        enrolled = any(start <= iso and (end is None or end >= iso) for start, end in tx.once(
            ("spans", participant_id, session_id), lambda: run(
                tx.conn, "SELECT start_date, end_date FROM enrolment WHERE participant_id = ? AND +session_id = ?",
                (participant_id, session_id)).fetchall()))
    else:
        enrolled = run(tx.conn, "SELECT 1 FROM enrolment WHERE participant_id = ? AND +session_id = ? AND start_date <= ?"
                                " AND (end_date IS NULL OR end_date >= ?)", (participant_id, session_id, iso, iso)).fetchone()
    if not enrolled:
        raise ArenaError("att.not_enrolled", name=person.name, activity=act.title, date=iso)
    if tx.once(("cancelled", session_id, iso), lambda: run(
            tx.conn, "SELECT 1 FROM session_cancel WHERE session_id = ? AND date = ?", (session_id, iso)).fetchone()):
        raise ArenaError("att.cancelled", date=iso)
    return min(act.hours, person.planned)


_PLANS = ", ".join(f"plan_{day}" for day in WEEKDAYS)


_PERSON_DAY = f"SELECT id, first_name || ' ' || last_name AS name, exit_date, {_PLANS} FROM participant"


def _bulk_person(tx: Tx, participant_id: str, day: dt.date) -> _PersonDay | None:
    """A person's name, exit date and plan that day, read once per import transaction."""
    found = tx.once(("person", participant_id), lambda: next(
        rows.mapped(run(tx.conn, _PERSON_DAY + " WHERE id = ?", (participant_id,))), None))
    return None if found is None else _PersonDay(found["name"], found["exit_date"], found[_weekday_col("plan", day)])


def _prepare_marks(tx: Tx, staged: list[list]) -> None:
    """Before an import chunk's rows are written: the people, their enrolments and the marks they already
    have at those sessions and days, a few queries for the whole chunk (what `_session_context` and the
    import's `write` would otherwise read row by row), into `tx.memo`."""
    people = sorted({row[0] for row in staged})
    for start in range(0, len(people), 500):
        some = people[start:start + 500]
        marks = ", ".join("?" * len(some))
        found = {r["id"]: r for r in rows.mapped(run(tx.conn, _PERSON_DAY + f" WHERE id IN ({marks})", some))}
        spans: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
        for pid, sid, first, last in run(tx.conn, "SELECT participant_id, session_id, start_date, end_date FROM enrolment"
                                                  f" WHERE participant_id IN ({marks})", some):
            spans.setdefault((pid, sid), []).append((first, last))
        for pid in some:
            tx.memo[("person", pid)] = found.get(pid)
        for pid, _, sid, *_ in staged:
            if pid in found:  # (a person's enrolments are all read above, so none is none)
                tx.memo[("spans", pid, sid)] = spans.get((pid, sid), [])
    # the marks there already: by day and session where the chunk is a day's list, by person where it is
    # a person's days
    by_day: dict[tuple[str, str], set[str]] = {}
    by_person: dict[tuple[str, str], set[str]] = {}
    for pid, _, sid, iso, *_ in staged:
        by_day.setdefault((sid, iso), set()).add(pid)
        by_person.setdefault((pid, sid), set()).add(iso)
        tx.memo[("mark", pid, sid, iso)] = None
    columns = rows.columns(Mark, "cancelled")
    if len(by_day) <= len(by_person):
        queries = [("session_id = ? AND date = ? AND participant_id", (sid, iso), sorted(pids))
                   for (sid, iso), pids in by_day.items()]
    else:
        queries = [("participant_id = ? AND +session_id = ? AND date", (pid, sid), sorted(days))
                   for (pid, sid), days in by_person.items()]
    for where, fixed, values in queries:
        for start in range(0, len(values), 500):
            some = values[start:start + 500]
            for r in rows.mapped(run(tx.conn, f"SELECT participant_id, session_id, date, {columns} FROM attendance"
                                              f" WHERE {where} IN ({', '.join('?' * len(some))})", (*fixed, *some))):
                tx.memo[("mark", r["participant_id"], r["session_id"], r["date"])] = rows.named(
                    Mark, r, late=bool(r["late"]), cancelled=False)


def _check_reason(tx: Tx, status: str, reason: str | None) -> str | None:
    if status not in ABSENT:
        return None
    code = code_key(reason or DEFAULT_REASON[status])
    category = tx.once(("absence code", code), lambda: tx.conn.exec_driver_sql(
        "SELECT category FROM absence_code WHERE code = ?", (code,)).scalar())
    if category != status:
        known = tx.once(("absence codes", status), lambda: ", ".join(tx.conn.exec_driver_sql(
            "SELECT code FROM absence_code WHERE category = ? ORDER BY sort, code", (status,)).scalars()))
        raise ArenaError("att.bad_reason", value=(reason or "")[:40], status=Key(f"st.{status}"), known=known)
    return code


_UNREAD: Any = object()


def _mark_in(tx: Tx, participant_id: str, activity_id: str, day: dt.date, status: str,
             hours: float | None = None, reason: str | None = None, note: str = "",
             session_id: str | None = None, *, current: Mark | None = _UNREAD) -> Mark:
    """Check and write one mark; `current` is the mark as the caller just read it (read here if not)."""
    status, hours, code, note, session_id = _check_mark(tx, participant_id, activity_id, day, status, hours,
                                                        reason, note, session_id)
    now = clock.now().isoformat()
    row_id = attendance_id(participant_id, activity_id, session_id, day.isoformat())
    if current is _UNREAD:
        current = _get_mark(tx.conn, participant_id, session_id, day.isoformat())
    # "recorded late" says when the mark was first recorded; a later change is an edit, shown as one
    late = current.late if current is not None else day < clock.today()
    if current and (current.status, current.hours, current.reason_code, current.note) == (status, hours, code, note):
        return current  # re-marking the same thing changes nothing (and logs nothing)
    changes.upsert(tx, "attendance", row_id, {
        "participant_id": participant_id, "activity_id": activity_id, "session_id": session_id,
        "date": day.isoformat(),
        "status": status, "hours": float(hours), "reason_code": code, "note": note,
        "recorded_by": tx.login, "recorded_at": now, "late": 1 if late else 0}, absent=current is None)
    return Mark(status, float(hours), code, note, tx.login, now, late)


def most_partial_hours(planned: float) -> float:
    """The most a partial mark may give: half an hour less than the session plans (the planned hours in
    full are a present mark, not a partial one); half an hour when it plans less than an hour."""
    return planned - 0.5 if planned >= 1 else 0.5


def partial_hours(given: object, planned: float) -> float:
    """The hours of a partial mark, from what was typed: half hours from 0.5 up to `most_partial_hours`."""
    top = most_partial_hours(planned)
    hours = validate.number(given if given is not None else "")
    if not (0.5 <= hours <= top) or (hours * 2) != int(hours * 2):
        raise ArenaError("att.bad_hours", max=num(top))
    return hours


def _check_mark(tx: Tx, participant_id: str, activity_id: str, day: dt.date, status: str, hours: float | None,
                reason: str | None, note: str, session_id: str | None
                ) -> tuple[str, float, str | None, str, str]:
    """Every rule of a mark, reading only: (status, hours, reason code, note, session) as they would be written."""
    tx.once(("day", day), lambda: _check_day(day))
    tx.once(("may mark", activity_id), lambda: access.require(tx.conn, tx.login, access.ATTENDANCE,
                                                                activity_id=activity_id))
    if status not in STATUSES:
        raise ArenaError("att.bad_status", value=str(status)[:40])
    if session_id is None:
        session_id = tx.once(("only session", activity_id, day), lambda: _sid(tx.conn, activity_id, None, day))
    planned = _session_context(tx, participant_id, activity_id, session_id, day)
    if status == "present":
        hours = planned
    elif status == "partial":
        hours = partial_hours(hours, planned)
    else:
        hours = 0.0
    code = _check_reason(tx, status, reason)
    note = validate.text(note, "note", max_len=500)
    return status, float(hours), code, note, session_id


def mark(db: Database, login: str, participant_id: str, activity_id: str, day: dt.date, status: str,
         hours: float | None = None, reason: str | None = None, note: str = "", *,
         session_id: str | None = None) -> Mark:
    """Record one mark; committed before it returns. Raises ArenaError (rule) or StoreError (disk, lock).
    Without `session_id`: the activity's only session that day."""
    with db.write(login) as tx:
        return _mark_in(tx, participant_id, activity_id, day, status, hours, reason, note, session_id)


@dataclass(frozen=True)
class MarkRequest:
    """One mark as `mark` takes it, for `mark_many`."""
    participant_id: str
    activity_id: str
    day: dt.date
    status: str
    hours: float | None = None
    reason: str | None = None
    note: str = ""
    session_id: str | None = None


def mark_many(db: Database, login: str, requests: list[MarkRequest]) -> list[Mark | ArenaError]:
    """Several marks typed one after the other, in one transaction and one wait for the disk (the roll
    call's write lane takes every mark queued behind the one it just committed). Each mark is checked
    and written on its own savepoint: one the rules refuse is undone alone and comes back as its error;
    the others are committed together before this returns. A failure of the whole transaction (disk,
    lock) raises StoreError and nothing of it is saved."""
    results: list[Mark | ArenaError] = []
    with db.write(login) as tx:
        for r in requests:
            run(tx.conn, "SAVEPOINT mark")
            try:
                results.append(_mark_in(tx, r.participant_id, r.activity_id, r.day, r.status, r.hours, r.reason,
                                        r.note, r.session_id))
            except ArenaError as error:
                run(tx.conn, "ROLLBACK TO mark")
                results.append(error)
            run(tx.conn, "RELEASE mark")
    return results


def clear(db: Database, login: str, participant_id: str, activity_id: str, day: dt.date, *,
          session_id: str | None = None) -> None:
    _check_day(day)
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ATTENDANCE, activity_id=activity_id)
        sid = _sid(tx.conn, activity_id, session_id, day)
        changes.delete(tx, "attendance", attendance_id(participant_id, activity_id, sid, day.isoformat()))


def restore(db: Database, login: str, participant_id: str, activity_id: str, day: dt.date,
            previous: Mark | None, *, session_id: str | None = None) -> Mark | None:
    """Put back an earlier state (undo): the mark it had, or no mark."""
    if previous is None:
        clear(db, login, participant_id, activity_id, day, session_id=session_id)
        return None
    return mark(db, login, participant_id, activity_id, day, previous.status, previous.hours,
                previous.reason_code, previous.note, session_id=session_id)


def restore_many(db: Database, login: str, activity_id: str, day: dt.date,
                 previous: list[tuple[str, Mark | None]], *, session_id: str | None = None) -> dict[str, Mark | None]:
    """Undo of a whole action (all present, a clear): every person back to their earlier state, in one
    transaction – all or nothing. Returns what is now stored per person."""
    _check_day(day)
    result: dict[str, Mark | None] = {}
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ATTENDANCE, activity_id=activity_id)
        sid = _sid(tx.conn, activity_id, session_id, day)
        for pid, mark_before in previous:
            if mark_before is None:
                changes.delete(tx, "attendance", attendance_id(pid, activity_id, sid, day.isoformat()))
                result[pid] = None
            else:
                result[pid] = _mark_in(tx, pid, activity_id, day, mark_before.status, mark_before.hours,
                                       mark_before.reason_code, mark_before.note, sid)
    return result


def mark_all_present(db: Database, login: str, activity_id: str, day: dt.date, *,
                     session_id: str | None = None, only: Collection[str] | None = None) -> list[str]:
    """Mark every still-unmarked person present, in one transaction; return their ids. `only`: of these
    people alone (those a filtered roll call shows)."""
    todo = [r.participant_id for r in roll_call(db, login, activity_id, day, session_id)
            if r.mark is None and (only is None or r.participant_id in only)]
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ATTENDANCE, activity_id=activity_id)
        for pid in todo:
            _mark_in(tx, pid, activity_id, day, "present", session_id=session_id)
    return todo


def is_cancelled(db: Database, activity_id: str, day: dt.date, *, session_id: str | None = None) -> bool:
    with db.read() as conn:
        return conn.exec_driver_sql("SELECT 1 FROM session_cancel WHERE session_id = ? AND date = ?",
                                    (_sid(conn, activity_id, session_id, day), day.isoformat())).first() is not None


def marks_in_session(db: Database, login: str, activity_id: str, day: dt.date, *,
                     session_id: str | None = None) -> int:
    """How many marks a cancellation (or un-cancellation) of this session affects."""
    with db.read() as conn:
        access.require(conn, login, access.ATTENDANCE, activity_id=activity_id)
        return conn.exec_driver_sql("SELECT count(*) FROM attendance WHERE session_id = ? AND date = ?",
                                    (_sid(conn, activity_id, session_id, day), day.isoformat())).scalar_one()


def cancel_session(db: Database, login: str, activity_id: str, day: dt.date, reason: str = "", *,
                   session_id: str | None = None) -> int:
    """The session did not take place: nobody is absent. Marks already recorded for it are kept as they
    are – shown as belonging to a cancelled session, counted neither as hours nor as absence – and come
    back with `uncancel_session`. Returns how many marks that affects."""
    _check_day(day)
    reason = validate.text(reason, "reason", max_len=200)
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ATTENDANCE, activity_id=activity_id)
        sid = _sid(tx.conn, activity_id, session_id, day)
        ids = tx.conn.exec_driver_sql(
            "SELECT id FROM attendance WHERE session_id = ? AND date = ?", (sid, day.isoformat())).scalars().all()
        changes.upsert(tx, "session_cancel", _cancel_id(activity_id, sid, day.isoformat()), {
            "activity_id": activity_id, "session_id": sid, "date": day.isoformat(), "reason": reason,
            "recorded_by": login, "recorded_at": clock.now().isoformat()})
    return len(ids)


def uncancel_session(db: Database, login: str, activity_id: str, day: dt.date, *,
                     session_id: str | None = None) -> int:
    """The session took place after all: its kept marks count again. Returns how many."""
    _check_day(day)
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ATTENDANCE, activity_id=activity_id)
        sid = _sid(tx.conn, activity_id, session_id, day)
        changes.delete(tx, "session_cancel", _cancel_id(activity_id, sid, day.isoformat()))
        return tx.conn.exec_driver_sql("SELECT count(*) FROM attendance WHERE session_id = ? AND date = ?",
                                       (sid, day.isoformat())).scalar_one()


# ------------------------------------------------------------------------------------------ week grid

@dataclass(frozen=True)
class WeekRow:
    participant_id: str
    name: str
    marks: dict[str, Mark]  # iso date -> mark at this activity
    planned_week: float  # planned at this session on its days so far (see `week_grid`)
    attended_week: float  # hours attended at this session this week
    protected: bool = False
    # iso date -> why there is nothing to mark that day: 'none' (the session does not meet), 'cancelled',
    # 'not_enrolled' (before or after the person's enrolment, or after their exit); a day not listed is
    # one where a mark belongs, so an empty cell there is "not marked"
    no_session: dict[str, str] = field(default_factory=dict)
    edits: dict[str, int] = field(default_factory=dict)  # iso date -> times the mark was changed (see `_changes_of`)
    earlier: dict[str, Mark] = field(default_factory=dict)  # iso date -> the mark before its last change

    @property
    def shortfall(self) -> float:
        return max(self.planned_week - self.attended_week, 0.0)


def week_days(monday: dt.date) -> list[dt.date]:
    return [monday + dt.timedelta(days=i) for i in range(5)]


Periods = Sequence[tuple[str, Sequence[float]]]  # a person's earlier plans: (valid until, hours Monday to Friday)


def plan_periods(conn, login: str, participant_ids: Sequence[str]  # noqa: ANN001
                 ) -> dict[str, list[tuple[str, tuple[float, ...]]]]:
    """For `planned_hours`: the earlier weekly plans of these people (store.cases.keep_plan_in), oldest
    first, one query per 500 people: person -> [(valid until, hours Monday to Friday)]. After the last one
    the person's own plan holds (planned hours are the report's figures: who may read them)."""
    access.require(conn, login, access.REPORT)
    found: dict[str, list[tuple[str, tuple[float, ...]]]] = {}
    for at in range(0, len(participant_ids), 500):
        some = participant_ids[at:at + 500]
        for pid, until, *hours in run(conn, f"SELECT participant_id, valid_until, {_PLANS} FROM plan_period"
                                            f" WHERE participant_id IN ({', '.join('?' * len(some))})"
                                            " ORDER BY participant_id, valid_until", tuple(some)):
            found.setdefault(pid, []).append((until, tuple(hours)))
    return found


def plan_on(plan: Sequence[float], periods: Periods, iso: str) -> Sequence[float]:
    """The weekly plan in force on the day `iso`: the first earlier plan still valid then, else `plan`."""
    for until, hours in periods:
        if iso <= until:
            return hours
    return plan


def planned_hours(plan: Sequence[float], referral: str, exit_date: str | None, days: Iterable[dt.date],
                  until: dt.date, workdays: Collection[dt.date] | None = None,
                  cancelled: Mapping[str, float] | None = None, periods: Periods = ()) -> float:
    """A person's planned hours on these days: the one rule of the närvarorapport and the case card. A day
    counts when it is a working day from the referral (enrolment) date up to the exit date and not after
    `until` (the day the report is made, or today): a person referred on Tuesday has not missed Monday.
    On a day one of the person's sessions was cancelled (`cancelled`, from `cancelled_days`: iso date ->
    the hours of their sessions that still met) the plan counts at most what still met: a cancelled
    session is planned for nobody. `workdays` is the period's working days when the caller has them (else
    the calendar is asked). Each day counts the plan in force that day: `periods` are the person's earlier
    plans (`plan_periods`), so a later change of the plan leaves the days before it as they were."""
    total = 0.0
    for day in days:
        iso = day.isoformat()
        if (day <= until and referral <= iso and (exit_date is None or iso <= exit_date)
                and (day in workdays if workdays is not None else calendar.is_workday(day))):
            hours = (plan_on(plan, periods, iso) if periods else plan)[day.weekday()]
            total += hours if not cancelled or iso not in cancelled else min(hours, cancelled[iso])
    return total


def cancelled_days(conn, login: str, participant_ids: Sequence[str], first: dt.date,  # noqa: ANN001
                   last: dt.date) -> dict[str, dict[str, float]]:
    """For `planned_hours`: person -> {iso date: hours of their sessions that still met that day} on each day
    in first..last when a session the person was enrolled in was cancelled (planned hours are the report's
    figures: who may read them)."""
    access.require(conn, login, access.REPORT)
    found: dict[str, dict[str, float]] = {}
    if not participant_ids:
        return found
    hits = run(conn, "SELECT DISTINCT e.participant_id, c.date FROM session_cancel c"
                     " JOIN enrolment e ON e.session_id = c.session_id AND e.start_date <= c.date"
                     "  AND (e.end_date IS NULL OR e.end_date >= c.date)"
                     f" WHERE c.date BETWEEN ? AND ? AND e.participant_id IN ({', '.join('?' * len(participant_ids))})",
               (first.isoformat(), last.isoformat(), *participant_ids)).fetchall()
    for pid, iso in hits:
        day = dt.date.fromisoformat(iso)
        met = run(conn, "SELECT e.session_id FROM enrolment e WHERE e.participant_id = ?1 AND e.start_date <= ?2"
                        " AND (e.end_date IS NULL OR e.end_date >= ?2) AND NOT EXISTS (SELECT 1 FROM session_cancel c"
                        "  WHERE c.session_id = e.session_id AND c.date = ?2)", (pid, iso)).fetchall()
        found.setdefault(pid, {})[iso] = sum(activities.week_hours(conn, sid, day)[day.weekday()] for (sid,) in met)
    return found


def week_grid(db: Database, login: str, activity_id: str, monday: dt.date,
              session_id: str | None = None) -> list[WeekRow]:
    """The week's marks at one session. Planned vs attended are this session's, as its cells show them:
    planned is min(the session's hours, the person's plan) on the days up to today when the session met
    and the person was enrolled (so a Tuesday does not show Wednesday to Friday as missing), attended the
    hours of the marks in the cells (a cancelled session's kept marks count for nothing)."""
    days = week_days(monday)
    first, last = days[0].isoformat(), days[-1].isoformat()
    so_far = [d for d in days if d <= clock.today()]
    with db.read() as conn:
        access.require(conn, login, access.ATTENDANCE, activity_id=activity_id)
        sid = _sid(conn, activity_id, session_id, monday)
        people = conn.exec_driver_sql(
            "SELECT DISTINCT p.id, p.last_name || ', ' || p.first_name AS name,"
            f" {', '.join('p.plan_' + day for day in WEEKDAYS)}, p.protected, p.exit_date"
            " FROM enrolment e JOIN participant p ON p.id = e.participant_id"
            " WHERE e.session_id = ?1 AND e.start_date <= ?3 AND (e.end_date IS NULL OR e.end_date >= ?2)"
            "  AND (p.exit_date IS NULL OR p.exit_date >= ?2)"
            " ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE", (sid, first, last)).all()
        spans: dict[str, list[tuple[str, str]]] = {}
        for r in conn.exec_driver_sql(
                "SELECT participant_id, start_date, coalesce(end_date, '9999') AS end_date FROM enrolment"
                " WHERE session_id = ? AND start_date <= ? AND (end_date IS NULL OR end_date >= ?)", (sid, last, first)):
            spans.setdefault(r.participant_id, []).append((r.start_date, r.end_date))
        end_date = conn.exec_driver_sql("SELECT end_date FROM activity_session WHERE id = ?", (sid,)).scalar()
        hours = {d: activities.week_hours(conn, sid, d)[d.weekday()] for d in days}  # as valid that day
        cancelled = set(conn.exec_driver_sql(
            "SELECT date FROM session_cancel WHERE session_id = ? AND date BETWEEN ? AND ?", (sid, first, last)).scalars())
        meets = {d.isoformat(): "none" if (not hours[d] or not calendar.is_workday(d)
                                           or (end_date and end_date < d.isoformat()))
                 else "cancelled" if d.isoformat() in cancelled else "" for d in days}
        marks: dict[str, dict[str, Mark]] = {}
        where: dict[str, tuple[str, str]] = {}  # attendance row id -> (person, iso date)
        for r in conn.exec_driver_sql(
                f"SELECT participant_id, date, {rows.columns(Mark, 'cancelled')},"
                " NOT " + live_sql("attendance") + " AS cancelled, id"
                " FROM attendance WHERE session_id = ? AND date BETWEEN ? AND ?", (sid, first, last)):
            marks.setdefault(r.participant_id, {})[r.date] = _mark(r)
            where[r.id] = (r.participant_id, r.date)
        edits: dict[str, dict[str, int]] = {}
        earlier: dict[str, dict[str, Mark]] = {}
        for row_id, (n, before) in _changes_of(conn, {i: marks[p][d] for i, (p, d) in where.items()}).items():
            pid, iso = where[row_id]
            edits.setdefault(pid, {})[iso] = n
            earlier.setdefault(pid, {})[iso] = before

    def no_session(pid: str, exit_date: str | None) -> dict[str, str]:
        out = {}
        for iso, why in meets.items():
            if why:
                out[iso] = why
            elif not any(a <= iso <= b for a, b in spans.get(pid, [])) or (exit_date and exit_date < iso):
                out[iso] = "not_enrolled"
        return out

    def planned(plan: tuple[float, ...], away: dict[str, str]) -> float:
        return sum(min(hours[d], plan[d.weekday()]) for d in so_far if d.isoformat() not in away)

    def attended(pid: str) -> float:
        return sum(m.hours for m in marks.get(pid, {}).values() if not m.cancelled)

    result = []
    for r in people:
        away = no_session(r.id, r.exit_date)
        plan = tuple(r._mapping["plan_" + day] for day in WEEKDAYS)
        result.append(WeekRow(r.id, r.name, marks.get(r.id, {}), planned(plan, away), attended(r.id),
                              bool(r.protected), away, edits.get(r.id, {}), earlier.get(r.id, {})))
    return result


def session_plans(db: Database, login: str, activity_id: str, session_id: str | None = None,
                  day: dt.date | None = None) -> dict[str, tuple[float, ...]]:
    """Planned hours per weekday of each enrolled person at this session, with the session's hours valid
    on `day` (default today): min(session, person's plan)."""
    day = day or clock.today()
    with db.read() as conn:
        access.require(conn, login, access.ATTENDANCE, activity_id=activity_id)
        sid = _sid(conn, activity_id, session_id, day)
        hours = activities.week_hours(conn, sid, day)
        plans = tuple(f"plan_{day}" for day in WEEKDAYS)
        return {r.id: tuple(min(h, r._mapping[plan]) for h, plan in zip(hours, plans)) for r in conn.exec_driver_sql(
            f"SELECT DISTINCT p.id, {', '.join('p.' + plan for plan in plans)} FROM enrolment e"
            " JOIN participant p ON p.id = e.participant_id WHERE e.session_id = ?", (sid,))}


@dataclass(frozen=True)
class PersonWeek:
    monday: dt.date
    planned: float
    attended: float
    cells: dict[str, list[tuple[str, Mark]]] = field(default_factory=dict)  # iso date -> [(activity, mark)]


def person_weeks(db: Database, login: str, participant_id: str, weeks: int = 8,
                 until: dt.date | None = None) -> list[PersonWeek]:
    """One person's recent weeks (newest first): planned vs attended and every mark, for the case card."""
    until = until or clock.today()
    monday = clock.week_monday(until)
    result = []
    with db.read() as conn:
        access.require_case(conn, login, participant_id)
        person = conn.exec_driver_sql(
            f"SELECT referral_date, exit_date, {_PLANS} FROM participant WHERE id = ?", (participant_id,)).one()
        plan = tuple(person._mapping[f"plan_{day}"] for day in WEEKDAYS)
        cancelled = cancelled_days(conn, login, [participant_id], monday - dt.timedelta(weeks=weeks - 1), until).get(
            participant_id)
        periods = plan_periods(conn, login, [participant_id]).get(participant_id, [])
        for i in range(weeks):
            start = monday - dt.timedelta(weeks=i)
            days = week_days(start)
            # "Plan hittills", as the närvarorapport counts it: a Tuesday plans Monday and Tuesday, and
            # nothing before the referral date
            planned = planned_hours(plan, person.referral_date, person.exit_date, days, until, cancelled=cancelled,
                                    periods=periods)
            cells: dict[str, list[tuple[str, Mark]]] = {}
            attended = 0.0
            for r in conn.exec_driver_sql(
                    "SELECT t.date AS date, a.name || CASE s.name WHEN '' THEN '' ELSE ' ' || s.name END AS activity,"
                    f" {', '.join(f't.{c} AS {c}' for c in rows.names(Mark) if c != 'cancelled')}, NOT {live_sql('t')} AS cancelled"
                    " FROM attendance t"
                    " JOIN activity a ON a.id = t.activity_id JOIN activity_session s ON s.id = t.session_id"
                    " WHERE t.participant_id = ? AND t.date BETWEEN ? AND ? ORDER BY t.date, a.name",
                    (participant_id, days[0].isoformat(), days[-1].isoformat())):
                mark = _mark(r)
                cells.setdefault(r.date, []).append((r.activity, mark))
                attended += 0 if mark.cancelled else mark.hours
            result.append(PersonWeek(start, planned, attended, cells))
    return result


# --------------------------------------------------------------------------------------------- import

IMPORT_COLUMNS = ("personnummer", "reserve_number", "activity", "session", "date", "status", "hours", "reason", "note")


@dataclass
class ImportReport:
    imported: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, Message]] = field(default_factory=list)  # line, reason
    # all-or-nothing undone after a late refusal: lines someone else changed meanwhile, left as they are
    kept: list[tuple[int, Message]] = field(default_factory=list)


IMPORT_SPEC: dict[str, tuple[str, ...]] = {
    "personnummer": ("samordningsnummer", "personal_number", "pnr"),
    "reserve_number": ("reservnummer", "reserv_nr"),
    "participant_id": ("deltagar_id",),
    "activity": ("aktivitet",),
    "session": ("pass",),
    "date": ("datum",),
    "status": ("närvaro",),
    "hours": ("timmar", "tim"),
    "reason": ("orsak", "frånvaroorsak"),
    "note": ("anteckning", "notering", "kommentar"),
}


def import_csv(db: Database, login: str, path: str | Path, *, all_or_nothing: bool = False,
               progress: Callable[[str, int, int], None] | None = None) -> ImportReport:
    """Import a paper list (CSV or XLSX, as Excel writes it): each row through the same rules as a key
    press. A file that cannot be read raises one ArenaError naming why; a bad row is refused by line.
    Rows are checked without the write lock and written in short chunks (`store.bulk`), so the roll call
    goes on while a big file is imported."""
    from store import bulk

    with tabular.read(path) as table:
        cols = tabular.columns(table.header, IMPORT_SPEC, ("activity", "date", "status"), str(path))
        if not {"personnummer", "reserve_number", "participant_id"} & set(cols):
            tabular.columns(table.header, IMPORT_SPEC, ("personnummer",), str(path))
        with db.read() as conn:
            known = activities.names_to_ids(conn)
        refused: list[tuple[int, Message]] = []
        seen = [0]

        def rows() -> Iterator[tuple[int, dict]]:
            for r in table.rows():
                seen[0] += 1
                if r.extra:
                    refused.append((r.line, Message("tab.extra_cells", {"cells": ", ".join(r.extra)[:80]})))
                    continue
                yield r.line, {key: r.get(name) for key, name in cols.items()}

        def person(tx: Tx, row: dict) -> str:
            """By personnummer where the row has one, else by reserve number (someone without a personnummer),
            else by the id (an export of ours has all three columns)."""
            number, reserve = row.get("personnummer", "").strip(), row.get("reserve_number", "").strip()
            if number or (not reserve and not {"participant_id", "reserve_number"} & set(cols)):
                parsed = identity.parse(number)  # an empty cell is refused as a missing personnummer
                found = tx.conn.exec_driver_sql("SELECT id FROM participant WHERE personnummer = ?",
                                                (parsed.canonical,)).scalar()
                if not found:
                    raise ArenaError("att.unknown_person", value=parsed.formatted())
                if reserve and any(other != found for other in tx.conn.exec_driver_sql(
                        "SELECT id FROM participant WHERE reserve_number = ?", (reserve,)).scalars()):
                    # the two numbers are two people's (as the participants import refuses such a row)
                    raise ArenaError("imp.two_people", number=parsed.formatted(), reserve=reserve[:40])
                return str(found)
            if reserve:  # as the participants import matches one (store.referrals._match)
                ids = tx.conn.exec_driver_sql("SELECT id FROM participant WHERE reserve_number = ?",
                                              (reserve,)).scalars().all()
                if len(ids) > 1:
                    raise ArenaError("imp.reserve_shared", reserve=reserve[:40], count=len(ids))
                if not ids:
                    raise ArenaError("att.unknown_person", value=reserve[:40])
                return str(ids[0])
            if "participant_id" not in cols:
                raise ArenaError("imp.no_number")
            pid = row.get("participant_id", "")
            if not run(tx.conn, "SELECT 1 FROM participant WHERE id = ?", (pid,)).fetchone():
                raise ArenaError("att.unknown_person", value=pid[:40])
            return pid

        def check(tx: Tx, row: dict) -> list:
            pid = person(tx, row)
            aid = activities.activity_id_in(known, row.get("activity", ""))
            day = validate.date(row.get("date", ""))
            # the session column may be left out (or empty) where the activity has one session that day
            session = row.get("session") or None
            sid = tx.once(("session named", aid, session, day),
                          lambda: activities.find_session(tx.conn, aid, session, day))
            given = tabular.decimal(row["hours"]) if row.get("hours", "").strip() else None
            status, hours, code, note, sid = _check_mark(tx, pid, aid, day, status_of(row.get("status", "")), given,
                                                         row.get("reason") or None, one_line(row.get("note", "")), sid)
            if given is not None and status != "partial" and abs(given - hours) > 1e-9:
                # a legacy file's "present 1.5 h" would be stored as the planned hours (and paid for): said, not guessed
                # said the way the hours differ: an absence's 0, or more or fewer than present's planned hours
                key = ("att.hours_absence" if status != "present" else
                       "att.hours_over_status" if given > hours else "att.hours_not_status")
                raise ArenaError(key, given=given, status=Key(f"st.{status}"), hours=hours)
            return [pid, aid, sid, day.isoformat(), status, hours, code, note]

        def write(tx: Tx, staged: list) -> tuple[bool, list]:
            pid, aid, sid, iso, status, hours, code, note = staged
            before = tx.memo.get(("mark", pid, sid, iso), _UNREAD)  # as `_prepare_marks` read it
            if before is _UNREAD:
                before = _get_mark(tx.conn, pid, sid, iso)
            after = _mark_in(tx, pid, aid, dt.date.fromisoformat(iso), status, hours, code, note, sid, current=before)
            tx.memo[("mark", pid, sid, iso)] = after  # the file may name the same mark again
            undo = [pid, aid, sid, iso, None if before is None else
                    [before.status, before.hours, before.reason_code, before.note]]
            return before != after, undo

        def undo(tx: Tx, value: list, untouched: bulk.Untouched) -> bool:
            pid, aid, sid, iso, before = value
            mark_id = attendance_id(pid, aid, sid, iso)
            if not untouched("attendance", mark_id):
                return False  # marked in the roll call (or synced in) since: theirs stays
            if before is None:
                changes.delete(tx, "attendance", mark_id)
            else:
                status, hours, reason, note = before
                _mark_in(tx, pid, aid, dt.date.fromisoformat(iso), status, hours, reason, note, sid)
            return True

        result = bulk.run(db, login, rows(), check=check, write=write, undo=undo, all_or_nothing=all_or_nothing,
                          rejected=refused, prepare=_prepare_marks, progress=progress,
                          same=(lambda staged: attendance_id(*staged[:4]), "imp.same_mark_twice"))
    if not seen[0]:  # a header and nothing under it: said, not "0 rows imported" with success
        raise ArenaError("imp.no_rows", path=str(path))
    return ImportReport(result.imported, result.unchanged, result.rejected, result.kept)
