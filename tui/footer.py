"""The footer every screen shows: the screen's keys, whole, at 80 columns as at 120.

Textual's footer cuts the last key it has no room for ("k Konflikte"). This one goes compact when the
keys do not fit, and when even that is too wide it shows F1 (help, which lists every key of the screen
in words) and then every key, with its words while they fit and bare after that ("a p c ^n i"), so each
key of the screen is in the footer.

Bindings carry catalog keys as their descriptions (`Binding("f1", "help", "key.help")`), never text made
at import time: the footer says them in the language of the moment, so a language switch while the app
runs (F12) changes them too.

Built from Textual's public API only (`Screen.active_bindings`, `Screen.bindings_updated_signal`,
`App.get_key_display`, `App.simulate_key`), drawn as one line that looks and behaves as Textual's own footer
(hover, click, the palette's key docked right; its colours are in screens.css).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

from tui.text import language, t

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True)
class Key:
    """What one key of the footer shows: the key, how it is written, its words (none: shown bare), the
    action, whether it is enabled, its tooltip, and whether it is the palette's key (docked right)."""

    key: str
    key_display: str
    description: str
    action: str
    disabled: bool = False
    tooltip: str = ""
    palette: bool = False
    refused: bool = False  # dimmed as a disabled key, but pressing it (or a click) says why (`AppBase.refuses`)


def _cells(key: Key, compact: bool) -> tuple[str, str]:
    """A key's two parts as drawn: the key (" F1 ", compact "F1") and its words ("Hjälp ", compact " Hjälp")."""
    if compact:
        return key.key_display, f" {key.description}" if key.description else ""
    return f" {key.key_display} ", f"{key.description} " if key.description else ""


def _width(key: Key, compact: bool) -> int:
    """Cells a key takes: its key and words as drawn (`_cells`), and the cell after it when compact."""
    return sum(map(len, _cells(key, compact))) + (1 if compact else 0)


def _keys_shown(screen: Screen, width: int) -> tuple[object, ...]:
    """What the footer would show for this screen now: its keys, whether each is enabled, the language
    and the width (equal tuples draw the same footer)."""
    refuses = getattr(screen.app, "refuses", lambda _: False)
    return (language(), width, *((b.key, b.description, b.action, enabled, tooltip, refuses(b.action))
                                 for (_, b, enabled, tooltip) in screen.active_bindings.values() if b.show))


def _fit(own: list[Key], help_key: Key | None, everywhere: list[Key], room: int) -> tuple[list[Key], set[Key]]:
    """The compact footer in `room` cells: (the keys shown in order, those shown bare). Every key of the
    screen at least bare ("a p c ^n i"), then in order with its words while they fit; F1 keeps its words
    and says the rest, and the keys that work everywhere (F2–F5, ^q) come last, bare, where there is room
    (F1 lists them too)."""
    left = room - (_width(help_key, True) if help_key else 0)
    bare = list(own)
    while bare and sum(len(k.key_display) + 1 for k in bare) > left:
        bare.pop()
    left -= sum(len(k.key_display) + 1 for k in bare)
    wordless: set[Key] = set()
    worded = True
    for key in bare:  # left to right: once one goes bare, the rest do too (the words stay in order)
        extra = _width(key, True) - len(key.key_display) - 1
        worded = worded and extra <= left
        if worded:
            left -= extra
        else:
            wordless.add(key)
    for key in everywhere:
        if len(key.key_display) + 1 <= left:
            left -= len(key.key_display) + 1
            wordless.add(key)
            bare.append(key)
    return ([help_key] if help_key else []) + bare, wordless


@dataclass(frozen=True)
class Shown:
    """A key where the footer draws it: its first cell and the cells of its key and words."""

    key: Key
    x: int
    width: int


def _place(keys: tuple[Key, ...], compact: bool, width: int) -> list[Shown]:
    """Where each key goes on a footer `width` cells wide: the screen's keys from the left (compact: one
    cell between them), the palette's key at the right after its bar ("▏"), a cell before the edge."""
    placed: list[Shown] = []
    x = 0
    for key in keys:
        cells = sum(map(len, _cells(key, compact)))
        if key.palette:
            placed.append(Shown(key, max(x + 1, width - cells - 1), cells))
            continue
        placed.append(Shown(key, x, cells))
        x += _width(key, compact)
    return placed


