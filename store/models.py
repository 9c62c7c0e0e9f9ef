"""The tables, declared once: one SQLModel class (`table=True`) per table of the database.

This is what the schema is. The numbered migrations in `store.schema` build it step by step on every
database, old or new; `tests/test_models.py` builds a database through them and holds it equal to these
classes, column by column (type, nullability, default, primary key, foreign keys, generated columns),
CHECK by CHECK and index by index. A change to the schema is a new migration and the matching change here.

Importing SQLModel costs a good part of a second, so nothing on the way to the first screen imports this
module: `store.tables` is the light view of it (column names, primary keys, the values a column may
hold, generated columns, the weekdays) that the queries and the mark's hot path use, generated from here by
`python -m store.models` and held equal to it by the same test. The store's reads build light dataclasses
from named rows (`store.rows`) rather than these classes, which would put SQLModel on every screen's
path; `Participant.model_validate(row)` works on any named row (tests/test_models.py shows it).

Values are stored as SQLite likes them: dates and times as ISO text, flags as 0/1 (read as bool).
"""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Computed, Index, PrimaryKeyConstraint, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

WITHOUT_ROWID = {"sqlite_with_rowid": False}

# The values a column may hold, as the database's CHECK constraints hold them. The code's own lists
# (`staff.ROLES`, `attendance.STATUSES`, ...) are these, through store.tables.ONE_OF.
ONE_OF: dict[str, dict[str, tuple[str, ...]]] = {
    "caseworker": {"role": ("caseworker", "leader", "admin")},
    "participant": {"gender": ("K", "M", "X"), "status": ("active", "exited")},
    "absence_code": {"category": ("sick", "vab", "excused", "unexcused")},
    "attendance": {"status": ("present", "partial", "sick", "vab", "excused", "unexcused")},
    "milestone_stage": {"kind": ("referral", "assessment", "plan", "intervention", "exit")},
    "milestone": {"status": ("planned", "started", "achieved", "cancelled")},
    "change_log": {"kind": ("upsert", "delete")},
}


def one_of(table: str, column: str) -> CheckConstraint:
    """The CHECK constraint `column IN (...)` for a column listed in ONE_OF."""
    values = ", ".join(f"'{value}'" for value in ONE_OF[table][column])
    return CheckConstraint(f"{column} IN ({values})")


# The five weekday columns, each set declared once and used where a table has them.
class WeekPlan(SQLModel):
    """Planned hours per weekday (a participant's plan)."""
    plan_mon: float = 8
    plan_tue: float = 8
    plan_wed: float = 8
    plan_thu: float = 8
    plan_fri: float = 8


class WeekHours(SQLModel):
    """Hours per weekday (an activity's, a session's from a date on)."""
    hours_mon: float = 0
    hours_tue: float = 0
    hours_wed: float = 0
    hours_thu: float = 0
    hours_fri: float = 0


class WeekdayTotals(SQLModel):
    """Summed planned hours per weekday (the figures' kept totals)."""
    mon: float = 0
    tue: float = 0
    wed: float = 0
    thu: float = 0
    fri: float = 0


# ------------------------------------------------------------------------------------- the programme

class Workstation(SQLModel, table=True):
    __tablename__ = "workstation"
    __table_args__ = (Index("workstation_one_local", "is_local", unique=True, sqlite_where=text("is_local = 1")),)
    id: str = Field(primary_key=True)
    name: str
    is_local: bool = False
    created_at: str


class Setting(SQLModel, table=True):
    __tablename__ = "setting"
    key: str = Field(primary_key=True)
    value: str


class Caseworker(SQLModel, table=True):
    """A user: caseworker, activity leader or administrator."""
    __tablename__ = "caseworker"
    __table_args__ = (one_of("caseworker", "role"),)
    id: str = Field(primary_key=True)
    login: str = Field(unique=True)
    name: str
    role: str = "caseworker"  # caseworker | leader | admin
    site: str = ""
    active: bool = True
    pin_hash: str | None = None


