"""Every key goes to what was on screen when it was pressed: sequences typed at full speed (all keys
queued at once, nothing waited for in between), then the database is checked."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input, Select, TabbedContent

from store import attendance, dbfile, staff
from tui.app import ArenaApp

from .conftest import PIN, TODAY, World, footer_keys, rows
from .test_tui import count, make_app, open_board, settle
from .waiting import eventually


def _char(key: str) -> str | None:
    return {"space": " ", "tab": "\t", "enter": "\r", "full_stop": "."}.get(key, key if len(key) == 1 else None)


def _event(key: str) -> events.Key:
    """The event a terminal sends for `key`: a key's name ("enter", "f5", "full_stop") or one character
    ("/" and " " get their names, "slash" and "space", as the Pilot gives them)."""
    if len(key) == 1 and not key.isalnum():
        return events.Key(_character_to_key(key), key)
    return events.Key(key, _char(key))


async def type_fast(pilot, app: ArenaApp, *keys: str) -> None:  # noqa: ANN001
    """Queue every key at once, as a fast typist's terminal does, and only then wait."""
    for key in keys:
        event = _event(key)
        event.set_sender(app)
        app._driver.send_message(event)
    for _ in range(200):
        await settle(pilot, app, rounds=1)
        if not app.keys_waiting() and not app.opening:
            break
    await settle(pilot, app)


async def paste(pilot, app: ArenaApp, text: str) -> None:  # noqa: ANN001
    """`text` pasted into the focused field, as a terminal sends a paste (a path or an address typed a key
    at a time is seconds of waiting in a test), then wait until the field holds it."""
    from textual.widgets import Input

    app._driver.send_message(events.Paste(text))
    await eventually(pilot, lambda: isinstance(app.focused, Input) and app.focused.value.endswith(text),
                     f"{text!r} in the focused field")


# the marks by the person's surname, with the columns asked for
BY_NAME = ("SELECT p.last_name, {} FROM attendance a JOIN participant p ON p.id = a.participant_id"
           " ORDER BY p.last_name")


def marks(world: World) -> list[tuple]:
    con = dbfile.connect(world.path)
    try:
        return con.execute("SELECT p.last_name, a.status, a.hours, a.date FROM attendance a"
                           " JOIN participant p ON p.id = a.participant_id ORDER BY a.date, p.last_name").fetchall()
    finally:
        con.close()


async def test_dialog_keys_typed_ahead_keep_their_digits(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", "o", "d", "3", "enter", "d", "2", "full_stop", "5", "enter", "n")
        day = TODAY.isoformat()
        assert marks(world) == [("Andersson", "unexcused", 0.0, day), ("Berg", "partial", 3.0, day),
                                ("Carlsson", "partial", 2.5, day), ("Dahl", "present", 6.0, day)]


async def test_code_choice_and_note_typed_ahead_land_in_their_dialogs(world: World) -> None:
    """g asks the absence code and m the note, each awaited by a dialog flow: keys typed while a dialog
    opens land in it, those after its Enter after it, in order; Escape in either saves nothing."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", "g", "down", "enter", "up", "m", *"sen", "enter",
                        "m", "x", "escape", "g", "escape", "down", "n")
        assert rows(world, BY_NAME.format("a.status, a.reason_code, a.note")) == [
            ("Andersson", "excused", "MYNDIGHET", "sen"), ("Berg", "present", None, "")]


async def test_a_note_typed_right_after_a_new_mark_is_for_the_new_mark(world: World) -> None:
    """m right behind a mark still on its way to the disk (shown "Sparar…") waits for it: the note lands
    on the mark typed, never on the one shown before it (which it would then put back)."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", "n")
        await type_fast(pilot, app, "up", "s", "up", "m", *"sen", "enter")
        assert rows(world, BY_NAME.format("a.status, a.note")) == [("Andersson", "sick", "sen")]


async def test_undo_of_a_code_typed_right_after_a_new_mark_puts_back_the_new_mark(world: World) -> None:
    """g (a code dialog) right behind s still on its way: Ctrl+Z undoes the code and shows the sick mark,
    the one it replaced, not the mark shown when g was pressed; a second Ctrl+Z undoes the sick mark."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", "n")
        await type_fast(pilot, app, "up", "s", "up", "g", "enter")

        def andersson() -> list[tuple]:
            return rows(world, BY_NAME.format("a.status"))

        assert andersson() == [("Andersson", "excused")]
        await type_fast(pilot, app, "ctrl+z")
        assert andersson() == [("Andersson", "sick")]
        await type_fast(pilot, app, "ctrl+z")
        assert andersson() == [("Andersson", "present")]


async def test_a_mark_typed_right_after_all_present_stays_shown_as_saved(world: World) -> None:
    """A (all present), Enter, then s at once: the roll call read again after A must not show the sick
    mark's row as it was before s was saved. What is on screen is what is written."""
    from tui.screens.attendance import RollTable

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", "A", "enter", "s", "s", "o")
        roll = app.screen.query_one(RollTable)

        def shown_and_saved() -> tuple[dict, dict]:
            con = dbfile.connect(world.path)
            try:
                saved = dict(con.execute("SELECT participant_id, status FROM attendance").fetchall())
            finally:
                con.close()
            return {pid: r.mark.status for pid, r in roll.people.items() if r.mark}, saved

        await eventually(pilot, lambda: app.write_lane.settled() and not app.opening, "every write shown")
        shown, saved = shown_and_saved()
        assert sorted(saved.values()).count("present") == 22 and shown == saved


