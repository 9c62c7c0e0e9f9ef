"""The qa21 tester's findings 1 and 6-12 (issue 21): a cancelled session's hours in the närvarorapport and
the export, the CLI's find with no hits, and the dialogs and footers a caseworker and a leader press keys in.
Through the real parts: the CLI as `arena` runs it, the Pilot pressing keys, then the database."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from store import attendance, cases

from .conftest import PIN, TODAY, World
from .inprocess import arena

MONDAY = TODAY - dt.timedelta(days=1)


def _report_weeks(world: World, pid: str, login: str = "karin.ek") -> list[dict[str, str]]:
    number = cases.get(world.db, login, pid).personnummer or pid
    done = arena("report", "narvaro", "--from", MONDAY.isoformat(), "--to", TODAY.isoformat(), "--participant",
                 number, "--format", "csv", "--dialect", "rfc4180", "--db", str(world.path), "--user", login,
                 "--pin-stdin", stdin=f"{PIN}\n")
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout.lstrip("\ufeff"))))


def test_a_cancelled_session_is_planned_for_nobody_and_its_marks_are_shown_as_cancelled(world: World) -> None:
    """qa21 1: Monday and Tuesday at 6 h; Tuesday's session is cancelled with the person marked present: the
    report plans 6 and counts 0 attended (the kept mark counts for nothing), the export says the mark belongs to
    a cancelled session; un-cancelled, 12 planned and the mark's 6 back."""
    pid = world.people[0]  # Karin Ek's
    attendance.mark(world.db, "lena.leder", pid, world.activity_id, TODAY, "present")
    before = _report_weeks(world, pid)
    planned, attended = before[0]["Planerade timmar"], before[0]["Närvarotimmar"]
    assert (planned, attended) == ("12", "6"), before[0]

    assert attendance.cancel_session(world.db, "lena.leder", world.activity_id, TODAY, "Personalbrist") >= 1
    with world.db.read() as conn:  # the mark is kept
        assert conn.exec_driver_sql("SELECT status FROM attendance WHERE participant_id = ? AND date = ?",
                                    (pid, TODAY.isoformat())).scalar() == "present"
    during = _report_weeks(world, pid)
    assert (during[0]["Planerade timmar"], during[0]["Närvarotimmar"]) == ("6", "0"), during[0]
    exported = arena("export", "--what", "attendance", "--format", "jsonl", "--reason", "Kontroll av inställt pass",
                     "--db", str(world.path), "--user", "setup", "--pin-stdin", stdin=f"{PIN}\n")
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    mine = [r for r in rows if r["participant_id"] == pid and r["date"] == TODAY.isoformat()]
    assert [(r["status"], r["cancelled"]) for r in mine] == [("present", 1)]
    assert all(r["cancelled"] == 0 for r in rows if r["date"] != TODAY.isoformat())

    attendance.uncancel_session(world.db, "lena.leder", world.activity_id, TODAY)
    after = _report_weeks(world, pid)
    assert (after[0]["Planerade timmar"], after[0]["Närvarotimmar"]) == ("12", "6"), after[0]


async def test_the_reason_for_an_outside_case_is_chosen_or_typed_never_taken_by_enter_alone(world: World) -> None:
    """qa21 7: on the reason dialog Enter alone picks nothing (it says to choose), a letter typed on the list
    goes to the text field with the keys after it, a one-letter reason is refused in place; a typed reason of
    three words opens the case and is what the access log holds."""
    from tui.app import ArenaApp
    from store import db

    from .test_tui import count, settle

    app = ArenaApp(db.open(world.path), "omar.farah", pin=PIN)
    views = "SELECT count(*) FROM audit_event WHERE action = 'view'"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f2", *"andersson", "enter")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ChoiceDialog"
        await pilot.press("enter")  # nothing chosen
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ChoiceDialog"
        assert "Välj en anledning" in str(app.screen.query_one("#choice-error").render())
        await pilot.press("x", "enter")  # a stray letter: kept in the field, refused as a reason
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ChoiceDialog"
        assert app.screen.query_one("#choice-text").value == "x"
        assert "minst tre" in str(app.screen.query_one("#choice-error").render())
        assert count(world, views) == 0
        await pilot.press("backspace", *"Ringde om sin plan", "enter")  # typed at full speed
        await settle(pilot, app)
        assert type(app.screen).__name__ == "CaseCardScreen"
        assert count(world, views + " AND reason = 'Ringde om sin plan' AND detail = 'outside caseload'") == 1
        assert count(world, views) == 1


async def test_a_reason_typed_fast_on_the_list_keeps_its_first_letter(world: World) -> None:
    """A reason typed at full speed straight on the list (no option highlighted): the first letter moves the
    focus to the text field and every letter after it follows, the first one kept whole."""
    from tui.app import ArenaApp
    from store import db

    from .test_keys import type_fast
    from .test_tui import count, settle

    app = ArenaApp(db.open(world.path), "omar.farah", pin=PIN)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *"andersson", "enter", "enter", *"Vikarierar för Omar", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen"
    assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'view' AND reason = 'Vikarierar för Omar'"
                 " AND detail = 'outside caseload'") == 1


