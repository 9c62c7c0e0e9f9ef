"""F2 Sök: one field, ranked results as you type (debounced, in a worker); ctrl+n registers a person."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Checkbox, DataTable, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from store import cases, clock, identity, staff, validate
from store.cases import DuplicateHint, NewParticipant, SearchHit
from store.db import Database
from store.i18n import ArenaError
from tui.keyhelp import help_keys
from tui.text import language, t
from tui.appbase import ArenaScreen, AppBase, KeyHold, SaysWorkerFailures
from tui.labels import Col, fit_table, person_name
from tui.dialogs import Dialog, DialogFlow, run_flow
from tui.workers import StoreFailed, show, store_call
from tui.footer import ArenaFooter
from tui.header import ArenaHeader

DEBOUNCE = 0.15


class ResultTable(DataTable):
    BINDINGS = [Binding("enter", "open", "key.open", id="open_case")]

    class Open(Message):
        """Enter on a result: the person on the row under the cursor when the key was pressed."""

        def __init__(self, participant_id: str | None) -> None:
            super().__init__()
            self.participant_id = participant_id

    class Typed(Message):
        """A character typed on the results: it belongs to the search field (a new search), never lost."""

        def __init__(self, character: str) -> None:
            super().__init__()
            self.character = character

    def action_open(self) -> None:
        pid = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value if self.row_count else None
        self.post_message(self.Open(pid))

    def on_key(self, event: events.Key) -> None:
        if event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self.post_message(self.Typed(event.character))


RESULT_COLUMNS = (Col("name", "att.col.name", 34, 16), Col("number", "search.col.number", 15),
                  Col("age", "search.col.age", 7, 5, drop=2), Col("cw", "search.col.cw", 16, 9, drop=3),
                  Col("status", "search.col.status", 9), Col("stage", "search.col.stage", 18, 10, drop=1),
                  Col("why", "search.col.why", 24, 12, drop=4))


@help_keys("key.search", " (F2)", rank=10)
class SearchScreen(SaysWorkerFailures, ArenaScreen):
    app: AppBase

    BINDINGS = [
        Binding("ctrl+n", "register", "key.new", id="register"),
        Binding("escape", "focus_search", "key.search", id="focus_search", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[SearchHit] = []
        self._timer: Timer | None = None
        self._query = ""
        self._focus_when_ready = False  # Enter was pressed before the results arrived
        self._release: KeyHold = KeyHold.nothing()

    def compose(self) -> ComposeResult:
        yield ArenaHeader()
        yield Input(placeholder=t("search.placeholder"), id="search-input")
        yield Static(t("search.hint"), id="search-status", classes="muted")
        yield ResultTable(id="results", cursor_type="row", zebra_stripes=True)
        yield ArenaFooter()

    def on_mount(self) -> None:
        self._fit()
        self.query_one(Input).focus()

    def _fit(self) -> list[str]:
        """The result columns for the screen's width: at 80 columns the match reason and age go, the
        caseworker and stage wrap; the name and the number stay whole."""
        width = self.app.size.width - 2
        if getattr(self, "_fitted_for", None) != width:
            self._fitted_for = width
            self._keys = fit_table(self.query_one(ResultTable), RESULT_COLUMNS, width)
        return self._keys

    def on_resize(self) -> None:
        if getattr(self, "_fitted_for", None) not in (None, self.app.size.width - 2):
            self._show(self._query.strip(), self.hits)

    def action_focus_search(self) -> None:
        self.query_one(Input).focus()

    def where(self) -> str:
        """What is typed in the search field (F12 builds the screen anew: `go_on_from`)."""
        return self.query_one("#search-input", Input).value if self.query("#search-input") else ""

    def go_on_from(self, where: str) -> None:
        """The search typed on the screen this one replaces, typed here too (its results are read again);
        the cursor at its end, so the keys typed meanwhile go on after it."""
        if where and self.query("#search-input"):
            field = self.query_one("#search-input", Input)
            field.value = where
            field.cursor_position = len(where)

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        self._query = event.value
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self._run_search)

    def _run_search(self) -> None:
        query = self._query.strip()
        if len(query) < 2:
            self._show(query, [])
            return
        self._search(self.app.db, self.app.login, query, language())

    @work(thread=True, group="search", exclusive=True, exit_on_error=False)
    def _search(self, db: Database, login: str, query: str, lang: str) -> None:
        try:
            hits = store_call(self.app, cases.search, db, query, login=login, lang=lang)
        except StoreFailed:
            show(self, self._failed, query)
            raise  # SaysWorkerFailures says what failed (logged already)
        show(self, self._show, query, hits)

    def _failed(self, query: str) -> None:
        """The search failed: no results, and the keys typed after Enter for them are dropped (never
        typed into the field or anything else)."""
        if self._focus_when_ready and query == self._query.strip():
            self._focus_when_ready = False
            self._release.drop()
        self._show(query, [])

    def run_search_now(self) -> None:
        """Used by Enter in the field: search at once (no debounce)."""
        if self._timer is not None:
            self._timer.stop()
        self._run_search()

    def _show(self, query: str, hits: list[SearchHit]) -> None:
        if query != self._query.strip():
            return  # an older answer: a newer query is on its way
        self.hits = hits
        keys = self._fit()
        table = self.query_one(ResultTable)
        table.clear()
        today = clock.today()
        for h in hits:
            p = h.participant
            status = Text(t("status." + p.status), style="dim" if p.status == "exited" else "")
            age = p.age(today)
            cells = {"name": person_name(p.name, p.protected), "number": p.display_number(),
                     "age": t("search.age_unknown") if age is None else str(age), "cw": p.caseworker_name or "", "status": status,
                     "stage": h.stage or "", "why": Text(t("match." + h.matched_on.replace(" ", "_")), style="dim")}
            table.add_row(*[cells[k] for k in keys], key=p.id, height=None)
        if self._focus_when_ready:
            self._focus_when_ready = False
            self._release()  # keys typed after Enter were waiting for these results
            if hits:
                table.focus()
        status_line = self.query_one("#search-status", Static)
        if len(query) < 2:
            status_line.update(t("search.hint"))
        else:
            hint = None if hits else identity.corrected(query)
            status_line.update(t("search.count", n=len(hits)) if hits else
                          t("id.check_digit_hint", number=hint) if hint else t("search.none"))

    def on_screen_resume(self) -> None:
        """Back from a case card (an exit, a re-entry, an edit): the results show what is stored now."""
        if len(self._query.strip()) >= 2 and self.is_mounted:
            self._run_search()

    @on(Input.Submitted, "#search-input")
    def _submitted(self) -> None:
        if not self._focus_when_ready:
            self._focus_when_ready = True
            self._release = self.app.hold_keys(owner=self)
        self.run_search_now()

    def on_unmount(self) -> None:
        self._release()

    def open_hit(self, pid: str | None) -> None:
        hit = next((h for h in self.hits if h.participant.id == pid), None)
        if hit:
            self.app.open_case(hit.participant.id, hit.participant.name)

    @on(ResultTable.Typed)
    def _typed_on_results(self, event: ResultTable.Typed) -> None:
        """Back from a card the results keep the focus: a name typed then was dropped, and the Enter after
        it opened the person before again. What is typed there starts a new search in the field, as Esc
        and typing does (the field's text selected on focus, then replaced)."""
        field = self.query_one("#search-input", Input)
        self.set_focus(field)
        field.call_later(self._type_into, field, event.character)  # (after the field's focus selected it all)

    @staticmethod
    def _type_into(field: Input, character: str) -> None:
        field.value = character
        field.cursor_position = len(character)

    @on(ResultTable.Open)
    def _open_pressed(self, event: ResultTable.Open) -> None:
        self.open_hit(event.participant_id)

    @on(DataTable.RowSelected, "#results")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_hit(event.row_key.value)

    def action_register(self) -> None:
        async def steps(flow: DialogFlow) -> None:
            opened = await flow.ask(RegisterScreen())
            if opened:  # registered (committed), or the existing person chosen: the card's own flow takes the keys
                self.app.open_case(opened.participant_id, opened.name)

        run_flow(self, steps)


CREATE_ANYWAY = "create"  # the option's id (participant ids are UUIDs)


@dataclass(frozen=True)
class Opened:
    """Whom the registration form leads to: the new person, or the existing one chosen instead (the
    name for a case card's title and its reason question)."""

    participant_id: str
    name: str


@help_keys("key.search", " (F2)", rank=10)
class RegisterScreen(SaysWorkerFailures, Dialog[Opened]):
    """The registration form. Returns the new (or chosen existing) participant."""

    app: AppBase

    BINDINGS = [Binding("escape", "cancel", "dlg.cancel", id="cancel"),
                Binding("ctrl+s", "save", "key.save", id="save")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog form"):
            yield Label(t("reg.title"), classes="dialog-question")
            yield Label(t("reg.number"))
            yield Input(id="reg-number")
            yield Label("", id="reg-number-error", classes="error")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label(t("reg.first"))
                    yield Input(id="reg-first")
                with Vertical():
                    yield Label(t("reg.last"))
                    yield Input(id="reg-last")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label(t("reg.gender"))
                    yield Input(id="reg-gender", max_length=1)
                with Vertical():
                    yield Label(t("reg.referral"))
                    yield Input(clock.today().isoformat(), id="reg-referral")
            yield Label(t("reg.caseworker"))
            yield Select([], id="reg-caseworker", allow_blank=True)
            yield Label(t("reg.plan"))
            yield Input("8 8 8 8 8", id="reg-plan")
            yield Checkbox(t("reg.protected"), id="reg-protected")
            yield Label("", id="reg-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("key.save"), variant="primary", id="reg-save")
                yield Button(t("dlg.cancel"), id="reg-cancel")

    def on_mount(self) -> None:
        # keys typed meanwhile wait for the caseworkers (a Ctrl+S typed ahead registers the person with the
        # caseworker the form then shows, never with a blank one the form had not filled in yet)
        self.keys_wait_for_first_read()
        self._read_caseworkers(self.app.db)
        self.query_one("#reg-number", Input).focus()

    @work(thread=True, group="caseworkers", exclusive=True, exit_on_error=False)
    def _read_caseworkers(self, db: Database) -> None:
        try:
            show(self, self._offer_caseworkers, store_call(self.app, staff.all_caseworkers, db))
        finally:
            self.first_read_shown()  # (or failed, said): the keys go on to the form as it stands

    def _offer_caseworkers(self, cws: list[staff.Caseworker]) -> None:
        select = self.query_one("#reg-caseworker", Select)
        select.set_options([(f"{c.name} ({c.login})", c.id) for c in cws])
        me = next((c for c in cws if c.login == self.app.login), None)
        if me:
            select.value = me.id

    @on(Input.Changed, "#reg-number")
    def _number_changed(self, event: Input.Changed) -> None:
        label = self.query_one("#reg-number-error", Label)
        text = event.value.strip()
        if not text or len(identity.digits_of(text)) < 10:
            label.update("")
            return
        try:
            number = identity.parse(text)
        except identity.IdentityNumberError as error:
            label.update(str(error))
            return
        kind = t("id.kind_coordination") if number.coordination else t("id.kind_personal")
        born = number.birth_date.isoformat() if number.birth_date else t("id.birth_unknown")
        label.update(Text(f"✓ {number.formatted()} ({kind}, {born})", style="green"))

    def _form(self) -> NewParticipant:
        def value(widget_id: str) -> str:
            return self.query_one(widget_id, Input).value

        plan_text = value("#reg-plan").replace(",", ".").split()
        if len(plan_text) != 5:
            raise ArenaError("reg.bad_plan")
        select = self.query_one("#reg-caseworker", Select)
        return NewParticipant(
            first_name=value("#reg-first"), last_name=value("#reg-last"), gender=value("#reg-gender").strip().upper(),
            referral_date=value("#reg-referral").strip(), personnummer=value("#reg-number"),
            caseworker_id=select.value if isinstance(select.value, str) else None,
            plan=tuple(validate.number(h) for h in plan_text),
            protected=self.query_one("#reg-protected", Checkbox).value)

    def action_save(self) -> None:
        error = self.query_one("#reg-error", Label)
        try:
            person = self._form()
        except ArenaError as problem:
            error.update(str(problem))
            return

        self._save(person)

    def _save(self, person: NewParticipant) -> None:
        """'Menade du …?' first (read in a thread), then the person is registered – or the chosen existing
        person opened: one dialog flow (push_screen_wait in a worker); Escape on the question goes back to
        the form with everything typed."""
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            try:
                hints = await flow.read(cases.probable_duplicates, db, login, person)
            except StoreFailed as failed:  # said in the form (logged already)
                self._refused(str(failed))
                return
            if hints:
                choice = await flow.ask(DuplicateDialog(hints))
                if choice is None:
                    return
                if choice.open_existing is not None:
                    chosen = next(h.participant for h in hints if h.participant.id == choice.open_existing)
                    self.dismiss(Opened(chosen.id, chosen.name))
                    return
            self._register(person, override=bool(hints))

        run_flow(self, steps)

    def _refused(self, message: str) -> None:
        self.query_one("#reg-error", Label).update(message)

    def _register(self, person: NewParticipant, *, override: bool) -> None:
        error = self.query_one("#reg-error", Label)
        db, login = self.app.db, self.app.login

        def done(pid: str) -> None:
            self.app.notify(t("reg.saved"), timeout=3)
            self.dismiss(Opened(pid, cases.registered_name(person)))

        self.app.write_lane.submit(lambda: cases.register(db, login, person, duplicate_override=override), done,
                                   lambda m: error.update(m))

    @on(Button.Pressed, "#reg-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#reg-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class DuplicateDecision:
    """What the 'Menade du …?' dialog decided: open an existing person, or (None) create the new one."""

    open_existing: str | None


class DuplicateDialog(Dialog[DuplicateDecision]):
    """'Menade du …?': pick an existing person to open, or create anyway (logged)."""

    BINDINGS = [Binding("escape", "cancel", "dlg.cancel")]

    def __init__(self, hints: list[DuplicateHint]) -> None:
        super().__init__()
        self.hints = hints

    def compose(self) -> ComposeResult:
        options = [Option(f"{t('reg.open_existing')}: {h.participant.name} · {h.participant.display_number()}"
                          f" · {t('dup.' + h.why)}", id=h.participant.id) for h in self.hints]
        options.append(Option(t("reg.create_anyway"), id=CREATE_ANYWAY))
        with Vertical(classes="dialog"):
            yield Label(t("reg.duplicates"), classes="dialog-question")
            yield OptionList(*options, id="dup-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        chosen = event.option.id
        self.dismiss(DuplicateDecision(None if chosen == CREATE_ANYWAY else chosen))

    def action_cancel(self) -> None:
        self.dismiss(None)