async def test_f4_achieved_with_no_next_stage_typed_ahead(world: World) -> None:
    """The stage choice's last option, no next stage: achieved, nothing new planned (the choice is a typed
    NextStage, not an empty code)."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        pid = await open_board(pilot, app)
        await type_fast(pilot, app, "a", "enter", "end", "enter")
        assert rows(world, "SELECT stage_code, status FROM milestone WHERE participant_id = ? ORDER BY rowid",
                    pid) == [("anvisning", "achieved")]


async def test_day_change_moves_the_roll_call_with_it(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        # Tuesday's roll call, one mark; [ goes to Monday and the next mark is Monday's
        await type_fast(pilot, app, "f3", "enter", "n", "left_square_bracket", "n")
        assert marks(world) == [("Andersson", "present", 6.0, "2026-11-23"), ("Andersson", "present", 6.0, TODAY.isoformat())]
        header = str(app.screen.query_one("#roll-header").render())
        assert "mån 23 nov" in header and "Arbetsträning café" in header
        # [ again: over the weekend to Friday's roll call, and the keys after it mark it
        await type_fast(pilot, app, "left_square_bracket", "n", "s")
        assert [(m[0], m[1], m[3]) for m in marks(world) if m[3] == "2026-11-20"] == [
            ("Andersson", "present", "2026-11-20"), ("Berg", "sick", "2026-11-20")]
        assert "fre 20 nov" in str(app.screen.query_one("#roll-header").render())


async def test_a_day_without_the_session_closes_the_roll_call_and_a_key_records_nothing(
        world: World, monkeypatch) -> None:  # noqa: ANN001
    """[ from the Monday after Christmas: over the weekend to Christmas Day, which has no session: the
    roll call closes (no key may mark a day it is not held) and the keys after it record nothing, and
    say so once (they went into the session list without a word)."""
    monkeypatch.setenv("ARENA_TODAY", "2026-12-28")
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", "left_square_bracket", "n", "s")
        assert app.screen.day == dt.date(2026, 12, 25)
        assert marks(world) == []
        assert "Välj ett pass" in str(app.screen.query_one("#roll-header").render())
        assert [n.message for n in app.notices if n.severity == "warning"] == ["Inga pass den här dagen."]


async def test_a_refused_mark_keeps_the_cursor_and_says_why(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", "n", "x", "enter")
        assert count(world, "SELECT count(*) FROM session_cancel") == 1
        roll = app.screen.query_one("#roll")
        before = roll.cursor_row
        await type_fast(pilot, app, "n", "n", "s")
        assert roll.cursor_row == before  # nobody skipped
        assert str(roll.get_row_at(before)[-1]) == "Inställt"  # a few whole words (qa21 8)
        assert marks(world) == [("Andersson", "present", 6.0, TODAY.isoformat())]  # kept through the cancel


async def test_f2_after_a_case_card_lands_in_the_search_field(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        # Berg is in omar's caseload: the card opens without a reason
        await type_fast(pilot, app, "f2", *"berg", "enter", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen"
        await type_fast(pilot, app, "f2", *"karin")
        assert type(app.screen).__name__ == "SearchScreen"
        assert app.screen.query_one("#search-input", Input).value == "karin"
        assert count(world, "SELECT count(*) FROM audit_event WHERE action = 'report'") == 0


async def test_card_keys_work_the_moment_it_opens(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *"berg", "enter", "enter", "ctrl+n", *"Ringde om tid", "enter")
        assert count(world, "SELECT count(*) FROM note WHERE text = 'Ringde om tid'") == 1
        footer_keys = {k for k, b in app.screen.active_bindings.items() if b.binding.show}
        assert {"a", "p", "c", "e", "ctrl+n", "r"} <= footer_keys


async def test_tab_typed_fast_moves_to_the_next_field(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", "ctrl+n", "tab", *"Lars", "tab", *"Ahmed", "tab", "M", "ctrl+s")
        assert count(world, "SELECT count(*) FROM participant WHERE first_name = 'Lars' AND last_name = 'Ahmed'") == 1


async def test_f_on_f5_switches_to_the_figures_and_back(world: World) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f5", "F")
        assert app.screen.query_one(TabbedContent).active == "tab-figures"
        # the filters are read by a worker of the screen (caseworkers, sites, activities; this world has no sites)
        filled = [f"#fig-{name}" for name in ("cw", "activity")]
        await eventually(pilot, lambda: all(len(app.screen.query_one(f, Select)._options) > 1 for f in filled),
                         "the figures' filters")
        await type_fast(pilot, app, "F")
        assert app.screen.query_one(TabbedContent).active == "tab-myday"
        await type_fast(pilot, app, "f")
        assert app.screen.query_one(TabbedContent).active == "tab-figures"


async def test_a_burst_of_marks_is_drawn_row_by_row(world: World) -> None:
    """The roll call repaints only the rows a saved mark changed (tui.screens.attendance.RollTable
    .update_cell): what is drawn on each line, not only the table's data, shows every saved mark, the
    person under the cursor and the ones not yet marked — also after moving back over them."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", *"nnsnbno")
        await pilot.pause()
        roll = app.screen.query_one("#roll")

        def drawn(row: int) -> str:
            return roll.render_line(row + roll.header_height - roll.scroll_offset.y).text

        expected = ["närvarande", "närvarande", "sjuk", "närvarande", "vab", "närvarande", "ogiltig"]
        for row, word in enumerate(expected):
            assert word in drawn(row).lower(), (row, drawn(row))
        assert "närvarande" not in drawn(len(expected)).lower() and roll.cursor_row == len(expected)
        await type_fast(pilot, app, "up", "up", "s")  # over the drawn rows and back: each one repainted
        await pilot.pause()
        assert "sjuk" in drawn(5).lower() and "närvarande" in drawn(3).lower()
        assert len(marks(world)) == len(expected)