async def test_a_listed_reason_is_chosen_with_the_arrows(world: World) -> None:
    """qa21 7: ↓ Enter picks the first listed reason, and the access log holds it."""
    from tui.app import ArenaApp
    from store import db

    from .test_tui import count, settle

    app = ArenaApp(db.open(world.path), "omar.farah", pin=PIN)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f2", *"andersson", "enter")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("down", "enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "CaseCardScreen"
        assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'view' AND reason LIKE 'Vikarierar%'"
                     " AND detail = 'outside caseload'") == 1


async def test_a_milestone_date_before_the_referral_is_refused_where_it_is_typed(world: World) -> None:
    """qa21 6: `a` on F4 (the card shares the keys), a date before the referral (2026-09-01): refused in the
    first dialog, the typed date kept, nothing saved; then `p` with such a date likewise; a good date goes on."""
    from tui.app import ArenaApp
    from store import db, dbfile

    from .test_tui import open_board, settle

    def milestones(pid: str) -> list[tuple]:
        con = dbfile.connect(world.path)
        try:
            return con.execute("SELECT stage_code, status, planned_date, achieved_date FROM milestone"
                               " WHERE participant_id = ? ORDER BY rowid", (pid,)).fetchall()
        finally:
            con.close()

    app = ArenaApp(db.open(world.path), "omar.farah", pin=PIN)
    async with app.run_test(size=(120, 40)) as pilot:
        pid = await open_board(pilot, app)
        before = milestones(pid)
        await pilot.press("a")
        await settle(pilot, app)
        await pilot.press(*"2025-01-01", "enter")  # the dialog's date is selected: typing replaces it
        await settle(pilot, app)
        assert type(app.screen).__name__ == "PromptDialog"
        assert app.screen.query_one("#prompt-input").value == "2025-01-01"
        assert "före anvisningen 2026-09-01" in str(app.screen.query_one("#prompt-error").render())
        await pilot.press("escape")
        await settle(pilot, app)
        assert milestones(pid) == before
        await pilot.press("p")
        await settle(pilot, app)
        await pilot.press(*"2026-08-31", "enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "PromptDialog"
        assert app.screen.query_one("#prompt-input").value == "2026-08-31"
        await pilot.press("ctrl+a", "ctrl+k", *"2026-09-01", "enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "MilestonesScreen"
        assert milestones(pid)[-1][2] == "2026-09-01"


def test_find_without_a_match_says_so_and_exits_1_a_wrong_check_digit_names_the_number_and_exits_2(
        world: World) -> None:
    """qa21 9: `arena find` as F2 says it: no match is one line and exit 1 (stdout empty, or [] in JSON); a
    number whose check digit is wrong names the number meant, exit 2 (bad input); a match exits 0."""
    cases.update(world.db, "omar.farah", world.people[1], personnummer="19900405-4657")

    def find(*args: str) -> tuple[int, str, str]:
        done = arena("find", *args, "--db", str(world.path), "--user", "omar.farah", "--pin-stdin", stdin=f"{PIN}\n")
        return done.returncode, done.stdout, done.stderr

    assert find("RES") == (1, "", "arena: Inga träffar.\n")
    assert find("zzzz", "--format", "json") == (1, "[]\n", "arena: Inga träffar.\n")
    code, out, err = find("19900405-4658")
    assert (code, out) == (2, "") and err == "arena: Kontrollsiffran stämmer inte – menade du 19900405-4657?\n"
    code, out, err = find("19900405-4657")
    assert code == 0 and "Berg" in out and err == ""
    assert arena("--lang", "en", "find", "zzzz", "--db", str(world.path), "--user", "omar.farah", "--pin-stdin",
                 stdin=f"{PIN}\n").stderr == "arena: No matches.\n"


def test_the_gallring_question_names_whole_people() -> None:
    """qa21 11: the question before gallring lists whole names and says how many more, never 'Al-Hashimi, )?'."""
    from tui.cli.programme import _whole_names

    names = [f"Al-Hashimi{i}, Fatima Zahra" for i in range(20)]
    said = _whole_names(names)
    assert said.endswith(" till") and all(part.endswith("Fatima Zahra") for part in said.rsplit(" och ", 1)[0].split("; "))
    shown = said.count("Fatima Zahra")
    assert 1 <= shown < 20 and said.endswith(f"och {20 - shown} till")
    assert _whole_names(["Berg, Ali", "Ek, Eva"]) == "Berg, Ali; Ek, Eva"


async def test_the_exit_question_names_the_person_from_its_first_step(world: World) -> None:
    """qa21 12: `e` on F4: the outcome question names the person (the confirmation did already)."""
    from tui.app import ArenaApp
    from store import db

    from .test_tui import open_board, settle

    app = ArenaApp(db.open(world.path), "omar.farah", pin=PIN)
    async with app.run_test(size=(120, 40)) as pilot:
        pid = await open_board(pilot, app)
        person = cases.get(world.db, "omar.farah", pid)
        await pilot.press("e")
        await settle(pilot, app)
        question = str(app.screen.query_one(".dialog-question").render())
        assert question.startswith("Avsluta") and person.first_name in question and person.last_name in question, question
        await pilot.press("escape")
