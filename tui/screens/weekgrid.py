"""The week grid: participants × Mon–Fri of one ISO week for one activity, editable with the mark keys.

Arrows move between cells, the same one-key marks as the roll call apply to the cell under the cursor,
`[` `]` change week. On the right: the person's planned vs attended hours this week, shortfall in red.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from store import attendance, calendar, clock
from store.attendance import Mark, WeekRow
from store.db import Database
from tui.keyhelp import help_keys
from tui.text import language, num, t
from tui.appbase import ArenaScreen, AppBase, KeyHold, SaysWorkerFailures, Synced
from tui.labels import cell_symbol, mark_text, mark_words, person_name, reason_word
from tui.mark_keys import MARK_BINDINGS, MarkKeys
from tui.workers import StoreFailed, show, store_call
from tui.footer import ArenaFooter
from tui.header import ArenaHeader


@dataclass
class Cell:
    """What the mark keys need to know about the cell under the cursor."""

    participant_id: str
    name: str
    day: dt.date
    planned_hours: float
    mark: Mark | None


@help_keys("key.week", rank=30)
class WeekTable(MarkKeys[Cell], DataTable):
    app: AppBase

    BINDINGS = [
        *MARK_BINDINGS,
        Binding("backspace,delete", "clear_mark", "key.clear", id="clear_mark"),
        Binding("left_square_bracket", "change_week(-1)", "key.prev_week", id="prev_week"),
        Binding("right_square_bracket", "change_week(1)", "key.next_week", id="next_week"),
    ]

    class Marked(Message):
        """A mark of the grid was committed (or cleared): the screen reads the week again."""

    class CellShown(Message):
        """The cursor is on a new cell: `line` says its mark in words (the screen shows it under the grid)."""

        def __init__(self, line: Text) -> None:
            super().__init__()
            self.line = line

    class WeekChanged(Message):
        """`[` or `]`: the screen shows the week before or after."""

        def __init__(self, delta: int) -> None:
            super().__init__()
            self.delta = delta

    def __init__(self, activity_id: str, session_id: str | None, **kwargs: Any) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=True, **kwargs)
        self.activity_id = activity_id
        self.session_id = session_id
        self.rows_by_id: dict[str, WeekRow] = {}
        self.days: list[dt.date] = []
        self.plans: dict[str, tuple[float, ...]] = {}

    def planned_for(self, participant_id: str, day: dt.date) -> float:
        return self.plans.get(participant_id, (8.0,) * 5)[day.weekday()]

    def current(self) -> Cell | None:
        if not self.row_count:
            return None
        col = self.cursor_column - 1
        if not 0 <= col < len(self.days):
            return None
        pid = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        if pid is None:
            return None
        row = self.rows_by_id[pid]
        day = self.days[col]
        return Cell(pid, row.name, day, self.planned_for(pid, day), row.marks.get(day.isoformat()))

    def _refused(self, cell: Cell) -> bool:
        """What the grid shows already refuses the mark (a day in the future, a holiday, a cancelled session,
        no session for the person that day): said, and the cursor stays, so the next key is for the same
        cell and nobody below is skipped. The store checks again."""
        why = self.rows_by_id[cell.participant_id].no_session.get(cell.day.isoformat())
        reason = attendance.refusal(cell.day, why == "cancelled")
        if reason is None and why in ("none", "not_enrolled"):
            reason = t("week.no_session")
        if reason is None:
            return False
        self.app.notify(t("att.failed", name=cell.name, error=reason), severity="error", timeout=6)
        return True

    def _submit(self, cell: Cell, status: str, *, hours: float | None = None, reason: str | None = None,
                note: str = "", advance: bool = True) -> None:
        if self._refused(cell):
            return
        db, login, aid, sid = self.app.db, self.app.login, self.activity_id, self.session_id
        moved_to: Coordinate | None = None
        if advance and self.cursor_row < self.row_count - 1:
            moved_to = Coordinate(self.cursor_row + 1, self.cursor_column)

        def done(_: Mark) -> None:
            self.app.notify(t("att.saved", name=cell.name, status=t("st." + status)), timeout=2)
            self._marked()

        def failed(message: str) -> None:
            self.app.notify(t("att.failed", name=cell.name, error=message), severity="error", timeout=8)
            if moved_to is not None and self.cursor_coordinate == moved_to and self.current() is not None:
                self.move_cursor(row=moved_to.row - 1)  # nothing typed since: back to the cell not marked

        self.app.write_lane.submit(
            lambda: attendance.mark(db, login, cell.participant_id, aid, cell.day, status, hours, reason, note,
                                    session_id=sid),
            done, failed)
        if moved_to is not None:
            self.move_cursor(row=moved_to.row)

    def action_clear_mark(self) -> None:
        cell = self.current()
        if cell is None or cell.mark is None:
            return
        db, login, aid, sid = self.app.db, self.app.login, self.activity_id, self.session_id
        self.app.write_lane.submit(lambda: attendance.clear(db, login, cell.participant_id, aid, cell.day,
                                                            session_id=sid),
                                   lambda _: self._marked(),
                                   lambda m: self.app.notify(m, severity="error", timeout=8))

    def _marked(self) -> None:
        self.post_message(self.Marked())

    def action_change_week(self, delta: int) -> None:
        self.post_message(self.WeekChanged(delta))

    def on_data_table_cell_highlighted(self) -> None:
        """Under the grid: the cell's mark in words, with who recorded it, when, late or changed."""
        cell = self.current()
        line = Text()
        if cell is not None:
            row = self.rows_by_id[cell.participant_id]
            iso = cell.day.isoformat()
            line.append(f"{cell.name} · {calendar.WEEKDAY_SHORT[language()][cell.day.weekday()]} "
                        f"{cell.day.day}/{cell.day.month}: ")
            why = row.no_session.get(iso)
            if cell.mark is None:
                line.append(t("week.no_session") if why in ("none", "not_enrolled") else
                            t("sess.cancelled") if why == "cancelled" else t("week.unmarked"))
            else:
                line.append_text(mark_text(cell.mark, edits=row.edits.get(iso, 0)))
                extra = [t("att.recorded", by=cell.mark.recorded_by, at=cell.mark.recorded_at[:16].replace("T", " "))]
                reason = reason_word(self.app.absence_codes, cell.mark)
                if reason:
                    extra.insert(0, reason)
                if iso in row.earlier:
                    extra.append(t("att.edited", n=row.edits[iso], by=cell.mark.recorded_by,
                                   was=mark_words(row.earlier[iso])))
                if cell.mark.late:
                    extra.append(t("att.late"))
                if cell.mark.cancelled or why == "cancelled":  # (kept from before the cancel, struck through)
                    extra.append(t("sess.cancelled"))
                line.append(" · " + " · ".join(extra), style="dim")
        self.post_message(self.CellShown(line))


