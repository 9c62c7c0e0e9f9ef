"""F1: every key of every screen, read from the bindings themselves so the list cannot go stale: each screen
registers its keys where it is defined (`tui.keyhelp`); this screen reads that register and imports none."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import keyhelp
from tui.footer import ArenaFooter
from tui.text import t


def _key_name(key: str) -> str:
    names = {"left_square_bracket": "[", "right_square_bracket": "]", "slash": "/", "space": t("key.name.space"),
             "backspace": "⌫", "delete": "Del", "enter": "Enter", "escape": "Esc"}
    return " / ".join(names.get(k, k.replace("ctrl+", "Ctrl+").upper() if k.startswith(("f", "ctrl"))
                                else k) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    """Shows the (title, bindings) sections the screens registered (`tui.keyhelp.sections`)."""

    BINDINGS = [Binding("escape,f1,q", "app.pop_screen", "key.back")]

    def __init__(self) -> None:
        super().__init__()
        self.sections = keyhelp.sections()

    def compose(self) -> ComposeResult:
        table = Table(title=t("help.title"), expand=True, show_header=False, box=None, padding=(0, 2))
        table.add_column(style="bold cyan", width=22)
        table.add_column()
        for title, bindings in self.sections:
            table.add_row(Text(title, style="bold underline"), "")
            for b in bindings:
                table.add_row(_key_name(b.key), t(b.description))
            table.add_row("", "")
        with VerticalScroll(classes="dialog help"):
            yield Static(table)
        yield ArenaFooter()  # its own key along the bottom, over the footer of the screen beneath (as a dialog's)
