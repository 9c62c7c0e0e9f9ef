"""The Arena app shell: header with programme, user and date; F-key modes; first-run dialog.

Every screen reads in thread workers (`tui.workers`) and writes through the app's one ordered
`WriteLane`, so the UI never waits on SQLite and marks are committed in the order they were pressed.
Keys are delivered one at a time, each to what was on screen when it was pressed (see key delivery). An
unexpected error closes the app with one line on screen and its traceback in the log file
(`tui.crash`).
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, messages, work
from textual.actions import parse as parse_action
from textual.app import Notify
from textual.binding import Binding
from textual.dom import DOMNode
from textual.message import Message
from textual.widget import Widget

# Only what the first screen (the PIN prompt) needs is imported before it is drawn. SQLAlchemy/sqlmodel
# (store.db and every module using it: staff, attendance, milestones, …), holidays and the screens not
# shown are imported by the start-up worker thread while the PIN is typed, or when first used.
# tests/test_startup.py checks this in a subprocess: keep such imports inside functions.
from store import access, calendar, clock, logs, pins, validate
from store.i18n import ArenaError
from tui.text import language, set_language, t
from tui.appbase import AppBase, KeyHold, LogChecked
from tui.keyhelp import help_keys
from tui.workers import StoreFailed, WriteLane, show, store_call

if TYPE_CHECKING:
    from store import attendance, staff
    from store.db import Database
    from tui.dialogs import DialogFlow
    from tui.screens.lock import LockScreen

log = logging.getLogger(__name__)

# Messages that never change which screen or widget the next key reaches: keys typed ahead (still on
# their way to the key queue), a repaint or new layout asked for, a toast, a table's cursor moved.
# (The table's by name: importing DataTable here would put it on the way to the first screen.)
CLOSE_DIALOG_SHOWN_S = 5.0  # seconds the line "close the dialog first" is shown

_HARMLESS: tuple[type, ...] = (messages.Update, messages.Layout, messages.Prompt, Notify)
_HARMLESS_NAMES = frozenset({"DataTable.RowHighlighted", "DataTable.CellHighlighted"})


class ReleasedKey(events.Key):
    """A key the app's key pump hands to the screen. It remembers whether something stopped it: Textual
    stops a key a widget took (a letter in a field) with the public `Message.stop()`, and offers no public
    way to ask a message whether it was stopped; a stopped key never reaches the app to say so."""

    stopped = False

    def stop(self, stop: bool = True) -> ReleasedKey:
        self.stopped = stop
        super().stop(stop)
        return self


ReleasedKey.handler_name = events.Key.handler_name  # handled as the key it is (`on_key`), not by its class's name


FOCUS_KEYS = ("tab", "shift+tab")  # Textual's focus_next / focus_previous: they follow the layout


def key_goes_ahead(widget: object, key: str) -> bool:
    """The widget says this key neither opens anything nor moves the focus (tui.app: keys typed ahead)."""
    return key in getattr(widget, "KEYS_AHEAD", ())


def stylesheet() -> Path | None:
    """The one stylesheet, screens.css: an installed wheel carries it as the package data of `tui.style`;
    in the repository (a checkout, an editable install) it is the top-level file itself."""
    from importlib.resources import files

    try:
        packaged = files("tui.style").joinpath("screens.css")
        if packaged.is_file():
            return Path(str(packaged))
    except ModuleNotFoundError:
        pass
    beside = Path(__file__).resolve().parent.parent / "screens.css"
    return beside if beside.is_file() else None


STYLESHEET = stylesheet()


def palette_commands() -> type:
    """The command palette's one provider (tui.palette), loaded when the palette opens."""
    from tui.palette import arena_commands

    return arena_commands()


