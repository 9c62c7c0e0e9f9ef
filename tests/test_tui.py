"""The screens, driven by a Pilot pressing real keys, checked on the SQLite file afterwards."""
from __future__ import annotations

import datetime as dt

import pytest

from store import db, dbfile
from tui.app import ArenaApp

from .conftest import DEMO_PIN, PIN, TODAY, World, rows
from .waiting import record_notices, until_quiet, wait_until_async


async def settle(pilot, app: ArenaApp, rounds: int = 3) -> None:  # noqa: ANN001
    """Wait until the app is quiet: messages handled, writes committed, reads answered, no debounce pending
    (a condition, not a fixed time; `rounds` is kept for callers and no longer needed)."""
    await until_quiet(pilot, app)


def count(world: World, sql: str, *params: object) -> int:
    con = dbfile.connect(world.path)
    try:
        return con.execute(sql, params).fetchone()[0]
    finally:
        con.close()


def make_app(world: World, login: str = "omar.farah") -> ArenaApp:
    """The app as `login` with the world's PIN given up front (the store checks it); tests of the PIN
    prompt itself start an app without one."""
    app = ArenaApp(db.open(world.path), login, pin=PIN)
    record_notices(app)  # app.notices: every notification shown, kept after its toast timed out
    return app


class Keys:
    """Presses keys and counts them, so a test can assert how many a task took."""

    def __init__(self, pilot) -> None:  # noqa: ANN001
        self.pilot = pilot
        self.n = 0

    async def __call__(self, *keys: str) -> None:
        self.n += len(keys)
        await self.pilot.press(*keys)


async def test_every_f_key_opens_its_screen(world: World) -> None:
    """Each F key opens its screen, one after the other in one app (a start per key was most of the cost)."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        for key, screen in (("f1", "HelpScreen"), ("escape", "OverviewScreen"), ("f2", "SearchScreen"),
                            ("f3", "AttendanceScreen"), ("f4", "MilestonesScreen"), ("f5", "OverviewScreen")):
            await pilot.press(key)
            await settle(pilot, app)
            assert type(app.screen).__name__ == screen, key
            assert "v. 48" in app.sub_title and "Omar Farah" in app.sub_title


async def test_roll_call_of_25_in_at_most_30_keys(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        press = Keys(pilot)
        await press("f3")
        await settle(pilot, app)
        await press("enter")
        await settle(pilot, app)
        for _ in range(25):
            await press("n")
        await settle(pilot, app)
        assert press.n <= 30
        assert count(world, "SELECT count(*) FROM attendance WHERE date = ? AND status = 'present'"
                     " AND recorded_by = 'omar.farah'", TODAY.isoformat()) == 25
        assert count(world, "SELECT count(*) FROM change_log WHERE tbl = 'attendance'") == 25
        assert "25/25" in str(app.screen.query_one("#roll-header").render())
        assert str(app.screen.query_one("#sessions").get_cell(world.activity_id, "marked")) == "25/25"


async def test_escape_leaves_the_name_filter_and_the_roll_call_keys_work_again(world: World) -> None:
    """Found by a tester of #21: Escape in the roll call's name filter left the filter (with no match, an
    empty list) in place and the footer without the roll call's keys."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_roll_call(pilot, app)
        await pilot.press("slash", *"ingen sadan", "escape")
        await settle(pilot, app)
        box = app.screen.query_one("#roll-filter")
        assert box.has_class("hidden") and box.value == ""
        assert app.screen.focused is app.screen.query_one("#roll")
        assert app.screen.query_one("#roll").row_count == 25
        await pilot.press("n")
        await settle(pilot, app)
        assert count(world, "SELECT count(*) FROM attendance WHERE date = ?", TODAY.isoformat()) == 1


