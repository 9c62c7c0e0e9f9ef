"""The monthly närvarorapport for the social-assistance caseworker: a view of the attendance rows.

Per participant and ISO week (the days of the week that fall in the month): planned hours (holidays and
weekends none; only days within the programme period), attended hours, absence hours per absence code
(the session's planned hours), the number of unexcused absences and their dates; then month totals.
"""
from __future__ import annotations

import calendar as pycal
import csv
import datetime as dt
from dataclasses import dataclass, field
from typing import IO

from store import access, audit, calendar, cases, identity, validate
from store.db import Database
from store.i18n import ArenaError, t
from store.attendance import live_sql
from store.overview import day_plan_sql

PLAN = ("plan_mon", "plan_tue", "plan_wed", "plan_thu", "plan_fri")


@dataclass
class Line:
    week: str  # "2026-W45" or "total"
    planned: float = 0.0
    attended: float = 0.0
    absence: dict[str, float] = field(default_factory=dict)  # code -> hours
    unexcused: int = 0

    def add(self, other: Line) -> None:
        self.planned += other.planned
        self.attended += other.attended
        self.unexcused += other.unexcused
        for code, hours in other.absence.items():
            self.absence[code] = self.absence.get(code, 0.0) + hours


@dataclass
class PersonReport:
    participant_id: str
    number: str
    name: str
    weeks: list[Line]
    total: Line
    unexcused_dates: list[str]


@dataclass
class Report:
    year: int
    month: int
    codes: list[str]
    people: list[PersonReport]


