"""F3 Närvaro: the day's sessions on the left, the roll call on the right.

One keystroke per person. A key press moves the cursor at once and queues the write on the app's
write lane; the row shows the new mark only after SQLite has committed it (and the previous mark plus
the reason if it failed).
"""
from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from dataclasses import dataclass, field, replace

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import ColumnKey, RowKey

from store import attendance, calendar, clock
from store.attendance import Mark, RollRow, Session
from tui.keyhelp import help_keys
from tui.text import num, t
from store.names import fold
from tui.appbase import ArenaScreen, AppBase, KeyHold, SaysWorkerFailures
from tui.dialogs import ConfirmDialog, DialogFlow, run_flow
from tui.labels import add_columns, fit_parts, mark_text, mark_words, person_name, reason_word, short_name
from tui.mark_keys import MARK_BINDINGS, MarkKeys
from tui.workers import StoreFailed, show, store_call
from tui.footer import ArenaFooter
from tui.header import ArenaHeader

if TYPE_CHECKING:
    from store.db import Database


def _nothing() -> None:
    """No keys held."""


_HELD_NOTHING = KeyHold.nothing()  # no keys held


SAVED_TOAST_AFTER = 0.4  # seconds without a new saved mark before the "saved" toast shows


@dataclass
class UndoStep:
    """One whole action on one session's roll call: a mark, a clear, all present (`marks`: each person's
    earlier state), or a cancellation or its undoing."""

    kind: str  # "marks", "cancel" or "uncancel"
    previous: list[tuple[str, Mark | None]] = field(default_factory=list)
    marks: int = 0  # a cancellation or its undoing: how many kept marks it concerned

    @property
    def count(self) -> int:
        """How many marks undoing this step brings back or sets aside (what the message says)."""
        return len(self.previous) if self.kind == "marks" else self.marks


@dataclass(frozen=True)
class RollPlace:
    """Where the roll call screen is, for the one F12 builds anew in the other language: the day, the
    session whose roll call is open (or being opened), the person under the cursor, the undo steps (the
    same dict: a mark still being saved for the old screen adds its step to it), the name filter and
    whether it was being typed, whether the week grid is open over it, and whether the keys went to the
    roll call (Escape had left it for the session list: F12 gave the roll call the focus back, and the next
    n marked a person the user had left)."""

    day: dt.date
    session_id: str | None
    person: str | None
    undo_steps: dict[tuple[str, dt.date], list[UndoStep]]
    name_filter: str = ""
    typing_filter: bool = False
    week_shown: bool = False
    roll_focused: bool = True


INFO_BESIDE = (24, 20, 6)  # the roll call's name, mark and planned-hours columns; the info takes the rest


def _content(mark: Mark) -> tuple[object, ...]:
    """What a change of a mark is: its status, hours, reason and note (not who wrote it or when)."""
    return mark.status, mark.hours, mark.reason_code, mark.note


class RowTable(DataTable):
    """A DataTable whose cell updates repaint only their row."""

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: object, *,
                    update_width: bool = False) -> None:
        """One cell changed: forget the rendering of its row only and repaint that row (`update_cells`).
        With `update_width`, DataTable's own update_cell (the column is measured again)."""
        if update_width:
            super().update_cell(row_key, column_key, value, update_width=True)
            return
        self.update_cells(row_key, {column_key: value})

    def update_cells(self, row_key: RowKey | str, values: dict[ColumnKey | str, object]) -> None:
        """Cells of one row changed: forget the rendering of that row only, once, and repaint it. DataTable's
        own update_cell forgets every row's rendering (its caches are keyed by one update counter), so during
        a burst of marks each frame re-rendered the whole roll call. Columns keep their widths (the mark
        and info columns are sized for their longest text). Tested through the drawn lines in
        tests/test_attendance.py (a Textual that renamed these caches would fail there, not silently)."""
        row = RowKey(row_key) if isinstance(row_key, str) else row_key
        columns = {ColumnKey(c) if isinstance(c, str) else c: v for c, v in values.items()}
        if row not in self._row_locations or any(c not in self._column_locations for c in columns):
            for column, value in columns.items():  # (raises for a bad key)
                super().update_cell(row, column, value)
            return
        self._data[row].update(columns)
        index = self._row_locations.get(row)
        caches: list[tuple[Any, Callable[[Any], bool]]] = [  # three caches with three kinds of key
            (self._cell_render_cache, lambda key: key[0] == row), (self._row_render_cache, lambda key: key[0] == row),
            (self._row_renderable_cache, lambda key: key[1] == index)]
        for cache, stale in caches:
            for key in [key for key in cache.keys() if stale(key)]:
                cache.discard(key)
        self._line_cache.clear()  # lines are cheap to put together again from the rows still cached
        if index is not None:
            self.refresh_row(index)


@help_keys("key.attendance", " (F3)", rank=20)
class SessionTable(RowTable):
    BINDINGS = [Binding("enter", "open_session", "key.open", id="open_session"),
                # (a mark key with no roll call open: said, never marked; no words: not a key of its own in F1)
                Binding("n,space,d,s,b,g,o,m", "no_roll_call", "", show=False)]

    _said_at = -10.0  # when the last "no roll call" line was said (a burst of keys says it once)

    class OpenAsked(Message):
        """Enter on a session: the screen opens its roll call."""

    def action_open_session(self) -> None:
        self.post_message(self.OpenAsked())

    def action_no_roll_call(self) -> None:
        """A mark key while the session list has the keys: no roll call is open to take it, so nothing is
        marked, and that is said (the keys typed for a roll call that a day without the session closed, a
        holiday, went into the list without a word)."""
        now = time.monotonic()
        if now - self._said_at > 3.0:
            self.app.notify(t("att.no_sessions") if not self.row_count else t("att.pick_session"),
                            severity="warning", timeout=4)
        self._said_at = now


