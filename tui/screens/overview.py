"""F5 Översikt: "Min dag" (what needs attention today) and the programme figures.

Every list is actionable: Enter on a session opens its roll call, Enter on a person opens the case card.
`R` asks for a period and whom, then writes the närvarorapport (PDF, XLSX or CSV) next to the database.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from store import access, clock, overview, staff
from store.db import Database
from tui.keyhelp import help_keys
from tui.text import t
from tui.appbase import ArenaScreen, AppBase, LogChecked, SaysWorkerFailures, Synced
from tui.labels import Col, fit_table, person_name, row_height
from tui.workers import show, store_call
from tui.footer import ArenaFooter
from tui.header import ArenaHeader

if TYPE_CHECKING:  # (store.activities, Select and Sparkline load with the figures tab)
    from textual.widgets import Select

    from store.activities import Activity


def tamper_lines(database, login: str) -> list[str]:  # noqa: ANN001
    """The F5 line for administrators: the access log's chains and triggers, as found at open and sync."""
    return access.tamper_lines(database, login)


# What F5's lists show; at 80 columns names and texts wrap and nothing is cut (a count keeps its width).
OV_COLUMNS = {
    "ov-sessions": (Col("activity", "att.col.activity", 48, 20), Col("marked", "att.col.marked", 9, right=True),
                    Col("state", "att.col.state", 10)),
    "ov-unexcused": (Col("name", "att.col.name", 34, 18), Col("count", "ov.col.count", 6, right=True),
                     Col("dates", "ov.col.dates", 40, 10)),
    "ov-below": (Col("name", "att.col.name", 34, 18), Col("hours", "ov.col.hours", 14)),
    "ov-alerts": (Col("name", "att.col.name", 34, 18), Col("stage", "ms.col.stage", 20, 12),
                  Col("alert", "ms.col.alert", 60, 16)),
    "ov-silent": (Col("name", "att.col.name", 34, 18), Col("last", "ov.col.last", 12)),
}