def _week_key(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def build(db: Database, login: str, month: str, *, participant: str | None = None,
          caseworker: str | None = None, participant_ids: list[str] | None = None, reason: str = "") -> Report:
    """The närvarorapport. People outside the user's caseload (not opened today with a reason) are an
    outside read of each: the report is refused without a `reason`, and with one each is logged as outside."""
    year, mon = validate.month(month)
    reason = validate.text(reason, "anledning", max_len=300)
    with db.read() as conn:
        user = access.require(conn, login, access.REPORT)
    first = dt.date(year, mon, 1)
    last = dt.date(year, mon, pycal.monthrange(year, mon)[1])
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    where, params = "", []
    if participant:
        found = cases.by_number(db, login, participant) if identity.looks_like_number(participant) else None
        if found is None:
            try:
                found = cases.get(db, login, participant)
            except access.AccessDenied:
                raise
            except ArenaError:
                found = None
        if found is None:
            raise ArenaError("att.unknown_person", value=str(participant)[:40])
        where, params = " AND p.id = ?", [found.id]
    elif participant_ids is not None:
        where, params = f" AND p.id IN ({', '.join('?' * len(participant_ids))})", list(participant_ids)
    elif caseworker:
        with db.read() as conn:
            if conn.exec_driver_sql("SELECT 1 FROM caseworker WHERE login = ?", (caseworker,)).first() is None:
                raise ArenaError("acc.unknown_user", login=str(caseworker)[:64])
        where, params = " AND p.caseworker_id = (SELECT id FROM caseworker WHERE login = ?)", [caseworker]
    with db.read() as conn:
        codes = [c for (c,) in conn.exec_driver_sql("SELECT code FROM absence_code ORDER BY sort, code")]
        people = conn.exec_driver_sql(
            "SELECT p.id, p.personnummer, p.reserve_number, p.protected, p.last_name || ', ' || p.first_name,"
            " p.referral_date, p.exit_date, " + ", ".join(f"p.{c}" for c in PLAN) +
            " FROM participant p WHERE p.referral_date <= ? AND (p.exit_date IS NULL OR p.exit_date >= ?)" + where +
            " ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id",
            (last.isoformat(), first.isoformat(), *params)).all()
        ids = [r[0] for r in people]
        outside = access.outside_caseload(conn, user, ids)
        if outside and not reason:
            raise access.AccessDenied("acc.reason_required_bulk", n=len(outside), total=len(ids))
        rows: dict[str, list] = {}
        if ids:
            for chunk in range(0, len(ids), 500):
                part = tuple(ids[chunk:chunk + 500])
                for r in conn.exec_driver_sql(
                        f"SELECT t.participant_id, t.date, t.status, t.reason_code, t.hours, {day_plan_sql('t')}"
                        " FROM attendance t JOIN activity a ON a.id = t.activity_id JOIN participant p"
                        " ON p.id = t.participant_id WHERE t.date BETWEEN ? AND ?"
                        f" AND t.participant_id IN ({', '.join('?' * len(part))}) AND {live_sql('t')}"
                        " ORDER BY t.date",
                        (first.isoformat(), last.isoformat(), *part)):
                    rows.setdefault(r[0], []).append(r)
    result = []
    for pid, pnr, reserve, protected, name, referral, exit_date, *plan in people:
        weeks: dict[str, Line] = {}
        for day in days:
            if day.weekday() < 5:
                line = weeks.setdefault(_week_key(day), Line(_week_key(day)))
                active = referral <= day.isoformat() and (exit_date is None or day.isoformat() <= exit_date)
                if active and calendar.is_workday(day):
                    line.planned += plan[day.weekday()]
        unexcused_dates: list[str] = []
        for _, date, status, code, hours, session_plan in rows.get(pid, []):
            line = weeks.setdefault(_week_key(dt.date.fromisoformat(date)), Line(_week_key(dt.date.fromisoformat(date))))
            line.attended += hours
            if code:
                line.absence[code] = line.absence.get(code, 0.0) + session_plan
            if status == "unexcused":
                line.unexcused += 1
                unexcused_dates.append(date)
        total = Line("total")
        for line in weeks.values():
            total.add(line)
        number = _number(pnr, reserve, bool(protected))
        result.append(PersonReport(pid, number, name, [weeks[k] for k in sorted(weeks)], total,
                                   sorted(set(unexcused_dates))))
    with db.write(login) as tx:
        audit.record(tx, "report", participant_id=result[0].participant_id if participant and result else None,
                     reason=reason, detail=f"narvaro {year}-{mon:02d}" + (f" caseworker={caseworker}" if caseworker else "")
                     + f" people={len(result)}")
        for pid in outside:  # each person outside the caseload is a read the access review must see
            audit.record(tx, "report", participant_id=pid, reason=reason, detail="outside caseload")
    return Report(year, mon, codes, result)


def _number(pnr: str | None, reserve: str | None, protected: bool) -> str:
    if not pnr:
        return reserve or ""
    return pnr if not protected else identity.parse(pnr, dt.date(9999, 1, 1)).masked()


def columns(report: Report) -> list[str]:
    return (["personnummer", "name", "week", "planned_hours", "attended_hours"]
            + [f"absence_{c.lower()}" for c in report.codes] + ["unexcused_count", "unexcused_dates"])


def table(report: Report) -> list[list]:
    out = []
    for person in report.people:
        for line in [*person.weeks, person.total]:
            dates = " ".join(person.unexcused_dates) if line.week == "total" else " ".join(
                d for d in person.unexcused_dates if _week_key(dt.date.fromisoformat(d)) == line.week)
            out.append([person.number, person.name, line.week, round(line.planned, 2), round(line.attended, 2)]
                       + [round(line.absence.get(c, 0.0), 2) for c in report.codes] + [line.unexcused, dates])
    return out


def write_csv(report: Report, out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns(report))
    writer.writerows(table(report))


def write_xlsx(report: Report, out: IO[bytes]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = f"Närvaro {report.year}-{report.month:02d}"
    sheet.append(columns(report))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table(report):
        sheet.append(row)
    sheet.freeze_panes = "A2"
    widths = [15, 30, 10, 14, 15] + [12] * len(report.codes) + [15, 40]
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    book.save(out)


def summary(report: Report) -> str:
    return t("report.summary", people=len(report.people), month=f"{report.year}-{report.month:02d}")
