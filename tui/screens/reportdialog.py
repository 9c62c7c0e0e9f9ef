"""The närvarorapport dialog: which period (a month, or from–to), whom (one participant, my caseload, an
activity's participants, or everyone) and which file (PDF, XLSX, CSV). Returns a `ReportRequest`;
`ask_and_write` asks it (and a reason, when needed) in one dialog flow and writes the file in a thread,
into `rapporter/` beside the database, named for what it holds and owner-only."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select

from store import clock, report
from store.access import REASON_KEYS, AccessDenied, check_reason
from store.db import Database
from store.i18n import ArenaError
from tui.text import t
from tui.appbase import AppBase, SaysWorkerFailures
from tui.dialogs import ChoiceDialog, Dialog, DialogFlow, run_flow
from tui.workers import show, store_call


@dataclass(frozen=True)
class ReportRequest:
    month: str | None
    start: str | None
    end: str | None
    scope: str  # "participant", "caseload", "activity", "all"
    activity: str | None
    fmt: str  # "pdf", "xlsx", "csv"


class ReportDialog(SaysWorkerFailures, Dialog[ReportRequest]):
    """What to report: dismissed with a `ReportRequest`, or None (Escape, Avbryt)."""

    app: AppBase

    BINDINGS = [Binding("escape", "cancel", "dlg.cancel"), Binding("ctrl+s", "write", "rep.write")]

    def __init__(self, *, participant_name: str | None = None) -> None:
        super().__init__()
        self.participant_name = participant_name

    def compose(self) -> ComposeResult:
        scopes = []
        if self.participant_name:
            scopes.append((t("rep.scope_participant", name=self.participant_name), "participant"))
        scopes += [(t("rep.scope_my_caseload"), "caseload"), (t("rep.scope_an_activity"), "activity"),
                   (t("rep.scope_everyone"), "all")]
        # the fields scroll, the buttons stay: at 80x24 "Skriv rapport / Avbryt" are on screen too
        with Vertical(classes="dialog form", id="report-dialog"):
            yield Label(t("rep.dialog_title"), classes="dialog-question")
            with VerticalScroll(id="rep-fields"):
                yield Label(t("rep.month_label"))
                yield Input(clock.today().strftime("%Y-%m"), id="rep-month", placeholder="ÅÅÅÅ-MM")
                with Horizontal(classes="form-row"):
                    yield Input("", id="rep-from", placeholder=t("rep.from_placeholder"))
                    yield Input("", id="rep-to", placeholder=t("rep.to_placeholder"))
                yield Select(scopes, value=scopes[0][1], allow_blank=False, id="rep-scope")
                yield Select([], prompt=t("rep.choose_activity"), id="rep-activity", classes="hidden")
                yield Select([("PDF", "pdf"), ("Excel (XLSX)", "xlsx"), ("CSV", "csv")], value="pdf",
                             allow_blank=False, id="rep-format")
            yield Label("", id="rep-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("rep.write"), variant="primary", id="rep-write")
                yield Button(t("dlg.cancel"), id="rep-cancel")

    def on_mount(self) -> None:
        self._fit()
        self.query_one("#rep-month", Input).focus()
        self.keys_wait_for_first_read()  # keys typed ahead choose among the activities once read
        self._read_activities(self.app.db)

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """The fields get what the screen has left after the dialog's frame, title, error line and buttons
        (90 % of the height, as every dialog), and scroll within it."""
        fixed = 2 + 2 + 2 + 1 + 4  # border, padding, title with its margin, error line, buttons with theirs
        self.query_one("#rep-fields").styles.max_height = max(3, int(self.app.size.height * 0.9) - fixed)

    @work(thread=True, group="report-dialog", exclusive=True, exit_on_error=False)
    def _read_activities(self, db: Database) -> None:
        try:
            show(self, self._activities, store_call(self.app, report.activities, db))
        finally:
            self.first_read_shown()

    def _activities(self, items: list[tuple[str, str]]) -> None:
        self.query_one("#rep-activity", Select).set_options([(name, aid) for aid, name in items])

    @on(Select.Changed, "#rep-scope")
    def _scope(self, event: Select.Changed) -> None:
        activity = self.query_one("#rep-activity", Select)
        activity.set_class(event.value != "activity", "hidden")
        if event.value == "activity":  # the field it adds comes into view (at 80x24 it lay below the fold)
            self.call_after_refresh(activity.scroll_visible, animate=False)

    @on(Input.Changed, "#rep-from, #rep-to")
    def _range_typed(self, event: Input.Changed) -> None:
        """A from–to typed replaces the month: the dialog shows only the period the report will have."""
        if event.value.strip():
            self.query_one("#rep-month", Input).value = ""

    @on(Input.Changed, "#rep-month")
    def _month_typed(self, event: Input.Changed) -> None:
        if event.value.strip():
            for field in ("#rep-from", "#rep-to"):
                self.query_one(field, Input).value = ""

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        """A refusal is about the fields as they were: once one changes, its line goes."""
        self.query_one("#rep-error", Label).update("")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_write()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "rep-write":
            self.action_write()
        else:
            self.dismiss(None)

    def action_write(self) -> None:
        month = self.query_one("#rep-month", Input).value.strip()
        start = self.query_one("#rep-from", Input).value.strip()
        end = self.query_one("#rep-to", Input).value.strip()
        scope = str(self.query_one("#rep-scope", Select).value)
        chosen = self.query_one("#rep-activity", Select)
        activity = None if chosen.is_blank() else str(chosen.value)
        try:
            if month and (start or end):  # the fields empty each other; never guess which one was meant
                raise ArenaError("cli.bad_usage", detail="--month | --from/--to")
            if start or end:
                report.period_of(None, start, end)
                month = ""
            else:
                report.period_of(month)
            if scope == "activity" and activity is None:
                raise ArenaError("rep.choose_activity_first")
        except ArenaError as error:
            self.query_one("#rep-error", Label).update(str(error))
            return
        self.dismiss(ReportRequest(month or None, start or None, end or None, scope,
                                   activity,
                                   str(self.query_one("#rep-format", Select).value)))

    def action_cancel(self) -> None:
        self.dismiss(None)


def ask_and_write(app: AppBase, *, participant: str | None = None, participant_name: str | None = None) -> None:
    """Ask what to report, then write it; the notification names the file. One dialog flow in a worker of
    the app (the report outlives the screen it was asked from): the report dialog, then – when the chosen
    group reaches beyond the user's caseload (everyone, an activity) and the store refuses without a
    reason – why (the read of each person outside is then logged with it); Escape writes nothing. Keys
    typed meanwhile wait for the next dialog; the file itself is written without holding them."""
    async def steps(flow: DialogFlow) -> None:
        request = await flow.ask(ReportDialog(participant_name=participant_name))
        if request is None:
            return
        built = await flow.read(_build, app.db, app.login, request, participant, "")
        while isinstance(built, AccessDenied):
            reason = await flow.ask(ChoiceDialog(
                t("rep.reason_question", n=built.params["n"], total=built.params["total"]),
                [(t(key), t(key)) for key in REASON_KEYS], with_text=t("dlg.reason_placeholder"),
                with_text_label=t("dlg.reason.other"), check=check_reason, explicit=True))
            if not reason:
                return
            built = await flow.read(_build, app.db, app.login, request, participant, reason)
        flow.end()  # nothing more to ask: the keys go on while the file is written
        folder = Path(app.db.path).resolve().parent / "rapporter"
        path = await flow.read(_write, built, folder, request.fmt)
        app.notify(t("report.saved", path=path), timeout=10)

    run_flow(app, steps)


def _build(db: Database, login: str, request: ReportRequest, participant: str | None,
           reason: str) -> report.Report | AccessDenied:
    """(In a thread.) The report asked for (its people read as it is written), or the store's refusal
    to report beyond the caseload without a reason."""
    try:
        return report.build(db, login, request.month, start=request.start, end=request.end,
                            participant=participant if request.scope == "participant" else None,
                            caseworker=login if request.scope == "caseload" else None,
                            activity=request.activity if request.scope == "activity" else None,
                            stream=True, reason=reason)
    except AccessDenied as refused:
        if refused.key == "acc.reason_required_bulk" and not reason:
            return refused
        raise


def _write(built: report.Report, folder: Path, fmt: str) -> Path:
    """(In a thread.) The file, into `rapporter/` beside the database, owner-only; a second report of the
    same period and people is written beside the first ("…-2.pdf"), never over it."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return report.write_file(built, folder / report.file_name(built, fmt), fmt, keep=True)
