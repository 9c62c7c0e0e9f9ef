"""The mark keys shared by the roll call and the week grid: one key, one mark, dialogs where needed.

A widget using `MarkKeys[Row]` provides `current()` (the person under the cursor, a `MarkRow`:
participant_id, name, planned_hours, mark) and `_submit(row, status, hours=, reason=, note=, advance=)`.
A key that asks (hours, an absence code, a note) runs a dialog flow (`tui.dialogs.run_flow`): the keys
typed meanwhile wait for the dialog, and those typed after its Enter for the mark's submission.
"""
from __future__ import annotations

from typing import Generic, Protocol, TypeVar, cast

from textual.binding import Binding
from textual.widget import Widget

from store import attendance, validate
from store.attendance import Mark
from tui.text import num, t
from tui.appbase import AppBase
from tui.dialogs import ChoiceDialog, DialogFlow, PromptDialog, run_flow


MARK_BINDINGS = [
    Binding("n,space", "mark('present')", "key.present", id="mark_present"),
    Binding("d", "mark_partial", "key.partial", id="mark_partial"),
    Binding("s", "mark('sick')", "key.sick", id="mark_sick"),
    Binding("b", "mark('vab')", "key.vab", id="mark_vab"),
    Binding("g", "mark_excused", "key.excused", id="mark_excused"),
    Binding("o", "mark('unexcused')", "key.unexcused", id="mark_unexcused"),
    Binding("m", "mark_note", "key.mark_note", id="mark_note", show=False),
]


class MarkRow(Protocol):
    """The person under the cursor, as the mark keys need it (a roll call's row, a week grid's cell)."""

    @property
    def participant_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def planned_hours(self) -> float: ...
    @property
    def mark(self) -> Mark | None: ...


Row = TypeVar("Row", bound=MarkRow)


class MarkKeys(Generic[Row]):
    app: AppBase

    def current(self) -> Row | None:
        raise NotImplementedError

    def _submit(self, row: Row, status: str, *, hours: float | None = None, reason: str | None = None,
                note: str = "", advance: bool = True) -> None:
        raise NotImplementedError

    def action_mark(self, status: str) -> None:
        row = self.current()
        if row is not None:
            self._submit(row, status)

    def action_mark_partial(self) -> None:
        row = self.current()
        if row is None:
            return
        top = attendance.most_partial_hours(row.planned_hours)

        def check(text: str) -> float:
            return attendance.partial_hours(text, row.planned_hours)  # the store's rule, said before saving

        async def steps(flow: DialogFlow) -> None:
            hours = await flow.ask(PromptDialog(t("att.hours_prompt", name=row.name, max=num(top)), check=check))
            if hours is not None:
                self._submit(row, "partial", hours=hours)

        run_flow(cast(Widget, self), steps)

    def action_mark_excused(self) -> None:
        row = self.current()
        if row is None:
            return
        codes = [c for c in self.app.absence_codes if c.category == "excused"]
        if len(codes) <= 1:
            self._submit(row, "excused", reason=codes[0].code if codes else None)
            return

        async def steps(flow: DialogFlow) -> None:
            code = await flow.ask(ChoiceDialog(t("att.code_prompt", name=row.name), [(c.code, c.label) for c in codes]))
            if code:
                self._submit(row, "excused", reason=code)

        run_flow(cast(Widget, self), steps)

    def action_mark_note(self) -> None:
        typed = self.current()
        if typed is None or (typed.mark is None and self.app.write_lane.settled()):
            return

        async def steps(flow: DialogFlow) -> None:
            if not self.app.write_lane.settled():
                # a mark typed just before (g, a code, Enter, then m; or s over a mark shown) is on its way
                # in the write lane: the note is for the mark it saves, so it waits until that is shown (the
                # keys typed meanwhile wait for the note's dialog)
                await flow.write(lambda: None)
            row = self.current()  # as shown now (the keys wait: the cursor is where m was pressed)
            if row is None or row.participant_id != typed.participant_id or row.mark is None:
                return  # not saved after all: its refusal is said on the row
            mark = row.mark
            note = await flow.ask(PromptDialog(t("att.note_prompt", name=row.name), mark.note,
                                               check=lambda s: validate.text(s, "note", max_len=500)))
            if note is not None:
                self._submit(row, mark.status, hours=mark.hours, reason=mark.reason_code, note=note,
                             advance=False)

        run_flow(cast(Widget, self), steps)
