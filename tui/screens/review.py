"""Access review (administrators, `g` on F5): the access log filtered by user, case and period, with
"views outside own caseload" and their stated reasons one switch away. The same filter as
`arena export --what audit --by … --case … --since … --until … --outside`."""
from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Checkbox, DataTable, Input, Static

from store import audit
from store.db import Database
from tui.keyhelp import help_keys
from tui.text import t
from tui.appbase import ArenaScreen, AppBase, SaysWorkerFailures, Synced
from tui.labels import add_columns
from tui.workers import StoreFailed, show, store_call
from tui.footer import ArenaFooter
from tui.header import ArenaHeader


FIELDS = ("user", "case", "since", "until")  # the filters typed


@help_keys("key.review", rank=100)
class AccessReviewScreen(SaysWorkerFailures, ArenaScreen):
    app: AppBase

    BINDINGS = [Binding("escape", "app.pop_screen", "key.back", id="back"),
                Binding("ctrl+o", "toggle_outside", "key.outside_only", id="outside")]

    def __init__(self, typed: dict[str, str] | None = None, outside: bool = False, focus: str = "rv-user") -> None:
        super().__init__()
        self.typed = typed or {}  # the filters as typed (a review built anew by F12 keeps them)
        self.outside = outside
        self.focus_first = focus  # the field (or the table) the keys go to when it opens

    def again(self) -> AccessReviewScreen:
        """This review built anew (F12: the new language), with its filters as typed and the keys going
        where they went (the next key typed went into the user field, replacing its filter)."""
        focused = self.focused.id if self.focused is not None and self.focused.id else "rv-user"
        return AccessReviewScreen({field: self.query_one(f"#rv-{field}", Input).value for field in FIELDS},
                                  self.query_one("#rv-outside", Checkbox).value, focused)

    def compose(self) -> ComposeResult:
        yield ArenaHeader()
        yield Static(t("rv.title"), classes="pane-title")
        with Horizontal(id="rv-filters"):
            yield Input(self.typed.get("user", ""), placeholder=t("rv.user"), id="rv-user", max_length=64)
            yield Input(self.typed.get("case", ""), placeholder=t("rv.case"), id="rv-case", max_length=64)
            yield Input(self.typed.get("since", ""), placeholder=t("rv.since"), id="rv-since", max_length=10)
            yield Input(self.typed.get("until", ""), placeholder=t("rv.until"), id="rv-until", max_length=10)
            yield Checkbox(t("rv.outside"), self.outside, id="rv-outside")
        yield Static("", id="rv-status")
        yield DataTable(id="rv-table", cursor_type="row", zebra_stripes=True)
        yield ArenaFooter()

    def on_mount(self) -> None:
        add_columns(self.query_one(DataTable), ("at", "rv.col.at", 16), ("user", "rv.col.user", 20),
                    ("action", "rv.col.action", 18), ("case", "rv.col.case", 30), ("reason", "rv.col.reason", 24),
                    ("detail", "rv.col.detail", 20))
        first = self.query_one(f"#{self.focus_first}")
        if isinstance(first, Input) and first.value:  # (F12: typing goes on at its end, replacing nothing)
            first.select_on_focus = False
            first.cursor_position = len(first.value)
        first.focus()
        self.reload()

    def current_filter(self) -> audit.AuditFilter:
        value = {field: self.query_one(f"#rv-{field}", Input).value for field in FIELDS}
        return audit.AuditFilter(value["user"], value["case"], value["since"], value["until"],
                                 self.query_one("#rv-outside", Checkbox).value)

    @on(Synced)
    def reload(self) -> None:
        self._read(self.app.db, self.app.login, self.current_filter())

    @work(thread=True, group="review", exclusive=True, exit_on_error=False)
    def _read(self, db: Database, login: str, which: audit.AuditFilter) -> None:
        try:
            rows = store_call(self.app, audit.review, db, login, which)
        except StoreFailed as failed:  # said above the table (logged already)
            show(self, self._refused, str(failed))
            return
        show(self, self._show, rows)

    @on(Input.Submitted)
    @on(Checkbox.Changed)
    def _apply(self) -> None:
        self.reload()

    def action_toggle_outside(self) -> None:
        box = self.query_one("#rv-outside", Checkbox)
        box.value = not box.value  # Checkbox.Changed reloads

    def _refused(self, message: str) -> None:
        self.query_one("#rv-status", Static).update(Text(message, style="bold red"))

    def _show(self, rows: list[audit.ReviewRow]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            outside = r.detail == "outside caseload"
            table.add_row(r.at[:16].replace("T", " "), r.user_name or r.user_login, _action(r.action),
                          r.participant, Text(r.reason, style="yellow") if outside else r.reason,
                          t("rv.outside_short") if outside else r.detail)
        self.query_one("#rv-status", Static).update(t("rv.count", n=len(rows)))


def _action(code: str) -> str:
    label = t(f"audit.action.{code}")
    return code if label == f"audit.action.{code}" else label
