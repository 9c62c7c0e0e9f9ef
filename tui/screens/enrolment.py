"""A person's enrolments (`i` on the case card): which activity session, from when, until when. Add one
(capacity shown; a full session asks for a reason, which is logged), end one, move one to another
session from a date on. The roll call of a day is built from the enrolments valid that day."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from store import activities, clock, validate
from tui.keyhelp import help_keys
from tui.text import t
from tui.appbase import ArenaScreen, AppBase, SaysWorkerFailures, Synced
from tui.dialogs import ChoiceDialog, DialogFlow, FormDialog, PromptDialog, Saved, run_flow
from tui.footer import ArenaFooter
from tui.header import ArenaHeader
from tui.labels import add_columns
from tui.workers import show, store_call


def _reason(text: str) -> str:
    return validate.text(text, "reason", max_len=200, required=True)


def _dates(v: dict[str, str]) -> tuple[dt.date, dt.date | None]:
    start = validate.date(v["from"])
    end = validate.date(v["to"]) if v.get("to", "").strip() else None
    return start, end


@help_keys("key.enrolments", " (i)", rank=60)
class EnrolmentScreen(SaysWorkerFailures, ArenaScreen[None]):
    app: AppBase

    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("ctrl+n", "add", "key.enrol", id="enrol"),
        Binding("x", "end", "key.unenrol", id="unenrol"),
        Binding("m", "move", "key.move_session", id="move"),
    ]

    def __init__(self, participant_id: str, name: str) -> None:
        super().__init__()
        self.participant_id = participant_id
        self.person = name
        self.rows: dict[str, activities.Enrolment] = {}

    def compose(self) -> ComposeResult:
        yield ArenaHeader()
        yield Static(t("enr.title", name=self.person), classes="pane-title")
        yield DataTable(id="enr-table", cursor_type="row", zebra_stripes=True)
        yield Static(t("enr.help"), classes="muted")
        yield ArenaFooter()

    def on_mount(self) -> None:
        add_columns(self.query_one(DataTable), ("session", "enr.col.session", 36), ("from", "enr.col.from", 11),
                    ("to", "enr.col.to", 11))
        self.query_one(DataTable).focus()
        self.keys_wait_for_first_read()  # keys typed ahead (x, m) act on the rows once shown
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)

    @on(Synced)
    @work(thread=True, group="enr", exclusive=True, exit_on_error=False)
    def reload(self) -> None:
        try:
            show(self, self._show, store_call(self.app, activities.enrolments, self.app.db, self.app.login,
                                              self.participant_id))
        finally:
            self.first_read_shown()

    def _show(self, found: list[activities.Enrolment]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.rows = {e.id: e for e in found}
        for e in found:
            table.add_row(e.title, e.start_date, e.end_date or "–", key=e.id)

    def current(self) -> activities.Enrolment | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(key) if key is not None else None

    def _write(self, fn: Callable[[], object], message: str,
               on_full: Callable[[str], object] | None = None) -> None:
        """Run a store write; a full session asks for a reason and tries again with it."""
        def attempt() -> tuple[bool, str]:
            try:
                fn()
            except activities.SessionFull as full:
                if on_full is None:
                    raise
                return False, str(full)
            return True, message

        def done(outcome: tuple[bool, str]) -> None:
            ok, text = outcome
            if ok:
                self.app.notify(text, timeout=3)
                self.reload()
            elif on_full is not None:
                self._ask_reason_then(text, lambda reason: self._write(lambda: on_full(reason), message))

        self.app.write_lane.submit(attempt, done, lambda text: self.app.notify(text, severity="error", timeout=8))

    def _ask_reason_then(self, why: str, then: Callable[[str], None]) -> None:
        """A full session: the reason (logged) to enrol all the same, then `then(reason)`."""
        async def steps(flow: DialogFlow) -> None:
            reason = await flow.ask(PromptDialog(f"{why} {t('enr.reason')}", check=_reason))
            if reason:
                then(reason)

        run_flow(self, steps)

    async def _ask_session(self, flow: DialogFlow, title: str, activity_id: str | None = None,
                           leaving: str | None = None) -> activities.ActivitySession | None:
        """A session to enrol in (of `activity_id` only, when given), not the one being left (a move)."""
        found = await flow.read(activities.open_sessions, self.app.db, clock.today())
        options = [(s, f"{s.title} · {t('act.places', n=s.enrolled, capacity=s.capacity)}") for s in found
                   if (activity_id is None or s.activity_id == activity_id) and s.id != leaving]
        if not options:
            self.app.notify(t("enr.no_other_session" if leaving else "enr.no_sessions"), severity="warning")
            return None
        return await flow.ask(ChoiceDialog(title, options))

    def action_add(self) -> None:
        db, login, pid = self.app.db, self.app.login, self.participant_id

        async def steps(flow: DialogFlow) -> None:
            s = await self._ask_session(flow, t("enr.pick"))
            if s is None:
                return

            def write(v: tuple[dt.date, dt.date | None]) -> str:
                """Saved from the dialog (a refusal stays in it with the dates); a full session closes it
                with the reason to ask for."""
                try:
                    activities.enrol(db, login, pid, s.activity_id, v[0], v[1], session=s.name or None)
                except activities.SessionFull as full:
                    return str(full)
                return ""

            result = await flow.ask(FormDialog(t("enr.add", session=s.title), [
                ("from", t("enr.col.from"), clock.today().isoformat(), False),
                ("to", t("enr.to_optional"), "", False)], _dates, write=write))
            if not isinstance(result, Saved):
                return
            start, end = result.value
            message = t("enr.added", session=s.title)
            if not result.outcome:
                self.app.notify(message, timeout=3)
                self.reload()
                return
            reason = await flow.ask(PromptDialog(f"{result.outcome} {t('enr.reason')}", check=_reason))
            if reason:
                self._write(lambda: activities.enrol(db, login, pid, s.activity_id, start, end,
                                                     session=s.name or None, reason=reason), message)

        run_flow(self, steps)

    def action_end(self) -> None:
        e = self.current()
        if e is None:
            return
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            last = await flow.ask(PromptDialog(t("enr.end", session=e.title), clock.today().isoformat(),
                                               check=validate.date))
            if last is not None:
                self._write(lambda: activities.end_enrolment(db, login, e.id, last),
                            t("enr.ended", session=e.title, date=last.isoformat()))

        run_flow(self, steps)

    def action_move(self) -> None:
        e = self.current()
        if e is None:
            return
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            s = await self._ask_session(flow, t("enr.pick_move", session=e.title), e.activity_id,
                                        leaving=e.session_id)
            if s is None:
                return
            day = await flow.ask(PromptDialog(t("enr.move_from", session=s.title), clock.today().isoformat(),
                                              check=validate.date))
            if day is not None:
                self._write(lambda: activities.move(db, login, e.id, s.id, day),
                            t("enr.moved", session=s.title, date=day.isoformat()),
                            on_full=lambda reason: activities.move(db, login, e.id, s.id, day, reason))

        run_flow(self, steps)