class Participant(WeekPlan, table=True):
    __tablename__ = "participant"
    __table_args__ = (
        one_of("participant", "gender"), one_of("participant", "status"),
        Index("participant_caseworker", "caseworker_id", "status"),
        Index("participant_referral", "referral_date"),
        Index("participant_pnr10", "pnr10"),
        Index("participant_caseload", "caseworker_id", "status", "gender"),
        Index("participant_exit", "exit_date", sqlite_where=text("exit_date IS NOT NULL")),
        Index("participant_reserve", "reserve_number", sqlite_where=text("reserve_number IS NOT NULL")),
        Index("participant_figures", "gender", "status", "referral_date", "exit_date",
              "plan_mon", "plan_tue", "plan_wed", "plan_thu", "plan_fri"),
    )
    id: str = Field(primary_key=True)
    personnummer: str | None = Field(default=None, unique=True)  # 12 digits, or none
    reserve_number: str | None = None
    first_name: str
    last_name: str
    gender: str  # K | M | X
    birth_date: str | None = None
    protected: bool = False
    address: str = ""
    phone: str = ""
    referral_date: str
    caseworker_id: str | None = Field(default=None, foreign_key="caseworker.id")
    site: str = ""
    status: str = "active"  # active | exited
    exit_date: str | None = None
    exit_outcome: str | None = None
    created_at: str
    # the number without its century, for searching on ten digits (computed by SQLite, never written)
    pnr10: str | None = Field(default=None, sa_column=Column(Text, Computed("substr(personnummer, 3)", persisted=False)))


class Activity(WeekHours, table=True):
    __tablename__ = "activity"
    id: str = Field(primary_key=True)
    name: str = Field(unique=True)
    kind: str = ""
    site: str = ""
    leader_id: str | None = Field(default=None, foreign_key="caseworker.id")
    capacity: int = 25
    active: bool = True


class ActivitySession(SQLModel, table=True):
    """A session of an activity ("fm" 08:30–12:00); an activity from before sessions has one, its own id."""
    __tablename__ = "activity_session"
    __table_args__ = (Index("activity_session_activity", "activity_id"),)
    id: str = Field(primary_key=True)
    activity_id: str = Field(foreign_key="activity.id")
    name: str = ""
    start_time: str = ""
    end_time: str = ""
    capacity: int = 25
    end_date: str | None = None
    active: bool = True


class SessionHours(WeekHours, table=True):
    """A session's hours per weekday from `valid_from` on ('' : from the start)."""
    __tablename__ = "session_hours"
    __table_args__ = (Index("session_hours_from", "session_id", "valid_from"),)
    id: str = Field(primary_key=True)
    session_id: str = Field(foreign_key="activity_session.id")
    valid_from: str = ""


class Enrolment(SQLModel, table=True):
    __tablename__ = "enrolment"
    __table_args__ = (
        Index("enrolment_activity", "activity_id", "start_date"),
        Index("enrolment_participant", "participant_id"),
        Index("enrolment_activity_span", "activity_id", "start_date", "end_date"),
        Index("enrolment_session_span", "session_id", "start_date", "end_date"),
    )
    id: str = Field(primary_key=True)
    participant_id: str = Field(foreign_key="participant.id")
    activity_id: str = Field(foreign_key="activity.id")
    start_date: str
    end_date: str | None = None
    session_id: str | None = Field(default=None, foreign_key="activity_session.id")
    capacity_reason: str = ""


class AbsenceCode(SQLModel, table=True):
    __tablename__ = "absence_code"
    __table_args__ = (one_of("absence_code", "category"),)
    code: str = Field(primary_key=True)
    category: str  # sick | vab | excused | unexcused
    label_sv: str
    label_en: str
    excused: bool
    legal_ref: str = ""
    sort: int = 0