class ListTable(DataTable):
    """A list of people or sessions; Enter acts on the row."""

    BINDINGS = [Binding("enter", "act", "key.open", id="open")]
    fitted_for: int | None = None  # the width its columns were fitted for (by the screen)
    shown_keys: list[str] = []  # the columns shown at that width

    class Chosen(Message):
        """Enter on a row: the screen opens what the row's key names (a case, or `s:` and a session)."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def action_act(self) -> None:
        if not self.row_count:
            return
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        if key:
            self.post_message(self.Chosen(key))


@help_keys("key.overview", " (F5)", rank=70)
class OverviewScreen(SaysWorkerFailures, ArenaScreen):
    app: AppBase

    BINDINGS = [
        Binding("R", "report", "key.report", id="report"),
        Binding("f,F", "figures", "key.figures", id="figures", key_display="F"),
        Binding("y", "sync", "key.sync", id="sync"),
        Binding("k", "conflicts", "key.conflicts", id="conflicts"),
        Binding("g", "review", "key.review", id="review"),
        Binding("a", "activities", "key.activities", id="activities"),
        Binding("u", "users", "key.users", id="users"),
    ]

    _figures_built: bool = False  # the figures tab's widgets are built when it is first shown

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield ArenaHeader()
        yield Static("", id="ov-sync", classes="muted")
        yield Static("", id="ov-tamper", classes="error hidden")
        with TabbedContent(id="ov-tabs"):
            with TabPane(t("ov.title"), id="tab-myday"):
                with VerticalScroll(id="myday"):
                    for key, title in (("ov-sessions", "ov.sessions"), ("ov-unexcused", "ov.unexcused"),
                                       ("ov-below", "ov.below"), ("ov-alerts", "ov.alerts"),
                                       ("ov-silent", "ov.silent")):
                        yield Static(t(title, days=30), id=f"{key}-title", classes="pane-title")
                        yield ListTable(id=key, cursor_type="row", zebra_stripes=True, classes="ov-list")
            yield TabPane(t("fig.title"), id="tab-figures")  # filled when first shown (_figures_pane)
        yield ArenaFooter()

    async def _figures_pane(self) -> None:
        """The figures tab's widgets, built the first time it is shown: "Min dag" is what a start draws
        (three Selects and a sparkline less to build, style and lay out before the first screen)."""
        if self._figures_built:
            return
        self._figures_built = True
        from textual.widgets import Select, Sparkline  # lazy: with the figures tab, not on the first screen

        filters = Horizontal(Select([], prompt=t("fig.all_sites"), id="fig-site"),
                             Select([], prompt=t("fig.all_caseworkers"), id="fig-cw"),
                             Select([], prompt=t("fig.all_activities"), id="fig-activity"), id="fig-filters")
        text = VerticalScroll(Static("", id="fig-text"), Static(t("fig.trend"), classes="pane-title"),
                              Sparkline([], id="fig-trend"), Static("", id="fig-trend-text", classes="muted"))
        await self.query_one("#tab-figures", TabPane).mount_all([filters, text])

    def on_mount(self) -> None:
        self.rows: dict[str, list[tuple[str, dict]]] = {}
        for table_id in OV_COLUMNS:
            self._fit(table_id)
        self.query_one("#ov-sessions", ListTable).focus()
        self._figures_built = False  # the figures tab's widgets are built when it is first shown
        self._figures_loaded = False  # the figures and their filters are read when their tab is first shown
        # The day is read at once, while the screen is laid out and drawn (not after, at its first
        # resume); the sync line (it imports the sync) once the day is shown: nothing slows the first paint.
        self._sync_line_after_day = True
        self._first_read: Worker | None = self._read_day(self.app.db, self.app.login)

    def on_screen_resume(self) -> None:
        first = self._first_read
        if first is not None and first.state in (WorkerState.PENDING, WorkerState.RUNNING):
            return  # the read begun at mount is under way (a mode's first showing resumes it twice)
        self._first_read = None
        self.reload()

    @on(Synced)
    def reload(self) -> None:
        self._read_day(self.app.db, self.app.login)
        self._read_sync_line(self.app.db)
        if self.query_one(TabbedContent).active == "tab-figures":
            self.reload_figures()
        self._tamper_again()

    @on(LogChecked)
    def _tamper_again(self) -> None:
        if self.app.may(access.ADMIN):  # a broken log is the administrators' to see and act on
            self._read_tamper(self.app.db, self.app.login)

    @work(thread=True, group="myday", exclusive=True, exit_on_error=False)
    def _read_day(self, db: Database, login: str) -> None:
        show(self, self._show, store_call(self.app, overview.my_day, db, login))

    @work(thread=True, group="sync-line", exclusive=True, exit_on_error=False)
    def _read_sync_line(self, db: Database) -> None:
        from store import sync  # lazy: the sync (and its cryptography) loads after the first screen is drawn
        from tui.screens.syncscreen import sync_line  # lazy: as store.sync

        show(self, self._show_sync_line, sync_line(store_call(self.app, sync.status, db)))

    def _show_sync_line(self, line: str) -> None:
        self.query_one("#ov-sync", Static).update(line)

    @on(TabbedContent.TabActivated, "#ov-tabs")
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-figures":  # read when shown (not with "Min dag" at start: not on screen)
            await self._figures_pane()
            if not self._figures_loaded:
                self._figures_loaded = True
                self._read_filters(self.app.db)
            self.reload_figures()
        self._tamper_again()

    def _show_tamper(self, lines: list[str]) -> None:
        line = self.query_one("#ov-tamper", Static)
        line.update("\n".join(lines))
        line.set_class(not lines, "hidden")

    def _fit(self, table_id: str) -> list[str]:
        """The table's columns for the screen's width (names and texts wrap, numbers keep their width)."""
        table = self.query_one(f"#{table_id}", ListTable)
        width = self.app.size.width - 4  # the scroll bars of the list and of the tab
        if table.fitted_for != width:
            table.fitted_for = width
            table.shown_keys = fit_table(table, OV_COLUMNS[table_id], width)
        return table.shown_keys

    def on_resize(self) -> None:
        for table_id, rows in getattr(self, "rows", {}).items():
            if self._fit(table_id) is not None:
                self._fill(table_id, rows)

    def _fill(self, table_id: str, rows: list[tuple[str, dict]]) -> None:
        """Rows as (key, {column: cell}); the columns the width dropped are left out, the rest wrap."""
        self.rows[table_id] = rows
        table = self.query_one(f"#{table_id}", ListTable)
        keys = self._fit(table_id)
        keep = table.cursor_row
        table.clear()
        for key, cells in rows:
            shown = [cells.get(k, "") for k in keys]
            table.add_row(*shown, key=key, height=row_height(table, keys, shown))
        if not rows:
            empty = [Text(t("ov.empty"), style="dim"), *[""] * (len(keys) - 1)]
            table.add_row(*empty, key="", height=row_height(table, keys, empty))
        table.styles.height = "auto"
        table.move_cursor(row=min(keep, max(len(rows) - 1, 0)))

    def _show(self, day: overview.MyDay) -> None:
        self.names = {}
        for item in [*day.unexcused, *day.below, *day.silent]:
            self.names[item.participant_id] = item.name
        for row in day.alerts:
            self.names[row.participant_id] = row.name
        state_style = {"open": "yellow", "done": "green", "cancelled": "dim"}
        self._fill("ov-sessions", [("s:" + s.session_id, {"activity": s.title,
                                    "marked": Text(f"{s.marked}/{s.enrolled}", justify="right"),  # under its header
                                    "state": Text(t("sess." + s.state), style=state_style[s.state])})
                                   for s in day.sessions])
        self._fill("ov-unexcused", [(i.participant_id, {"name": person_name(i.name, i.protected),
                                     "count": Text(str(i.numbers[0]), justify="right"), "dates": i.detail})
                                    for i in day.unexcused])
        self._fill("ov-below", [(i.participant_id, {"name": person_name(i.name, i.protected), "hours": i.detail})
                                for i in day.below])
        self._fill("ov-alerts", [(r.participant_id, {"name": person_name(r.name, r.protected),
                                  "stage": r.milestone.stage_label if r.milestone else "–", "alert": r.alert_text()})
                                 for r in day.alerts])
        self._fill("ov-silent", [(i.participant_id, {"name": person_name(i.name, i.protected), "last": i.detail})
                                 for i in day.silent])
        for key, title, n in (("ov-sessions", "ov.sessions", len(day.sessions)),
                              ("ov-unexcused", "ov.unexcused", len(day.unexcused)),
                              ("ov-below", "ov.below", len(day.below)), ("ov-alerts", "ov.alerts", len(day.alerts)),
                              ("ov-silent", "ov.silent", len(day.silent))):
            self.query_one(f"#{key}-title", Static).update(f"{t(title, days=30)} ({n})")
        self.app.first_screen_filled()
        if self._sync_line_after_day:
            self._sync_line_after_day = False
            if not getattr(self.app, "exit_after_ready", False):  # (a start-up measurement ends at the day)
                self._read_sync_line(self.app.db)

    @on(ListTable.Chosen)
    async def act(self, event: ListTable.Chosen) -> None:
        key = event.key
        if key.startswith("s:"):
            from tui.screens.attendance import AttendanceScreen  # lazy: F3's screen loads with its mode

            release = self.app.hold_keys()  # keys typed after Enter go to the roll call it opens
            try:
                await self.app.switch_mode("attendance")
                self.app.screen.post_message(AttendanceScreen.OpenSession(key[2:]))
            finally:
                release()  # the roll call holds them from here (AttendanceScreen.open_session)
            return
        self.app.open_case(key, self.names.get(key, ""))

    # ------------------------------------------------------------------ figures
    @work(thread=True, group="tamper", exclusive=True, exit_on_error=False)
    def _read_tamper(self, db: Database, login: str) -> None:
        show(self, self._show_tamper, store_call(self.app, tamper_lines, db, login))

    @work(thread=True, group="filters", exclusive=True, exit_on_error=False)
    def _read_filters(self, db: Database) -> None:
        from store import activities  # lazy: only for the figures tab

        cws = store_call(self.app, staff.all_caseworkers, db)
        show(self, self._filters, cws, store_call(self.app, overview.sites, db),
             store_call(self.app, activities.all_activities, db))

    def _filters(self, cws: list[staff.Caseworker], sites: list[str], acts: list[Activity]) -> None:
        from textual.widgets import Select  # lazy: with the figures tab

        self.query_one("#fig-cw", Select).set_options([(c.name, c.login) for c in cws])
        sites = sites or sorted({c.site for c in cws if c.site})
        self.query_one("#fig-site", Select).set_options([(x, x) for x in sites])
        self.query_one("#fig-activity", Select).set_options([(a.name, a.id) for a in acts])

    def on_select_changed(self, _: Select.Changed) -> None:  # (a filter of the figures)
        self.reload_figures()

    def reload_figures(self) -> None:
        from textual.widgets import Select  # lazy: with the figures tab

        site = self.query_one("#fig-site", Select).value
        cw = self.query_one("#fig-cw", Select).value
        activity = self.query_one("#fig-activity", Select).value
        flt = overview.Filter(site=site if isinstance(site, str) else None,
                              caseworker_login=cw if isinstance(cw, str) else None,
                              activity_id=activity if isinstance(activity, str) else None)
        self._read_figures(self.app.db, self.app.login, flt)

    @work(thread=True, group="figures", exclusive=True, exit_on_error=False)
    def _read_figures(self, db: Database, login: str, flt: overview.Filter) -> None:
        show(self, self._show_figures, store_call(self.app, overview.figures, db, login, flt))

    def _show_figures(self, f: overview.Figures) -> None:
        from textual.widgets import Sparkline  # lazy: with the figures tab

        self.query_one("#fig-text", Static).update(figures_text(f))
        rates = [(a / p if p else 0.0) for _, p, a in f.weekly_rate]
        self.query_one("#fig-trend", Sparkline).data = rates or [0.0]
        self.query_one("#fig-trend-text", Static).update(
            "  ".join(f"{t('rep.week', week=m.isocalendar()[1])}: {r:.0%}" for (m, _, _), r in zip(f.weekly_rate, rates)))

    # ------------------------------------------------------------------ actions
    def action_report(self) -> None:
        from tui.screens.reportdialog import ask_and_write  # lazy: F5 opens first; loaded on R

        ask_and_write(self.app)

    def action_sync(self) -> None:
        from tui.screens.syncscreen import start_sync  # lazy: loads store.sync

        start_sync(self.app)

    def action_conflicts(self) -> None:
        from tui.screens.syncscreen import ConflictsScreen  # lazy: loads store.sync

        self.app.push_screen(ConflictsScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("review", "activities", "users"):  # administrators only (the store refuses everyone else, too)
            return self.app.may(access.ADMIN)
        return super().check_action(action, parameters)

    def action_activities(self) -> None:
        from tui.screens.activities import ActivitiesScreen  # lazy: F5 opens first; loaded on a

        self.app.push_screen(ActivitiesScreen())

    def action_users(self) -> None:
        from tui.screens.users import UsersScreen  # lazy: F5 opens first; loaded on u

        self.app.push_screen(UsersScreen())

    def action_review(self) -> None:
        from tui.screens.review import AccessReviewScreen  # lazy: F5 opens first; loaded on g

        self.app.push_screen(AccessReviewScreen())

    def where(self) -> str:
        """The tab shown, for the screen F12 builds anew in the other language (`go_on_from`)."""
        return self.query_one(TabbedContent).active

    def go_on_from(self, tab: str) -> None:
        """Show the tab the screen this one replaces showed (F12 on the figures came back on "Min dag")."""
        if tab == "tab-figures" and self.query_one(TabbedContent).active != tab:
            # the keys typed after F12 are for the figures: they wait for them (or for this screen to go)
            release = self.app.hold_keys(owner=self)

            async def figures() -> None:
                try:
                    await self.action_figures()
                finally:
                    release()

            self.call_later(figures)

    async def action_figures(self) -> None:
        await self._figures_pane()  # (before the tab is switched to: its widgets are focused below)
        tabs = self.query_one(TabbedContent)
        tabs.active = "tab-figures" if tabs.active == "tab-myday" else "tab-myday"
        # focus on something that takes no letters, so the next F (or any key of this screen) works
        target = self.query_one("#fig-text").parent if tabs.active == "tab-figures" else self.query_one("#ov-sessions")
        if isinstance(target, Widget) and target.focusable:
            target.focus()



def figures_text(f: overview.Figures) -> Text:
    genders = ("K", "M", "X")
    out = Text()

    def row(label: str, values: dict, fmt=str) -> None:  # noqa: ANN001
        total = sum(v for v in values.values() if v is not None) if fmt is str else values.get("all")
        cells = "".join(f"{fmt(values.get(g)):>9}" for g in genders)
        out.append(f"{label:<26}{cells}{fmt(total):>9}\n")

    out.append(f"{'':<26}{t('fig.women'):>9}{t('fig.men'):>9}{t('fig.other'):>9}{t('fig.total'):>9}\n", style="bold")
    row(t("fig.active"), f.active)
    out.append(t("fig.time") + "\n", style="bold")
    for bucket in overview.BUCKETS:
        row(f"  {bucket} {t('fig.months')}", f.time_in_programme[bucket])
    out.append(t("fig.exits") + "\n", style="bold")
    for label, values in f.exits.items():
        row(f"  {label}", values)

    def pct(v: object) -> str:
        return "–" if v is None else f"{v:.0%}"

    row(t("fig.work_study"), f.work_or_study_share, pct)
    rate = f.rate_4_weeks
    out.append(f"\n{t('fig.rate')}: {pct(rate)}\n", style="bold")
    out.append("\n" + t("fig.caseloads") + "\n", style="bold")
    for name, n, women in f.caseloads:
        out.append(f"  {name:<24}{n:>9}  ({t('fig.women').lower()} {women})\n")
    return out
