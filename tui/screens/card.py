"""The case card: header and five tabs (Översikt, Närvaro, Milstolpar, Anteckningar, Historik).

Opened only through `ArenaApp.open_case`, which asks for a logged reason outside one's own caseload
(Lag 2001:454). Each tab loads in a worker. Edits go through store (change log); notes are append-only.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Input, Label, Select, Static, TabbedContent, TabPane

from store import attendance, cases, clock, milestones, staff
from store.access import REASON_KEYS, check_reason
from store.calendar import WEEKDAY_SHORT
from store.cases import Participant
from store.db import Database
from store.tables import WEEKDAYS
from tui.keyhelp import help_keys
from tui.text import language, num, t
from tui.appbase import ArenaScreen, AppBase, KeyHold, SaysWorkerFailures, Synced
from tui.dialogs import ChoiceDialog, Dialog, DialogFlow, run_flow
from tui.labels import cell_symbol
from tui.milestone_keys import MILESTONE_BINDINGS, MilestoneKeys
from tui.screens.enrolment import EnrolmentScreen
from tui.screens.reportdialog import ask_and_write
from tui.workers import StoreFailed, show, store_call
from tui.footer import ArenaFooter
from tui.header import ArenaHeader



def reason_dialog(name: str) -> ChoiceDialog[str]:
    """The access-reason modal: common reasons plus free text; Escape (None) cancels and nothing is opened."""
    options = [(t(key), t(key)) for key in REASON_KEYS]
    return ChoiceDialog(t("dlg.reason_title", name=name or "—"), options, with_text=t("dlg.reason_placeholder"),
                        with_text_label=t("dlg.reason.other"), check=check_reason, explicit=True)


class TimelineTable(DataTable):
    """The milestones tab; its keys are the card's (they work on every tab)."""


class NotesTable(DataTable):
    """The notes tab; Ctrl+N is the card's."""