class Attendance(SQLModel, table=True):
    """One mark: a person at a session on a day."""
    __tablename__ = "attendance"
    __table_args__ = (
        one_of("attendance", "status"),
        UniqueConstraint("participant_id", "activity_id", "session_id", "date"),
        Index("attendance_session_date", "session_id", "date"),
        Index("attendance_date_hours", "date", "participant_id", "hours", "status"),
    )
    id: str = Field(primary_key=True)
    participant_id: str = Field(foreign_key="participant.id")
    activity_id: str = Field(foreign_key="activity.id")
    session_id: str = Field(foreign_key="activity_session.id")
    date: str
    status: str  # present | partial | sick | vab | excused | unexcused
    hours: float = 0
    reason_code: str | None = Field(default=None, foreign_key="absence_code.code")
    note: str = ""
    recorded_by: str
    recorded_at: str
    late: bool = False


class SessionCancel(SQLModel, table=True):
    __tablename__ = "session_cancel"
    __table_args__ = (UniqueConstraint("session_id", "date"),)
    id: str = Field(primary_key=True)
    activity_id: str = Field(foreign_key="activity.id")
    session_id: str = Field(foreign_key="activity_session.id")
    date: str
    reason: str = ""
    recorded_by: str
    recorded_at: str


class MilestoneStage(SQLModel, table=True):
    __tablename__ = "milestone_stage"
    __table_args__ = (one_of("milestone_stage", "kind"),)
    code: str = Field(primary_key=True)
    label_sv: str
    label_en: str
    kind: str  # referral | assessment | plan | intervention | exit
    sort: int
    active: bool = True


class ExitOutcome(SQLModel, table=True):
    __tablename__ = "exit_outcome"
    code: str = Field(primary_key=True)
    label_sv: str
    label_en: str
    work_or_study: bool = False
    sort: int


class Milestone(SQLModel, table=True):
    __tablename__ = "milestone"
    __table_args__ = (one_of("milestone", "status"), Index("milestone_participant", "participant_id", "period"),
                      Index("milestone_stage_of", "participant_id", "status", "period", "stage_code", "achieved_date",
                            "planned_date"))
    id: str = Field(primary_key=True)
    participant_id: str = Field(foreign_key="participant.id")
    stage_code: str = Field(foreign_key="milestone_stage.code")
    status: str  # planned | started | achieved | cancelled
    planned_date: str | None = None
    achieved_date: str | None = None
    caseworker_id: str | None = Field(default=None, foreign_key="caseworker.id")
    note: str = ""
    period: int = 1
    updated_at: str


class PlanPeriod(WeekPlan, table=True):
    """A weekly plan a person had before it was changed: in force on the days up to and including
    `valid_until` (and after the person's earlier period, if any); after the last period the plan on the
    participant row is in force. Written when the plan changes (store.cases.keep_plan_in), so a
    närvarorapport of past days says what it said when it was made."""
    __tablename__ = "plan_period"
    __table_args__ = (Index("plan_period_participant", "participant_id", "valid_until"),)
    id: str = Field(primary_key=True)
    participant_id: str = Field(foreign_key="participant.id")
    valid_until: str


class Note(SQLModel, table=True):
    __tablename__ = "note"
    __table_args__ = (Index("note_participant", "participant_id", "created_at"),)
    id: str = Field(primary_key=True)
    participant_id: str = Field(foreign_key="participant.id")
    author_login: str
    created_at: str
    text: str
    refers_to: str | None = Field(default=None, foreign_key="note.id")


class AuditEvent(SQLModel, table=True):
    """Who read or did what to a case; append-only (triggers refuse updates and deletes), hash-chained."""
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("audit_event_participant", "participant_id", "at"),
        Index("audit_event_user", "user_login", "at"),
        Index("audit_event_chain", "ws", "seq"),
    )
    id: str = Field(primary_key=True)
    at: str
    user_login: str
    action: str
    participant_id: str | None = None
    reason: str = ""
    detail: str = ""
    ws: str | None = None
    seq: int | None = None
    chain: str | None = None


