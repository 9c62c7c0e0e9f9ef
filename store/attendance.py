"""Attendance: the roll call's marks, session cancellations, the week grid and the CSV import.

`mark()` is the one function behind a key press in the roll call, a cell in the week grid and a row
of `arena import attendance`. It checks the rules, writes the row and its change-log entry in one
transaction and returns what is now stored; only then may a screen show the mark.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from store import access, calendar, changes, clock, identity, tabular, validate
from store.db import Database, Tx, run
from store.i18n import ArenaError, language, t
from store.schema import WEEKDAYS

STATUSES = ("present", "partial", "sick", "vab", "excused", "unexcused")
ABSENT = ("sick", "vab", "excused", "unexcused")
DEFAULT_REASON = {"sick": "SJUK", "vab": "VAB", "excused": "GILTIG", "unexcused": "OGILTIG"}


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
    activity_id: str
    name: str
    site: str
    hours: float
    enrolled: int
    marked: int
    cancelled: bool

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
    edits: int = 0  # how many times this mark has been written (more than one: it was changed)

    @property
    def name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


def live_sql(alias: str = "t") -> str:
    """SQL condition: the mark belongs to a session that took place. Marks of a cancelled session are
    kept (un-cancelling brings them back) but count neither as hours nor as absence."""
    return (f"NOT EXISTS (SELECT 1 FROM session_cancel sc WHERE sc.activity_id = {alias}.activity_id"
            f" AND sc.date = {alias}.date)")


def absence_codes(db: Database) -> list[AbsenceCode]:
    with db.read() as conn:
        return [AbsenceCode(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in conn.exec_driver_sql(
            "SELECT code, category, label_sv, label_en, excused, legal_ref FROM absence_code ORDER BY sort, code")]


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


def refusal(day: dt.date, cancelled: bool = False) -> str | None:
    """Why no mark can be recorded at a session on this day (the same words `mark` raises), or None.
    Screens ask first, so a refused key leaves the cursor where it is."""
    try:
        _check_day(day)
    except ArenaError as error:
        return str(error)
    if cancelled:
        return str(ArenaError("att.cancelled", date=day.isoformat()))
    return None


def sessions(db: Database, day: dt.date, leader_login: str | None = None) -> list[Session]:
    """The day's activity sessions with marked/enrolled counts; none on weekends and holidays."""
    if day.weekday() >= 5 or calendar.holiday_name(day, "sv"):
        return []
    col = _weekday_col("hours", day)
    iso = day.isoformat()
    sql = (
        f"SELECT a.id, a.name, a.site, a.{col},"
        # an exit ends the person's enrolments (store.milestones.exit_participant), so the enrolment
        # dates alone say who is on the list; both counts come from totals the triggers keep
        # (store.schema: SESSION_TOTAL_TRIGGERS), a few rows per activity whatever the session's size
        " (SELECT coalesce(sum(e.delta), 0) FROM enrolment_step e WHERE e.activity_id = a.id AND e.date <= ?1),"
        " coalesce((SELECT t.marks FROM session_marks t WHERE t.activity_id = a.id AND t.date = ?1), 0),"
        " EXISTS (SELECT 1 FROM session_cancel s WHERE s.activity_id = a.id AND s.date = ?1)"
        f" FROM activity a WHERE a.active = 1 AND a.{col} > 0")
    params: tuple = (iso,)
    if leader_login:
        sql += " AND a.leader_id = (SELECT id FROM caseworker WHERE login = ?2)"
        params = (iso, leader_login)
    sql += " ORDER BY a.name"
    with db.read() as conn:
        return [Session(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in conn.exec_driver_sql(sql, params)]


def roll_call(db: Database, activity_id: str, day: dt.date) -> list[RollRow]:
    """Enrolled, active participants of one session, by surname, with today's mark and planned hours."""
    iso = day.isoformat()
    plan = _weekday_col("plan", day)
    hours = _weekday_col("hours", day)
    with db.read() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT p.id, p.first_name, p.last_name, p.protected, min(a.{hours}, p.{plan}),"
            "  t.status, t.hours, t.reason_code, t.note, t.recorded_by, t.recorded_at, t.late,"
            "  (SELECT a2.name FROM attendance t2 JOIN activity a2 ON a2.id = t2.activity_id"
            "    WHERE t2.participant_id = p.id AND t2.date = ?2 AND t2.activity_id != ?1"
            "    AND t2.status IN ('present', 'partial') AND " + live_sql("t2") + " LIMIT 1),"
            "  (SELECT count(*) FROM change_log c WHERE c.tbl = 'attendance' AND c.row_id = t.id AND c.kind = 'upsert')"
            " FROM enrolment e JOIN participant p ON p.id = e.participant_id JOIN activity a ON a.id = e.activity_id"
            " LEFT JOIN attendance t ON t.participant_id = p.id AND t.activity_id = e.activity_id AND t.date = ?2"
            " WHERE e.activity_id = ?1 AND e.start_date <= ?2 AND (e.end_date IS NULL OR e.end_date >= ?2)"
            "  AND (p.exit_date IS NULL OR p.exit_date >= ?2)"
            " GROUP BY p.id ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id",
            (activity_id, iso)).all()
    result = []
    for r in rows:
        mark = Mark(r[5], r[6], r[7], r[8], r[9], r[10], bool(r[11])) if r[5] else None
        result.append(RollRow(r[0], r[1], r[2], bool(r[3]), r[4], mark, r[12], r[13] if mark else 0))
    return result