async def test_a_burst_of_twenty_marks_typed_ahead_lands_whole(world: World) -> None:
    """Mark keys typed ahead are handed to the roll call without waiting for the screen (tui.app: keys
    typed ahead) and saved in shared commits: twenty keys at full speed end as exactly those twenty marks,
    person by person in the list's order, in the database and drawn on screen; a key after Escape (not
    one typed ahead) goes where Escape sent the focus, and marks nobody."""
    app = make_app(world)
    keys = "nsbonsbonsnnsbonsbon"
    words = {"n": "närvarande", "s": "sjuk", "b": "vab", "o": "ogiltig"}
    statuses = {"n": "present", "s": "sick", "b": "vab", "o": "unexcused"}
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", *keys, "escape", "n", "n")
        roll = app.screen.query_one("#roll")
        assert not roll.has_focus
        con = dbfile.connect(world.path)
        try:
            saved = dict(con.execute("SELECT participant_id, status FROM attendance WHERE date = ?",
                                     (TODAY.isoformat(),)).fetchall())
        finally:
            con.close()
        assert saved == {pid: statuses[key] for pid, key in zip(roll.order, keys)}
        for row, key in enumerate(keys):
            line = roll.render_line(row + roll.header_height - roll.scroll_offset.y).text.lower()
            assert words[key] in line, (row, line)
        # one "saved" line for the burst (the last mark's), under the roll call while the person highlighted
        # has no mark (the cursor moved on to the 21st); no toast, which lay over the last rows at 80x24
        detail = app.screen.query_one("#roll-detail")
        await eventually(pilot, lambda: "Sparat" in str(detail.content), "the saved line")
        assert words[keys[-1]] in str(detail.content).lower() and roll.current().mark is None, str(detail.content)
        assert not any("Sparat" in str(n.message) for n in app.notices)


def test_a_released_key_is_a_key_and_knows_when_a_widget_took_it() -> None:
    """tui.app.ArenaApp._delivered waits until a key is stopped (a widget took it) or reached the app:
    the key the pump hands on is handled as any key (`on_key`) and remembers the public `stop()`."""
    from textual import events

    from tui.app import ReleasedKey

    key = ReleasedKey("a", "a")
    assert isinstance(key, events.Key) and key.handler_name == "on_key" and not key.stopped
    assert key.stop() is key and key.stopped
    key.stop(False)
    assert not key.stopped


async def first_roll_call(pilot, app: ArenaApp):  # noqa: ANN001, ANN201
    """F3, Enter: the first session's roll call, open and shown."""
    await settle(pilot, app)
    await type_fast(pilot, app, "f3", "enter")
    await settle(pilot, app)
    return app.screen.query_one("RollTable")


async def test_a_mark_made_in_the_week_grid_is_shown_on_the_roll_call_it_was_opened_from(world: World) -> None:
    """w opens the week grid over the roll call; a mark made there is on the roll call when Escape
    returns to it, and a key typed right after Escape acts on that, not on the roll call as it was."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        assert roll.session_id is not None and app.screen.focused is roll
        await type_fast(pilot, app, "w")
        assert type(app.screen).__name__ == "WeekGridScreen"
        await type_fast(pilot, app, "s")
        sick = rows(world, "SELECT participant_id FROM attendance WHERE status = 'sick' AND date = ?",
                    TODAY.isoformat())
        assert len(sick) == 1
        person = sick[0][0]
        await type_fast(pilot, app, "escape")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "AttendanceScreen"
        assert roll.people[person].mark is not None and roll.people[person].mark.status == "sick"
        assert app.screen.focused is roll


async def test_f12_keeps_the_open_roll_call_and_the_search_typed_and_the_keys_after_it_act_there(
        world: World) -> None:
    """F12 builds the screens anew in the other language: an open roll call stays open (the marks typed
    after F12 land on it, in order) and what was typed in the search stays typed."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        session, first = roll.session_id, roll.order[0]
        await type_fast(pilot, app, "f12", "n", "f12", "s")
        assert app.screen.query_one("RollTable").session_id == session
        marked = dict(rows(world, "SELECT participant_id, status FROM attendance WHERE session_id = ? AND date = ?",
                           session, TODAY.isoformat()))
        assert marked[first] == "present" and sorted(marked.values()) == ["present", "sick"], marked
        await type_fast(pilot, app, "f2", *"ande")
        await settle(pilot, app)
        await type_fast(pilot, app, "f12")
        await settle(pilot, app)
        await type_fast(pilot, app, *"rs")
        await settle(pilot, app)
        assert app.screen.query_one("#search-input", Input).value == "anders"


