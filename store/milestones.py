"""Programme stages and each participant's milestones, with the rules and the follow-up alerts.

Stages and exit outcomes are data (`milestone_stage`, `exit_outcome`). A milestone's status moves
forward: planned → started → achieved, or to cancelled (with a reason). Moving it back is a correction:
it needs a reason, which is kept as a note and in the audit log. Exit needs an outcome and a date; the
person leaves the roll calls the day after. Re-entry starts a new period and keeps the history.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from store import access, audit, cases, changes, clock, rows, settings, validate
from store.db import Database, Tx
from store.i18n import ArenaError, language, t
from store.tables import ONE_OF

STATUSES = ONE_OF["milestone"]["status"]
RANK = {status: rank for rank, status in enumerate(STATUSES)}  # the way forward (store.fold keeps it too)
KINDS = ONE_OF["milestone_stage"]["kind"]


@dataclass(frozen=True)
class Stage:
    code: str
    label_sv: str
    label_en: str
    kind: str
    sort: int

    @property
    def label(self) -> str:
        return self.label_sv if language() == "sv" else self.label_en


@dataclass(frozen=True)
class Outcome:
    code: str
    label_sv: str
    label_en: str
    work_or_study: bool

    @property
    def label(self) -> str:
        return self.label_sv if language() == "sv" else self.label_en


@dataclass(frozen=True)
class Milestone:
    id: str
    participant_id: str
    stage_code: str
    stage_label: str
    kind: str
    sort: int
    status: str
    planned_date: str | None
    achieved_date: str | None
    caseworker_id: str | None
    note: str
    period: int
    updated_at: str


# ---------------------------------------------------------------------------------------------- stages

def stages(db: Database, include_inactive: bool = False) -> list[Stage]:
    with db.read() as conn:
        return [rows.named(Stage, r) for r in conn.exec_driver_sql(
            f"SELECT {rows.columns(Stage)} FROM milestone_stage"
            + ("" if include_inactive else " WHERE active = 1") + " ORDER BY sort, code")]


def outcomes(db: Database) -> list[Outcome]:
    with db.read() as conn:
        return [rows.named(Outcome, r, work_or_study=bool(r.work_or_study)) for r in conn.exec_driver_sql(
            f"SELECT {rows.columns(Outcome)} FROM exit_outcome ORDER BY sort")]


def add_stage(db: Database, login: str, code: str, label_sv: str, label_en: str, kind: str = "intervention",
              after: str | None = None) -> Stage:
    code = validate.text(code, "code", max_len=40, required=True).lower()
    if not code.replace("_", "").isalnum():
        raise ArenaError("ms.bad_stage", value=code)
    label_sv = validate.text(label_sv, "label", max_len=80, required=True)
    label_en = validate.text(label_en or label_sv, "label", max_len=80, required=True)
    if kind not in KINDS:
        raise ArenaError("cli.bad_usage", detail=f"--kind {', '.join(KINDS)}")
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ADMIN)
        if tx.conn.exec_driver_sql("SELECT 1 FROM milestone_stage WHERE code = ?", (code,)).first():
            raise ArenaError("ms.stage_exists", value=code)
        if after:
            before = tx.conn.exec_driver_sql("SELECT sort FROM milestone_stage WHERE code = ?", (after,)).scalar()
            if before is None:
                raise ArenaError("ms.bad_stage", value=after)
            nxt = tx.conn.exec_driver_sql("SELECT min(sort) FROM milestone_stage WHERE sort > ?", (before,)).scalar()
            sort = (before + nxt) // 2 if nxt is not None and nxt - before > 1 else before + 1
            if nxt is not None and nxt - before <= 1:  # make room, row by row through the change log
                for later in tx.conn.exec_driver_sql(
                        "SELECT code, sort FROM milestone_stage WHERE sort > ?", (before,)).all():
                    changes.upsert(tx, "milestone_stage", later.code, {"sort": later.sort + 10})
        else:
            sort = (tx.conn.exec_driver_sql("SELECT max(sort) FROM milestone_stage WHERE kind != 'exit'").scalar() or 0) + 1
        # through the change log, so the stage reaches every workstation (and the milestones that use it)
        changes.upsert(tx, "milestone_stage", code, {"label_sv": label_sv, "label_en": label_en, "kind": kind,
                                                     "sort": sort, "active": 1})
        audit.record(tx, "stage_add", detail=code)
    return next(s for s in stages(db) if s.code == code)


def rename_stage(db: Database, login: str, code: str, label_sv: str | None, label_en: str | None) -> Stage:
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ADMIN)
        row = tx.conn.exec_driver_sql("SELECT label_sv, label_en FROM milestone_stage WHERE code = ?", (code,)).first()
        if row is None:
            raise ArenaError("ms.bad_stage", value=code)
        sv = validate.text(label_sv, "label", max_len=80) or row.label_sv
        en = validate.text(label_en, "label", max_len=80) or row.label_en
        changes.upsert(tx, "milestone_stage", code, {"label_sv": sv, "label_en": en})
        audit.record(tx, "stage_rename", detail=f"{code}: {row.label_sv} → {sv}")
    return next(s for s in stages(db, include_inactive=True) if s.code == code)


# ------------------------------------------------------------------------------------------ milestones

_SELECT = ("SELECT m.id, m.participant_id, m.stage_code, s.label_sv, s.label_en, s.kind, s.sort, m.status,"
           " m.planned_date, m.achieved_date, m.caseworker_id, m.note, m.period, m.updated_at"
           " FROM milestone m JOIN milestone_stage s ON s.code = m.stage_code")


def _ms(r) -> Milestone:  # noqa: ANN001 -- a row of _SELECT
    return rows.named(Milestone, r, stage_label=r.label_sv if language() == "sv" else r.label_en)


def timeline(db: Database, login: str, participant_id: str) -> list[Milestone]:
    """All periods, oldest first: by period, then date, then stage order."""
    with db.read() as conn:
        access.require_case(conn, login, participant_id)
        return [_ms(r) for r in conn.exec_driver_sql(
            _SELECT + " WHERE m.participant_id = ? ORDER BY m.period, coalesce(m.achieved_date, m.planned_date),"
            " s.sort, m.id", (participant_id,))]


def current_of(items: list[Milestone]) -> Milestone | None:
    """The milestone the person is at now: the earliest open one of the latest period, else the last achieved."""
    if not items:
        return None
    period = max(m.period for m in items)
    mine = [m for m in items if m.period == period and m.status != "cancelled"]
    open_ = [m for m in mine if m.status in ("planned", "started")]
    if open_:
        return min(open_, key=lambda m: (m.status != "started", m.planned_date or "9999", m.sort))
    done = [m for m in mine if m.status == "achieved"]
    return max(done, key=lambda m: (m.achieved_date or "", m.sort)) if done else None


def next_stage(all_stages: list[Stage], current: Milestone | None) -> Stage | None:
    if current is None:
        return all_stages[0] if all_stages else None
    if current.kind == "exit":
        return None
    later = [s for s in all_stages if s.sort > current.sort]
    if current.kind == "intervention":  # after an intervention the usual next step is exit
        later = [s for s in later if s.kind == "exit"] or later
    return later[0] if later else None


def get(db: Database, login: str, milestone_id: str) -> Milestone:
    with db.read() as conn:
        r = conn.exec_driver_sql(_SELECT + " WHERE m.id = ?", (milestone_id,)).first()
        if r is None:
            raise ArenaError("err.not_found", what=milestone_id[:40])
        found = _ms(r)
        access.require_case(conn, login, found.participant_id)
    return found


@dataclass(frozen=True)
class _Person:
    name: str
    referral_date: str
    status: str
    exit_date: str | None
    caseworker_id: str | None


def _person(tx: Tx, participant_id: str) -> _Person:
    row = tx.conn.exec_driver_sql(
        f"SELECT first_name || ' ' || last_name AS name, {rows.columns(_Person, 'name')}"
        " FROM participant WHERE id = ?", (participant_id,)).first()
    if row is None:
        raise ArenaError("att.unknown_person", value=participant_id[:40])
    return rows.named(_Person, row)


def referral_date(db: Database, login: str, participant_id: str) -> str:
    """The person's referral date (ISO): the earliest a milestone may be achieved or planned, so a dialog can
    refuse an earlier date where it is typed (the writes below refuse it too)."""
    with db.read() as conn:
        access.require_case(conn, login, participant_id)
        found = conn.exec_driver_sql("SELECT referral_date FROM participant WHERE id = ?", (participant_id,)).scalar()
    if found is None:
        raise ArenaError("att.unknown_person", value=participant_id[:40])
    return str(found)


def _period(tx: Tx, participant_id: str) -> int:
    return tx.conn.exec_driver_sql("SELECT coalesce(max(period), 1) FROM milestone WHERE participant_id = ?",
                                   (participant_id,)).scalar_one()


def _check_achieved(day: dt.date, referral: str) -> None:
    if day > clock.today():
        raise ArenaError("ms.future", date=day.isoformat())
    if day.isoformat() < referral:
        raise ArenaError("ms.before_referral", date=day.isoformat(), referral=referral)


def _stage_kind(tx: Tx, code: str) -> str:
    """The kind of an active stage; refused if there is none by that code."""
    kind = tx.conn.exec_driver_sql("SELECT kind FROM milestone_stage WHERE code = ? AND active = 1", (code,)).scalar()
    if kind is None:
        raise ArenaError("ms.bad_stage", value=str(code)[:40])
    return str(kind)


def plan_in(tx: Tx, participant_id: str, stage_code: str, planned: dt.date | None, note: str = "") -> str:
    person = _person(tx, participant_id)
    if person.status == "exited":
        raise ArenaError("ms.already_exited", name=person.name)
    if _stage_kind(tx, stage_code) == "exit":
        raise ArenaError("ms.exit_outcome")
    if planned is not None and planned.isoformat() < person.referral_date:
        raise ArenaError("ms.before_referral", date=planned.isoformat(), referral=person.referral_date)
    return changes.insert(tx, "milestone", {
        "participant_id": participant_id, "stage_code": stage_code, "status": "planned",
        "planned_date": planned.isoformat() if planned else None, "achieved_date": None,
        "caseworker_id": person.caseworker_id, "note": validate.text(note, "note", max_len=1000), "period": _period(tx, participant_id),
        "updated_at": clock.now().isoformat()})


def plan(db: Database, login: str, participant_id: str, stage_code: str, planned: dt.date | None,
         note: str = "") -> str:
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        return plan_in(tx, participant_id, stage_code, planned, note)


def set_status_in(tx: Tx, milestone_id: str, status: str, *, achieved: dt.date | None = None,
                  reason: str = "") -> None:
    row = tx.conn.exec_driver_sql(
        "SELECT m.participant_id, m.status, s.kind FROM milestone m JOIN milestone_stage s ON s.code = m.stage_code"
        " WHERE m.id = ?", (milestone_id,)).first()
    if row is None:
        raise ArenaError("err.not_found", what=milestone_id[:40])
    pid, old, kind = row.participant_id, row.status, row.kind
    if status not in STATUSES:
        raise ArenaError("ms.bad_status", value=str(status)[:40])
    reason = validate.text(reason, "reason", max_len=500)
    if kind == "exit" and status != old:
        raise ArenaError("ms.exit_outcome")
    if status == old:
        return
    if status == "cancelled" and not reason:
        raise ArenaError("ms.cancel_reason")
    backwards = old == "cancelled" or (status != "cancelled" and RANK[status] < RANK[old])
    if backwards and not reason:
        raise ArenaError("ms.backwards")
    referral = _person(tx, pid).referral_date
    values: dict[str, object] = {"status": status, "updated_at": clock.now().isoformat()}
    if status == "achieved":
        achieved = achieved or clock.today()
        _check_achieved(achieved, referral)
        values["achieved_date"] = achieved.isoformat()
    elif old == "achieved":
        values["achieved_date"] = None
    changes.upsert(tx, "milestone", milestone_id, values)
    if backwards or status == "cancelled":
        kind_word = "correction" if backwards else "cancel"
        cases.add_note_in(tx, pid, f"[{kind_word}] {old} → {status}: {reason}")
        audit.record(tx, "milestone_" + kind_word, pid, reason=reason, detail=f"{old}->{status}")


def set_status(db: Database, login: str, milestone_id: str, status: str, *, achieved: dt.date | None = None,
               reason: str = "") -> None:
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        set_status_in(tx, milestone_id, status, achieved=achieved, reason=reason)


def set_planned(db: Database, login: str, milestone_id: str, planned: dt.date) -> None:
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        pid = tx.conn.exec_driver_sql("SELECT participant_id FROM milestone WHERE id = ?", (milestone_id,)).scalar()
        if pid is None:
            raise ArenaError("err.not_found", what=milestone_id[:40])
        referral = _person(tx, pid).referral_date
        if planned.isoformat() < referral:
            raise ArenaError("ms.before_referral", date=planned.isoformat(), referral=referral)
        changes.upsert(tx, "milestone", milestone_id, {"planned_date": planned.isoformat(),
                                                       "updated_at": clock.now().isoformat()})


def achieve_and_plan_next(db: Database, login: str, milestone_id: str, achieved: dt.date,
                          next_code: str | None, next_planned: dt.date | None) -> str | None:
    """`a` in F4: this milestone achieved and the next one planned, in one transaction."""
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        set_status_in(tx, milestone_id, "achieved", achieved=achieved)
        if next_code:
            pid = tx.conn.exec_driver_sql("SELECT participant_id FROM milestone WHERE id = ?",
                                          (milestone_id,)).scalar_one()
            return plan_in(tx, pid, next_code, next_planned)
    return None


def exit_participant(db: Database, login: str, participant_id: str, outcome: str, day: dt.date,
                     note: str = "") -> None:
    """Exit with an outcome: an achieved avslut milestone, the person inactive from the day after."""
    if not outcome:
        raise ArenaError("ms.exit_outcome")
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        person = _person(tx, participant_id)
        if person.status == "exited":
            raise ArenaError("ms.already_exited", name=person.name)
        if not tx.conn.exec_driver_sql("SELECT 1 FROM exit_outcome WHERE code = ?", (outcome,)).first():
            raise ArenaError("ms.bad_outcome", value=str(outcome)[:40])
        _check_achieved(day, person.referral_date)
        exit_code = tx.conn.exec_driver_sql(
            "SELECT code FROM milestone_stage WHERE kind = 'exit' AND active = 1 ORDER BY sort LIMIT 1").scalar()
        now = clock.now().isoformat()
        period = _period(tx, participant_id)
        for mid in tx.conn.exec_driver_sql(
                "SELECT id FROM milestone WHERE participant_id = ? AND period = ? AND status IN ('planned', 'started')",
                (participant_id, period)).scalars().all():
            changes.upsert(tx, "milestone", mid, {"status": "cancelled", "updated_at": now})
        changes.insert(tx, "milestone", {
            "participant_id": participant_id, "stage_code": exit_code, "status": "achieved",
            "planned_date": day.isoformat(), "achieved_date": day.isoformat(), "caseworker_id": person.caseworker_id,
            "note": validate.text(note, "note", max_len=1000) or outcome, "period": period, "updated_at": now})
        changes.upsert(tx, "participant", participant_id, {"status": "exited", "exit_date": day.isoformat(),
                                                           "exit_outcome": outcome})
        for eid in tx.conn.exec_driver_sql(
                "SELECT id FROM enrolment WHERE participant_id = ? AND (end_date IS NULL OR end_date > ?)",
                (participant_id, day.isoformat())).scalars().all():
            changes.upsert(tx, "enrolment", eid, {"end_date": day.isoformat()})
        audit.record(tx, "exit", participant_id, detail=outcome)


def reenter(db: Database, login: str, participant_id: str, day: dt.date) -> None:
    """Start a new programme period: active again, a new anvisning, the old periods kept as they were."""
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        person = _person(tx, participant_id)
        if person.status != "exited":
            raise ArenaError("ms.not_exited", name=person.name)
        if person.exit_date and day.isoformat() < person.exit_date:  # the day of the exit itself is allowed
            raise ArenaError("ms.before_exit", date=day.isoformat(), exit=person.exit_date)
        if day > clock.today():
            raise ArenaError("ms.future", date=day.isoformat())
        period = _period(tx, participant_id) + 1
        changes.upsert(tx, "participant", participant_id, {"status": "active", "exit_date": None,
                                                           "exit_outcome": None, "referral_date": day.isoformat()})
        changes.insert(tx, "milestone", {
            "participant_id": participant_id, "stage_code": "anvisning", "status": "achieved",
            "planned_date": day.isoformat(), "achieved_date": day.isoformat(), "caseworker_id": person.caseworker_id,
            "note": "",
            "period": period, "updated_at": clock.now().isoformat()})
        audit.record(tx, "reentry", participant_id, detail=f"period {period}")


# ---------------------------------------------------------------------------------------------- board

@dataclass(frozen=True)
class BoardRow:
    participant_id: str
    name: str
    protected: bool
    milestone: Milestone | None
    days_in_stage: int
    alerts: tuple[tuple[str, int], ...]  # (catalog key, days): ("ms.alert.stale", 75)

    @property
    def alert_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.alerts)

    def alert_text(self) -> str:
        return "; ".join(t(key, days=days) for key, days in self.alerts)


def board(db: Database, login: str, today: dt.date | None = None) -> list[BoardRow]:
    """F4: the user's active caseload with current milestone, days in stage and alerts, in stage order."""
    today = today or clock.today()
    stale, plan_days = settings.threshold(db, "alert.stale_days"), settings.threshold(db, "alert.plan_days")
    with db.read() as conn:
        access.require(conn, login, access.CASE_READ)
        people = conn.exec_driver_sql(
            "SELECT p.id, p.last_name || ', ' || p.first_name AS name, p.protected, p.referral_date FROM participant p"
            " JOIN caseworker c ON c.id = p.caseworker_id WHERE c.login = ? AND p.status = 'active'"
            " ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE", (login,)).all()
        items: dict[str, list[Milestone]] = {}
        for r in conn.exec_driver_sql(
                "WITH mine AS MATERIALIZED (SELECT p.id FROM participant p JOIN caseworker c ON c.id = p.caseworker_id"
                " WHERE c.login = ? AND p.status = 'active') "
                + _SELECT + " JOIN mine ON mine.id = m.participant_id"
                " ORDER BY m.period, coalesce(m.achieved_date, m.planned_date), s.sort", (login,)):
            items.setdefault(r.participant_id, []).append(_ms(r))
    board = []
    for r in people:
        mine = items.get(r.id, [])
        current = current_of(mine)
        alerts = _alerts(mine, r.referral_date, today, stale, plan_days)
        since = _since(current, r.referral_date)
        board.append(BoardRow(r.id, r.name, bool(r.protected), current, (today - since).days, alerts))
    board.sort(key=lambda b: (b.milestone.sort if b.milestone else 0, -b.days_in_stage, b.name))
    return board


