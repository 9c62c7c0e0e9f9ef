"""The milestone keys shared by F4 and the case card's Milstolpar tab: a, p, c, e, ctrl+n, R.

A widget using `MilestoneKeys` provides `target()` → (participant_id, name, current Milestone | None)
and `changed()` (reload after a committed write). Rules live in `store.milestones`; this only asks: each
key runs one async worker that awaits its dialogs in turn (`DialogFlow`) and writes through the app's
write lane, so a change is shown only once it is committed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from collections.abc import Awaitable, Callable
from typing import cast

from textual.binding import Binding
from textual.widget import Widget

from store import cases, clock, milestones, validate
from store.i18n import ArenaError
from tui.text import t
from tui.appbase import AppBase
from tui.dialogs import ChoiceDialog, ConfirmDialog, DialogFlow, PromptDialog, run_flow

MILESTONE_BINDINGS = [
    Binding("a", "ms_achieve", "key.achieve", id="ms_achieve"),
    Binding("p", "ms_plan_date", "key.plan_date", id="ms_plan_date"),
    Binding("c", "ms_cancel", "key.cancel_ms", id="ms_cancel"),
    Binding("e", "ms_exit", "key.exit", id="ms_exit"),
    Binding("R", "ms_reenter", "key.reenter", id="ms_reenter", show=False),
    Binding("ctrl+n", "ms_note", "key.note", id="ms_note"),
]


@dataclass(frozen=True)
class NextStage:
    """An option of the choice after a milestone is achieved: the stage to plan next, or none (`code` None:
    achieved, and no next stage planned)."""

    code: str | None
    label: str


def _date(text: str) -> dt.date:
    return validate.date(text.strip() or clock.today().isoformat())


def _past_date(text: str) -> dt.date:
    """A date something happened (achieved, exit, re-entry): refused in the dialog where it was typed."""
    day = _date(text)
    if day > clock.today():
        raise ArenaError("ms.future_date", date=day.isoformat())
    return day


def _since(referral: str, *, past: bool) -> Callable[[str], dt.date]:
    """A milestone's date (achieved if `past`, else planned) checked where it is typed: not before the
    person's referral (nor in the future, if `past`); the dialog keeps the text and says why."""
    def check(text: str) -> dt.date:
        day = _past_date(text) if past else _date(text)
        if day.isoformat() < referral:
            raise ArenaError("ms.before_referral", date=day.isoformat(), referral=referral)
        return day

    return check


class MilestoneKeys:
    app: AppBase

    def target(self) -> tuple[str, str, milestones.Milestone | None] | None:
        raise NotImplementedError

    def changed(self) -> None:
        raise NotImplementedError

    def _write(self, fn: Callable[[], object], message: str = "ms.saved") -> None:
        def done(_: object) -> None:
            self.app.notify(t(message), timeout=3)
            self.changed()

        self.app.write_lane.submit(fn, done, lambda m: self.app.notify(m, severity="error", timeout=8))

    def _flow(self, steps: Callable[[DialogFlow], Awaitable[None]]) -> None:
        run_flow(cast(Widget, self), steps)

    def action_ms_achieve(self) -> None:
        target = self.target()
        if target is None or target[2] is None:
            return
        pid, name, current = target[0], target[1], target[2]
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            referral = await flow.read(milestones.referral_date, db, login, pid)
            achieved = await flow.ask(PromptDialog(t("ms.achieved_prompt", stage=current.stage_label, name=name),
                                                   clock.today().isoformat(), check=_since(referral, past=True)))
            if achieved is None:
                return
            all_stages = await flow.read(milestones.stages, db)
            suggestion = milestones.next_stage(all_stages, current)
            choices = [(NextStage(s.code, s.label), s.label) for s in all_stages
                       if s.kind != "exit" and s.sort > current.sort]
            if suggestion and suggestion.kind != "exit":
                choices.sort(key=lambda c: c[0].code != suggestion.code)
            choices.append((NextStage(None, t("ms.no_next")), t("ms.no_next")))
            chosen = await flow.ask(ChoiceDialog(t("ms.next_prompt"), choices))
            if chosen is None:  # Escape in a later dialog cancels the whole action: said, never silent
                self.app.notify(t("ms.nothing_saved", stage=current.stage_label, name=name))
                return
            if chosen.code is None:
                self._write(lambda: milestones.achieve_and_plan_next(db, login, current.id, achieved, None, None))
                return
            code, stage = chosen.code, chosen.label
            default = (clock.today() + dt.timedelta(days=14)).isoformat()
            planned = await flow.ask(PromptDialog(t("ms.plan_date_prompt", stage=stage, name=name), default,
                                                  check=_since(referral, past=False)))
            if planned is None:
                self.app.notify(t("ms.nothing_saved", stage=current.stage_label, name=name))
            else:
                self._write(lambda: milestones.achieve_and_plan_next(db, login, current.id, achieved, code, planned))

        self._flow(steps)

    def action_ms_plan_date(self) -> None:
        target = self.target()
        if target is None or target[2] is None:
            return
        pid, name, current = target[0], target[1], target[2]
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            referral = await flow.read(milestones.referral_date, db, login, pid)
            question = t("ms.plan_date_prompt", stage=current.stage_label, name=name)
            planned = await flow.ask(PromptDialog(question, current.planned_date or "", check=_since(referral, past=False)))
            if planned is not None:
                self._write(lambda: milestones.set_planned(db, login, current.id, planned))

        self._flow(steps)

    def action_ms_cancel(self) -> None:
        target = self.target()
        if target is None or target[2] is None:
            return
        _, name, current = target[0], target[1], target[2]
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            reason = await flow.ask(PromptDialog(f"{name} · {current.stage_label}: {t('ms.reason_prompt')}",
                                                 check=lambda s: validate.text(s, t("ms.reason_prompt"), required=True)))
            if reason:
                self._write(lambda: milestones.set_status(db, login, current.id, "cancelled", reason=reason))

        self._flow(steps)

    def action_ms_exit(self) -> None:
        target = self.target()
        if target is None:
            return
        pid, name, _ = target
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            outcomes = await flow.read(milestones.outcomes, db)
            labels = {o.code: o.label for o in outcomes}
            code = await flow.ask(ChoiceDialog(t("ms.exit_prompt", name=name), [(o.code, o.label) for o in outcomes]))
            if not code:
                return
            day = await flow.ask(PromptDialog(t("ms.exit_date", name=name), clock.today().isoformat(),
                                              check=_past_date))
            if day is None:
                return
            question = t("ms.confirm_exit", name=name, date=day.isoformat(), outcome=labels.get(code, code))
            if await flow.ask(ConfirmDialog(question)):
                self._write(lambda: milestones.exit_participant(db, login, pid, code, day), "ms.exited")

        self._flow(steps)

    def action_ms_reenter(self) -> None:
        target = self.target()
        if target is None:
            return
        pid, name, _ = target
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            day = await flow.ask(PromptDialog(t("ms.reenter_prompt", name=name), clock.today().isoformat(),
                                              check=_past_date))
            if day is not None:
                self._write(lambda: milestones.reenter(db, login, pid, day))

        self._flow(steps)

    def action_ms_note(self) -> None:
        target = self.target()
        if target is None:
            return
        pid, name = target[0], target[1]
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            text = await flow.ask(PromptDialog(f"{name}: {t('card.note_prompt')}",
                                               check=lambda s: validate.text(s, t("card.tab.notes"), max_len=4000,
                                                                             required=True)))
            if text:
                self._write(lambda: cases.add_note(db, login, pid, text), "card.note_added")

        self._flow(steps)
