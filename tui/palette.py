"""The command palette in the user's language: Textual's own, with the one sentence Textual writes itself
("No matches found") taken from the catalog. Imported when the palette opens, never at start-up."""
from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from tui.text import t


class ArenaPalette(CommandPalette):
    def _start_no_matches_countdown(self, search_value: str) -> None:
        """Textual's (8.x) countdown to saying that nothing matched, with the catalog's words.

        Textual's internal: the palette writes "No matches found" itself, in English, with no public
        way to give it other words (a provider can only add commands). tests/test_textual_internals.py
        fails if Textual changes this method."""
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:  # an empty search is discovery: nothing to say
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text(t("cmd.no_matches"), style="not bold")), disabled=True,
                           id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