@help_keys("help.global", rank=0)
class ArenaApp(AppBase):
    CSS_PATH = str(STYLESHEET) if STYLESHEET else None
    TITLE = "app.title"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = {palette_commands}
    BINDINGS = [
        Binding("f1", "help", "key.help", id="help"),
        Binding("f2", "switch_mode('search')", "key.search", id="mode_search"),
        Binding("f3", "switch_mode('attendance')", "key.attendance", id="mode_attendance"),
        Binding("f4", "switch_mode('milestones')", "key.milestones", id="mode_milestones"),
        Binding("f5", "switch_mode('overview')", "key.overview", id="mode_overview"),
        # (priority: it locks over a dialog, Help and the palette too, as the idle lock does; it was ignored
        # there without a word, and the PIN typed next went into the dialog's field)
        Binding("ctrl+l", "lock", "key.lock", id="lock", show=False, priority=True),
        Binding("ctrl+q", "quit", "key.quit", id="quit", priority=True),
        Binding("f12", "switch_language", "key.language", id="language", show=False, priority=True),  # (a dialog open: said, not dropped)
        # Textual's own palette binding says "palette" in English; this one speaks the user's language.
        Binding("ctrl+p", "command_palette", "help.palette", show=False, priority=True),
    ]

    def __init__(self, database: Database | Callable[[], Database], login: str, *, claimed: str | None = None,
                 pin: str | None = None, exit_after_ready: bool = False, start_mode: str = "overview",
                 notice: str | None = None) -> None:
        """`database`: an open database, or a function opening it – then it is opened by the start-up
        worker while the PIN prompt is already on screen (`arena` does this). `login` is the OS login;
        `claimed` a user named with --user. The app asks the PIN of the user they resolve to at every
        start; `pin` (scripts and tests) is checked by the store instead of typed. `notice`: a line the command
        line printed before the app took the terminal (the demo set aside), said again on the first screen."""
        super().__init__()
        from tui.crash import ExitConsole

        self.error_console = ExitConsole(self._log_file, lambda: self.login)  # never a traceback on screen
        self.title = t("app.title")
        opener = None if hasattr(database, "engine") else database
        self._open_db: Callable[[], Database] | None = opener
        self.db: Database = None if opener is not None else database  # type: ignore[assignment]
        self.login = login
        self.claimed = claimed
        self._pin = pin
        self._log_check_begun = False
        self.demo = False
        self.user: staff.Caseworker | None = None
        self.exit_after_ready = exit_after_ready
        self.start_mode = start_mode
        self._notice = notice
        self.write_lane = WriteLane(self)
        self.absence_codes: list[attendance.AbsenceCode] = []
        self._early_lock: LockScreen | None = None  # the PIN prompt shown before the database is open (on_mount)
        self._loaded = False  # the start-up worker has imported the store and opened the database
        self.locked = False
        self.idle_seconds = 600.0
        self._last_input = time.monotonic()
        self._typed: asyncio.Queue[tuple[int, events.Key]] | None = None  # (number typed, key)
        self._typed_count = 0  # keys put in _typed so far
        self._dropped_upto = 0  # keys numbered up to this are dropped, never delivered (a wrong PIN)
        self._start_hold: Callable[[], None] | None = None  # the PIN's Enter at a start: keys wait for the first screen
        self._released: set[int] = set()
        # what the app has been sent and has begun to handle (`_app_busy`, `post_message`)
        self._numbers = itertools.count(1)
        self._event_numbers: dict[int, int] = {}  # id(event) -> its number, until the app handles it
        self._weighty_upto = 0  # the number of the last message that may change where a key goes
        self._handled_upto = 0
        self._loop_of_app: asyncio.AbstractEventLoop | None = None
        self._thread_of_app = threading.get_ident()
        self._closing_down = False
        self._key_pump: asyncio.Task | None = None
        self._holding = False
        self._in_flight: events.Key | None = None
        self._landed = False
        # screens being opened after a read: keys wait for them until released (or their owner has gone)
        self._holds: dict[int, DOMNode | None] = {}
        self._unheld: asyncio.Event | None = None  # set while no hold is on
        self._ahead_of: tuple[object, object] | None = None  # (screen, widget) the last key-ahead went to
        self._switching = False  # the language is being switched: the modes' screens are rebuilt
        self._after_switch: list[Callable[[], object]] = []
        self._said_close_dialog = float("-inf")  # when F12 in a dialog last said to close it
        # F12 builds every mode's screen anew: the base screen of each mode left (not shown now) says where
        # it was (`where`: an open roll call, its cursor and undo steps), and its new screen goes on from
        # there when its F key is pressed next (`_places`); any other way to that mode forgets it
        self._mode_bases: dict[str, object] = {}
        self._places: dict[str, object] = {}
        # A PIN given at start (scripts, the start-up benchmark): its scrypt begins now, in a thread, and
        # runs while Textual starts, the first paint is made, the store is imported and the database
        # opened (`pins.prove_ahead` reads the hash straight from the file; `unlock` decides).
        self._ahead: pins.Proof | None = None
        if pin is not None and opener is not None:
            self._ahead = pins.prove_ahead(getattr(opener, "path", None), claimed or login, pin)

    # ------------------------------------------------------------------ key delivery
    # Textual hands each key to whatever has focus the moment the key is taken off the queue. Typed
    # fast, a key would then reach a dialog that is not yet composed (and vanish), or the field a Tab
    # typed just before has not yet left. So every key waits here until everything the previous keys
    # set off has been processed and the screen on top has its focus; a Tab (`FOCUS_KEYS`) also waits
    # until the screen has been laid out again after them (`_refreshed`): Textual orders the focus by
    # where widgets are laid out, so a Tab right after a field was shown (the report dialog's activity,
    # shown when "one activity" is chosen) went past it while it still sat where a hidden widget sits.
    # Then it is delivered as usual.
    #
    # Keys typed ahead (a burst of marks on a roll call) do not wait for the screen: a widget names the
    # keys whose actions neither open anything nor move the focus (`KEYS_AHEAD`). Such a key, right
    # behind one of those keys given to the same widget on the same screen, is handed over at once: the
    # key before it cannot have changed where it goes. Any other key waits as above.
    async def _pump_keys(self) -> None:
        assert self._typed is not None
        while True:
            number, event = await self._typed.get()
            self._holding = True
            try:
                ahead = self._goes_ahead(event.key)
                if not ahead:
                    await self._settled()
                    if event.key in FOCUS_KEYS and await self._refreshed() and not self._ready_now():
                        await self._settled()  # what the refresh set off (a resize, a focus) first
                if number <= self._dropped_upto:
                    continue  # typed after a PIN that proved wrong: typed into nothing
                released = ReleasedKey(event.key, event.character)
                released.set_sender(self)
                self._released.add(id(released))
                screen = self.screen
                focused = screen.focused
                self._ahead_of = (screen, focused) if key_goes_ahead(focused, event.key) else None
                if ahead:
                    self.post_message(released)  # behind the keys before it, in the app's own queue
                    continue
                self._in_flight, self._landed = released, False
                self.post_message(released)
                await self._delivered(released)
            finally:
                self._holding = False
                self._in_flight = None

    def _goes_ahead(self, key: str) -> bool:
        """The key before this one was a key-ahead of the widget that has the focus now, on the screen
        on top now, nothing is being opened, and this key is one of that widget's keys-ahead too."""
        if self._ahead_of is None or self.opening:
            return False
        screen, focused = self._ahead_of
        return screen is self.screen and screen.is_mounted and focused is screen.focused and key_goes_ahead(focused, key)

    async def _barrier(self) -> bool:
        """Wait until the app and every widget of the screen on top have processed what they hold now.
        False if that took too long (a wedged widget must not stop the keyboard)."""
        nodes = [self, *self.screen.walk_children(with_self=True)]
        pending = 0
        drained = asyncio.Event()

        def one_done() -> None:
            nonlocal pending
            pending -= 1
            if pending == 0:
                drained.set()

        for node in nodes:
            if node.call_later(one_done):
                pending += 1
        if not pending:
            return True
        try:
            await asyncio.wait_for(drained.wait(), timeout=5.0)
        except TimeoutError:
            return False
        return True

    async def _delivered(self, event: ReleasedKey) -> None:
        """Until the key has done what it does: stopped by the widget that took it (a letter in a
        field, `ReleasedKey.stopped`), or handed up to the app and its bindings run (a Tab, a key of the
        screen)."""
        for _ in range(50):  # most keys land within a few turns of the event loop: no barrier needed
            if self._landed or event.stopped:
                return
            await asyncio.sleep(0)
        for _ in range(100):
            if self._landed or event.stopped:
                return
            if not await self._barrier():
                return

    async def _settled(self) -> None:
        """Return once the screen on top is mounted and holds its focus and no screen is being opened
        after a read. A hold (`hold_keys`) is waited for however long its read takes: it always ends, with
        the read shown, dropped as stale, failed, its screen closed, or the app closing. The rest is
        bounded (a wedged widget must not stop the keyboard)."""
        deadline = time.monotonic() + 5.0
        while True:
            if self._held():
                await self._hold_ended()
                deadline = time.monotonic() + 5.0
                continue
            if self._ready_now():
                return
            if time.monotonic() >= deadline:
                return
            before = (self.screen, self.screen.focused)
            if not await self._barrier() and not self._held():
                return
            screen = self.screen
            waiting_focus = screen.focused is None and any(isinstance(w, Widget) and w.focusable
                                                           for w in screen.walk_children())
            # quiet: nothing the previous keys set off (a Submitted on its way to dismiss a dialog) is queued
            busy = self._app_busy() or any(node.message_queue_size for node in screen.walk_children(with_self=True))
            if ((screen, screen.focused) == before and screen.is_mounted and not waiting_focus and not busy
                    and not self.opening):
                return
            if self.opening or waiting_focus:
                await asyncio.sleep(0.005)  # a read in a worker or a focus not yet given: look again shortly

    async def _refreshed(self) -> bool:
        """Until the screen on top has been refreshed (laid out, drawn) after what it holds now: Textual
        runs a screen's `call_after_refresh` callbacks after its next refresh, or at once when nothing
        is to be refreshed. Bounded like the rest (a wedged screen must not stop the keyboard); False if
        nothing was waited for."""
        done = asyncio.Event()
        if not self.screen.call_after_refresh(done.set):
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout=5.0)
        return True

    def _ready_now(self) -> bool:
        """The cheap check first: the screen is built, has its focus, nothing is queued anywhere on it."""
        screen = self.screen
        if not screen.is_mounted or self.opening or self._app_busy():
            return False
        nodes = list(screen.walk_children(with_self=True))
        if screen.focused is None and any(isinstance(w, Widget) and w.focusable for w in nodes):
            return False
        return not any(node.message_queue_size for node in nodes)

    def _app_busy(self) -> bool:
        """The app holds a message that may change what the next key reaches. Keys typed ahead, waiting
        in the app's queue to join `_typed` behind this one, do not: during a burst of marks there is
        nearly always one, and counting it sent every key of the burst through a full barrier.

        Textual says how many messages a node holds (`message_queue_size`), not which; the app keeps its
        own account instead (`post_message`, `on_event`): every message posted to it is numbered, and the
        queue is first in, first out, so one that matters is still waiting until an event posted after
        it has begun to be handled (a barrier's callback is such an event)."""
        return self._weighty_upto > self._handled_upto

    def post_message(self, message: Message) -> bool:
        """Textual's, numbering what the app is sent (`_app_busy`). From another thread the message is
        numbered and queued on the app's own thread, so the numbers follow the queue's order."""
        loop = self._loop_of_app
        if loop is not None and threading.get_ident() != self._thread_of_app:
            if self._closing_down:
                return False
            with contextlib.suppress(RuntimeError):  # the loop has closed: the message goes nowhere
                loop.call_soon_threadsafe(self.post_message, message)
                return True
            return False
        if not super().post_message(message):
            return False
        number = next(self._numbers)
        if isinstance(message, events.Event):
            self._event_numbers[id(message)] = number
        if not self._harmless(message):
            self._weighty_upto = number
        return True

    def _harmless(self, message: object) -> bool:
        if isinstance(message, events.Key):  # typed ahead: neither released by the pump nor handed up
            return not message.is_forwarded and id(message) not in self._released
        return isinstance(message, _HARMLESS) or type(message).__qualname__ in _HARMLESS_NAMES

    def hold_keys(self, *, until_released: bool = True, owner: DOMNode | None = None) -> KeyHold:
        """Keys typed from now wait until the returned hold is released (to the screen on top) or dropped
        (with a line: what they were typed for failed), however long that takes: for a screen that shows
        only after a read in a worker (a case card, a roll call, search results after Enter). Every hold
        has a sure end (the worker's `finally`, the screen's unmount); with `owner`, it also ends when that
        node leaves the screen (its worker cancelled before it ran). No hold ends by the clock: a slow read
        must not let keys through to the screen underneath."""
        del until_released  # (every hold now lasts until released)
        token = object()
        self._holds[id(token)] = owner

        def release() -> None:
            self._holds.pop(id(token), None)
            if self._unheld is not None and not self._holds:
                self._unheld.set()  # (from a worker thread too: the waiter looks again every few ms)
            token  # noqa: B018 -- kept alive so its id is not reused while held

        def drop() -> None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:  # in a worker thread: on the UI thread
                with contextlib.suppress(RuntimeError):  # the app has closed
                    self.call_from_thread(drop)
                return
            if self.keys_waiting():
                self.notify(t("keys.dropped"), severity="warning", timeout=8)
            self.drop_held_keys()
            release()

        if self._unheld is not None:
            self._unheld.clear()
        return KeyHold(release, drop)

    def _held(self) -> bool:
        """A hold is on (one whose owner has left the screen has ended)."""
        for key, owner in list(self._holds.items()):
            if owner is not None and not owner.is_attached:
                del self._holds[key]
        if not self._holds and self._unheld is not None:
            self._unheld.set()
        return bool(self._holds)

    async def _hold_ended(self) -> None:
        """Until no hold is on; looking every few ms (a release may come from a worker thread)."""
        assert self._unheld is not None
        while self._held():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._unheld.wait(), timeout=0.02)

    def hold_until_started(self) -> Callable[[], None]:
        """(The PIN prompt of a start, on Enter.) Keys typed from now wait for the first screen, however
        long the PIN's check, the database's opening and an upgrade take (the prompt says it works): a
        key acts on the screen it was typed for, never on the prompt. `_go` releases them to the first
        screen, `drop_held_keys` drops them (a wrong PIN); the returned release hands them to the prompt
        after all (a setup code's Enter: the keys after it are the new PIN)."""
        self._end_start_hold()
        self._start_hold = self.hold_keys(until_released=True)

        def release() -> None:
            self._end_start_hold()

        return release

    def _end_start_hold(self) -> None:
        release, self._start_hold = self._start_hold, None
        if release is not None:
            release()

    def drop_held_keys(self) -> None:
        """The keys typed and not yet delivered are dropped (a wrong PIN, or nobody's: those typed since its
        Enter): never typed into the prompt or anything else. The start's hold ends."""
        self._dropped_upto = self._typed_count
        self._end_start_hold()

    @property
    def opening(self) -> bool:
        if self._switching:
            return True
        return self._held()

    def keys_waiting(self) -> int:
        """Keys typed but not yet delivered (tests wait for none)."""
        return (self._typed.qsize() if self._typed is not None else 0) + (1 if self._holding else 0)

    # ------------------------------------------------------------------ start-up
    def on_mount(self) -> None:
        self._loop_of_app, self._thread_of_app = asyncio.get_running_loop(), threading.get_ident()
        self._typed = asyncio.Queue()
        self._unheld = asyncio.Event()
        self._unheld.set()
        self._key_pump = asyncio.create_task(self._pump_keys())
        # every failure from now on leaves its traceback beside the database (`arena` set this up already;
        # an app started otherwise – tests, embedding – too)
        where = self.db.path if self.db is not None else getattr(self._open_db, "path", None)
        if where not in (None, ":memory:"):
            logs.ensure(where)
        self._set_subtitle()
        self.set_interval(60, self._set_subtitle)
        self.set_interval(5, self._lock_when_idle)
        if self._pin is None:
            # The PIN prompt first, at once: the database is opened and the user found while it is typed.
            from tui.screens.lock import LockScreen

            from tui.dialogs import run_flow  # lazy: with the PIN prompt, not at import

            self._early_lock = LockScreen(self.claimed or self.login, "", can_cancel=True, starting=True,
                                          identified=False)
            run_flow(self, self._pin_at_start)
        self.call_after_refresh(self._start_loading)  # once the first screen is drawn

    @work(thread=True, group="startup", exclusive=True, exit_on_error=False)
    def _start_loading(self) -> None:
        """The heavy part of starting, in a worker thread: the store's imports, opening the database. A
        failure ends the app with its one line (logged with its traceback by `store_call`)."""
        try:
            found = store_call(self, self._load_startup)
        except StoreFailed as failed:
            show(self, self._fatal, str(failed))
            return
        show(self, self._started, found)

    def _load_startup(self) -> tuple:
        """(In the start-up worker.) Open the database if the app was given a way to; who this start is
        for (identity, not yet proven) and whether a given PIN proves it."""
        ahead, self._ahead = self._ahead, None  # (the scrypt of a PIN given at start, begun in __init__)
        from store import attendance, settings, staff

        if self.db is None and self._open_db is not None:
            from store import dbfile

            said = dbfile.on_upgrade, dbfile.on_migrate
            dbfile.on_upgrade, dbfile.on_migrate = self._upgrading, self._encrypting
            try:
                self.db = self._open_db()
            finally:
                dbfile.on_upgrade, dbfile.on_migrate = said
        refused: str | None = None
        user = None
        try:
            user = staff.by_login(self.db, staff.identify(self.db, self.login, self.claimed))
        except access.AccessDenied as error:
            if error.key != "acc.unmapped":  # an unmapped login picks itself below; a false claim ends here
                refused = str(error)
        # What the first screen needs next – the holidays (the day line, F5's hours) and the start mode's
        # screen module – is imported by a second thread while the PIN is proven: scrypt leaves the
        # interpreter free, so on two cores the imports cost nothing the user waits for.
        warm = threading.Thread(target=self._warm_up, name="arena-warm-up", daemon=True)
        warm.start()
        proven = False
        if user is not None and self._pin is not None:
            try:
                pins.unlock(self.db, user.login, self._pin, ahead=ahead)
                proven = True
            except access.AccessDenied:
                proven = False
        self._pin = None
        warm.join()
        self._loaded = True
        return (user, refused, proven, staff.is_demo(self.db), attendance.absence_codes(self.db),
                settings.threshold(self.db, "lock.idle_minutes"))

    def _upgrading(self, path: str, _found: int, _latest: int) -> None:
        """(In the start-up worker, before the migrations of an older release's database run.) Said on
        screen: on a large programme the upgrade takes a while, and nothing waits without saying so."""
        log.warning("upgrading %s from schema %d to %d", path, _found, _latest)
        self.call_from_thread(self._say_upgrading, t("db.upgrading", path=path))

    def _encrypting(self, path: str, key_file: str) -> None:
        """(In the start-up worker.) A database from before encryption is encrypted in place first: said
        on screen too (the CLI's line on stderr is not seen under the app)."""
        log.warning("encrypting %s in place", path)
        self.call_from_thread(self._say_upgrading, t("db.encrypting", path=path, file=key_file))

    def _say_upgrading(self, line: str) -> None:
        early = self._early_lock
        if early is not None and early.is_mounted:
            early.say(line)
        else:
            self.notify(line, timeout=30)

    def _warm_up(self) -> None:
        """(A thread of the start-up worker.) Import what the first screen will need, off the UI thread."""
        import importlib

        calendar.holiday_name(clock.today())  # (imports the holidays package here, not on the UI thread)
        try:
            importlib.import_module(_SCREENS[self.start_mode][0])
        except Exception:  # noqa: BLE001 -- only a head start: the mode imports it again and says what fails
            log.exception("warming up %s", self.start_mode)

    def _set_title(self) -> None:
        """The programme's name, and on every screen whether this is the demo or a plain test database."""
        title = t("app.title")
        if self.demo:
            title = f"{title} · {t('app.demo')}"
        if not self.db.encrypted:  # made with --no-encryption (a test setup): said on every screen
            title = f"{title} · {t('app.plain')}"
        self.title = title

    def _started(self, result: tuple) -> None:
        from tui.screens.lock import LockScreen

        user, refused, proven, self.demo, self.absence_codes, idle_minutes = result
        self.idle_seconds = idle_minutes * 60.0
        self._set_subtitle()  # now with the day's holiday, if any
        self._set_title()
        if refused:
            self._fatal(refused)
            return
        early, self._early_lock = self._early_lock, None
        if user is None:
            if early is not None and early in self.screen_stack:
                early.abandon()  # not a user here yet: whatever was typed into it is not a PIN of anyone's
            self._first_run()
            return
        if proven:
            self._begin(user)
            return
        if early is not None and early in self.screen_stack:
            self._pending_user = user
            early.identify(user.login, user.name)  # a PIN typed meanwhile is checked now
            return

        from tui.dialogs import DialogFlow, run_flow  # lazy: as the screens' modules

        async def steps(flow: DialogFlow) -> None:  # an unlocked session never survives a restart
            if await flow.ask(LockScreen(user.login, user.name, can_cancel=True, starting=True)):
                self._begin(user)
            else:
                self.exit(return_code=0)

        run_flow(self, steps)

    _pending_user: staff.Caseworker | None = None

    async def _pin_at_start(self, flow: DialogFlow) -> None:
        """The PIN prompt of a start, asked at once (the keys typed before it is on screen wait for it):
        unlocked (True), the user found meanwhile begins; Escape (False) closes Arena; abandoned (None:
        the login is nobody's yet), the first-run questions that `_started` asks go on."""
        assert self._early_lock is not None
        ok = await flow.ask(self._early_lock)
        if ok and self._pending_user is not None:
            self._begin(self._pending_user)
        elif ok is False:
            self.exit(return_code=0)

    def _begin(self, user: staff.Caseworker) -> None:
        self.user, self.login = user, user.login
        self._go()

    def _go(self) -> None:
        self._set_subtitle()
        if not self.may(self.MODE_ACTIONS[self.start_mode]):
            self.start_mode = "attendance"  # the roll call is the leader's part of Arena
        self.switch_mode(self.start_mode)
        if self._notice:  # printed before the app took the terminal: under it, nobody saw it
            self.notify(self._notice, timeout=30)
            self._notice = None
        # the keys typed after the PIN's Enter go to this first screen, once it is shown
        self.call_after_refresh(lambda: self.call_after_refresh(self._end_start_hold))
        if self.start_mode != "overview":  # (F5 says when it shows its data)
            self.call_after_refresh(self.first_screen_filled)

    def first_screen_filled(self) -> None:
        """The first screen shows its data (F5 calls this when "Min dag" is drawn, every time it is):
        `--exit-after-ready` (start-up measurements) exits once that is painted; otherwise the change
        log's check the open left for later (`store.db.check_log`) runs now, after that frame."""
        if self.exit_after_ready:
            self.call_after_refresh(self.exit)
        elif self.db is not None and self.db.log_unchecked and not self._log_check_begun:
            self._log_check_begun = True
            self.call_after_refresh(self._check_log)

    @work(thread=True, group="log-check", exit_on_error=False)
    def _check_log(self) -> None:
        """(A worker thread, once the first screen is drawn.) Tamper evidence in the change log since the
        last check (store.tamper); what it finds is kept for F5 and `arena sync --status`."""
        from store import db

        store_call(self, db.check_log, self.db)
        show(self, self._log_checked)

    def _log_checked(self) -> None:
        for screen in self.screen_stack:
            screen.post_message(LogChecked())

    # ------------------------------------------------------------------ roles and locking
    MODE_ACTIONS = {"overview": access.CASE_READ, "search": access.CASE_READ, "milestones": access.CASE_READ,
                    "attendance": access.ATTENDANCE}

    def may(self, action: str) -> bool:
        """What the store allows this user's role (it checks again on every call)."""
        return self.user is not None and access.may(self.user.role, action)

    def switch_mode(self, mode: str):  # noqa: ANN201 -- Textual's AwaitMount
        """(Textual's.) Reached another way than its F key (Enter on a session in "Min dag", the start), a
        mode's screen shows what that asked for: where F12 found it before is forgotten."""
        self._places.pop(mode, None)
        return super().switch_mode(mode)

    def refuses(self, action: str) -> bool:
        _, name, params = parse_action(action)
        mode = params[0] if name == "switch_mode" and params else None
        return self.user is not None and mode in self.MODE_ACTIONS and not self.may(self.MODE_ACTIONS[mode])

    async def action_switch_mode(self, mode: str) -> None:
        if self._switching:  # the modes are being rebuilt in the other language: go there right after
            self._after_switch.append(lambda: self.action_switch_mode(mode))
            return
        if not self.may(self.MODE_ACTIONS[mode]):
            role = self.user.role if self.user else ""
            self.notify(t("acc.mode_denied", role=t(f"role.{role}") if role else "?"), severity="warning")
            return
        release = self.hold_keys()  # keys typed next go to the new mode's screen once it is shown
        try:
            if self.screen_stack and mode != self.current_mode:
                self._mode_bases[self.current_mode] = self.screen_stack[0]
            place = self._places.pop(mode, None)
            if place is None:
                self.switch_mode(mode)
            else:  # built anew by F12 while another mode was shown: on from where it was, before the keys
                await self.switch_mode(mode)
                if hasattr(self.screen, "go_on_from"):
                    self.screen.go_on_from(place)
        finally:  # (its screen's own holds, taken as it mounts, keep them for its reads)
            self.call_after_refresh(lambda: self.call_after_refresh(release))
        if mode == "search":
            self._to_search_field()

    def _to_search_field(self) -> None:
        """F2 always lands in the search field: a case card (or dialog) left open on top of the search
        closes first, so letters typed next can never reach the card's keys."""
        from tui.screens.search import SearchScreen

        while len(self.screen_stack) > 1 and not isinstance(self.screen, SearchScreen):
            self.pop_screen()
        if isinstance(self.screen, SearchScreen) and self.screen.is_mounted:
            self.screen.action_focus_search()  # (a new search screen focuses its field when it mounts)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.locked and action != "quit":
            return False  # nothing but the lock screen (and quitting) while locked
        return super().check_action(action, parameters)

    async def on_event(self, event: events.Event) -> None:
        number = self._event_numbers.pop(id(event), 0)
        if number > self._handled_upto:
            self._handled_upto = number  # and everything posted before it (`_app_busy`)
        if isinstance(event, (events.Key, events.MouseDown)):
            self._last_input = time.monotonic()
        if isinstance(event, events.Key):
            if event.is_forwarded:
                await super().on_event(event)  # a key handed up to the app: its bindings run here
                if event is self._in_flight:
                    self._landed = True
                return
            if id(event) in self._released:
                self._released.discard(id(event))
                await super().on_event(event)
                if not event.is_forwarded:
                    self._landed = True  # a priority binding took it
                return
            if self._typed is not None:
                if event.key == "ctrl+q" and self._holds:
                    self.drop_held_keys()  # quitting while keys are held (a PIN, a slow read): now, not after
                    await super().on_event(event)
                    return
                self._typed_count += 1
                self._typed.put_nowait((self._typed_count, event))  # in order, each once its screen is ready
                return
        await super().on_event(event)

    def _lock_when_idle(self) -> None:
        if not self.locked and self.user is not None and time.monotonic() - self._last_input >= self.idle_seconds:
            self.action_lock()

    def _fatal(self, message: str) -> None:
        self.drop_held_keys()
        self.exit(return_code=2, message=message)

    def _set_subtitle(self) -> None:
        name = self.user.name if self.user else self.login
        # before start-up has imported the holidays (in its worker), the day without the holiday's name
        day = calendar.day_line(clock.today(), holiday=self._loaded)
        self.sub_title = f"{t('app.user', name=name)} · {day}"

    def _first_run(self) -> None:
        """This OS login is not a user yet. On a new database its first user becomes the administrator;
        otherwise one picks oneself from the users and proves it with one's PIN (or chooses one). The
        dialogs are asked in turn by one flow (`tui.dialogs.run_flow`: push_screen_wait in a worker)."""
        from store import staff
        from tui.dialogs import ChoiceDialog, DialogFlow, FormDialog, Saved, run_flow
        from tui.screens.lock import LockScreen

        os_login = self._os_login = self.login

        async def steps(flow: DialogFlow) -> None:
            try:
                cws, joining = await flow.read(lambda: (staff.all_caseworkers(self.db), staff.joining(self.db)))
            except StoreFailed as failed:
                self._fatal(str(failed))
                return
            if not cws and joining:
                self.exit(return_code=2, message=t("init.joining"))
                return
            if not cws:
                made = await flow.ask(FormDialog(t("first.empty", login=self.login), [
                    ("name", t("first.name_placeholder"), "", False), ("login", t("first.login"), self.login, False),
                    ("pin", t("init.ask_pin", n=pins.PIN_MIN).rstrip(": "), "", True),
                    ("pin_again", t("init.ask_pin_again").rstrip(": "), "", True)], check=_first_admin_form,
                    write=self._first_admin))
                if not isinstance(made, Saved):  # cancelled: nobody is made, Arena closes
                    self.exit(return_code=2, message=t("acc.unknown_user", login=self.login))
                    return
                self.user, self.login = made.outcome, made.outcome.login
                self.notify(t("first.created", name=made.outcome.name), timeout=4)
                self._go()
                return
            options = [(c, f"{c.name} ({c.login}, {t('role.' + c.role)})") for c in cws]
            while True:  # a wrong PIN, or Escape at it, asks again who one is
                cw = await flow.ask(ChoiceDialog(t("first.unknown", login=self.login), options))
                if cw is None:
                    self.exit(return_code=2, message=t("acc.unknown_user", login=self.login))
                    return
                if await flow.ask(LockScreen(cw.login, cw.name, can_cancel=True)):
                    break
            self.write_lane.submit(lambda: staff.remember(self.db, os_login, cw.login),
                                   lambda _: None, lambda m: self.notify(m, severity="error"))
            self.user, self.login = cw, cw.login
            self._go()

        run_flow(self, steps)

    def _first_admin(self, form: dict[str, str]) -> staff.Caseworker:
        """(On the write lane.) The first start on an empty database: its first administrator, with a PIN
        (as `arena init`); the OS login is remembered as theirs if they chose another login."""
        from store import staff

        cw = staff.first_admin(self.db, form["login"], form["name"], form["pin"])
        if cw.login != self._os_login:
            staff.remember(self.db, self._os_login, cw.login)
        return cw

    # ------------------------------------------------------------------ actions
    # ------------------------------------------------------------------ command palette
    def get_system_commands(self, screen):  # noqa: ANN001, ANN201
        """Textual's own palette commands, said in the user's language, in the order the palette lists them."""
        from textual.app import SystemCommand

        # F1's help screen, in the user's language (Textual's key panel would show the bindings' catalog keys);
        # first: what Ctrl+P then Enter by reflex does, and harmless
        yield SystemCommand(t("cmd.keys"), t("cmd.keys_show"), self.action_help)
        yield SystemCommand(t("cmd.language"), t("cmd.language_help"), self.action_switch_language)
        yield SystemCommand(t("cmd.theme"), t("cmd.theme_help"), self.action_change_theme)
        yield SystemCommand(t("key.quit"), t("cmd.quit_help"), self.action_quit)  # last: never highlighted first

    async def action_switch_language(self) -> None:
        """Swedish ⇄ English while the app runs (F12 or the palette): the header, the footer and every
        screen say the new language at once. The modes' screens are built anew in it (each reads its data
        again as it is shown); a dialog open on top must be closed first, so nothing typed is lost. Keys
        typed meanwhile wait; a mode key or another F12 is done right after, in order."""
        from textual.screen import ModalScreen, Screen

        if self.user is None or self.locked:
            return
        if self._switching:
            self._after_switch.append(self.action_switch_language)
            return
        if isinstance(self.screen, ModalScreen):
            now = time.monotonic()  # said once while its line is shown, however often F12 is pressed
            if now - self._said_close_dialog > CLOSE_DIALOG_SHOWN_S:
                self.notify(t("app.language_close_dialog"), severity="warning", timeout=CLOSE_DIALOG_SHOWN_S)
            self._said_close_dialog = now
            return
        set_language("en" if language() == "sv" else "sv")
        self._set_title()  # DEMO stays said in the other language too
        self._set_subtitle()
        current = self.current_mode
        # screens opened on top of the mode (a case card) come back, built anew in the new language; the
        # mode's own screen says where it was (an open roll call, a search typed) and its new one goes on
        # from there, before the keys typed meanwhile reach it
        again = [getattr(screen, "again")() for screen in self.screen_stack[1:] if hasattr(screen, "again")]
        base = self.screen_stack[0] if self.screen_stack else None
        where = getattr(base, "where", lambda: None)()
        for mode, left in self._mode_bases.items():  # the other modes' screens, as they were left
            if mode != current and getattr(left, "is_attached", False) and hasattr(left, "where"):
                self._places[mode] = left.where()
        self._mode_bases.clear()
        self._switching = True
        try:
            self.add_mode("language", Screen)
            await self.switch_mode("language")
            for mode in list(self.MODES):
                await self.remove_mode(mode)
                self.add_mode(mode, _lazy_screen(mode))
            await self.switch_mode(current if current in self.MODES else self.start_mode)
            if where is not None and hasattr(self.screen, "go_on_from"):
                self.screen.go_on_from(where)
            for screen in again:
                await self.push_screen(screen)
            await self.remove_mode("language")
        finally:
            self._switching = False
        self.refresh_bindings()
        self.notify(t("app.language_switched"))
        pending, self._after_switch = self._after_switch, []
        for then in pending:
            self.call_later(then)

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette  # lazy: Textual's palette loads when it opens (start-up)

        if self.use_command_palette and not CommandPalette.is_open(self) and not self.locked:
            self.push_screen(CommandPalette(id="--command-palette", placeholder=t("cmd.placeholder")))

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_lock(self) -> None:
        from tui.screens.lock import LockScreen

        if self.locked or self.user is None:
            return
        from tui.dialogs import DialogFlow, run_flow  # lazy: as the screens' modules

        self.locked = True
        assert self.user is not None
        lock = LockScreen(self.login, self.user.name)

        async def steps(flow: DialogFlow) -> None:
            await flow.ask(lock)  # (dismissed only once unlocked)
            self.locked = False
            self._last_input = time.monotonic()

        run_flow(self, steps)

    def open_case(self, participant_id: str, name: str) -> None:
        """Open a case card: inside one's caseload at once, otherwise only after a logged reason. Keys
        typed after Enter wait until the card (or the reason dialog) is on screen."""
        from store import cases
        from tui.dialogs import DialogFlow, run_flow
        from tui.screens.card import CaseCardScreen, reason_dialog

        if self.user is not None and not self.may(access.CASE_READ):  # the store refuses too; say so at once
            self.notify(str(access.refusal(self.user.role, access.CASE_READ)), severity="warning")
            return

        async def steps(flow: DialogFlow) -> None:
            reason: str | None = ""
            if not await flow.read(cases.in_caseload, self.db, self.login, participant_id):
                reason = await flow.ask(reason_dialog(name))
            if reason is not None:
                self.push_screen(CaseCardScreen(await flow.read(cases.open_case, self.db, self.login, participant_id,
                                                                reason)))

        run_flow(self, steps)

    def _log_file(self) -> Path:
        """The log file beside the database (made if need be)."""
        return logs.ensure(self.db.path if self.db is not None else getattr(self._open_db, "path", "arena.db"))

    def on_unmount(self) -> None:
        self._closing_down = True
        if self._key_pump is not None:
            self._key_pump.cancel()
        self.write_lane.close()


