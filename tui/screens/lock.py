"""The lock screen: at every start, after ctrl+l or inactivity, and when confirming who one is.

A full screen, not a modal: nothing personal from the screen below shows through. The user's PIN
unlocks it. A user without a PIN (new, or reset by an administrator) types the one-time setup code the
administrator handed over and chooses a PIN (twice): nobody claims an account by sitting down first.
Wrong PINs and codes are counted and logged by the store, which also makes the next try wait after too
many; the count lives in the database, so quitting and starting again does not reset it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from store import pins  # light: checks a PIN without SQLAlchemy (tests/test_startup.py)
from store.i18n import ArenaError
from tui.text import t
from tui.appbase import ArenaScreen, AppBase, SaysWorkerFailures
from tui.workers import show, store_call

if TYPE_CHECKING:
    from store.db import Database


def _nothing() -> None:
    pass


class LockScreen(SaysWorkerFailures, ArenaScreen[bool]):
    """Dismissed with True once unlocked; with False only when `can_cancel` (start, first-start claim); with
    None when abandoned (the PIN prompt of a start, for a login that is nobody's yet)."""

    app: AppBase

    BINDINGS = [Binding("escape", "cancel", "dlg.cancel", show=False),
                # Enter typed before the terminal was switched to raw mode (the prompt is drawn at once at
                # start, so a PIN is often typed that early) arrives as a newline: ctrl+j. Still Enter.
                Binding("ctrl+j", "enter", show=False)]

    def __init__(self, login: str, name: str, *, can_cancel: bool = False, starting: bool = False,
                 identified: bool = True) -> None:
        """`identified=False`: the prompt of a start, drawn before the database is open; the app calls
        `identify` once it knows whose PIN it is (or `abandon` when the login is nobody's yet). A PIN
        typed and entered before that waits for it, and the keys typed after it wait too."""
        super().__init__()
        self.login = login
        self.user_name = name
        self.can_cancel = can_cancel
        self.starting = starting
        self.choosing = False
        self.identified = identified
        self._entered: str | None = None  # a PIN entered before the user was known

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog lock"):
            if getattr(self.app, "demo", False):
                yield Label(t("lock.demo"), id="lock-demo", classes="demo")
            starting = self.starting or getattr(self.app, "user", None) is None  # (nobody unlocked yet: a start)
            yield Label(t("lock.start" if starting else "lock.title"), classes="dialog-question")
            yield Label(t("lock.user", name=self.user_name or self.login), id="lock-user")
            yield Label("", id="lock-prompt")
            yield Input(id="code", placeholder=t("lock.code"), max_length=20, classes="hidden")
            yield Input(password=True, id="pin", placeholder=t("lock.pin"), max_length=pins.PIN_MAX)
            yield Input(password=True, id="pin2", placeholder=t("lock.pin_again"), max_length=pins.PIN_MAX,
                        classes="hidden")
            yield Label("", id="lock-error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()
        if self.identified:
            self._ask_mode()

    def _ask_mode(self) -> None:
        self._read_mode(self.app.db, self.login)

    @work(thread=True, group="lock", exclusive=True, exit_on_error=False)
    def _read_mode(self, db: Database, login: str) -> None:
        show(self, self._show_mode, store_call(self.app, pins.has_pin, db, login))

    def identify(self, login: str, name: str) -> None:
        """The start-up knows whose PIN this is (the database is open now)."""
        self.login, self.user_name, self.identified = login, name, True
        if getattr(self.app, "demo", False) and not self.query("#lock-demo"):
            self.query_one(Vertical).mount(Label(t("lock.demo"), id="lock-demo", classes="demo"), before=0)
        self.query_one("#lock-user", Label).update(t("lock.user", name=name))
        self._ask_mode()

    def say(self, line: str) -> None:
        """A line about the start (the database being upgraded) where the prompt's question goes; the
        question replaces it once the user is known."""
        self.query_one("#lock-prompt", Label).update(line)

    def abandon(self) -> None:
        """Nobody's PIN after all (a login not mapped to a user): the app goes on with its first-run
        questions; this prompt closes without unlocking anything."""
        self.app.drop_held_keys()  # typed after a PIN of nobody's: not for the first-run questions either
        self._release = _nothing
        self.dismiss(None)

    def _show_mode(self, has_pin: bool) -> None:
        self.choosing = not has_pin
        self.query_one(".lock").set_class(self.choosing, "choosing")  # three fields: closer together (80x24)
        self.query_one("#pin2", Input).set_class(not self.choosing, "hidden")
        self.query_one("#code", Input).set_class(not self.choosing, "hidden")
        self.query_one("#lock-prompt", Label).update(t("lock.choose" if self.choosing else "lock.prompt"))
        entered, self._entered = self._entered, None
        if self.choosing:
            # no PIN yet: what was typed before this was known is the first thing asked, the setup code
            pin, code = self.query_one("#pin", Input), self.query_one("#code", Input)
            code.value, pin.value = (entered if entered is not None else pin.value), ""
            code.focus()
            if entered is not None:
                self._release()
                pin.focus()  # (Enter was pressed after the code: on to the new PIN)
        elif entered is not None:
            self._say_checking()
            self._check(entered)

    def _say_checking(self) -> None:
        """The PIN's Enter at a start: what the prompt is doing while the keys after it wait."""
        prompt = self.query_one("#lock-prompt", Label)
        if not str(prompt.render()).strip() or str(prompt.render()) == t("lock.prompt"):
            prompt.update(t("lock.checking"))  # (a line about an upgrade stays)

    @on(Input.Submitted, "#code")
    def _code(self, _: Input.Submitted) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _first(self, event: Input.Submitted) -> None:
        if self.choosing:
            try:
                pins.check_new_pin(event.value)
            except ArenaError as error:
                self._error(str(error), keep_code=True)
                return
            self.query_one("#lock-error", Label).update("")
            self.query_one("#pin2", Input).focus()
            return
        # keys typed after the PIN wait for its answer, however long (F3 then goes to the app), at a start
        # for the first screen (the app ends that hold); a wrong PIN drops them
        self._release = self.app.hold_until_started() if self.starting else self.app.hold_keys(until_released=True)
        if self.starting:
            self._say_checking()
        if not self.identified:
            self._entered = event.value  # checked once the user is known (identify)
            return
        self._check(event.value)

    def _check(self, pin: str) -> None:
        self.app.write_lane.submit(lambda: pins.unlock(self.app.db, self.login, pin), self._unlocked, self._error)

    @on(Input.Submitted, "#pin2")
    def _second(self, event: Input.Submitted) -> None:
        pin = self.query_one("#pin", Input).value
        code = self.query_one("#code", Input).value
        if event.value != pin:
            self._error(t("pin.mismatch"), keep_code=True)
            return
        self._release = self.app.hold_until_started() if self.starting else self.app.hold_keys(until_released=True)
        self.app.write_lane.submit(lambda: pins.set_pin(self.app.db, self.login, pin, setup_code=code),
                                   self._unlocked, self._error)

    _release = staticmethod(lambda: None)

    def _unlocked(self, _: object) -> None:
        self.dismiss(True)
        if not self.starting:  # (at a start the app releases them to its first screen once it is shown)
            self.app.call_after_refresh(self._release)  # to the screen under the lock, not to the lock

    def _error(self, message: str, *, keep_code: bool = False) -> None:
        if self.starting:
            self.app.drop_held_keys()  # typed after a wrong PIN: typed into nothing, the PIN field included
            if str(self.query_one("#lock-prompt", Label).render()) == t("lock.checking"):
                self.query_one("#lock-prompt", Label).update(t("lock.prompt"))  # no longer checking: asking again
        else:
            self.app.drop_held_keys()  # (after ctrl+l too: meant for the screen under the lock, never for the lock)
            self._release()
        self._release = _nothing
        self.query_one("#lock-error", Label).update(message)
        for field in self.query(Input):
            if not (keep_code and field.id == "code"):
                field.value = ""
        self.query_one("#code" if self.choosing and not keep_code else "#pin", Input).focus()

    async def action_enter(self) -> None:
        if isinstance(self.focused, Input):
            await self.focused.action_submit()

    def action_cancel(self) -> None:
        if self.can_cancel:
            self.dismiss(False)
