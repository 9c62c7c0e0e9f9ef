"""The lock screen (ctrl+l): hides everything personal until the user comes back."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Label

from store.i18n import t


class LockScreen(Screen[None]):
    """A full screen, not a modal: nothing of the screen below shows through."""

    BINDINGS = [Binding("enter", "unlock", t("dlg.ok"))]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog lock"):
            yield Label(t("lock.title"), classes="dialog-question")
            yield Label(t("lock.prompt"))

    def action_unlock(self) -> None:
        self.dismiss(None)
