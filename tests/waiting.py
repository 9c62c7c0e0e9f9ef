"""Waiting for a condition instead of sleeping: the app going quiet after a key, a value in the database,
a thread blocked where the test wants it. Every wait has a timeout that fails the test with what it was
still waiting for, so a slow machine makes a test slower, never wrong, and a hang is reported, not
sat out."""
from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

TIMEOUT = 30.0  # seconds: far beyond any honest wait on a loaded 2-core machine; only a hang reaches it
_WORKERS_PY = ("tui/workers.py", "tui\\workers.py")


def wait_until(condition: Callable[[], object], what: str, timeout: float = TIMEOUT, step: float = 0.005) -> object:
    """Poll `condition` until it returns something true (and return that); fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        time.sleep(step)


async def wait_until_async(condition: Callable[[], object], what: str, timeout: float = TIMEOUT,
                           step: float = 0.005) -> object:
    """`wait_until` for the event loop: sleeps with asyncio so the app keeps running meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        await asyncio.sleep(step)


def next_millisecond() -> None:
    """Return once the wall clock has moved to a later millisecond, so the next write gets a later HLC
    stamp than the previous one (what a test of 'the later write wins' needs)."""
    start = int(time.time() * 1000)
    wait_until(lambda: int(time.time() * 1000) > start, "the clock to reach the next millisecond", step=0.0005)


def ended_within(pid: int, timeout: float, step: float = 0.002) -> bool:
    """Wait up to `timeout` seconds for process `pid` to end (gone, or a zombie its parent has not yet
    reaped); whether it did. A test that kills a child at a random moment waits for that moment this
    way, so a child that finished early is not waited for."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                ended = stat.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            ended = True
        if ended:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(step, max(0.0, deadline - time.monotonic())))


def thread_is_in(thread: threading.Thread, filename_end: str, function: str) -> bool:
    """Whether `thread` is currently running (or blocked) inside `function` of a file ending `filename_end`."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == function and code.co_filename.endswith(filename_end):
            return True
        frame = frame.f_back
    return False


def _asking(app) -> bool:  # noqa: ANN001
    """The screen on top is a dialog (or another screen pushed on top, such as the PIN prompt a flow
    asks), mounted and waiting for the person."""
    from tui.dialogs import Dialog

    screen = app.screen
    pushed = isinstance(screen, Dialog) or len(app.screen_stack) > 1
    return pushed and screen.is_mounted and not getattr(app, "opening", False)


def _store_calls_running() -> int:
    """Threads inside a `store_call` (a cancelled worker's thread runs on until its store call returns)."""
    running = 0
    for frame in sys._current_frames().values():
        while frame is not None:
            if frame.f_code.co_name == "store_call" and frame.f_code.co_filename.endswith(_WORKERS_PY):
                running += 1
                break
            frame = frame.f_back
    return running


def busy(app) -> list[str]:  # noqa: ANN001
    """What the app is still doing: keys typed but not yet delivered or handled, a screen opening, writes
    queued or committing, workers running, store calls in threads, short one-shot timers (a search's
    debounce) pending on a screen. Empty when it is quiet."""
    from textual.worker import WorkerState

    from tui.dialogs import FLOW_GROUP

    doing: list[str] = []
    lane = getattr(app, "write_lane", None)
    if lane is not None and (not lane.wait_idle(0) or not getattr(lane, "settled", lambda: True)()):
        doing.append("writes not yet committed and shown")
    typed = getattr(app, "_typed", None)  # the app's own key queue: each key waits there for its screen
    if typed is not None and (typed.qsize() or not getattr(typed, "_getters", True)):
        doing.append("typed keys not yet delivered")
    if getattr(app, "_released", None):
        doing.append("delivered keys not yet handled")
    if getattr(app, "opening", 0):
        doing.append("a screen opening")
    asking = _asking(app)  # a dialog flow waiting for the person on its dialog is not busy
    workers = [w.name or repr(w) for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)
               and not (asking and w.group == FLOW_GROUP)]
    if workers:
        doing.append("workers " + ", ".join(workers))
    if _store_calls_running():
        doing.append("a store call in a thread")
    for screen in app.screen_stack:
        # Textual keeps a node's timers and a timer's task, repeat and interval privately (no public way to
        # ask "is a one-shot timer pending?"): read them straight, so a renamed attribute fails every wait
        # loudly instead of making it wait for nothing (tests/test_textual_internals.py watches them too)
        for timer in list(screen._timers):
            task = timer._task
            if timer._repeat == 0 and timer._interval <= 1.0 and task is not None and not task.done():
                doing.append(f"timer {timer.name} on {type(screen).__name__}")
    return doing


