"""`arena export`: every table a caseworker may take out, in stable columns and a stable order.

CSV goes through `store.tabular`'s writer: in the user's Excel dialect by default (Swedish: `;`, decimal
comma, UTF-8 with a byte-order mark, CRLF), text that a spreadsheet would run as a formula neutralised.
JSONL is one object a line, UTF-8 without a byte-order mark. Identity numbers are 12-digit. A protected
person's address is never exported.
"""
from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, cast

from store import access, audit, dbfile, tabular
from store.db import Database
from store.i18n import language, t
from store.tables import ONE_OF, WEEKDAYS
from store.tx import driver

_PLANS = tuple(f"plan_{day}" for day in WEEKDAYS)  # a person's planned hours, Monday to Friday
_HOURS = tuple(f"hours_{day}" for day in WEEKDAYS)  # an activity's hours, Monday to Friday


def _columns(alias: str, names: Iterable[str]) -> str:
    return ", ".join(f"{alias}.{name}" for name in names)


QUERIES: dict[str, tuple[tuple[str, ...], str]] = {
    "participants": (
        ("id", "personnummer", "reserve_number", "first_name", "last_name", "gender", "birth_date", "protected",
         "address", "phone", "referral_date", "caseworker_login", "site", *_PLANS, "status", "exit_date",
         "exit_outcome"),
        "SELECT p.id, p.personnummer, p.reserve_number, p.first_name, p.last_name, p.gender, p.birth_date,"
        " p.protected, CASE WHEN p.protected = 1 THEN '' ELSE p.address END, p.phone, p.referral_date, c.login,"
        f" p.site, {_columns('p', _PLANS)}, p.status, p.exit_date,"
        " p.exit_outcome FROM participant p LEFT JOIN caseworker c ON c.id = p.caseworker_id ORDER BY p.id"),
    "caseworkers": (("id", "login", "name", "role", "site", "active"),
                    "SELECT id, login, name, role, site, active FROM caseworker ORDER BY login"),
    "activities": (
        ("id", "name", "kind", "site", "leader_login", "capacity", *_HOURS, "active"),
        f"SELECT a.id, a.name, a.kind, a.site, c.login, a.capacity, {_columns('a', _HOURS)},"
        " a.active FROM activity a LEFT JOIN caseworker c ON c.id = a.leader_id"
        " ORDER BY a.name"),
    "enrolments": (("id", "participant_id", "personnummer", "activity", "session", "start_date", "end_date",
                    "capacity_reason"),
                   "SELECT e.id, e.participant_id, p.personnummer, a.name, s.name, e.start_date, e.end_date,"
                   " e.capacity_reason FROM enrolment e JOIN participant p ON p.id = e.participant_id"
                   " JOIN activity a ON a.id = e.activity_id"
                   " LEFT JOIN activity_session s ON s.id = e.session_id"
                   " ORDER BY e.participant_id, a.name, e.start_date, e.id"),
    "attendance": (
        ("id", "participant_id", "personnummer", "reserve_number", "activity", "session", "date", "status", "hours",
         "reason", "note", "recorded_by", "recorded_at", "late", "cancelled"),
        "SELECT t.id, t.participant_id, p.personnummer, p.reserve_number, a.name, s.name, t.date, t.status, t.hours,"
        " t.reason_code, t.note, t.recorded_by, t.recorded_at, t.late, EXISTS (SELECT 1 FROM session_cancel c"
        " WHERE c.session_id = t.session_id AND c.date = t.date) FROM attendance t JOIN participant p ON p.id = t.participant_id"
        " JOIN activity a ON a.id = t.activity_id JOIN activity_session s ON s.id = t.session_id"
        " ORDER BY t.date, a.name, s.start_time, s.name, t.participant_id"),
    "milestones": (
        ("id", "participant_id", "stage", "status", "planned_date", "achieved_date", "caseworker_login", "note",
         "period"),
        "SELECT m.id, m.participant_id, m.stage_code, m.status, m.planned_date, m.achieved_date, c.login, m.note,"
        " m.period FROM milestone m LEFT JOIN caseworker c ON c.id = m.caseworker_id"
        " ORDER BY m.participant_id, m.period, m.id"),
    "notes": (("id", "participant_id", "author_login", "created_at", "text", "refers_to"),
              "SELECT id, participant_id, author_login, created_at, text, refers_to FROM note"
              " ORDER BY participant_id, created_at, id"),
    "audit": (("id", "at", "user_login", "action", "participant_id", "reason", "detail"),
              "SELECT e.id, e.at, e.user_login, e.action, e.participant_id, e.reason, e.detail FROM audit_event e"
              "{where} ORDER BY e.at, e.id"),
}
WHAT = tuple(QUERIES)