def _since(current: Milestone | None, referral: str) -> dt.date:
    if current is None:
        return dt.date.fromisoformat(referral)
    return min(dt.date.fromisoformat(current.updated_at[:10]), clock.today())


def _alerts(items: list[Milestone], referral: str, today: dt.date, stale: int,
            plan_days: int) -> tuple[tuple[str, int], ...]:
    keys: list[tuple[str, int]] = []
    period = max((m.period for m in items), default=1)
    mine = [m for m in items if m.period == period]
    overdue = [m.planned_date for m in mine
               if m.status == "planned" and m.planned_date and m.planned_date < today.isoformat()]
    if overdue:
        keys.append(("ms.alert.overdue", (today - dt.date.fromisoformat(min(overdue))).days))
    last_change = max((m.updated_at[:10] for m in mine), default=referral)
    quiet = (today - dt.date.fromisoformat(last_change)).days
    if quiet > stale:
        keys.append(("ms.alert.stale", quiet))
    has_plan = any(m.kind == "plan" and m.status == "achieved" for m in mine)
    start = min((m.achieved_date for m in mine if m.kind == "referral" and m.achieved_date), default=referral)
    if not has_plan and (today - dt.date.fromisoformat(start)).days > plan_days:
        keys.append(("ms.alert.no_plan", (today - dt.date.fromisoformat(start)).days))
    return tuple(keys)


def alerts_for(db: Database, login: str, today: dt.date | None = None) -> list[BoardRow]:
    return [r for r in board(db, login, today) if r.alerts]
