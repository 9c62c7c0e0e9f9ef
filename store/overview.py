"""F5 "Min dag" and the programme figures: aggregate SQL over indexed columns, no loops over rows.

Every list item carries the participant id (or activity id) so the screen can jump to the case card
or the roll call.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from store.i18n import num
from store import access, calendar, clock, milestones, settings
from store.attendance import Session, live_sql, sessions
from store.db import Database
from store.tables import ONE_OF, WEEKDAYS

# planned hours of one attendance row's session: min(session hours valid that day, person's plan) on
# that weekday (session hours change from a date on, so an old mark keeps the hours it had)
def _by_weekday(column: str) -> str:
    """SQL: the day's value of a Monday-to-Friday column ('h.hours' -> h.hours_mon on a Monday), 0 at weekends."""
    whens = " ".join(f"WHEN {n} THEN {column}_{day}" for n, day in enumerate(WEEKDAYS, start=1))
    return f"CASE CAST(strftime('%w', {{t}}.date) AS INTEGER) {whens} ELSE 0 END"


_SESSION_DAY = ("(SELECT " + _by_weekday("h.hours") +
                " FROM session_hours h WHERE h.session_id = {t}.session_id AND h.valid_from <= {t}.date"
                " ORDER BY h.valid_from DESC LIMIT 1)")
# the person's plan in force on the mark's day: an earlier plan still valid then (plan_period), else theirs
_PLAN_THEN = ("CASE CAST(strftime('%w', {t}.date) AS INTEGER) " + " ".join(
    f"WHEN {n} THEN coalesce((SELECT pp.plan_{day} FROM plan_period pp WHERE pp.participant_id = {{t}}.participant_id"
    f" AND pp.valid_until >= {{t}}.date ORDER BY pp.valid_until LIMIT 1), p.plan_{day})"
    for n, day in enumerate(WEEKDAYS, start=1)) + " ELSE 0 END")
_DAY_PLAN = "min(coalesce(" + _SESSION_DAY + ", 0), " + _PLAN_THEN + ")"


def day_plan_sql(alias: str = "t") -> str:
    """SQL: a mark's planned hours (alias: the attendance row, joined to its person as `p`): the session's
    hours that day, at most the person's plan in force that day (a later change of the plan leaves it)."""
    return _DAY_PLAN.format(t=alias)


def planned_hours_sql(days: list[dt.date], alias: str = "p") -> str:
    """SQL sum of a person's planned hours over the given days (holidays and weekends count zero)."""
    cols = [f"{alias}.plan_{WEEKDAYS[d.weekday()]}" for d in days if calendar.is_workday(d)]
    return " + ".join(cols) if cols else "0"


@dataclass(frozen=True)
class Item:
    participant_id: str
    name: str
    protected: bool
    detail: str
    numbers: tuple = ()


@dataclass
class MyDay:
    sessions: list[Session] = field(default_factory=list)
    unexcused: list[Item] = field(default_factory=list)
    below: list[Item] = field(default_factory=list)
    alerts: list[milestones.BoardRow] = field(default_factory=list)
    silent: list[Item] = field(default_factory=list)