@help_keys("key.attendance", " (F3)", rank=20)
class RollTable(MarkKeys[RollRow], RowTable):
    """The roll call. Bindings live here so they show in the footer whenever the list has focus; what
    concerns the whole screen (its header, the session list, undo, the filter) is a message to it."""

    app: AppBase

    class Changed(Message):
        """What the roll call shows changed (marks shown, closed, redrawn): the header and the session's
        count follow. Posted once for all the marks shown in one go."""

        def __init__(self, session_id: str | None, day: dt.date, marked: int) -> None:
            super().__init__()
            self.session_id, self.day, self.marked = session_id, day, marked

    class Reread(Message):
        """A write changed more than one row (all present, a cancelled session): read the roll call again."""

    class UndoAsked(Message):
        """ctrl+z: undo the last whole action on this roll call."""

        def __init__(self, activity_id: str, session_id: str, day: dt.date) -> None:
            super().__init__()
            self.activity_id, self.session_id, self.day = activity_id, session_id, day

    class FilterAsked(Message):
        """`/`: the screen shows the name filter."""

    class BurstSaved(Message):
        """A burst of marks is saved: the line under the roll call says the last one (`saved_note`)."""

    class BackAsked(Message):
        """Back to the session list."""

    # Keys whose actions open nothing and keep the focus here: typed ahead, they are handed over without
    # waiting for the screen (tui.app: the key pump). Not d, g, m (dialogs), x, A, /, Escape, ctrl+z.
    KEYS_AHEAD = frozenset({"n", "space", "s", "b", "o", "up", "down"})

    BINDINGS = [
        *MARK_BINDINGS,
        Binding("backspace,delete", "clear_mark", "key.clear", id="clear_mark"),
        Binding("ctrl+z", "undo", "key.undo", id="undo"),
        Binding("A", "all_present", "key.all_present", id="all_present"),
        Binding("x", "cancel_session", "key.cancel_session", id="cancel_session"),
        Binding("slash", "filter", "key.filter", id="filter"),
        Binding("escape", "back_to_sessions", "key.back", id="back_to_sessions", show=False),
    ]

    def __init__(self, **kwargs) -> None:  # noqa: ANN003
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.activity_id: str | None = None
        self.session_id: str | None = None  # the activity session whose roll call this is
        self.activity_name = ""
        self.day = clock.today()
        self.cancelled = False
        self.people: dict[str, RollRow] = {}
        self._saving: set[tuple[str | None, dt.date, str]] = set()  # (session, day, person) marks in the lane
        self.order: list[str] = []
        self.name_filter = ""
        self._summary_due = False  # a header/session-count refresh is queued for the marks just shown
        self._toast_timer: Timer | None = None  # the "saved" line, once a burst of marks has paused
        # the burst's last saved mark: (session, day, person, status, line), and the same once it is said
        self._saved_line: tuple[str | None, dt.date, str, str, str] | None = None
        self.saved_note: tuple[str | None, dt.date, str, str, str] | None = None
        # undo steps per (session, day), several back: kept the moment a write's result is shown, so a
        # ctrl+z that waited for the writes before it finds every one of them (a message to the screen
        # could still be on its way when the undo took the last step)
        self.undo_steps: dict[tuple[str, dt.date], list[UndoStep]] = {}

    # ------------------------------------------------------------------ loading and drawing
    def show(self, activity_id: str, activity_name: str, day: dt.date, rows: list[RollRow], cancelled: bool,
             session_id: str | None = None, at: str | None = None) -> None:
        """`at`: the person to put the cursor on (F12 built the screen anew); else a roll call newly shown
        starts at its first person not yet marked."""
        session_id = session_id or activity_id
        same = (session_id, day) == (self.session_id, self.day)
        self.activity_id, self.activity_name, self.day, self.cancelled = activity_id, activity_name, day, cancelled
        self.session_id = session_id
        self.people = {r.participant_id: r for r in rows}
        self.order = [r.participant_id for r in rows]
        self.redraw()
        if at is not None and at in self.visible_ids():
            self.move_cursor(row=self.visible_ids().index(at))
        elif not same:
            self.move_cursor(row=self._first_unmarked())

    def _first_unmarked(self) -> int:
        return next((i for i, pid in enumerate(self.visible_ids()) if self.people[pid].mark is None), 0)

    def set_filter(self, text: str) -> None:
        """Show only the people whose names hold every word of `text`, the cursor on the first of them not
        yet marked (it kept its row number: 'Kar' then n marked the third match, the one under the cursor
        by chance). The same filter again changes nothing."""
        if text == self.name_filter:
            return
        self.name_filter = text
        self.redraw()
        if self.row_count:
            self.move_cursor(row=self._first_unmarked())

    def close(self) -> None:
        """No roll call: nothing here may take a mark (the day changed to one without this session)."""
        self.activity_id, self.session_id, self.activity_name, self.people, self.order = None, None, "", {}, []
        self.clear()
        self._changed()

    def visible_ids(self) -> list[str]:
        if not self.name_filter:
            return self.order
        wanted = fold(self.name_filter).split()  # every word, in any order: "ahmed lars" finds "Ahmed, Lars"
        return [pid for pid in self.order if all(w in fold(self.people[pid].name) for w in wanted)]

    def redraw(self) -> None:
        keep = self.cursor_row
        under = self.current()  # the cursor stays on this person (a re-read may put someone new above)
        self.clear(columns=not self.columns)
        if not self.columns:
            add_columns(self, ("name", "att.col.name", INFO_BESIDE[0]), ("mark", "att.col.mark", INFO_BESIDE[1]),
                        ("planned", "att.col.planned", INFO_BESIDE[2]), ("info", "att.col.info", None))
        for pid in self.visible_ids():
            row = self.people[pid]
            self.add_row(person_name(row.name, row.protected, INFO_BESIDE[0]),
                         mark_text(row.mark, self.cancelled, row.edits),
                         num(row.planned_hours), self._info(row), key=pid)
        if self.row_count:
            shown = self.visible_ids()
            self.move_cursor(row=shown.index(under.participant_id) if under is not None and under.participant_id
                             in shown else min(keep, self.row_count - 1))
        self._changed()

    def info_parts(self, row: RollRow, short: bool = False) -> list[str]:
        """Everything the row's info says: the absence reason, a kept mark of a cancelled session, presence
        elsewhere, changed (and what it was before), recorded late. `short`: the column's words (the
        line under the roll call says them whole)."""
        parts = []
        reason = reason_word(self.app.absence_codes, row.mark)
        if row.mark and self.cancelled:
            parts.append(t("att.kept_cancelled_short" if short else "att.kept_cancelled"))
        if row.mark and row.earlier is not None:
            parts.append(t("att.edited_short") if short else
                         t("att.edited", n=row.edits, by=row.mark.recorded_by, was=mark_words(row.earlier)))
        if row.mark and row.mark.late:
            parts.append(t("att.late_short" if short else "att.late"))
        if reason:
            parts.insert(len(parts) if short else 0, reason)
        if row.elsewhere:
            parts.append(t("att.elsewhere", activity=row.elsewhere))
        return parts

    def _info(self, row: RollRow, error: str = "") -> Text:
        """Whole parts only, as many as the column holds (the line under the roll call has them all)."""
        if error:
            return Text(error, style="bold red")
        return Text(fit_parts(self.info_parts(row, short=True), self._info_room()), style="dim")

    def _info_room(self) -> int:
        """The info column's width: what the name, mark and planned-hours columns leave (at least 8)."""
        room = (self.size.width or self.app.size.width * 60 // 100) - sum(INFO_BESIDE) - 2 * self.cell_padding * 4 - 2
        return max(room, 8)

    def current(self) -> RollRow | None:
        if not self.row_count or self.activity_id is None:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.people.get(key) if key is not None else None

    def marked_count(self) -> int:
        """The marks of this roll call: those shown saved and those typed and still on their way (the lane
        saves them before anything typed after them, a cancel included)."""
        return sum(1 for r in self.people.values()
                   if r.mark is not None or (self.session_id, self.day, r.participant_id) in self._saving)

    def _refused(self, row: RollRow) -> bool:
        """Rules the screen already knows (future day, weekend, cancelled session): say why on the row and
        keep the cursor, so a fast roll call skips nobody."""
        reason = attendance.refusal(self.day, self.cancelled)
        if reason is None:
            return False
        short = attendance.refusal(self.day, self.cancelled, short=True) or reason
        self.update_cell(row.participant_id, "info", Text(fit_parts(short.split(), self._info_room(), sep=" "),
                                                          style="bold red"), update_width=True)
        self.app.notify(t("att.failed", name=row.name, error=reason), severity="error", timeout=6)
        return True

    # ------------------------------------------------------------------ writes
    def _submit(self, row: RollRow, status: str, *, hours: float | None = None, reason: str | None = None,
                note: str = "", advance: bool = True) -> None:
        if self._refused(row):
            return
        lane = self.app.write_lane
        db, login, aid, day, sid = self.app.db, self.app.login, self.activity_id, self.day, self.session_id
        if aid is None:  # no roll call open: nothing to mark (current() says so too)
            return
        self.update_cell(row.participant_id, "mark", Text(t("st.saving"), style="italic dim"))
        previous = row.mark
        index = self.cursor_row
        if advance and self.cursor_row < self.row_count - 1:
            self.move_cursor(row=self.cursor_row + 1)

        def write() -> Mark:
            return attendance.mark(db, login, row.participant_id, aid, day, status, hours, reason, note,
                                   session_id=sid)

        request = attendance.MarkRequest(row.participant_id, aid, day, status, hours, reason, note, sid)
        saving = (sid, day, row.participant_id)
        self._saving.add(saving)

        def done(saved: Mark) -> None:
            self._saving.discard(saving)
            self._remember_replaced(sid, day, row.participant_id, previous)
            self._set_mark(row.participant_id, saved, aid=sid, day=day)
            self._say_saved((sid, day, row.participant_id, status,
                             t("att.saved", name=row.name, status=t("st." + status))))

        def failed(message: str) -> None:
            self._saving.discard(saving)
            self._failed(row.participant_id, message, aid=sid, day=day)
            if advance and self.cursor_row == index + 1 and (sid, day) == (self.session_id, self.day):
                self.move_cursor(row=index)  # nothing typed since: back to the person who was not marked

        # marks typed ahead share one commit (attendance.mark_many), each shown once that has committed
        lane.submit(write, done, failed, batch=(f"mark {login}", request,
                                                lambda requests: attendance.mark_many(db, login, requests)))

    def _say_saved(self, saved: tuple[str | None, dt.date, str, str, str]) -> None:
        """One "saved" line for a burst of marks, the last one's, once the keys have paused (the rows
        already say each mark is saved; a line per mark held up the frames of a burst). It is said on the
        line under the roll call while the person highlighted has no mark, not in a toast: a toast lay
        over the last rows at 80x24, the next person to mark among them. `saved`: (session, day, person,
        status, the line); the line is said only while that person's mark is still that status (an undo or
        a clear after it took it back)."""
        self._saved_line = saved
        if self._toast_timer is None:
            self._toast_timer = self.set_timer(SAVED_TOAST_AFTER, self._toast_saved)
        else:
            self._toast_timer.reset()

    def _toast_saved(self) -> None:
        self._toast_timer = None
        if not self.app.write_lane.settled():  # still saving: the toast waits for the last mark
            self._toast_timer = self.set_timer(SAVED_TOAST_AFTER, self._toast_saved)
            return
        self.saved_note = self._saved_line
        self.post_message(self.BurstSaved())

    def _set_mark(self, pid: str, mark: Mark | None, error: str = "", *, aid: str | None, day: dt.date) -> None:
        """`aid`: the session the write was for (a session id)."""
        if (aid, day) != (self.session_id, self.day):
            return  # committed for a roll call no longer on screen; it shows when that one is opened
        row = self.people.get(pid)
        if row is None:
            return
        if mark is None:  # cleared: a mark recorded again starts afresh
            row = replace(row, mark=None, edits=0, earlier=None)
        elif row.mark is not None and _content(mark) != _content(row.mark):
            row = replace(row, mark=mark, edits=row.edits + 1, earlier=row.mark)
        else:
            row = replace(row, mark=mark)
        self.people[pid] = row
        if pid in self.visible_ids():
            self.update_cells(pid, {"mark": mark_text(mark, self.cancelled, row.edits), "info": self._info(row, error)})
        if not self._summary_due:  # once for all the marks shown in one go, not once per mark
            self._summary_due = True
            self.call_later(self._refresh_summary)

    def _refresh_summary(self) -> None:
        self._summary_due = False
        self._changed()

    def _remember(self, session_id: str | None, day: dt.date, step: UndoStep) -> None:
        """A write was committed: keep the step that undoes it."""
        if session_id is not None:
            self.undo_steps.setdefault((session_id, day), []).append(step)

    def _remember_replaced(self, session_id: str | None, day: dt.date, pid: str, previous: Mark | None) -> None:
        """A mark or a clear of one person was committed: its undo puts back what it replaced, the mark
        shown now, once every write before it is shown (the one shown at the key may since have been
        replaced by a mark still on its way then); `previous` (the one at the key) for a roll call no
        longer open."""
        shown = self.people.get(pid) if (session_id, day) == (self.session_id, self.day) else None
        self._remember(session_id, day, UndoStep("marks", [(pid, shown.mark if shown else previous)]))

    def _changed(self) -> None:
        self.post_message(self.Changed(self.session_id, self.day, self.marked_count()))

    def _failed(self, pid: str, message: str, *, aid: str | None, day: dt.date) -> None:
        row = self.people.get(pid) if (aid, day) == (self.session_id, self.day) else None
        if row is not None:
            self._set_mark(pid, row.mark, error=message, aid=aid, day=day)
        self.app.notify(t("att.failed", name=row.name if row else "", error=message), severity="error", timeout=8)

    def action_clear_mark(self) -> None:
        row = self.current()
        # a mark still being saved is cleared after it (the write lane keeps their order): the key was not lost
        saving = row is not None and (self.session_id, self.day, row.participant_id) in self._saving
        if row is None or (row.mark is None and not saving) or self._refused(row):
            return
        db, login, aid, day, previous = self.app.db, self.app.login, self.activity_id, self.day, row.mark
        sid = self.session_id
        if aid is None:
            return

        def done(_: object) -> None:
            self._remember_replaced(sid, day, row.participant_id, previous)
            self._set_mark(row.participant_id, None, aid=sid, day=day)

        self.app.write_lane.submit(lambda: attendance.clear(db, login, row.participant_id, aid, day, session_id=sid),
                                   done, lambda m: self._failed(row.participant_id, m, aid=sid, day=day))

    def action_undo(self) -> None:
        if self.activity_id is not None and self.session_id is not None:
            self.post_message(self.UndoAsked(self.activity_id, self.session_id, self.day))

    def action_all_present(self) -> None:
        if self.activity_id is None:
            return
        row = self.current()
        if row is not None and self._refused(row):
            return
        shown = self.visible_ids()  # with the name filter on, only the people it shows
        # a mark typed just before A and still being saved counts as marked (the question counted that
        # person among the unmarked, and then A marked one fewer than it said)
        saving = {pid for sid_, day_, pid in self._saving if (sid_, day_) == (self.session_id, self.day)}
        unmarked = {pid for pid, r in self.people.items() if r.mark is None and pid not in saving}
        # exactly the people the question counts: those shown unmarked (someone enrolled since the roll call
        # was read, not shown, was marked too and the count said one more than it asked)
        only = {pid for pid in shown if pid in unmarked}
        todo = len(only)
        if not todo:
            return
        db, login, aid, day, sid = self.app.db, self.app.login, self.activity_id, self.day, self.session_id
        hidden = len(unmarked) - todo

        def done(ids: list[str]) -> None:
            self._remember(sid, day, UndoStep("marks", [(pid, None) for pid in ids]))
            self.app.notify(t("att.all_done", n=len(ids)), timeout=3)
            self.post_message(self.Reread())

        question = t("att.confirm_all", n=todo, activity=self.activity_name, date=calendar.day_line(day))
        if self.name_filter:
            question = t("att.confirm_all_shown", n=todo, filter=self.name_filter, activity=self.activity_name,
                         date=calendar.day_line(day), hidden=hidden)

        async def steps(flow: DialogFlow) -> None:
            if await flow.ask(ConfirmDialog(question, default_yes=True)):
                self.app.write_lane.submit(
                    lambda: attendance.mark_all_present(db, login, aid, day, session_id=sid, only=only), done,
                    lambda m: self.app.notify(m, severity="error", timeout=8))

        run_flow(self, steps)

    def action_cancel_session(self) -> None:
        if self.activity_id is None:
            return
        reason = attendance.refusal(self.day)
        if reason:
            self.app.notify(reason, severity="error", timeout=6)
            return
        db, login, aid, day, sid = self.app.db, self.app.login, self.activity_id, self.day, self.session_id
        marked = self.marked_count()  # what is on screen is what the dialog counts
        where = f"{self.activity_name} {calendar.day_line(day)}"
        cancelled = self.cancelled
        question = t("att.confirm_uncancel" if cancelled else "att.confirm_cancel", session=where, n=marked)

        def done(n: int) -> None:
            self._remember(sid, day, UndoStep("uncancel" if cancelled else "cancel", marks=n))
            self.post_message(self.Reread())

        def write() -> int:
            if cancelled:
                return attendance.uncancel_session(db, login, aid, day, session_id=sid)
            return attendance.cancel_session(db, login, aid, day, session_id=sid)

        async def steps(flow: DialogFlow) -> None:
            if await flow.ask(ConfirmDialog(question, default_yes=True)):
                self.app.write_lane.submit(write, done, lambda m: self.app.notify(m, severity="error", timeout=8))

        run_flow(self, steps)

    def action_filter(self) -> None:
        self.post_message(self.FilterAsked())

    def action_back_to_sessions(self) -> None:
        self.post_message(self.BackAsked())


@help_keys("key.attendance", " (F3)", rank=20)
class AttendanceScreen(SaysWorkerFailures, ArenaScreen):
    app: AppBase

    BINDINGS = [
        Binding("left_square_bracket", "change_day(-1)", "key.prev_day", id="prev_day"),
        Binding("right_square_bracket", "change_day(1)", "key.next_day", id="next_day"),
        Binding("t", "today", "key.today", id="today"),
        Binding("w", "week_grid", "key.week", id="week_grid"),
        Binding("escape", "leave_filter", "key.back", id="leave_filter", show=False),
    ]

    class OpenSession(Message):
        """Open today's roll call of this session (F5's list of the day's sessions posts it after F3)."""

        def __init__(self, session_id: str) -> None:
            super().__init__()
            self.session_id = session_id

    def __init__(self) -> None:
        super().__init__()
        self.day = clock.today()
        self.sessions: list[Session] = []
        self.session_id: str | None = None  # the session whose roll call is open (or follows the day)
        self._day_release: KeyHold = _HELD_NOTHING  # keys held for the day's sessions
        self._other_mode = False  # another mode is (or was last) shown instead of this screen
        self._roll_release: KeyHold = _HELD_NOTHING  # keys held for the roll call being read
        self._open_when_mounted = False
        self._open_focused = True  # (what `open_session` was asked, for when the screen is mounted)
        self._week_shown = False  # the week grid was opened over the roll call: read it again on return
        self._opening: str | None = None  # a session whose roll call `open_session` opens, until it is shown
        self._going_on: RollPlace | None = None  # where the screen this one replaced was (F12), until shown

    def compose(self) -> ComposeResult:
        yield ArenaHeader()
        with Horizontal(id="attendance-body"):
            with Vertical(id="session-pane"):
                yield Static("", id="day-line", classes="pane-title")
                yield SessionTable(id="sessions", cursor_type="row", cell_padding=0)
                yield Static("", id="session-empty", classes="muted")
            with Vertical(id="roll-pane"):
                yield Static(t("att.pick_session"), id="roll-header", classes="pane-title")
                yield Input(placeholder=t("att.filter_placeholder"), id="roll-filter", classes="hidden",
                            select_on_focus=False)  # (built anew by F12 while typed: the letters after F12 add on)
                yield RollTable(id="roll")
                yield Static("", id="roll-detail", classes="muted")
        yield ArenaFooter()

    def on_mount(self) -> None:
        if not self.query(SessionTable):
            return  # a screen replaced while it was being built (a mode switched twice): nothing to set up
        table = self.query_one(SessionTable)
        self._fit_session_columns(table)
        self._day_release = self.app.hold_keys(owner=self)  # Enter typed right after F3 opens the first session
        self.load_day()
        table.focus()
        if self._open_when_mounted:
            self._open_when_mounted = False
            self.open_session(self.session_id or "", focus=self._open_focused)

    # ------------------------------------------------------------------ day and sessions
    def load_day(self, *, follow: bool = False, focus: bool = False) -> None:
        """Show self.day's sessions; with `follow`, then open the same activity's roll call that day
        (or say there is none), and with `focus` give it the keys typed meanwhile."""
        self.query_one("#day-line", Static).update(calendar.day_line(self.day))
        self.reload_sessions(follow=follow, focus=focus)

    def reload_sessions(self, *, follow: bool = False, focus: bool = False) -> None:
        user = self.app.user
        leader = user.login if user is not None and user.role == "leader" else None  # own activities only
        self._read_sessions(self.app.db, self.day, leader, follow, focus, self._day_release)

    @work(thread=True, group="sessions", exclusive=True, exit_on_error=False)
    def _read_sessions(self, db: Database, day: dt.date, leader: str | None, follow: bool, focus: bool,
                       release: KeyHold) -> None:
        """(A worker.) The day's sessions; the keys held for them are released however the read ends
        (shown, replaced by a newer read, failed: SaysWorkerFailures says what failed)."""
        try:
            show(self, self._show_sessions, day, store_call(self.app, attendance.sessions, db, day, leader),
                 follow, focus)
        except StoreFailed:
            release.drop()  # typed for a roll call that could not be read: dropped, with a line
            raise
        finally:
            release()

    def _fit_session_columns(self, table: DataTable) -> None:
        """The numbers are what the list is for: they keep their width, the name takes what is left of the
        pane (40% of the screen, at most 46; less its border, scroll bar and left padding); at 80 columns the
        hours and places go so that a name keeps one line (the roll call's header has both). Fitted again
        when the terminal changes size."""
        pane = min(46, self.app.size.width * 40 // 100) - 4
        numbers: tuple[tuple[str, str, int], ...] = (
            ("hours", "att.col.hours", 4), ("marked", "att.col.marked_short", 6), ("places", "att.col.places", 8))
        if pane - sum(w for _, _, w in numbers) < 20:  # 80 columns: hours and places go, a name keeps one line
            numbers = numbers[1:2]
        name = max(8, pane - sum(w for _, _, w in numbers))
        if getattr(self, "_name_width", None) == name:
            return
        self._name_width = name
        self._session_columns = [key for key, _, _ in numbers]
        table.clear(columns=True)
        table.add_column(t("att.col.activity"), key="activity", width=name)
        for key, label, width in numbers:  # right-aligned: the spaces before them part the columns
            table.add_column(Text(t(label), justify="right"), key=key, width=width)

    def on_resize(self) -> None:
        tables = self.query(SessionTable)
        if tables and getattr(self, "_name_width", None) is not None:
            before = self._name_width
            table = tables.first()
            row = table.cursor_row
            self._fit_session_columns(table)
            if self._name_width != before:
                for session in self.sessions:
                    table.add_row(*self._session_cells(session), key=session.session_id)
                if self.sessions:  # the cursor stays on its session (it went to the first: Enter opened another)
                    table.move_cursor(row=min(row, len(self.sessions) - 1))
        self.call_after_refresh(self.refresh_roll_header)  # the header fitted to the pane's new width

    def _session_cells(self, session: Session) -> tuple[object, ...]:
        """One line per session: the name shortened to the column (labels.short_name), the numbers shown."""
        cells = {"hours": Text(num(session.hours), justify="right"), "marked": _marked_cell(session),
                 "places": _places_cell(session)}
        return (short_name(session.short, self._name_width),
                *(cells[key] for key in getattr(self, "_session_columns", cells)))

    def _show_sessions(self, day: dt.date, sessions: list[Session], follow: bool = False,
                       focus: bool = False) -> None:
        """`follow`/`focus`: as `load_day` was asked when the read began (where the focus is now says
        nothing of it: a screen built anew by F12 may not have given the roll call its focus yet, and the
        keys typed meanwhile must wait for the roll call all the same)."""
        if day != self.day:
            return  # an older day's list arriving late
        self._day_release()
        table = self.query_one(SessionTable)
        keep = table.cursor_row
        # the cursor stays on the session under it (moved there after the roll call was opened: a re-read
        # put it back on the open one, and Enter opened that); on the open one when following it
        under = None if follow or not table.row_count or keep >= len(self.sessions) else self.sessions[keep].session_id
        self.sessions = sessions
        table.clear()
        for s in sessions:
            table.add_row(*self._session_cells(s), key=s.session_id)
        if sessions:
            wanted = under or self.session_id
            index = next((i for i, s in enumerate(sessions) if s.session_id == wanted), None)
            table.move_cursor(row=index if index is not None else min(keep, len(sessions) - 1))
        empty = self.query_one("#session-empty", Static)
        holiday = calendar.holiday_name(self.day)
        empty.update(t("att.holiday_line", name=holiday) if holiday else ("" if sessions else t("att.no_sessions")))
        if follow and self.session_id is not None:
            if self.current_session() is not None:
                self.reload_roll(focus=focus, sessions=False)  # (its hold is on before the day's ends)
            else:
                self.notify(t("att.no_session_that_day", day=calendar.day_line(self.day)), timeout=4)
                self._going_on = None
                table.focus()
        self.refresh_roll_header()

    @on(RollTable.Changed)
    def roll_changed(self, event: RollTable.Changed) -> None:
        self.refresh_roll_header()
        self.session_marked(event.session_id, event.day, event.marked)
        self.show_detail()

    @on(RollTable.BurstSaved)
    @on(DataTable.RowHighlighted, "#roll")
    def show_detail(self) -> None:
        """The highlighted person's whole mark and info, wrapped under the roll call (the info column
        holds only what fits whole)."""
        roll = self.query_one(RollTable)
        row = roll.current()
        detail = self.query_one("#roll-detail", Static)
        if row is None or row.mark is None:  # nobody's mark to show: what was saved last on this roll call
            note, said = roll.saved_note, ""
            if note and note[:2] == (roll.session_id, roll.day):
                person = roll.people.get(note[2])
                said = note[4] if person is not None and person.mark and person.mark.status == note[3] else ""
            _show_line(detail, said)
            return
        parts = [row.name, mark_text(row.mark, roll.cancelled, row.edits).plain, *roll.info_parts(row)]
        _show_line(detail, " · ".join(parts))

    @on(RollTable.Reread)
    def reread(self) -> None:
        self.reload_roll()

    @on(RollTable.UndoAsked)
    def undo_asked(self, event: RollTable.UndoAsked) -> None:
        self.undo(event.activity_id, event.session_id, event.day)

    @on(RollTable.FilterAsked)
    def filter_asked(self) -> None:
        self.show_filter()

    @on(RollTable.BackAsked)
    def back_asked(self) -> None:
        self.query_one(SessionTable).focus()

    @on(SessionTable.OpenAsked)
    def open_asked(self) -> None:
        self.open_current_session()

    def session_marked(self, session_id: str | None, day: dt.date, marked: int) -> None:
        """A mark was committed: update that session's count in place (no query per key press)."""
        index = next((i for i, s in enumerate(self.sessions) if s.session_id == session_id), None)
        if index is None or day != self.day:
            return
        self.sessions[index] = session = replace(self.sessions[index], marked=marked)
        self.query_one(SessionTable).update_cell(session.session_id, "marked", _marked_cell(session))

    def open_current_session(self) -> None:
        table = self.query_one(SessionTable)
        if not table.row_count:
            return
        chosen = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if chosen != self.query_one(RollTable).session_id:
            self._clear_filter()  # another session's roll call: a name typed for the last one would hide its people
        self.session_id = chosen
        self.reload_roll(focus=True, sessions=False)

    def _clear_filter(self) -> None:
        box = self.query_one("#roll-filter", Input)
        box.value = ""
        box.add_class("hidden")
        self.query_one(RollTable).name_filter = ""  # (the roll call shown next is drawn without it)

    @on(events.ScreenSuspend)
    def _suspended(self) -> None:
        # another mode shown instead of this one (not a dialog or the week grid over it: this screen is
        # still in the stack shown)
        self._other_mode = self not in self.app.screen_stack

    def on_screen_resume(self) -> None:
        """Back from the week grid: what was marked there is shown here too, before the next key acts on
        the roll call (the keys typed meanwhile wait for it, as after Enter). Back from another mode
        (F2, F4, F5): the open roll call (its people, the cursor on the same person) and the session list's
        counts are read again (an enrolment on a case card, an activity changed), the keys typed meanwhile
        waiting for them when the roll call has the keys."""
        if self._week_shown:
            self._week_shown = False
            if self.query(RollTable) and self.query_one(RollTable).session_id is not None:
                self.reload_roll(focus=self.focused is self.query_one(RollTable))
        elif self._other_mode:
            self._other_mode = False
            roll = self.query_one(RollTable) if self.query(RollTable) else None
            if roll is not None and roll.session_id is not None and self.current_session() is not None:
                self.reload_roll(focus=self.focused is roll)  # its people and marks, and the list's counts
                return
            self._day_release()
            self._day_release = self.app.hold_keys(owner=self)
            self.reload_sessions()

    @on(OpenSession)
    def _open_asked(self, event: OpenSession) -> None:
        self.open_session(event.session_id)

    def where(self) -> RollPlace:
        """Where this screen is (F12 builds the screen anew: `go_on_from`)."""
        if self._going_on is not None:  # (not shown yet: F12 typed twice quickly)
            return self._going_on
        roll = self.query_one(RollTable) if self.query(RollTable) else None
        if roll is None or roll.session_id is None:
            return RollPlace(self.day, self._opening, None, roll.undo_steps if roll else {})
        row = roll.current()
        box = self.query_one("#roll-filter", Input)
        shown = not box.has_class("hidden")
        return RollPlace(self.day, roll.session_id, row.participant_id if row else None, roll.undo_steps,
                         name_filter=box.value if shown else "", typing_filter=shown and self.focused is box,
                         week_shown=self._week_shown, roll_focused=self.focused in (roll, box))

    def go_on_from(self, place: RollPlace) -> None:
        """Show what `place` said of the screen this one replaces: its day, its open roll call with the
        cursor on the same person, the undo steps of its marks (those still being saved add theirs)."""
        if place.session_id is not None:
            self._going_on = place
            self._week_shown = place.week_shown  # (F12 built the grid anew over this screen: Escape reads again)
            self.open_session(place.session_id, place.day, focus=place.roll_focused or place.week_shown)
        elif place.day != self.day:
            self.day = place.day
            if self.query(SessionTable):
                self.load_day()

    def open_session(self, session_id: str, day: dt.date | None = None, *, focus: bool = True) -> None:
        """Jump straight to today's roll call of one session (from F5), or that of `day`; `focus=False`
        (F12, the session list had the keys): shown, the keys stay with the session list."""
        self.day = day or clock.today()
        self.session_id = session_id
        self._opening = session_id
        if not self.query(RollTable):  # the screen is still being built: it opens this session when mounted
            self._open_when_mounted, self._open_focused = True, focus
            return
        self.query_one(RollTable).close()
        if self._going_on is None:
            self._clear_filter()  # (F12's screen built anew shows the filter it had: `go_on_from`)
        self._day_release()
        self._day_release = self.app.hold_keys(owner=self)  # keys typed next mark this session's roll call
        self.load_day(follow=True, focus=focus)
        (self.query_one(RollTable) if focus else self.query_one(SessionTable)).focus()

    def current_session(self) -> Session | None:
        return next((s for s in self.sessions if s.session_id == self.session_id), None)

    def reload_roll(self, focus: bool = False, *, sessions: bool = True) -> None:
        """Read the roll call of the current session again and show it; with `sessions`, the session
        list's counts too (a write that changed several rows). Opening a roll call reads only the roll
        call: the list's count follows from what it shows (`session_marked`)."""
        session = self.current_session()
        if session is None:
            return
        self._roll_release()  # an older read still on its way: this one holds the keys from now
        self._roll_release = self.app.hold_keys(owner=self) if focus else _HELD_NOTHING  # keys typed after Enter mark this roll
        self._read_roll(self.app.db, self.app.login, session, self.day, focus, sessions, self._roll_release)

    @work(thread=True, group="roll", exclusive=True, exit_on_error=False)
    def _read_roll(self, db: Database, login: str, session: Session, day: dt.date, focus: bool, sessions: bool,
                   release: KeyHold) -> None:
        """(A worker.) One session's roll call, read once every write submitted before it is done (a mark
        typed just before F12 or Enter, still being saved, is in what it reads). The keys typed meanwhile
        wait (`release`) until it is on screen; they are released however the read ends: shown, dropped as
        stale (the day or session changed, a newer read replaced it), or failed (SaysWorkerFailures says
        what failed, logged already)."""
        try:
            aid, sid = session.activity_id, session.session_id
            done_before = self.app.write_lane.wait_for_earlier()
            found = store_call(self.app, lambda: (attendance.roll_call(db, login, aid, day, sid),
                                                  attendance.is_cancelled(db, aid, day, session_id=sid)))
            show(self, self._show_roll, session, day, found, focus, sessions, done_before)
        except StoreFailed:
            release.drop()  # typed for a roll call that could not be read: dropped, with a line
            raise
        finally:
            release()

    def _show_roll(self, session: Session, day: dt.date, found: tuple[list[RollRow], bool], focus: bool,
                   sessions: bool, done_before: int) -> None:
        if (session.session_id, day) != (self.session_id, self.day):
            return  # the day or session changed while this was read
        rows, cancelled = found
        roll = self.query_one(RollTable)
        if self.app.write_lane.finished() != done_before:
            # a write (s right after A's Enter) was done while this was read: shown, the read could put a
            # row back as it was before that mark; read again
            self.reload_roll(focus, sessions=sessions)
            return
        place, self._going_on = self._going_on, None
        if place is not None and (place.session_id, place.day) != (session.session_id, day):
            place = None
        box = self.query_one("#roll-filter", Input)
        if place is not None:
            roll.undo_steps = place.undo_steps  # the same steps: a mark of the old screen still saving adds its own
            roll.name_filter = place.name_filter  # (shown as it was: the cursor's person is among those it shows)
            if place.name_filter or place.typing_filter:
                box.value = place.name_filter  # (its Changed sets the same filter again: no change)
                box.cursor_position = len(place.name_filter)
                box.remove_class("hidden")
        roll.show(session.activity_id, session.title, day, rows, cancelled, session.session_id,
                  at=place.person if place is not None else None)
        self._opening = None
        if focus:
            (box if place is not None and place.typing_filter else roll).focus()  # the keys typed meanwhile go on there
        if sessions:
            self.reload_sessions()

    def on_unmount(self) -> None:
        self._roll_release()  # a read cancelled with the screen: its keys are not held any longer
        self._day_release()

    def refresh_roll_header(self) -> None:
        roll = self.query_one(RollTable)
        header = self.query_one("#roll-header", Static)
        if roll.activity_id is None:
            header.update(t("att.pick_session"))
            return
        tail = (" · " + t("att.session_cancelled") if roll.cancelled
                else " · " + t("att.future_day") if roll.day > clock.today() else "")
        _show_line(header, _roll_header(roll.activity_name, roll.day, roll.marked_count(), len(roll.people), tail,
                                        header.content_region.width))

    def action_change_day(self, delta: int) -> None:
        """[ and ]: the day before or after, over a weekend (no session is held then): a roll call open on a
        Monday goes on to Friday's, and the keys typed after [ mark it (it closed on Sunday, and they were
        lost in the session list)."""
        day = self.day + dt.timedelta(days=delta)
        while day.weekday() >= 5:
            day += dt.timedelta(days=delta)
        self._go_to(day)

    def action_today(self) -> None:
        self._go_to(clock.today())

    def _go_to(self, day: dt.date) -> None:
        """The roll call on screen always belongs to the day in the header: it closes at once (so no key
        can mark the old day) and reopens for the same activity on the new day if it has a session."""
        roll = self.query_one(RollTable)
        was_open = roll.activity_id is not None
        typing_on_it = self.focused is roll  # (before it closes)
        self.day = day
        roll.close()
        self._day_release()  # a read of the old day not yet run (replaced by this one) holds nothing any longer
        self._day_release = self.app.hold_keys(owner=self)  # keys typed next act on the new day's roll call
        self.load_day(follow=was_open, focus=was_open and typing_on_it)

    # ------------------------------------------------------------------ undo
    def undo(self, activity_id: str, session_id: str, day: dt.date) -> None:
        """Undo the last whole action on this session, after every write already queued has landed. The
        keys typed meanwhile wait until the undo is shown (F12 right after Ctrl+Z rebuilt the screen while
        the undo was on its way, and its callbacks found no roll call: the app closed)."""
        sid = session_id
        app, roll = self.app, self.query_one(RollTable)
        undo_steps, people = roll.undo_steps, roll.people  # (the steps F12's new screen shares; the names said)
        release = app.hold_keys(owner=self)

        def now(_: object) -> None:
            steps = undo_steps.get((sid, day), [])
            if not steps:
                release()
                app.notify(t("att.nothing_to_undo"), timeout=2)
                return
            step = steps.pop()
            db, login = app.db, app.login

            def failed(message: str) -> None:
                release()
                steps.append(step)
                app.notify(t("att.undo_failed", error=message), severity="error", timeout=8)

            job: Callable[[], object]
            if step.kind == "cancel":
                job = lambda: attendance.uncancel_session(db, login, activity_id, day, session_id=sid)  # noqa: E731
            elif step.kind == "uncancel":
                job = lambda: attendance.cancel_session(db, login, activity_id, day, session_id=sid)  # noqa: E731
            else:
                job = lambda: attendance.restore_many(db, login, activity_id, day, step.previous,  # noqa: E731
                                                      session_id=sid)

            def done(_: object) -> None:
                release()
                one = people.get(step.previous[0][0]) if step.kind == "marks" and len(step.previous) == 1 else None
                app.notify(t("att.undone.one", name=one.name) if one is not None else
                           t("att.undone." + step.kind, n=step.count), timeout=4)  # (the filter may hide that person)
                if self.is_attached and (sid, day) == (self.session_id, self.day):
                    shown = roll.visible_ids()
                    if step.kind == "marks" and len(step.previous) == 1 and step.previous[0][0] in shown:
                        # one mark undone: the cursor goes back to its person ("wrong key, undo, right key")
                        roll.move_cursor(row=shown.index(step.previous[0][0]))
                    self.reload_roll(focus=self.focused is roll)  # (the keys after Ctrl+Z act on it as read)

            app.write_lane.submit(job, done, failed)

        app.write_lane.submit(lambda: None, now, lambda m: release())

    def action_week_grid(self) -> None:
        session = self.current_session()
        if session is None:
            table = self.query_one(SessionTable)
            if not table.row_count:
                return
            self.session_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            session = self.current_session()
        if session is None:
            return
        from tui.screens.weekgrid import WeekGridScreen  # lazy: the roll call opens without it; loaded on w

        self._week_shown = True
        roll = self.query_one(RollTable)
        row = roll.current() if roll.session_id == session.session_id else None
        self.app.push_screen(WeekGridScreen(session.activity_id, session.title, clock.week_monday(self.day),
                                            session.session_id, person=row.participant_id if row else None,
                                            day=self.day))

    # ------------------------------------------------------------------ filter
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_filter":  # Escape leaves the name filter only while it has the focus
            return self.focused is not None and self.focused.id == "roll-filter"
        return True

    def action_leave_filter(self) -> None:
        """Escape in the name filter: the filter is emptied and hidden, the whole roll call is back."""
        box = self.query_one("#roll-filter", Input)
        box.value = ""
        roll = self.query_one(RollTable)
        roll.set_filter("")
        box.add_class("hidden")
        roll.focus()

    def show_filter(self) -> None:
        box = self.query_one("#roll-filter", Input)
        box.remove_class("hidden")
        box.focus()

    @on(Input.Changed, "#roll-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_one(RollTable).set_filter(event.value)

    @on(Input.Submitted, "#roll-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value:
            event.input.add_class("hidden")
        self.query_one(RollTable).focus()

    @on(DataTable.RowSelected, "#sessions")
    def _session_selected(self, event: DataTable.RowSelected) -> None:
        self.open_current_session()




def _roll_header(activity: str, day: dt.date, marked: int, enrolled: int, tail: str, room: int) -> str:
    """The roll call's header on one line where it can be. What tells the open session from the others
    goes last: the day line loses its year, then its week ("tis 24 nov"), the session's hours go
    ("08:00–15:00"), then its name is shortened keeping the words that tell groups apart ("Arb. second
    hand g2 fm", `short_name`), and where even that is cut the day goes (the session list beside it says
    it) before the name: at 80 columns it read "Arbetstr…", the same for café and café g2. The count and
    the state are never cut (a pane too narrow for even those wraps)."""
    def line(name: str, day_text: str | None) -> str:
        if day_text is None:
            return t("att.roll_header_no_day", activity=name, marked=marked, enrolled=enrolled) + tail
        return t("att.roll_header", activity=name, day=day_text, marked=marked, enrolled=enrolled) + tail

    def shortened(name: str, day_text: str | None) -> str:
        return short_name(name, max(4, len(name) - (cell_len(line(name, day_text)) - room)))

    full = calendar.day_line(day)
    no_year = calendar.day_line(day, year=False)
    no_week = calendar.day_line(day, year=False, week=False)
    bare = re.sub(r"\s+\d{1,2}:\d{2}–\d{1,2}:\d{2}$", "", activity)  # (a session's title ends in its hours)
    for name, day_text in ((activity, full), (activity, no_year), (activity, no_week), (bare, no_week)):
        text = line(name, day_text)
        if room <= 0 or cell_len(text) <= room:
            return text
    name = shortened(bare, no_week)
    if not name.endswith("…"):
        return line(name, no_week)
    return line(shortened(bare, None), None)


def _show_line(line: Static, text: str) -> None:
    """Put `text` in a line whose height follows its text (the roll call's header and detail line). The
    same text again does nothing; a text that stays on one line, as the one before it did (an empty line
    is one line high too), repaints the line without a new layout of the whole screen: the detail line
    follows the cursor, and a layout per mark key or per saved mark was most of a frame in a burst."""
    before = line.content if isinstance(line.content, str) else None
    if text == before:
        return
    room = line.content_region.width
    one_line = before is not None and 0 < room and cell_len(text) <= room and cell_len(before) <= room
    line.update(text, layout=not one_line)


def _places_cell(session: Session) -> Text:
    """Enrolled of capacity; red when over (an override was given a reason)."""
    full = session.capacity and session.enrolled > session.capacity
    return Text(f"{session.enrolled}/{session.capacity}", style="red" if full else "", justify="right")


def _marked_cell(session: Session) -> Text:
    """The count carries the state: yellow open, green done, "inställd" dimmed."""
    marked = t("sess.cancelled_short") if session.state == "cancelled" else f"{session.marked}/{session.enrolled}"
    return Text(marked, style={"open": "yellow", "done": "green", "cancelled": "dim"}[session.state], justify="right")
