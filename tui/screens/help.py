"""F1: every key of every screen, read from the bindings themselves so the list cannot go stale."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from store.i18n import t


def _key_name(key: str) -> str:
    names = {"left_square_bracket": "[", "right_square_bracket": "]", "slash": "/", "space": "mellanslag",
             "backspace": "⌫", "delete": "Del", "enter": "Enter", "escape": "Esc"}
    return " / ".join(names.get(k, k.replace("ctrl+", "Ctrl+").upper() if k.startswith(("f", "ctrl"))
                                else k) for k in key.split(","))


def sections() -> list[tuple[str, list[Binding]]]:
    """(title, bindings) for every screen; also used by the README key tables' test."""
    from tui.app import ArenaApp
    from tui.screens.activities import ActivitiesScreen
    from tui.screens.enrolment import EnrolmentScreen
    from tui.msactions import MILESTONE_BINDINGS
    from tui.screens.attendance import AttendanceScreen, RollTable, SessionTable
    from tui.screens.card import CaseCardScreen
    from tui.screens.milestones import BoardTable
    from tui.screens.overview import OverviewScreen
    from tui.screens.review import AccessReviewScreen
    from tui.screens.search import RegisterScreen, SearchScreen
    from tui.screens.syncscreen import ConflictsScreen
    from tui.screens.weekgrid import WeekGridScreen, WeekTable

    def only(bindings: list) -> list[Binding]:
        return [b for b in bindings if isinstance(b, Binding)]

    return [
        (t("help.global"), only(ArenaApp.BINDINGS) + [Binding("ctrl+p", "command_palette", t("help.palette"))]),
        (t("key.search") + " (F2)", only(SearchScreen.BINDINGS) + only(RegisterScreen.BINDINGS)),
        (t("key.attendance") + " (F3)", only(SessionTable.BINDINGS) + only(RollTable.BINDINGS)
         + only(AttendanceScreen.BINDINGS)),
        (t("key.week"), only(WeekTable.BINDINGS) + only(WeekGridScreen.BINDINGS)),
        (t("key.milestones") + " (F4)", only(BoardTable.BINDINGS)),
        (t("help.card"), only(CaseCardScreen.BINDINGS) + MILESTONE_BINDINGS),
        (t("key.enrolments") + " (i)", only(EnrolmentScreen.BINDINGS)),
        (t("key.overview") + " (F5)", only(OverviewScreen.BINDINGS)),
        (t("key.activities") + " (a)", only(ActivitiesScreen.BINDINGS)),
        (t("key.conflicts"), only(ConflictsScreen.BINDINGS)),
        (t("key.review"), only(AccessReviewScreen.BINDINGS)),
    ]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "app.pop_screen", t("key.back"))]

    def compose(self) -> ComposeResult:
        table = Table(title=t("help.title"), expand=True, show_header=False, box=None, padding=(0, 2))
        table.add_column(style="bold cyan", width=22)
        table.add_column()
        for title, bindings in sections():
            table.add_row(Text(title, style="bold underline"), "")
            for b in bindings:
                table.add_row(_key_name(b.key), b.description)
            table.add_row("", "")
        with VerticalScroll(classes="dialog help"):
            yield Static(table)