@help_keys("help.card", rank=50)
class CaseCardScreen(SaysWorkerFailures, MilestoneKeys, ArenaScreen):
    """The card's keys are bound on the screen, so they work the moment it opens, whichever tab has
    focus, and show in the footer. The screen holds keys typed ahead until its first load is shown."""

    app: AppBase

    BINDINGS = [
        Binding("escape", "app.pop_screen", "key.back", id="back"),
        Binding("ctrl+e", "edit", "key.edit", id="edit"),
        Binding("r", "report", "key.report", id="report"),
        # R is shown here: the card knows whether the person has exited (F4's board lists the active)
        *[replace(b, show=True) if b.action == "ms_reenter" else b for b in MILESTONE_BINDINGS],
        Binding("i", "enrolments", "key.enrolments", id="enrolments"),
    ]

    ACTIVE_ONLY = ("ms_achieve", "ms_plan_date", "ms_cancel", "ms_exit")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """After an exit the card offers re-entry, not the steps and exit of an active case (and the
        other way round); the footer and F1 follow."""
        exited = self.participant.status == "exited"
        if action in self.ACTIVE_ONLY:
            return not exited
        if action == "ms_reenter":
            return exited
        return True

    def action_enrolments(self) -> None:
        async def steps(flow: DialogFlow) -> None:
            await flow.ask(EnrolmentScreen(self.participant.id, self.participant.name))
            self.reload()  # what was enrolled or ended there

        run_flow(self, steps)

    def __init__(self, participant: Participant) -> None:
        super().__init__()
        self.participant = participant
        self.timeline: list[milestones.Milestone] = []
        self._loaded = False
        self._release: KeyHold | None = None
        self.tab: str | None = None  # the tab shown first (a card built anew by F12 keeps its tab)
        self.enrolments_open = False  # (a card built anew by F12 over which its enrolments were open)

    def again(self) -> CaseCardScreen:
        """This card built anew (F12: the new language), on the tab it showed; the case was opened (and a
        reason logged) already."""
        card = CaseCardScreen(self.participant)
        card.tab = self.query_one("#card-tabs", TabbedContent).active or None
        # its enrolments open over it come back too, asked by the new card (which reads them again after)
        card.enrolments_open = any(isinstance(screen, EnrolmentScreen) for screen in self.app.screen_stack)
        return card

    def target(self) -> tuple[str, str, milestones.Milestone | None] | None:
        return self.participant.id, self.participant.name, milestones.current_of(self.timeline)

    def changed(self) -> None:
        self.reload()

    def compose(self) -> ComposeResult:
        yield ArenaHeader()
        yield Static("", id="card-header", classes="pane-title")
        with TabbedContent(id="card-tabs", initial=self.tab or ""):
            with TabPane(t("card.tab.overview"), id="tab-overview"):
                yield VerticalScroll(Static("", id="card-overview"))
            with TabPane(t("card.tab.attendance"), id="tab-attendance"):
                yield DataTable(id="card-weeks", cursor_type="row", zebra_stripes=True)
            with TabPane(t("card.tab.milestones"), id="tab-milestones"):
                yield TimelineTable(id="card-timeline", cursor_type="row", zebra_stripes=True)
            with TabPane(t("card.tab.notes"), id="tab-notes"):
                yield NotesTable(id="card-notes", cursor_type="row", zebra_stripes=True)
            with TabPane(t("card.tab.history"), id="tab-history"):
                yield DataTable(id="card-history", cursor_type="row", zebra_stripes=True)
        yield ArenaFooter()

    def on_mount(self) -> None:
        self.query_one("#card-weeks", DataTable).add_columns(
            t("card.col.week"), t("week.col.plan"), t("week.col.done"), *attendance_day_labels())
        self.query_one("#card-timeline", DataTable).add_columns(
            t("ms.col.stage"), t("ms.col.status"), t("ms.col.planned"), t("card.col.achieved"), t("card.col.period"),
            t("card.col.note"))
        self.query_one("#card-notes", DataTable).add_columns(t("card.col.when"), t("card.col.who"), t("card.col.note"))
        self.query_one("#card-history", DataTable).add_columns(
            t("card.col.when"), t("card.col.who"), t("card.col.what"), t("card.col.change"))
        self.reload()
        if self.enrolments_open:
            self.action_enrolments()

    # ------------------------------------------------------------------ loading
    @on(Synced)
    def reload(self) -> None:
        if not self._loaded and self._release is None:
            self._release = self.app.hold_keys(owner=self)  # keys typed ahead wait until the card shows what they act on
        self._load(self.app.db, self.app.login, self.participant.id)

    @work(thread=True, group="card", exclusive=True, exit_on_error=False)
    def _load(self, db: Database, login: str, pid: str) -> None:
        def load() -> tuple:
            return (cases.get(db, login, pid), milestones.timeline(db, login, pid), milestones.stages(db),
                    attendance.person_weeks(db, login, pid, weeks=8), cases.notes(db, login, pid),
                    cases.history(db, login, pid, 300), cases.enrolments(db, login, pid), milestones.outcomes(db))

        try:
            data = store_call(self.app, load)
        except StoreFailed:
            show(self, self._load_failed)  # the keys held for the card are dropped; SaysWorkerFailures says what failed
            raise
        show(self, self._show, data)

    def _first_shown(self) -> None:
        self._loaded = True
        if self._release is not None:
            self._release()

    def _load_failed(self) -> None:
        self._loaded = True
        if self._release is not None:
            self._release.drop()  # typed for a card that could not be read: never to what is beneath

    def on_unmount(self) -> None:
        self._first_shown()

    def _show(self, data: tuple) -> None:
        self._first_shown()
        person, timeline, all_stages, weeks, notes, history, enrolled, outcomes = data
        self.participant = person
        self.timeline = timeline
        self.refresh_bindings()  # exited or active: the keys that apply
        p = person
        age = p.age()
        header = Text(t("card.header", name=p.name, number=p.display_number(), age=t("id.age_unknown") if age is None else t("card.age", age=age),
                        gender=t(f"gender.{p.gender}"), cw=p.caseworker_name or "–", referral=_referral(p, timeline),
                        days=p.days_in_programme()))
        if p.protected:
            header.append(f"  [{t('protected')}]", style="bold magenta")
        if p.status == "exited":
            header.append("  " + t("card.exited", date=p.exit_date, outcome=p.exit_outcome or ""), style="bold yellow")
        self.query_one("#card-header", Static).update(header)
        # overview
        current = milestones.current_of(timeline)
        nxt = milestones.next_stage(all_stages, current)
        recent = weeks[1:5]  # the four complete weeks before this one
        planned = sum(w.planned for w in recent)
        attended = sum(w.attended for w in recent)
        unexcused = sum(1 for w in recent for marks in w.cells.values() for _, m in marks if m.status == "unexcused")
        rate = f"{attended / planned:.0%}" if planned else "–"
        lines = [
            t("card.plan", **dict(zip(WEEKDAYS, p.plan)), total=p.weekly_plan_hours),
            t("card.enrolments", list=", ".join(enrolled) or "–"),
            t("card.last4", attended=attended, planned=planned, rate=rate, unexcused=unexcused),
            t("card.current_stage",
              stage=f"{current.stage_label} ({t('ms.status.' + current.status)})" if current else "–",
              next=nxt.label if nxt else "–"),
        ]
        if p.phone:
            lines.append(f"{t('card.phone')}: {p.phone}")
        if p.address and not p.protected:
            lines.append(f"{t('card.address')}: {p.address}")
        lines.append("")
        lines.append(t("card.keys"))
        self.query_one("#card-overview", Static).update("\n".join(lines))
        # attendance weeks
        table = self.query_one("#card-weeks", DataTable)
        table.clear()
        for w in weeks:
            cells = []
            for i in range(5):
                day = (w.monday + dt.timedelta(days=i)).isoformat()
                marks = w.cells.get(day, [])
                cell = Text()
                for _, m in marks:
                    cell.append_text(cell_symbol(m))
                cells.append(cell if marks else Text("·", style="dim"))
            done = Text(num(w.attended), style="bold red" if w.attended < w.planned else "green")
            table.add_row(t("rep.week", week=w.monday.isocalendar()[1]), num(w.planned), done, *cells)
        # milestones
        table = self.query_one("#card-timeline", DataTable)
        table.clear()
        for m in timeline:
            style = "bold" if current and m.id == current.id else ("dim" if m.status == "cancelled" else "")
            table.add_row(Text(m.stage_label, style=style), t("ms.status." + m.status), m.planned_date or "",
                          m.achieved_date or "", str(m.period), m.note)
        # notes
        table = self.query_one("#card-notes", DataTable)
        table.clear()
        for n in notes:
            text = n.text if not n.refers_to else f"↳ {n.text}"
            table.add_row(n.created_at[:16].replace("T", " "), n.author_login, text)
        # history
        table = self.query_one("#card-history", DataTable)
        table.clear()
        words = _Words(all_stages, outcomes, self.app.absence_codes)
        for h in history:
            table.add_row(h.at[:16].replace("T", " "), h.by,
                          f"{_label('hist', h.table)} {_label('hist', 'created' if h.created else h.kind)}",
                          _change(words, h))

    # ------------------------------------------------------------------ actions
    def action_edit(self) -> None:
        async def steps(flow: DialogFlow) -> None:
            if await flow.ask(EditScreen(self.participant)):  # saved (committed) with a change
                self.reload()

        run_flow(self, steps)

    def action_report(self) -> None:
        ask_and_write(self.app, participant=self.participant.id, participant_name=self.participant.name)