def get_mark(db: Database, participant_id: str, activity_id: str, day: dt.date) -> Mark | None:
    with db.read() as conn:
        return _get_mark(conn, participant_id, activity_id, day.isoformat())


def _get_mark(conn, participant_id: str, activity_id: str, iso: str) -> Mark | None:  # noqa: ANN001
    r = run(conn, "SELECT status, hours, reason_code, note, recorded_by, recorded_at, late FROM attendance"
                  " WHERE participant_id = ? AND activity_id = ? AND date = ?", (participant_id, activity_id, iso)).fetchone()
    return Mark(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) if r else None


def _session_context(tx: Tx, participant_id: str, activity_id: str, day: dt.date) -> float:
    """Check every rule for marking this person at this session; return the planned hours."""
    iso = day.isoformat()
    plan, hours = _weekday_col("plan", day), _weekday_col("hours", day)
    act = run(tx.conn, f"SELECT name, {hours} FROM activity WHERE id = ?", (activity_id,)).fetchone()
    if act is None:
        raise ArenaError("att.unknown_activity", value=activity_id)
    person = run(tx.conn, f"SELECT first_name || ' ' || last_name, exit_date, {plan} FROM participant WHERE id = ?",
                 (participant_id,)).fetchone()
    if person is None:
        raise ArenaError("att.unknown_person", value=participant_id)
    if act[1] <= 0:
        raise ArenaError("att.no_session", activity=act[0],
                         weekday=calendar.WEEKDAY_LONG[language()][day.weekday()])
    if person[1] and person[1] < iso:
        raise ArenaError("att.exited", name=person[0], date=person[1])
    enrolled = run(tx.conn, "SELECT 1 FROM enrolment WHERE participant_id = ? AND activity_id = ? AND start_date <= ?"
                            " AND (end_date IS NULL OR end_date >= ?)", (participant_id, activity_id, iso, iso)).fetchone()
    if not enrolled:
        raise ArenaError("att.not_enrolled", name=person[0], activity=act[0], date=iso)
    if run(tx.conn, "SELECT 1 FROM session_cancel WHERE activity_id = ? AND date = ?", (activity_id, iso)).fetchone():
        raise ArenaError("att.cancelled", date=iso)
    return min(act[1], person[2])


def _check_reason(tx: Tx, status: str, reason: str | None) -> str | None:
    if status not in ABSENT:
        return None
    code = (reason or DEFAULT_REASON[status]).strip().upper()
    row = run(tx.conn, "SELECT category FROM absence_code WHERE code = ?", (code,)).fetchone()
    if row is None or row[0] != status:
        raise ArenaError("att.bad_reason", value=code[:40])
    return code


def _mark_in(tx: Tx, participant_id: str, activity_id: str, day: dt.date, status: str,
             hours: float | None = None, reason: str | None = None, note: str = "") -> Mark:
    _check_day(day)
    access.require(tx.conn, tx.login, access.ATTENDANCE, activity_id=activity_id)
    if status not in STATUSES:
        raise ArenaError("att.bad_status", value=str(status)[:40])
    planned = _session_context(tx, participant_id, activity_id, day)
    if status == "present":
        hours = planned
    elif status == "partial":
        max_hours = max(planned, 0.5)
        hours = validate.number(hours if hours is not None else "")
        if not (0.5 <= hours <= max_hours) or (hours * 2) != int(hours * 2):
            raise ArenaError("att.bad_hours", max=f"{max_hours:g}")
    else:
        hours = 0.0
    code = _check_reason(tx, status, reason)
    note = validate.text(note, "anteckning", max_len=500)
    now = clock.now().isoformat()
    late = day < clock.today()
    row_id = changes.natural_id("attendance", participant_id, activity_id, day.isoformat())
    current = _get_mark(tx.conn, participant_id, activity_id, day.isoformat())
    if current and (current.status, current.hours, current.reason_code, current.note) == (status, hours, code, note):
        return current  # re-marking the same thing changes nothing (and logs nothing)
    changes.upsert(tx, "attendance", row_id, {
        "participant_id": participant_id, "activity_id": activity_id, "date": day.isoformat(),
        "status": status, "hours": float(hours), "reason_code": code, "note": note,
        "recorded_by": tx.login, "recorded_at": now, "late": 1 if late else 0})
    return Mark(status, float(hours), code, note, tx.login, now, late)