async def test_marks_lay_out_no_line_of_the_roll_call_again(world: World) -> None:
    """The header and the detail line under the roll call follow every key and every saved mark; while
    their text stays on one line they repaint without a new layout of the screen (a layout per key was
    most of a frame in a burst). The detail line still follows the cursor."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_roll_call(pilot, app)
        laid_out: list[str] = []
        for line in app.screen.query("#roll-header, #roll-detail"):
            def refresh(*args, layout: bool = False, _line=line, _refresh=line.refresh, **kwargs):  # noqa: ANN002, ANN003, ANN202
                if layout:
                    laid_out.append(_line.id)
                return _refresh(*args, layout=layout, **kwargs)
            line.refresh = refresh
        await pilot.press("n", "n", "s", "n")
        await settle(pilot, app)
        await pilot.press("up")
        await settle(pilot, app)
        assert laid_out == []
        assert "4/25" in str(app.screen.query_one("#roll-header").render())
        assert "Dahl" in str(app.screen.query_one("#roll-detail").render())
        assert count(world, "SELECT count(*) FROM attendance WHERE date = ?", TODAY.isoformat()) == 4


async def test_undo_typed_right_after_marks_undoes_the_last_one(world: World) -> None:
    """Found typing fast in tmux: n n n ctrl+z undid the second mark, not the third. The undo waits for
    the writes queued before it and then takes the last step; a step was kept only once a message about
    it had reached the screen, so the marks committed together with the undo's turn were not there yet.
    The write lane is held until all four keys are in, so that every result arrives in one go."""
    import threading

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_roll_call(pilot, app)
        gate = threading.Event()
        app.write_lane.submit(lambda: gate.wait(10), lambda _: None, lambda _: None)
        await pilot.press("n", "n", "n", "ctrl+z")
        gate.set()
        await settle(pilot, app)
        marked = dbfile.connect(world.path).execute(
            "SELECT p.last_name FROM attendance a JOIN participant p ON p.id = a.participant_id"
            " WHERE a.date = ? ORDER BY p.last_name", (TODAY.isoformat(),)).fetchall()
        assert marked == [("Andersson",), ("Berg",)]
        assert "2/25" in str(app.screen.query_one("#roll-header").render())


async def test_a_name_filter_puts_the_cursor_on_its_first_unmarked_person(world: World) -> None:
    """Found typing fast in tmux: with the cursor further down, '/ Kar Enter n' marked the third match
    (the cursor kept its row number). A filter, and leaving it, put the cursor on the first person shown
    not yet marked."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_roll_call(pilot, app)
        await pilot.press("n", "down", "down", "down", "down")
        await settle(pilot, app)
        await pilot.press("slash", *"a", "enter", "n")
        await settle(pilot, app)
        roll = app.screen.query_one("#roll")
        marked = [r[0] for r in dbfile.connect(world.path).execute(
            "SELECT p.last_name || ', ' || p.first_name FROM attendance a JOIN participant p ON p.id = a.participant_id"
            " WHERE a.date = ? ORDER BY a.rowid", (TODAY.isoformat(),))]
        shown = [roll.people[pid].name for pid in roll.visible_ids()]
        assert len(marked) == 2 and len(shown) > 5
        assert marked[1] == next(name for name in shown if name != marked[0])  # the first shown not marked before
        await pilot.press("slash", "escape")
        await settle(pilot, app)
        assert roll.current() is not None and roll.current().mark is None
        assert roll.cursor_row == roll._first_unmarked()


