"""Foundation: migrations, the store/textual boundary, demo determinism, the CLI's manners."""
from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from store import cases, db, dbfile, demo, pins, schema
from tui import cli

from .conftest import DEMO_PIN, PIN, TODAY, older_release_database
from .inprocess import arena

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env: dict | None = None, pin: str | None = DEMO_PIN):  # noqa: ANN201
    """`arena ARGS` as the demo administrator, run in this process (tests/inprocess.py: what it says, writes
    and exits with); a subcommand that acts as a person gets the PIN on standard input."""
    from tui.cli import PERSON_COMMANDS

    person = pin is not None and any(a in PERSON_COMMANDS for a in args)
    return arena(*args, *(["--pin-stdin"] if person else []), stdin=f"{pin}\n" if person else "",
                 env={"ARENA_TODAY": TODAY.isoformat(), "ARENA_USER": "anna.lind", **(env or {})})


def arena_process(*args: str) -> subprocess.CompletedProcess:
    """The real `arena ARGS --pin-stdin` as a process of its own (`python -m tui.cli`), as the demo
    administrator."""
    return subprocess.run([sys.executable, "-m", "tui.cli", *args, "--pin-stdin"], input=f"{DEMO_PIN}\n",
                          capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "ARENA_TODAY": TODAY.isoformat(), "ARENA_USER": "anna.lind"},
                          timeout=120)


def test_migration_1_database_is_upgraded(tmp_path: Path) -> None:
    path = older_release_database(tmp_path / "old.db")
    assert dbfile.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1
    upgraded = db.open(path)
    with upgraded.read() as conn:
        assert conn.exec_driver_sql("PRAGMA user_version").scalar() == len(schema.MIGRATIONS)
        assert conn.exec_driver_sql("SELECT pnr10 FROM participant WHERE id = 'p1'").scalar() == "8506121234"
        assert conn.exec_driver_sql("SELECT count(*) FROM change_log").scalar() == 0
    upgraded.dispose()


def test_the_people_of_an_older_release_are_found_by_name_after_the_upgrade(tmp_path: Path) -> None:
    """Migration 2 made the name index and never filled it for the people already there: on a schema-1
    database nobody was found by name. Migration 17 indexes them by the rule of registration (typos and
    å/ä/ö included), as local data: the change log stays empty."""
    path = tmp_path / "old.db"
    old = db.open(path, upto=1)
    with old.write("someone") as tx:
        tx.conn.exec_driver_sql("INSERT INTO caseworker (id, login, name, pin_hash) VALUES ('c1', 'omar.farah',"
                                " 'Omar Farah', ?)", (pins.hash_pin(PIN),))
        for pid, number, first, last in (("p1", "198506121234", "Åsa", "Öberg"), ("p2", "199001011238", "Göran", "Ström"),
                                         ("p3", "197512249876", "Karl", "Karlsson")):
            tx.conn.exec_driver_sql(
                "INSERT INTO participant (id, personnummer, first_name, last_name, gender, referral_date, created_at,"
                " caseworker_id) VALUES (?, ?, ?, ?, 'K', '2026-01-01', '2026-01-01', 'c1')", (pid, number, first, last))
    old.dispose()

    upgraded = db.open(path)  # the upgrade, as `arena` runs it at a start
    with upgraded.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM name_token WHERE sort_name IS NULL").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM change_log").scalar() == 0
    found = arena("find", "Öberg", "--db", str(path), "--format", "json", "--pin-stdin",
                  stdin=PIN + "\n", env={"ARENA_USER": "omar.farah"})
    assert found.returncode == 0, found.stderr
    assert [hit["name"] for hit in json.loads(found.stdout)] == ["Öberg, Åsa"]
    for query, who in (("oberg", {"p1"}), ("Obreg", {"p1"}), ("goran strom", {"p2"}), ("Stroem", {"p2"}),
                       ("karlson", {"p3"}), ("asa", {"p1"})):
        assert {hit.participant.id for hit in cases.search(upgraded, query, login="omar.farah")} == who, query
    upgraded.dispose()