def _change(words: _Words, h: cases.HistoryEntry) -> str:
    """What an entry changed, field by field: a new row says only the values it was made with (no "– → –"
    for a field left empty, no "from nothing" arrows); the row's own times and, on the rows that belong to the
    person (marks, milestones, notes), the person themself are left out: the card is theirs."""
    said = []
    for k, (old, new) in h.changes.items():
        if k in ("recorded_at", "updated_at", "created_at") or (k == "participant_id" and h.table != "participant"):
            continue
        before, after = words.say(h.table, k, old), words.say(h.table, k, new)
        if before == after or (h.created and k in ("late", "protected") and not new):
            continue  # empty to empty, a value said the same way, or a new row's "no" flag
        said.append(f"{_label('field', k)}: {after}" if h.created else f"{_label('field', k)}: {before} → {after}")
    return "; ".join(said)


def _label(kind: str, code: str) -> str:
    """A table, change kind or field name as the user's language says it (the code if the catalog lacks it)."""
    text = t(f"{kind}.{code}")
    return code if text == f"{kind}.{code}" else text


def _referral(person: Participant, timeline: list[milestones.Milestone]) -> str:
    """The first referral stays in the header; a re-entry is said as one (with its date and period)."""
    referrals = sorted((m.period, m.achieved_date or m.planned_date or "") for m in timeline
                       if m.stage_code == "anvisning")
    if len(referrals) < 2 or max(period for period, _ in referrals) < 2:
        return person.referral_date
    first = referrals[0][1] or person.referral_date
    return t("card.reentered", first=first, date=person.referral_date, period=referrals[-1][0])


