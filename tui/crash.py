"""What the terminal gets when the app closes: Arena's own lines, never a traceback.

Textual catches an exception a handler raised in its message loop (so `sys.excepthook` never sees it),
renders its traceback and, once the app has closed, prints it with the app's `error_console`. Arena gives
the app an `ExitConsole` instead of Textual's: a line Arena gave `exit(message=…)` is printed as Textual
would, but a traceback goes to the log file beside the database (without the values of local variables:
they may be personal data) and the terminal gets one line saying where it is. Every mark shown as saved
was committed before it was shown, so nothing is lost by the app closing."""
from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.segment import Segments

from tui.text import t

log = logging.getLogger("tui.app")

_WIDTH = 200  # the traceback as text in the log: wide enough that source lines are not wrapped


def without_locals(text: str) -> str:
    """Rich's traceback as text without its boxes of local variables (`show_locals`, as Textual draws it)."""
    kept: list[str] = []
    box_at: int | None = None
    for line in text.splitlines():
        if box_at is not None:
            if len(line) > box_at and line[box_at] == "╰":
                box_at = None
            continue
        start = line.find("╭")
        if start >= 0 and "─ locals ─" in line[start:]:
            box_at = start
            continue
        kept.append(line)
    return "\n".join(kept)


class ExitConsole(Console):
    """The app's `error_console` (see the module's docstring). `where` says the log file's path, made
    when it is first needed; `who` the login acting."""

    def __init__(self, where: Callable[[], Path], who: Callable[[], str], **kwargs: object) -> None:
        super().__init__(markup=False, highlight=False, stderr=True, **kwargs)  # type: ignore[arg-type]
        self._where = where
        self._who = who
        self.crashed = False

    def print(self, *objects: object, **kwargs: object) -> None:
        if kwargs.get("markup"):
            return  # Textual's own note that more errors were caught (in English, naming its dev tools)
        # Textual renders a traceback (or a panic) into Segments before the app closes; a line is a string
        if not any(isinstance(o, Segments) for o in objects):
            super().print(*objects, **kwargs)  # type: ignore[arg-type]
            return
        text = io.StringIO()
        Console(file=text, width=_WIDTH, color_system=None, markup=False, highlight=False).print(*objects)
        try:
            path: Path | str = self._where()
        except OSError:  # no log file can be made there (a full disk, a folder gone): the line says so
            path = t("app.no_log")
        log.critical("unexpected error (user %s); the app closes\n%s", self._who(), without_locals(text.getvalue()))
        if not self.crashed:  # one line, however many errors were caught
            self.crashed = True
            super().print(t("app.crashed", log=str(path)), soft_wrap=True)  # a path is never broken
