"""The footer every screen shows: the screen's keys, whole, at 80 columns as at 120.

Textual's footer cuts the last key it has no room for ("k Konflikte"). This one goes compact when the
keys do not fit, and when even that is too wide it shows F1 (help, which lists every key of the screen
in words) and then every key, with its words while they fit and bare after that ("a p c ^n i"), so each
key of the screen is in the footer.

Bindings carry catalog keys as their descriptions (`Binding("f1", "help", "key.help")`), never text made
at import time: the footer says them in the language of the moment, so a language switch while the app
runs (F12) changes them too.

Textual's internals: the keys are the widgets Textual's Footer composes (`FooterKey`, which
`textual.widgets` does not export) and its `_bindings_ready` flag; this footer reshapes them rather than
drawing keys of its own, so that it looks and behaves exactly as Textual's (hover, click, the palette key
docked right, the snapshots). tests/test_textual_internals.py fails if either changes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tui.text import language, t

if TYPE_CHECKING:
    from textual.screen import Screen


def _width(key: FooterKey, compact: bool) -> int:
    """Cells a key takes: its key and label with the footer's padding (compact: one space and a margin)."""
    if not key.description:
        return len(key.key_display) + (1 if compact else 2)
    return len(key.key_display) + len(key.description) + (2 if compact else 3)


def _keys_shown(screen: Screen, width: int) -> tuple[object, ...]:
    """What the footer would show for this screen now: its keys, whether each is enabled, the language
    and the width (equal tuples draw the same footer)."""
    return (language(), width, *((b.key, b.description, b.action, enabled, tooltip)
                                 for (_, b, enabled, tooltip) in screen.active_bindings.values() if b.show))


def _fit(own: list[FooterKey], help_key: FooterKey | None, everywhere: list[FooterKey],
         room: int) -> tuple[list[FooterKey], set[FooterKey]]:
    """The compact footer in `room` cells: (the keys shown in order, those shown bare). Every key of the
    screen at least bare ("a p c ^n i"), then in order with its words while they fit; F1 keeps its words
    and says the rest, and the keys that work everywhere (F2–F5, ^q) come last, bare, where there is room
    (F1 lists them too)."""
    left = room - (_width(help_key, True) if help_key else 0)
    bare = list(own)
    while bare and sum(len(k.key_display) + 1 for k in bare) > left:
        bare.pop()
    left -= sum(len(k.key_display) + 1 for k in bare)
    wordless: set[FooterKey] = set()
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


class ArenaFooter(Footer):
    _composed: tuple[object, ...] | None = None

    _refit_due = False

    def bindings_changed(self, screen: Screen) -> None:
        """Textual rebuilds the footer (every key a widget, a new layout of the screen) each time the
        screen says its bindings may have changed: a focus change says so two or three times, and each
        rebuild held up the roll call that had just opened. Rebuilt once, and only when the keys shown
        have changed."""
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen or self._refit_due:
            return
        self._refit_due = True
        # on the footer's own queue, not after the screen's next refresh: a refresh that never comes (the
        # card's keys changed by a write that finished under a closing dialog) left the footer stale for good
        self.call_later(self._refit)

    async def _refit(self) -> None:
        self._refit_due = False
        if self.is_attached and self._composed != _keys_shown(self.screen, self.app.size.width):
            await self.recompose()

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._composed = _keys_shown(self.screen, self.app.size.width)
        items = list(super().compose())
        for item in items:
            if isinstance(item, FooterKey) and item.description:
                item.description = t(item.description)
        for item in items:  # "F1", as the help screen and the README write it (Textual shows "f1")
            if isinstance(item, FooterKey) and item.key_display[:1] == "f" and item.key_display[1:].isdigit():
                item.key_display = item.key_display.upper()
        keys = [w for w in items if isinstance(w, FooterKey) and not w.has_class("-command-palette")]
        palette = [w for w in items if isinstance(w, FooterKey) and w.has_class("-command-palette")]
        if len(keys) != len(items) - len(palette):  # binding groups: not used by Arena, left as Textual makes them
            yield from items
            return
        room = self.app.size.width - sum(_width(p, False) + 2 for p in palette)
        if sum(_width(k, False) for k in keys) <= room:
            self.set_reactive(Footer.compact, False)
            self.set_class(False, "-compact")
            yield from items
            return
        self.set_reactive(Footer.compact, True)
        self.set_class(True, "-compact")
        for key in keys:
            key.compact = True
        help_key = next((k for k in keys if k.key == "f1"), None)
        everywhere = {key for key, active in self.screen.active_bindings.items() if active.node is self.app}
        own = [k for k in keys if k is not help_key and k.key not in everywhere]
        shown, wordless = _fit(own, help_key, [k for k in keys if k is not help_key and k.key in everywhere], room)
        if any(k in wordless for k in own) and any(p.description for p in palette):
            # the palette's words give way before a key of the screen loses its own (F1 says ^p too):
            # "a Aktiviteter u Användare ^q ▏^p", not "a Aktiviteter u ^q ▏^p Kommandon"
            bare_room = self.app.size.width - sum(len(p.key_display) + 3 for p in palette)
            shown, wordless = _fit(own, help_key, [k for k in keys if k is not help_key and k.key in everywhere],
                                   bare_room)
            for p in palette:
                p.description = ""
        for key in wordless:
            key.description = ""
        yield from shown
        yield from palette

    def on_resize(self) -> None:
        width = self.app.size.width
        if self._bindings_ready and self._composed is not None and self._composed[1] != width:
            self._composed = None
            self.call_after_refresh(self.recompose)
