"""Small modal dialogs, each typed by what it returns (`None` when cancelled): confirm, prompt, choose,
fill a form. Every dialog is asked by `run_flow`: an async worker awaiting each with `push_screen_wait`
(`DialogFlow.ask`), holding the keys between them, reading and writing in between (`read`, `write`).
A dialog is never pushed with a callback (tests/test_layering.py checks it)."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, cast, overload

from textual import events, on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from store.i18n import ArenaError

from tui.text import t
from tui.appbase import AppBase, KeyHold, WaitsForFirstRead
from tui.footer import ArenaFooter
from tui.workers import StoreFailed, failure

T = TypeVar("T")  # what a dialog returns
R = TypeVar("R")
O = TypeVar("O")
S = TypeVar("S")  # what a screen asked by a flow is dismissed with  # what the store call of a saving form returned


class Dialog(WaitsForFirstRead, ModalScreen[T | None]):
    """A modal dialog. Asked as one of a `DialogFlow`, it holds the keys from the moment it closes until
    the flow's next dialog is on screen (or the flow ends)."""

    app: AppBase

    def __init__(self) -> None:
        super().__init__()
        self.hold_on_close: Callable[[], Callable[[], None]] | None = None
        self.held: Callable[[], None] = lambda: None

    @on(events.Mount)
    def _keys_of_its_own(self) -> None:
        """Its own keys along the bottom (Esc Avbryt, ^s Spara), over the footer of the screen beneath,
        whose keys do nothing while the dialog is open (`n Närvarande` under the hours asked)."""
        self.mount(ArenaFooter())

    def dismiss(self, result: T | None = None) -> AwaitComplete:
        if self.hold_on_close is not None:
            self.held = self.hold_on_close()
        return super().dismiss(result)


FLOW_GROUP = "dialog-flow"  # the worker group of dialog flows (one at a time per widget)


class DialogFlow:
    """Dialogs asked one after the other by an async worker: `answer = await flow.ask(dialog)`. From the
    moment the flow starts, keys typed wait (the app holds them) until a dialog of the flow is on screen,
    so each key lands in the dialog that was showing when it was pressed, never in the screen beneath.
    Store reads in between run in a thread (`await flow.read(fn, ...)`)."""

    def __init__(self, app: AppBase, owner: DOMNode | None = None) -> None:
        self.app = app
        self._release: Callable[[], None] = app.hold_keys(owner=owner)  # (ends with `owner`: a flow never run)

    @overload
    async def ask(self, dialog: Dialog[T]) -> T | None: ...

    @overload
    async def ask(self, dialog: Screen[S]) -> S | None: ...

    async def ask(self, dialog: Screen[S]) -> S | None:
        """Show the dialog (a `Dialog`, or a screen dismissed with a value such as the PIN prompt) and
        wait for its answer."""
        if isinstance(dialog, Dialog):
            dialog.hold_on_close = self.app.hold_keys
        answer = self.app.push_screen(dialog, wait_for_dismiss=True)
        self._release()  # the dialog is on the stack: the keys typed meanwhile are for it
        try:
            return await answer
        finally:
            # keys typed once it has closed wait for the flow's next dialog (or its end)
            self._release = dialog.held if isinstance(dialog, Dialog) else self.app.hold_keys()

    async def read(self, fn: Callable[..., R], *args: object) -> R:
        """A store read off the UI thread; a failure is logged and raised as `StoreFailed` (its line)."""
        def job() -> R:
            try:
                return fn(*args)
            except Exception as error:  # noqa: BLE001 -- logged in this thread, said on the UI thread
                raise failure(self.app, error) from error

        return await asyncio.to_thread(job)

    async def write(self, fn: Callable[[], R]) -> R:
        """A write through the app's write lane (in order with every other write), awaited: what it
        returned, once committed; a refusal raises `StoreFailed` with its line (logged where it failed)."""
        outcome: asyncio.Future[R] = asyncio.get_running_loop().create_future()

        def saved(result: R) -> None:
            if not outcome.done():
                outcome.set_result(result)

        def refused(message: str) -> None:
            if not outcome.done():
                outcome.set_exception(StoreFailed(message))

        self.app.write_lane.submit(fn, saved, refused)
        return await outcome

    def end(self) -> None:
        self._release()

    def failed(self) -> None:
        """A read of the flow failed: the keys typed for its next dialog are dropped, never delivered to
        the screen beneath."""
        if isinstance(self._release, KeyHold):
            self._release.drop()
        self._release()


