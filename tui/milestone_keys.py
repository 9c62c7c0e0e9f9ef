"""The milestone keys shared by F4 and the case card's Milstolpar tab: a, p, c, e, ctrl+n, R.

A widget using `MilestoneKeys` provides `target()` → (participant_id, name, current Milestone | None)
and `changed()` (reload after a committed write). Rules live in `store.milestones`; this only asks.
"""
from __future__ import annotations

import datetime as dt

from textual.binding import Binding

from store import cases, clock, milestones, validate
from store.i18n import ArenaError, t
from tui.dialogs import ChoiceDialog, ConfirmDialog, PromptDialog
from tui.workers import call_store

MILESTONE_BINDINGS = [
    Binding("a", "ms_achieve", t("key.achieve"), id="ms_achieve"),
    Binding("p", "ms_plan_date", t("key.plan_date"), id="ms_plan_date"),
    Binding("c", "ms_cancel", t("key.cancel_ms"), id="ms_cancel"),
    Binding("e", "ms_exit", t("key.exit"), id="ms_exit"),
    Binding("R", "ms_reenter", t("key.reenter"), id="ms_reenter", show=False),
    Binding("ctrl+n", "ms_note", t("key.note"), id="ms_note"),
]


def _date(text: str) -> dt.date:
    return validate.date(text.strip() or clock.today().isoformat())


def _past_date(text: str) -> dt.date:
    """A date something happened (achieved, exit, re-entry): refused in the dialog where it was typed."""
    day = _date(text)
    if day > clock.today():
        raise ArenaError("ms.future_date", date=day.isoformat())
    return day


class MilestoneKeys:
    def _write(self, fn, message: str = "ms.saved") -> None:  # noqa: ANN001
        def done(_: object) -> None:
            self.app.notify(t(message), timeout=3)
            self.changed()

        self.app.write_lane.submit(fn, done, lambda m: self.app.notify(m, severity="error", timeout=8))

    def action_ms_achieve(self) -> None:
        target = self.target()
        if target is None or target[2] is None:
            return
        pid, name, current = target
        db, login = self.app.db, self.app.login

        def got_date(achieved: object) -> None:
            if achieved is None:
                return

            def got_stages(all_stages: list[milestones.Stage]) -> None:
                suggestion = milestones.next_stage(all_stages, current)
                choices = [(s.code, s.label) for s in all_stages if s.kind != "exit" and s.sort > current.sort]
                if suggestion and suggestion.kind != "exit":
                    choices.sort(key=lambda c: c[0] != suggestion.code)
                choices.append(("", t("ms.no_next")))

                def got_next(code: object) -> None:
                    if code is None:
                        return
                    if not code:
                        self._write(lambda: milestones.achieve_and_plan_next(db, login, current.id, achieved, None, None))
                        return

                    def got_planned(planned: object) -> None:
                        if planned is not None:
                            self._write(lambda: milestones.achieve_and_plan_next(
                                db, login, current.id, achieved, str(code), planned))

                    default = (clock.today() + dt.timedelta(days=14)).isoformat()
                    self.app.push_screen(PromptDialog(t("ms.date_prompt"), default, check=_date), got_planned)

                self.app.push_screen(ChoiceDialog(t("ms.next_prompt"), choices), got_next)

            release = self.app.hold_keys()  # keys typed next belong to the stage dialog that follows

            def stages_read(all_stages: list[milestones.Stage]) -> None:
                release()
                got_stages(all_stages)

            def failed(message: str) -> None:
                release()
                self.app.notify(message, severity="error", timeout=8)

            call_store(self, milestones.stages, db, done=stages_read, failed=failed, group="stages")

        self.app.push_screen(PromptDialog(t("ms.achieved_prompt", stage=current.stage_label, name=name),
                                          clock.today().isoformat(), check=_past_date), got_date)

    def action_ms_plan_date(self) -> None:
        target = self.target()
        if target is None or target[2] is None:
            return
        _, _, current = target
        db, login = self.app.db, self.app.login

        def got(planned: object) -> None:
            if planned is not None:
                self._write(lambda: milestones.set_planned(db, login, current.id, planned))

        self.app.push_screen(PromptDialog(t("ms.date_prompt"), current.planned_date or "", check=_date), got)

    def action_ms_cancel(self) -> None:
        target = self.target()
        if target is None or target[2] is None:
            return
        _, name, current = target
        db, login = self.app.db, self.app.login

        def got(reason: object) -> None:
            if reason:
                self._write(lambda: milestones.set_status(db, login, current.id, "cancelled", reason=str(reason)))

        self.app.push_screen(PromptDialog(f"{name} · {current.stage_label}: {t('ms.reason_prompt')}",
                                          check=lambda s: validate.text(s, t("ms.reason_prompt"), required=True)), got)

    def action_ms_exit(self) -> None:
        target = self.target()
        if target is None:
            return
        pid, name, _ = target
        db, login = self.app.db, self.app.login

        def got_outcomes(outcomes: list[milestones.Outcome]) -> None:
            labels = {o.code: o.label for o in outcomes}

            def got_outcome(code: object) -> None:
                if not code:
                    return

                def got_date(day: object) -> None:
                    if day is None:
                        return

                    def confirmed(ok: bool | None) -> None:
                        if ok:
                            self._write(lambda: milestones.exit_participant(db, login, pid, str(code), day),
                                        "ms.exited")

                    self.app.push_screen(ConfirmDialog(t("ms.confirm_exit", name=name, date=day.isoformat(),
                                                         outcome=labels.get(str(code), code))), confirmed)

                self.app.push_screen(PromptDialog(t("ms.exit_date", name=name), clock.today().isoformat(),
                                                  check=_past_date), got_date)

            self.app.push_screen(ChoiceDialog(t("ms.exit_prompt"), [(o.code, o.label) for o in outcomes]),
                                 got_outcome)

        release = self.app.hold_keys()  # keys typed next belong to the outcome dialog

        def outcomes_read(outcomes: list[milestones.Outcome]) -> None:
            release()
            got_outcomes(outcomes)

        def failed(message: str) -> None:
            release()
            self.app.notify(message, severity="error", timeout=8)

        call_store(self, milestones.outcomes, db, done=outcomes_read, failed=failed, group="outcomes")

    def action_ms_reenter(self) -> None:
        target = self.target()
        if target is None:
            return
        pid, name, _ = target
        db, login = self.app.db, self.app.login

        def got(day: object) -> None:
            if day is not None:
                self._write(lambda: milestones.reenter(db, login, pid, day))

        self.app.push_screen(PromptDialog(t("ms.reenter_prompt", name=name), clock.today().isoformat(),
                                          check=_past_date), got)

    def action_ms_note(self) -> None:
        target = self.target()
        if target is None:
            return
        pid, name = target[0], target[1]
        db, login = self.app.db, self.app.login

        def got(text: object) -> None:
            if text:
                self._write(lambda: cases.add_note(db, login, pid, str(text)), "card.note_added")

        self.app.push_screen(PromptDialog(f"{name}: {t('card.note_prompt')}",
                                          check=lambda s: validate.text(s, t("card.tab.notes"), max_len=4000,
                                                                        required=True)), got)
