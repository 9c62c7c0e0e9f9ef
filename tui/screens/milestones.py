"""F4 Milstolpar: my caseload grouped by current stage, days in stage, alerts highlighted."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from store import milestones
from store.i18n import t
from tui.dialogs import ChoiceDialog
from tui.labels import add_columns, person_name
from tui.milestone_keys import MILESTONE_BINDINGS, MilestoneKeys
from tui.workers import call_store


class BoardTable(MilestoneKeys, DataTable):
    BINDINGS = [Binding("enter", "edit", t("key.edit"), id="edit_milestone"),
                Binding("o", "open_case", t("key.open"), id="open_case"), *MILESTONE_BINDINGS]

    def __init__(self, **kwargs) -> None:  # noqa: ANN003
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.rows_by_id: dict[str, milestones.BoardRow] = {}

    def _row(self) -> milestones.BoardRow | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.rows_by_id.get(key)

    def target(self) -> tuple[str, str, milestones.Milestone | None] | None:
        row = self._row()
        return (row.participant_id, row.name, row.milestone) if row else None

    def changed(self) -> None:
        self.screen.reload()

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

        def chosen(action: object) -> None:
            if action:
                getattr(self, f"action_{action}")()

        stage = row.milestone.stage_label if row.milestone else "–"
        self.app.push_screen(ChoiceDialog(f"{row.name} · {stage}", choices), chosen)

    def action_open_case(self) -> None:
        row = self._row()
        if row:
            self.app.open_case(row.participant_id, row.name)


class MilestonesScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("ms.title"), id="ms-title", classes="pane-title")
        yield BoardTable(id="board")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(BoardTable)
        add_columns(table, ("stage", "ms.col.stage", 20), ("name", "att.col.name", 30), ("status", "ms.col.status", 10),
                    ("days", "ms.col.days", 14), ("planned", "ms.col.planned", 11), ("alert", "ms.col.alert", None))
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        call_store(self, milestones.board, self.app.db, self.app.login, done=self._show, group="board")

    def _show(self, rows: list[milestones.BoardRow]) -> None:
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
            table.add_row(label, person_name(r.name, r.protected), t("ms.status." + m.status) if m else "",
                          str(r.days_in_stage), (m.planned_date or "") if m else "", alert, key=r.participant_id)
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        title = t("ms.title") + " · " + t("ms.count", n=len(rows), alerts=alerts) if rows else t("ms.none")
        self.query_one("#ms-title", Static).update(title)
