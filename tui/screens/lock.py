"""The lock screen: at every start, after ctrl+l or inactivity, and when confirming who one is.

A full screen, not a modal: nothing personal from the screen below shows through. The user's PIN
unlocks it. A user without a PIN (new, or reset by an administrator) types the one-time setup code the
administrator handed over and chooses a PIN (twice): nobody claims an account by sitting down first.
Wrong PINs and codes are counted and logged by the store, which also makes the next try wait after too
many; the count lives in the database, so quitting and starting again does not reset it.
"""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label

from store import access, staff
from store.i18n import ArenaError, t
from tui.workers import call_store


class LockScreen(Screen[bool]):
    """Dismissed with True once unlocked; with False only when `can_cancel` (start, first-start claim)."""

    BINDINGS = [Binding("escape", "cancel", t("dlg.cancel"), show=False)]

    def __init__(self, login: str, name: str, *, can_cancel: bool = False, starting: bool = False) -> None:
        super().__init__()
        self.login = login
        self.user_name = name
        self.can_cancel = can_cancel
        self.starting = starting
        self.choosing = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog lock"):
            if getattr(self.app, "demo", False):
                yield Label(t("lock.demo"), id="lock-demo", classes="demo")
            yield Label(t("lock.start" if self.starting else "lock.title"), classes="dialog-question")
            yield Label(t("lock.user", name=self.user_name), id="lock-user")
            yield Label("", id="lock-prompt")
            yield Input(id="code", placeholder=t("lock.code"), max_length=20, classes="hidden")
            yield Input(password=True, id="pin", placeholder=t("lock.pin"), max_length=access.PIN_MAX)
            yield Input(password=True, id="pin2", placeholder=t("lock.pin_again"), max_length=access.PIN_MAX,
                        classes="hidden")
            yield Label("", id="lock-error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()
        call_store(self, staff.has_pin, self.app.db, self.login, done=self._show_mode, group="lock")

    def _show_mode(self, has_pin: bool) -> None:
        self.choosing = not has_pin
        self.query_one("#pin2", Input).set_class(not self.choosing, "hidden")
        self.query_one("#code", Input).set_class(not self.choosing, "hidden")
        self.query_one("#lock-prompt", Label).update(t("lock.choose" if self.choosing else "lock.prompt"))
        if self.choosing:
            self.query_one("#code", Input).focus()

    @on(Input.Submitted, "#code")
    def _code(self, _: Input.Submitted) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _first(self, event: Input.Submitted) -> None:
        if self.choosing:
            try:
                access.check_new_pin(event.value)
            except ArenaError as error:
                self._error(str(error), keep_code=True)
                return
            self.query_one("#lock-error", Label).update("")
            self.query_one("#pin2", Input).focus()
            return
        pin = event.value
        self._release = self.app.hold_keys()  # keys typed after the PIN wait for its answer (F3 then goes to the app)
        self.app.write_lane.submit(lambda: staff.unlock(self.app.db, self.login, pin), self._unlocked, self._error)

    @on(Input.Submitted, "#pin2")
    def _second(self, event: Input.Submitted) -> None:
        pin = self.query_one("#pin", Input).value
        code = self.query_one("#code", Input).value
        if event.value != pin:
            self._error(t("pin.mismatch"), keep_code=True)
            return
        self._release = self.app.hold_keys()
        self.app.write_lane.submit(lambda: staff.set_pin(self.app.db, self.login, pin, setup_code=code),
                                   self._unlocked, self._error)

    _release = staticmethod(lambda: None)

    def _unlocked(self, _: object) -> None:
        self.dismiss(True)
        self.app.call_after_refresh(self._release)  # to the screen under the lock, not to the lock

    def _error(self, message: str, *, keep_code: bool = False) -> None:
        self._release()
        self.query_one("#lock-error", Label).update(message)
        for field in self.query(Input):
            if not (keep_code and field.id == "code"):
                field.value = ""
        self.query_one("#code" if self.choosing and not keep_code else "#pin", Input).focus()

    def action_cancel(self) -> None:
        if self.can_cancel:
            self.dismiss(False)