async def test_mark_keys_undo_all_present_and_cancel(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_roll_call(pilot, app)
        await pilot.press("s", "b", "o")
        await settle(pilot, app)
        await pilot.press("d")
        await settle(pilot, app)
        await pilot.press("2", ".", "5", "enter")
        await settle(pilot, app)
        statuses = dbfile.connect(world.path).execute(
            "SELECT p.last_name, a.status, a.hours FROM attendance a JOIN participant p ON p.id = a.participant_id"
            " ORDER BY p.last_name").fetchall()
        assert statuses == [("Andersson", "sick", 0.0), ("Berg", "vab", 0.0), ("Carlsson", "unexcused", 0.0),
                            ("Dahl", "partial", 2.5)]
        await pilot.press("ctrl+z")
        await settle(pilot, app)
        assert count(world, "SELECT count(*) FROM attendance") == 3
        await pilot.press("ctrl+z", "ctrl+z")
        await settle(pilot, app)
        assert count(world, "SELECT count(*) FROM attendance") == 1
        await pilot.press("A")
        await settle(pilot, app)
        assert "24" in str(app.screen.query_one(".dialog-question").render())
        await pilot.press("y")
        await settle(pilot, app)
        assert count(world, "SELECT count(*) FROM attendance WHERE status = 'present'") == 24
        await pilot.press("x")
        await settle(pilot, app)
        assert "25 markeringar sparas" in str(app.screen.query_one(".dialog-question").render())
        await pilot.press("y")
        await settle(pilot, app)
        assert count(world, "SELECT count(*) FROM attendance") == 25  # kept, counted for nothing
        assert count(world, "SELECT count(*) FROM session_cancel") == 1
        await pilot.press("ctrl+z")  # undoes the cancellation: the marks count again
        await settle(pilot, app)
        assert count(world, "SELECT count(*) FROM session_cancel") == 0
        await pilot.press("ctrl+z")  # undoes all present, whole
        await settle(pilot, app)
        assert count(world, "SELECT count(*) FROM attendance") == 1
        await pilot.press("ctrl+z")  # and the first mark, three steps back
        await settle(pilot, app)
        assert count(world, "SELECT count(*) FROM attendance") == 0


async def test_a_future_day_refuses_marks_with_a_message(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        await pilot.press("right_square_bracket")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("n")
        await settle(pilot, app)
        assert count(world, "SELECT count(*) FROM attendance") == 0
        messages = [n.message for n in app.notices]
        assert any("EJ SPARAT" in m and "inte hänt än" in m for m in messages), messages


async def test_a_holiday_shows_its_name_and_no_sessions(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_TODAY", "2026-12-25")
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        assert "Juldagen" in str(app.screen.query_one("#session-empty").render())
        assert app.screen.query_one("#sessions").row_count == 0


async def test_search_opens_own_case_without_reason_and_logs_the_view(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f2")
        await pilot.press(*"asa aberg")
        await settle(pilot, app)
        table = app.screen.query_one("#results")
        assert table.row_count == 1
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "CaseCardScreen"
        assert "Åberg, Åsa" in str(app.screen.query_one("#card-header").render())
        assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'view' AND reason = ''") == 1


async def test_outside_caseload_asks_for_a_reason_escape_shows_nothing(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f2")
        await pilot.press(*"andersson", "enter")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ChoiceDialog"
        await pilot.press("escape")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "SearchScreen"
        assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'view'") == 0
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("down", "enter")  # the first common reason, chosen (Enter alone picks nothing)
        await settle(pilot, app)
        assert type(app.screen).__name__ == "CaseCardScreen"
        assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'view' AND reason LIKE 'Vikarierar%'"
                     " AND detail = 'outside caseload'") == 1


async def test_the_registration_and_edit_forms_show_every_field_when_they_open(world: World) -> None:
    """At 120x40 each form opens with all its fields in sight: each row of two fields (first and last name)
    took the whole dialog, and the fields below were out of sight until tabbed to. (The registration's
    buttons are below its fields, a scroll away; ^s saves from any field, and the bottom line says so.)"""
    from textual.widgets import Input

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        for open_form, name in (("f2 ctrl+n", "RegisterScreen"), ("edit", "EditScreen")):
            if open_form == "edit":
                await pilot.press("escape")
                await settle(pilot, app)
                app.open_case(world.people[1], "Berg, Björn")
                await settle(pilot, app)
                await pilot.press("ctrl+e")
            else:
                await pilot.press(*open_form.split())
            await settle(pilot, app)
            form = app.screen
            assert type(form).__name__ == name
            shown = form.find_widget(form.query_one(".form")).region  # the dialog's part of the screen
            for widget in form.query(Input):
                assert shown.contains_region(form.find_widget(widget).region), (name, widget.id)


async def test_a_form_dialog_opens_at_its_top_at_80x24(world: World) -> None:
    """F5, u, Ctrl+N at 80x24: the new user's form opens with its question and first field's label in sight
    (it opened scrolled down to the first field, the question and the label above it out of sight)."""
    app = make_app(world, login="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("f5", "u")
        await settle(pilot, app)
        await pilot.press("ctrl+n")
        await settle(pilot, app)
        form = app.screen
        assert type(form).__name__ == "FormDialog"
        shown = form.find_widget(form.query_one(".form-dialog")).region
        question = form.query_one(".dialog-question")
        assert shown.contains_region(form.find_widget(question).region), "the question is out of sight"
        assert form.focused is form.query("Input").first()


async def test_registration_form_explains_a_bad_number_and_saves_a_good_one(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("f2", "ctrl+n")
        await settle(pilot, app)
        await pilot.press(*"19781227-3138")
        await settle(pilot, app)
        assert "kontrollsiffran" in str(app.screen.query_one("#reg-number-error").render())
        await pilot.press(*["backspace"] * 1, "9", "tab")
        assert "19781227-3139" in str(app.screen.query_one("#reg-number-error").render())
        await pilot.press(*"Hassan", "tab", *"Östberg", "tab", "M", "ctrl+s")
        await settle(pilot, app)
        await settle(pilot, app)
        assert count(world, "SELECT count(*) FROM participant WHERE personnummer = '197812273139'") == 1
        assert type(app.screen).__name__ == "CaseCardScreen"


async def test_a_person_registered_to_another_caseworker_is_named_in_the_reason_question(world: World) -> None:
    """Registered with another caseworker's name in the form, the new person lies outside one's caseload:
    the card asks the logged reason first, naming the person just registered (it said "—")."""
    from .test_keys import type_fast

    app = make_app(world)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", "ctrl+n", *"19900101-0025", "tab", *"Ada", "tab", *" Nyqvist ", "tab", "K",
                        "tab", "tab", "enter", "k", "enter", "ctrl+s")
        assert type(app.screen).__name__ == "ChoiceDialog", type(app.screen).__name__
        assert str(app.screen.question).startswith("Nyqvist, Ada ligger utanför din ärendelista"), app.screen.question
    assert rows(world, "SELECT c.login FROM participant p JOIN caseworker c ON c.id = p.caseworker_id"
                       " WHERE p.last_name = 'Nyqvist'") == [("karin.ek",)]


async def open_roll_call(pilot, app: ArenaApp) -> None:  # noqa: ANN001
    """F3, and Enter on the first session: its roll call open."""
    await settle(pilot, app)
    await pilot.press("f3")
    await settle(pilot, app)
    await pilot.press("enter")
    await settle(pilot, app)


async def open_board(pilot, app: ArenaApp) -> str:  # noqa: ANN001
    """F4, and the id of the person under the cursor."""
    await settle(pilot, app)
    await pilot.press("f4")
    await settle(pilot, app)
    board = app.screen.query_one("#board")
    return board.coordinate_to_cell_key(board.cursor_coordinate).row_key.value


async def test_f4_achieve_and_plan_next(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        pid = await open_board(pilot, app)
        await pilot.press("a")
        await settle(pilot, app)
        await pilot.press("enter")  # achieved today
        await settle(pilot, app)
        await pilot.press("enter")  # the suggested next stage
        await settle(pilot, app)
        await pilot.press("enter")  # planned in two weeks
        await settle(pilot, app)
        rows = dbfile.connect(world.path).execute(
            "SELECT stage_code, status, planned_date FROM milestone WHERE participant_id = ? ORDER BY updated_at, "
            "rowid", (pid,)).fetchall()
        assert rows[0][:2] == ("anvisning", "achieved")
        assert rows[-1] == ("kartlaggning", "planned", (TODAY + dt.timedelta(days=14)).isoformat())


async def test_f4_escape_in_the_next_step_saves_nothing_and_says_so(world: World) -> None:
    """Found by a tester of #21: Escape on the next-step question after `a` dropped the achievement
    without a word."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        pid = await open_board(pilot, app)
        before = dbfile.connect(world.path).execute(
            "SELECT stage_code, status FROM milestone WHERE participant_id = ? ORDER BY rowid", (pid,)).fetchall()
        await pilot.press("a")
        await settle(pilot, app)
        await pilot.press("enter")  # achieved today
        await settle(pilot, app)
        await pilot.press("escape")  # no next step after all
        await settle(pilot, app)
        said = [str(n.message) for n in app.notices]
        assert any("inget sparades" in m for m in said), said
        after = dbfile.connect(world.path).execute(
            "SELECT stage_code, status FROM milestone WHERE participant_id = ? ORDER BY rowid", (pid,)).fetchall()
        assert after == before


async def test_f4_exit_with_outcome(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        pid = await open_board(pilot, app)
        await pilot.press("e")
        await settle(pilot, app)
        await pilot.press("down", "enter")  # studier
        await settle(pilot, app)
        await pilot.press("enter")  # today
        await settle(pilot, app)
        question = str(app.screen.query_one(".dialog-question").render())
        assert "Studier" in question and TODAY.isoformat() in question  # the confirmation names what happens
        assert count(world, "SELECT count(*) FROM participant WHERE id = ? AND status = 'exited'", pid) == 0
        await pilot.press("y")
        await settle(pilot, app)
        assert count(world, "SELECT count(*) FROM participant WHERE id = ? AND status = 'exited'"
                     " AND exit_outcome = 'studier'", pid) == 1
        assert app.screen.query_one("#board").row_count == 19


async def test_f5_item_opens_the_case_card(world: World) -> None:
    from store import attendance

    attendance.mark(world.db, "omar.farah", world.people[1], world.activity_id, dt.date(2026, 11, 23), "unexcused")
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f5")
        await settle(pilot, app)
        app.screen.query_one("#ov-unexcused").focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "CaseCardScreen"
        assert app.screen.participant.id == world.people[1]


async def test_f5_counts_stand_under_their_right_aligned_headers_in_english(world: World) -> None:
    """"Marked" (shorter than "Markerade") stood right-aligned three columns right of its values."""
    from rich.text import Text
    from textual.widgets import DataTable

    from tui.text import set_language

    set_language("en")
    try:
        app = make_app(world)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, app)
            await pilot.press("f5")
            await settle(pilot, app)
            table = app.screen.query_one("#ov-sessions", DataTable)
            header = table.ordered_columns[table.get_column_index("marked")].label
            cell = table.get_row_at(0)[table.get_column_index("marked")]
            assert str(header) == "Marked" and header.justify == "right"
            assert isinstance(cell, Text) and cell.justify == "right" and str(cell).endswith("/25"), repr(cell)
    finally:
        set_language("sv")


# ------------------------------------------------------------------------------------------ snapshots

def snapshot_app(world: World) -> ArenaApp:
    from store import attendance

    for i, status in enumerate(("present", "sick", "partial", "unexcused", "vab")):
        attendance.mark(world.db, "omar.farah", world.people[i], world.activity_id, dt.date(2026, 11, 23), status,
                        hours=3 if status == "partial" else None)
    return make_app(world)


def pressing(app: ArenaApp, keys: list[str]):  # noqa: ANN201
    """A snapshot's run_before: settle, press each key and settle; then hold text cursors steady (a
    blinking one would make the picture depend on the moment it is taken)."""
    from textual.widgets import Input

    async def before(pilot) -> None:  # noqa: ANN001
        await settle(pilot, app)
        for key in keys:
            await pilot.press(key)
            await settle(pilot, app)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await settle(pilot, app)

    return before


@pytest.mark.parametrize("keys", [["f3", "enter"], ["f3", "w"], ["f4"], ["f5"]],
                         ids=["roll_call", "week_grid", "milestones", "overview"])
def test_snapshot(world: World, snap_compare, keys: list[str]) -> None:  # noqa: ANN001
    app = snapshot_app(world)
    assert snap_compare(app, terminal_size=(120, 36), run_before=pressing(app, keys))


async def test_report_dialog_writes_my_caseload_for_a_chosen_period(world: World) -> None:
    """F5, R: the dialog asks for the period, whom and the format; the file is named for what it holds,
    owner-only, and the run is in the access log."""
    from pypdf import PdfReader

    app = make_app(world)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, app)
        await pilot.press("f5", "R")
        await settle(pilot, app)
        assert app.screen.query_one("#rep-month").value == "2026-11"
        await pilot.press("tab", *"2026-11-16", "tab", *"2026-11-24", "ctrl+s")
        await settle(pilot, app)
        assert any("rapporter" in n.message for n in app.notices)
    path = world.path.parent / "rapporter" / "narvarorapport-2026-11-16--2026-11-24-handlaggare-omar.farah.pdf"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert len(PdfReader(path).pages) >= 20  # 20 of Omar's people, a page each
    assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'report'") == 1


async def test_report_dialog_refuses_a_backwards_period_in_place(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f5", "R")
        await settle(pilot, app)
        await pilot.press("tab", *"2026-11-24", "tab", *"2026-11-01", "enter")
        await settle(pilot, app)
        assert "slutar före" in str(app.screen.query_one("#rep-error").render())
        await pilot.press("escape")
        await settle(pilot, app)
    assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'report'") == 0


async def test_f4_enter_offers_the_milestone_actions(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        pid = await open_board(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ChoiceDialog"
        await pilot.press("down", "enter")  # p: set planned date
        await settle(pilot, app)
        await pilot.press(*["backspace"] * 10, *"2026-12-01", "enter")
        await settle(pilot, app)
    assert count(world, "SELECT count(*) FROM milestone WHERE participant_id = ? AND planned_date = '2026-12-01'",
                 pid) == 1


async def test_identity_vectors_through_the_search_box(world: World) -> None:
    """A sample of the shared vectors, one of each way a number is written (with a dash, with the plus of
    someone past 100, a samordningsnummer, one without a birth date), typed into the search box at full
    speed, finds its person; an invalid one finds nobody. Every vector goes through `cases.search`, the
    function the box calls, in tests/test_cases.py."""
    import json

    from store import cases

    from .conftest import DATA
    from .test_keys import type_fast

    vectors = json.loads((DATA / "personnummer.json").read_text(encoding="utf-8"))
    valid = {case["input"]: case for kind in ("valid_personnummer", "valid_samordningsnummer",
                                              "valid_samordningsnummer_unknown_birth_date") for case in vectors[kind]}
    picked = [valid[number] for number in ("570428-9999", "090527+1474", "202107919967", "850560-1230")]
    ids = {}
    for i, case in enumerate(picked):
        ids[case["input"]] = cases.register(world.db, "setup", cases.NewParticipant(
            first_name="Vektor", last_name=f"Nummer{i}", gender="X", referral_date="2026-10-01",
            personnummer=case["input"]))
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f2")
        await settle(pilot, app)
        for case in picked:
            box = app.screen.query_one("#search-input")
            box.value = ""
            await type_fast(pilot, app, *case["input"])
            assert box.value == case["input"]
            table = app.screen.query_one("#results")
            assert table.row_count >= 1
            first = table.coordinate_to_cell_key((0, 0)).row_key.value
            assert first == ids[case["input"]], case
        box = app.screen.query_one("#search-input")
        box.value = ""
        await type_fast(pilot, app, *vectors["invalid"][1])
        assert box.value == vectors["invalid"][1]
        assert app.screen.query_one("#results").row_count == 0
        for bad in (vectors["invalid"][0], vectors["invalid"][2]):
            box.value = bad
            await settle(pilot, app)
            assert app.screen.query_one("#results").row_count == 0


async def test_exit_right_after_start_leaves_no_error(demo_db) -> None:  # noqa: ANN001
    """Quitting while the first screen's reads are still running must not turn their answers into errors."""
    app = ArenaApp(db.open(demo_db), "anna.lind", pin=DEMO_PIN, exit_after_ready=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until_async(lambda: not app.is_running, "the app to close by itself once ready")
    log_file = demo_db.parent / "arena.log"
    assert not log_file.exists() or "CRITICAL" not in log_file.read_text(encoding="utf-8")
    assert app.return_code in (0, None)


@pytest.mark.parametrize("login,keys", [("omar.farah", ["ctrl+l"]), ("setup", ["g"])], ids=["lock", "access_review"])
def test_snapshot_of_the_guarded_screens(world: World, snap_compare, login: str, keys: list[str]) -> None:  # noqa: ANN001
    from store import changes

    with world.db.write("karin.ek") as tx:  # a fixed time, so the picture does not change with the clock
        changes.insert(tx, "audit_event", {"at": "2026-11-24T09:12:00", "user_login": "karin.ek", "action": "view",
                                           "participant_id": world.people[1], "reason": "Vikarierar för Omar",
                                           "detail": "outside caseload"})
    app = make_app(world, login=login)
    assert snap_compare(app, terminal_size=(120, 36), run_before=pressing(app, keys))


async def test_report_on_everyone_asks_a_reason_then_writes_and_logs_each_outside(world: World) -> None:
    """F5, R, whom: everyone – beyond Omar's caseload. The dialog asks why (Escape writes nothing); with a
    reason the report is written and the read of each person outside the caseload is logged with it."""
    app = make_app(world)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, app)
        for attempt in ("escape", "down enter"):
            await pilot.press("f5", "R")
            await settle(pilot, app)
            await pilot.press("tab", "tab", "tab", "enter", "down", "down", "enter")  # whom: everyone
            await settle(pilot, app)
            assert str(app.screen.query_one("#rep-scope").value) == "all"
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert type(app.screen).__name__ == "ChoiceDialog"
            await pilot.press(*attempt.split())  # Escape: nothing; ↓ Enter: the first listed reason
            await settle(pilot, app)
            if attempt == "escape":
                assert not (world.path.parent / "rapporter").exists() or not any((world.path.parent / "rapporter").iterdir())
                assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'report'") == 0
        assert any("rapporter" in n.message for n in app.notices)
    files = list((world.path.parent / "rapporter").iterdir())
    assert len(files) == 1 and oct(files[0].stat().st_mode & 0o777) == "0o600"
    outside = count(world, "SELECT count(*) FROM participant WHERE caseworker_id IS NOT (SELECT id FROM caseworker"
                           " WHERE login = 'omar.farah')")
    assert outside > 0
    assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'report' AND detail = 'outside caseload'"
                        " AND reason LIKE 'Vikarierar%'") == outside


async def test_registering_a_probable_duplicate_asks_then_opens_the_existing_or_creates_anyway(world: World) -> None:
    """Ctrl+S on the form asks 'Menade du …?' when the store finds a probable duplicate (one dialog flow):
    Escape goes back to the form with everything typed and writes nothing; the existing person opens its
    card; 'create anyway' registers the new one and logs the override. Keys typed right after Ctrl+S land in
    the question, never in the form beneath."""
    from store import cases, staff

    from .test_keys import type_fast

    omar = staff.by_login(world.db, "omar.farah")
    existing = cases.register(world.db, "setup", cases.NewParticipant(
        "Hassan", "Östberg", "M", "2026-09-01", personnummer="19781227-3139", caseworker_id=omar.id))
    people = "SELECT count(*) FROM participant WHERE birth_date = '1978-12-27'"
    app = make_app(world)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot, app)
        # the same name and birth date, another number: Escape typed right behind Ctrl+S closes the question
        await type_fast(pilot, app, "f2", "ctrl+n", *"19781227-3147", "tab", *"Hassan", "tab", *"Östberg", "tab", "M",
                        "ctrl+s", "escape")
        assert type(app.screen).__name__ == "RegisterScreen"
        assert app.screen.query_one("#reg-first").value == "Hassan" and count(world, people) == 1
        # again: the existing person is the first option; Enter opens its card
        await type_fast(pilot, app, "ctrl+s", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen" and app.screen.participant.id == existing
        assert count(world, people) == 1
        # once more, and 'create anyway' (the last option)
        await type_fast(pilot, app, "escape", "ctrl+n", *"19781227-3147", "tab", *"Hassan", "tab", *"Östberg", "tab",
                        "M", "ctrl+s", "down", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen" and app.screen.participant.id != existing
    assert count(world, people) == 2
    assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'create_despite_duplicate'") == 1


async def test_a_ctrl_s_typed_before_the_form_has_its_caseworkers_registers_with_the_one_it_then_shows(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The registration form reads the caseworkers in a thread (the user's own is chosen for them). A
    whole form typed ahead with Ctrl+S, while that read is slow: the keys wait until the form shows its
    caseworker, so the person is registered with the caseworker shown (the user), never with a blank one
    the form had not filled in yet (once in ~10 runs before: a new person outside everyone's caseload)."""
    from store import staff

    from .test_keys import SlowRead

    slow = SlowRead(monkeypatch, staff, "all_caseworkers")
    omar = staff.by_login(world.db, "omar.farah")
    app = make_app(world)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot, app)

        def nothing_reached_the_form() -> None:
            assert type(app.screen).__name__ == "RegisterScreen" and app.screen.query_one("#reg-number").value == "", \
                "a key reached the form before it was filled in"

        await slow.typed(app, pilot, "f2", "ctrl+n", *"19900101-0025", "tab", *"Ada", "tab", *"Lind", "tab", "K",
                         "ctrl+s", meanwhile=nothing_reached_the_form)
        await wait_until_async(lambda: type(app.screen).__name__ == "CaseCardScreen", "the new person's card")
        await settle(pilot, app)
    assert rows(world, "SELECT caseworker_id FROM participant WHERE first_name = 'Ada'") == [(omar.id,)]


async def test_the_roll_call_header_stays_one_line_at_120_columns_with_a_long_name(world: World) -> None:
    """A long activity name and a two-digit count ("· 12/25 markerade"): the header keeps to one line, the
    day line giving up its year and week first, the name then shortened keeping its group ("g2"), never
    the count or "markerade"; after a resize to 80 too."""
    from store import activities

    activities.edit(world.db, "setup", world.activity_id, name="Arbetsträning lager och second hand grupp 2 förmiddag")
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press(*["n"] * 12)
        await settle(pilot, app)
        header = app.screen.query_one("#roll-header")
        text = str(header.render())
        assert "12/25 markerade" in text and "tis 24 nov" in text and "g2" in text and "v. 48" not in text, text
        assert header.size.height == 1, text
        await pilot.resize_terminal(80, 24)
        await settle(pilot, app)
        await wait_until_async(lambda: "tis 24 nov" not in str(header.render()) and header.size.height == 1,
                               "the header refitted")
        assert "12/25 markerade" in str(header.render()) and "g2" in str(header.render())