def test_newer_database_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    db.open(path).dispose()
    con = dbfile.connect(path)
    con.execute(f"PRAGMA user_version = {len(schema.MIGRATIONS) + 5}")
    con.close()
    result = arena_process("find", "anna", "--db", str(path))  # a real process: no traceback reaches the screen
    assert result.returncode == 2
    assert "nyare version" in result.stderr and "Traceback" not in result.stderr


def test_database_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    db.open(path).dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_new_database_from_the_suites_migrated_copy_equals_a_migrated_one(
        tmp_path: Path, new_databases_from_a_migrated_copy) -> None:  # noqa: ANN001
    """The suite gives new databases the bytes of one it migrated (tests/conftest.py): what a test opens
    that way is what `db.open` itself makes of a new file, its own workstation included."""
    migrate = new_databases_from_a_migrated_copy  # the real db.open
    migrate(tmp_path / "migrated.db").dispose()
    assert db.open is not migrate
    db.open(tmp_path / "copied.db").dispose()
    db.open(tmp_path / "copied-too.db").dispose()

    def contents(path: Path) -> tuple[object, ...]:
        con = dbfile.connect(path)
        try:
            tables = [name for (name,) in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'workstation' ORDER BY name")]
            return (con.execute("PRAGMA user_version").fetchone(),
                    con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall(),
                    {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables},
                    con.execute("SELECT count(*), sum(is_local) FROM workstation").fetchone(),
                    con.execute("SELECT id FROM workstation").fetchone())
        finally:
            con.close()

    migrated, copied = contents(tmp_path / "migrated.db"), contents(tmp_path / "copied.db")
    assert migrated[0] == (schema.LATEST,) and migrated[3] == (1, 1)
    assert copied[:4] == migrated[:4]
    assert copied[4] != contents(tmp_path / "copied-too.db")[4]  # each a workstation of its own
    assert stat.S_IMODE((tmp_path / "copied.db").stat().st_mode) == 0o600


def test_store_never_imports_textual_or_rich() -> None:
    code = ("import sys, store, store.db, store.cases, store.attendance, store.milestones, store.overview, "
            "store.report, store.export, store.demo, store.activities;"
            "bad = [m for m in ('textual', 'rich') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_help_imports_neither_textual_nor_sqlalchemy() -> None:
    code = ("import sys; from tui import cli\n"
            "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "bad = [m for m in ('textual', 'sqlalchemy') if m in sys.modules]; sys.stderr.write(str(bad));"
            "sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "arena" in result.stdout


def test_demo_is_deterministic(tmp_path: Path) -> None:
    outputs = []
    for name in ("a.db", "b.db"):
        path = tmp_path / name
        demo.build(str(path), 120, 3, 10, today=TODAY)
        for what in ("participants", "attendance", "milestones"):
            result = run_cli("export", "--db", str(path), "--what", what, "--format", "csv", "--reason", "kontroll av exporten")
            assert result.returncode == 0, result.stderr
            outputs.append((name, what, result.stdout))
    first = {w: out for n, w, out in outputs if n == "a.db"}
    second = {w: out for n, w, out in outputs if n == "b.db"}
    assert first == second
    assert first["attendance"].count("\n") > 500


def test_demo_looks_like_the_programme(demo_db: Path) -> None:
    database = db.open(demo_db)
    with database.read() as conn:
        total = conn.exec_driver_sql("SELECT count(*) FROM participant").scalar()
        women = conn.exec_driver_sql("SELECT count(*) FROM participant WHERE gender = 'K'").scalar()
        coordination = conn.exec_driver_sql(
            "SELECT count(*) FROM participant WHERE CAST(substr(personnummer, 7, 2) AS INTEGER) > 60").scalar()
        without = conn.exec_driver_sql("SELECT count(*) FROM participant WHERE personnummer IS NULL").scalar()
        caseworkers = conn.exec_driver_sql("SELECT count(*) FROM caseworker WHERE role != 'leader'").scalar()
        acts = conn.exec_driver_sql("SELECT count(*) FROM activity").scalar()
        holiday_marks = conn.exec_driver_sql("SELECT count(*) FROM attendance WHERE date = '2026-01-06'").scalar()
        diacritics = conn.exec_driver_sql(
            "SELECT count(*) FROM participant WHERE last_name GLOB '*[åäöÅÄÖ]*'").scalar()
        # every session a group of 8-25 within its capacity today (the last group too), morning and afternoon
        sizes = conn.exec_driver_sql(
            "SELECT s.name, s.capacity, (SELECT count(*) FROM enrolment e WHERE e.session_id = s.id"
            " AND e.start_date <= '2026-11-24' AND (e.end_date IS NULL OR e.end_date >= '2026-11-24'))"
            " FROM activity_session s").all()
        over_capacity = sum(1 for _, capacity, n in sizes if not 8 <= n <= capacity <= 25)
        # nobody booked into two sessions that meet at the same time
        overlaps = conn.exec_driver_sql(
            "SELECT count(*) FROM attendance t1 JOIN attendance t2 ON t2.participant_id = t1.participant_id"
            " AND t2.date = t1.date AND t2.session_id > t1.session_id"
            " JOIN activity_session s1 ON s1.id = t1.session_id JOIN activity_session s2 ON s2.id = t2.session_id"
            " WHERE s1.start_time < s2.end_time AND s2.start_time < s1.end_time").scalar()
        recorders = conn.exec_driver_sql("SELECT count(DISTINCT recorded_by) FROM attendance").scalar()
        # histories that match the dates: a planned stage is never before one already reached, notes lie
        # between the referral and today, and a case of more than 300 days has its notes and milestones
        planned_early = conn.exec_driver_sql(
            "SELECT count(*) FROM milestone m WHERE m.status = 'planned' AND m.planned_date < (SELECT"
            " max(achieved_date) FROM milestone m2 WHERE m2.participant_id = m.participant_id)").scalar()
        notes_out = conn.exec_driver_sql(
            "SELECT count(*) FROM note n JOIN participant p ON p.id = n.participant_id"
            " WHERE substr(n.created_at, 1, 10) NOT BETWEEN p.referral_date AND '2026-11-24'").scalar()
        old_thin = conn.exec_driver_sql(
            "SELECT count(*) FROM participant p WHERE p.referral_date < '2026-01-28' AND ((SELECT count(*) FROM note n"
            " WHERE n.participant_id = p.id) < 3 OR (SELECT count(*) FROM milestone m WHERE m.participant_id = p.id) < 3)"
        ).scalar()
        # one state per person and day: nobody sick at one activity while present at another
        two_states = conn.exec_driver_sql(
            "SELECT count(*) FROM (SELECT participant_id, date FROM attendance GROUP BY 1, 2"
            " HAVING count(DISTINCT CASE WHEN status IN ('present', 'partial') THEN 'here' ELSE status END) > 1)"
        ).scalar()
        overbooked = conn.exec_driver_sql(
            "SELECT count(*) FROM (SELECT t.participant_id, t.date FROM attendance t GROUP BY 1, 2"
            " HAVING sum(t.hours) > 8)").scalar()
        not_by_leader = conn.exec_driver_sql(
            "SELECT count(*) FROM attendance t JOIN activity a ON a.id = t.activity_id"
            " JOIN caseworker c ON c.id = a.leader_id WHERE t.recorded_by != c.login").scalar()
        times = {r[0] for r in conn.exec_driver_sql("SELECT DISTINCT substr(recorded_at, 12, 5) FROM attendance")}
    database.dispose()
    assert total == 150
    assert 0.3 < women / total < 0.6
    assert coordination > 0 and without > 0 and diacritics > 0  # some come without a number (a reserve number)
    assert 6 <= caseworkers <= 10 and acts >= 8
    assert holiday_marks == 0
    assert over_capacity == 0 and two_states == 0 and overbooked == 0 and not_by_leader == 0 and overlaps == 0
    assert {name for name, _, _ in sizes} >= {"fm", "em"} and recorders >= 4
    assert planned_early == 0 and notes_out == 0 and old_thin == 0
    assert len(times) > 20 and any(time.startswith("12:") for time in times)


def demo_unrealism(conn, built: str) -> dict[str, int]:  # noqa: ANN001 -- a connection
    """What #21's testers found fake in a demo database, counted (only the non-zero counts): anything
    stamped later than the moment it was built (`built`), a leader at two sessions that meet at the same
    time on one day (as the marks show them, whatever the sessions' hours say), a mark recorded before its
    session began or long after it, a paper list typed in on its own day, on a day off or more than five
    days later (a weekend between), a referral on a Saturday, Sunday or holiday."""
    from store import calendar

    run = conn.exec_driver_sql
    found = {
        "change_log after built": run("SELECT count(*) FROM change_log WHERE at > ?", (built,)).scalar(),
        "mark after built": run("SELECT count(*) FROM attendance WHERE recorded_at > ?", (built,)).scalar(),
        "milestone after built": run("SELECT count(*) FROM milestone WHERE updated_at > ?", (built,)).scalar(),
        "note after built": run("SELECT count(*) FROM note WHERE created_at > ?", (built,)).scalar(),
        "participant after built": run("SELECT count(*) FROM participant WHERE created_at > ?", (built,)).scalar(),
        # one leader, one day, two sessions whose times overlap, both with marks that day
        "leader in two places": run(
            "WITH held AS (SELECT DISTINCT a.leader_id AS leader, t.date, s.id AS sid, s.start_time AS b,"
            "  s.end_time AS e FROM attendance t JOIN activity_session s ON s.id = t.session_id"
            "  JOIN activity a ON a.id = s.activity_id)"
            " SELECT count(*) FROM held h1 JOIN held h2 ON h2.leader = h1.leader AND h2.date = h1.date"
            " AND h2.sid > h1.sid WHERE h1.b < h2.e AND h2.b < h1.e").scalar(),
        "mark outside its session": run(
            "SELECT count(*) FROM attendance t JOIN activity_session s ON s.id = t.session_id WHERE t.late = 0"
            " AND (substr(t.recorded_at, 1, 10) != t.date"
            "  OR substr(t.recorded_at, 12, 5) NOT BETWEEN s.start_time AND s.end_time)").scalar(),
        "paper list typed odd": run(
            "SELECT count(*) FROM attendance WHERE late = 1 AND julianday(substr(recorded_at, 1, 10))"
            " - julianday(date) NOT BETWEEN 1 AND 5").scalar(),
        "paper list typed on a day off": sum(
            1 for (day,) in run("SELECT DISTINCT substr(recorded_at, 1, 10) FROM attendance WHERE late = 1")
            if not calendar.is_workday(dt.date.fromisoformat(day))),
        "referral not a working day": sum(
            1 for (day,) in run("SELECT referral_date FROM participant")
            if not calendar.is_workday(dt.date.fromisoformat(day))),
    }
    return {what: n for what, n in found.items() if n}


def test_demo_histories_leaders_and_dates_are_plausible(demo_db: Path) -> None:
    """#21's tester: the Historik tab empty for demo people, milestones reached exactly on their planned
    day, a plan still missing after 601 days, one leader leading five sessions at once."""
    import json

    from store import cases, tamper

    database = db.open(demo_db)
    with database.read() as conn:
        run = conn.exec_driver_sql
        # every row of a case has its history in the change log, and the log's last values are the row
        folded: dict[tuple[str, str], dict] = {}
        times: dict[tuple[str, str], list[str]] = {}
        for table, row_id, body, at in run("SELECT tbl, row_id, changes, at FROM change_log ORDER BY ws_seq"):
            for field, (_, new) in json.loads(body).items():
                folded.setdefault((table, row_id), {})[field] = new
            times.setdefault((table, row_id), []).append(at)
        unlogged, differs = 0, 0
        for table in ("participant", "milestone", "note", "enrolment", "attendance"):
            for row in run(f"SELECT * FROM {table}").mappings():
                logged = folded.get((table, row["id"]))
                if logged is None:
                    unlogged += 1
                elif any(row[field] != value for field, value in logged.items()):
                    differs += 1
        # ... written on the days it happened, in order, never before the referral or after today
        referral = dict(run("SELECT id, referral_date FROM participant").all())
        owner = {("participant", pid): pid for pid in referral}
        for table in ("milestone", "note", "enrolment", "attendance"):
            owner.update({(table, rid): pid for rid, pid in run(f"SELECT id, participant_id FROM {table}")})
        out_of_time = sum(1 for key, ats in times.items() if ats != sorted(ats)
                          or not referral[owner[key]] <= ats[0][:10] <= ats[-1][:10] <= TODAY.isoformat())
        marks_logged_by_recorder = run(
            "SELECT count(*) FROM attendance t JOIN change_log c ON c.tbl = 'attendance' AND c.row_id = t.id"
            " WHERE c.by != t.recorded_by OR c.at != t.recorded_at").scalar()
        broken = tamper.verify_log(conn)[0]
        # milestones reached a few days around their planned day, not all on it
        offsets = [r[0] for r in run(
            "SELECT julianday(achieved_date) - julianday(planned_date) FROM milestone"
            " WHERE status = 'achieved' AND stage_code != 'anvisning'")]
        # an open case without a handlingsplan has had its kartläggning recently
        waiting = run(
            "SELECT max(julianday('2026-11-24') - julianday(k.achieved_date)) FROM participant p"
            " JOIN milestone k ON k.participant_id = p.id AND k.stage_code = 'kartlaggning' AND k.status = 'achieved'"
            " WHERE p.status = 'active' AND NOT EXISTS (SELECT 1 FROM milestone h WHERE h.participant_id = p.id"
            "  AND h.stage_code = 'handlingsplan' AND h.status = 'achieved')").scalar()
        # nobody leads two sessions that meet at the same time on the same weekday
        hours = "h.hours_mon, h.hours_tue, h.hours_wed, h.hours_thu, h.hours_fri"
        sessions = [(leader, start, end, meets) for leader, start, end, *meets in run(
            f"SELECT a.leader_id, s.start_time, s.end_time, {hours} FROM activity_session s"
            f" JOIN activity a ON a.id = s.activity_id JOIN session_hours h ON h.session_id = s.id")]
        double_booked = sum(1 for i, (la, sa, ea, ma) in enumerate(sessions) for lb, sb, eb, mb in sessions[i + 1:]
                            if la == lb and sa < eb and sb < ea and any(x and y for x, y in zip(ma, mb)))
        leaders = run("SELECT count(DISTINCT leader_id) FROM activity").scalar()
        # a mark is recorded while its session runs, or later from a paper list (marked late)
        early_or_odd = run(
            "SELECT count(*) FROM attendance t JOIN activity_session s ON s.id = t.session_id"
            " WHERE t.late = 0 AND (substr(t.recorded_at, 1, 10) != t.date"
            " OR substr(t.recorded_at, 12, 5) NOT BETWEEN s.start_time AND s.end_time)").scalar()
        old_case = run("SELECT id, caseworker_id FROM participant WHERE referral_date < '2026-03-01'"
                       " ORDER BY referral_date LIMIT 1").one()
        cw_login = run("SELECT login FROM caseworker WHERE id = ?", (old_case[1],)).scalar()
    card_history = cases.history(database, cw_login, old_case[0])
    with database.read() as conn:
        unreal = demo_unrealism(conn, built=f"{TODAY.isoformat()}T00:00:00")
    database.dispose()
    assert unreal == {}
    assert unlogged == 0 and differs == 0 and out_of_time == 0 and marks_logged_by_recorder == 0
    assert broken == []
    assert offsets and all(-3 <= d <= 5 for d in offsets) and sum(1 for d in offsets if d == 0) < len(offsets) / 2
    assert waiting is None or waiting <= 120
    assert double_booked == 0 and leaders >= 4
    assert early_or_odd == 0
    assert {h.table for h in card_history} >= {"participant", "milestone", "note"}


def test_export_is_stable_and_excel_friendly(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    result = run_cli("export", "--db", str(demo_db), "--what", "participants", "--out", str(out), "--reason", "kontroll av exporten")
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id;personnummer")  # Swedish Excel: semicolons
    numbers = [line.split(";")[1] for line in lines[1:] if line.split(";")[1]]
    assert numbers and all(len(n) == 12 and n.isdigit() for n in numbers)
    again = run_cli("export", "--db", str(demo_db), "--what", "participants", "--reason", "kontroll av exporten")
    assert again.stdout.splitlines()[1:] == lines[1:]


def test_export_writes_an_audit_event(demo_db: Path) -> None:
    run_cli("export", "--db", str(demo_db), "--what", "notes", "--format", "jsonl", "--reason", "kontroll av exporten")
    con = dbfile.connect(demo_db)
    assert con.execute("SELECT reason, detail FROM audit_event WHERE action = 'export' ORDER BY detail").fetchall() == [
        ("kontroll av exporten", "notes jsonl"), ("kontroll av exporten", "outside caseload")]  # an export is an outside read, with its reason


@pytest.mark.parametrize("args,needle", [
    (["export", "--what", "nonsense"], "Fel användning"),
    (["find", "xy", "--db", "/nonexistent/dir/x.db"], "finns inte"),
    (["import", "attendance", "/nonexistent.csv", "--db", "{db}"], "finns inte"),
    (["report", "narvaro", "--month", "2026-13", "--db", "{db}"], "ingen månad"),
    (["--lang", "en", "report", "narvaro", "--month", "nov", "--db", "{db}"], "not a month"),
    (["stages", "add", "--db", "{db}"], "Fel användning"),
    (["demo", "--db", "{db}"], "finns redan"),
])
def test_cli_errors_are_one_clear_line(args: list[str], needle: str, demo_db: Path) -> None:
    before = demo_db.read_bytes()
    result = run_cli(*[a.replace("{db}", str(demo_db)) for a in args])
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert demo_db.read_bytes() == before


def test_export_choices_match_the_store() -> None:
    from store import export

    assert tuple(cli.EXPORT_WHAT) == tuple(export.WHAT)


def test_readme_lists_every_key_and_the_two_commands() -> None:
    code = ("from tui.text import set_language, t; set_language('en')\n"
            "import tui.app\n"
            "from tui.keyhelp import sections\n"
            "for title, bindings in sections():\n"
            "    print('#', title)\n"
            "    shown = [(b.key, b.description) for b in bindings]\n"
            "    if len(set(shown)) != len(shown): print('! twice in', title)\n"
            "    for b in bindings: print(t(b.description))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith("! ")]  # a key listed twice in one section
    missing = [d for d in lines if not d.startswith(("# ", "! ")) and f"| {d} |" not in readme]
    assert not missing
    # every screen registered its keys with the help screen (tui.keyhelp), which imports none of them
    titles = [line[2:] for line in lines if line.startswith("# ")]
    assert titles == ["Everywhere", "Search (F2)", "Attendance (F3)", "Week", "Milestones (F4)",
                      "Case card (Enter on a result)", "Enrolments (i)", "Overview (F5)", "Activities (a)", "Conflicts", "Access review",
                      "Users (u)"], titles
    assert "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/arena --demo" in readme
    assert "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest" in ci


def test_arena_demo_sets_an_older_generations_demo_aside_and_builds_it_anew(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """#21's tester read an empty Historik and overlapping leaders in a demo.db built hours before by an
    older generator (`arena --demo` kept it): an older demo is renamed, never deleted, and built anew;
    a demo of this generation is opened as it is."""
    import tui.app
    from tui.cli import entry

    monkeypatch.setenv("ARENA_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(entry, "DEMO_PARTICIPANTS", 40)
    opened: list[str] = []
    notices: list[str | None] = []
    monkeypatch.setattr(tui.app, "run", lambda path, notice=None, **_: opened.append(path) or notices.append(notice) or 0)
    (tmp_path / "demo.db").write_bytes(b"an older demo, with what was tried in it")
    (tmp_path / "demo.db-wal").write_bytes(b"its last writes")
    assert entry.main(["--demo"]) == 0
    aside = sorted(p.name for p in tmp_path.glob("demo-*.db*"))
    assert len(aside) == 2 and aside[0].endswith(".db") and aside[1] == aside[0] + "-wal"
    assert (tmp_path / aside[0]).read_bytes() == b"an older demo, with what was tried in it"
    assert (tmp_path / "demo.db.generation").read_text(encoding="utf-8") == entry.DEMO_GENERATION
    database = db.open(tmp_path / "demo.db")
    with database.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM participant").scalar() == 40
    database.dispose()
    built = (tmp_path / "demo.db").stat().st_mtime_ns
    assert entry.main(["--demo"]) == 0  # this generation's demo: opened, not built again
    assert (tmp_path / "demo.db").stat().st_mtime_ns == built and len(list(tmp_path.glob("demo-*.db*"))) == 2
    assert opened == [str(tmp_path / "demo.db")] * 2
    # said again on the app's first screen (the line printed before it is under the app) and in the log
    assert notices[0] is not None and aside[0] in notices[0] and notices[1] is None
    assert aside[0] in (tmp_path / "arena.log").read_text(encoding="utf-8")
    # a demo built with `arena demo` at the demo's place is this generation's: `arena --demo` opens it
    (tmp_path / "demo.db").unlink()
    (tmp_path / "demo.db.generation").unlink()
    assert entry.main(["demo", "--participants", "30"]) == 0
    assert entry.main(["--demo"]) == 0
    assert len(list(tmp_path.glob("demo-*.db*"))) == 2 and notices[2] is None


RACE = """
import datetime as dt, threading
from store import calendar
start = threading.Barrier(8)
failed = []
def ask():
    start.wait()
    try:
        calendar.holiday_name(dt.date(2026, 12, 25), "sv")
    except Exception as error:
        failed.append(repr(error))
threads = [threading.Thread(target=ask) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(failed[:1] or "ok")
"""


def test_threads_asking_the_holidays_at_once_in_a_new_process_all_get_them() -> None:
    """The holidays package is loaded the first time a day is asked about: at a start, the warm-up thread
    and a screen's read asked at once, and the second found the half-loaded module ("no attribute
    'Sweden'": the read failed). A fresh process, where nothing is loaded yet."""
    said = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent)
    assert said.stdout.strip() == "ok", said.stdout + said.stderr


def test_a_folder_given_as_the_database_is_said_to_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`--db` naming a folder said SQLite's English "unable to open database file"."""
    from tui import cli

    assert cli.main(["find", "Berg", "--db", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"arena: Kan inte öppna databasen {tmp_path}: det är en mapp"
    assert list(tmp_path.iterdir()) == []


def test_find_with_less_than_two_characters_says_so_as_f2_does(world, capsys: pytest.CaptureFixture) -> None:  # noqa: ANN001
    """`arena find ""` said "Inga träffar." (exit 1) where F2 asks for two characters."""
    from tui import cli

    for query in ("", " ", "a"):
        assert cli.main(["find", query, "--db", str(world.path)]) == 2
        assert capsys.readouterr().err.strip() == "arena: Skriv minst två tecken att söka på."


def test_a_subcommand_after_demo_works_on_the_demo_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture) -> None:
    """`arena --demo find Hägg` looked in the workstation's database, not the demo's."""
    from tui import cli
    from tui.paths import default_db, demo_db

    monkeypatch.setenv("ARENA_DATA_DIR", str(tmp_path))
    assert demo_db() != default_db()
    assert cli.main(["--demo", "find", "Hägg"]) == 2
    said = capsys.readouterr().err.strip()
    assert str(demo_db()) in said and str(default_db()) not in said, said