@help_keys("key.week", rank=30)
class WeekGridScreen(SaysWorkerFailures, ArenaScreen):
    app: AppBase

    BINDINGS = [Binding("escape", "app.pop_screen", "key.back", id="back")]

    def __init__(self, activity_id: str, activity_name: str, monday: dt.date, session_id: str | None = None,
                 person: str | None = None, day: dt.date | None = None) -> None:
        """`person`, `day`: the cell to put the cursor on when first shown (the roll call's person and day
        as `w` was pressed, or the old grid's cell when F12 builds it anew)."""
        super().__init__()
        self._person = person
        self._day = day
        self.activity_id = activity_id
        self.session_id = session_id
        self.activity_name = activity_name
        self.monday = monday
        self._last: tuple | None = None

    def compose(self) -> ComposeResult:
        yield ArenaHeader()
        yield Static("", id="week-title", classes="pane-title")
        yield WeekTable(self.activity_id, self.session_id, id="week")
        yield Static("", id="week-cell", classes="muted")
        yield Static(t("week.legend"), id="week-legend", classes="muted")
        yield ArenaFooter()

    def again(self) -> WeekGridScreen:
        """This grid built anew (F12: the new language), on the same week with the cursor on the same cell."""
        cell = self.query_one(WeekTable).current()
        return WeekGridScreen(self.activity_id, self.activity_name, self.monday, self.session_id,
                              person=cell.participant_id if cell else None, day=cell.day if cell else None)

    def on_mount(self) -> None:
        self._load(hold=True)  # keys typed right after w mark the grid once it is shown
        self.query_one(WeekTable).focus()

    def on_resize(self) -> None:
        if getattr(self, "_fitted_for", None) not in (None, self.app.size.width) and self._last is not None:
            self._show(*self._last)

    @on(WeekTable.WeekChanged)
    def change_week(self, event: WeekTable.WeekChanged) -> None:
        self.monday += dt.timedelta(weeks=event.delta)
        self._load(hold=True)  # keys typed after [ or ] act on the week they were typed for, once shown

    @on(WeekTable.CellShown)
    def _cell_shown(self, event: WeekTable.CellShown) -> None:
        self.query_one("#week-cell", Static).update(event.line)

    @on(WeekTable.Marked)
    @on(Synced)
    def reload(self) -> None:
        """The same week read again (a mark committed, a sync): the cursor stays, keys are not held."""
        self._load(hold=False)

    def _load(self, *, hold: bool) -> None:
        """Read the week shown; with `hold`, the keys typed meanwhile wait until it is on screen (the grid
        before it shows another week or no rows: a key would mark a day that is not shown, or nobody)."""
        release = self.app.hold_keys(owner=self) if hold else KeyHold.nothing()
        self._read(self.app.db, self.app.login, self.monday, release)

    @work(thread=True, group="week", exclusive=True, exit_on_error=False)
    def _read(self, db: Database, login: str, monday: dt.date, release: KeyHold) -> None:
        """(A worker.) The week's marks, read once the writes before it are done; the keys it holds are
        released however it ends (shown, replaced by a newer read, failed: dropped with a line)."""
        try:
            self.app.write_lane.wait_for_earlier()
            rows = store_call(self.app, attendance.week_grid, db, login, self.activity_id, monday, self.session_id)
            plans = store_call(self.app, attendance.session_plans, db, login, self.activity_id, self.session_id)
            show(self, self._show, monday, rows, plans)
        except StoreFailed:
            release.drop()
            raise
        finally:
            release()

    def _show(self, monday: dt.date, rows: list[WeekRow], plans: dict[str, tuple[float, ...]]) -> None:
        if monday != self.monday:
            return  # a week no longer asked for ([ or ] pressed again meanwhile)
        moved = self._last is not None and self._last[0] != monday
        self._last = (monday, rows, plans)
        self.query_one("#week-title", Static).update(
            t("week.title", activity=self.activity_name, week=clock.iso_week(monday), year=monday.isocalendar()[0]))
        table = self.query_one(WeekTable)
        before = table.current() if table.row_count else None  # (the person the cursor was on)
        table.plans = plans
        keep = table.cursor_coordinate
        table.days = attendance.week_days(monday)
        table.rows_by_id = {r.participant_id: r for r in rows}
        table.clear(columns=True)
        # at 80 columns: shorter day labels, the name wraps, "done" goes (plan and shortfall stay whole)
        narrow = self.app.size.width < 100
        self._fitted_for = self.app.size.width
        table.add_column(t("att.col.name"), key="name", width=18 if narrow else 28)
        today = clock.today()
        for day in table.days:
            weekday = calendar.WEEKDAY_SHORT[language()][day.weekday()]
            label = Text(f"{weekday} {day.day}" if narrow else f"{weekday} {day.day}/{day.month}")
            if calendar.holiday_name(day):
                label.append(" ✱")
            elif day == today:
                label.stylize("bold reverse")
            table.add_column(label, key=day.isoformat(), width=6 if narrow else 9)
        table.add_column(t("week.col.plan_short") if narrow else t("week.col.plan"), key="plan", width=6 if narrow else 13)
        if not narrow:
            table.add_column(t("week.col.done"), key="done", width=8)
        table.add_column(t("week.col.short"), key="short", width=6 if narrow else 8)
        for r in rows:
            cells = []
            for day in table.days:
                iso = day.isoformat()
                if calendar.holiday_name(day) and iso not in r.marks:
                    cells.append(Text("✱", style="dim"))
                elif day > today and iso not in r.marks:
                    cells.append(Text(""))  # not yet: neither missing nor without a session
                else:
                    cells.append(cell_symbol(r.marks.get(iso), r.no_session.get(iso, ""), r.edits.get(iso, 0)))
            short = Text(num(r.shortfall), style="bold red", justify="right") if r.shortfall > 0 else \
                Text("0", style="green", justify="right")
            numbers = [Text(num(r.planned_week), justify="right")]
            if not narrow:
                numbers.append(Text(num(r.attended_week), justify="right"))
            table.add_row(person_name(r.name, r.protected), *cells, *numbers, short, key=r.participant_id,
                          height=None)
        if self._person is not None:  # (just opened, or built anew by F12: that person's cell of that day)
            found = next((i for i, r in enumerate(rows) if r.participant_id == self._person), None)
            column = 1 + self._day.weekday() if self._day is not None and self._day.weekday() < 5 else 0
            keep, self._person = Coordinate(found or 0, column), None
        elif moved and before is not None:  # [ or ]: the cursor stays on its person, not on its row number
            found = next((i for i, r in enumerate(rows) if r.participant_id == before.participant_id), None)
            if found is not None:
                keep = Coordinate(found, keep.column)
            elif self.app.keys_waiting():  # typed for that person, who is not in this week: a neighbour never gets them
                self.app.drop_held_keys()
                self.app.notify(t("week.person_absent", name=before.name, week=clock.iso_week(monday)),
                                severity="warning", timeout=8)
        if rows:
            column = keep.column if keep.column >= 1 else 1 + next(
                (i for i, d in enumerate(table.days) if d == today), 0)
            table.move_cursor(row=min(keep.row, len(rows) - 1), column=max(1, min(column, 5)))
