"""The schema is declared once, in store.models: the numbered migrations build exactly that (a new database and
one upgraded from the first release alike), store.tables is its current light view, and the code's own lists
of tables and columns come from it."""
from __future__ import annotations

from pathlib import Path

from sqlmodel import SQLModel

from store import changes, db, models, schema, snapshot, tables


def differences(path: Path) -> list[str]:
    database = db.open(path)
    try:
        with database.read() as conn:
            return models.differences(conn)
    finally:
        database.dispose()


def test_the_migrations_build_the_models(tmp_path: Path) -> None:
    assert differences(tmp_path / "new.db") == []


def everything(path: Path) -> dict[str, object]:
    """A database's schema (every object's statement), version, statistics and every row but its own
    workstation's (a new id each time)."""
    database = db.open(path)
    try:
        with database.read() as conn:
            found: dict[str, object] = {
                "version": conn.exec_driver_sql("PRAGMA user_version").scalar_one(),
                "schema": sorted(tuple(r) for r in conn.exec_driver_sql(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name != 'sqlite_stat1'")),
                "integrity": conn.exec_driver_sql("PRAGMA integrity_check").all(),
                "foreign keys": conn.exec_driver_sql("PRAGMA foreign_key_check").all()}
            names = [r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for name in names:
                if name != "workstation":
                    found[name] = sorted(map(tuple, conn.exec_driver_sql(f'SELECT * FROM "{name}"')), key=repr)
            return found
    finally:
        database.dispose()


def test_a_new_database_made_in_one_step_equals_one_migrated_step_by_step(tmp_path: Path) -> None:
    """store.db makes a new file at the latest schema in one step (the migrations' result replayed); the
    same file made by every migration in turn is the same, to the statement, the row and the statistics."""
    stepwise = tmp_path / "stepwise.db"
    db.open(stepwise, upto=schema.LATEST).dispose()
    one_step = everything(tmp_path / "new.db")
    assert one_step == everything(stepwise)
    assert one_step["version"] == schema.LATEST and one_step["integrity"] == [("ok",)]
    kinds = {r[0] for r in one_step["schema"]}  # type: ignore[attr-defined]
    assert {"table", "index", "trigger"} <= kinds
    assert one_step["sqlite_stat1"] == [("participant", "participant_exit", "0 0")]


def test_a_database_from_the_first_release_upgrades_to_the_models(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db.open(path, upto=1).dispose()
    assert differences(path) == []


def test_a_schema_that_drifted_from_the_models_is_named(tmp_path: Path) -> None:
    """The comparison can fail: each kind of drift is one line naming the table and what differs."""
    path = tmp_path / "drift.db"
    database = db.open(path)
    with database.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX participant_exit")
        conn.exec_driver_sql("CREATE INDEX note_author ON note(author_login)")
        conn.exec_driver_sql("ALTER TABLE note ADD COLUMN mood TEXT")
        conn.exec_driver_sql("ALTER TABLE activity ADD COLUMN colour TEXT NOT NULL DEFAULT 'red'")
        conn.exec_driver_sql("CREATE TABLE stray (id TEXT PRIMARY KEY)")
        conn.exec_driver_sql("CREATE TABLE name_vocab_new (token TEXT PRIMARY KEY)")  # a rowid table now
        conn.exec_driver_sql("DROP TABLE name_vocab")
        conn.exec_driver_sql("ALTER TABLE name_vocab_new RENAME TO name_vocab")
        conn.exec_driver_sql("CREATE TABLE setting_new (key TEXT PRIMARY KEY, value TEXT CHECK (length(value) < 99))")
        conn.exec_driver_sql("DROP TABLE setting")
        conn.exec_driver_sql("ALTER TABLE setting_new RENAME TO setting")
        conn.exec_driver_sql("PRAGMA writable_schema = ON")  # a CHECK that lost a value
        conn.exec_driver_sql("UPDATE sqlite_master SET sql = replace(sql, ', ''leader''', '') WHERE name = 'caseworker'")
    database.dispose()
    found = "\n".join(differences(path))
    for expected in ("participant: index participant_exit", "note: index note_author", "note: columns",
                     "activity: columns", "stray: in the database", "name_vocab: WITHOUT ROWID",
                     "setting.value: nullable", "setting: CHECK (length(value) < 99) in the database",
                     "caseworker: CHECK (role in ('caseworker', 'admin')) in the database",
                     "caseworker: CHECK (role in ('caseworker', 'leader', 'admin')) in store.models"):
        assert expected in found, f"{expected!r} not reported in:\n{found}"


def test_checks_are_read_from_the_create_statement() -> None:
    """Column and table CHECKs, parentheses inside string literals, a column named check_x."""
    sql = ("CREATE TABLE t (a TEXT CHECK (a IN ('(', 'x)')), check_x INTEGER DEFAULT 0,\n"
           " b INTEGER, CHECK ((b > 0) AND (b < length('it''s'))))")
    assert models.checks_in(sql) == ["a IN ('(', 'x)')", "(b > 0) AND (b < length('it''s'))"]


def test_the_codes_lists_of_values_are_the_checks() -> None:
    from store import attendance, cases, milestones, staff

    assert staff.ROLES == tables.ONE_OF["caseworker"]["role"] == ("caseworker", "leader", "admin")
    assert attendance.STATUSES == tables.ONE_OF["attendance"]["status"]
    assert milestones.STATUSES == tables.ONE_OF["milestone"]["status"]
    assert cases.GENDERS == tables.ONE_OF["participant"]["gender"]


def test_store_tables_is_the_models_light_view() -> None:
    """store.tables is generated from the models (`python -m store.models`): never edited apart from them."""
    assert (Path(models.__file__).with_name("tables.py")).read_text(encoding="utf-8") == models.light_view(), \
        "store/tables.py is stale: run `python -m store.models`"
    assert set(tables.COLUMNS) == set(SQLModel.metadata.tables)


def test_the_codes_lists_of_tables_come_from_the_models() -> None:
    assert {t: (pk,) for t, pk in changes.SYNCED.items()} == {t: tables.PRIMARY_KEY[t] for t in changes.SYNCED}
    assert sorted(snapshot.TABLE_ORDER) == sorted(changes.SYNCED)
    assert schema.WEEKDAYS == tables.WEEKDAYS
    for mixin, prefix in ((models.WeekPlan, "plan_"), (models.WeekHours, "hours_"), (models.WeekdayTotals, "")):
        assert tuple(mixin.model_fields) == tuple(prefix + day for day in tables.WEEKDAYS)


def test_a_typed_read_is_a_model_instance(tmp_path: Path) -> None:
    """Named rows become model instances: flags read as bool, by column name, never by position."""
    database = db.open(tmp_path / "read.db")
    with database.read() as conn:
        row = conn.exec_driver_sql("SELECT * FROM absence_code WHERE code = 'OGILTIG'").mappings().one()
    code = models.AbsenceCode.model_validate(dict(row))
    assert code.excused is False and code.category == "unexcused" and code.legal_ref.startswith("SoL")
    database.dispose()