def my_day(db: Database, login: str, today: dt.date | None = None) -> MyDay:
    today = today or clock.today()
    with db.read() as conn:
        access.require(conn, login, access.CASE_READ)
    monday = clock.week_monday(today)
    last_monday = monday - dt.timedelta(days=7)
    last_week = [last_monday + dt.timedelta(days=i) for i in range(5)]
    silent_days = settings.threshold(db, "alert.silent_days")
    result = MyDay()
    all_sessions = sessions(db, today)
    with db.read() as conn:
        me = conn.exec_driver_sql("SELECT id FROM caseworker WHERE login = ?", (login,)).scalar()
        mine = set(conn.exec_driver_sql(
            "SELECT id FROM activity WHERE leader_id = ?1 UNION SELECT DISTINCT e.activity_id FROM enrolment e"
            " JOIN participant p ON p.id = e.participant_id WHERE p.caseworker_id = ?1 AND p.status = 'active'"
            " AND (e.end_date IS NULL OR e.end_date >= ?2)", (me, today.isoformat())).scalars())
        result.sessions = sorted((s for s in all_sessions if s.activity_id in mine),
                                 key=lambda s: (s.state != "open", s.name))
        caseload = "FROM participant p WHERE p.caseworker_id = ? AND p.status = 'active'"
        for r in conn.exec_driver_sql(
                "SELECT p.id, p.last_name || ', ' || p.first_name AS name, p.protected, count(DISTINCT t.date) AS days,"
                " group_concat(DISTINCT t.date) AS dates"  # days: a morning and an afternoon session are one day away
                " FROM participant p JOIN attendance t ON t.participant_id = p.id"
                " WHERE p.caseworker_id = ? AND p.status = 'active' AND t.status = 'unexcused'"
                " AND t.date BETWEEN ? AND ? AND " + live_sql("t") + " GROUP BY p.id ORDER BY count(DISTINCT t.date) DESC, 2",
                (me, monday.isoformat(), today.isoformat())):
            result.unexcused.append(Item(r.id, r.name, bool(r.protected), " ".join(sorted(r.dates.split(","))),
                                         (r.days,)))
        planned = planned_hours_sql(last_week)
        for r in conn.exec_driver_sql(
                f"SELECT p.id, p.last_name || ', ' || p.first_name AS name, p.protected, {planned} AS planned,"
                " (SELECT coalesce(sum(t.hours), 0) FROM attendance t WHERE t.participant_id = p.id"
                "   AND t.date BETWEEN ? AND ? AND " + live_sql("t") + ") AS done"
                f" {caseload} AND p.referral_date <= ? ORDER BY ({planned}) - done DESC, 2",
                (last_week[0].isoformat(), last_week[-1].isoformat(), me, last_week[0].isoformat())):
            if r.done < r.planned:
                result.below.append(Item(r.id, r.name, bool(r.protected), f"{num(r.done)}/{num(r.planned)} h",
                                         (r.planned, r.done)))
        since = (today - dt.timedelta(days=silent_days)).isoformat()
        for r in conn.exec_driver_sql(
                "SELECT p.id, p.last_name || ', ' || p.first_name AS name, p.protected, max("
                " coalesce((SELECT max(t.date) FROM attendance t WHERE t.participant_id = p.id), ''),"
                " coalesce((SELECT max(substr(n.created_at, 1, 10)) FROM note n WHERE n.participant_id = p.id), ''),"
                " coalesce((SELECT max(substr(m.updated_at, 1, 10)) FROM milestone m WHERE m.participant_id = p.id), ''),"
                " p.referral_date) AS last"
                f" {caseload} AND last < ? ORDER BY last, 2", (me, since)):
            result.silent.append(Item(r.id, r.name, bool(r.protected), r.last,
                                      ((today - dt.date.fromisoformat(r.last)).days,)))
    result.alerts = milestones.alerts_for(db, login, today)
    return result


# ------------------------------------------------------------------------------------------- figures

@dataclass(frozen=True)
class Filter:
    site: str | None = None
    activity_id: str | None = None
    caseworker_login: str | None = None

    def sql(self) -> tuple[str, list]:
        where, params = [], []
        if self.site:
            where.append("p.site = ?")
            params.append(self.site)
        if self.activity_id:
            where.append("EXISTS (SELECT 1 FROM enrolment e WHERE e.participant_id = p.id AND e.activity_id = ?)")
            params.append(self.activity_id)
        if self.caseworker_login:
            where.append("p.caseworker_id = (SELECT id FROM caseworker WHERE login = ?)")
            params.append(self.caseworker_login)
        return ("".join(f" AND {w}" for w in where), params)


GENDERS = ONE_OF["participant"]["gender"]
BUCKETS = ("0-3", "3-6", "6-12", "12+")


@dataclass
class Figures:
    active: dict[str, int]  # gender -> count
    time_in_programme: dict[str, dict[str, int]]  # bucket -> gender -> count
    weekly_rate: list[tuple[dt.date, float, float]]  # monday, planned, attended (oldest first)
    exits: dict[str, dict[str, int]]  # outcome label -> gender -> count
    work_or_study_share: dict[str, float | None]  # gender and "all" -> share of this year's exits
    caseloads: list[tuple[str, int, int]]  # caseworker name, active count, women

    @property
    def rate_4_weeks(self) -> float | None:
        planned = sum(p for _, p, _ in self.weekly_rate[-4:])
        return sum(a for _, _, a in self.weekly_rate[-4:]) / planned if planned else None