def mark(db: Database, login: str, participant_id: str, activity_id: str, day: dt.date, status: str,
         hours: float | None = None, reason: str | None = None, note: str = "") -> Mark:
    """Record one mark; committed before it returns. Raises ArenaError (rule) or StoreError (disk, lock)."""
    with db.write(login) as tx:
        return _mark_in(tx, participant_id, activity_id, day, status, hours, reason, note)


def clear(db: Database, login: str, participant_id: str, activity_id: str, day: dt.date) -> None:
    _check_day(day)
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ATTENDANCE, activity_id=activity_id)
        changes.delete(tx, "attendance", changes.natural_id("attendance", participant_id, activity_id, day.isoformat()))


def restore(db: Database, login: str, participant_id: str, activity_id: str, day: dt.date,
            previous: Mark | None) -> Mark | None:
    """Put back an earlier state (undo): the mark it had, or no mark."""
    if previous is None:
        clear(db, login, participant_id, activity_id, day)
        return None
    return mark(db, login, participant_id, activity_id, day, previous.status, previous.hours,
                previous.reason_code, previous.note)


def restore_many(db: Database, login: str, activity_id: str, day: dt.date,
                 previous: list[tuple[str, Mark | None]]) -> dict[str, Mark | None]:
    """Undo of a whole action (all present, a clear): every person back to their earlier state, in one
    transaction – all or nothing. Returns what is now stored per person."""
    _check_day(day)
    result: dict[str, Mark | None] = {}
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ATTENDANCE, activity_id=activity_id)
        for pid, mark_before in previous:
            if mark_before is None:
                changes.delete(tx, "attendance", changes.natural_id("attendance", pid, activity_id, day.isoformat()))
                result[pid] = None
            else:
                result[pid] = _mark_in(tx, pid, activity_id, day, mark_before.status, mark_before.hours,
                                       mark_before.reason_code, mark_before.note)
    return result


def mark_all_present(db: Database, login: str, activity_id: str, day: dt.date) -> list[str]:
    """Mark every still-unmarked person present, in one transaction; return their ids."""
    todo = [r.participant_id for r in roll_call(db, activity_id, day) if r.mark is None]
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ATTENDANCE, activity_id=activity_id)
        for pid in todo:
            _mark_in(tx, pid, activity_id, day, "present")
    return todo


def is_cancelled(db: Database, activity_id: str, day: dt.date) -> bool:
    with db.read() as conn:
        return conn.exec_driver_sql("SELECT 1 FROM session_cancel WHERE activity_id = ? AND date = ?",
                                    (activity_id, day.isoformat())).first() is not None


def marks_in_session(db: Database, activity_id: str, day: dt.date) -> int:
    """How many marks a cancellation (or un-cancellation) of this session affects."""
    with db.read() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM attendance WHERE activity_id = ? AND date = ?",
                                    (activity_id, day.isoformat())).scalar_one()


def cancel_session(db: Database, login: str, activity_id: str, day: dt.date, reason: str = "") -> int:
    """The session did not take place: nobody is absent. Marks already recorded for it are kept as they
    are – shown as belonging to a cancelled session, counted neither as hours nor as absence – and come
    back with `uncancel_session`. Returns how many marks that affects."""
    _check_day(day)
    reason = validate.text(reason, "anledning", max_len=200)
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ATTENDANCE, activity_id=activity_id)
        ids = [r[0] for r in tx.conn.exec_driver_sql(
            "SELECT id FROM attendance WHERE activity_id = ? AND date = ?", (activity_id, day.isoformat()))]
        changes.upsert(tx, "session_cancel", changes.natural_id("session_cancel", activity_id, day.isoformat()), {
            "activity_id": activity_id, "date": day.isoformat(), "reason": reason,
            "recorded_by": login, "recorded_at": clock.now().isoformat()})
    return len(ids)


