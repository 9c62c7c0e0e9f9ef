"""The närvarorapport: the document the social-assistance caseworker decides next month's payment from.

Per participant, for a month or any from–to period: name, identity number, caseworker, planned and
attended hours per ISO week ("v. 45") and in total, each absence with its date, code and hours
(unexcused ones highlighted), each partial day with the hours it is short of the session's, the notes
on marks, and a signature line: planned = attended + absence + hours missing on partial days. Planned hours count only up to
the day the report is made: a person registered today has not yet missed the rest of the month.

Written as PDF (fpdf2, with the DejaVu font shipped in `store/fonts`, so å ä ö print), as XLSX
(openpyxl's write-only, streaming workbook) and as a flat CSV (`store.tabular`'s writer) for systems.
People are read in chunks and handed to the writers one at a time, so the whole programme's report runs
in bounded memory. Every run is written to the access log. Never imports textual or rich.
"""
from __future__ import annotations

import calendar as pycal
import datetime as dt
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

from store import access, audit, calendar, cases, changes, clock, identity, tabular, validate
from store.attendance import cancelled_days, live_sql, plan_periods, planned_hours
from store.db import Database
from store.tables import WEEKDAYS
from store.i18n import ArenaError, language, num, t
from store.overview import day_plan_sql
from store.tx import driver

PLAN = tuple(f"plan_{d}" for d in WEEKDAYS)
CHUNK = 500
PDF_MAX_PEOPLE = 2000  # fpdf2 keeps the whole document in memory; larger runs go to XLSX or CSV
XLSX_SHEET_PER_PERSON = 40
FONTS = Path(__file__).resolve().parent / "fonts"


@dataclass
class Line:
    week: str  # ISO key "2026-W45", or "total"
    planned: float = 0.0
    attended: float = 0.0
    absence: dict[str, float] = field(default_factory=dict)  # code -> hours
    unexcused: int = 0  # unexcused sessions (a day with fm and em counts two)
    partial: float = 0.0  # the hours partial marks are short of their sessions' planned hours

    def add(self, other: Line) -> None:
        self.planned += other.planned
        self.attended += other.attended
        self.partial += other.partial
        self.unexcused += other.unexcused
        for code, hours in other.absence.items():
            self.absence[code] = self.absence.get(code, 0.0) + hours

    @property
    def label(self) -> str:
        if self.week == "total":
            return t("rep.total")
        return t("rep.week", week=int(self.week.split("-W")[1]))


@dataclass(frozen=True)
class Absence:
    """An absence, or a partial day (`partial`: code "", the label says "Delvis, 2 av 4 h", the hours are
    the ones missing)."""
    date: str
    activity: str
    code: str
    label: str
    hours: float
    unexcused: bool
    partial: bool = False


@dataclass(frozen=True)
class MarkNote:
    date: str
    activity: str
    text: str


@dataclass
class PersonReport:
    participant_id: str
    number: str
    name: str
    caseworker: str
    protected: bool
    weeks: list[Line]
    total: Line
    unexcused_dates: list[str]
    absences: list[Absence] = field(default_factory=list)
    notes: list[MarkNote] = field(default_factory=list)


@dataclass
class Code:
    code: str
    label: str
    excused: bool


@dataclass
class Report:
    start: dt.date
    end: dt.date
    made: dt.date  # planned hours count up to and including this day
    codes: list[Code]
    count: int
    people: Iterable[PersonReport]  # a list, or a one-pass generator for a streamed run
    scope: str = ""  # what the report covers, in words: a name, "handläggare X", "aktivitet Y", "alla"
    made_by: str = ""  # the login of the user who made it

    # The report of one calendar month keeps its year/month for the summary line and older callers.
    @property
    def year(self) -> int:
        return self.start.year

    @property
    def month(self) -> int:
        return self.start.month

    @property
    def period(self) -> str:
        whole_month = (self.start.day == 1 and self.end.month == self.start.month and self.end.year == self.start.year
                       and self.end.day == pycal.monthrange(self.end.year, self.end.month)[1])
        return self.start.strftime("%Y-%m") if whole_month else f"{self.start.isoformat()}–{self.end.isoformat()}"