def _first_admin_form(form: dict[str, str]) -> dict[str, str]:
    validate.text(form["name"], t("first.name_placeholder"), max_len=120, required=True)
    form["login"] = validate.login(form["login"].strip())
    pins.check_new_pin(form["pin"])
    if form["pin"] != form["pin_again"]:
        raise ArenaError("pin.mismatch")
    return form


_SCREENS = {"overview": ("tui.screens.overview", "OverviewScreen"), "search": ("tui.screens.search", "SearchScreen"),
            "attendance": ("tui.screens.attendance", "AttendanceScreen"),
            "milestones": ("tui.screens.milestones", "MilestonesScreen")}


def _lazy_screen(mode: str):  # noqa: ANN202
    def make():  # noqa: ANN202
        import importlib

        module, name = _SCREENS[mode]
        return getattr(importlib.import_module(module), name)()
    return make


# each screen module is imported when its mode is first shown, not at start-up
ArenaApp.MODES = {mode: _lazy_screen(mode) for mode in _SCREENS}


def database_opener(path: str) -> Callable[[], Database]:
    """How `run` opens the database: in the start-up worker, while the PIN prompt is on screen, the
    change log's tamper check left for after the first screen (`ArenaApp.first_screen_filled`)."""
    def open_database() -> Database:
        from store import db

        return db.open(path, log_later=True)

    open_database.path = path  # type: ignore[attr-defined]  # (where the log file goes before it is open)
    return open_database


def run(path: str, *, login: str, claimed: str | None = None, exit_after_ready: bool = False,
        notice: str | None = None) -> int:
    if not Path(path).exists():
        raise ArenaError("cli.db_missing", path=path)

    app = ArenaApp(database_opener(path), login, claimed=claimed, exit_after_ready=exit_after_ready, notice=notice)
    app.run()
    if app.db is not None:
        app.db.dispose()
    if app.return_code and app.return_code != 0:
        return app.return_code
    return 0