def uncancel_session(db: Database, login: str, activity_id: str, day: dt.date) -> int:
    """The session took place after all: its kept marks count again. Returns how many."""
    _check_day(day)
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ATTENDANCE, activity_id=activity_id)
        changes.delete(tx, "session_cancel", changes.natural_id("session_cancel", activity_id, day.isoformat()))
        return tx.conn.exec_driver_sql("SELECT count(*) FROM attendance WHERE activity_id = ? AND date = ?",
                                       (activity_id, day.isoformat())).scalar_one()


# ------------------------------------------------------------------------------------------ week grid

@dataclass(frozen=True)
class WeekRow:
    participant_id: str
    name: str
    marks: dict[str, Mark]  # iso date -> mark at this activity
    planned_week: float  # the person's plan over the week's working days
    attended_week: float  # hours attended this week at any activity

    @property
    def shortfall(self) -> float:
        return max(self.planned_week - self.attended_week, 0.0)


def week_days(monday: dt.date) -> list[dt.date]:
    return [monday + dt.timedelta(days=i) for i in range(5)]


def _planned_expr(days: list[dt.date]) -> str:
    cols = [_weekday_col("plan", d) for d in days if calendar.is_workday(d)]
    return " + ".join(f"p.{c}" for c in cols) if cols else "0"


def week_grid(db: Database, activity_id: str, monday: dt.date) -> list[WeekRow]:
    """The week's marks at one activity; planned vs attended counts the days up to today only, so a
    Tuesday does not show Wednesday to Friday as missing."""
    days = week_days(monday)
    first, last = days[0].isoformat(), days[-1].isoformat()
    so_far = [d for d in days if d <= clock.today()]
    with db.read() as conn:
        people = conn.exec_driver_sql(
            f"SELECT DISTINCT p.id, p.last_name || ', ' || p.first_name, {_planned_expr(so_far)},"
            "  (SELECT coalesce(sum(t.hours), 0) FROM attendance t WHERE t.participant_id = p.id"
            "   AND t.date BETWEEN ?2 AND ?3 AND " + live_sql("t") + ")"
            " FROM enrolment e JOIN participant p ON p.id = e.participant_id"
            " WHERE e.activity_id = ?1 AND e.start_date <= ?3 AND (e.end_date IS NULL OR e.end_date >= ?2)"
            "  AND (p.exit_date IS NULL OR p.exit_date >= ?2)"
            " ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE", (activity_id, first, last)).all()
        marks: dict[str, dict[str, Mark]] = {}
        for r in conn.exec_driver_sql(
                "SELECT participant_id, date, status, hours, reason_code, note, recorded_by, recorded_at, late,"
                " NOT " + live_sql("attendance") +
                " FROM attendance WHERE activity_id = ? AND date BETWEEN ? AND ?", (activity_id, first, last)):
            marks.setdefault(r[0], {})[r[1]] = Mark(r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), bool(r[9]))
    return [WeekRow(pid, name, marks.get(pid, {}), planned, attended) for pid, name, planned, attended in people]


def session_plans(db: Database, activity_id: str) -> dict[str, tuple[float, ...]]:
    """Planned hours per weekday of each enrolled person at this activity: min(session, person's plan)."""
    cols = ", ".join(f"min(a.hours_{d}, p.plan_{d})" for d in ("mon", "tue", "wed", "thu", "fri"))
    with db.read() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.exec_driver_sql(
            f"SELECT DISTINCT p.id, {cols} FROM enrolment e JOIN participant p ON p.id = e.participant_id"
            " JOIN activity a ON a.id = e.activity_id WHERE e.activity_id = ?", (activity_id,))}


@dataclass(frozen=True)
class PersonWeek:
    monday: dt.date
    planned: float
    attended: float
    cells: dict[str, list[tuple[str, Mark]]] = field(default_factory=dict)  # iso date -> [(activity, mark)]


