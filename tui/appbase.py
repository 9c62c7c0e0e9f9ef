"""What every screen, widget and dialog may ask of the running app, typed: the database, who is acting,
the ordered write lane, the role's rights, holding keys while a screen opens or reads its first rows,
opening a case; and the messages the app posts when a sync has ended (`Synced`) and when the change
log's tamper check after start has ended (`LogChecked`). A worker that fails is
reported here, in one place (`say_failure`, `SaysWorkerFailures`): logged with its traceback, said in
one line.

`tui.app.ArenaApp` implements it; screens and widgets declare `app: AppBase` and so depend on this small
module instead of on the app (which imports them: that would be a cycle)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

from textual import events, on
from textual.app import App
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.text import t
from tui.workers import StoreFailed, WriteLane

if TYPE_CHECKING:  # (SQLAlchemy and store.sync stay off the PIN prompt's path: tests/test_startup.py)
    from store.attendance import AbsenceCode
    from store.db import Database
    from store.staff import Caseworker
    from store.sync import Summary

log = logging.getLogger(__name__)


class KeyHold:
    """Keys typed since `AppBase.hold_keys` wait, however long, until this is called (they go on to the
    screen on top: what they were typed for is shown) or `drop` is (what they were typed for failed: they
    are dropped with one line, never delivered to the screen beneath; the failure itself is said by
    `SaysWorkerFailures`). Either may be called more than once, and from a worker thread."""

    def __init__(self, release: Callable[[], None], drop: Callable[[], None]) -> None:
        self._release = release
        self._drop = drop

    @classmethod
    def nothing(cls) -> KeyHold:
        """No keys held."""
        return cls(lambda: None, lambda: None)

    def __call__(self) -> None:
        self._release()

    def drop(self) -> None:
        self._drop()


class AppBase(App[object]):
    db: Database
    login: str  # the OS login until the user is proven, then the user's login
    user: Caseworker | None
    demo: bool
    locked: bool
    write_lane: WriteLane
    absence_codes: list[AbsenceCode]

    def may(self, action: str) -> bool:
        """What the store allows this user's role (it checks again on every call)."""
        raise NotImplementedError

    def refuses(self, action: str) -> bool:
        """A key action this user may not take here (F2, F4 and F5 for an activity leader): the footer
        shows the key dimmed, and pressing it says why."""
        return False

    def hold_keys(self, *, until_released: bool = True, owner: DOMNode | None = None) -> KeyHold:
        """Keys typed from now wait until the returned hold is released or dropped, however long that takes
        (a slow read), or until `owner` has left the screen (a worker cancelled before it ran)."""
        raise NotImplementedError

    def hold_until_started(self) -> Callable[[], None]:
        """(The PIN prompt of a start, on Enter.) Keys typed from now wait, however long the start takes,
        for the first screen; the returned release hands them to the prompt instead (a setup code's
        Enter: on to the new PIN)."""
        raise NotImplementedError

    def drop_held_keys(self) -> None:
        """The keys typed since the PIN's Enter are dropped, never typed into anything (a wrong PIN)."""
        raise NotImplementedError

    def keys_waiting(self) -> int:
        """Keys typed but not yet delivered."""
        raise NotImplementedError

    def open_case(self, participant_id: str, name: str) -> None:
        """Open a case card: inside one's caseload at once, otherwise only after a logged reason."""
        raise NotImplementedError

    def first_screen_filled(self) -> None:
        """The first screen shows its data."""
        raise NotImplementedError

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers (they run with exit_on_error=False); a screen's are `SaysWorkerFailures`'."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.say_failure(event.worker.error, event.worker.name)

    def say_failure(self, error: BaseException, where: str) -> None:
        """A worker (`where`) failed: one line on screen; the traceback in the log file. A store call's
        failure (`StoreFailed`) was logged in its thread already; anything else is logged here."""
        if isinstance(error, StoreFailed):
            self.notify(str(error), severity="error", timeout=8)
            return
        log.error("worker %s failed", where, exc_info=error)
        self.notify(t("cli.unexpected", detail=f"{type(error).__name__}: {error}"), severity="error", timeout=8)


class SaysWorkerFailures:
    """Mixed into every screen and widget that runs a worker (`@work`, `run_worker`): its failure is said
    in one line and its traceback logged (`AppBase.say_failure`), whether or not keys wait for it.

    Textual posts a worker's `Worker.StateChanged` to the node that runs it and never bubbles it
    (`bubble=False`), so the app's own handler sees only the app's workers: without this, a screen's read
    that failed said nothing. tests/test_logging.py checks every class in `tui` that runs a worker has it."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None and isinstance(self, DOMNode):
            cast(AppBase, self.app).say_failure(event.worker.error, event.worker.name)


R = TypeVar("R")


class WaitsForFirstRead:
    """Mixed into every screen (`ArenaScreen`) and dialog (`tui.dialogs.Dialog`) that reads what it shows
    in a worker: keys typed right behind the key that opened it act on what that read shows, never on
    an empty table or a form not yet filled in (an Enter lost, an `x` ending nothing, a Ctrl+S saving a
    blank caseworker)."""

    _until_first_shown = KeyHold.nothing()

    def keys_wait_for_first_read(self) -> None:
        """(As it mounts, before its first read.) Keys typed from now wait until `first_read_shown`; the
        hold ends with the screen too."""
        self._until_first_shown = cast(AppBase, cast(DOMNode, self).app).hold_keys(owner=cast(DOMNode, self))

    def first_read_shown(self) -> None:
        """The first read is shown, or failed (said): the keys typed meanwhile go on. (Any thread, any
        number of times.)"""
        self._until_first_shown()


class ArenaScreen(WaitsForFirstRead, Screen[R]):
    """Every full screen of Arena (dialogs are `tui.dialogs.Dialog`). Textual restyles a whole screen each
    time it is resumed, and a new mode's screen is resumed twice as it is first shown, right after its
    mount styled every widget: on "Min dag" about a quarter of the start's work. A screen not suspended
    since it was last styled keeps its styles (each change meanwhile, a class or the focus, restyled what
    it changed as it happened); one that was (another mode shown, a screen pushed over it) is restyled as
    it resumes, as Textual does."""

    _restyle_on_resume = False

    @on(events.ScreenSuspend)
    def _styles_may_age(self) -> None:
        self._restyle_on_resume = True

    @on(events.ScreenResume)
    def _styled_already(self, event: events.ScreenResume) -> None:
        if not self._restyle_on_resume:
            event.refresh_styles = False
        self._restyle_on_resume = False


class LogChecked(Message):
    """Posted to every screen of the stack when the change log's tamper check the start left for after
    the first screen (`store.db.check_log`) has ended: a screen showing tamper evidence reads it again
    (F5's line for administrators)."""


class Synced(Message):
    """Posted to the screen on top when a sync from the app has ended, well or not (`summary` None): a
    screen that shows what a sync changes reads again (`@on(Synced)`)."""

    def __init__(self, summary: Summary | None) -> None:
        super().__init__()
        self.summary = summary
