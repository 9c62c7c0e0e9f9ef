"""80×24: every screen keeps its columns whole (dropped or wrapped, never cut), and its footer shows whole
keys with F1 (which lists the rest). Checked on the demo database through the Pilot."""
from __future__ import annotations

import pytest
from rich.text import Text
from textual.widgets import DataTable
from tui.footer import ArenaFooter

from store import db
from tui.app import ArenaApp

from .conftest import DEMO_PIN
from .waiting import until_quiet


def cut_cells(table: DataTable) -> list[str]:
    """Cells whose text is longer than their column on a one-line row (Textual cuts those with '…'),
    and columns that end beyond the table's right edge."""
    problems = []
    columns = table.ordered_columns
    if table.id == "roll":  # the roll call at 80 columns: name and mark (the info column scrolls sideways)
        columns = columns[:2]
    widths = [c.get_render_width(table) for c in columns]
    if sum(widths) - table.cell_padding > table.size.width:
        problems.append(f"{table.id}: columns {sum(widths)} wide in {table.size.width}")
    for row_key, row in table.rows.items():
        for column, width in zip(columns, widths):
            cell = table.get_cell(row_key, column.key)
            text = cell.plain if isinstance(cell, Text) else str(cell)
            lines = row.height or 1
            if Text(text).cell_len > (width - 2 * table.cell_padding) * lines:
                problems.append(f"{table.id}: {text!r} in {width - 2} cells × {lines} line(s)")
    return problems


def check_screen(app: ArenaApp) -> list[str]:
    problems = []
    for table in app.screen.query(DataTable):
        if table.display and table.size.width:
            problems += cut_cells(table)
    footer = app.screen.query_one(ArenaFooter)
    line = footer.render().plain  # what the footer draws, one character a cell
    assert footer.shown, "no footer"
    assert footer.region.right <= app.size.width and len(line) <= footer.size.width, (footer.region, line)
    for shown in footer.shown:
        key, drawn = shown.key, line[shown.x:shown.x + shown.width].strip()
        if shown.x + shown.width > footer.size.width or drawn != f"{key.key_display} {key.description}".strip():
            problems.append(f"footer key {key.key_display} {key.description!r} cut ({drawn!r} in {line!r})")
    if not any(s.key.key == "f1" for s in footer.shown):
        problems.append("F1 (every key of the screen) is not in the footer")
    return problems


@pytest.mark.parametrize("login,keys", [
    ("anna.lind", ["f5"]), ("anna.lind", ["f4"]), ("anna.lind", ["f5", "f"]), ("anna.lind", ["f2"]),
    ("lena.leder", ["f3"]), ("lena.leder", ["f3", "enter"]), ("lena.leder", ["f3", "w"]),
], ids=["overview", "milestones", "figures", "search", "sessions", "roll_call", "week_grid"])
async def test_every_screen_at_80x24_cuts_nothing(demo_db, login: str, keys: list[str]) -> None:  # noqa: ANN001
    app = ArenaApp(db.open(demo_db), login, pin=DEMO_PIN)
    async with app.run_test(size=(80, 24)) as pilot:
        await until_quiet(pilot, app)
        for key in keys:
            await pilot.press(key)
            await until_quiet(pilot, app)
        assert check_screen(app) == []
        await pilot.resize_terminal(120, 40)  # and again after the terminal grows
        await until_quiet(pilot, app)
        assert check_screen(app) == []


async def test_week_grid_tells_no_session_from_not_marked_and_shows_late_changed_and_protected(world) -> None:  # noqa: ANN001
    """Week 47 (Mon 16 – Fri 20 Nov; today is Tue 24, so every mark of it is recorded late): Anna is
    marked Monday and then changed; Björn is marked Monday; Cecilia is protected and unmarked; David left
    the session on Monday; Wednesday's session is cancelled."""
    import datetime as dt

    from store import activities, attendance, cases, clock

    from .conftest import TODAY

    monday = clock.week_monday(TODAY) - dt.timedelta(weeks=1)
    anna, bjorn, cecilia, david = world.people[:4]
    attendance.mark(world.db, "lena.leder", anna, world.activity_id, monday, "present")
    attendance.mark(world.db, "lena.leder", anna, world.activity_id, monday, "sick")  # changed
    attendance.mark(world.db, "lena.leder", bjorn, world.activity_id, monday, "present")  # today is Tuesday: late
    cases.update(world.db, "setup", cecilia, protected=True)
    activities.unenrol(world.db, "setup", david, world.activity_id, None, monday)
    attendance.cancel_session(world.db, "lena.leder", world.activity_id, monday + dt.timedelta(days=2), "Personal sjuk")

    rows = {r.participant_id: r for r in attendance.week_grid(world.db, "lena.leder", world.activity_id, monday)}
    mon, tue, wed = (monday + dt.timedelta(days=i) for i in range(3))
    assert rows[anna].edits[mon.isoformat()] == 1 and rows[anna].earlier[mon.isoformat()].status == "present" and rows[anna].marks[mon.isoformat()].status == "sick"
    assert rows[bjorn].marks[mon.isoformat()].late and mon.isoformat() not in rows[bjorn].edits
    assert rows[cecilia].protected and not rows[anna].protected
    assert tue.isoformat() not in rows[cecilia].no_session  # a mark belongs there: "not marked"
    assert rows[david].no_session[tue.isoformat()] == "not_enrolled" and mon.isoformat() not in rows[david].no_session
    assert rows[anna].no_session[wed.isoformat()] == "cancelled"

    app = ArenaApp(db.open(world.path), "lena.leder", pin=__import__("tests.conftest", fromlist=["PIN"]).PIN)
    async with app.run_test(size=(80, 24)) as pilot:
        await until_quiet(pilot, app)
        for key in ("f3", "w", "left_square_bracket"):
            await pilot.press(key)
            await until_quiet(pilot, app)
        table = app.screen.query_one("#week", DataTable)

        def cell(pid: str, day: dt.date) -> str:
            value = table.get_cell(pid, day.isoformat())
            return value.plain if isinstance(value, Text) else str(value)

        assert cell(anna, mon) == "S*′" and cell(bjorn, mon) == "✓*"
        assert cell(cecilia, tue) == "·" and cell(david, tue) == "–" and cell(anna, wed) == "⊘"
        name = table.get_cell(cecilia, "name")
        assert "[SKYDDAD]" in (name.plain if isinstance(name, Text) else str(name))
        table.move_cursor(row=table.get_row_index(david), column=2)
        await until_quiet(pilot, app)
        assert "inget pass" in str(app.screen.query_one("#week-cell").render())
        table.move_cursor(row=table.get_row_index(cecilia), column=2)
        await until_quiet(pilot, app)
        assert "ej markerad" in str(app.screen.query_one("#week-cell").render())
        assert check_screen(app) == []


