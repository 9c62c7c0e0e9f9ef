"""Setting a programme up without the demo: `arena init`, `arena activities`, `arena enrol/unenrol` run
in-process as a subprocess would run them (tests/inprocess.py; `init` without a terminal as a real
process), and the administration screen and the enrolment screen through the Pilot."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from store import activities, attendance, cases, db, dbfile, staff

from . import inprocess
from .conftest import PIN as WORLD_PIN
from .conftest import TODAY, World, rows
from .waiting import record_notices

ROOT = Path(__file__).resolve().parent.parent
PIN = "246813"


def arena(*args: str, stdin: str = "", os_login: str = "sara") -> inprocess.Ran:
    """`arena ARGS` as the OS login `os_login`, in this process (tests/inprocess.py)."""
    return inprocess.arena(*args, stdin=stdin, os_login=os_login, unset=["ARENA_USER"])


def arena_process(*args: str, stdin: str = "", os_login: str = "sara") -> subprocess.CompletedProcess:
    """The same as a real `python -m tui.cli` process, its standard input a pipe (no terminal)."""
    env = {**{k: v for k, v in os.environ.items() if k != "ARENA_USER"}, "ARENA_TODAY": TODAY.isoformat(),
           "LOGNAME": os_login, "USER": os_login}
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, input=stdin, timeout=120)


def test_init_makes_the_first_administrator_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "arena.db"
    short = arena("init", "--db", str(path), "--admin", "sara.admin", "--name", "Sara Admin", stdin="1234\n")
    assert short.returncode == 2 and "minst 6 siffror" in short.stderr and not path.exists()
    none = arena_process("init", "--db", str(path))  # no terminal and no --admin: nothing to ask on
    assert none.returncode == 2 and "Ingen terminal" in none.stderr and not path.exists()
    made = arena("init", "--db", str(path), "--admin", "sara.admin", "--name", "Sara Admin", stdin=f"{PIN}\n")
    assert made.returncode == 0, made.stderr
    again = arena("init", "--db", str(path), "--admin", "x.y", stdin=f"{PIN}\n")
    assert again.returncode == 2 and "finns redan" in again.stderr
    con = dbfile.connect(path)
    assert con.execute("SELECT login, name, role, pin_hash LIKE 'scrypt$%' FROM caseworker").fetchall() == [
        ("sara.admin", "Sara Admin", "admin", 1)]
    # the OS login that ran init is that administrator here; the PIN proves it
    listed = arena("users", "list", "--db", str(path), "--pin-stdin", stdin=f"{PIN}\n")
    assert listed.returncode == 0 and "sara.admin" in listed.stdout, listed.stderr
    # a workstation that joins: no user of its own, and the first start does not make one
    joined = arena("init", "--db", str(tmp_path / "b.db"), "--join")
    assert joined.returncode == 0 and "arena sync" in joined.stdout
    database = db.open(tmp_path / "b.db")
    assert staff.joining(database) and not staff.setting_up(database)
    database.dispose()
    # until its first sync brings the programme's users, nobody can act on it: no administrator made
    # there (the sync would carry it everywhere), no export or search under a made-up name
    rogue = arena("users", "add", "evil.admin", "--name", "Evil", "--role", "admin", "--db", str(tmp_path / "b.db"),
                  "--user", "x", "--pin-stdin", stdin=f"{PIN}\n")
    assert rogue.returncode == 2 and rogue.stderr.count("\n") == 1, rogue.stdout + rogue.stderr
    peek = arena("find", "anna", "--db", str(tmp_path / "b.db"), "--user", "anna.lind", "--pin-stdin",
                 stdin=f"{PIN}\n")
    assert peek.returncode == 2, peek.stdout + peek.stderr
    con = dbfile.connect(tmp_path / "b.db")
    assert con.execute("SELECT count(*) FROM caseworker").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM audit_event WHERE action != 'refused'").fetchone() == (0,)


def test_activities_and_enrolments_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "arena.db"
    assert arena("init", "--db", str(path), "--admin", "sara", "--name", "Sara", stdin=f"{PIN}\n").returncode == 0
    pin = f"{PIN}\n"
    add = arena("activities", "add", "Jobbsök", "--db", str(path), "--pin-stdin", "--capacity", "1", "--site", "Centrum",
                "--session", "fm=08:30-12:00", "--session", "em=13:00-16:00/3,3,3,3,0", stdin=pin)
    assert add.returncode == 0, add.stderr
    bad = arena("activities", "add", "X", "--db", str(path), "--pin-stdin", "--session", "fm=12:00-08:00", stdin=pin)
    assert bad.returncode == 2 and "går inte ihop" in bad.stderr
    wrong_pin = arena("activities", "add", "Y", "--db", str(path), "--pin-stdin", "--hours", "6 6 6 6 4", stdin="999999\n")
    assert wrong_pin.returncode == 2 and "Fel PIN-kod" in wrong_pin.stderr
    database = db.open(path)
    people = [cases.register(database, "sara", cases.NewParticipant(f"P{i}", "Berg", "K", "2026-11-01",
                                                                    reserve_number=f"RES-{i}")) for i in range(2)]
    database.dispose()
    ok = arena("enrol", "RES-0", "Jobbsök", "--session", "fm", "--from", "2026-11-02", "--db", str(path), "--pin-stdin",
               stdin=pin)
    assert ok.returncode == 0, ok.stderr
    which = arena("enrol", "RES-1", "Jobbsök", "--from", "2026-11-02", "--db", str(path), "--pin-stdin", stdin=pin)
    assert which.returncode == 2 and "flera pass" in which.stderr
    full = arena("enrol", "RES-1", "Jobbsök", "--session", "fm", "--from", "2026-11-02", "--db", str(path),
                 "--pin-stdin", stdin=pin)
    assert full.returncode == 2 and "fullt" in full.stderr
    forced = arena("enrol", "RES-1", "Jobbsök", "--session", "fm", "--from", "2026-11-02", "--reason", "Beslut",
                   "--db", str(path), "--pin-stdin", stdin=pin)
    assert forced.returncode == 0, forced.stderr
    hours = arena("activities", "edit", "Jobbsök", "--session", "em", "--hours", "2 2 2 2 2", "--from", "2026-12-01",
                  "--db", str(path), "--pin-stdin", stdin=pin)
    assert hours.returncode == 0, hours.stderr
    ended = arena("unenrol", "RES-0", "Jobbsök", "--session", "fm", "--last", "2026-11-30", "--db", str(path),
                  "--pin-stdin", stdin=pin)
    assert ended.returncode == 0, ended.stderr
    listed = arena("activities", "list", "--db", str(path), "--pin-stdin", stdin=pin)
    assert "08:30–12:00" in listed.stdout and "2/1 platser" in listed.stdout, listed.stdout
    con = dbfile.connect(path)
    assert con.execute("SELECT count(*), sum(capacity_reason = 'Beslut') FROM enrolment").fetchone() == (2, 1)
    assert con.execute("SELECT count(*) FROM audit_event WHERE action = 'enrol_over_capacity'").fetchone() == (1,)
    assert con.execute("SELECT valid_from, hours_mon FROM session_hours h JOIN activity_session s"
                       " ON s.id = h.session_id WHERE s.name = 'em' ORDER BY valid_from").fetchall() == [
        ("", 3.0), ("2026-12-01", 2.0)]
    # every one of these writes is in the change log, so it syncs
    assert con.execute("SELECT count(*) FROM change_log WHERE tbl IN ('activity', 'activity_session',"
                       " 'session_hours', 'enrolment')").fetchone()[0] >= 8


async def test_the_administrator_adds_an_activity_and_enrols_someone_from_the_card(tmp_path: Path) -> None:
    from tui.app import ArenaApp

    from .test_access import settle
    from .test_keys import type_fast  # a form's fields typed at full speed (the Pilot waits after every key)

    database = db.open(tmp_path / "arena.db")
    staff.first_admin(database, "sara", "Sara Admin", PIN)
    pid = cases.register(database, "sara", cases.NewParticipant("Ali", "Berg", "M", "2026-11-01"))
    app = ArenaApp(database, "sara")
    record_notices(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        if type(app.screen).__name__ == "LockScreen":  # the PIN at every start
            await pilot.press(*PIN, "enter")
            await settle(pilot, app)
        await pilot.press("a")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ActivitiesScreen"
        await pilot.press("ctrl+n")
        await settle(pilot, app)
        await type_fast(pilot, app, *"Jobbsök", "enter", *"fm=08:30-12:00; em=13:00-16:00", "ctrl+s")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ActivitiesScreen"
        aid = activities.find(database, "Jobbsök")
        assert [(s.name, s.times) for s in activities.all_activities(database)[0].sessions] == [
            ("fm", "08:30–12:00"), ("em", "13:00–16:00")]
        # a refused value keeps the dialog open with everything typed, and says why in the dialog
        from textual.widgets import Input, Label

        def form() -> tuple[dict[str, str], str]:
            assert type(app.screen).__name__ == "FormDialog", type(app.screen).__name__
            fields = {i.id.removeprefix("form-"): i.value for i in app.screen.query(Input)}
            return fields, str(app.screen.query_one("#form-error", Label).render())

        await pilot.press("ctrl+n")
        await settle(pilot, app)
        await type_fast(pilot, app, *"JOBBSÖK", "enter", *"fm=08:30-12:00", "enter", "enter", "backspace",
                        "backspace", "0", "enter", "enter", *"Centrum", "ctrl+s")
        await settle(pilot, app)
        fields, error = form()
        assert (fields["name"], fields["sessions"], fields["capacity"], fields["site"]) == (
            "JOBBSÖK", "fm=08:30-12:00", "0", "Centrum") and "”0”" in error, (fields, error)
        app.screen.query_one("#form-capacity", Input).value = ""
        app.screen.query_one("#form-capacity", Input).focus()
        await pilot.press("1", "ctrl+s")
        await settle(pilot, app)
        fields, error = form()
        assert (fields["name"], fields["capacity"], fields["site"]) == ("JOBBSÖK", "1", "Centrum") \
            and "finns redan" in error, (fields, error)
        app.screen.query_one("#form-name", Input).value = ""
        app.screen.query_one("#form-name", Input).focus()
        await type_fast(pilot, app, *"Kaffe")
        app.screen.query_one("#form-sessions", Input).value = ""
        app.screen.query_one("#form-sessions", Input).focus()
        await type_fast(pilot, app, *"fm=12:00-08:00", "ctrl+s")
        await settle(pilot, app)
        fields, error = form()
        assert fields["name"] == "Kaffe" and error.endswith("start före slut."), error  # whole, not cut off
        await pilot.press("escape")
        await settle(pilot, app)
        assert [a.name for a in activities.all_activities(database)] == ["Jobbsök"]
        await pilot.press("escape")
        await settle(pilot, app)
        app.open_case(pid, "Berg, Ali")
        await settle(pilot, app)
        if type(app.screen).__name__ == "ChoiceDialog":  # outside the caseload: a reason first
            await pilot.press("down", "enter")
            await settle(pilot, app)
        await pilot.press("i")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "EnrolmentScreen"
        await pilot.press("ctrl+n")
        await settle(pilot, app)
        await pilot.press("down", "enter")  # the afternoon session
        await settle(pilot, app)
        await type_fast(pilot, app, "enter", *"2020-01-01", "enter")  # an end before the start: refused in the dialog
        await settle(pilot, app)
        fields, error = form()
        assert fields == {"from": TODAY.isoformat(), "to": "2020-01-01"} and error, (fields, error)
        app.screen.query_one("#form-to", Input).value = ""
        await pilot.press("ctrl+s")  # from today, no end
        await settle(pilot, app)
        found = activities.enrolments(database, "sara", pid)
        assert [(e.title, e.start_date, e.end_date) for e in found] == [
            ("Jobbsök em 13:00–16:00", TODAY.isoformat(), None)]
        table = app.screen.query_one("#enr-table")  # the list on screen shows it (it read nothing before)
        assert table.row_count == 1 and "Jobbsök em" in str(table.get_row_at(0)[0])
        await pilot.press("m")  # move to the morning session from today
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ChoiceDialog"
        # the session it is in is not offered (picking it said "already enrolled in <the session's id>")
        assert [s.title for s, _ in app.screen.options] == ["Jobbsök fm 08:30–12:00"]
        await pilot.press("enter", "enter")  # the morning session, from today
        await settle(pilot, app)
        spans = sorted((e.title, e.end_date) for e in activities.enrolments(database, "sara", pid))
        assert [title for title, _ in spans] == ["Jobbsök em 13:00–16:00", "Jobbsök fm 08:30–12:00"], spans
        assert not any(n.severity == "error" for n in app.notices), list(app.notices)
        await settle(pilot, app)
        await pilot.press("x", "enter")  # ends today whichever row is current
        await settle(pilot, app)
        assert any(e.end_date == TODAY.isoformat() for e in activities.enrolments(database, "sara", pid))
    assert aid
    database.dispose()


def test_referral_import_updates_by_number_refuses_by_line_and_reads_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from store import referrals

    database = db.open(tmp_path / "arena.db")
    staff.first_admin(database, "sara", "Sara Admin", PIN)
    first = tmp_path / "a.csv"
    first.write_text("personnummer,first_name,last_name,gender,referral_date,plan\n"
                     "190905271474,Åsa,Öberg,K,2026-11-02,8\n", encoding="utf-8")
    assert referrals.import_file(database, "sara", first).imported == 1
    changed = tmp_path / "b.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(["Personnummer", "Förnamn", "Efternamn", "Kön", "Anvisningsdatum", "Veckoplan"])
    sheet.append(["19090527-1474", "Åsa", "Öberg-Lind", "K", "2026-11-02", "6 6 6 6 4"])
    sheet.append(["", "Utan", "Nummer", "M", "2026-11-02", "8"])
    book.save(changed)
    refused = referrals.import_file(database, "sara", changed, all_or_nothing=True)
    assert refused.imported == 0 and [line for line, _ in refused.rejected] == [3]
    report = referrals.import_file(database, "sara", changed)
    assert (report.imported, report.unchanged, len(report.rejected)) == (1, 0, 1)
    con = dbfile.connect(tmp_path / "arena.db")
    assert con.execute("SELECT last_name, plan_fri FROM participant").fetchall() == [("Öberg-Lind", 4.0)]
    database.dispose()


def test_one_name_rule_for_activities_and_sessions(tmp_path: Path) -> None:
    """'JOBBSÖK' and ' jobbsök ' are the activity 'Jobbsök' (full Unicode casefold, trimmed, spaces collapsed):
    refused as a second activity, found by the imports, so nobody lands in a look-alike."""
    path = tmp_path / "arena.db"
    assert arena("init", "--db", str(path), "--admin", "sara", "--name", "Sara", stdin=f"{PIN}\n").returncode == 0
    pin = f"{PIN}\n"
    assert arena("activities", "add", "Jobbsök", "--db", str(path), "--pin-stdin", "--hours", "6 6 6 6 6",
                 stdin=pin).returncode == 0
    for twin in ("JOBBSÖK", "jobbsök", "  Jobb   sök ".replace("b   s", "bs"), "Jobbsök  "):
        again = arena("activities", "add", twin, "--db", str(path), "--pin-stdin", "--hours", "6 6 6 6 6", stdin=pin)
        assert again.returncode == 2 and "finns redan" in again.stderr, (twin, again.stderr)
    assert arena("activities", "add", "Kaffe  och   kaka", "--db", str(path), "--pin-stdin", "--hours", "2 2 2 2 2",
                 stdin=pin).returncode == 0
    renamed = arena("activities", "edit", "KAFFE OCH KAKA", "--rename", "JOBBSÖK", "--db", str(path), "--pin-stdin",
                    stdin=pin)
    assert renamed.returncode == 2 and "finns redan" in renamed.stderr, renamed.stderr
    (tmp_path / "in.csv").write_text("personnummer,first_name,last_name,gender,referral_date,plan,activity\n"
                                     "190905271474,Åsa,Öberg,K,2026-11-02,8,JOBBSÖK\n"
                                     "190905271482,Per,Ek,M,2026-11-02,8,kaffe och kaka\n", encoding="utf-8")
    imported = arena("import", "participants", str(tmp_path / "in.csv"), "--db", str(path), "--pin-stdin", stdin=pin)
    assert imported.returncode == 0, imported.stderr
    con = dbfile.connect(path)
    assert con.execute("SELECT name FROM activity ORDER BY name").fetchall() == [("Jobbsök",), ("Kaffe och kaka",)]
    assert con.execute("SELECT p.first_name, a.name FROM enrolment e JOIN participant p ON p.id = e.participant_id"
                       " JOIN activity a ON a.id = e.activity_id ORDER BY 1").fetchall() == [
        ("Per", "Kaffe och kaka"), ("Åsa", "Jobbsök")]


def test_refused_import_rows_leave_no_hole_and_a_second_workstation_gets_everything(tmp_path: Path) -> None:
    """Refused rows roll their savepoints back; the workstation's sequence stays gapless, so the file the
    sync publishes holds what its header says and the second workstation applies all of it."""
    one, two, share, key = tmp_path / "ws1.db", tmp_path / "ws2.db", tmp_path / "share", tmp_path / "arena.key"
    share.mkdir()
    pin = f"{PIN}\n"
    assert arena("init", "--db", str(one), "--admin", "sara", "--name", "Sara", stdin=pin).returncode == 0
    assert arena("activities", "add", "Jobbsök", "--db", str(one), "--pin-stdin", "--session", "fm=08:30-12:00",
                 "--session", "em=13:00-16:00", stdin=pin).returncode == 0
    (tmp_path / "in.csv").write_bytes((
        "personnummer;reservnummer;förnamn;efternamn;kön;anvisningsdatum;handläggare;veckoplan;aktivitet;pass\r\n"
        "19090527-1474;;Åsa;Öberg;K;2026-11-02;sara;8;Jobbsök;fm\r\n"
        ";RES-0002;Ali;Berg;M;2026-11-02;sara;6 6 6 6 4;Jobbsök;\r\n"     # two sessions: "ange vilket"
        ";RES-0003;Eva;Ek;K;2026-11-02;sara;8;Kafferep;fm\r\n"            # no such activity
        ";RES-0004;Bo;Öst;M;2026-11-02;;8;Jobbsök;em\r\n"
        ";RES-0005;Ida;Lund;K;2026-11-02;sara;8;Jobbsök;kväll\r\n"        # no such session
        "200002292399;;Vera;Wallin;K;2026-11-02;;8;;\r\n").encode("cp1252"))
    imported = arena("import", "participants", str(tmp_path / "in.csv"), "--db", str(one), "--pin-stdin", stdin=pin)
    assert imported.returncode != 0 and imported.stderr.count("rad ") == 3, imported.stderr
    con = dbfile.connect(one)
    seqs = [s for (s,) in con.execute("SELECT ws_seq FROM change_log ORDER BY ws_seq")]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    assert con.execute("SELECT count(*) FROM participant").fetchone() == (3,)
    con.close()
    assert arena("keys", "new", str(key)).returncode == 0
    sent = arena("sync", "--db", str(one), "--share", str(share), "--key", str(key))
    assert sent.returncode == 0, sent.stderr
    assert arena("init", "--db", str(two), "--join").returncode == 0
    got = arena("sync", "--db", str(two), "--share", str(share), "--key", str(key))
    assert got.returncode == 0, got.stderr
    a, b = dbfile.connect(one), dbfile.connect(two)
    assert b.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
    assert sorted(b.execute("SELECT op_id FROM change_log")) >= sorted(a.execute("SELECT op_id FROM change_log"))
    for table in ("participant", "enrolment", "activity_session"):
        assert b.execute(f"SELECT count(*) FROM {table}").fetchone() == a.execute(
            f"SELECT count(*) FROM {table}").fetchone(), table
    a.close()
    b.close()
    # a database an older release left with a hole: the publisher renumbers what it never published
    assert arena("activities", "add", "Kafferep", "--db", str(one), "--pin-stdin", "--hours", "2 2 2 2 2",
                 stdin=pin).returncode == 0
    con = dbfile.connect(one)
    top = con.execute("SELECT max(ws_seq) FROM change_log").fetchone()[0]
    con.execute("UPDATE change_log SET ws_seq = ws_seq + 4 WHERE ws_seq >= ?", (top - 1,))
    con.commit()
    con.close()
    assert arena("sync", "--db", str(one), "--share", str(share), "--key", str(key)).returncode == 0
    again = arena("sync", "--db", str(two), "--share", str(share), "--key", str(key))
    assert again.returncode == 0, again.stderr
    b = dbfile.connect(two)
    assert b.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
    assert b.execute("SELECT count(*) FROM activity WHERE name = 'Kafferep'").fetchone() == (1,)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_session_list_shows_marked_and_places_whole(tmp_path: Path, size: tuple[int, int]) -> None:
    """F3's session list at 120 and 80 columns: every column fits, so "marked" and "enrolled/places" are
    read whole (they were cut to "P" and one digit); the name gives way instead, and at 80 columns the
    places go (dropped, not cut) so that each session keeps one line."""
    from textual.widgets import DataTable

    from tui.app import ArenaApp

    from .test_access import settle

    database = db.open(tmp_path / "arena.db")
    staff.first_admin(database, "sara", "Sara Admin", PIN)
    aid = activities.create(database, "sara", "Arbetsträning second hand", capacity=120,
                            sessions=[activities.parse_session("förmiddag=08:30-12:00")])
    for i in range(11):
        pid = cases.register(database, "sara", cases.NewParticipant(f"P{i}", "Berg", "K", "2026-11-01"))
        activities.enrol(database, "sara", pid, aid, TODAY)
    app = ArenaApp(database, "sara")
    record_notices(app)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        if type(app.screen).__name__ == "LockScreen":
            await pilot.press(*PIN, "enter")
            await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        table = app.screen.query_one("#sessions", DataTable)
        assert table.row_count == 1
        widths = sum(c.get_render_width(table) for c in table.columns.values())
        assert widths <= table.scrollable_content_region.width, (widths, table.scrollable_content_region.width)
        line = "".join(seg.text for seg in table.render_line(1)).rstrip()  # the first row under the header
        header = "".join(seg.text for seg in table.render_line(0))
        if size[0] >= 100:
            assert re.search(r" 0/11 +11/120$", line), line
            assert "Mark." in header and "Platser" in header
        else:  # 80 columns: hours and places go so that a name keeps one line (tester of #21); marked stays whole
            assert re.search(r" 0/11$", line), line
            assert "Mark." in header and "Platser" not in header
        # someone enrolled while another mode is shown (a case card's enrolments): back on F3, the list
        # counts them (it showed 0/11 until something else made it read again; found by a tester)
        await pilot.press("f2")
        await settle(pilot, app)
        pid = cases.register(database, "sara", cases.NewParticipant("Ny", "Berg", "K", "2026-11-01"))
        activities.enrol(database, "sara", pid, aid, TODAY)
        await pilot.press("f3")
        await settle(pilot, app)
        line = "".join(seg.text for seg in table.render_line(1)).rstrip()
        assert re.search(r" 0/12( +12/120)?$", line), line
    database.dispose()


async def test_back_on_f3_the_open_roll_call_is_read_again_and_all_present_marks_only_whom_it_asked_about(
        world: World) -> None:
    """Someone enrolled while F2 is shown, a roll call open on F3: back on F3 the roll call shows them, the
    cursor still on the person it was on. And A marks exactly the people its question counted: a roll call
    read before the enrolment asked about 24 and marked 25 (found by a tester)."""
    from tui.app import ArenaApp

    from .test_access import settle

    app = ArenaApp(db.open(world.path), "omar.farah", pin=WORLD_PIN)
    record_notices(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f3", "enter", "down", "down")
        await settle(pilot, app)
        roll = app.screen.query_one("RollTable")
        on = roll.current().participant_id
        assert len(roll.order) == 25
        # enrolled at once: 'Aaberg' sorts first, above the cursor
        newcomer = cases.register(world.db, "setup", cases.NewParticipant("Ada", "Aaberg", "K", "2026-11-01"))
        activities.enrol(world.db, "setup", newcomer, world.activity_id, TODAY, reason="test: one more")
        stale = list(roll.order)
        await pilot.press("f2")
        await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        roll = app.screen.query_one("RollTable")
        assert newcomer in roll.order and roll.current().participant_id == on
        # the roll call as it was before F2 (another window's view): A asks about those it shows, marks them
        roll.show(roll.activity_id, roll.activity_name, roll.day, [roll.people[p] for p in stale], False,
                  roll.session_id)
        await pilot.press("A")
        await settle(pilot, app)
        assert "25" in app.screen.question, app.screen.question  # the 25 it shows unmarked, not 26
        await pilot.press("j")
        await settle(pilot, app)
        marked = {r.participant_id for r in attendance.roll_call(world.db, "omar.farah", world.activity_id, TODAY)
                  if r.mark is not None}
        assert marked == set(stale) and newcomer not in marked


async def test_the_session_list_keeps_its_cursor_where_it_was_moved_when_f3_is_shown_again(world: World) -> None:
    """A roll call open, Escape to the session list, the cursor moved to another session; F2 and back to F3:
    the cursor is where it was left, so Enter opens that session (it went back to the open one, and `n`
    marked someone there; found by a tester)."""
    from tui.app import ArenaApp

    from .test_access import settle

    other = activities.create(world.db, "setup", "Bageri", (6, 6, 6, 6, 4), kind="arbetsträning", site="Centrum",
                              leader_login="lena.leder")
    activities.enrol(world.db, "setup", world.people[0], other, TODAY)
    app = ArenaApp(db.open(world.path), "omar.farah", pin=WORLD_PIN)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        names = [s.name for s in app.screen.sessions]
        first, second = names[0], names[1]
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("escape", "down")
        await settle(pilot, app)
        await pilot.press("f2")
        await settle(pilot, app)
        await pilot.press("f3", "enter", "n")
        await settle(pilot, app)
        opened = app.screen.current_session()
        assert opened is not None and opened.name == second, (first, second, opened)


def test_refusals_say_what_is_wrong_and_values_that_cannot_be_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "arena.db"
    pin = f"{PIN}\n"
    assert arena("init", "--db", str(path), "--admin", "sara", "--name", "Sara", stdin=pin).returncode == 0

    def refused(*args: str, lang: str = "sv") -> str:
        done = arena(*args, "--db", str(path), "--pin-stdin", "--lang", lang, stdin=pin)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
        return done.stderr

    assert "ingen användare med inloggningen ”nobody”" in refused("activities", "add", "X", "--leader", "nobody",
                                                                  "--hours", "2 2 2 2 2")
    assert "no user with the login “nobody”" in refused("activities", "add", "X", "--leader", "nobody",
                                                        "--hours", "2 2 2 2 2", lang="en")
    no_schedule = refused("activities", "add", "X", "--site", "Centrum")
    assert "--session" in no_schedule and "eller/or" not in no_schedule
    assert "Give the sessions" in refused("activities", "add", "X", "--site", "Centrum", lang="en")
    assert "inget klockslag" in refused("activities", "add", "X", "--session", "fm=25:00-26:00")
    assert "9 timmar en dag går inte: passet 08:30–12:00 är 3,5 timmar" in refused(
        "activities", "add", "X", "--session", "fm=08:30-12:00/9,9,9,9,9")
    assert arena("activities", "add", "Jobbsök", "--db", str(path), "--pin-stdin", "--session", "fm=08:30-12:00",
                 stdin=pin).returncode == 0
    assert "3,5 timmar" in refused("activities", "edit", "Jobbsök", "--session", "fm", "--hours", "9 9 9 9 9")
    (tmp_path / "in.csv").write_bytes((
        "personnummer;reservnummer;förnamn;efternamn;kön;anvisningsdatum;handläggare;veckoplan;adress\r\n"
        ";RES-1;Åsa;Öberg;Q;2026-11-02;;8;\r\n"
        ";RES-2;Ali;Berg;M;2026-11-02;nobody;8;\r\n"
        ';RES-3;Eva;Ek;K;2026-11-10;;8;"Storgatan 1\r\n123 45 Byn"\r\n').encode("cp1252"))
    imported = arena("import", "participants", str(tmp_path / "in.csv"), "--db", str(path), "--pin-stdin", stdin=pin)
    assert imported.returncode != 0
    assert "K, M eller X" in imported.stderr and "måste fyllas i" not in imported.stderr, imported.stderr
    assert "inloggningen ”nobody”" in imported.stderr and "Be en administratör" not in imported.stderr
    con = dbfile.connect(path)
    assert con.execute("SELECT address FROM participant WHERE reserve_number = 'RES-3'").fetchone()[0] in (
        "Storgatan 1\r\n123 45 Byn", "Storgatan 1\n123 45 Byn")
    con.close()
    backwards = refused("enrol", "RES-3", "Jobbsök", "--from", "2026-11-23", "--to", "2026-11-11")
    assert "2026-11-11 ligger före startdatumet 2026-11-23" in backwards and "inget datum" not in backwards
    assert "before the referral date 2026-11-10" in refused("enrol", "RES-3", "Jobbsök", "--from", "2026-11-02",
                                                            lang="en")


def test_the_activity_close_key_is_not_called_quit() -> None:
    from tui.text import set_language, t

    for lang in ("sv", "en"):
        set_language(lang)
        assert t("key.close_activity") != t("key.quit")
    set_language("sv")


def test_two_look_alike_activities_from_before_the_rule_are_never_guessed(tmp_path: Path) -> None:
    """A database holding 'Jobbsök' and 'JOBBSÖK' (made before the name rule): an import row or a command
    naming either is refused with what to do, nobody is enrolled in the wrong one."""
    path = tmp_path / "arena.db"
    pin = f"{PIN}\n"
    assert arena("init", "--db", str(path), "--admin", "sara", "--name", "Sara", stdin=pin).returncode == 0
    for name in ("Jobbsök", "Kaffe"):
        assert arena("activities", "add", name, "--db", str(path), "--pin-stdin", "--hours", "3 3 3 3 3",
                     stdin=pin).returncode == 0
    con = dbfile.connect(path)
    con.execute("UPDATE activity SET name = 'JOBBSÖK' WHERE name = 'Kaffe'")  # as an older release let it be
    con.commit()
    (tmp_path / "in.csv").write_text("personnummer,first_name,last_name,gender,referral_date,plan,activity\n"
                                     "190905271474,Åsa,Öberg,K,2026-11-02,8,Jobbsök\n", encoding="utf-8")
    imported = arena("import", "participants", str(tmp_path / "in.csv"), "--db", str(path), "--pin-stdin", stdin=pin)
    assert imported.returncode != 0 and "Två aktiviteter heter ”Jobbsök”" in imported.stderr, imported.stderr
    assert con.execute("SELECT count(*) FROM enrolment").fetchone() == (0,)
    listed = arena("activities", "close", "jobbsök", "--end", "2026-11-30", "--db", str(path), "--pin-stdin", stdin=pin)
    assert listed.returncode == 2 and "--rename" in listed.stderr, listed.stderr


def test_a_full_session_in_an_import_says_what_can_be_done(tmp_path: Path) -> None:
    """A row for a full session without a reason is refused with what can be done (more places, or a
    reason in the file's `anledning` column – `arena enrol` cannot, the person is not registered), and the
    other rows go in."""
    path = tmp_path / "arena.db"
    pin = f"{PIN}\n"
    assert arena("init", "--db", str(path), "--admin", "sara", "--name", "Sara", stdin=pin).returncode == 0
    assert arena("activities", "add", "Jobbsök", "--db", str(path), "--pin-stdin", "--hours", "6 6 6 6 7,5",
                 "--capacity", "1", "--site", "Linköping centrum västra", "--leader", "sara", stdin=pin).returncode == 0
    listed = arena("activities", "list", "--db", str(path), "--pin-stdin", stdin=pin).stdout.splitlines()
    assert listed[0].split("  ")[-2:] == ["Linköping centrum västra", "sara"], listed  # columns apart
    assert "6 6 6 6 7,5" in listed[1], listed  # hours as Swedish writes them
    (tmp_path / "in.csv").write_text("reservnummer;förnamn;efternamn;kön;anvisningsdatum;veckoplan;aktivitet\r\n"
                                     "RES-1;Åsa;Öberg;K;2026-11-02;8;Jobbsök\r\n"
                                     "RES-2;Per;Ek;M;2026-11-02;8;Jobbsök\r\n", encoding="utf-8-sig")
    done = arena("import", "participants", str(tmp_path / "in.csv"), "--db", str(path), "--pin-stdin", stdin=pin)
    assert done.returncode == 2
    assert done.stderr.startswith("rad 3: Jobbsök är fullt (1 av 1 plats) – ge passet fler platser"), done.stderr
    assert "kolumn anledning" in done.stderr and "arena enrol" not in done.stderr, done.stderr
    con = dbfile.connect(path)
    assert con.execute("SELECT first_name FROM participant").fetchall() == [("Åsa",)]


async def test_keys_typed_as_the_enrolments_open_act_on_the_rows_once_shown(world: World,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`i` on the card and `x` Enter typed right behind it, while the enrolments are still being read (a
    slow database): the keys wait for the list, and `x` ends the enrolment it then shows, not nothing."""
    from tui.app import ArenaApp

    from .test_keys import SlowRead
    from .waiting import until_quiet, wait_until_async

    read = activities.enrolments
    slow = SlowRead(monkeypatch, activities, "enrolments")
    app = ArenaApp(db.open(world.path), "omar.farah", pin=WORLD_PIN)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_quiet(pilot, app)
        app.open_case(world.people[1], "Berg, Björn")
        await until_quiet(pilot, app)
        await slow.typed(app, pilot, "i", "x", "enter")
        assert type(app.screen).__name__ == "EnrolmentScreen"
        await wait_until_async(lambda: read(world.db, "omar.farah", world.people[1])[0].end_date is not None,
                               "the enrolment ended")
    assert [e.end_date for e in read(world.db, "omar.farah", world.people[1])] == [TODAY.isoformat()]


def test_a_login_that_differs_only_in_case_is_the_same_user(world: World, capsys: pytest.CaptureFixture) -> None:
    """`users add Lena.Leder` beside lena.leder made a second user the login picker offered beside the first
    (and `--leader LENA.LEDER` found neither): refused, naming the user that exists."""
    from tui import cli

    for login in ("Lena.Leder", "LENA.LEDER"):
        assert cli.main(["users", "add", login, "--name", "Dubblett", "--role", "leader", "--db", str(world.path),
                         "--user", "setup", "--pin-stdin"]) == 2
        assert capsys.readouterr().err.strip() == "arena: Användaren ”lena.leder” finns redan."
    assert rows(world, "SELECT count(*) FROM caseworker WHERE lower(login) = 'lena.leder'") == [(1,)]


def test_a_missing_option_is_named_as_missing_before_the_pin_is_asked(world: World,
                                                                      capsys: pytest.CaptureFixture) -> None:
    """`users add omar` without --name asked the PIN and then said only "Fel användning: --name"."""
    from tui import cli

    for argv, said in ((["users", "add", "ny.person"], "arena: Fel användning: --name behövs."),
                       (["users", "role", "omar.farah"], "arena: Fel användning: --role behövs."),
                       (["users", "reset-pin"], "arena: Fel användning: LOGIN behövs."),
                       (["users", "add", "ny.person", "--lang", "en"], "arena: Bad usage: --name is required.")):
        assert cli.main([*argv, "--db", str(world.path)]) == 2, argv  # (no PIN given: it was not asked)
        assert capsys.readouterr().err.strip() == said


def test_enrol_says_a_mistyped_check_digit_as_find_does(world: World, capsys: pytest.CaptureFixture) -> None:
    """`arena enrol 19850314-1238 …` said "Ingen deltagare med …" where find and report name the check digit."""
    from store import identity
    from tui import cli

    from store import cases

    cases.register(world.db, "setup", cases.NewParticipant("Åsa", "Öberg", "K", "2026-11-02",
                                                           personnummer="19090527-1474"))
    (activity,), = rows(world, "SELECT name FROM activity WHERE id = ?", world.activity_id)
    right = identity.parse("19090527-1474").formatted()
    wrong = right[:-1] + str((int(right[-1]) + 1) % 10)
    assert cli.main(["enrol", wrong, activity, "--from", "2026-11-24", "--db", str(world.path), "--user", "setup",
                     "--pin-stdin"]) == 2
    assert capsys.readouterr().err.strip() == f"arena: Kontrollsiffran stämmer inte – menade du {right}?"