class ArenaFooter(Widget, can_focus=False):
    """The screen's keys along the bottom, drawn as one line (as Textual's footer looks: the key, then its
    words; the palette's key at the right). One widget, not one per key: the keys change with every
    focus, and mounting, styling and laying out a widget per key was a fifth of the work of the screens.
    A click presses the key under the mouse (a disabled one rings the bell); the key under the mouse is
    highlighted and its tooltip shown. Its colours are component classes in screens.css; its spacing is
    `_cells`'s, the same the fitting counts."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description", "footer-key--item", "footer-key--hover",
                         "footer-key--bar"}

    compact = False  # the keys drawn bare-bones, one cell apart (`_cells`)

    _composed: tuple[object, ...] | None = None
    _ready = False  # the screen has said its bindings once: there are keys to show
    _refit_due = False
    _keys_now: tuple[Key, ...] = ()
    _hover: str | None = None  # the action of the key under the mouse

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        """The screen says its bindings may have changed: a focus change says so two or three times; the
        keys are worked out once, and drawn again only when the keys shown have changed."""
        self._ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen or self._refit_due:
            return
        self._refit_due = True
        # on the footer's own queue, not after the screen's next refresh: a refresh that never comes (the
        # card's keys changed by a write that finished under a closing dialog) left the footer stale for good
        self.call_later(self._refit)

    def _refit(self) -> None:
        self._refit_due = False
        if self.is_attached and self._ready and self._composed != _keys_shown(self.screen, self.app.size.width):
            self._composed = _keys_shown(self.screen, self.app.size.width)
            compact, keys = self._layout()
            self._keys_now = tuple(keys)
            self.compact = compact
            self.refresh()

    def on_resize(self) -> None:
        self._refit()

    @property
    def shown(self) -> list[Shown]:
        """The keys drawn now, where they are drawn."""
        return _place(self._keys_now, self.compact, self.size.width)

    def _keys(self) -> Iterator[Key]:
        """Every key the screen shows, one per action (its first key), in the catalog's words."""
        seen: set[str] = set()
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            refused = getattr(self.app, "refuses", lambda _: False)(binding.action)
            yield Key(binding.key, _display(self.app.get_key_display(binding)), t(binding.description),
                      binding.action, disabled=not enabled, tooltip=tooltip, refused=refused)

    def _palette(self) -> list[Key]:
        """The command palette's key, docked right."""
        if not self.app.ENABLE_COMMAND_PALETTE:
            return []
        active = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if active is None:
            return []
        binding = active.binding
        return [Key(binding.key, _display(self.app.get_key_display(binding)), t(binding.description),
                    binding.action, disabled=not active.enabled, tooltip=binding.tooltip or t(binding.description),
                    palette=True)]

    def _layout(self) -> tuple[bool, list[Key]]:
        """(compact or not, the keys shown in order, the palette's last) for the screen and width of now."""
        keys = list(self._keys())
        palette = self._palette()
        room = self.app.size.width - sum(_width(p, False) + 2 for p in palette)
        if sum(_width(k, False) for k in keys) <= room:
            return False, keys + palette
        help_key = next((k for k in keys if k.key == "f1"), None)
        everywhere = {key for key, active in self.screen.active_bindings.items() if active.node is self.app}
        own = [k for k in keys if k is not help_key and k.key not in everywhere]
        elsewhere = [k for k in keys if k is not help_key and k.key in everywhere]
        shown, wordless = _fit(own, help_key, elsewhere, room)
        if any(k in wordless for k in own) and any(p.description for p in palette):
            # the palette's words give way before a key of the screen loses its own (F1 says ^p too):
            # "a Aktiviteter u Användare ^q ▏^p", not "a Aktiviteter u ^q ▏^p Kommandon"
            bare_room = self.app.size.width - sum(len(p.key_display) + 3 for p in palette)
            shown, wordless = _fit(own, help_key, elsewhere, bare_room)
            palette = [replace(p, description="") for p in palette]
        return True, [replace(k, description="") if k in wordless else k for k in shown] + palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer-key--key", partial=True)
        words_style = self.get_component_rich_style("footer-key--description", partial=True)
        item_style = self.get_component_rich_style("footer-key--item")
        hover_style = self.get_component_rich_style("footer-key--hover")
        line = Text(no_wrap=True, overflow="crop", end="")
        x = 0
        for shown in self.shown:
            if shown.key.palette:
                line.append(" " * (shown.x - 1 - x))
                line.append("▏", self.get_component_rich_style("footer-key--bar"))
            else:
                line.append(" " * (shown.x - x))
            key_cells, words_cells = _cells(shown.key, self.compact)
            part = Text.assemble((key_cells, key_style), (words_cells, words_style))
            base = hover_style if shown.key.action == self._hover else item_style
            part.stylize_before(base + Style(dim=True) if shown.key.disabled or shown.key.refused else base)
            line.append_text(part)
            x = shown.x + shown.width
        return line

    def _at(self, x: int) -> Key | None:
        return next((s.key for s in self.shown if s.x <= x < s.x + s.width), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self._at(event.x)
        if (key.action if key else None) != self._hover:
            self._hover = key.action if key else None
            self.tooltip = (key.tooltip or None) if key else None
            self.refresh()

    def on_leave(self) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self._at(event.x)
        if key is None:
            return
        if key.disabled:  # dimmed and refused: the bell (a refused key is pressed, and the app says why)
            self.app.bell()
        else:
            self.app.simulate_key(key.key)

def _display(key_display: str) -> str:
    """"F1", as the help screen and the README write it (Textual shows "f1")."""
    return key_display.upper() if key_display[:1] == "f" and key_display[1:].isdigit() else key_display