def run_flow(node: DOMNode, steps: Callable[[DialogFlow], Awaitable[None]]) -> None:
    """Run `steps` as a dialog flow in an async worker; whatever fails is said in one line and logged (a
    store read where it failed, anything else by `AppBase.say_failure`). Keys wait while the flow reads, so a second flow cannot start before
    the first one's dialog is on screen (and takes those keys)."""
    app = cast(AppBase, node.app)
    flow = DialogFlow(app, node)  # from this key on, keys wait for the flow's dialogs

    async def run() -> None:
        try:
            await steps(flow)
        except Exception as error:  # noqa: BLE001 -- said here whatever node runs the flow (a worker's failure does not bubble)
            app.say_failure(error, FLOW_GROUP)
            flow.failed()
        finally:
            flow.end()

    node.run_worker(run(), group=FLOW_GROUP, exit_on_error=False)


class ConfirmDialog(Dialog[bool]):
    """Yes or no. Enter answers the focused button, which is "Nej" unless `default_yes`: an action that
    cannot be undone (an exit, a PIN reset, a deactivation) is done only by choosing "Ja" (`j`/`y`, or Tab
    to it); only what Ctrl+Z undoes whole (all present, a cancelled session) may default to yes."""

    BINDINGS = [Binding("escape", "cancel", "dlg.cancel"), Binding("y,j", "confirm", "dlg.yes", show=False),
                Binding("n", "cancel", "dlg.no", show=False)]

    def __init__(self, question: str, *, default_yes: bool = False) -> None:
        super().__init__()
        self.question = question
        self.default_yes = default_yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("dlg.yes"), variant="primary", id="yes")
                yield Button(t("dlg.no"), id="no")

    def on_mount(self) -> None:
        self.query_one("#yes" if self.default_yes else "#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class PromptDialog(Dialog[T], Generic[T]):
    """One line of input; `check` turns the text into the value or raises ArenaError (shown inline).
    Without `check` the value is the text itself."""

    BINDINGS = [Binding("escape", "cancel", "dlg.cancel")]

    def __init__(self, question: str, value: str = "", *, check: Callable[[str], T] | None = None,
                 placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.check: Callable[[str], T] = check or cast(Callable[[str], T], str)  # without check, T is str
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-question")
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label("", id="prompt-error", classes="error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            result = self.check(event.value)
        except ArenaError as error:
            self.query_one("#prompt-error", Label).update(str(error))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceList(OptionList):
    """The options of a ChoiceDialog. Enter with nothing highlighted (an `explicit` dialog opens so) picks
    nothing and the dialog says to choose."""

    def action_select(self) -> None:
        if self.highlighted is None and isinstance(self.screen, ChoiceDialog):
            self.screen.nothing_chosen()
            return
        super().action_select()


class ChoiceDialog(Dialog[T], Generic[T]):
    """Pick one of several options (value, label); Enter picks, Escape cancels. With `with_text`, a last
    option (`with_text_label`) lets one type the value instead, turned into it by `check`. An `explicit`
    dialog (a reason that is logged) opens with no option highlighted, so Enter alone picks nothing, and
    a letter typed on the list goes to the text field (nothing typed is lost)."""

    BINDINGS = [Binding("escape", "cancel", "dlg.cancel")]

    def __init__(self, question: str, options: Sequence[tuple[T, str]], *, with_text: str | None = None,
                 with_text_label: str = "", check: Callable[[str], T] | None = None, explicit: bool = False) -> None:
        super().__init__()
        self.question = question
        self.options = list(options)
        self.with_text = with_text
        self.with_text_label = with_text_label
        self.check: Callable[[str], T] = check or cast(Callable[[str], T], str)  # without check, T is str
        self.explicit = explicit

    def compose(self) -> ComposeResult:
        labels = [label for _, label in self.options] + ([self.with_text_label] if self.with_text is not None else [])
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-question")
            yield ChoiceList(*[Option(label, id=str(i)) for i, label in enumerate(labels)], id="choice-list")
            if self.with_text is not None:
                # not selected when focused: the letter typed on the list that moved the focus here stays
                # (selected, the next key replaced it: "ikarierar" for "Vikarierar" typed fast)
                yield Input(placeholder=self.with_text, id="choice-text", select_on_focus=False)
            yield Label("", id="choice-error", classes="error")

    def on_mount(self) -> None:
        choices = self.query_one(ChoiceList)
        if self.explicit:
            choices.highlighted = None
        choices.focus()

    def nothing_chosen(self) -> None:
        self.query_one("#choice-error", Label).update(t("dlg.reason_choose"))

    def on_key(self, event: events.Key) -> None:
        """A letter typed on an explicit dialog's list goes to its text field, which takes the keys after it;
        on any other list it moves to the next option that starts with it (a name in a long list of users)."""
        if not (event.is_printable and event.character and not event.character.isspace()):
            return
        if not (self.explicit and self.with_text is not None):
            if isinstance(self.focused, ChoiceList):
                event.stop()
                self._jump(event.character)
            return
        field = self.query_one("#choice-text", Input)
        if self.focused is field:
            return
        event.stop()
        event.prevent_default()
        field.insert_text_at_cursor(event.character)
        self.query_one(ChoiceList).highlighted = len(self.options)  # "other reason (type below)"
        field.focus()

    def _jump(self, letter: str) -> None:
        """Highlight the next option (after the highlighted one, round the end) whose label starts with `letter`."""
        choices = self.query_one(ChoiceList)
        labels = [label for _, label in self.options]
        start = -1 if choices.highlighted is None else choices.highlighted
        for step in range(1, len(labels) + 1):
            at = (start + step) % len(labels)
            if labels[at].casefold().startswith(letter.casefold()):
                choices.highlighted = at
                return

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or 0)
        if index == len(self.options):  # the last option: type it
            self.query_one("#choice-text", Input).focus()
            return
        self.dismiss(self.options[index][0])

    @on(Input.Submitted, "#choice-text")
    def _typed(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            return
        try:
            value = self.check(event.value.strip())
        except ArenaError as error:
            self.query_one("#choice-error", Label).update(str(error))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class Saved(Generic[T, O]):
    """What a FormDialog with `write` closes with: the checked value and what the store call returned."""

    value: T
    outcome: O


class FormDialog(Dialog[T | Saved[T, O]], Generic[T, O]):
    """A few labelled fields (key, label, value, secret). Enter moves to the next field and, on the last,
    submits; CTRL+S submits from anywhere. `check` turns {key: text} into the value or raises ArenaError,
    shown inline (nothing is lost: the fields keep what was typed)."""

    # Enter is handled before the field sees it, so the move to the next field happens before the next key
    # is delivered: typing straight on after Enter lands in the next field, never in the one just left.
    BINDINGS = [Binding("escape", "cancel", "dlg.cancel"), Binding("ctrl+s", "submit", "key.save"),
                Binding("enter", "next_field", "dlg.next", show=False, priority=True)]

    def __init__(self, question: str, fields: list[tuple[str, str, str, bool]],
                 check: Callable[[dict[str, str]], T],
                 write: Callable[[T], O] | None = None) -> None:
        """With `write`, the checked value is saved from the dialog (through the app's write lane): the
        dialog closes (with `Saved`) only when the store took it; a refusal is shown here, every
        field keeps what was typed."""
        super().__init__()
        self.question = question
        self.fields = fields
        self.check = check
        self.write = write
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Label(self.question, classes="dialog-question")
            for key, label, value, secret in self.fields:
                yield Label(label, classes="form-label")
                yield Input(value, password=secret, id=f"form-{key}")
            yield Label("", id="form-error", classes="error")

    def on_mount(self) -> None:
        self.query(Input).first().focus()
        # shown at its top, the question and the first label in sight: it opened scrolled down to the first
        # field (at 80x24 the question and the field's label were out of sight)
        self.call_after_refresh(self.query_one(".form-dialog").scroll_home, animate=False)

    def values(self) -> dict[str, str]:
        return {key: self.query_one(f"#form-{key}", Input).value for key, *_ in self.fields}

    def action_next_field(self) -> None:
        inputs = list(self.query(Input))
        focused = self.focused
        index = inputs.index(focused) if focused in inputs else len(inputs) - 1
        if index < len(inputs) - 1:
            inputs[index + 1].focus()
            return
        self.action_submit()

    def action_submit(self) -> None:
        if self.saving:
            return
        error_line = self.query_one("#form-error", Label)
        try:
            result = self.check(self.values())
        except ArenaError as error:
            error_line.update(str(error))
            return
        if self.write is None:
            self.dismiss(result)
            return
        write = self.write
        self.saving = True
        error_line.update("")

        def refused(message: str) -> None:
            self.saving = False
            if self.is_attached:
                error_line.update(message)

        def saved(outcome: O) -> None:
            self.saving = False
            if self.is_attached:
                self.dismiss(Saved(result, outcome))

        self.app.write_lane.submit(lambda: write(result), saved, refused)

    def action_cancel(self) -> None:
        self.dismiss(None)