def figures(db: Database, login: str, flt: Filter | None = None, today: dt.date | None = None,
            weeks: int = 6, kept: bool = True) -> Figures:
    """The programme figures; unfiltered from the totals the triggers keep, filtered (or with `kept`
    false: a straight recount, which the tests compare with the kept totals) from the rows."""
    flt = flt or Filter()
    today = today or clock.today()
    cond, params = flt.sql()
    with db.read() as conn:
        access.require(conn, login, access.REPORT)
        active = {g: 0 for g in GENDERS}
        tip = {b: {g: 0 for g in GENDERS} for b in BUCKETS}
        # ISO dates compare as text: cheaper than date arithmetic on every row
        bucket = ("CASE WHEN p.referral_date > ? THEN '0-3' WHEN p.referral_date > ? THEN '3-6'"
                  " WHEN p.referral_date > ? THEN '6-12' ELSE '12+' END")
        limits = tuple((today - dt.timedelta(days=d)).isoformat() for d in (91, 183, 365))
        monday = clock.week_monday(today)
        starts = [monday - dt.timedelta(weeks=i) for i in range(weeks, 0, -1)]
        weekdays = [[s + dt.timedelta(days=k) for k in range(5)] for s in starts]
        first_day, last_day = weekdays[0][0].isoformat(), weekdays[-1][-1].isoformat()
        if kept and not cond:  # the whole programme: from the totals the triggers keep (rows per day, not per person)
            for r in conn.exec_driver_sql(
                    f"SELECT f.gender, {bucket.replace('p.referral_date', 'f.date')} AS bucket, sum(f.active) AS n"
                    " FROM figure_referral f GROUP BY 1, 2", limits):
                active[r.gender] += r.n
                tip[r.bucket][r.gender] += r.n
            return _kept_figures(conn, active, tip, starts, weekdays, today)
        for r in conn.exec_driver_sql(
                f"SELECT p.gender, {bucket} AS bucket, count(*) AS n FROM participant p WHERE p.status = 'active'{cond}"
                " GROUP BY 1, 2", (*limits, *params)):
            active[r.gender] += r.n
            tip[r.bucket][r.gender] += r.n
        # planned hours per week. People in the programme for the whole period: per weekday, the sum of
        # their plans times the number of working days on that weekday in the week (one aggregate).
        # The few who started or left within the period: a per-week sum over just their rows.
        whole = conn.exec_driver_sql(
            "SELECT " + ", ".join(f"coalesce(sum(p.plan_{d}), 0) AS {d}" for d in WEEKDAYS) +
            # most rows match: scanning the narrow covering index beats the referral-date index here
            f" FROM participant p INDEXED BY participant_figures WHERE p.referral_date <= ?"
            f" AND (p.exit_date IS NULL OR p.exit_date >= ?){cond}",
            (first_day, last_day, *params)).one()
        planned_weeks = [sum(whole._mapping[WEEKDAYS[d.weekday()]] for d in days if calendar.is_workday(d))
                         for days in weekdays]
        sums = ", ".join(
            f"coalesce(sum(CASE WHEN p.referral_date <= '{d[0].isoformat()}' AND (p.exit_date IS NULL OR"
            f" p.exit_date >= '{d[-1].isoformat()}') THEN {planned_hours_sql(d)} ELSE 0 END), 0) AS week{i}"
            for i, d in enumerate(weekdays))
        edge = conn.exec_driver_sql(
            f"SELECT {sums} FROM participant p WHERE (p.referral_date > ? OR p.exit_date < ?){cond}",
            (first_day, last_day, *params)).one()._mapping
        planned_weeks = [planned + edge[f"week{i}"] for i, planned in enumerate(planned_weeks)]
        # attended: one indexed range over the attendance dates, grouped by day
        first, last = weekdays[0][0].isoformat(), weekdays[-1][-1].isoformat()
        if cond:
            per_day = conn.exec_driver_sql(  # from the (few) matching people into their attendance
                "SELECT t.date, sum(t.hours) AS hours FROM participant p CROSS JOIN attendance t"
                f" ON t.participant_id = p.id AND t.date BETWEEN ? AND ? WHERE {live_sql('t')}{cond} GROUP BY t.date",
                (first, last, *params)).all()
        else:  # a straight recount of the whole programme's marks
            per_day = conn.exec_driver_sql(
                f"SELECT t.date, sum(t.hours) AS hours FROM attendance t WHERE t.date BETWEEN ? AND ? AND {live_sql('t')}"
                " GROUP BY t.date", (first, last)).all()
        weekly = _weekly(starts, planned_weeks, per_day)
        year_start = dt.date(today.year, 1, 1).isoformat()
        label = "o.label_sv" if _sv() else "o.label_en"
        exits, share = _exits(conn.exec_driver_sql(
            f"SELECT {label} AS outcome, o.work_or_study, p.gender, count(*) AS n FROM participant p"
            " JOIN exit_outcome o ON o.code = p.exit_outcome"
            f" WHERE p.status = 'exited' AND p.exit_date >= ?{cond} GROUP BY o.code, p.gender ORDER BY o.sort",
            (year_start, *params)))
        caseloads = _caseloads(conn, conn.exec_driver_sql(  # from the caseload index alone
            "SELECT p.caseworker_id, count(*) AS active, coalesce(sum(p.gender = 'K'), 0) AS women FROM participant p"
            f" WHERE p.status = 'active'{cond} GROUP BY p.caseworker_id", tuple(params)))
    return Figures(active, tip, weekly, exits, share, caseloads)


def _weekly(starts: list[dt.date], planned_weeks: list[float],
            per_day: Iterable[Any]) -> list[tuple[dt.date, float, float]]:
    """(Monday, planned, attended) per week from the planned hours per week and the hours per day."""
    attended_by_week: dict[dt.date, float] = {}
    for r in per_day:
        start = clock.week_monday(dt.date.fromisoformat(r.date))
        attended_by_week[start] = attended_by_week.get(start, 0.0) + r.hours
    return [(s, float(planned_weeks[i]), attended_by_week.get(s, 0.0)) for i, s in enumerate(starts)]


