"""The header every screen shows: the command palette's icon, the title and who is working which day.

It looks as Textual's `Header` (the icon at the left, the title centred, cut with "…" when it does not
fit, the room of Textual's clock kept at the right) and is one widget, not four: every screen has one, and
mounting, styling and laying out its icon, title and clock space was a share of every screen's opening.
A click on the icon opens the command palette (its tooltip says so); the rest of the line does nothing
(Textual's header grew to three lines on a click, which nobody here needs). Built from Textual's public
API: `App.format_title`, the title and sub-title of the app and the screen, watched as Textual's header
watches them. Its colours are in screens.css.
"""
from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widget import Widget

from tui.text import t

ICON = "⭘"
ICON_CELLS = 8  # as Textual's HeaderIcon: eight cells, the icon after one of padding
CLOCK_CELLS = 10  # as Textual's HeaderClockSpace: the clock's room, kept empty at the right


class ArenaHeader(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"header--icon-hover"}

    _over_icon = False

    def on_mount(self) -> None:
        for node, name in ((self.app, "title"), (self.app, "sub_title"), (self.screen, "title"),
                           (self.screen, "sub_title")):
            self.watch(node, name, self._retitle, init=False)

    def _retitle(self) -> None:
        self.refresh()

    @property
    def shown_title(self) -> Content:
        """The title as `App.format_title` makes it from the screen's (else the app's) title and sub-title."""
        screen = self.screen
        title = screen.title if screen.title is not None else self.app.title
        sub_title = screen.sub_title if screen.sub_title is not None else self.app.sub_title
        return self.app.format_title(title, sub_title)

    def render(self) -> Content:
        width = self.size.width
        icon = Content(f" {ICON}".ljust(ICON_CELLS)[:width])
        if self._over_icon and self.app.ENABLE_COMMAND_PALETTE:
            icon = icon.stylize(self.get_visual_style("header--icon-hover"))
        room = max(0, width - ICON_CELLS - CLOCK_CELLS)
        title = self.shown_title.truncate(room, ellipsis=True)
        left = (room - title.cell_length) // 2
        return Content.assemble(icon, " " * left, title, " " * (width - ICON_CELLS - left - title.cell_length))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        over = event.x < ICON_CELLS
        if over != self._over_icon:
            self._over_icon = over
            self.tooltip = t("hdr.palette") if over and self.app.ENABLE_COMMAND_PALETTE else None
            self.refresh()

    def on_leave(self) -> None:
        if self._over_icon:
            self._over_icon = False
            self.tooltip = None
            self.refresh()

    async def on_click(self, event: events.Click) -> None:
        if event.x < ICON_CELLS and self.app.ENABLE_COMMAND_PALETTE:
            event.stop()
            await self.run_action("app.command_palette")