# ------------------------------------------------------------------------------------- sync bookkeeping

class ChangeLogEntry(SQLModel, table=True):
    """One changed row, with the old and new value of every changed field (JSON): the sync's outbox."""
    __tablename__ = "change_log"
    __table_args__ = (
        one_of("change_log", "kind"),
        Index("change_log_row", "tbl", "row_id"),
        Index("change_log_ws_seq", "workstation_id", "ws_seq", unique=True),
        {"sqlite_autoincrement": True},
    )
    seq: int | None = Field(default=None, primary_key=True)
    op_id: str = Field(unique=True)
    workstation_id: str
    hlc: str
    tbl: str
    row_id: str
    kind: str  # upsert | delete
    changes: str
    at: str
    by: str
    ws_seq: int | None = None
    digest: str | None = None  # of the entry's content (store.changes), and its hash link to the one before
    chain: str | None = None


class SyncPeer(SQLModel, table=True):
    __tablename__ = "sync_peer"
    workstation_id: str = Field(primary_key=True)
    applied_seq: int = 0
    last_file: str | None = None
    last_seen: str | None = None


class SyncPending(SQLModel, table=True):
    __tablename__ = "sync_pending"
    op_id: str = Field(primary_key=True)
    workstation_id: str
    seq: int
    payload: str
    waiting_for: str
    first_sync: int = 0


class Conflict(SQLModel, table=True):
    """A value the merge overwrote, kept for review."""
    __tablename__ = "conflict"
    __table_args__ = (Index("conflict_open", "resolved", "detected_at"),)
    id: str = Field(primary_key=True)
    tbl: str
    row_id: str
    field: str
    kept_value: str | None = None
    lost_value: str | None = None
    lost_hlc: str
    lost_by: str
    lost_workstation: str
    detected_at: str
    resolved: bool = False


class Quarantine(SQLModel, table=True):
    __tablename__ = "quarantine"
    file: str = Field(primary_key=True)
    reason: str
    detected_at: str
    fingerprint: str | None = None


class GallringLog(SQLModel, table=True):
    """What gallring removed: internal id, dates and counts, never personal data (local)."""
    __tablename__ = "gallring_log"
    id: str = Field(primary_key=True)
    participant_id: str
    last_entry: str
    as_of: str
    removed_at: str
    removed_by: str
    counts: str


# ------------------------------------------------------------------------------------------- search

class NameToken(SQLModel, table=True):
    __tablename__ = "name_token"
    __table_args__ = (PrimaryKeyConstraint("token", "participant_id"),
                      Index("name_token_participant", "participant_id"), Index("name_token_sorted", "token", "sort_name"),
                      WITHOUT_ROWID)
    participant_id: str = Field(sa_column_kwargs={"nullable": False},
                                foreign_key="participant.id", ondelete="CASCADE")
    token: str
    sort_name: str | None = None  # "last name\x1ffirst name", kept by triggers (migration 15): F2's order


class NameVocab(SQLModel, table=True):
    __tablename__ = "name_vocab"
    __table_args__ = WITHOUT_ROWID
    token: str = Field(primary_key=True)


class TokenVariant(SQLModel, table=True):
    __tablename__ = "token_variant"
    __table_args__ = WITHOUT_ROWID
    variant: str = Field(primary_key=True)
    token: str = Field(primary_key=True)


# ------------------------------------------------------------------- totals kept by triggers (local)

class AttendanceDay(SQLModel, table=True):
    __tablename__ = "attendance_day"
    __table_args__ = WITHOUT_ROWID
    date: str = Field(primary_key=True)
    hours: float = 0
    marks: int = 0


class AttendanceDayCancelled(SQLModel, table=True):
    __tablename__ = "attendance_day_cancelled"
    __table_args__ = WITHOUT_ROWID
    date: str = Field(primary_key=True)
    hours: float = 0


