"""The register of keys the help screen (F1) lists: each screen (and the app) registers its bindings when
its module is loaded (`@help_keys(...)` on the class), and the help screen reads them (`sections()`).
So the help screen imports no screen, and a new screen appears in it by saying so where it is defined.

Imports no screen and nothing of the store."""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from textual.binding import Binding

from tui.text import t

C = TypeVar("C", bound=type)


@dataclass
class _Section:
    rank: int
    title: str  # a catalog key
    suffix: str  # the key that opens it, e.g. " (F2)"
    classes: list[type] = field(default_factory=list)


_SECTIONS: dict[str, _Section] = {}


def help_keys(title: str, suffix: str = "", *, rank: int) -> Callable[[C], C]:
    """Class decorator: list the class's BINDINGS in the help section `title` (a catalog key), sections in
    `rank` order; classes of one section in the order their modules define them."""
    def register(cls: C) -> C:
        section = _SECTIONS.setdefault(title, _Section(rank, title, suffix))
        if cls not in section.classes:
            section.classes.append(cls)
        return cls

    return register


def _load_screens() -> None:
    """Every module of tui.screens registers its screens when loaded; the app loads most of them only when
    first used (start-up), so the help loads the rest by walking the package."""
    from tui import screens  # lazy: the package is walked only when the help is asked for

    for info in pkgutil.iter_modules(screens.__path__):
        importlib.import_module(f"{screens.__name__}.{info.name}")


def sections() -> list[tuple[str, list[Binding]]]:
    """(title, bindings) of every registered section, in rank order, in the language now in use."""
    _load_screens()
    out = []
    for section in sorted(_SECTIONS.values(), key=lambda s: s.rank):
        bindings: dict[tuple[str, str], Binding] = {}  # a key two classes of a section share is listed once
        for cls in section.classes:
            for b in getattr(cls, "BINDINGS", ()):
                if isinstance(b, Binding) and b.description:  # (a binding without words only catches keys)
                    bindings.setdefault((b.key, b.description), b)
        out.append((t(section.title) + section.suffix, list(bindings.values())))
    return out