# A column's stored word -> the catalog key of the word people read (CSV only; JSONL keeps the data), with
# the words it can hold (None: the ones the table holds, an audit event's action).
_STATUS_WORDS: dict[str, tuple[tuple[str, str, tuple[str, ...] | None], ...]] = {
    "participants": (("p.status", "status.{}", ONE_OF["participant"]["status"]),
                     ("p.gender", "gender.{}", ONE_OF["participant"]["gender"])),
    "attendance": (("t.status", "st.{}", ONE_OF["attendance"]["status"]),),
    "milestones": (("m.status", "ms.status.{}", ONE_OF["milestone"]["status"]),),
    "caseworkers": (("role", "role.{}", ONE_OF["caseworker"]["role"]),),
    "audit": (("e.action", "audit.action.{}", None),),
}


def header_words(what: str, columns: Sequence[str]) -> list[str]:
    """The CSV's header in the reader's language (`exp.col.first_name`: "förnamn" / "first name"; a table's
    own word first, `exp.col.audit.reason`); a column the catalog does not name keeps its own name. The
    words are ones `arena import` reads back. JSONL keeps the column names: a machine format."""
    words = []
    for column in columns:
        for key in (f"exp.col.{what}.{column}", f"exp.col.{column}"):
            word = t(key)
            if word != key:
                break
        words.append(column if word == key else word)
    return words


def _status_in_words(db: Database, what: str, sql: str) -> str:
    """The SQL with the columns of stored words (a status, a role, an event, an exit's outcome) said in the
    reader's language: a CASE of literal catalog words, the outcome's own label column."""
    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    for column, key, known in _STATUS_WORDS.get(what, ()):
        if known is None:
            with db.read() as conn:
                known = tuple(v for (v,) in conn.exec_driver_sql(
                    f"SELECT DISTINCT {column.split('.')[-1]} FROM audit_event").fetchall())
        words = [(v, t(key.format(v))) for v in known]
        # a letter stays a capital (gender K/M/X, F in English): `arena import` reads it back either way
        case = "CASE " + column + "".join(f" WHEN {literal(v)} THEN {literal(w if len(w) == 1 else w.lower())}"
                                          for v, w in words if w != key.format(v))
        if " WHEN " in case:
            sql = sql.replace(f" {column},", f" {case} ELSE {column} END,", 1)
    if what == "audit":  # a fixed detail the store wrote (in English) in the reader's words; typed text as it is
        details = [(v, w) for v, w in _known_details() if w != v]
        if details:
            case = "CASE e.detail" + "".join(f" WHEN {literal(v)} THEN {literal(w)}" for v, w in details)
            sql = sql.replace(" e.detail FROM", f" {case} ELSE e.detail END FROM", 1)
    if what == "participants":  # the outcome's label in the reader's language (the code is Swedish)
        label = "label_en" if language() == "en" else "label_sv"
        sql = sql.replace(" p.exit_outcome FROM", f" coalesce((SELECT o.{label} FROM exit_outcome o"
                                                   " WHERE o.code = p.exit_outcome), p.exit_outcome) FROM", 1)
    return sql


def _known_details() -> list[tuple[str, str]]:
    """The access log's fixed details (as `audit.record` stores them) and their words in the reader's language."""
    said = [("outside caseload", t("rv.outside_short")),
            ("probable duplicate shown and overridden", t("audit.detail.duplicate"))]
    return said + [(f"{what} {fmt}", t("audit.detail.export", what=t(f"exp.what.{what}"), fmt=fmt))
                   for what in QUERIES for fmt in ("csv", "jsonl")]


PERSONAL = ("participants", "enrolments", "attendance", "milestones", "notes")


