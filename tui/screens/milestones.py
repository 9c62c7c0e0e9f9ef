"""F4 Milstolpar: my caseload grouped by current stage, days in stage, alerts highlighted."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from store import milestones
from tui.keyhelp import help_keys
from tui.text import t
from tui.appbase import ArenaScreen, AppBase, SaysWorkerFailures, Synced
from tui.dialogs import ChoiceDialog, DialogFlow, run_flow
from tui.labels import Col, fit_table, person_name
from tui.milestone_keys import MILESTONE_BINDINGS, MilestoneKeys
from tui.footer import ArenaFooter
from tui.header import ArenaHeader
from tui.workers import show, store_call


@help_keys("key.milestones", " (F4)", rank=40)
class BoardTable(MilestoneKeys, DataTable):
    app: AppBase

    BINDINGS = [Binding("enter", "edit", "key.edit", id="edit_milestone"),
                Binding("o", "open_case", "key.open", id="open_case"), *MILESTONE_BINDINGS]

    class Changed(Message):
        """A milestone of the board was written (and committed): the screen reads the board again."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.rows_by_id: dict[str, milestones.BoardRow] = {}

    def _row(self) -> milestones.BoardRow | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.rows_by_id.get(key) if key is not None else None

    def target(self) -> tuple[str, str, milestones.Milestone | None] | None:
        row = self._row()
        return (row.participant_id, row.name, row.milestone) if row else None

    def changed(self) -> None:
        self.post_message(self.Changed())

    def action_edit(self) -> None:
        """Enter: what to do with this person's current milestone, as a short menu of the same keys."""
        row = self._row()
        if row is None:
            return
        choices = [("ms_achieve", f"a  {t('key.achieve')}"), ("ms_plan_date", f"p  {t('key.plan_date')}"),
                   ("ms_cancel", f"c  {t('key.cancel_ms')}"), ("ms_exit", f"e  {t('key.exit')}"),
                   ("ms_note", f"Ctrl+N  {t('key.note')}"), ("open_case", f"o  {t('key.open')}")]
        if row.milestone is None:
            choices = choices[3:]

        stage = row.milestone.stage_label if row.milestone else "–"

        async def steps(flow: DialogFlow) -> None:
            action = await flow.ask(ChoiceDialog(f"{row.name} · {stage}", choices))
            if action:  # the key's own flow takes the keys from here (it holds them before this one ends)
                getattr(self, f"action_{action}")()

        run_flow(self, steps)

    def action_open_case(self) -> None:
        row = self._row()
        if row:
            self.app.open_case(row.participant_id, row.name)


BOARD_COLUMNS = (Col("stage", "ms.col.stage", 20, 14), Col("name", "att.col.name", 30, 16),
                 Col("status", "ms.col.status", 10), Col("days", "ms.col.days", 12, right=True),
                 Col("planned", "ms.col.planned", 10, drop=1), Col("alert", "ms.col.alert", 40, 14))


class MilestonesScreen(SaysWorkerFailures, ArenaScreen):
    app: AppBase

    def compose(self) -> ComposeResult:
        yield ArenaHeader()
        yield Static(t("ms.title"), id="ms-title", classes="pane-title")
        yield BoardTable(id="board")
        yield ArenaFooter()

    def on_mount(self) -> None:
        table = self.query_one(BoardTable)
        self.rows: list = []
        self._fit()
        table.focus()
        self.keys_wait_for_first_read()  # (read as the screen is first shown: `on_screen_resume`)

    def _fit(self) -> list[str]:
        """The board's columns for the screen's width: at 80 columns the planned date goes (it is in the
        case card and the to-do text), names and the to-do wrap, the days keep their width."""
        table = self.query_one(BoardTable)
        width = self.app.size.width - 2
        if getattr(self, "_fitted_for", None) != width:
            self._fitted_for = width
            self._keys = fit_table(table, BOARD_COLUMNS, width)
        return self._keys

    def on_resize(self) -> None:
        if self.rows is not None and getattr(self, "_fitted_for", None) != self.app.size.width - 2:
            self._show(self.rows)

    def on_screen_resume(self) -> None:
        self.reload()

    @on(BoardTable.Changed)
    @on(Synced)
    @work(thread=True, group="board", exclusive=True, exit_on_error=False)
    def reload(self) -> None:
        try:
            show(self, self._show, store_call(self.app, milestones.board, self.app.db, self.app.login))
        finally:
            self.first_read_shown()

    def _show(self, rows: list[milestones.BoardRow]) -> None:
        self.rows = rows
        keys = self._fit()
        table = self.query_one(BoardTable)
        keep = table.cursor_row
        table.clear()
        table.rows_by_id = {r.participant_id: r for r in rows}
        previous = None
        alerts = 0
        for r in rows:
            m = r.milestone
            stage = m.stage_label if m else "–"
            label = Text(stage, style="bold") if stage != previous else Text("  ″", style="dim")
            previous = stage
            alert = Text(r.alert_text(), style="bold red" if "ms.alert.overdue" in r.alert_keys else "yellow")
            alerts += bool(r.alerts)
            cells = {"stage": label, "name": person_name(r.name, r.protected),
                     "status": t("ms.status." + m.status) if m else "",
                     "days": Text(str(r.days_in_stage), justify="right"),
                     "planned": (m.planned_date or "") if m else "", "alert": alert}
            table.add_row(*[cells[k] for k in keys], key=r.participant_id, height=None)
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        title = t("ms.title") + " · " + t("ms.count", n=len(rows), alerts=alerts) if rows else t("ms.none")
        self.query_one("#ms-title", Static).update(title)