async def test_a_click_on_a_footer_key_presses_the_key(demo_db) -> None:  # noqa: ANN001
    """The footer's keys are Arena's own widgets (tui.footer): a click presses the key, as Textual's did."""
    app = ArenaApp(db.open(demo_db), "anna.lind", pin=DEMO_PIN)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_quiet(pilot, app)
        footer = app.screen.query_one(ArenaFooter)
        users = next(s for s in footer.shown if s.key.key == "u")
        assert users.key.description == "Användare" and not users.key.disabled
        await pilot.click(footer, offset=(users.x + users.width - 1, 0))
        await until_quiet(pilot, app)
        assert type(app.screen).__name__ == "UsersScreen"


def test_the_roll_call_header_at_80_columns_tells_two_groups_of_one_activity_apart() -> None:
    """At 80 columns the roll call's header read "Arbetstr… · tis 24 nov, v. 48 · 0/15 markerade" for café
    and for café g2 alike: now the day line gives up its week, then the day goes, before the name loses
    the words that tell the groups apart."""
    import datetime as dt

    from tui.screens.attendance import _roll_header

    room = 48  # the roll call's header at 80 columns
    day = dt.date(2026, 11, 24)
    one, two = (_roll_header(name, day, 0, 15, "", room) for name in ("Arbetsträning café", "Arbetsträning café g2"))
    assert one == "Arbetsträning café · tis 24 nov · 0/15 markerade"
    assert "café g2" in two and two.endswith("0/15 markerade") and len(two) <= room, two
    third = _roll_header("Arbetsträning second hand grupp 2 fm", day, 3, 15, " · inställt", room)
    assert "g2 fm" in third and third.endswith("3/15 markerade · inställt") and len(third) <= room, third
    # a session's title ends in its hours: they go before a word of the name is shortened
    timed = _roll_header("Arbetsträning café g2 08:00–15:00", day, 0, 15, "", room)
    assert timed == two, timed


async def test_the_footer_and_header_answer_the_mouse_where_it_is(demo_db) -> None:  # noqa: ANN001
    """The footer and the header are one widget each (tui.footer, tui.header), drawn as Textual's were:
    the key under the mouse is highlighted and says its tooltip (the palette's key has one); a click on a dimmed key does nothing; a
    click on the header's icon opens the command palette, one on its title nothing."""
    from rich.console import Console

    from tui.header import ArenaHeader

    app = ArenaApp(db.open(demo_db), "lena.leder", pin=DEMO_PIN)  # a leader: F2, F4 and F5 shown dimmed
    async with app.run_test(size=(120, 40)) as pilot:
        await until_quiet(pilot, app)
        start = type(app.screen).__name__
        footer = app.screen.query_one(ArenaFooter)
        at = {s.key.key: s for s in footer.shown}

        def background(x: int) -> object:
            return footer.render().get_style_at_offset(Console(), x).bgcolor

        resting = background(at["f1"].x)
        await pilot.hover(footer, offset=(at["f1"].x, 0))
        await until_quiet(pilot, app)
        assert background(at["f1"].x) != resting and background(at["f3"].x) == resting
        palette = next(s for s in footer.shown if s.key.palette)
        await pilot.hover(footer, offset=(palette.x, 0))
        await until_quiet(pilot, app)
        assert footer.tooltip == palette.key.tooltip and footer.tooltip
        assert background(palette.x) != resting and background(at["f1"].x) == resting
        await pilot.click(footer, offset=(at["f2"].x, 0))  # dimmed: the leader has no search
        await until_quiet(pilot, app)
        assert type(app.screen).__name__ == start
        header = app.screen.query_one(ArenaHeader)
        await pilot.click(header, offset=(60, 0))
        await until_quiet(pilot, app)
        assert type(app.screen).__name__ == start
        await pilot.hover(header, offset=(1, 0))
        await until_quiet(pilot, app)
        assert header.tooltip == "Öppna kommandolistan"
        await pilot.click(header, offset=(1, 0))
        await until_quiet(pilot, app)
        assert type(app.screen).__name__ == "CommandPalette"
