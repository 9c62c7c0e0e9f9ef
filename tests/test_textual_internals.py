"""The few Textual internals Arena still leans on, because Textual 8 offers no public way to do what they
do (each place in `tui` says why). These tests fail as soon as a Textual release changes one of them, so
the change is met here rather than by a user (a crash traceback on screen, a key lost, English words)."""
from __future__ import annotations

import inspect

from textual.app import App
from textual.command import CommandPalette
from textual.message import Message
from textual.message_pump import MessagePump

from tui.app import ArenaApp
from tui.palette import ArenaPalette


def test_an_unhandled_exception_still_goes_through_fatal_error() -> None:
    """tui.app.ArenaApp._fatal_error: the crash's traceback to the log file, one line on screen."""
    assert "self._fatal_error()" in inspect.getsource(App._handle_exception)
    assert inspect.signature(App._fatal_error) == inspect.signature(ArenaApp._fatal_error)
    assert ArenaApp._fatal_error is not App._fatal_error


def test_a_queue_still_shows_what_it_holds() -> None:
    """tui.app.ArenaApp._app_busy reads the app's queue: which messages wait, not only how many."""
    pump = MessagePump()
    message = Message()
    pump._message_queue.put_nowait(message)
    assert list(pump._message_queue.values) == [message] and pump.message_queue_size == 1


def test_the_palettes_no_matches_countdown_is_still_textuals() -> None:
    """tui.palette.ArenaPalette: the same countdown with the catalog's words."""
    source = inspect.getsource(CommandPalette._start_no_matches_countdown)
    assert '"No matches found"' in source and "_NO_MATCHES_COUNTDOWN" in source and "_list_visible" in source
    assert (inspect.signature(CommandPalette._start_no_matches_countdown)
            == inspect.signature(ArenaPalette._start_no_matches_countdown))
    assert isinstance(CommandPalette._NO_MATCHES, str) and callable(CommandPalette._stop_no_matches_countdown)


def test_a_one_shot_timer_is_still_known_by_its_private_fields() -> None:
    """tests.waiting.busy (the suite's wait for a quiet app) asks a screen's timers whether a one-shot
    (a search's debounce) is pending: `_timers`, a timer's `_task`, `_repeat` and `_interval`."""
    from textual.timer import Timer
    from textual.widget import Widget

    widget = Widget()
    assert len(widget._timers) == 0 and hasattr(widget._timers, "add")
    timer = Timer(widget, 0.5, name="probe", repeat=0)
    assert timer._repeat == 0 and timer._interval == 0.5 and timer._task is None