def _week_key(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@functools.lru_cache(maxsize=1024)
def _week_of(date: str) -> str:
    """`_week_key` of an ISO date text; a period's few dates are parsed once, not once a mark."""
    return _week_key(dt.date.fromisoformat(date))


def period_of(month: str | None = None, start: object = None, end: object = None) -> tuple[dt.date, dt.date]:
    """A month ("2026-11") or a from–to pair of dates; refused in one sentence if neither or backwards."""
    if month:
        year, mon = validate.month(month)
        return dt.date(year, mon, 1), dt.date(year, mon, pycal.monthrange(year, mon)[1])
    if not start or not end:
        raise ArenaError("rep.no_period")
    first, last = validate.date(start), validate.date(end)
    if last < first:
        raise ArenaError("rep.backwards", start=first.isoformat(), end=last.isoformat())
    if (last - first).days > 366:
        raise ArenaError("rep.too_long")
    return first, last


@dataclass(frozen=True)
class _Found:
    id: str
    protected: bool
    last_name: str
    first_name: str


def build(db: Database, login: str, month: str | None = None, *, start: object = None, end: object = None,
          participant: str | None = None, caseworker: str | None = None, activity: str | None = None,
          participant_ids: list[str] | None = None, stream: bool = False, today: dt.date | None = None,
          reason: str = "") -> Report:
    """The report for one participant, a caseworker's caseload, an activity's participants, a list of ids
    or (none of these) everyone. `stream=True` gives people as a one-pass generator (whole programme)."""
    first, last = period_of(month, start, end)
    if sum(x is not None and x != "" for x in (participant, caseworker, activity, participant_ids)) > 1:
        raise ArenaError("rep.one_selection")  # one would be silently left out: say so instead
    made = today or clock.today()
    reason = validate.text(reason, "reason", max_len=300)
    if reason:  # a few words or a listed reason, as the TUI's reason dialog asks: never "x" in the access log
        reason = access.check_reason(reason)
    with db.read() as conn:
        user = access.require(conn, login, access.REPORT)
    where, params, scope = "", [], t("rep.scope_all")
    found = None
    if participant:
        # found by id, reserve or identity number; whether it may be read is the caseload check below (a
        # person outside it needs the reason, like everyone else in a report)
        pid = cases.find_one(db, login, participant)
        with db.read() as conn:
            row = conn.exec_driver_sql("SELECT id, protected, last_name, first_name FROM participant WHERE id = ?",
                                       (pid,)).first() if pid else None
        if row is None:
            if re.fullmatch(r"[\d\s+-]{10,15}", str(participant).strip()):
                identity.parse(str(participant))  # a mistyped number says what is wrong with it (its check digit)
            raise ArenaError("att.unknown_person", value=str(participant)[:40])
        found = _Found(row.id, bool(row.protected), row.last_name, row.first_name)
        where, params = " AND p.id = ?", [found.id]
        scope = t("protected") if found.protected else f"{found.last_name}, {found.first_name}"
    elif participant_ids is not None:
        where, params = f" AND p.id IN ({', '.join('?' * len(participant_ids))})", list(participant_ids)
        scope = t("rep.scope_selection")
    elif caseworker:
        with db.read() as conn:
            if conn.exec_driver_sql("SELECT 1 FROM caseworker WHERE login = ?", (caseworker,)).first() is None:
                raise ArenaError("acc.unknown_login", login=str(caseworker)[:64])
        where, params = " AND p.caseworker_id = (SELECT id FROM caseworker WHERE login = ?)", [caseworker]
        scope = t("rep.scope_caseload", login=caseworker)
    elif activity:
        with db.read() as conn:
            row = conn.exec_driver_sql("SELECT id, name FROM activity WHERE id = ? OR name = ? COLLATE NOCASE",
                                       (activity, activity)).first()
        if row is None:
            raise ArenaError("att.unknown_activity", value=str(activity)[:60])
        where = (" AND p.id IN (SELECT e.participant_id FROM enrolment e WHERE e.activity_id = ?"
                 " AND e.start_date <= ? AND (e.end_date IS NULL OR e.end_date >= ?))")
        params = [row.id, last.isoformat(), first.isoformat()]
        scope = t("rep.scope_activity", name=row.name)
    lang = language()
    with db.read() as conn:
        codes = [Code(r.code, r.label_sv if lang == "sv" else r.label_en, bool(r.excused)) for r in conn.exec_driver_sql(
            "SELECT code, label_sv, label_en, excused FROM absence_code ORDER BY sort, code")]
        people = conn.exec_driver_sql(
            "SELECT p.id, p.personnummer, p.reserve_number, p.protected, p.last_name || ', ' || p.first_name AS name,"
            " p.referral_date, p.exit_date, coalesce(c.name, '') AS caseworker, " + ", ".join(f"p.{c}" for c in PLAN) +
            " FROM participant p LEFT JOIN caseworker c ON c.id = p.caseworker_id"
            " WHERE p.referral_date <= ? AND (p.exit_date IS NULL OR p.exit_date >= ?)" + where +
            " ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id",
            (last.isoformat(), first.isoformat(), *params)).all()
        outside = access.outside_caseload(conn, user, [r.id for r in people])
    if outside and not reason:
        raise access.AccessDenied("acc.reason_required_bulk", n=len(outside), total=len(people))
    with db.write(login) as tx:
        audit.record(tx, "report", participant_id=found.id if found else None, reason=reason,
                     detail=f"narvaro {first.isoformat()}..{last.isoformat()}"
                     + (f" caseworker={caseworker}" if caseworker else "")
                     + (f" activity={activity}" if activity else "") + f" people={len(people)}")
        # each person outside the caseload is a read the access review must see: one event each (the whole
        # programme's report writes tens of thousands), the clock saved once for them all as a bulk chunk does
        tx.clock_saved_later = True
        audit.record_many(tx, "report", outside, reason=reason, detail="outside caseload")
        changes.save_clock(tx)
    generated = _people(db, login, people, first, last, made, {c.code: c for c in codes})
    return Report(first, last, made, codes, len(people), generated if stream else list(generated), scope, login)


class _Mark(NamedTuple):
    """A mark as the report reads it (`_people`'s query, in this order)."""
    participant_id: str
    date: str
    status: str
    reason_code: str | None
    hours: float
    planned: float  # the session's planned hours that day, for an absence or a partial mark (else 0)
    activity: str
    note: str | None


def planned_sql(alias: str) -> str:
    """A mark's planned hours (the session's that day, at most the person's plan) where the report uses
    them, on an absence and a partial mark; 0 on any other mark, so the per-mark lookup of the session's
    hours is skipped."""
    return (f"CASE WHEN coalesce({alias}.reason_code, '') = '' AND {alias}.status <> 'partial' THEN 0"
            f" ELSE {day_plan_sql(alias)} END")


def _people(db: Database, login: str, people: Sequence, first: dt.date, last: dt.date, made: dt.date,
            codes: dict[str, Code]) -> Iterator[PersonReport]:
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    workdays = {d for d in days if calendar.is_workday(d)}
    counted_until = min(last, made)
    week_of: dict[str, list[dt.date]] = {}  # the period's weekdays by ISO week, the same for everyone
    for day in days:
        if day.weekday() < 5:
            week_of.setdefault(_week_key(day), []).append(day)
    for at in range(0, len(people), CHUNK):
        chunk = people[at:at + CHUNK]
        marks: dict[str, list[_Mark]] = {}
        with db.read() as conn:
            ids = tuple(r.id for r in chunk)
            # the driver's own cursor (no per-row wrapping), each row read by name as a _Mark
            for r in map(_Mark._make, driver(conn).execute(
                    f"SELECT t.participant_id, t.date, t.status, t.reason_code, t.hours, {planned_sql('t')},"
                    " a.name, t.note FROM attendance t JOIN activity a ON a.id = t.activity_id JOIN participant p"
                    " ON p.id = t.participant_id WHERE t.date BETWEEN ? AND ?"
                    f" AND t.participant_id IN ({', '.join('?' * len(ids))}) AND {live_sql('t')}"
                    " ORDER BY t.date, a.name",
                    (first.isoformat(), last.isoformat(), *ids))):
                marks.setdefault(r.participant_id, []).append(r)
            cancelled = cancelled_days(conn, login, ids, first, counted_until)
            periods = plan_periods(conn, login, ids)
        for person in chunk:
            yield _person(person, marks.pop(person.id, []), week_of, workdays, counted_until, codes,
                          cancelled.get(person.id), periods.get(person.id, ()))


def _person(person: Any, marks: list, week_of: dict[str, list[dt.date]], workdays: set[dt.date],  # noqa: ANN401
            counted_until: dt.date, codes: dict[str, Code], cancelled: dict[str, float] | None = None,
            periods: Sequence[tuple[str, Sequence[float]]] = ()) -> PersonReport:
    """One person's report from their row (as `report` selects it), their marks in the period (a cancelled
    session's are not among them), the period's weekdays by ISO week, the days one of their sessions
    was cancelled (`cancelled_days`) and their earlier weekly plans (`plan_periods`: each day counts the
    plan in force that day)."""
    referral, exit_date, protected = person.referral_date, person.exit_date, bool(person.protected)
    plan = [person._mapping[c] for c in PLAN]
    weeks: dict[str, Line] = {}
    for key, in_week in week_of.items():
        weeks[key] = Line(key, planned_hours(plan, referral, exit_date, in_week, counted_until, workdays, cancelled,
                                              periods))
    unexcused_dates: list[str] = []
    absences: list[Absence] = []
    notes: list[MarkNote] = []
    for mark in marks:
        date, code = mark.date, mark.reason_code
        key = _week_of(date)
        line = weeks.setdefault(key, Line(key))
        line.attended += mark.hours
        if code:
            line.absence[code] = line.absence.get(code, 0.0) + mark.planned
            known = codes.get(code)
            absences.append(Absence(date, mark.activity, code, known.label if known else code, mark.planned,
                                    mark.status == "unexcused"))
        elif mark.status == "partial" and mark.planned - mark.hours > 1e-9:
            missing = mark.planned - mark.hours
            line.partial += missing
            absences.append(Absence(date, mark.activity, "", t("rep.partial", attended=num(mark.hours),
                                                                 planned=num(mark.planned)), missing, False, True))
        if mark.status == "unexcused":
            line.unexcused += 1
            unexcused_dates.append(date)
        if mark.note:
            notes.append(MarkNote(date, mark.activity, mark.note))
    total = Line("total")
    for line in weeks.values():
        total.add(line)
    return PersonReport(person.id, _number(person.personnummer, person.reserve_number, protected), person.name,
                        person.caseworker, protected,
                        [weeks[k] for k in sorted(weeks)], total, sorted(set(unexcused_dates)), absences, notes)


def activities(db: Database) -> list[tuple[str, str]]:
    """The activities a report can be made for: (id, name), by name."""
    with db.read() as conn:
        return [(r.id, r.name) for r in conn.exec_driver_sql(
            "SELECT id, name FROM activity WHERE active = 1 ORDER BY name COLLATE NOCASE")]


def _number(pnr: str | None, reserve: str | None, protected: bool) -> str:
    if not pnr:
        return reserve or ""
    return pnr if not protected else identity.parse(pnr, dt.date(9999, 1, 1)).masked()


# ------------------------------------------------------------------------------------------ flat table

def columns(report: Report) -> list[str]:
    return ([t("rep.col.number"), t("rep.col.name"), t("rep.col.caseworker"), t("rep.col.week"),
             t("rep.col.planned"), t("rep.col.attended")]
            + [t("rep.col.absence", label=c.label) for c in report.codes]
            + [t("rep.col.partial_missing"), t("rep.col.unexcused_count"), t("rep.col.unexcused_dates"),
               t("rep.col.partial_days")])


def person_rows(report: Report, person: PersonReport, number: str | None = None) -> list[list]:
    """The person's rows of the flat table, a week each and the total; `number` as shown (the CSV keeps
    the 12 digits)."""
    out = []
    partial = [a for a in person.absences if a.partial]
    for line in [*person.weeks, person.total]:
        total = line.week == "total"
        dates = " ".join(d for d in person.unexcused_dates if total or _week_of(d) == line.week)
        days = "; ".join(f"{a.date} {a.activity}: {a.label}" for a in partial if total or _week_of(a.date) == line.week)
        out.append([person.number if number is None else number, person.name, person.caseworker, line.label,
                    round(line.planned, 2), round(line.attended, 2)]
                   + [round(line.absence.get(c.code, 0.0), 2) for c in report.codes]
                   + [round(line.partial, 2), line.unexcused, dates, days])
    return out


def table(report: Report) -> list[list]:
    return [row for person in report.people for row in person_rows(report, person)]


def write_csv(report: Report, out: IO[str], dialect: tabular.Dialect | None = None) -> int:
    """The flat table: its cells are text, whole numbers and rounded floats, what `sqlite_rows` formats
    as `row` would, a float's text once per value."""
    writer = tabular.writer(out, dialect)
    writer.header(columns(report))
    writer.sqlite_rows(row for person in report.people for row in person_rows(report, person))
    return writer.count


# ------------------------------------------------------------------------------------------------ xlsx

def _sheet_title(name: str, taken: set[str]) -> str:
    # Excel refuses a sheet name with [ ] : * ? / \ or one that begins or ends with an apostrophe ('t Hooft)
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip().strip("'").strip()[:28] or "-"
    title, n = base, 2
    while title.casefold() in taken:
        title, n = f"{base[:25]} {n}", n + 1
    taken.add(title.casefold())
    return title


_NOT_TEXT = ("=", "#")  # texts openpyxl would store as a formula ("=…") or an error value ("#N/A")
DATE_FORMAT = "yyyy-mm-dd"  # a date is a date cell (Excel sorts and filters it), shown as ISO


def _day(date: str) -> dt.date:
    return dt.date.fromisoformat(date)


class _Sheets:
    """Rows into write-only sheets at the speed openpyxl allows: a plain row goes as its values (openpyxl
    reuses one cell object for them all); a styled row, or one holding a text openpyxl would take for a
    formula or an error ("=…", "#N/A"), goes as cells with each text marked as text. The styles are named
    styles added once: a styled cell copies their index, no Font is built or hashed per cell (that was
    most of the time of the whole programme's report)."""

    BOLD, TITLE, UNEXCUSED = "arena-bold", "arena-title", "arena-unexcused"

    def __init__(self, book: Any) -> None:  # noqa: ANN401 -- an openpyxl Workbook
        from openpyxl.styles import Font, NamedStyle, PatternFill

        book.add_named_style(NamedStyle(self.BOLD, font=Font(bold=True)))
        book.add_named_style(NamedStyle(self.TITLE, font=Font(bold=True, size=14)))
        book.add_named_style(NamedStyle(self.UNEXCUSED, font=Font(bold=True, color="C00000"),
                                        fill=PatternFill("solid", fgColor="FDE2E2")))

    @staticmethod
    def append(sheet: Any, values: Sequence[object], style: str | Sequence[str | None] | None = None  # noqa: ANN401
               ) -> None:
        """One row; `style` is a style for every cell, or one per cell (None: unstyled)."""
        if style is None and not any(v.__class__ is str and v[:1] in _NOT_TEXT for v in values):
            sheet.append(values)  # a date gets openpyxl's date format
            return
        from openpyxl.cell import WriteOnlyCell

        styles = [style] * len(values) if style is None or isinstance(style, str) else style
        cells = []
        for value, name in zip(values, styles):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # a text starting with "=" is a text, never a formula
            if name is not None:
                cell.style = name
            if isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT  # after the style, whose format is General
            cells.append(cell)
        sheet.append(cells)


def title_block(report: Report) -> list[str]:
    """What a workbook says above its summary: the report, its scope and period, how far planned hours
    count, and when and by whom it was made."""
    return [f"{t('rep.title')}: {report.scope}" if report.scope else t("rep.title"),
            f"{t('rep.period')}: {report.start.isoformat()} – {report.end.isoformat()}",
            t("rep.planned_through", date=report.made.isoformat()),
            t("rep.made_by", date=report.made.isoformat(), user=report.made_by or "–")]


XLSX_TITLE_ROWS = 5  # the title block's four lines and a blank one: the summary's header is the row after


def write_xlsx(report: Report, out: IO[bytes]) -> None:
    """A streaming (write-only) workbook: a summary sheet (the title block, then every person per week and
    total, then the signature line), an absence sheet (unexcused in bold red), a sheet of the notes on
    marks and, for up to XLSX_SHEET_PER_PERSON people, one sheet per person laid out as the document.
    Text is stored as text: nothing in a name or note becomes a formula."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheets = _Sheets(book)
    append, bold = sheets.append, sheets.BOLD
    summary = book.create_sheet(t("rep.sheet_summary"))
    summary.freeze_panes = f"A{XLSX_TITLE_ROWS + 2}"
    widths = [15, 30, 22, 10, 14, 15] + [12] * len(report.codes) + [15, 15, 40, 50]
    for i, width in enumerate(widths, start=1):
        summary.column_dimensions[get_column_letter(i)].width = width
    block = title_block(report)
    append(summary, block[:1], sheets.TITLE)
    for line in block[1:]:
        append(summary, [line])
    for _ in range(XLSX_TITLE_ROWS - len(block)):
        append(summary, [])
    append(summary, columns(report), bold)
    absences = book.create_sheet(t("rep.sheet_absences"))
    absences.freeze_panes = "A2"
    for i, width in enumerate([15, 30, 12, 24, 24, 10, 10], start=1):
        absences.column_dimensions[get_column_letter(i)].width = width
    append(absences, [t("rep.col.number"), t("rep.col.name"), t("rep.col.date"), t("rep.col.activity"),
                      t("rep.col.code"), t("rep.col.hours"), t("rep.col.unexcused")], bold)
    notes = book.create_sheet(t("rep.sheet_notes"))
    notes.freeze_panes = "A2"
    for i, width in enumerate([15, 30, 12, 24, 60], start=1):
        notes.column_dimensions[get_column_letter(i)].width = width
    append(notes, [t("rep.col.number"), t("rep.col.name"), t("rep.col.date"), t("rep.col.activity"),
                   t("rep.col.note")], bold)
    own_sheets = report.count <= XLSX_SHEET_PER_PERSON
    taken = {summary.title.casefold(), absences.title.casefold(), notes.title.casefold()}
    total, yes = t("rep.total"), t("rep.yes")
    for person in report.people:
        number = _shown(person.number)
        for row in person_rows(report, person, number):
            append(summary, row, bold if row[3] == total else None)
        for a in person.absences:
            append(absences, (number, person.name, _day(a.date), a.activity, a.label, round(a.hours, 2),
                              yes if a.unexcused else ""), sheets.UNEXCUSED if a.unexcused else None)
        for n in person.notes:
            append(notes, (number, person.name, _day(n.date), n.activity, n.text))
        if own_sheets:
            _person_sheet(book.create_sheet(_sheet_title(person.name, taken)), report, person, sheets)
    append(summary, [])
    append(summary, [t("rep.signature")])
    book.save(out)


def _person_sheet(sheet, report: Report, person: PersonReport, sheets: _Sheets) -> None:  # noqa: ANN001
    from openpyxl.utils import get_column_letter

    append, bold = sheets.append, sheets.BOLD
    for i, width in enumerate([24, 16, 16, 16, 24, 24], start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    append(sheet, [t("rep.title")], sheets.TITLE)
    for label, value in _facts(report, person):
        append(sheet, [label, value], [bold, None])
    append(sheet, [])
    append(sheet, [t("rep.col.week"), t("rep.col.planned"), t("rep.col.attended"), t("rep.col.absence_hours"),
                   t("rep.col.partial_missing"), t("rep.col.unexcused_count")], bold)
    for line in [*person.weeks, person.total]:
        append(sheet, [line.label, round(line.planned, 2), round(line.attended, 2), round(sum(line.absence.values()), 2),
                       round(line.partial, 2), line.unexcused], bold if line.week == "total" else None)
    append(sheet, [])
    append(sheet, [t("rep.absences")], bold)
    if person.absences:
        append(sheet, [t("rep.col.date"), t("rep.col.activity"), t("rep.col.code"), t("rep.col.hours"),
                       t("rep.col.unexcused")], bold)
        for a in person.absences:
            append(sheet, [_day(a.date), a.activity, a.label, round(a.hours, 2), t("rep.yes") if a.unexcused else ""],
                   sheets.UNEXCUSED if a.unexcused else None)
    else:
        append(sheet, [t("rep.no_absences")])
    if person.notes:
        append(sheet, [])
        append(sheet, [t("rep.notes")], bold)
        for n in person.notes:
            append(sheet, [_day(n.date), n.activity, n.text])
    append(sheet, [])
    append(sheet, [t("rep.signature")])


def _shown(number: str) -> str:
    """A 12-digit personnummer as a person reads it on a document (19850314-1239); a masked or reserve
    number as it is. The flat CSV keeps the 12 digits: a format for systems."""
    return identity.shown(number, False) if len(number) == 12 and number.isdigit() else number


def _facts(report: Report, person: PersonReport) -> list[tuple[str, str]]:
    return [(t("rep.col.name"), person.name), (t("rep.col.number"), _shown(person.number) or "–"),
            (t("rep.col.caseworker"), person.caseworker or "–"),
            (t("rep.period"), f"{report.start.isoformat()} – {report.end.isoformat()}"),
            (t("rep.made"), t("rep.made_note", date=report.made.isoformat()))]


# ------------------------------------------------------------------------------------------------- pdf

def write_pdf(report: Report, out: IO[bytes]) -> None:
    """One A4 page (or more) per participant: facts, the week table, absences (unexcused in bold red),
    notes on marks, and a signature line. DejaVu Sans from the package: å ä ö and – print."""
    if report.count > PDF_MAX_PEOPLE:
        raise ArenaError("rep.pdf_too_many", people=num(report.count, 0), max=num(PDF_MAX_PEOPLE, 0))
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(t("rep.title"))
    pdf.set_creator("Arena")
    width = 180
    any_page = False
    for person in report.people:
        any_page = True
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 15)
        pdf.cell(width, 9, t("rep.title"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        for label, value in _facts(report, person):
            pdf.set_font("DejaVu", "B", 10)
            pdf.cell(45, 6, label)
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(width - 45, 6, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        # each header word whole on its line ("Frånvarotimmar" 29 mm in bold 9 pt, and the cell's margins)
        cols = [(t("rep.col.week"), 16), (t("rep.col.planned"), 26), (t("rep.col.attended"), 31),
                (t("rep.col.absence_hours"), 32), (t("rep.col.partial_missing"), 39), (t("rep.col.unexcused_count"), 36)]
        pdf.set_font("DejaVu", "B", 9)
        _wrapped_row(pdf, [(name, w, "L") for name, w in cols])
        for line in [*person.weeks, person.total]:
            pdf.set_font("DejaVu", "B" if line.week == "total" else "", 9)
            values = [line.label, num(line.planned), num(line.attended), num(sum(line.absence.values())),
                      num(line.partial), str(line.unexcused)]
            for (_, w), value in zip(cols, values):
                pdf.cell(w, 6, value, border=1, align="L" if value == values[0] else "R")
            pdf.ln()
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(width, 7, t("rep.absences"), new_x="LMARGIN", new_y="NEXT")
        if not person.absences:
            pdf.set_font("DejaVu", "", 9)
            pdf.cell(width, 6, t("rep.no_absences"), new_x="LMARGIN", new_y="NEXT")
        else:
            # the reason's whole label is shown ("Läkar- eller tandläkarbesök"): a cell too narrow wraps
            acols = [(t("rep.col.date"), 24), (t("rep.col.activity"), 52), (t("rep.col.code"), 64),
                     (t("rep.col.hours"), 18), (t("rep.col.unexcused"), 22)]
            pdf.set_font("DejaVu", "B", 9)
            _wrapped_row(pdf, [(name, w, "L") for name, w in acols])
            for a in person.absences:
                pdf.set_font("DejaVu", "B" if a.unexcused else "", 9)
                pdf.set_text_color(192, 0, 0) if a.unexcused else pdf.set_text_color(0, 0, 0)
                _wrapped_row(pdf, list(zip((a.date, a.activity, a.label, num(a.hours),
                                            t("rep.yes") if a.unexcused else ""),
                                           (w for _, w in acols), ("L", "L", "L", "R", "L"))))
            pdf.set_text_color(0, 0, 0)
        if person.notes:
            pdf.ln(3)
            pdf.set_font("DejaVu", "B", 11)
            pdf.cell(width, 7, t("rep.notes"), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 9)
            for n in person.notes:
                pdf.multi_cell(width, 5, f"{n.date}  {n.activity}: {n.text}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(14)
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(width, 6, t("rep.signature"), new_x="LMARGIN", new_y="NEXT")
    if not any_page:
        pdf.add_page()
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(width, 8, t("rep.nobody"))
    out.write(bytes(pdf.output()))


def _wrapped_row(pdf, cells: list[tuple[str, float, str]], line: float = 5.0) -> None:  # noqa: ANN001
    """One table row of bordered cells (text, width, align), each wrapped onto as many lines as its text
    needs and all as tall as the tallest: nothing is cut off. A row that would not fit starts a new page."""
    lines = [pdf.multi_cell(w, line, text, dry_run=True, output="LINES") for text, w, _ in cells]
    height = line * max(1, *(len(found) for found in lines)) + 1
    if pdf.will_page_break(height):
        pdf.add_page()
    x, y = pdf.get_x(), pdf.get_y()
    for text, w, align in cells:
        pdf.rect(x, y, w, height)
        pdf.set_xy(x, y + 0.5)
        pdf.multi_cell(w, line, text, align=align, new_x="RIGHT", new_y="TOP")
        x += w
    pdf.set_xy(pdf.l_margin, y + height)


# ---------------------------------------------------------------------------------------------- files

def file_name(report: Report, fmt: str) -> str:
    """What the file is: `narvarorapport-2026-11-Lind-Anna.pdf`, `…-handlaggare-omar.farah.xlsx`."""
    scope = unicodedata.normalize("NFKD", report.scope).encode("ascii", "ignore").decode()
    scope = re.sub(r"[^A-Za-z0-9.]+", "-", scope).strip("-")[:60] or "rapport"
    return f"{t('rep.file_prefix')}-{report.period.replace('–', '--')}-{scope}.{fmt}"


def write_file(report: Report, path: Path, fmt: str, dialect: tabular.Dialect | None = None, *,
               keep: bool = False) -> Path:
    """Write under a temporary name, owner-only (0600), then rename: no half report is ever left behind.
    `keep=True` never replaces a file that is there: the report gets the next free name ("….pdf",
    "…-2.pdf", "…-3.pdf"); the path written is returned."""
    import os

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        if fmt == "csv":
            d = dialect or tabular.dialect()
            with open(fd, "w", encoding="utf-8-sig" if d.bom else "utf-8", newline="") as out:
                write_csv(report, out, d)
        else:
            with open(fd, "wb") as binary:
                (write_pdf if fmt == "pdf" else write_xlsx)(report, binary)
        if not keep:
            os.replace(tmp, path)
            return path
        for n in itertools.count(1):
            target = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
            try:
                os.link(tmp, target)  # fails on a name that is taken: an earlier report is never replaced
            except FileExistsError:
                continue
            except OSError:  # a file system without hard links: the name checked, then renamed
                if target.exists():
                    continue
                os.replace(tmp, target)
                return target
            tmp.unlink()
            return target
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    raise AssertionError("itertools.count does not end")


def summary(report: Report) -> str:
    return t("report.summary", people=report.count, month=report.period)
