"""A caseworker's day through the Pilot, typed at full speed, with the database checked after every step."""
from __future__ import annotations

from textual.widgets import Input

from store import activities

from .conftest import TODAY, World, rows
from .test_keys import type_fast
from .test_tui import make_app, settle


def today_marks(world: World) -> list[tuple]:
    return rows(world, "SELECT p.last_name, t.status FROM attendance t JOIN participant p ON p.id = t.participant_id"
                       " WHERE t.date = ? ORDER BY p.last_name", TODAY.isoformat())


async def test_a_caseworkers_day(world: World) -> None:
    jobbsok = activities.create(world.db, "setup", "Jobbsök", kind="jobbsök", leader_login="lena.leder", sessions=[
        activities.parse_session("fm=08:30-12:00/3.5,3.5,3.5,3.5,3.5/12"),
        activities.parse_session("em=13:00-16:00/3,3,3,3,3/12")])
    em = rows(world, "SELECT id FROM activity_session WHERE activity_id = ? AND name = 'em'", jobbsok)[0][0]
    app = make_app(world, "omar.farah")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        # logged in as Omar; nothing written by starting
        assert app.user is not None and app.user.login == "omar.farah"
        assert rows(world, "SELECT count(*) FROM attendance") == [(0,)]

        # the morning roll call: three marks
        await type_fast(pilot, app, "f3", "enter", "n", "n", "s")
        assert today_marks(world) == [("Andersson", "present"), ("Berg", "present"), ("Carlsson", "sick")]

        # a refusal: tomorrow cannot be marked, the cursor stays on the person and the row says why
        await type_fast(pilot, app, "right_square_bracket")
        roll = app.screen.query_one("#roll")
        before = roll.cursor_row
        await type_fast(pilot, app, "n")
        assert roll.cursor_row == before
        said = str(roll.get_row_at(before)[-1])  # the row's few whole words (qa21 8: never '2026-11-2')
        width = roll.ordered_columns[-1].get_render_width(roll) - 2 * roll.cell_padding
        assert said == "Ej hänt än" and len(said) <= width, (said, width)
        assert rows(world, "SELECT count(*) FROM attendance WHERE date > ?", TODAY.isoformat()) == [(0,)]
        await type_fast(pilot, app, "t")

        # cancel and un-cancel: the three marks are kept throughout
        await type_fast(pilot, app, "x", "y")
        assert rows(world, "SELECT count(*) FROM session_cancel") == [(1,)] and len(today_marks(world)) == 3
        await type_fast(pilot, app, "x", "y")
        assert rows(world, "SELECT count(*) FROM session_cancel") == [(0,)] and len(today_marks(world)) == 3

        # all present, then undo of all present: back to the three, whole
        await type_fast(pilot, app, "A", "y")
        assert len(today_marks(world)) == 25
        await type_fast(pilot, app, "ctrl+z")
        assert today_marks(world) == [("Andersson", "present"), ("Berg", "present"), ("Carlsson", "sick")]

        # a new participant registered (the card opens)
        await type_fast(pilot, app, "f2", "ctrl+n", "tab", *"Lars", "tab", *"Ahmed", "tab", "M", "ctrl+s")
        found = rows(world, "SELECT id FROM participant WHERE first_name = 'Lars' AND last_name = 'Ahmed'")
        assert len(found) == 1
        lars = found[0][0]
        assert type(app.screen).__name__ == "CaseCardScreen" and app.screen.participant.id == lars

        # enrolled from the card (`i`, Ctrl+N) in Jobbsök's afternoon session, from today
        await type_fast(pilot, app, "i", "ctrl+n")
        assert type(app.screen).__name__ == "ChoiceDialog"
        labels = [label for _, label in app.screen.options]
        em_at = next(i for i, label in enumerate(labels) if label.startswith("Jobbsök em"))
        await type_fast(pilot, app, *["down"] * em_at, "enter", "ctrl+s")
        assert rows(world, "SELECT e.session_id, e.start_date FROM enrolment e WHERE e.participant_id = ?", lars) == [
            (em, TODAY.isoformat())]
        await type_fast(pilot, app, "escape", "escape")

        # marked in the afternoon session: its roll call, found by the filter in any name order
        await type_fast(pilot, app, "f3", "escape")
        sessions = app.screen.query_one("#sessions")
        order = [row.key.value for row in sessions.ordered_rows]
        steps = order.index(em) - sessions.cursor_row
        await type_fast(pilot, app, *(["down"] * steps if steps > 0 else ["up"] * -steps), "enter",
                        "slash", *"ahmed lars", "enter", "n")
        assert rows(world, "SELECT status, session_id, recorded_by FROM attendance WHERE participant_id = ?", lars) == [
            ("present", em, "omar.farah")]
        assert rows(world, "SELECT count(*) FROM attendance WHERE participant_id = ? AND session_id != ?", lars, em) \
            == [(0,)]

        # the week grid of the afternoon session shows the week, Lars marked today
        await type_fast(pilot, app, "w")
        assert type(app.screen).__name__ == "WeekGridScreen" and app.screen.session_id == em
        week = app.screen.query_one("#week")
        assert week.rows_by_id[lars].marks[TODAY.isoformat()].status == "present"
        await type_fast(pilot, app, "escape")

        # a case outside the caseload: a one-letter reason is refused, a few words are logged
        await type_fast(pilot, app, "f2", "ctrl+a", "backspace", *"andersson", "enter", "enter")
        assert type(app.screen).__name__ == "ChoiceDialog"
        await type_fast(pilot, app, "end", "enter", "x", "enter")
        assert type(app.screen).__name__ == "ChoiceDialog"
        assert rows(world, "SELECT count(*) FROM audit_event WHERE action = 'view' AND reason != ''") == [(0,)]
        await type_fast(pilot, app, "backspace", *"ringde om sin praktik", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen"
        assert rows(world, "SELECT reason, participant_id FROM audit_event WHERE action = 'view' AND reason != ''") \
            == [("ringde om sin praktik", world.people[0])]

        # milestones on the card, typed at once: the referral's next stage planned, then achieved today
        await type_fast(pilot, app, "a", "enter", "enter", "enter")
        assert rows(world, "SELECT stage_code, status FROM milestone WHERE participant_id = ? ORDER BY rowid",
                    world.people[0]) == [("anvisning", "achieved"), ("kartlaggning", "planned")]
        await type_fast(pilot, app, "a", "enter", "enter", "enter")
        assert rows(world, "SELECT status, achieved_date FROM milestone WHERE participant_id = ?"
                           " AND stage_code = 'kartlaggning'", world.people[0]) == [("achieved", TODAY.isoformat())]

        # the monthly report for the caseload, from F5
        await type_fast(pilot, app, "f5", "R", "ctrl+s")  # the dialog: this month, my caseload, PDF
        for _ in range(100):
            if rows(world, "SELECT count(*) FROM audit_event WHERE action = 'report'") == [(1,)]:
                break
            await settle(pilot, app, rounds=1)
        assert rows(world, "SELECT count(*) FROM audit_event WHERE action = 'report'") == [(1,)]
        report = world.path.parent / "rapporter" / "narvarorapport-2026-11-handlaggare-omar.farah.pdf"
        assert report.exists() and oct(report.stat().st_mode & 0o777) == "0o600"
        assert app.screen.query(Input) is not None


async def test_f5_opens_a_sessions_roll_call_and_the_keys_typed_after_enter_mark_it(world: World) -> None:
    """Enter on a session of F5's day list opens F3 on that session's roll call (a message the roll call's
    screen handles): the first time, while F3's screen is still being built, and again once it exists;
    marks typed right after Enter land on that roll call, in order."""
    jobbsok = activities.create(world.db, "setup", "Jobbsök", kind="jobbsök", leader_login="lena.leder", sessions=[
        activities.parse_session("fm=08:30-12:00/3.5,3.5,3.5,3.5,3.5/12"),
        activities.parse_session("em=13:00-16:00/3,3,3,3,3/12")])
    people = [r[0] for r in rows(world, "SELECT id FROM participant ORDER BY last_name, first_name")]
    fm, em = (rows(world, "SELECT id FROM activity_session WHERE activity_id = ? AND name = ?", jobbsok, name)[0][0]
              for name in ("fm", "em"))
    for name, group in (("fm", people[:4]), ("em", people[4:8])):
        for pid in group:
            activities.enrol(world.db, "setup", pid, jobbsok, TODAY, session=name)
    app = make_app(world, "omar.farah")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        listed = app.screen.query_one("#ov-sessions")
        keys = [row.key.value for row in listed.ordered_rows]
        assert "s:" + fm in keys and "s:" + em in keys, keys
        moves = ["down"] * keys.index("s:" + fm)
        await type_fast(pilot, app, *moves, "enter", "n", "s")
        assert type(app.screen).__name__ == "AttendanceScreen" and app.screen.session_id == fm
        assert rows(world, "SELECT session_id, status FROM attendance ORDER BY status") == [
            (fm, "present"), (fm, "sick")]

        await type_fast(pilot, app, "f5")
        listed = app.screen.query_one("#ov-sessions")
        at = [row.key.value for row in listed.ordered_rows].index("s:" + em)
        steps = at - listed.cursor_row
        await type_fast(pilot, app, *(["down"] * steps if steps > 0 else ["up"] * -steps), "enter", "n")
        assert app.screen.session_id == em
        assert rows(world, "SELECT count(*) FROM attendance WHERE session_id = ?", em) == [(1,)]