def render_when_the_test_ends() -> None:
    """(Installed by tests/conftest.py.) A headless app renders no frame as it goes: the lines that changed
    pile up as Textual's own dirty regions, and the app's screen is drawn once, by Textual's own code, when
    the test is done with it (the end of `run_test`'s block, the app still running): a widget that fails to
    draw there fails the test with its exception. Drawing every state a test waited for was a quarter of a
    Pilot test's CPU, and each screen's first drawing most of it. The drawing itself is checked where a test
    looks at it: the snapshots, `language_walk.screen_text` on every screen and dialog in both languages,
    the 80x24 tests, the lines of a table. An app with a terminal (none in the tests) renders every frame."""
    from textual.app import App
    from textual.screen import Screen

    assert hasattr(Screen, "_compositor_refresh"), \
        "textual's screens no longer render through Screen._compositor_refresh: revisit tests/waiting.py"
    if getattr(Screen._compositor_refresh, "deferred", False):
        return
    draw = Screen._compositor_refresh

    def compositor_refresh(self: Screen) -> None:
        app = self.app
        if app.is_headless and not app.is_inline and self is app.screen:
            self._dirty_widgets.clear()  # (their regions stay in the compositor's dirty regions)
            app._update_mouse_over(self)
            return
        draw(self)

    compositor_refresh.deferred = True  # type: ignore[attr-defined]
    compositor_refresh.draw = draw  # type: ignore[attr-defined]
    Screen._compositor_refresh = compositor_refresh  # type: ignore[method-assign]

    run_test = App.run_test

    @contextlib.asynccontextmanager
    async def drawn_at_the_end(self: App, *args: object, **kwargs: object):  # noqa: ANN202
        async with run_test(self, *args, **kwargs) as pilot:  # type: ignore[arg-type]
            yield pilot
            if self.is_running and not getattr(self, "_exit", False):
                await pilot.pause()
                render_now(self)  # (a failure to draw ends the app; run_test raises it as it closes)

    App.run_test = drawn_at_the_end  # type: ignore[assignment, method-assign]


def render_now(app) -> None:  # noqa: ANN001
    """Render what changed on the app's screen since it was last rendered (see `render_when_the_test_ends`)."""
    from textual.screen import Screen

    screen = app.screen
    if screen.is_current and not app._batch_count:
        getattr(Screen._compositor_refresh, "draw", Screen._compositor_refresh)(screen)


async def until_quiet(pilot, app, timeout: float = TIMEOUT, step: float = 0.005) -> None:  # noqa: ANN001
    """Wait until every queued message is handled and `busy(app)` is empty twice in a row (an answer that
    arrives may start the next read or open a screen); fail the test with what was still busy."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 2:
        if getattr(app, "_exit", False) or not app.is_running:
            return
        await pilot.pause()
        doing = busy(app)
        if doing:
            quiet = 0
            if time.monotonic() > deadline:
                pytest.fail(f"the app was still busy after {timeout:.0f} s: {'; '.join(doing)}")
            await asyncio.sleep(step)  # (a poll of the condition, as wait_until's)
        else:
            quiet += 1


async def eventually(pilot, check: Callable[[], Awaitable[object] | object], what: str,  # noqa: ANN001
                     timeout: float = TIMEOUT) -> None:
    """Press nothing; let the app run until `check()` is true, failing with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        await pilot.pause()


class ForkServer:
    """tests/fork_server.py as a context manager: `start()` forks a child running a call and returns its
    pid; `lines()` reads what the children print until the current one has ended."""

    def __init__(self, *preload: str, env: dict[str, str] | None = None) -> None:
        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen([sys.executable, str(root / "tests" / "fork_server.py"), *preload],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
                                        env={**(env or os.environ), "PYTHONPATH": str(root)}, cwd=root)
        self.status: int | None = None

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _send(self, call: str, args: tuple, fork: bool) -> None:
        import json

        self.process.stdin.write(json.dumps({"call": call, "args": list(args), "fork": fork}) + "\n")
        self.process.stdin.flush()

    def run_here(self, call: str, *args: object) -> None:
        """Run `call` in the server itself (a warm-up), and wait for it."""
        self._send(call, args, fork=False)
        assert list(self.lines()) == [] and self.status == 0, f"the warm-up {call} failed"

    def start(self, call: str, *args: object) -> int:
        self._send(call, args, fork=True)
        started = self.process.stdout.readline()
        assert started.startswith("child "), f"the fork server said {started!r} (its stderr is above)"
        self.status = None
        return int(started.split()[1])

    def lines(self):  # noqa: ANN201
        """The lines the current child prints, until it has ended (then `status` is its wait status)."""
        for line in self.process.stdout:
            if line.startswith("end "):
                self.status = int(line.split()[1])
                return
            yield line
        raise AssertionError("the fork server ended")

    def readable(self, timeout: float) -> bool:
        import select

        return bool(select.select([self.process.stdout], [], [], timeout)[0])


class Notice:
    """One notification the app showed: its text and severity."""

    def __init__(self, message: object, severity: str) -> None:
        self.message = str(message)
        self.severity = severity

    def __repr__(self) -> str:
        return f"Notice({self.message!r}, {self.severity!r})"


def record_notices(app) -> list[Notice]:  # noqa: ANN001
    """Every notification `app` shows from now on, kept after its toast has timed out: Textual drops an
    expired toast from its own list, so a test that looks a few seconds late on a loaded machine would
    miss a message that was shown. Wraps the public `App.notify` (screens and widgets notify through it);
    the list is also `app.notices`."""
    notices: list[Notice] = []
    notify = app.notify

    def keep(message: object, *args: object, **kwargs: object):  # noqa: ANN202
        notices.append(Notice(message, str(kwargs.get("severity", "information"))))
        return notify(message, *args, **kwargs)

    app.notify = keep
    app.notices = notices
    return notices