def _query(db: Database, what: str, audit_filter: audit.AuditFilter | None) -> tuple[tuple[str, ...], str, list]:
    columns, sql = QUERIES[what]
    where, params = "", []  # type: str, list
    if what == "audit":
        with db.read() as conn:  # checked now, so a bad filter is refused before anything is written
            where, params = (audit_filter or audit.AuditFilter()).sql(conn)
        sql = sql.format(where=where)
    return columns, sql, list(params)


def rows(db: Database, login: str, what: str, audit_filter: audit.AuditFilter | None = None
         ) -> tuple[tuple[str, ...], Iterator[tuple]]:
    with db.read() as conn:
        access.require(conn, login, access.ADMIN)
    columns, sql, params = _query(db, what, audit_filter)

    def generate() -> Iterator[tuple]:
        with db.read() as conn:
            yield from conn.exec_driver_sql(sql, tuple(params))

    return columns, generate()


def write(db: Database, login: str, what: str, fmt: str, out: IO[str],
          audit_filter: audit.AuditFilter | None = None, dialect: tabular.Dialect | None = None,
          reason: str = "") -> int:
    """Write one table to `out`; audit the export first (who took what out). Returns the row count.
    Every table but the access log holds people outside anyone's caseload: it needs a reason, and the
    export is logged as an outside read. A plain database's CSV is read beside the engine, its connections
    closed first (`dbfile.plain_reader` says why): nothing else in the process may use `db` meanwhile, as
    nothing does in `arena export`, the one caller."""
    from store import validate

    reason = validate.text(reason, "reason", max_len=300)
    if reason:  # a few words or a listed reason, as the TUI's reason dialog asks: never "x" in the access log
        reason = access.check_reason(reason)
    with db.read() as conn:
        access.require(conn, login, access.ADMIN)
    personal = what in PERSONAL
    if personal and not reason:
        raise access.AccessDenied("acc.reason_required_export")
    columns, sql, params = _query(db, what, audit_filter)
    with db.write(login) as tx:
        audit.record(tx, "export", reason=reason, detail=f"{what} {fmt}")
        if personal:
            audit.record(tx, "export", reason=reason, detail="outside caseload")
    count = 0
    if fmt == "csv":
        # the CSV streams from SQLite row by row, each cell formatted only when it must be (tabular)
        writer = tabular.writer(out, dialect)
        writer.header(header_words(what, columns))
        sql = _status_in_words(db, what, sql)
        if not db.encrypted and db.path != ":memory:":
            # a plain database (a test setup) is read by the standard library's SQLite, the whole table in
            # one sorted query (its sorter spills to temporary files), none of the engine's connections
            # open meanwhile (dbfile.plain_reader says why)
            db.dispose()
            con = dbfile.plain_reader(db.path)
            try:
                writer.sqlite_rows(cast(Iterable[Sequence[object]], con.execute(sql, tuple(params))))
            finally:
                con.close()
            return writer.count
        with db.read() as conn:
            raw = driver(conn)  # the driver's own cursor: no per-row wrapping
            if what != "attendance":
                writer.sqlite_rows(cast(Iterable[Sequence[object]], raw.execute(sql, tuple(params))))
                return writer.count
            # millions of marks: one day at a time (the date index gives the days in order), so SQLite sorts
            # a day's rows, never the whole table in memory (SQLCipher keeps its temporary files there)
            by_day = sql.replace(" ORDER BY t.date, ", " WHERE t.date = ? ORDER BY ", 1)
            days = raw.execute("SELECT DISTINCT date FROM attendance ORDER BY date")
            for (day,) in days.fetchall():
                writer.sqlite_rows(cast(Iterable[Sequence[object]], raw.execute(by_day, (day,))))
        return writer.count
    else:
        for row in rows(db, login, what, audit_filter)[1]:
            out.write(json.dumps(dict(zip(columns, row)), ensure_ascii=False, sort_keys=False) + "\n")
            count += 1
    return count


def to_string(db: Database, login: str, what: str, fmt: str = "csv",
              dialect: tabular.Dialect | None = None, reason: str = "") -> str:
    buffer = io.StringIO()
    write(db, login, what, fmt, buffer, dialect=dialect, reason=reason)
    return buffer.getvalue()