class SessionMarks(SQLModel, table=True):
    __tablename__ = "session_marks"
    __table_args__ = WITHOUT_ROWID
    session_id: str = Field(primary_key=True)
    date: str = Field(primary_key=True)
    marks: int = 0


class EnrolmentStep(SQLModel, table=True):
    """+1 on an enrolment's first day, -1 the day after its last: summed, who is enrolled on a day."""
    __tablename__ = "enrolment_step"
    __table_args__ = WITHOUT_ROWID
    session_id: str = Field(primary_key=True)
    date: str = Field(primary_key=True)
    delta: int = 0


class FigureCaseload(SQLModel, table=True):
    __tablename__ = "figure_caseload"
    __table_args__ = WITHOUT_ROWID
    caseworker_id: str = Field(primary_key=True)
    active: int = 0
    women: int = 0


class FigureReferral(WeekdayTotals, table=True):
    __tablename__ = "figure_referral"
    __table_args__ = WITHOUT_ROWID
    date: str = Field(primary_key=True)
    gender: str = Field(primary_key=True)
    active: int = 0


class FigureLeft(WeekdayTotals, table=True):
    """The plans of those who left, per exit day."""
    __tablename__ = "figure_left"
    __table_args__ = WITHOUT_ROWID
    date: str = Field(primary_key=True)


class FigureBrief(WeekdayTotals, table=True):
    """The plans of those who came and went within a week, per pair of days."""
    __tablename__ = "figure_brief"
    __table_args__ = WITHOUT_ROWID
    referral_date: str = Field(primary_key=True)
    exit_date: str = Field(primary_key=True)


class FigureExitMonth(SQLModel, table=True):
    __tablename__ = "figure_exit_month"
    __table_args__ = WITHOUT_ROWID
    month: str = Field(primary_key=True)
    outcome: str = Field(primary_key=True)
    gender: str = Field(primary_key=True)
    exited: int = 0


# ----------------------------------------------------------------------------- the schema, compared

def _declared_type(column: Column) -> str:
    """The SQLite type the migrations declare for a column of this Python type (flags are 0/1)."""
    sql_type = getattr(column.type, "impl_instance", column.type)  # sqlmodel's AutoString is a VARCHAR
    kind = {bool: "INTEGER", int: "INTEGER", float: "REAL", str: "TEXT"}.get(sql_type.python_type)
    if kind is None:
        raise TypeError(f"{column.table.name}.{column.name}: no SQLite type for {column.type!r}")
    return kind


def _default_sql(column: Column) -> str | None:
    """The column's default as SQLite's table_info shows it; None when the model has none."""
    default = getattr(column.default, "arg", None)
    if callable(default):
        return None
    if default is None:
        return None
    if isinstance(default, bool):
        return str(int(default))
    if isinstance(default, (int, float)):
        return f"{default:g}"
    return "'" + str(default).replace("'", "''") + "'"


def _normal(sql: str | None) -> str:
    return " ".join((sql or "").split()).lower()