def _exits(found: Iterable[Any]) -> tuple[dict[str, dict[str, int]], dict[str, float | None]]:
    """This year's exits per outcome and gender, and the share of them to work or study (per gender and
    "all"), from rows of (outcome, work_or_study, gender, n)."""
    exits: dict[str, dict[str, int]] = {}
    ws = {g: [0, 0] for g in (*GENDERS, "all")}
    for r in found:
        exits.setdefault(r.outcome, {x: 0 for x in GENDERS})[r.gender] = r.n
        for key in (r.gender, "all"):
            ws[key][1] += r.n
            ws[key][0] += r.n if r.work_or_study else 0
    return exits, {k: (v[0] / v[1] if v[1] else None) for k, v in ws.items()}


def _caseloads(conn, counted: Iterable[Any]) -> list[tuple[str, int, int]]:  # noqa: ANN001
    """One line per caseworker (name, active, women), largest first, from rows of (caseworker_id, active,
    women): every caseworker, even one without cases (free capacity); an administrator only with cases."""
    counts = {r.caseworker_id: (r.active, r.women) for r in counted}
    return sorted([(r.name, *counts.get(r.id, (0, 0))) for r in conn.exec_driver_sql(
        "SELECT id, name, role FROM caseworker WHERE role != 'leader' AND active = 1").all()
        if r.role == "caseworker" or r.id in counts], key=lambda line: (-line[1], line[0]))




def _kept_figures(conn, active: dict, tip: dict, starts: list[dt.date], weekdays: list[list[dt.date]],  # noqa: ANN001
                  today: dt.date) -> Figures:
    """The unfiltered figures from store.schema's kept totals: each read is bounded by calendar days,
    outcomes and caseworkers, not by the number of people (the same numbers as the straight queries;
    tests/test_figure_totals.py holds them equal)."""
    # planned hours per week: the people referred by its Monday, less those who left before its Friday,
    # plus those of them referred after the Monday (they were never added): the few who came and went
    # within the week (figure_brief). Only people whose exit is not before their referral are in the
    # kept plans (no one else is in the programme on any day).
    sums = ", ".join(f"coalesce(sum({d}), 0) AS {d}" for d in WEEKDAYS)
    planned_weeks = []
    for days in weekdays:
        first, last = days[0].isoformat(), days[-1].isoformat()
        referred = conn.exec_driver_sql(f"SELECT {sums} FROM figure_referral WHERE date <= ?", (first,)).one()
        left = conn.exec_driver_sql(f"SELECT {sums} FROM figure_left WHERE date < ?", (last,)).one()
        late = conn.exec_driver_sql(f"SELECT {sums} FROM figure_brief WHERE referral_date > ? AND exit_date < ?",
                                    (first, last)).one()
        per_weekday = {d: referred._mapping[d] - left._mapping[d] + late._mapping[d] for d in WEEKDAYS}
        planned_weeks.append(float(sum(per_weekday[WEEKDAYS[d.weekday()]] for d in days if calendar.is_workday(d))))
    first, last = weekdays[0][0].isoformat(), weekdays[-1][-1].isoformat()
    weekly = _weekly(starts, planned_weeks, conn.exec_driver_sql(  # kept marks of cancelled sessions count no hours
        "SELECT d.date, d.hours - coalesce(c.hours, 0) AS hours FROM attendance_day d"
        " LEFT JOIN attendance_day_cancelled c ON c.date = d.date WHERE d.date BETWEEN ? AND ?", (first, last)))
    label = "o.label_sv" if _sv() else "o.label_en"
    exits, share = _exits(conn.exec_driver_sql(
        f"SELECT {label} AS outcome, o.work_or_study, f.gender, sum(f.exited) AS n FROM figure_exit_month f"
        " JOIN exit_outcome o ON o.code = f.outcome WHERE f.month >= ? GROUP BY o.code, f.gender"
        " HAVING sum(f.exited) > 0 ORDER BY o.sort", (f"{today.year}-01",)))
    # one line per caseworker on the screen: what it shows, read in one pass each
    caseloads = _caseloads(conn, conn.exec_driver_sql(
        "SELECT caseworker_id, active, women FROM figure_caseload WHERE active > 0").all())
    return Figures(active, tip, weekly, exits, share, caseloads)


def _sv() -> bool:
    from store.i18n import language

    return language() == "sv"


def sites(db: Database) -> list[str]:
    with db.read() as conn:
        return list(conn.exec_driver_sql("SELECT DISTINCT site FROM participant WHERE site != '' ORDER BY site").scalars())
