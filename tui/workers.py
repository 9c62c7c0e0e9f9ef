"""Running store calls off the UI thread.

A read runs in a `@work(thread=True)` worker of the screen (one group per kind of read, exclusive, so a
newer read cancels an older one): `store_call` runs the store function there (a failure is logged and
raised as `StoreFailed`, which `tui.appbase.SaysWorkerFailures` says in one line), `show` hands the result to the UI thread unless
the worker was cancelled meanwhile or its screen has closed (the stale-result guard). `WriteLane`
is the app's single, ordered write queue: key presses enqueue marks in the order they were pressed,
one thread commits them one by one, and each screen shows a mark only when its commit has returned.
The writing thread never waits for the screen: committed results queue up and the UI thread takes all
that have arrived in one go, so a burst of marks costs one redraw per frame, not one per mark.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from textual.dom import DOMNode
from textual.worker import get_current_worker

from store.i18n import ArenaError

from tui.text import t


log = logging.getLogger(__name__)
R = TypeVar("R")


def _describe(error: BaseException) -> str:
    """The line a failed store call shows; the failure is logged (an unexpected one with its traceback)."""
    if isinstance(error, ArenaError):
        log.info("refused: %s", error)
        return str(error)
    log.error("a store call failed", exc_info=error)
    return t("cli.unexpected", detail=f"{type(error).__name__}: {error}")


def _log_refusal(app: Any, error: BaseException) -> None:
    """A refusal by the store is logged (in this worker thread) before it is shown."""
    from store import access, audit  # lazy: SQLAlchemy stays off the PIN prompt's path

    if isinstance(error, access.AccessDenied) and getattr(app, "user", None) is not None:
        audit.refused(app.db, app.login, error)


class StoreFailed(Exception):
    """A store call run off the UI thread failed; the message is the one line to show (already logged)."""


def failure(app: Any, error: BaseException) -> StoreFailed:
    """In the worker thread: log (and audit a refusal of) a failed store call; what to raise instead."""
    _log_refusal(app, error)
    return StoreFailed(_describe(error))


def store_call(app: Any, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """In a thread worker: `fn(*args, **kwargs)`; a failure is logged (a refusal audited) and raised as
    `StoreFailed` with the line to show."""
    try:
        return fn(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 -- logged here, said by SaysWorkerFailures
        raise failure(app, error) from error


def show(node: DOMNode, callback: Callable[..., None], *args: Any) -> None:
    """In a thread worker: `callback(*args)` on the UI thread, unless this worker was cancelled (a newer
    one of its group replaced it) or the node has left the screen meanwhile: a stale result is dropped."""
    worker = get_current_worker()
    if worker.is_cancelled:
        return

    def guarded() -> None:
        if node.is_attached and not worker.is_cancelled:
            callback(*args)

    with contextlib.suppress(RuntimeError):  # the app has closed
        node.app.call_from_thread(guarded)


def _raise(error: BaseException) -> None:
    raise error


@dataclass
class WriteJob:
    fn: Callable[[], Any]
    done: Callable[[Any], None]
    failed: Callable[[str], None]
    # Jobs that may share one transaction with the same kind queued right behind them: (kind, item,
    # run_many) where run_many(items) returns one result or exception per item, all committed together.
    batch: tuple[str, Any, Callable[[list[Any]], list[Any]]] | None = None


class WriteLane:
    """One daemon thread that commits writes strictly in the order they were enqueued."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._jobs: queue.Queue[WriteJob | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="arena-writes", daemon=True)
        self._thread.start()
        # writes submitted and writes done (committed or refused), counted under one condition: a read can
        # wait for every write submitted before it (`wait_for_earlier`)
        self._progress = threading.Condition()
        self._submitted = 0
        self._finished = 0
        self._results: collections.deque[tuple[Callable[[Any], None], Any]] = collections.deque()
        self._flush_posted = threading.Lock()  # held while a flush is on its way to the UI thread
        self._outstanding = 0  # submitted and not yet shown (read and written on the UI thread only)
        self._context: contextvars.Context | None = None  # the UI thread's (its active app), for _flush
        self._loop: asyncio.AbstractEventLoop | None = None  # the UI thread's event loop, for _flush

    def submit(self, fn: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[str], None], *,
               batch: tuple[str, Any, Callable[[list[Any]], list[Any]]] | None = None) -> None:
        """Queue one write. With `batch`, writes of the same kind queued one behind the other (a burst of
        marks typed ahead) are committed in one transaction – one wait for the disk instead of one per
        mark – and each is still shown only once committed; `fn` is then not called."""
        self._outstanding += 1
        if self._loop is None:
            with contextlib.suppress(RuntimeError):  # submitted on the UI thread: its loop and context
                self._loop = asyncio.get_running_loop()
                self._context = contextvars.copy_context()
        with self._progress:
            self._submitted += 1
        self._jobs.put(WriteJob(fn, done, failed, batch))

    def pending(self) -> int:
        return self._jobs.qsize()

    def settled(self) -> bool:
        """On the UI thread: every submitted write has been committed and shown (a burst of marks is over)."""
        return self._outstanding <= 0

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until every write submitted so far, and any submitted meanwhile, is done; False if that took
        longer than `timeout`."""
        with self._progress:
            return self._progress.wait_for(lambda: self._finished >= self._submitted, timeout)

    def wait_for_earlier(self, timeout: float = 10.0) -> int:
        """(In a worker, before a read.) Until every write submitted before now is done, so the read sees
        what the screen has been told is saved or saving; returns how many writes are done by then. A
        read shown later is stale if `finished()` has moved on meanwhile (a write done during the read)."""
        with self._progress:
            upto = self._submitted
            self._progress.wait_for(lambda: self._finished >= upto, timeout)
            return self._finished

    def finished(self) -> int:
        """How many writes are done (committed or refused), as `wait_for_earlier` counts them."""
        with self._progress:
            return self._finished

    def _count_done(self, n: int) -> None:
        with self._progress:
            self._finished += n
            self._progress.notify_all()

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        carried: WriteJob | None = None
        while True:
            job = carried if carried is not None else self._jobs.get()
            carried = None
            if job is None:
                return
            if job.batch is None:
                outcomes = [self._one(job)]
            else:
                group = [job]
                while True:  # every job of the same kind already queued behind it, in order
                    try:
                        following = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if following is None or following.batch is None or following.batch[0] != job.batch[0]:
                        carried = following
                        break
                    group.append(following)
                outcomes = self._many(group)
            # counted done before any result reaches the UI thread: a read shown after a result of a write
            # done during that read always finds `finished()` moved on (`wait_for_earlier`)
            self._count_done(len(outcomes))
            for callback, value in outcomes:
                self._deliver(callback, value)

    def _one(self, job: WriteJob) -> tuple[Callable[[Any], None], Any]:
        """Run one write; its callback and what it is given."""
        try:
            result = job.fn()
        except Exception as error:  # noqa: BLE001
            _log_refusal(self._app, error)
            return job.failed, _describe(error)
        return job.done, result

    def _many(self, group: list[WriteJob]) -> list[tuple[Callable[[Any], None], Any]]:
        """Run a batch in one transaction; each job's callback and what it is given, in order."""
        assert group[0].batch is not None
        try:
            results = group[0].batch[2]([j.batch[1] for j in group if j.batch is not None])
        except Exception as error:  # noqa: BLE001 -- the whole transaction failed: nothing of it was saved
            _log_refusal(self._app, error)
            message = _describe(error)
            return [(job.failed, message) for job in group]
        outcomes: list[tuple[Callable[[Any], None], Any]] = []
        for job, result in zip(group, results):
            if isinstance(result, Exception):
                _log_refusal(self._app, result)
                outcomes.append((job.failed, _describe(result)))
            else:
                outcomes.append((job.done, result))
        return outcomes

    def _deliver(self, callback: Callable[[Any], None], value: Any) -> None:
        """Queue the result for the UI thread without waiting for it (if the app has closed, the write is
        committed all the same)."""
        self._results.append((callback, value))
        if self._flush_posted.acquire(blocking=False):  # else the flush on its way takes this one too
            # Straight onto the UI thread's event loop, returning at once (call_from_thread would wait
            # for the screen). Not through the app's message queue: the key guard waits for that queue
            # to be empty before it delivers the next typed key, so results queued there held up every
            # key of a burst behind a redraw.
            loop = self._loop
            try:
                if loop is None or loop.is_closed():
                    raise RuntimeError("the app has closed")
                loop.call_soon_threadsafe(self._flush, context=self._context.copy() if self._context else None)
            except RuntimeError:
                self._flush_posted.release()  # the write is committed all the same

    def _flush(self) -> None:
        """On the UI thread: show every result that has arrived, in commit order."""
        self._flush_posted.release()
        while self._results:
            callback, value = self._results.popleft()
            self._outstanding -= 1
            if self._app.return_code is not None:  # the app is closing: its screens are going
                continue
            try:
                callback(value)
            except Exception as error:  # noqa: BLE001 -- a bug in a callback reaches the app's handler
                # raised again from the app's own queue, where Textual's handler takes it (the log file,
                # one clear line): this callback runs straight off the event loop, outside Textual
                self._app.call_later(_raise, error)
