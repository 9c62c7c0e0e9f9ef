"""Small modal dialogs that return a value: confirm, prompt, choose."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from store.i18n import ArenaError, t


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", t("dlg.cancel")), Binding("y,j", "confirm", t("dlg.yes"), show=False),
                Binding("n", "cancel", t("dlg.no"), show=False)]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("dlg.yes"), variant="primary", id="yes")
                yield Button(t("dlg.no"), id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class PromptDialog(ModalScreen[object]):
    """One line of input; `check` turns the text into the value or raises ArenaError (shown inline)."""

    BINDINGS = [Binding("escape", "cancel", t("dlg.cancel"))]

    def __init__(self, question: str, value: str = "", *, check: Callable[[str], object] | None = None,
                 placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.check = check or (lambda text: text)
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


class ChoiceDialog(ModalScreen[object]):
    """Pick one of several options (value, label); Enter picks, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", t("dlg.cancel"))]

    def __init__(self, question: str, options: list[tuple[object, str]], *, with_text: str | None = None,
                 check: Callable[[str], object] | None = None) -> None:
        super().__init__()
        self.question = question
        self.options = options
        self.with_text = with_text
        self.check = check or (lambda text: text)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-question")
            yield OptionList(*[Option(label, id=str(i)) for i, (_, label) in enumerate(self.options)],
                             id="choice-list")
            if self.with_text is not None:
                yield Input(placeholder=self.with_text, id="choice-text")
            yield Label("", id="choice-error", classes="error")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        value = self.options[int(event.option.id or 0)][0]
        if self.with_text is not None and value is None:
            self.query_one("#choice-text", Input).focus()
            return
        self.dismiss(value)

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
class Saved:
    """What a FormDialog with `write` closes with: the checked value and what the store call returned."""

    value: object
    outcome: object


class FormDialog(ModalScreen[object]):
    """A few labelled fields (key, label, value, secret). Enter moves to the next field and, on the last,
    submits; CTRL+S submits from anywhere. `check` turns {key: text} into the value or raises ArenaError,
    shown inline (nothing is lost: the fields keep what was typed)."""

    # Enter is handled before the field sees it, so the move to the next field happens before the next key
    # is delivered: typing straight on after Enter lands in the next field, never in the one just left.
    BINDINGS = [Binding("escape", "cancel", t("dlg.cancel")), Binding("ctrl+s", "submit", t("key.save")),
                Binding("enter", "next_field", t("dlg.next"), show=False, priority=True)]

    def __init__(self, question: str, fields: list[tuple[str, str, str, bool]],
                 check: Callable[[dict[str, str]], object],
                 write: Callable[[object], object] | None = None) -> None:
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

        def saved(outcome: object) -> None:
            self.saving = False
            if self.is_attached:
                self.dismiss(Saved(result, outcome))

        self.app.write_lane.submit(lambda: write(result), saved, refused)

    def action_cancel(self) -> None:
        self.dismiss(None)