def differences(conn) -> list[str]:  # noqa: ANN001 -- a SQLAlchemy connection to a migrated database
    """Where the database's schema differs from these classes, one line each; [] when they agree."""
    run = conn.exec_driver_sql
    found: list[str] = []
    tables = {r.name: r.sql for r in run(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    declared = SQLModel.metadata.tables
    found += [f"{name}: in the database, not in store.models" for name in sorted(set(tables) - set(declared))]
    found += [f"{name}: in store.models, not in the database" for name in sorted(set(declared) - set(tables))]
    for name in sorted(set(tables) & set(declared)):
        table = declared[name]
        # table_xinfo: hidden 2/3 are generated columns
        info = {r.name: r for r in run(f"PRAGMA table_xinfo({name})")}
        if set(info) != {c.name for c in table.columns}:
            found.append(f"{name}: columns {sorted(info)} in the database, {sorted(c.name for c in table.columns)} declared")
        pk_db = [r.name for r in sorted(info.values(), key=lambda r: r.pk) if r.pk]
        if pk_db != [c.name for c in table.primary_key.columns]:
            found.append(f"{name}: primary key {pk_db} in the database, {[c.name for c in table.primary_key.columns]} declared")
        for column in table.columns:
            if column.name not in info:
                continue
            in_db = info[column.name]
            kind, notnull, default, pk, hidden = in_db.type, in_db.notnull, in_db.dflt_value, in_db.pk, in_db.hidden
            what = f"{name}.{column.name}"
            if kind.upper() != _declared_type(column):
                found.append(f"{what}: {kind} in the database, {_declared_type(column)} declared")
            if not pk and bool(notnull) == column.nullable:
                found.append(f"{what}: {'NOT NULL' if notnull else 'nullable'} in the database, not declared so")
            if _normal(default) != _normal(_default_sql(column)) and not (default is None and column.nullable
                                                                         and _default_sql(column) is None):
                found.append(f"{what}: default {default} in the database, {_default_sql(column)} declared")
            generated = column.computed is not None
            if generated != (hidden in (2, 3)):
                found.append(f"{what}: generated in one, not in the other")
        fks_db = {(r._mapping["from"], r.table, r.to, r.on_delete) for r in run(f"PRAGMA foreign_key_list({name})")}
        fks = {(fk.parent.name, fk.column.table.name, fk.column.name, (fk.ondelete or "NO ACTION").upper())
               for fk in table.foreign_keys}
        if fks_db != fks:
            found.append(f"{name}: foreign keys {sorted(fks_db)} in the database, {sorted(fks)} declared")
        without_rowid = "WITHOUT ROWID" in _normal(tables[name]).upper()
        if without_rowid != (table.dialect_options["sqlite"]["with_rowid"] is False):
            found.append(f"{name}: WITHOUT ROWID in one, not in the other")
        if ("autoincrement" in _normal(tables[name])) != bool(table.dialect_options["sqlite"]["autoincrement"]):
            found.append(f"{name}: AUTOINCREMENT in one, not in the other")
        found += _index_differences(conn, name, table)
        found += _check_differences(name, tables[name], table)
    return found


def checks_in(create_sql: str) -> list[str]:
    """The CHECK expressions of a CREATE TABLE statement (column and table constraints alike), in order."""
    found: list[str] = []
    at, text_ = 0, create_sql
    while (start := _find_word(text_, "CHECK", at)) >= 0:
        open_ = text_.index("(", start)
        depth, i, quoted = 0, open_, False
        while True:
            char = text_[i]
            if char == "'":
                quoted = not quoted  # '' inside a string flips twice
            elif not quoted and char == "(":
                depth += 1
            elif not quoted and char == ")":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        found.append(text_[open_ + 1:i])
        at = i
    return found


def _find_word(sql: str, word: str, start: int) -> int:
    """Where `word` next stands as a keyword (not inside a string literal, not part of a name); -1 if nowhere."""
    quoted = False
    for i in range(start, len(sql)):
        if sql[i] == "'":
            quoted = not quoted
        elif (not quoted and sql[i:i + len(word)].upper() == word
              and not (i and (sql[i - 1].isalnum() or sql[i - 1] == "_"))
              and not sql[i + len(word):i + len(word) + 1].replace("_", "a").isalnum()):
            return i
    return -1


def _check_differences(name: str, create_sql: str, table) -> list[str]:  # noqa: ANN001 -- a sqlalchemy Table
    """The table's CHECK constraints in the database and in the models, compared as normalised SQL."""
    in_db = {_normal(sql) for sql in checks_in(create_sql)}
    declared = {_normal(str(con.sqltext)) for con in table.constraints if isinstance(con, CheckConstraint)}
    return ([f"{name}: CHECK ({sql}) in the database, not in store.models" for sql in sorted(in_db - declared)]
            + [f"{name}: CHECK ({sql}) in store.models, not in the database" for sql in sorted(declared - in_db)])


def _index_differences(conn, name: str, table) -> list[str]:  # noqa: ANN001
    """Named indexes (columns, unique, partial WHERE) and the unique constraints (single and multi-column)."""
    run = conn.exec_driver_sql
    found: list[str] = []
    db_indexes: dict[str, tuple] = {}
    db_unique: set[tuple[str, ...]] = set()
    for listed in run(f"PRAGMA index_list({name})").all():
        index, unique, origin = listed.name, listed.unique, listed.origin
        columns = tuple(r.name for r in run(f"PRAGMA index_info({index})"))
        if origin == "u":
            db_unique.add(columns)
        elif origin == "c":
            sql = run("SELECT sql FROM sqlite_master WHERE name = ?", (index,)).scalar() or ""
            where = _normal(sql.split(" WHERE ", 1)[1]) if " WHERE " in sql else ""
            db_indexes[index] = (columns, bool(unique), where)
    declared_indexes = {}
    for index in table.indexes:
        where = index.dialect_options["sqlite"]["where"]
        declared_indexes[index.name] = (tuple(c.name for c in index.columns), bool(index.unique),
                                        _normal(str(where)) if where is not None else "")
    for index in sorted(set(db_indexes) | set(declared_indexes)):
        if db_indexes.get(index) != declared_indexes.get(index):
            found.append(f"{name}: index {index} is {db_indexes.get(index)} in the database, "
                         f"{declared_indexes.get(index)} declared")
    from sqlalchemy import UniqueConstraint as Unique

    declared_unique = {tuple(c.name for c in con.columns) for con in table.constraints if isinstance(con, Unique)}
    declared_unique |= {(c.name,) for c in table.columns if c.unique}
    if db_unique != declared_unique:
        found.append(f"{name}: unique {sorted(db_unique)} in the database, {sorted(declared_unique)} declared")
    return found


# ------------------------------------------------------------------------ the light view (store.tables)

def light_view() -> str:
    """The text of store/tables.py: what the queries need of these classes, without importing SQLModel."""
    tables = sorted(SQLModel.metadata.tables.values(), key=lambda t: t.name)

    def mapping(name: str, kind: str, values: dict[str, tuple[str, ...]]) -> str:
        lines = [f"{name}: dict[str, {kind}] = {{"]
        lines += [f"    {table!r}: {cols!r}," for table, cols in values.items()]
        return "\n".join(lines + ["}"])

    return "\n".join([
        '"""The tables as the queries see them: column names, primary keys, allowed values, generated columns,',
        "the weekdays.",
        "",
        "Generated from `store.models` (the one declaration of the schema) by `python -m store.models`; do not",
        "edit by hand. tests/test_models.py fails when this file and the models disagree. It exists so the",
        'queries and the mark\'s hot path can name columns without importing SQLModel at start-up."""',
        "from __future__ import annotations",
        "",
        f"WEEKDAYS = {tuple(name for name in WeekdayTotals.model_fields)!r}",
        "",
        mapping("COLUMNS", "tuple[str, ...]", {t.name: tuple(c.name for c in t.columns) for t in tables}),
        mapping("PRIMARY_KEY", "tuple[str, ...]", {t.name: tuple(c.name for c in t.primary_key.columns)
                                                   for t in tables}),
        "\n".join(["ONE_OF: dict[str, dict[str, tuple[str, ...]]] = {"]
                  + [f"    {table!r}: {values!r}," for table, values in sorted(ONE_OF.items())] + ["}"]),
        mapping("GENERATED", "tuple[str, ...]", {t.name: tuple(c.name for c in t.columns if c.computed is not None)
                                                 for t in tables if any(c.computed is not None for c in t.columns)}),
        "",
    ])


if __name__ == "__main__":
    from pathlib import Path

    target = Path(__file__).with_name("tables.py")
    target.write_text(light_view(), encoding="utf-8")
    print(f"wrote {target}")
