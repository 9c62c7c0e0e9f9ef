"""The command palette in the user's language: Textual's own palette with Arena's one command provider.

Textual writes "No matches found" itself, in English, when no provider offers anything for what was
typed. The provider here always offers something for a search: the commands that match, or one line in
the catalog's words saying that nothing does (choosing it only closes the palette). So the palette never
has to speak for itself. Imported when the palette opens, never at start-up."""
from __future__ import annotations

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits
from textual.system_commands import SystemCommandsProvider

from tui.text import t


def _nothing() -> None:
    """Choosing "nothing matches" only closes the palette."""


class ArenaCommands(SystemCommandsProvider):
    """Textual's system commands (the app's `get_system_commands`, in the user's language) with a line of
    their own when none matches."""

    async def discover(self) -> Hits:
        """The commands in the app's order, not by name: the line highlighted when the palette opens is
        never "Avsluta" (Ctrl+P then Enter by reflex must not close Arena)."""
        for name, help_text, callback, discover in self.app.get_system_commands(self.screen):
            if discover:
                yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        found = False
        async for hit in super().search(query):
            found = True
            yield hit
        if not found and query.strip():
            yield Hit(1e-6, Text(t("cmd.no_matches"), style="italic"), _nothing, text=t("cmd.no_matches"))


def arena_commands() -> type[ArenaCommands]:
    """Lazy, as Textual's own `get_system_commands_provider`: the palette's code loads when it opens."""
    return ArenaCommands