def person_weeks(db: Database, participant_id: str, weeks: int = 8, until: dt.date | None = None) -> list[PersonWeek]:
    """One person's recent weeks (newest first): planned vs attended and every mark, for the case card."""
    until = until or clock.today()
    monday = clock.week_monday(until)
    result = []
    with db.read() as conn:
        for i in range(weeks):
            start = monday - dt.timedelta(weeks=i)
            days = week_days(start)
            planned = conn.exec_driver_sql(f"SELECT {_planned_expr(days)} FROM participant p WHERE p.id = ?",
                                           (participant_id,)).scalar_one()
            cells: dict[str, list[tuple[str, Mark]]] = {}
            attended = 0.0
            for r in conn.exec_driver_sql(
                    "SELECT t.date, a.name, t.status, t.hours, t.reason_code, t.note, t.recorded_by, t.recorded_at,"
                    " t.late, NOT " + live_sql("t") + " FROM attendance t JOIN activity a ON a.id = t.activity_id"
                    " WHERE t.participant_id = ? AND t.date BETWEEN ? AND ? ORDER BY t.date, a.name",
                    (participant_id, days[0].isoformat(), days[-1].isoformat())):
                mark = Mark(r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), bool(r[9]))
                cells.setdefault(r[0], []).append((r[1], mark))
                attended += 0 if mark.cancelled else r[3]
            result.append(PersonWeek(start, planned, attended, cells))
    return result


# --------------------------------------------------------------------------------------------- import

IMPORT_COLUMNS = ("personnummer", "activity", "date", "status", "hours", "reason", "note")


@dataclass
class ImportReport:
    imported: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


IMPORT_SPEC: dict[str, tuple[str, ...]] = {
    "personnummer": ("samordningsnummer", "personal_number", "pnr"),
    "participant_id": ("deltagar_id",),
    "activity": ("aktivitet",),
    "date": ("datum",),
    "status": ("närvaro",),
    "hours": ("timmar", "tim"),
    "reason": ("orsak", "frånvaroorsak"),
    "note": ("anteckning", "notering", "kommentar"),
}


def import_csv(db: Database, login: str, path: str | Path, *, all_or_nothing: bool = False) -> ImportReport:
    """Import a paper list (CSV or XLSX, as Excel writes it): each row through the same `mark` rules as a
    key press. A file that cannot be read raises one ArenaError naming why; a bad row is refused by line."""
    report = ImportReport()
    with tabular.read(path) as table:
        cols = tabular.columns(table.header, IMPORT_SPEC, ("activity", "date", "status"), str(path))
        if "personnummer" not in cols and "participant_id" not in cols:
            tabular.columns(table.header, IMPORT_SPEC, ("personnummer",), str(path))
        id_col = "personnummer" if "personnummer" in cols else "participant_id"
        rows = []
        for r in table.rows():
            row = {key: r.get(name) for key, name in cols.items()}
            rows.append((r.line, row, r.extra))

    with db.read() as conn:
        activities = {name.casefold(): aid for aid, name in conn.exec_driver_sql("SELECT id, name FROM activity")}

    def resolve(tx: Tx, row: dict) -> tuple[str, str, dt.date]:
        if id_col == "participant_id":
            pid = row.get("participant_id", "")
            if not tx.conn.exec_driver_sql("SELECT 1 FROM participant WHERE id = ?", (pid,)).first():
                raise ArenaError("att.unknown_person", value=pid[:40])
        else:
            number = identity.parse(row.get("personnummer", ""))
            found = tx.conn.exec_driver_sql("SELECT id FROM participant WHERE personnummer = ?",
                                            (number.canonical,)).first()
            if not found:
                raise ArenaError("att.unknown_person", value=number.formatted())
            pid = found[0]
        aid = activities.get(row.get("activity", "").casefold())
        if aid is None:
            raise ArenaError("att.unknown_activity", value=row.get("activity", "")[:60])
        return pid, aid, validate.date(row.get("date", ""))

    def one(tx: Tx, row: dict) -> bool:
        pid, aid, day = resolve(tx, row)
        status = row.get("status", "").lower()
        hours = tabular.decimal(row["hours"]) if row.get("hours") else None
        before = _get_mark(tx.conn, pid, aid, day.isoformat())
        after = _mark_in(tx, pid, aid, day, status, hours, row.get("reason") or None, row.get("note", ""))
        return before != after

    def run(tx: Tx) -> None:
        for line, row, extra in rows:
            if extra:
                report.rejected.append((line, t("tab.extra_cells", cells=", ".join(extra)[:80])))
                continue
            try:
                savepoint = tx.conn.begin_nested()
                try:
                    changed = one(tx, row)
                except BaseException:
                    savepoint.rollback()
                    raise
                savepoint.commit()
            except ArenaError as error:
                report.rejected.append((line, str(error)))
                continue
            if changed:
                report.imported += 1
            else:
                report.unchanged += 1

    try:
        with db.write(login) as tx:
            run(tx)
            if all_or_nothing and report.rejected:
                raise _RollBack
    except _RollBack:
        report.imported = report.unchanged = 0
    return report


class _RollBack(Exception):
    """Leaves the import's transaction without committing (--all-or-nothing)."""
