"""Activities administration (`a` on F5, administrators): every activity and its sessions with times,
hours per weekday, enrolled of capacity, leader and site; add, edit, add a session, change a session
(new hours apply from a date on), close. The same store calls as `arena activities …`."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from store import access, activities, clock, validate
from store.i18n import ArenaError
from tui.keyhelp import help_keys
from tui.text import t
from tui.appbase import ArenaScreen, AppBase, SaysWorkerFailures, Synced
from tui.dialogs import DialogFlow, FormDialog, PromptDialog, Saved, run_flow
from tui.labels import add_columns
from tui.footer import ArenaFooter
from tui.header import ArenaHeader
from tui.workers import show, store_call


def _optional_date(text: str) -> dt.date | None:
    return validate.date(text) if text.strip() else None


@help_keys("key.activities", " (a)", rank=80)
class ActivitiesScreen(SaysWorkerFailures, ArenaScreen):
    app: AppBase

    BINDINGS = [
        Binding("escape", "app.pop_screen", "key.back", id="back"),
        Binding("ctrl+n", "add_activity", "key.new_activity", id="new_activity"),
        Binding("ctrl+e", "edit_activity", "key.edit", id="edit_activity"),
        Binding("s", "add_session", "key.new_session", id="new_session"),
        Binding("h", "edit_session", "key.edit_session", id="edit_session"),
        Binding("c", "close_activity", "key.close_activity", id="close_activity"),
    ]

    def __init__(self, row: int = 0) -> None:
        super().__init__()
        self.rows: dict[str, tuple[activities.Activity, activities.ActivitySession | None]] = {}
        self.first_row = row  # where the cursor goes when the list is first shown

    def again(self) -> ActivitiesScreen:
        """This list built anew (F12: the new language), the cursor on the same row."""
        return ActivitiesScreen(self.query_one(DataTable).cursor_row)

    def compose(self) -> ComposeResult:
        yield ArenaHeader()
        yield Static(t("adm.title"), classes="pane-title")
        yield DataTable(id="adm-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="adm-status", classes="muted")
        yield ArenaFooter()

    def on_mount(self) -> None:
        add_columns(self.query_one(DataTable), ("activity", "att.col.activity", 22), ("session", "adm.col.session", 6),
                    ("times", "adm.col.times", 11), ("hours", "adm.col.hours", 19), ("places", "att.col.places", 7),
                    ("leader", "adm.col.leader", 14), ("site", "att.col.site", None))
        self.query_one(DataTable).focus()
        self.keys_wait_for_first_read()
        self.reload()

    @on(Synced)
    @work(thread=True, group="adm", exclusive=True, exit_on_error=False)
    def reload(self) -> None:
        try:
            show(self, self._show, store_call(self.app, activities.all_activities, self.app.db, include_closed=True))
        finally:
            self.first_read_shown()

    def _show(self, found: list[activities.Activity]) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row if table.row_count else self.first_row
        table.clear()
        self.rows = {}
        for act in found:
            style = "dim" if act.closed else ""
            sessions: list[activities.ActivitySession | None] = [*act.sessions] or [None]
            for s in sessions:
                key = s.id if s else act.id
                self.rows[key] = (act, s)
                ends = f" → {s.end_date}" if s and s.end_date else ""
                table.add_row(Text(act.name, style=style), s.name if s and s.name else "–",
                              (s.times or t("act.all_day")) if s else "", " ".join(f"{h:g}" for h in s.hours) + ends
                              if s else "", f"{s.enrolled}/{s.capacity}" if s else "", act.leader_login or "–",
                              act.site, key=key)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        self.query_one("#adm-status", Static).update(t("adm.count", n=len(found)) if found else t("adm.empty"))

    def current(self) -> tuple[activities.Activity, activities.ActivitySession | None] | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(key) if key is not None else None

    def _write(self, fn, saved) -> None:  # noqa: ANN001 -- a store call; the message, or one from its result
        def done(result: object) -> None:
            self.app.notify(saved(result) if callable(saved) else saved, timeout=3)
            self.reload()

        self.app.write_lane.submit(fn, done, lambda m: self.app.notify(m, severity="error", timeout=8))

    def _ask(self, form: FormDialog[Any, Any], saved: str | Callable[[Saved[Any, Any]], str]) -> None:
        """Ask a form that saves from inside itself; once it has closed saved (committed), say so and show
        it. Escape closes it with nothing saved."""
        async def steps(flow: DialogFlow) -> None:
            result = await flow.ask(form)
            if isinstance(result, Saved):
                self.app.notify(saved(result) if callable(saved) else saved, timeout=3)
                self.reload()

        run_flow(self, steps)

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"add_activity", "edit_activity", "add_session", "edit_session", "close_activity"}:
            return self.app.may(access.ADMIN)
        return super().check_action(action, parameters)

    def action_add_activity(self) -> None:
        db, login = self.app.db, self.app.login

        def check(v: dict[str, str]) -> dict:
            name = validate.text(v["name"], t("adm.f.name"), max_len=80, required=True)
            capacity = int(validate.number(v["capacity"] or "25"))
            sessions = [activities.parse_session(part.strip(), v["hours"] or None)
                        for part in v["sessions"].split(";") if part.strip()]
            if not sessions:
                sessions = [activities.SessionSpec("", activities.parse_hours(v["hours"] or ""))]
            return {"name": name, "kind": v["kind"], "site": v["site"], "leader": v["leader"].strip() or None,
                    "capacity": capacity, "sessions": sessions}

        def save(v: dict) -> str:
            return activities.create(db, login, v["name"], kind=v["kind"], site=v["site"], leader_login=v["leader"],
                                     capacity=v["capacity"], sessions=v["sessions"])

        self._ask(FormDialog(t("adm.new"), [
            ("name", t("adm.f.name"), "", False), ("sessions", t("adm.f.sessions"), "", False),
            ("hours", t("adm.f.hours"), "", False), ("capacity", t("adm.f.capacity"), "25", False),
            ("leader", t("adm.f.leader"), "", False), ("site", t("adm.f.site"), "", False),
            ("kind", t("adm.f.kind"), "", False)], check, write=save),
            lambda r: t("act.added", name=r.value["name"]))

    def action_edit_activity(self) -> None:
        found = self.current()
        if found is None:
            return
        act, _ = found
        db, login = self.app.db, self.app.login

        def check(v: dict[str, str]) -> dict:
            validate.text(v["name"], t("adm.f.name"), max_len=80, required=True)
            return v

        def save(v: dict) -> dict:
            return activities.edit(db, login, act.id, name=v["name"], kind=v["kind"], site=v["site"],
                                   leader_login=v["leader"].strip())

        self._ask(FormDialog(t("adm.edit", name=act.name), [
            ("name", t("adm.f.name"), act.name, False), ("leader", t("adm.f.leader"), act.leader_login or "", False),
            ("site", t("adm.f.site"), act.site, False), ("kind", t("adm.f.kind"), act.kind, False)], check, write=save),
            lambda r: t("act.saved", name=r.value["name"]))

    def action_add_session(self) -> None:
        found = self.current()
        if found is None:
            return
        act, _ = found
        db, login = self.app.db, self.app.login

        def check(v: dict[str, str]) -> activities.SessionSpec:
            spec = activities.parse_session(f"{v['name']}={v['times']}", v["hours"] or None)
            if not spec.name:
                raise ArenaError("err.required", field=t("adm.f.session"))
            capacity = int(validate.number(v["capacity"])) if v["capacity"].strip() else None
            return activities.SessionSpec(spec.name, spec.hours, spec.start, spec.end, capacity)

        def save(spec: activities.SessionSpec) -> str:
            return activities.add_session(db, login, act.id, spec)

        self._ask(FormDialog(t("adm.new_session", name=act.name), [
            ("name", t("adm.f.session"), "", False), ("times", t("adm.f.times"), "", False),
            ("hours", t("adm.f.hours"), "", False), ("capacity", t("adm.f.capacity"), str(act.capacity), False)],
            check, write=save), t("act.saved", name=act.name))

    def action_edit_session(self) -> None:
        found = self.current()
        if found is None or found[1] is None:
            return
        act, s = found
        assert s is not None
        db, login = self.app.db, self.app.login

        def check(v: dict[str, str]) -> dict:
            start, _, end = v["times"].partition("-")
            times = activities.check_times(start, end)
            return {"times": times, "hours": activities.parse_hours(v["hours"]),
                    "from": _optional_date(v["from"]) or clock.today(), "capacity": int(validate.number(v["capacity"])),
                    "end": _optional_date(v["end"]), "name": v["name"]}

        def save(v: dict) -> None:
            activities.edit_session(
                db, login, s.id, name=v["name"] if s.name else None, start=v["times"][0], end=v["times"][1],
                capacity=v["capacity"], end_date=v["end"], hours=v["hours"] if v["hours"] != s.hours else None,
                valid_from=v["from"])

        self._ask(FormDialog(t("adm.edit_session", name=s.title), [
            ("name", t("adm.f.session"), s.name, False),
            ("times", t("adm.f.times"), f"{s.start}-{s.end}" if s.start else "", False),
            ("hours", t("adm.f.hours_week"), " ".join(f"{h:g}" for h in s.hours), False),
            ("from", t("adm.f.from"), clock.today().isoformat(), False),
            ("capacity", t("adm.f.capacity"), str(s.capacity), False),
            ("end", t("adm.f.end"), s.end_date or "", False)], check, write=save),
            t("act.saved", name=act.name))

    def action_close_activity(self) -> None:
        found = self.current()
        if found is None:
            return
        act, _ = found
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            last = await flow.ask(PromptDialog(t("adm.close", name=act.name), clock.today().isoformat(),
                                               check=validate.date))
            if last is not None:
                self._write(lambda: activities.close(db, login, act.id, last),
                            lambda n: t("act.closed_now", name=act.name, date=last.isoformat(), n=n))

        run_flow(self, steps)
