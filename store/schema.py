"""Numbered migrations, recorded in `PRAGMA user_version`.

Each migration is a small function run once, in order, inside one transaction. Never edit a released
migration: add the next one, and the same change to the tables' one declaration in `store.models` (then
`python -m store.models` for `store.tables`); tests/test_models.py holds what the migrations build equal
to the models. A database from an older release opens and is upgraded; one from a newer release is
refused with a clear message. A new database is made in one step from what these make of an empty one
(store.db._create_latest).
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from store import names
from store.tables import WEEKDAYS


def _exec_script(conn: Connection, script: str) -> None:
    for statement in script.split(";\n"):
        if statement.strip():
            conn.exec_driver_sql(statement)


def _m1_core(conn: Connection) -> None:
    plan_cols = ", ".join(f"plan_{d} REAL NOT NULL DEFAULT 8" for d in WEEKDAYS)
    hour_cols = ", ".join(f"hours_{d} REAL NOT NULL DEFAULT 0" for d in WEEKDAYS)
    _exec_script(conn, f"""
    CREATE TABLE workstation (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, is_local INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
    CREATE UNIQUE INDEX workstation_one_local ON workstation(is_local) WHERE is_local = 1;
    CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE caseworker (
        id TEXT PRIMARY KEY, login TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT 'caseworker' CHECK (role IN ('caseworker', 'leader', 'admin')),
        site TEXT NOT NULL DEFAULT '', active INTEGER NOT NULL DEFAULT 1, pin_hash TEXT);
    CREATE TABLE participant (
        id TEXT PRIMARY KEY,
        personnummer TEXT UNIQUE,
        reserve_number TEXT,
        first_name TEXT NOT NULL, last_name TEXT NOT NULL,
        gender TEXT NOT NULL CHECK (gender IN ('K', 'M', 'X')),
        birth_date TEXT,
        protected INTEGER NOT NULL DEFAULT 0,
        address TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '',
        referral_date TEXT NOT NULL,
        caseworker_id TEXT REFERENCES caseworker(id),
        site TEXT NOT NULL DEFAULT '',
        {plan_cols},
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'exited')),
        exit_date TEXT, exit_outcome TEXT,
        created_at TEXT NOT NULL);
    CREATE INDEX participant_caseworker ON participant(caseworker_id, status);
    CREATE INDEX participant_referral ON participant(referral_date);
    CREATE TABLE activity (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL DEFAULT '',
        site TEXT NOT NULL DEFAULT '', leader_id TEXT REFERENCES caseworker(id),
        capacity INTEGER NOT NULL DEFAULT 25, {hour_cols}, active INTEGER NOT NULL DEFAULT 1);
    CREATE TABLE enrolment (
        id TEXT PRIMARY KEY,
        participant_id TEXT NOT NULL REFERENCES participant(id),
        activity_id TEXT NOT NULL REFERENCES activity(id),
        start_date TEXT NOT NULL, end_date TEXT);
    CREATE INDEX enrolment_activity ON enrolment(activity_id, start_date);
    CREATE INDEX enrolment_participant ON enrolment(participant_id);
    CREATE TABLE absence_code (
        code TEXT PRIMARY KEY,
        category TEXT NOT NULL CHECK (category IN ('sick', 'vab', 'excused', 'unexcused')),
        label_sv TEXT NOT NULL, label_en TEXT NOT NULL,
        excused INTEGER NOT NULL, legal_ref TEXT NOT NULL DEFAULT '', sort INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE attendance (
        id TEXT PRIMARY KEY,
        participant_id TEXT NOT NULL REFERENCES participant(id),
        activity_id TEXT NOT NULL REFERENCES activity(id),
        date TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('present', 'partial', 'sick', 'vab', 'excused', 'unexcused')),
        hours REAL NOT NULL DEFAULT 0,
        reason_code TEXT REFERENCES absence_code(code),
        note TEXT NOT NULL DEFAULT '',
        recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL,
        late INTEGER NOT NULL DEFAULT 0,
        UNIQUE (participant_id, activity_id, date));
    CREATE INDEX attendance_activity_date ON attendance(activity_id, date);
    CREATE INDEX attendance_date ON attendance(date);
    CREATE TABLE session_cancel (
        id TEXT PRIMARY KEY, activity_id TEXT NOT NULL REFERENCES activity(id), date TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '', recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL,
        UNIQUE (activity_id, date));
    CREATE TABLE milestone_stage (
        code TEXT PRIMARY KEY, label_sv TEXT NOT NULL, label_en TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('referral', 'assessment', 'plan', 'intervention', 'exit')),
        sort INTEGER NOT NULL, active INTEGER NOT NULL DEFAULT 1);
    CREATE TABLE exit_outcome (
        code TEXT PRIMARY KEY, label_sv TEXT NOT NULL, label_en TEXT NOT NULL,
        work_or_study INTEGER NOT NULL DEFAULT 0, sort INTEGER NOT NULL);
    CREATE TABLE milestone (
        id TEXT PRIMARY KEY,
        participant_id TEXT NOT NULL REFERENCES participant(id),
        stage_code TEXT NOT NULL REFERENCES milestone_stage(code),
        status TEXT NOT NULL CHECK (status IN ('planned', 'started', 'achieved', 'cancelled')),
        planned_date TEXT, achieved_date TEXT,
        caseworker_id TEXT REFERENCES caseworker(id),
        note TEXT NOT NULL DEFAULT '',
        period INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL);
    CREATE INDEX milestone_participant ON milestone(participant_id, period);
    CREATE TABLE note (
        id TEXT PRIMARY KEY, participant_id TEXT NOT NULL REFERENCES participant(id),
        author_login TEXT NOT NULL, created_at TEXT NOT NULL, text TEXT NOT NULL,
        refers_to TEXT REFERENCES note(id));
    CREATE INDEX note_participant ON note(participant_id, created_at);
    CREATE TABLE audit_event (
        id TEXT PRIMARY KEY, at TEXT NOT NULL, user_login TEXT NOT NULL, action TEXT NOT NULL,
        participant_id TEXT, reason TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');
    CREATE INDEX audit_event_participant ON audit_event(participant_id, at);
    CREATE INDEX audit_event_user ON audit_event(user_login, at);
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
    CREATE TABLE change_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        op_id TEXT NOT NULL UNIQUE,
        workstation_id TEXT NOT NULL,
        hlc TEXT NOT NULL,
        tbl TEXT NOT NULL, row_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('upsert', 'delete')),
        changes TEXT NOT NULL,
        at TEXT NOT NULL, by TEXT NOT NULL);
    CREATE INDEX change_log_row ON change_log(tbl, row_id);
    """)
    _seed_reference_data(conn)


def _seed_reference_data(conn: Connection) -> None:
    """Codes, stages and outcomes are data: an administrator may add or rename them later."""
    absence = [
        ("SJUK", "sick", "Sjuk", "Sick", 1, "", 1),
        ("VAB", "vab", "Vård av barn", "Care of sick child", 1, "", 2),
        ("LAKARE", "excused", "Läkar- eller tandläkarbesök", "Doctor or dentist", 1, "", 3),
        ("MYNDIGHET", "excused", "Myndighetsbesök", "Appointment with an authority", 1, "", 4),
        ("INTERVJU", "excused", "Anställningsintervju", "Job interview", 1, "", 5),
        ("GILTIG", "excused", "Annan giltig frånvaro", "Other excused absence", 1, "", 6),
        ("OGILTIG", "unexcused", "Ogiltig frånvaro", "Unexcused absence", 0,
         "SoL 4 kap. 5 § / SoL (2025:400)", 7),
    ]
    for row in absence:
        conn.exec_driver_sql(
            "INSERT INTO absence_code (code, category, label_sv, label_en, excused, legal_ref, sort)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", row)
    stages = [
        ("anvisning", "Anvisning", "Referral", "referral"),
        ("kartlaggning", "Kartläggning", "Initial assessment", "assessment"),
        ("handlingsplan", "Handlingsplan", "Action plan", "plan"),
        ("arbetstraning", "Arbetsträning", "Work training", "intervention"),
        ("praktik", "Praktik", "Work placement", "intervention"),
        ("sprakpraktik", "Språkpraktik", "Language placement", "intervention"),
        ("sfi", "SFI", "Swedish for immigrants", "intervention"),
        ("komvux", "Komvux", "Adult education", "intervention"),
        ("jobbsok", "Jobbsök", "Job search", "intervention"),
        ("starkande", "Stärkande aktivitet", "Strengthening activity", "intervention"),
        ("extratjanst", "Extratjänst", "Subsidised job (extratjänst)", "intervention"),
        ("lonebidrag", "Lönebidrag", "Wage subsidy (lönebidrag)", "intervention"),
        ("lonestod", "Lönestöd", "Wage support (lönestöd)", "intervention"),
        ("avslut", "Avslut", "Exit", "exit"),
    ]
    for i, (code, sv, en, kind) in enumerate(stages):
        conn.exec_driver_sql(
            "INSERT INTO milestone_stage (code, label_sv, label_en, kind, sort) VALUES (?, ?, ?, ?, ?)",
            (code, sv, en, kind, (i + 1) * 10))
    outcomes = [
        ("arbete", "Arbete", "Work", 1), ("studier", "Studier", "Studies", 1),
        ("annan_insats", "Annan insats", "Other programme", 0), ("flytt", "Flytt", "Moved away", 0),
        ("sjukskrivning", "Sjukskrivning", "Sick leave", 0), ("avbrott", "Avbrott", "Dropped out", 0),
        ("ovrigt", "Övrigt", "Other", 0),
    ]
    for i, (code, sv, en, ws) in enumerate(outcomes):
        conn.exec_driver_sql(
            "INSERT INTO exit_outcome (code, label_sv, label_en, work_or_study, sort) VALUES (?, ?, ?, ?, ?)",
            (code, sv, en, ws, i + 1))


def _m2_search(conn: Connection) -> None:
    """Name and number search: normalised name tokens, their one-deletion variants, short numbers."""
    _exec_script(conn, """
    CREATE TABLE name_token (
        participant_id TEXT NOT NULL REFERENCES participant(id) ON DELETE CASCADE,
        token TEXT NOT NULL, PRIMARY KEY (token, participant_id)) WITHOUT ROWID;
    CREATE INDEX name_token_participant ON name_token(participant_id);
    CREATE TABLE name_vocab (token TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TABLE token_variant (variant TEXT NOT NULL, token TEXT NOT NULL,
        PRIMARY KEY (variant, token)) WITHOUT ROWID;
    ALTER TABLE participant ADD COLUMN pnr10 TEXT GENERATED ALWAYS AS (substr(personnummer, 3)) VIRTUAL;
    CREATE INDEX participant_pnr10 ON participant(pnr10);
    """)


def _m3_sync(conn: Connection) -> None:
    """Sync bookkeeping: a per-workstation sequence on the change log, peers' progress, conflicts."""
    _exec_script(conn, """
    ALTER TABLE change_log ADD COLUMN ws_seq INTEGER;
    UPDATE change_log SET ws_seq = seq;
    CREATE UNIQUE INDEX change_log_ws_seq ON change_log(workstation_id, ws_seq);
    CREATE TABLE sync_peer (
        workstation_id TEXT PRIMARY KEY, applied_seq INTEGER NOT NULL DEFAULT 0, last_file TEXT,
        last_seen TEXT);
    CREATE TABLE sync_pending (
        op_id TEXT PRIMARY KEY, workstation_id TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL,
        waiting_for TEXT NOT NULL);
    CREATE TABLE conflict (
        id TEXT PRIMARY KEY, tbl TEXT NOT NULL, row_id TEXT NOT NULL, field TEXT NOT NULL,
        kept_value TEXT, lost_value TEXT, lost_hlc TEXT NOT NULL, lost_by TEXT NOT NULL,
        lost_workstation TEXT NOT NULL, detected_at TEXT NOT NULL, resolved INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX conflict_open ON conflict(resolved, detected_at);
    CREATE TABLE quarantine (
        file TEXT PRIMARY KEY, reason TEXT NOT NULL, detected_at TEXT NOT NULL);
    """)


def _m4_figures(conn: Connection) -> None:
    """A covering index for the overview and figures: attendance by date with its person and hours. It
    replaces the plain date index, so a mark still maintains the same number of indexes."""
    _exec_script(conn, """
    CREATE INDEX attendance_date_hours ON attendance(date, participant_id, hours, status);
    DROP INDEX attendance_date;
    """)


def _m5_day_totals(conn: Connection) -> None:
    """Attendance hours per day, kept by triggers, so the programme-wide trend reads 40 rows, not
    millions; and enrolment counts per session straight from an index."""
    _exec_script(conn, """
    CREATE TABLE attendance_day (date TEXT PRIMARY KEY, hours REAL NOT NULL DEFAULT 0,
        marks INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    INSERT INTO attendance_day (date, hours, marks) SELECT date, sum(hours), count(*) FROM attendance GROUP BY date;
    CREATE INDEX enrolment_activity_span ON enrolment(activity_id, start_date, end_date);
    """)
    create_day_total_triggers(conn)


DAY_TOTAL_TRIGGERS = """
    CREATE TRIGGER attendance_day_insert AFTER INSERT ON attendance BEGIN
        INSERT INTO attendance_day (date, hours, marks) VALUES (NEW.date, NEW.hours, 1)
        ON CONFLICT(date) DO UPDATE SET hours = hours + NEW.hours, marks = marks + 1; END;
    CREATE TRIGGER attendance_day_delete AFTER DELETE ON attendance BEGIN
        UPDATE attendance_day SET hours = hours - OLD.hours, marks = marks - 1 WHERE date = OLD.date; END;
    CREATE TRIGGER attendance_day_update AFTER UPDATE OF hours, date ON attendance BEGIN
        UPDATE attendance_day SET hours = hours - OLD.hours, marks = marks - 1 WHERE date = OLD.date;
        INSERT INTO attendance_day (date, hours, marks) VALUES (NEW.date, NEW.hours, 1)
        ON CONFLICT(date) DO UPDATE SET hours = hours + NEW.hours, marks = marks + 1; END;
"""
DAY_TOTAL_TRIGGER_NAMES = ("attendance_day_insert", "attendance_day_delete", "attendance_day_update")


def create_day_total_triggers(conn) -> None:  # noqa: ANN001 -- a SQLAlchemy or a sqlite3 connection
    run = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for body in DAY_TOTAL_TRIGGERS.split("END;"):
        if body.strip():
            run(body + "END;")


def _m6_caseload_index(conn: Connection) -> None:
    """Caseload sizes by gender from an index; this year's exits without reading every participant."""
    _exec_script(conn, """
    CREATE INDEX participant_caseload ON participant(caseworker_id, status, gender);
    CREATE INDEX participant_exit ON participant(exit_date) WHERE exit_date IS NOT NULL;
    CREATE INDEX participant_figures ON participant(gender, status, referral_date, exit_date,
        plan_mon, plan_tue, plan_wed, plan_thu, plan_fri);
    ANALYZE participant;
    """)


def _m7_gallring(conn: Connection) -> None:
    """The deletion log of gallring: internal id, dates and counts, never personal data (local)."""
    _exec_script(conn, """
    CREATE TABLE gallring_log (
        id TEXT PRIMARY KEY, participant_id TEXT NOT NULL, last_entry TEXT NOT NULL, as_of TEXT NOT NULL,
        removed_at TEXT NOT NULL, removed_by TEXT NOT NULL, counts TEXT NOT NULL);
    """)


def _m8_sync_healing(conn: Connection) -> None:
    """A quarantined file is tried again when its content (or the key) changes; a row waiting for a
    parent notes the sync it started waiting at, so one that waits longer than a sync is reported."""
    _exec_script(conn, """
    ALTER TABLE quarantine ADD COLUMN fingerprint TEXT;
    ALTER TABLE sync_pending ADD COLUMN first_sync INTEGER NOT NULL DEFAULT 0;
    """)


# Migration 9 as released (per activity; migration 10 keys the totals by session). Per-session totals, kept by
# triggers like attendance_day: the marks of each activity and day, and the
# enrolment count as steps (+1 on the first day, -1 the day after the last), so a session's "marked/enrolled"
# reads a handful of rows whatever the size of the programme.
SESSION_TOTAL_TRIGGERS_V9 = """
    CREATE TRIGGER session_marks_insert AFTER INSERT ON attendance BEGIN
        INSERT INTO session_marks (activity_id, date, marks) VALUES (NEW.activity_id, NEW.date, 1)
        ON CONFLICT (activity_id, date) DO UPDATE SET marks = marks + 1; END;
    CREATE TRIGGER session_marks_delete AFTER DELETE ON attendance BEGIN
        UPDATE session_marks SET marks = marks - 1 WHERE activity_id = OLD.activity_id AND date = OLD.date; END;
    CREATE TRIGGER session_marks_update AFTER UPDATE OF activity_id, date ON attendance BEGIN
        UPDATE session_marks SET marks = marks - 1 WHERE activity_id = OLD.activity_id AND date = OLD.date;
        INSERT INTO session_marks (activity_id, date, marks) VALUES (NEW.activity_id, NEW.date, 1)
        ON CONFLICT (activity_id, date) DO UPDATE SET marks = marks + 1; END;
    CREATE TRIGGER enrolment_steps_insert AFTER INSERT ON enrolment BEGIN
        INSERT INTO enrolment_step (activity_id, date, delta) VALUES (NEW.activity_id, NEW.start_date, 1)
        ON CONFLICT (activity_id, date) DO UPDATE SET delta = delta + 1;
        INSERT INTO enrolment_step (activity_id, date, delta)
        SELECT NEW.activity_id, date(NEW.end_date, '+1 day'), -1 WHERE NEW.end_date IS NOT NULL
        ON CONFLICT (activity_id, date) DO UPDATE SET delta = delta - 1; END;
    CREATE TRIGGER enrolment_steps_delete AFTER DELETE ON enrolment BEGIN
        UPDATE enrolment_step SET delta = delta - 1 WHERE activity_id = OLD.activity_id AND date = OLD.start_date;
        UPDATE enrolment_step SET delta = delta + 1
        WHERE OLD.end_date IS NOT NULL AND activity_id = OLD.activity_id AND date = date(OLD.end_date, '+1 day'); END;
    CREATE TRIGGER enrolment_steps_update AFTER UPDATE OF activity_id, start_date, end_date ON enrolment BEGIN
        UPDATE enrolment_step SET delta = delta - 1 WHERE activity_id = OLD.activity_id AND date = OLD.start_date;
        UPDATE enrolment_step SET delta = delta + 1
        WHERE OLD.end_date IS NOT NULL AND activity_id = OLD.activity_id AND date = date(OLD.end_date, '+1 day');
        INSERT INTO enrolment_step (activity_id, date, delta) VALUES (NEW.activity_id, NEW.start_date, 1)
        ON CONFLICT (activity_id, date) DO UPDATE SET delta = delta + 1;
        INSERT INTO enrolment_step (activity_id, date, delta)
        SELECT NEW.activity_id, date(NEW.end_date, '+1 day'), -1 WHERE NEW.end_date IS NOT NULL
        ON CONFLICT (activity_id, date) DO UPDATE SET delta = delta - 1; END;
"""
SESSION_TOTAL_TRIGGER_NAMES_V9 = ("session_marks_insert", "session_marks_delete", "session_marks_update",
                               "enrolment_steps_insert", "enrolment_steps_delete", "enrolment_steps_update")
SESSION_TOTALS_FILL_V9 = """
    DELETE FROM session_marks;
    INSERT INTO session_marks (activity_id, date, marks)
        SELECT activity_id, date, count(*) FROM attendance GROUP BY activity_id, date;
    DELETE FROM enrolment_step;
    INSERT INTO enrolment_step (activity_id, date, delta) SELECT activity_id, date, sum(delta) FROM (
        SELECT activity_id, start_date AS date, 1 AS delta FROM enrolment
        UNION ALL SELECT activity_id, date(end_date, '+1 day'), -1 FROM enrolment WHERE end_date IS NOT NULL)
        GROUP BY activity_id, date;
"""


def _create_session_total_triggers_v9(conn) -> None:  # noqa: ANN001 -- a SQLAlchemy or a sqlite3 connection
    run = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for body in SESSION_TOTAL_TRIGGERS_V9.split("END;"):
        if body.strip():
            run(body + "END;")


def _fill_session_totals_v9(conn) -> None:  # noqa: ANN001
    run = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for statement in SESSION_TOTALS_FILL_V9.split(";"):
        if statement.strip():
            run(statement)


def _m9_session_totals(conn: Connection) -> None:
    """F3's and F5's session counts ("12/25 marked") from totals kept by triggers, not by counting the
    session's enrolments and marks (which grew with the size of the programme's sessions)."""
    _exec_script(conn, """
    CREATE TABLE session_marks (activity_id TEXT NOT NULL, date TEXT NOT NULL, marks INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (activity_id, date)) WITHOUT ROWID;
    CREATE TABLE enrolment_step (activity_id TEXT NOT NULL, date TEXT NOT NULL, delta INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (activity_id, date)) WITHOUT ROWID;
    """)
    _fill_session_totals_v9(conn)
    _create_session_total_triggers_v9(conn)



# The session totals as they are since migration 10: per activity session and day (the marks) and per
# session and date (the enrolment steps: +1 on the first day, -1 the day after the last).
SESSION_TOTAL_TRIGGERS = """
    CREATE TRIGGER session_marks_insert AFTER INSERT ON attendance BEGIN
        INSERT INTO session_marks (session_id, date, marks) VALUES (NEW.session_id, NEW.date, 1)
        ON CONFLICT (session_id, date) DO UPDATE SET marks = marks + 1; END;
    CREATE TRIGGER session_marks_delete AFTER DELETE ON attendance BEGIN
        UPDATE session_marks SET marks = marks - 1 WHERE session_id = OLD.session_id AND date = OLD.date; END;
    CREATE TRIGGER session_marks_update AFTER UPDATE OF session_id, date ON attendance BEGIN
        UPDATE session_marks SET marks = marks - 1 WHERE session_id = OLD.session_id AND date = OLD.date;
        INSERT INTO session_marks (session_id, date, marks) VALUES (NEW.session_id, NEW.date, 1)
        ON CONFLICT (session_id, date) DO UPDATE SET marks = marks + 1; END;
    CREATE TRIGGER enrolment_steps_insert AFTER INSERT ON enrolment BEGIN
        INSERT INTO enrolment_step (session_id, date, delta) VALUES (NEW.session_id, NEW.start_date, 1)
        ON CONFLICT (session_id, date) DO UPDATE SET delta = delta + 1;
        INSERT INTO enrolment_step (session_id, date, delta)
        SELECT NEW.session_id, date(NEW.end_date, '+1 day'), -1 WHERE NEW.end_date IS NOT NULL
        ON CONFLICT (session_id, date) DO UPDATE SET delta = delta - 1; END;
    CREATE TRIGGER enrolment_steps_delete AFTER DELETE ON enrolment BEGIN
        UPDATE enrolment_step SET delta = delta - 1 WHERE session_id = OLD.session_id AND date = OLD.start_date;
        UPDATE enrolment_step SET delta = delta + 1
        WHERE OLD.end_date IS NOT NULL AND session_id = OLD.session_id AND date = date(OLD.end_date, '+1 day'); END;
    CREATE TRIGGER enrolment_steps_update AFTER UPDATE OF session_id, start_date, end_date ON enrolment BEGIN
        UPDATE enrolment_step SET delta = delta - 1 WHERE session_id = OLD.session_id AND date = OLD.start_date;
        UPDATE enrolment_step SET delta = delta + 1
        WHERE OLD.end_date IS NOT NULL AND session_id = OLD.session_id AND date = date(OLD.end_date, '+1 day');
        INSERT INTO enrolment_step (session_id, date, delta) VALUES (NEW.session_id, NEW.start_date, 1)
        ON CONFLICT (session_id, date) DO UPDATE SET delta = delta + 1;
        INSERT INTO enrolment_step (session_id, date, delta)
        SELECT NEW.session_id, date(NEW.end_date, '+1 day'), -1 WHERE NEW.end_date IS NOT NULL
        ON CONFLICT (session_id, date) DO UPDATE SET delta = delta - 1; END;
"""
SESSION_TOTAL_TRIGGER_NAMES = ("session_marks_insert", "session_marks_delete", "session_marks_update",
                               "enrolment_steps_insert", "enrolment_steps_delete", "enrolment_steps_update")
SESSION_TOTALS_FILL = """
    DELETE FROM session_marks;
    INSERT INTO session_marks (session_id, date, marks)
        SELECT session_id, date, count(*) FROM attendance GROUP BY session_id, date;
    DELETE FROM enrolment_step;
    INSERT INTO enrolment_step (session_id, date, delta) SELECT session_id, date, sum(delta) FROM (
        SELECT session_id, start_date AS date, 1 AS delta FROM enrolment
        UNION ALL SELECT session_id, date(end_date, '+1 day'), -1 FROM enrolment WHERE end_date IS NOT NULL)
        GROUP BY session_id, date;
"""


def create_session_total_triggers(conn) -> None:  # noqa: ANN001 -- a SQLAlchemy or a sqlite3 connection
    run = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for body in SESSION_TOTAL_TRIGGERS.split("END;"):
        if body.strip():
            run(body + "END;")


def fill_session_totals(conn) -> None:  # noqa: ANN001 -- after a bulk load with the triggers dropped
    run = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for statement in SESSION_TOTALS_FILL.split(";"):
        if statement.strip():
            run(statement)


SESSION_HOURS_ALWAYS = ""  # valid_from of hours that hold from the session's start


def _m10_sessions(conn: Connection) -> None:
    """An activity has one or more sessions (e.g. "fm" 08:30–12:00, "em" 13:00–16:00), each with hours per
    weekday that change from a date on (`session_hours`, one row per version, so past reports stay
    right). A mark's natural key becomes (participant, activity, session, date).

    Every existing activity becomes one all-day session whose id is the activity's own id, so every
    workstation derives the same rows from the same activity; enrolments, marks and cancellations point
    at it without a logged change (a synced row that lacks `session_id` means the activity's own session,
    see `store.merge.fold`). The new rows are logged too, so a workstation that receives an activity from
    before its own upgrade also receives its session."""
    _exec_script(conn, """
    CREATE TABLE activity_session (
        id TEXT PRIMARY KEY, activity_id TEXT NOT NULL REFERENCES activity(id),
        name TEXT NOT NULL DEFAULT '', start_time TEXT NOT NULL DEFAULT '', end_time TEXT NOT NULL DEFAULT '',
        capacity INTEGER NOT NULL DEFAULT 25, end_date TEXT, active INTEGER NOT NULL DEFAULT 1);
    CREATE INDEX activity_session_activity ON activity_session(activity_id);
    CREATE TABLE session_hours (
        id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES activity_session(id),
        valid_from TEXT NOT NULL DEFAULT '',
        hours_mon REAL NOT NULL DEFAULT 0, hours_tue REAL NOT NULL DEFAULT 0, hours_wed REAL NOT NULL DEFAULT 0,
        hours_thu REAL NOT NULL DEFAULT 0, hours_fri REAL NOT NULL DEFAULT 0);
    CREATE INDEX session_hours_from ON session_hours(session_id, valid_from);
    INSERT INTO activity_session (id, activity_id, name, capacity, active)
        SELECT id, id, '', capacity, active FROM activity;
    CREATE TABLE attendance_v10 (
        id TEXT PRIMARY KEY,
        participant_id TEXT NOT NULL REFERENCES participant(id),
        activity_id TEXT NOT NULL REFERENCES activity(id),
        session_id TEXT NOT NULL REFERENCES activity_session(id),
        date TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('present', 'partial', 'sick', 'vab', 'excused', 'unexcused')),
        hours REAL NOT NULL DEFAULT 0,
        reason_code TEXT REFERENCES absence_code(code),
        note TEXT NOT NULL DEFAULT '',
        recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL,
        late INTEGER NOT NULL DEFAULT 0,
        UNIQUE (participant_id, activity_id, session_id, date));
    INSERT INTO attendance_v10 (id, participant_id, activity_id, session_id, date, status, hours, reason_code, note,
        recorded_by, recorded_at, late)
        SELECT id, participant_id, activity_id, activity_id, date, status, hours, reason_code, note,
        recorded_by, recorded_at, late FROM attendance;
    DROP TABLE attendance;
    ALTER TABLE attendance_v10 RENAME TO attendance;
    CREATE INDEX attendance_session_date ON attendance(session_id, date);
    CREATE INDEX attendance_date_hours ON attendance(date, participant_id, hours, status);
    CREATE TABLE session_cancel_v10 (
        id TEXT PRIMARY KEY, activity_id TEXT NOT NULL REFERENCES activity(id),
        session_id TEXT NOT NULL REFERENCES activity_session(id), date TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '', recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL,
        UNIQUE (session_id, date));
    INSERT INTO session_cancel_v10 (id, activity_id, session_id, date, reason, recorded_by, recorded_at)
        SELECT id, activity_id, activity_id, date, reason, recorded_by, recorded_at FROM session_cancel;
    DROP TABLE session_cancel;
    ALTER TABLE session_cancel_v10 RENAME TO session_cancel;
    ALTER TABLE enrolment ADD COLUMN session_id TEXT REFERENCES activity_session(id);
    ALTER TABLE enrolment ADD COLUMN capacity_reason TEXT NOT NULL DEFAULT '';
    UPDATE enrolment SET session_id = activity_id;
    CREATE INDEX enrolment_session_span ON enrolment(session_id, start_date, end_date);
    DROP TRIGGER enrolment_steps_insert;
    DROP TRIGGER enrolment_steps_delete;
    DROP TRIGGER enrolment_steps_update;
    DROP TABLE session_marks;
    DROP TABLE enrolment_step;
    CREATE TABLE session_marks (session_id TEXT NOT NULL, date TEXT NOT NULL, marks INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (session_id, date)) WITHOUT ROWID;
    CREATE TABLE enrolment_step (session_id TEXT NOT NULL, date TEXT NOT NULL, delta INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (session_id, date)) WITHOUT ROWID;
    """)
    create_day_total_triggers(conn)
    fill_session_totals(conn)
    create_session_total_triggers(conn)
    _log_migrated_sessions(conn)


def _log_migrated_sessions(conn: Connection) -> None:
    from store import changes
    from store.tx import Tx

    hour_cols = ", ".join(f"hours_{d}" for d in WEEKDAYS)
    activities = conn.exec_driver_sql(f"SELECT id, {hour_cols} FROM activity ORDER BY id").all()
    ws = conn.exec_driver_sql("SELECT id FROM workstation WHERE is_local = 1").scalar()
    tx = Tx(conn, "migration", ws or "")
    if ws is not None and activities:
        _change_log_chain_columns(conn)  # changes.log below writes them (migration 14's)
    for aid, *hours in activities:
        values = {"session_id": aid, "valid_from": SESSION_HOURS_ALWAYS}
        values.update({f"hours_{d}": h for d, h in zip(WEEKDAYS, hours)})
        hours_id = changes.natural_id("session_hours", aid, SESSION_HOURS_ALWAYS)
        if ws is None:  # no workstation yet: nothing to publish from, nothing anyone else lacks
            cols = ", ".join(values)
            conn.exec_driver_sql(f"INSERT INTO session_hours (id, {cols}) VALUES (?{', ?' * len(values)})",
                                 (hours_id, *values.values()))
            continue
        session = conn.exec_driver_sql("SELECT activity_id, name, start_time, end_time, capacity, end_date, active"
                                       " FROM activity_session WHERE id = ?", (aid,)).mappings().one()
        changes.log(tx, "activity_session", aid, "upsert", {k: [None, v] for k, v in session.items()})
        changes.upsert(tx, "session_hours", hours_id, values)


def _m11_audit_chain(conn: Connection) -> None:
    """Tamper evidence: each audit event carries its workstation, that workstation's sequence number and a
    hash link to the one before (store.tamper). Events from before have none and are not judged.
    Idempotent: a database whose version number was set back keeps the columns it has."""
    have = {row.name for row in conn.exec_driver_sql("PRAGMA table_info(audit_event)")}
    for column, kind in (("ws", "TEXT"), ("seq", "INTEGER"), ("chain", "TEXT")):
        if column not in have:
            conn.exec_driver_sql(f"ALTER TABLE audit_event ADD COLUMN {column} {kind}")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS audit_event_chain ON audit_event(ws, seq)")


# Migration 12 as released (migration 13 replaces its tables and triggers, see FIGURE_TOTAL_TRIGGERS).
# The programme figures (F5), kept like the day totals so they read rows per calendar day, not per person.
# Local derived tables, never synced: every workstation keeps its own from its own rows (marks and people
# written here, applied by a sync, folded from a snapshot or removed by gallring all pass the triggers).
#  figure_referral: per referral day and gender, the active people and everyone's weekly plan;
#  figure_exit: per exit day, outcome and gender, the exited people and everyone's weekly plan;
#  figure_caseload: per caseworker, the active people and the women among them;
#  attendance_day_cancelled: per day, the hours of marks whose session was cancelled (kept, not counted).
_PLAN = WEEKDAYS


def _figure_add_v12(row: str, sign: str) -> str:
    """The statements that add (sign '+') or take away ('-') one participant row (NEW or OLD)."""
    plans = ", ".join(f"{sign}{row}.plan_{d}" for d in _PLAN)
    upd = ", ".join(f"{d} = {d} + excluded.{d}" for d in _PLAN)
    return f"""
        INSERT INTO figure_referral (date, gender, active, {', '.join(_PLAN)})
        VALUES ({row}.referral_date, {row}.gender, {sign}({row}.status = 'active'), {plans})
        ON CONFLICT (date, gender) DO UPDATE SET active = active + excluded.active, {upd};
        INSERT INTO figure_exit (date, outcome, gender, exited, {', '.join(_PLAN)})
        SELECT {row}.exit_date, coalesce({row}.exit_outcome, ''), {row}.gender, {sign}({row}.status = 'exited'), {plans}
        WHERE {row}.exit_date IS NOT NULL
        ON CONFLICT (date, outcome, gender) DO UPDATE SET exited = exited + excluded.exited, {upd};
        INSERT INTO figure_caseload (caseworker_id, active, women)
        SELECT {row}.caseworker_id, {sign}1, {sign}({row}.gender = 'K')
        WHERE {row}.caseworker_id IS NOT NULL AND {row}.status = 'active'
        ON CONFLICT (caseworker_id) DO UPDATE SET active = active + excluded.active, women = women + excluded.women;"""


def _cancelled_hours_v12(row: str, sign: str) -> str:
    """Add or take away one mark's hours in attendance_day_cancelled when its session was cancelled that day."""
    return f"""
        INSERT INTO attendance_day_cancelled (date, hours)
        SELECT {row}.date, {sign}{row}.hours WHERE EXISTS (SELECT 1 FROM session_cancel sc
            WHERE sc.session_id = {row}.session_id AND sc.date = {row}.date)
        ON CONFLICT (date) DO UPDATE SET hours = hours + excluded.hours;"""


def _cancel_marks_v12(row: str, sign: str) -> str:
    """Add or take away the hours of one cancellation's marks."""
    return f"""
        INSERT INTO attendance_day_cancelled (date, hours)
        SELECT {row}.date, {sign}coalesce(sum(t.hours), 0) FROM attendance t
        WHERE t.session_id = {row}.session_id AND t.date = {row}.date
        ON CONFLICT (date) DO UPDATE SET hours = hours + excluded.hours;"""


_PARTICIPANT_FIGURE_COLS_V12 = ("status, gender, referral_date, exit_date, exit_outcome, caseworker_id, "
                            + ", ".join(f"plan_{d}" for d in _PLAN))
_FIGURE_TRIGGERS_V12 = (
    f"CREATE TRIGGER figure_participant_insert AFTER INSERT ON participant BEGIN {_figure_add_v12('NEW', '+')} END;"
    f"CREATE TRIGGER figure_participant_delete AFTER DELETE ON participant BEGIN {_figure_add_v12('OLD', '-')} END;"
    f"CREATE TRIGGER figure_participant_update AFTER UPDATE OF {_PARTICIPANT_FIGURE_COLS_V12} ON participant BEGIN"
    f" {_figure_add_v12('OLD', '-')} {_figure_add_v12('NEW', '+')} END;"
    f"CREATE TRIGGER figure_cancelled_mark_insert AFTER INSERT ON attendance BEGIN {_cancelled_hours_v12('NEW', '+')} END;"
    f"CREATE TRIGGER figure_cancelled_mark_delete AFTER DELETE ON attendance BEGIN {_cancelled_hours_v12('OLD', '-')} END;"
    f"CREATE TRIGGER figure_cancelled_mark_update AFTER UPDATE OF hours, date, session_id ON attendance BEGIN"
    f" {_cancelled_hours_v12('OLD', '-')} {_cancelled_hours_v12('NEW', '+')} END;"
    f"CREATE TRIGGER figure_cancel_insert AFTER INSERT ON session_cancel BEGIN {_cancel_marks_v12('NEW', '+')} END;"
    f"CREATE TRIGGER figure_cancel_delete AFTER DELETE ON session_cancel BEGIN {_cancel_marks_v12('OLD', '-')} END;"
    f"CREATE TRIGGER figure_cancel_update AFTER UPDATE OF session_id, date ON session_cancel BEGIN"
    f" {_cancel_marks_v12('OLD', '-')} {_cancel_marks_v12('NEW', '+')} END;")
_FIGURE_TRIGGER_NAMES_V12 = ("figure_participant_insert", "figure_participant_delete", "figure_participant_update",
                              "figure_cancelled_mark_insert", "figure_cancelled_mark_delete",
                              "figure_cancelled_mark_update", "figure_cancel_insert", "figure_cancel_delete",
                              "figure_cancel_update")
_PLAN_SUMS_V12 = ", ".join(f"sum(plan_{d})" for d in _PLAN)
_FIGURE_FILL_V12 = f"""
    DELETE FROM figure_referral;
    INSERT INTO figure_referral (date, gender, active, {', '.join(_PLAN)})
        SELECT referral_date, gender, sum(status = 'active'), {_PLAN_SUMS_V12} FROM participant GROUP BY 1, 2;
    DELETE FROM figure_exit;
    INSERT INTO figure_exit (date, outcome, gender, exited, {', '.join(_PLAN)})
        SELECT exit_date, coalesce(exit_outcome, ''), gender, sum(status = 'exited'), {_PLAN_SUMS_V12} FROM participant
        WHERE exit_date IS NOT NULL GROUP BY 1, 2, 3;
    DELETE FROM figure_caseload;
    INSERT INTO figure_caseload (caseworker_id, active, women)
        SELECT caseworker_id, count(*), sum(gender = 'K') FROM participant
        WHERE caseworker_id IS NOT NULL AND status = 'active' GROUP BY 1;
    DELETE FROM attendance_day_cancelled;
    INSERT INTO attendance_day_cancelled (date, hours)
        SELECT t.date, sum(t.hours) FROM session_cancel sc CROSS JOIN attendance t
        ON t.session_id = sc.session_id AND t.date = sc.date GROUP BY t.date;
"""


def _create_figure_triggers_v12(conn) -> None:  # noqa: ANN001 -- a SQLAlchemy or a sqlite3 connection
    run = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for body in _FIGURE_TRIGGERS_V12.split("END;"):
        if body.strip():
            run(body + "END;")


def _fill_figure_totals_v12(conn) -> None:  # noqa: ANN001 -- after a bulk load with the triggers dropped
    run = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for statement in _FIGURE_FILL_V12.split(";"):
        if statement.strip():
            run(statement)


def _m12_figure_totals(conn: Connection) -> None:
    """The programme figures from totals kept by triggers (see _FIGURE_TRIGGERS_V12), built once here
    from the rows there are."""
    plan_cols = ", ".join(f"{d} REAL NOT NULL DEFAULT 0" for d in _PLAN)
    _exec_script(conn, f"""
    CREATE TABLE figure_referral (date TEXT NOT NULL, gender TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 0,
        {plan_cols}, PRIMARY KEY (date, gender)) WITHOUT ROWID;
    CREATE TABLE figure_exit (date TEXT NOT NULL, outcome TEXT NOT NULL, gender TEXT NOT NULL,
        exited INTEGER NOT NULL DEFAULT 0, {plan_cols}, PRIMARY KEY (date, outcome, gender)) WITHOUT ROWID;
    CREATE TABLE figure_caseload (caseworker_id TEXT PRIMARY KEY, active INTEGER NOT NULL DEFAULT 0,
        women INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    CREATE TABLE attendance_day_cancelled (date TEXT PRIMARY KEY, hours REAL NOT NULL DEFAULT 0) WITHOUT ROWID;
    """)
    _fill_figure_totals_v12(conn)
    _create_figure_triggers_v12(conn)


# The programme figures (F5) since migration 13, kept like the day totals so every read is bounded by the
# calendar (days, months), the outcomes and the caseworkers, never by the number of people. Local derived
# tables, never synced: every workstation keeps its own from its own rows (people and marks written here,
# applied by a sync, folded from a snapshot or removed by gallring all pass the triggers).
#  figure_referral: per referral day and gender, the active people and the weekly plans;
#  figure_left: per exit day, the weekly plans of the people who left that day;
#  figure_brief: per referral and exit day, the weekly plans of people who left within a week of coming;
#  figure_exit_month: per exit month, outcome and gender, the exited people;
#  figure_caseload: per caseworker, the active people and the women among them;
#  attendance_day_cancelled: per day, the hours of marks whose session was cancelled (kept, not counted).
# The plans leave out a person whose exit is before the referral: in the programme on no day.
def _figure_person(row: str, sign: str) -> str:
    """The statements that add (sign '+') or take away ('-') one participant row (NEW or OLD)."""
    in_ = f"({row}.exit_date IS NULL OR {row}.exit_date >= {row}.referral_date)"
    plans = ", ".join(f"{sign}{row}.plan_{d} * {in_}" for d in _PLAN)
    upd = ", ".join(f"{d} = {d} + excluded.{d}" for d in _PLAN)
    return f"""
        INSERT INTO figure_referral (date, gender, active, {', '.join(_PLAN)})
        VALUES ({row}.referral_date, {row}.gender, {sign}({row}.status = 'active'), {plans})
        ON CONFLICT (date, gender) DO UPDATE SET active = active + excluded.active, {upd};
        INSERT INTO figure_left (date, {', '.join(_PLAN)})
        SELECT {row}.exit_date, {plans} WHERE {row}.exit_date IS NOT NULL
        ON CONFLICT (date) DO UPDATE SET {upd};
        INSERT INTO figure_brief (referral_date, exit_date, {', '.join(_PLAN)})
        SELECT {row}.referral_date, {row}.exit_date, {plans} WHERE {row}.exit_date IS NOT NULL
        AND {row}.exit_date >= {row}.referral_date AND {row}.exit_date < date({row}.referral_date, '+7 days')
        ON CONFLICT (referral_date, exit_date) DO UPDATE SET {upd};
        INSERT INTO figure_exit_month (month, outcome, gender, exited)
        SELECT substr({row}.exit_date, 1, 7), coalesce({row}.exit_outcome, ''), {row}.gender, {sign}1
        WHERE {row}.exit_date IS NOT NULL AND {row}.status = 'exited'
        ON CONFLICT (month, outcome, gender) DO UPDATE SET exited = exited + excluded.exited;
        INSERT INTO figure_caseload (caseworker_id, active, women)
        SELECT {row}.caseworker_id, {sign}1, {sign}({row}.gender = 'K')
        WHERE {row}.caseworker_id IS NOT NULL AND {row}.status = 'active'
        ON CONFLICT (caseworker_id) DO UPDATE SET active = active + excluded.active, women = women + excluded.women;"""


FIGURE_TOTAL_TRIGGERS = (
    f"CREATE TRIGGER figure_participant_insert AFTER INSERT ON participant BEGIN {_figure_person('NEW', '+')} END;"
    f"CREATE TRIGGER figure_participant_delete AFTER DELETE ON participant BEGIN {_figure_person('OLD', '-')} END;"
    f"CREATE TRIGGER figure_participant_update AFTER UPDATE OF {_PARTICIPANT_FIGURE_COLS_V12} ON participant BEGIN"
    f" {_figure_person('OLD', '-')} {_figure_person('NEW', '+')} END;"
    f"CREATE TRIGGER figure_cancelled_mark_insert AFTER INSERT ON attendance BEGIN {_cancelled_hours_v12('NEW', '+')} END;"
    f"CREATE TRIGGER figure_cancelled_mark_delete AFTER DELETE ON attendance BEGIN {_cancelled_hours_v12('OLD', '-')} END;"
    f"CREATE TRIGGER figure_cancelled_mark_update AFTER UPDATE OF hours, date, session_id ON attendance BEGIN"
    f" {_cancelled_hours_v12('OLD', '-')} {_cancelled_hours_v12('NEW', '+')} END;"
    f"CREATE TRIGGER figure_cancel_insert AFTER INSERT ON session_cancel BEGIN {_cancel_marks_v12('NEW', '+')} END;"
    f"CREATE TRIGGER figure_cancel_delete AFTER DELETE ON session_cancel BEGIN {_cancel_marks_v12('OLD', '-')} END;"
    f"CREATE TRIGGER figure_cancel_update AFTER UPDATE OF session_id, date ON session_cancel BEGIN"
    f" {_cancel_marks_v12('OLD', '-')} {_cancel_marks_v12('NEW', '+')} END;")
FIGURE_TOTAL_TRIGGER_NAMES = _FIGURE_TRIGGER_NAMES_V12
_IN = "(exit_date IS NULL OR exit_date >= referral_date)"
_PLAN_SUMS = ", ".join(f"sum(plan_{d} * {_IN})" for d in _PLAN)
FIGURE_TOTALS_FILL = f"""
    DELETE FROM figure_referral;
    INSERT INTO figure_referral (date, gender, active, {', '.join(_PLAN)})
        SELECT referral_date, gender, sum(status = 'active'), {_PLAN_SUMS} FROM participant GROUP BY 1, 2;
    DELETE FROM figure_left;
    INSERT INTO figure_left (date, {', '.join(_PLAN)})
        SELECT exit_date, {_PLAN_SUMS} FROM participant WHERE exit_date IS NOT NULL GROUP BY 1;
    DELETE FROM figure_brief;
    INSERT INTO figure_brief (referral_date, exit_date, {', '.join(_PLAN)})
        SELECT referral_date, exit_date, {_PLAN_SUMS} FROM participant WHERE exit_date IS NOT NULL
        AND exit_date >= referral_date AND exit_date < date(referral_date, '+7 days') GROUP BY 1, 2;
    DELETE FROM figure_exit_month;
    INSERT INTO figure_exit_month (month, outcome, gender, exited)
        SELECT substr(exit_date, 1, 7), coalesce(exit_outcome, ''), gender, count(*) FROM participant
        WHERE exit_date IS NOT NULL AND status = 'exited' GROUP BY 1, 2, 3;
    DELETE FROM figure_caseload;
    INSERT INTO figure_caseload (caseworker_id, active, women)
        SELECT caseworker_id, count(*), sum(gender = 'K') FROM participant
        WHERE caseworker_id IS NOT NULL AND status = 'active' GROUP BY 1;
    DELETE FROM attendance_day_cancelled;
    INSERT INTO attendance_day_cancelled (date, hours)
        SELECT t.date, sum(t.hours) FROM session_cancel sc CROSS JOIN attendance t
        ON t.session_id = sc.session_id AND t.date = sc.date GROUP BY t.date;
"""


def create_figure_total_triggers(conn) -> None:  # noqa: ANN001 -- a SQLAlchemy or a sqlite3 connection
    run = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for body in FIGURE_TOTAL_TRIGGERS.split("END;"):
        if body.strip():
            run(body + "END;")


def fill_figure_totals(conn) -> None:  # noqa: ANN001 -- after a bulk load with the triggers dropped
    run = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for statement in FIGURE_TOTALS_FILL.split(";"):
        if statement.strip():
            run(statement)


def _m13_figure_totals(conn: Connection) -> None:
    """Migration 12's figures, bounded by the calendar: the plans of those who left per day (not per day,
    outcome and gender), of those who came and went within a week per pair of days, and the exits per
    month; triggers and totals made again from the rows. Idempotent (a version number set back is safe)."""
    for name in _FIGURE_TRIGGER_NAMES_V12:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    plan_cols = ", ".join(f"{d} REAL NOT NULL DEFAULT 0" for d in _PLAN)
    _exec_script(conn, f"""
    DROP TABLE IF EXISTS figure_exit;
    CREATE TABLE IF NOT EXISTS figure_left (date TEXT PRIMARY KEY, {plan_cols}) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS figure_brief (referral_date TEXT NOT NULL, exit_date TEXT NOT NULL, {plan_cols},
        PRIMARY KEY (referral_date, exit_date)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS figure_exit_month (month TEXT NOT NULL, outcome TEXT NOT NULL, gender TEXT NOT NULL,
        exited INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (month, outcome, gender)) WITHOUT ROWID;
    """)
    fill_figure_totals(conn)
    create_figure_total_triggers(conn)


def _change_log_chain_columns(conn: Connection) -> None:
    """The change log's digest and chain columns (migration 14), made when missing. Migration 10 logs the
    sessions it makes with today's `changes.log`, which writes them: a database from before 10 gets them
    there (idempotent)."""
    have = {row.name for row in conn.exec_driver_sql("PRAGMA table_info(change_log)")}
    for column in ("digest", "chain"):
        if column not in have:
            conn.exec_driver_sql(f"ALTER TABLE change_log ADD COLUMN {column} TEXT")


def _m14_change_log_chain(conn: Connection) -> None:
    """Tamper evidence for the change log itself: each entry carries the digest of its content and a hash
    link to the entry before it on its workstation (store.changes.link), and triggers keep an entry from
    being deleted or changed – but for what the sync and gallring do by design: a number given anew, an
    entry moved to a new workstation identity with a new link (sync._fork), values emptied by gallring
    (store.tamper.LOG_TRIGGERS). Entries from before carry none and are not judged."""
    from store import tamper

    _change_log_chain_columns(conn)
    present = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
    for name, ddl in tamper.LOG_TRIGGERS.items():
        if name not in present:
            conn.exec_driver_sql(ddl)


def _m15_search_order(conn: Connection) -> None:
    """F2 ranks and cuts its hits from the name index alone: each name token carries its person's name as
    the hits are ordered (last name, first name), kept by triggers whichever way a token or a name is
    written (registration, edits, a sync, a snapshot, the demo), so a common name's thousands of people
    are never read from the participant table to show fifty (cases.search). Reserve numbers (a few in a
    hundred people have one) get an index of their own: F2 asked for one by scanning every person."""
    sort_name = "p.last_name || char(31) || p.first_name"
    for statement in (
            "ALTER TABLE name_token ADD COLUMN sort_name TEXT",
            f"UPDATE name_token SET sort_name = (SELECT {sort_name} FROM participant p"
            " WHERE p.id = name_token.participant_id)",
            "CREATE INDEX name_token_sorted ON name_token(token, sort_name)",
            "CREATE INDEX participant_reserve ON participant(reserve_number) WHERE reserve_number IS NOT NULL",
            "CREATE TRIGGER name_token_sort_name AFTER INSERT ON name_token BEGIN"
            f" UPDATE name_token SET sort_name = (SELECT {sort_name} FROM participant p WHERE p.id = NEW.participant_id)"
            " WHERE token = NEW.token AND participant_id = NEW.participant_id; END",
            "CREATE TRIGGER participant_sort_name AFTER UPDATE OF first_name, last_name ON participant BEGIN"
            " UPDATE name_token SET sort_name = NEW.last_name || char(31) || NEW.first_name"
            " WHERE participant_id = NEW.id; END"):
        conn.exec_driver_sql(statement)


def _m16_stage_index(conn: Connection) -> None:
    """F2 shows each hit's furthest stage (cases._stage_labels): read from this index alone, a seek per
    person shown, instead of the index and then every milestone row of that person in the table."""
    conn.exec_driver_sql("CREATE INDEX milestone_stage_of ON milestone(participant_id, status, period, stage_code,"
                         " achieved_date, planned_date)")


def _m17_name_tokens(conn: Connection) -> None:
    """Name tokens for the people an older release registered: migration 2 made the name index empty and
    never filled it, so on a database from schema 1 nobody was found by name (F2, `arena find`). Every
    person without a token gets them by the rule of registration (store.names); the index is local,
    derived data (not synced), so nothing goes through the change log. Migration 15's sort_name is filled
    by its trigger as each token is inserted."""
    people = conn.exec_driver_sql(
        "SELECT id, first_name, last_name FROM participant p"
        " WHERE NOT EXISTS (SELECT 1 FROM name_token n WHERE n.participant_id = p.id)").fetchall()
    names.index_people(conn, people)


def _m18_plan_periods(conn: Connection) -> None:
    """A person's weekly plan gets a history: the plan in force before a change is kept as a period (up to
    the day before the change), so a närvarorapport of past days never changes with a later plan. Synced
    like the person; nobody has one until their plan is next changed (until then the current plan)."""
    plan_cols = ", ".join(f"plan_{d} REAL NOT NULL DEFAULT 8" for d in WEEKDAYS)
    _exec_script(conn, f"""
    CREATE TABLE plan_period (
        id TEXT PRIMARY KEY, participant_id TEXT NOT NULL REFERENCES participant(id),
        valid_until TEXT NOT NULL, {plan_cols});
    CREATE INDEX plan_period_participant ON plan_period(participant_id, valid_until);
    """)


MIGRATIONS: list[Callable[[Connection], None]] = [_m1_core, _m2_search, _m3_sync, _m4_figures, _m5_day_totals,
                                                  _m6_caseload_index, _m7_gallring, _m8_sync_healing,
                                                  _m9_session_totals, _m10_sessions,
                                                  _m11_audit_chain, _m12_figure_totals,
                                                  _m13_figure_totals, _m14_change_log_chain,
                                                  _m15_search_order, _m16_stage_index,
                                                  _m17_name_tokens, _m18_plan_periods]
LATEST = len(MIGRATIONS)