class _Words:
    """A stored value as the History tab says it: statuses, stages, outcomes, reasons and yes/no in the
    user's language, never the code the database keeps."""

    PREFIX = {("milestone", "status"): "ms.status.", ("attendance", "status"): "st.",
              ("participant", "status"): "status.", ("participant", "gender"): "gender."}

    def __init__(self, stages: list[milestones.Stage], outcomes: list[milestones.Outcome],
                 codes: list[attendance.AbsenceCode]) -> None:
        self.labels = {"stage_code": {s.code: s.label for s in stages},
                       "exit_outcome": {o.code: o.label for o in outcomes},
                       "reason_code": {c.code: c.label for c in codes}}

    def say(self, table: str, field: str, value: object) -> str:
        if value is None or value == "":
            return "–"
        prefix = self.PREFIX.get((table, field))
        if prefix is not None:
            return _label(prefix.rstrip("."), str(value))
        if field in self.labels:
            return self.labels[field].get(str(value), str(value))
        if field in ("late", "protected"):
            return t("rep.yes") if value else t("rep.no")
        if isinstance(value, float):
            return num(value)  # hours with a decimal comma in Swedish
        return _short(value)


def _short(value: object) -> str:
    text = "–" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def attendance_day_labels() -> list[str]:
    return list(WEEKDAY_SHORT[language()][:5])


class EditScreen(SaysWorkerFailures, Dialog[bool]):
    """Edit a person's details; store validates and logs every changed field."""

    app: AppBase

    BINDINGS = [Binding("escape", "cancel", "dlg.cancel"), Binding("ctrl+s", "save", "key.save", id="save")]

    def __init__(self, participant: Participant) -> None:
        super().__init__()
        self.participant = participant

    def compose(self) -> ComposeResult:
        p = self.participant
        with VerticalScroll(classes="dialog form"):
            yield Label(t("card.edit_title"), classes="dialog-question")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label(t("reg.first"))
                    yield Input(p.first_name, id="ed-first")
                with Vertical():
                    yield Label(t("reg.last"))
                    yield Input(p.last_name, id="ed-last")
            yield Label(t("card.phone"))
            yield Input(p.phone, id="ed-phone")
            if not p.protected:
                yield Label(t("card.address"))
                yield Input(p.address, id="ed-address")
            yield Label(t("reg.plan"))
            yield Input(" ".join(num(h) for h in p.plan), id="ed-plan")
            yield Label(t("reg.caseworker"))
            yield Select([], id="ed-caseworker", allow_blank=True)
            yield Label("", id="ed-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("key.save"), variant="primary", id="ed-save")
                yield Button(t("dlg.cancel"), id="ed-cancel")

    def on_mount(self) -> None:
        # keys typed meanwhile wait until the form shows the person's caseworker (what Ctrl+S then saves)
        self.keys_wait_for_first_read()
        self._read_caseworkers(self.app.db)
        self.query_one("#ed-first", Input).focus()

    @work(thread=True, group="caseworkers", exclusive=True, exit_on_error=False)
    def _read_caseworkers(self, db: Database) -> None:
        try:
            show(self, self._offer_caseworkers, store_call(self.app, staff.all_caseworkers, db))
        finally:
            self.first_read_shown()  # (or failed, said): the keys go on to the form as it stands

    def _offer_caseworkers(self, cws: list[staff.Caseworker]) -> None:
        select = self.query_one("#ed-caseworker", Select)
        select.set_options([(f"{c.name} ({c.login})", c.id) for c in cws])
        if self.participant.caseworker_id:
            select.value = self.participant.caseworker_id

    def action_save(self) -> None:
        error = self.query_one("#ed-error", Label)
        plan = self.query_one("#ed-plan", Input).value.replace(",", ".").split()
        if len(plan) != 5:
            error.update(t("reg.bad_plan"))
            return
        fields: dict[str, object] = {
            "first_name": self.query_one("#ed-first", Input).value,
            "last_name": self.query_one("#ed-last", Input).value,
            "phone": self.query_one("#ed-phone", Input).value,
            **{c: h for c, h in zip(cases.PLAN_COLS, plan)},
        }
        if not self.participant.protected:
            fields["address"] = self.query_one("#ed-address", Input).value
        select = self.query_one("#ed-caseworker", Select)
        if isinstance(select.value, str):
            fields["caseworker_id"] = select.value
        db, login, pid = self.app.db, self.app.login, self.participant.id

        def done(changed: dict) -> None:
            self.app.notify(t("card.saved") if changed else t("card.unchanged"), timeout=3)
            self.dismiss(bool(changed))

        self.app.write_lane.submit(lambda: cases.update(db, login, pid, **fields), done, lambda m: error.update(m))

    @on(Button.Pressed, "#ed-save")
    def _save(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#ed-cancel")
    def _cancel(self) -> None:
        self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)