def queue_keys(app: ArenaApp, *keys: str) -> None:
    """Keys the terminal has sent, nothing waited for (the app may be held up on purpose)."""
    for key in keys:
        event = _event(key)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_f12_while_a_mark_is_still_being_saved_shows_it_and_the_next_key_marks_the_next_person(
        world: World, monkeypatch) -> None:  # noqa: ANN001
    """Found typing F12 among marks: the roll call built anew was read before the mark typed just before
    F12 was committed, so it showed that person unmarked with the cursor on them, and the next key marked
    them again. The new roll call is read once the marks typed before it are saved; the keys wait."""
    import threading

    from store import attendance

    gate = threading.Event()
    mark_many = attendance.mark_many

    def slow_disk(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 -- in the write lane's thread
        gate.wait(30)
        return mark_many(*args, **kwargs)

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        session, (first, second, third) = roll.session_id, roll.order[:3]
        old = app.screen
        monkeypatch.setattr(attendance, "mark_many", slow_disk)
        queue_keys(app, "n", "f12", "s")
        await eventually(pilot, lambda: app.screen is not old and (app.keys_waiting() or app.write_lane.pending()),
                         "F12's new screen up and s typed, n still being saved")
        gate.set()
        await settle(pilot, app)
        marked = dict(rows(world, "SELECT participant_id, status FROM attendance WHERE session_id = ? AND date = ?",
                           session, TODAY.isoformat()))
        assert marked == {first: "present", second: "sick"}
        roll = app.screen.query_one("RollTable")
        assert roll.people[first].mark.status == "present" and roll.current().participant_id == third
        await type_fast(pilot, app, "ctrl+z", "ctrl+z")  # both undone: the step of n came over with F12
        assert rows(world, "SELECT count(*) FROM attendance WHERE session_id = ? AND date = ?",
                    session, TODAY.isoformat()) == [(0,)]


async def test_a_key_typed_while_f12s_roll_call_is_read_waits_for_it(world: World, monkeypatch) -> None:  # noqa: ANN001
    """F12 builds the roll call anew: a key typed meanwhile waits for it however long its read takes (typed
    at random moments among marks, a key reached the new screen between its sessions and its roll call,
    the roll call opened without holding the keys because its focus was not given yet: the hold now
    follows from opening the roll call, not from where the focus is)."""
    import threading

    from store import attendance

    gate = threading.Event()
    roll_call = attendance.roll_call

    def slow_read(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 -- in a worker
        gate.wait(30)
        return roll_call(*args, **kwargs)

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        session, first = roll.session_id, roll.order[0]
        old = app.screen
        monkeypatch.setattr(attendance, "roll_call", slow_read)
        queue_keys(app, "f12", "n")
        await eventually(pilot, lambda: app.screen is not old and app.screen.sessions,
                         "F12's new screen showing its sessions, its roll call being read")
        gate.set()
        await settle(pilot, app)
        assert rows(world, "SELECT participant_id, status FROM attendance WHERE session_id = ? AND date = ?",
                    session, TODAY.isoformat()) == [(first, "present")]


async def test_f12_keeps_the_cursor_on_the_person_it_was_on(world: World) -> None:
    """F12 builds the roll call anew with the cursor where it was: the key typed next marks that person,
    not the first one not yet marked."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        session, fourth = roll.session_id, roll.order[3]
        await type_fast(pilot, app, "down", "down", "down", "f12", "s")
        assert rows(world, "SELECT participant_id, status FROM attendance WHERE session_id = ? AND date = ?",
                    session, TODAY.isoformat()) == [(fourth, "sick")]


async def test_undoing_one_mark_puts_the_cursor_back_on_its_person(world: World) -> None:
    """Found by a tester: s, Ctrl+Z, n marked the next person, the cursor having moved on after s. Undoing
    one mark puts the cursor back on its person, so the right key lands where the wrong one did."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        first = roll.current().participant_id
        await type_fast(pilot, app, "s")
        await settle(pilot, app)
        assert roll.current().participant_id != first
        await type_fast(pilot, app, "ctrl+z")
        await settle(pilot, app)
        assert roll.current().participant_id == first
        await type_fast(pilot, app, "n")
        await settle(pilot, app)
        assert rows(world, "SELECT participant_id, status FROM attendance WHERE date = ?",
                    TODAY.isoformat()) == [(first, "present")]


# ------------------------------------------------------------------ found by a tester typing fast (2026-11-24)
def _marks(world: World) -> dict[tuple[str, str], str]:
    return {(pid, day): status for pid, day, status in rows(world, "SELECT participant_id, date, status FROM attendance")}


async def _week_grid(pilot, app: ArenaApp):  # noqa: ANN001, ANN202
    roll = await first_roll_call(pilot, app)
    await type_fast(pilot, app, "w")
    assert type(app.screen).__name__ == "WeekGridScreen"
    return roll


async def _typed_while_a_week_is_read(pilot, app: ArenaApp, monkeypatch, *keys: str) -> None:  # noqa: ANN001
    """`keys` typed at once while the week grid's next read waits (a slow disk), which then goes on."""
    import threading

    from store import attendance

    gate, reading = threading.Event(), threading.Event()
    week_grid = attendance.week_grid

    def slow_read(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 -- in a worker
        reading.set()
        gate.wait(30)
        return week_grid(*args, **kwargs)

    monkeypatch.setattr(attendance, "week_grid", slow_read)
    queue_keys(app, *keys)
    await eventually(pilot, reading.is_set, "the week being read")
    gate.set()
    await settle(pilot, app)


async def test_keys_typed_right_after_w_mark_the_week_grid(world: World, monkeypatch) -> None:  # noqa: ANN001
    """`w Down b` typed at once: the grid opens and b marks the second person today (typed while its
    week was read, the keys reached a grid with no rows, and were lost)."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        second = roll.order[1]
        await _typed_while_a_week_is_read(pilot, app, monkeypatch, "w", "down", "b")
        assert _marks(world) == {(second, TODAY.isoformat()): "vab"}


async def test_keys_typed_after_a_week_change_in_the_grid_mark_the_week_shown(world: World, monkeypatch) -> None:  # noqa: ANN001
    """`[ Down o` in the week grid marks last week's day for the next person, never this week's (the keys
    acted on the grid still showing this week while last week was read)."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await _week_grid(pilot, app)
        second = roll.order[1]
        await _typed_while_a_week_is_read(pilot, app, monkeypatch, "left_square_bracket", "down", "o")
        week_before = (TODAY - dt.timedelta(days=7)).isoformat()
        assert _marks(world) == {(second, week_before): "unexcused"}


async def test_f12_in_the_week_grid_keeps_it_on_the_same_cell(world: World) -> None:
    """F12 in the week grid builds it anew in the other language on the same cell (it closed, and the
    next key marked the roll call beneath); back on the roll call, the mark made there is shown."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await _week_grid(pilot, app)
        second = roll.order[1]
        await type_fast(pilot, app, "down", "f12", "s")
        assert type(app.screen).__name__ == "WeekGridScreen"
        assert _marks(world) == {(second, TODAY.isoformat()): "sick"}
        await type_fast(pilot, app, "escape")
        roll = app.screen.query_one("RollTable")
        assert roll.people[second].mark is not None and roll.people[second].mark.status == "sick"


async def test_f12_while_the_name_filter_is_typed_keeps_it_and_the_letters_after_it_go_on_there(
        world: World) -> None:
    """`/ k a r F12 l Enter n`: the filter keeps "kar", the l after F12 is typed into it, n marks Karl
    Karlsson (F12 threw the filter away and the letters became marks)."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        karlsson = next(pid for pid, row in roll.people.items() if "Karlsson" in row.name)
        await type_fast(pilot, app, "slash", "k", "a", "r", "f12", "l", "enter", "n")
        assert app.screen.query_one("#roll-filter", Input).value == "karl"
        assert _marks(world) == {(karlsson, TODAY.isoformat()): "present"}


async def test_f12_with_a_name_filter_applied_keeps_it_and_the_cursor_moves_among_its_people(world: World) -> None:
    """`/ s s Enter F12 Down o`: the roll call built anew still shows only the filter's people, so Down
    reaches the second of them (F12 dropped the filter: Down reached someone the filter hid)."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_roll_call(pilot, app)
        await type_fast(pilot, app, "slash", "s", "s", "enter", "f12", "down", "o")
        roll = app.screen.query_one("RollTable")
        assert roll.name_filter == "ss" and len(roll.visible_ids()) < len(roll.order)
        assert _marks(world) == {(roll.visible_ids()[1], TODAY.isoformat()): "unexcused"}


async def test_f12_in_a_dialog_says_to_close_it_first_and_the_dialog_goes_on(world: World) -> None:
    """F12 while the hours are asked: one line says to close the dialog first (it was dropped without a
    word), once however often F12 is pressed (three presses stacked three toasts); the hours typed after
    it are saved, the language unchanged."""
    from tui.text import language

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        first = roll.order[0]
        await type_fast(pilot, app, "d", "f12", "f12", "f12", "4", "enter")
        assert [n.message for n in app.notices].count("Stäng dialogen först (Esc), byt sedan språk.") == 1
        assert language() == "sv"
        assert rows(world, "SELECT participant_id, status, hours FROM attendance") == [(first, "partial", 4.0)]


async def test_a_dialog_shows_its_own_keys_along_the_bottom_not_those_of_the_screen_beneath(world: World) -> None:
    """The hours asked over the roll call: the bottom line says Esc Avbryt, what works in the dialog; it
    said `n Närvarande d Delvis …` of the roll call beneath, none of which acts while the dialog is open."""
    from tui.footer import ArenaFooter

    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await first_roll_call(pilot, app)
        await type_fast(pilot, app, "d")
        dialog = app.screen
        assert type(dialog).__name__ == "PromptDialog"
        shown = [(k.key, k.description) for k in footer_keys(dialog)]
        assert shown == [("escape", "Avbryt")]
        bottom = dialog.get_widget_at(0, 23)[0]  # what the person sees on the last line: the dialog's keys
        assert isinstance(bottom, ArenaFooter) and bottom.screen is dialog
        await type_fast(pilot, app, "escape", "f1")  # Help too: its own key, not the roll call's
        assert type(app.screen).__name__ == "HelpScreen"
        assert [(k.key, k.description) for k in footer_keys(app.screen)] == [("escape", "Tillbaka")]
        # and it lists each mark key once, as the roll call's: not also as one row "n / space / d / … Närvarande"
        # (the session list's catch of mark keys typed with no roll call open)
        listed = [b.key for _, bindings in app.screen.sections for b in bindings]
        assert not [key for key in listed if {"n", "d"} <= set(key.split(","))], listed


async def test_ctrl_l_in_a_dialog_locks_and_the_pin_typed_next_goes_to_the_lock_not_the_dialog(world: World) -> None:
    """The hours asked, Ctrl+L, the PIN and Enter typed at once: the screen locks over the dialog, the PIN
    opens it, and the dialog is back as it was, its field empty (Ctrl+L was ignored in a dialog without a
    word and the PIN went into the hours field, in plain sight)."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_roll_call(pilot, app)
        await type_fast(pilot, app, "d", "ctrl+l", *PIN, "enter")
        assert not app.locked
        assert type(app.screen).__name__ == "PromptDialog"
        assert app.screen.query_one("Input").value == ""
        assert rows(world, "SELECT count(*) FROM attendance") == [(0,)]
        await type_fast(pilot, app, "4", "enter")  # the dialog goes on where it was
        assert rows(world, "SELECT status, hours FROM attendance") == [("partial", 4.0)]


async def test_f12_on_another_screen_keeps_the_open_roll_call_its_cursor_and_its_undo(world: World) -> None:
    """A roll call open on F3, one mark made, the cursor moved on; F5, F12, F3 and keys typed at once: F3
    shows the same roll call, `n` marks the person under the cursor, Ctrl+Z undoes the marks made before
    F12 too. (F12 built F3 anew with no roll call: Enter opened the first session and `n` marked its first
    person; the undo steps were gone; found by a tester.)"""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        first = roll.current().participant_id
        await type_fast(pilot, app, "s", "down")  # first sick; the cursor then on the third person
        third = app.screen.query_one("RollTable").current().participant_id
        await type_fast(pilot, app, "f5", "f12", "f3", "n")
        assert _marks(world) == {(first, TODAY.isoformat()): "sick", (third, TODAY.isoformat()): "present"}
        await type_fast(pilot, app, "ctrl+z", "ctrl+z")
        assert _marks(world) == {}


async def test_all_present_right_after_a_mark_still_being_saved_asks_about_those_it_marks(world: World) -> None:
    """`s` then `A` while the sick mark is still on its way to the disk (another program holds the write
    lock): the question counts the 24 others, and A marks those 24 (it asked about 25 and marked 24;
    found by a tester)."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        first = roll.current().participant_id
        lock = dbfile.connect(world.path)
        lock.execute("BEGIN IMMEDIATE")  # the mark waits for the lock: still being saved when A is pressed
        try:
            await pilot.press("s", "A")
            await eventually(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the question of A")
            question = app.screen.question
        finally:
            lock.rollback()
            lock.close()
        assert question.startswith("Markera 24 omarkerade"), question
        await type_fast(pilot, app, "j")
        marks = _marks(world)
        assert marks[(first, TODAY.isoformat())] == "sick"
        assert sorted(marks.values()).count("present") == 24


def _bageri(world: World) -> str:
    """A second activity, Bageri, with the world's first three people: the session list's second line."""
    from store import activities

    other = activities.create(world.db, "setup", "Bageri", (6, 6, 6, 6, 4), kind="arbetsträning", site="Centrum",
                              leader_login="lena.leder")
    for pid in world.people[:3]:
        activities.enrol(world.db, "setup", pid, other, TODAY - dt.timedelta(days=30))
    return other


async def test_a_name_filter_is_not_carried_to_another_sessions_roll_call(world: World) -> None:
    """A filter typed on one roll call hid every person of the next session opened (its people did not
    match), and n did nothing without a word. Opening another session starts without the filter."""
    other = _bageri(world)
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        first_title = app.screen.current_session().title
        await type_fast(pilot, app, "slash", "k", "a", "r", "enter", "escape", "down", "enter", "n")
        roll = app.screen.query_one("RollTable")
        assert app.screen.current_session().title != first_title and roll.name_filter == ""
        assert app.screen.query_one("#roll-filter", Input).value == ""
        marked = rows(world, "SELECT participant_id, session_id FROM attendance")
        assert marked == [(roll.order[0], roll.session_id)]


async def test_the_week_grid_opens_on_the_roll_calls_person_and_day(world: World) -> None:
    """w with the cursor on the third person: the grid's cursor is on that person's cell of the roll
    call's day, so s marks them there (it opened on the first row)."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        third = roll.order[2]
        await type_fast(pilot, app, "down", "down", "w", "s")
        assert type(app.screen).__name__ == "WeekGridScreen"
        assert _marks(world) == {(third, TODAY.isoformat()): "sick"}


async def test_ctrl_z_then_f12_at_once_undoes_switches_and_the_next_key_marks_where_the_undo_left_the_cursor(
        world: World, monkeypatch) -> None:  # noqa: ANN001
    """Found by a tester: `s Ctrl+Z F12` typed at once closed the app (the undo's callbacks ran on the
    screen F12 had replaced: no roll call there), sometimes with the undo not done. Keys now wait for the
    undo to be shown; F12 then rebuilds the screen and n marks the person the undo put the cursor on."""
    import threading

    from store import attendance
    from tui.text import language

    gate, undoing = threading.Event(), threading.Event()
    restore_many = attendance.restore_many

    def slow_undo(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 -- in the write lane's thread
        undoing.set()
        gate.wait(30)
        return restore_many(*args, **kwargs)

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        first = roll.order[0]
        monkeypatch.setattr(attendance, "restore_many", slow_undo)
        queue_keys(app, "s", "ctrl+z", "f12", "n")
        await eventually(pilot, lambda: undoing.is_set() and (language() == "en" or app.keys_waiting()),
                         "the undo being saved, F12 typed")
        gate.set()
        await settle(pilot, app)
        assert app.is_running and language() == "en"
        assert rows(world, "SELECT participant_id, status FROM attendance") == [(first, "present")]


async def test_resizing_keeps_the_session_lists_cursor_on_its_session(world: World) -> None:
    """Found by a tester: a resize put the session list's cursor on the first session while the second's
    roll call was open, so Escape, Enter opened another session and the next key marked someone there."""
    other = _bageri(world)
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_roll_call(pilot, app)
        await type_fast(pilot, app, "escape", "down", "enter")
        assert app.screen.current_session().name == "Bageri"
        await pilot.resize_terminal(80, 24)
        await settle(pilot, app)
        await type_fast(pilot, app, "escape", "enter", "n")
        roll = app.screen.query_one("RollTable")
        assert app.screen.current_session().name == "Bageri"
        assert rows(world, "SELECT participant_id, activity_id FROM attendance") == [(roll.order[0], other)]


def _newcomer(world: World) -> str:
    """Someone enrolled from this Monday: in this week's grid (first, by name), not in last week's."""
    from store import activities, cases

    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    pid = cases.register(world.db, "setup", cases.NewParticipant(
        first_name="Ada", last_name="Aalto", gender="K", referral_date=monday.isoformat(),
        caseworker_id=staff.by_login(world.db, "omar.farah").id, plan=(6, 6, 6, 6, 4)))
    activities.enrol(world.db, "setup", pid, world.activity_id, monday, reason="Ny i gruppen, plats ordnad")
    return pid


async def test_a_week_change_keeps_the_grids_cursor_on_its_person(world: World) -> None:
    """Found by a tester: [ kept the cursor's row number, so with a group that differs from week to week
    the next key marked a neighbour. The cursor stays on its person."""
    _newcomer(world)
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        second = roll.order[1]  # (the newcomer is first)
        await type_fast(pilot, app, "down", "w", "left_square_bracket", "o")
        week_before = (TODAY - dt.timedelta(days=7)).isoformat()
        assert _marks(world) == {(second, week_before): "unexcused"}


async def test_keys_typed_for_someone_not_in_the_week_changed_to_are_dropped_with_a_line(world: World) -> None:
    """[ from a person who is not in last week's group: the key typed for them marks nobody else, and a
    line says why."""
    newcomer = _newcomer(world)
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        assert roll.order[0] == newcomer
        await type_fast(pilot, app, "w", "left_square_bracket", "o")
        assert _marks(world) == {}
        assert any("inte med vecka 47" in n.message for n in app.notices)


async def test_the_day_before_a_monday_is_the_friday_and_keys_after_it_mark_its_roll_call(
        world: World, monkeypatch) -> None:  # noqa: ANN001
    """Found by both testers: [ on a Monday went to Sunday, the roll call closed ("no session that day")
    and the keys after it were lost in the session list. [ and ] step over the weekend."""
    monkeypatch.setenv("ARENA_TODAY", "2026-11-23")
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        first = roll.order[0]
        await type_fast(pilot, app, "left_square_bracket", "n")
        assert app.screen.day == dt.date(2026, 11, 20)
        assert _marks(world) == {(first, "2026-11-20"): "present"}
        await type_fast(pilot, app, "right_square_bracket")
        assert app.screen.day == dt.date(2026, 11, 23)


async def test_undoing_a_mark_the_filter_hides_names_the_person(world: World) -> None:
    """Found by a tester: s on Andersson, then a filter showing only Karlsson, then Ctrl+Z undid
    Andersson's mark with nothing on screen saying whose. The line names the person."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await first_roll_call(pilot, app)
        name = roll.people[roll.order[0]].name
        await type_fast(pilot, app, "s", "slash", "k", "a", "r", "enter", "ctrl+z")
        assert rows(world, "SELECT count(*) FROM attendance") == [(0,)]
        assert any(n.message.startswith("Ångrat") and name in n.message for n in app.notices), app.notices


async def test_a_refused_mark_in_the_week_grid_keeps_the_cursor_on_its_cell(world: World) -> None:
    """`n` on a day the grid shows cannot be marked (tomorrow; yesterday's cancelled session) is refused
    with a line and the cursor stays: the keys after it act on the cell it was on, and nobody below is
    skipped (the cursor went down as if the mark were saved, and the next key marked the person below)."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await _week_grid(pilot, app)
        first, second = roll.order[0], roll.order[1]
        yesterday = TODAY - dt.timedelta(days=1)
        attendance.cancel_session(world.db, "omar.farah", world.activity_id, yesterday, "Sjuk ledare",
                                  session_id=roll.session_id)
        await type_fast(pilot, app, "f5")  # the grid reads the week again when it is shown again
        await type_fast(pilot, app, "f3", "w")
        grid = app.screen.query_one("WeekTable")
        assert grid.current().participant_id == first and grid.current().day == TODAY
        await type_fast(pilot, app, "right", "n", "s")  # Wednesday: not yet
        assert grid.current().participant_id == first and grid.current().day == TODAY + dt.timedelta(days=1)
        await type_fast(pilot, app, "left", "left", "o")  # Monday: cancelled
        assert grid.current().participant_id == first and grid.current().day == yesterday
        await type_fast(pilot, app, "right", "b")  # today: saved, and the cursor goes on to the next person
        assert _marks(world) == {(first, TODAY.isoformat()): "vab"}
        assert grid.current().participant_id == second
        said = [n.message for n in app.notices if n.severity == "error"]
        assert len(said) == 3 and "i förväg" in said[0] and "i förväg" in said[1] and "inställt" in said[2], said


async def test_a_mark_the_store_refuses_in_the_week_grid_puts_the_cursor_back_on_its_cell(world: World) -> None:
    """A refusal the grid could not know (today's session cancelled elsewhere after the week was read):
    the cursor, sent down with the key, comes back to the cell that was not marked."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        roll = await _week_grid(pilot, app)
        first = roll.order[0]
        attendance.cancel_session(world.db, "omar.farah", world.activity_id, TODAY, "Sjuk ledare",
                                  session_id=roll.session_id)
        grid = app.screen.query_one("WeekTable")
        await type_fast(pilot, app, "n")
        assert grid.current().participant_id == first and grid.current().day == TODAY
        assert _marks(world) == {}
        assert any("inställt" in n.message for n in app.notices if n.severity == "error")


async def test_f12_after_escape_left_the_roll_call_keeps_the_keys_on_the_session_list(world: World) -> None:
    """Enter, Escape (back to the session list, the roll call still shown beside it), F12: the screen built
    anew in English still gives the keys to the session list, and n marks nobody (the roll call got the
    focus back, and n marked the person under its cursor, found by a tester at 80×24)."""
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        roll = await first_roll_call(pilot, app)
        session = roll.session_id
        await type_fast(pilot, app, "escape")
        assert type(app.screen.focused).__name__ == "SessionTable"
        await type_fast(pilot, app, "f12", "n")
        assert type(app.screen.focused).__name__ == "SessionTable"
        assert app.screen.query_one("RollTable").session_id == session  # still shown beside the list
        assert _marks(world) == {}
        await type_fast(pilot, app, "enter", "n")  # Enter opens it again: n marks its first person
        assert _marks(world) == {(roll.order[0], TODAY.isoformat()): "present"}


async def test_f12_on_the_figures_keeps_them_shown_and_f_after_it_goes_back_to_min_dag(world: World) -> None:
    """F12 on F5's figures: the screen built anew in English shows the figures too (it came back on "Min
    dag", and an f typed right after it, meant to go back, showed the figures instead)."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f5", "F")
        assert app.screen.query_one(TabbedContent).active == "tab-figures"
        await type_fast(pilot, app, "f12")
        assert app.screen.query_one(TabbedContent).active == "tab-figures"
        await type_fast(pilot, app, "f12", "f")
        assert app.screen.query_one(TabbedContent).active == "tab-myday"


async def test_the_saved_line_never_names_a_mark_taken_back_and_a_clear_typed_ahead_clears(world: World) -> None:
    """Found by a tester at 80x24: after `n s` and ctrl+z typed in one go the line under the roll call said
    "Sparat: Berg – Sjuk" for a mark the undo had taken back; a Delete typed right after a mark, while it
    was being saved, was dropped. Now the line says only a mark still there, and the clear is made after
    the mark it follows. Notices on the roll call stand over the session list, not over its last rows."""
    app = make_app(world)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", "n", "s", "ctrl+z")
        roll = app.screen.query_one("#roll")
        detail = app.screen.query_one("#roll-detail")
        await eventually(pilot, lambda: roll.saved_note is not None, "the burst's saved line")
        await settle(pilot, app)
        assert [m[:2] for m in marks(world)] == [("Andersson", "present")]
        assert roll.cursor_row == 1 and roll.current().mark is None
        assert "Sparat" not in str(detail.content), str(detail.content)  # Berg's Sjuk was taken back
        await type_fast(pilot, app, "n", "up", "delete")  # Berg marked, and cleared while it is saved
        await settle(pilot, app)
        assert [m[:2] for m in marks(world)] == [("Andersson", "present")]
        assert roll.current().mark is None and "Sparat" not in str(detail.content)
        await type_fast(pilot, app, "ctrl+z")  # the clear's undo puts Berg's mark back
        await settle(pilot, app)
        assert [m[:2] for m in marks(world)] == [("Andersson", "present"), ("Berg", "present")]
        toasts = [t for t in app.screen.query("Toast") if t.region]
        assert toasts, "the undo's notice"
        pane = app.screen.query_one("#roll-pane").region
        assert all(t.region.right <= pane.x for t in toasts), ([t.region for t in toasts], pane)



class SlowRead:
    """A store read (`module.name`) that waits, once begun, until `typed` has typed its keys and they can
    go no further (delivered, or held by the app), and only then answers."""

    def __init__(self, monkeypatch, module: object, name: str) -> None:  # noqa: ANN001
        import threading

        self.begun, self.may_end = threading.Event(), threading.Event()
        read = getattr(module, name)

        def slow_read(*args: object) -> object:
            self.begun.set()
            self.may_end.wait(10)
            return read(*args)

        monkeypatch.setattr(module, name, slow_read)

    async def typed(self, app: ArenaApp, pilot, *keys: str, meanwhile: Callable[[], None] = lambda: None) -> None:  # noqa: ANN001
        """`keys` typed at once; `meanwhile()` (asserting what the screen shows) once they can go no further,
        before the read answers; then the app is let run until quiet."""
        from .waiting import wait_until_async

        await wait_until_async(lambda: app.is_running and app._typed is not None, "the app taking keys")
        for key in keys:
            event = _event(key)
            event.set_sender(app)
            app._driver.send_message(event)
        # as far as they go: all delivered, or waiting for the screen on top (not for another's passing hold)
        await wait_until_async(lambda: self.begun.is_set() and (app.keys_waiting() == 0 or any(
            owner is app.screen for owner in app._holds.values())), "the read begun, the keys as far as they go")
        try:
            meanwhile()
        finally:
            self.may_end.set()
        await settle(pilot, app)


async def test_f4_enter_typed_at_once_acts_on_the_first_person_the_board_then_shows(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """F4 Enter typed at once, the board slow to read: Enter asks what to do with the first person on it,
    not lost on an empty board. (Keys typed behind the PIN already wait for a filled "Min dag".)"""
    from store import milestones

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await SlowRead(monkeypatch, milestones, "board").typed(app, pilot, "f4", "enter")
        assert type(app.screen).__name__ == "ChoiceDialog", type(app.screen).__name__


async def test_a_name_typed_on_the_results_after_a_card_searches_anew_never_reopens_the_last(world: World) -> None:
    """Back from a card with Esc the results have the focus: the name typed next was dropped and the Enter
    after it opened the person before again (the access log naming the wrong case). Typed there, it goes
    into the search field as a new search; Enter there goes to its matches, Enter opens the one typed."""
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *"asa aberg", "enter", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen" and "Åberg, Åsa" in str(
            app.screen.query_one("#card-header").render())
        await type_fast(pilot, app, "escape", *"Eva Ek")
        assert app.screen.query_one("#search-input").value == "Eva Ek"
        await type_fast(pilot, app, "enter", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen"
        assert "Ek, Eva" in str(app.screen.query_one("#card-header").render())
        assert rows(world, "SELECT p.first_name FROM audit_event a JOIN participant p ON p.id = a.participant_id"
                           " WHERE a.action = 'view' ORDER BY a.rowid") == [("Åsa",), ("Eva",)]
