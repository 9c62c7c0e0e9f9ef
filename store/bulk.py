"""Bulk writes that never block the workstation: a staging file, then short chunks of transactions.

An import first checks every row against the rules on short *read* transactions (no write lock) and
puts the rows that pass in a staging table – a private SQLite file beside the database, owner-only,
removed afterwards – so a file of a million rows neither sits in memory nor holds the write lock while
it is read. Then the staged rows are written in chunks of `CHUNK` rows, one short write transaction
each (every row again through the same rule as a key press, with its change-log entry; the rules'
facts that cannot change within one transaction are read once per transaction, `Tx.once`, and the
change log's clock is written once per chunk, not once per row), committed
without waiting for the disk and synced once at the end, before the import reports. Between chunks
the importer lets any interactive write that is waiting go first (`Database.yield_to_waiters`), and a
chunk ends early when one starts waiting (it waits for a few rows, never for a whole chunk), so a
roll-call mark is saved while the import runs. The importer never checkpoints the WAL on its commits; it
does so itself between chunks (PASSIVE, every CHECKPOINT_EVERY seconds), so the WAL stays short and a
mark's commit seldom finds a long one to copy back into the database file (with SQLite's own
checkpoints, the mark whose commit crossed the threshold paid for the copy and its fsync).

All-or-nothing: nothing is written unless every row passed the check. If a row still fails while being
written (someone changed the person meanwhile), the chunks already written are undone from the
before-values kept in the staging table – through the change log, so nothing recorded is lost – and
the import reports that nothing was imported. A row someone else wrote after the import began (a mark
made in the roll call between two chunks, a change that arrived by sync) is not put back: it would
silently undo their work. It is left as it is and named with its line (`BulkReport.kept`), to be
checked by hand. Which entries are the import's own is known from the change log: the import's (and
its undo's) write transactions took unbroken ranges of its numbers (`Written`).

Never imports textual or rich.
"""
from __future__ import annotations

import bisect
import json
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store import changes, dbfile
from store.db import Database, Tx
from store.db import run as db_run
from store.i18n import ArenaError, Message

CHUNK = 200  # rows per write transaction: a few tens of milliseconds of write lock
CHECK_CHUNK = 2000  # rows per read transaction while checking
BUDGET = 0.1  # seconds a bulk write transaction may hold the write lock
WAITER_EVERY = 4  # rows between two looks for an interactive write waiting for the lock
CHECKPOINT_EVERY = 2.0  # seconds of bulk writing between two checkpoints of the WAL (done by the importer)


STAGING_PREFIX = ".arena-import-"
STALE_AFTER = 10.0  # seconds: a staging file younger than this may be one whose import is just starting


def _hold(fd: int) -> int:
    """Keep the staging file's descriptor open with an exclusive lock for the import's life: a killed
    import's lock goes with its process, so its file is known to be stale (on Windows an open file cannot
    be removed at all, which protects it the same way)."""
    try:
        import fcntl
    except ImportError:
        return fd
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def remove_stale(folder: Path) -> list[Path]:
    """Remove the staging files of imports that were killed (kill -9, a power cut): only those no live
    process holds (`_hold`) and not created in the last seconds. Returns what was removed."""
    removed: list[Path] = []
    try:
        candidates = list(folder.glob(STAGING_PREFIX + "*.db"))
    except OSError:
        return removed
    for path in candidates:
        try:
            if time.time() - path.stat().st_mtime < STALE_AFTER:
                continue
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            try:
                import fcntl
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except ImportError:
                pass
            except OSError:
                continue  # a live import holds it
            path.unlink()
            for side in ("-journal", "-wal", "-shm"):
                Path(str(path) + side).unlink(missing_ok=True)
            removed.append(path)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


@dataclass
class BulkReport:
    imported: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, Message]] = field(default_factory=list)  # line, reason
    undone: bool = False  # all-or-nothing: written chunks were undone after a late refusal
    kept: list[tuple[int, Message]] = field(default_factory=list)  # line: written by someone else since, left as is


class Written:
    """The change-log entries an import wrote itself. Each of its write transactions (the undo's too) took
    an unbroken range of the log's local numbers – nobody else writes inside one. A row's write, made in
    the import's transaction number k, may be put back only if every entry about the row from that
    transaction on is the import's own (`untouched`): a mark made in the roll call between two chunks, or
    a change synced in, after the import wrote the row is someone else's work."""

    def __init__(self) -> None:
        self.ranges: list[tuple[int, int]] = []
        self._first = 0
        self._open = False  # inside one of the import's transactions: its entries so far are its own

    @staticmethod
    def _last(tx: Tx) -> int:
        return db_run(tx.conn, "SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]

    def begin(self, tx: Tx) -> None:
        """At the start of one of the import's write transactions."""
        self._first = self._last(tx) + 1
        self._open = True

    def end(self, tx: Tx) -> int:
        """At its end, before the commit (a transaction rolled back leaves no range); returns its number."""
        last = self._last(tx)
        if last >= self._first:
            self.ranges.append((self._first, last))
        self._open = False
        return len(self.ranges) - 1

    def _own(self, seq: int) -> bool:
        if self._open and seq >= self._first:
            return True
        at = bisect.bisect_right(self.ranges, (seq, float("inf"))) - 1
        return at >= 0 and self.ranges[at][0] <= seq <= self.ranges[at][1]

    def untouched(self, tx: Tx, table: str, row_id: str, since: int) -> bool:
        """Nobody but the import (and its undo) has written this row from the import's transaction
        number `since` on."""
        return all(self._own(seq) for (seq,) in db_run(
            tx.conn, "SELECT seq FROM change_log WHERE tbl = ? AND row_id = ? AND seq >= ?",
            (table, row_id, self.ranges[since][0])))


class Staging:
    """Rows that passed the check (line, payload) and, while writing, the before-values to undo."""

    def __init__(self, db: Database) -> None:
        folder = None if db.path == ":memory:" else str(Path(db.path).resolve().parent)
        if folder is not None:
            remove_stale(Path(folder))
        fd, name = tempfile.mkstemp(prefix=STAGING_PREFIX, suffix=".db", dir=folder)  # 0600
        self._held = _hold(fd)  # while this import lives, the next one leaves its staging file alone
        self.path = Path(name)
        # the rows staged are personal data: encrypted like the database they are going into
        self.conn = dbfile.connect(name, key=dbfile.load_key(db.path) if db.encrypted else None)
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("CREATE TABLE staged (n INTEGER PRIMARY KEY, line INTEGER NOT NULL, payload TEXT NOT NULL,"
                          " key TEXT)")
        self.conn.execute("CREATE TABLE applied (n INTEGER PRIMARY KEY, undo TEXT NOT NULL)")
        self.count = 0

    def add(self, rows: list[tuple[int, Any]], key: Callable[[Any], str] | None = None) -> None:
        self.conn.executemany("INSERT INTO staged (line, payload, key) VALUES (?, ?, ?)",
                              [(line, json.dumps(payload), key(payload) if key else None) for line, payload in rows])
        self.count += len(rows)

    def clashes(self) -> list[tuple[int, list[int]]]:
        """Rows staged under one key with different payloads (one mark on two rows that disagree), taken
        out of the staging table: (line, the other lines) for each. Rows that agree stay (the second
        changes nothing). Found in the staging file, not in memory: a file of a million rows may have them."""
        self.conn.execute("CREATE INDEX IF NOT EXISTS staged_key ON staged (key, payload)")
        keys = [k for (k,) in self.conn.execute(
            "SELECT key FROM staged WHERE key IS NOT NULL GROUP BY key HAVING count(DISTINCT payload) > 1")]
        found: list[tuple[int, list[int]]] = []
        for k in keys:
            lines = [line for (line,) in self.conn.execute("SELECT line FROM staged WHERE key = ? ORDER BY line", (k,))]
            found.extend((line, [other for other in lines if other != line]) for line in lines)
            self.conn.execute("DELETE FROM staged WHERE key = ?", (k,))
        self.count -= len(found)
        return found

    def chunks(self, size: int) -> Iterator[list[tuple[int, Any]]]:
        last = 0
        while True:
            rows = self.conn.execute("SELECT n, line, payload FROM staged WHERE n > ? ORDER BY n LIMIT ?",
                                     (last, size)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [(line, json.loads(payload)) for _, line, payload in rows]

    def remember(self, undo: list[tuple[int, int, Any]]) -> None:
        """(line, the import's transaction number, undo value) of rows written."""
        self.conn.executemany("INSERT INTO applied (undo) VALUES (?)", [(json.dumps(u),) for u in undo])

    def undo_chunks(self, size: int) -> Iterator[list[tuple[int, int, Any]]]:
        """What `remember` kept, newest first, so a row written twice ends at its oldest before-value."""
        last = None
        while True:
            rows = self.conn.execute(
                "SELECT n, undo FROM applied" + (" WHERE n < ?" if last is not None else "") + " ORDER BY n DESC LIMIT ?",
                ((last, size) if last is not None else (size,))).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [tuple(json.loads(u)) for _, u in rows]

    def close(self) -> None:
        self.conn.close()
        self.path.unlink(missing_ok=True)
        os.close(self._held)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run(db: Database, login: str, rows: Iterable[tuple[int, Any]], *,
        check: Callable[[Tx, Any], Any], write: Callable[[Tx, Any], tuple[bool, Any]],
        undo: Callable[[Tx, Any, Untouched], bool], all_or_nothing: bool = False,
        rejected: list[tuple[int, Message]] | None = None,
        prepare: Callable[[Tx, list[Any]], None] | None = None,
        progress: Callable[[str, int, int], None] | None = None,
        same: tuple[Callable[[Any], str], str] | None = None) -> BulkReport:
    """Check every row (`check(tx, row)` on a read transaction returns the payload to stage or raises
    ArenaError), then write the staged payloads in chunks (`write(tx, payload)` returns (changed, undo
    value)); `undo(tx, value, untouched)` puts a row back and returns True, or leaves it and returns False
when `untouched(table, row_id)` says someone else has written that row since the import wrote it. `rejected` collects rows the caller refused before the
    check while `rows` was read (complete once `rows` is exhausted). `prepare(tx, payloads)`, if given,
    reads at the start of each write transaction what `write` will need of those rows, in a few queries
    instead of some per row (kept in `tx.memo`, which `write` reads; `tx.bulk` is set in the checking and
    the writing transactions). `progress(stage, done, total)` is told after every batch checked ("check",
    rows read, 0) and every chunk written ("write", rows written, rows staged). `same` = (the key of a
    payload, a message key): rows with one key whose payloads differ are all refused before anything is
    written, each naming the others' lines (`lines`, `count`) – written in turn, the last would win
    unsaid, and the same file imported again would write the row back and forth."""
    report = BulkReport()
    with Staging(db) as staging, _CtrlC() as ctrl_c:
        written: Written | None = None
        try:
            batch: list[tuple[int, Any]] = []
            source = iter(rows)
            exhausted = False
            while not exhausted:
                with db.read() as conn:
                    reader = Tx(conn, login, db.workstation_id, bulk=True)
                    for line, row in source:
                        ctrl_c.check()
                        try:
                            batch.append((line, check(reader, row)))
                        except ArenaError as error:
                            report.rejected.append((line, error.message))
                        if len(batch) >= CHECK_CHUNK:
                            break
                    else:
                        exhausted = True
                staging.add(batch, same[0] if same else None)
                batch.clear()
                if progress is not None:
                    progress("check", staging.count + len(report.rejected), 0)
            report.rejected.extend(rejected or [])
            if same is not None:
                report.rejected.extend((line, Message(same[1], {"lines": ", ".join(map(str, others[:10])),
                                                                "count": len(others)}))
                                       for line, others in staging.clashes())
            report.rejected.sort(key=lambda refused: refused[0])
            if all_or_nothing and report.rejected:
                return report
            refused_checking = len(report.rejected)  # not among the staged rows the writing counts up to
            checkpointed = time.monotonic()
            written = Written() if all_or_nothing else None
            for chunk in staging.chunks(CHUNK):
                while chunk:
                    ctrl_c.check()
                    db.yield_to_waiters()
                    if time.monotonic() - checkpointed > CHECKPOINT_EVERY:
                        db.checkpoint()
                        checkpointed = time.monotonic()
                    done: list[Any] = []
                    try:
                        with db.write(login, bulk=True, checkpoints_itself=True) as tx:
                            if written is not None:
                                written.begin(tx)
                            used = _write_chunk(tx, chunk, write, all_or_nothing, report, done, counts := [0, 0],
                                                db.waiting, prepare)
                            if written is not None:
                                number = written.end(tx)
                                done = [(line, number, value) for line, value in done]
                    except _Abort as abort:
                        report.rejected.append(abort.failed)
                        assert written is not None
                        _undo(db, login, staging, undo, written, report)
                        return report
                    chunk = chunk[used:]
                    report.imported += counts[0]
                    report.unchanged += counts[1]
                    if all_or_nothing:
                        staging.remember(done)
                    if progress is not None:
                        progress("write", report.imported + report.unchanged + len(report.rejected) - refused_checking,
                                 staging.count)
            db.make_durable()
        except KeyboardInterrupt:  # Ctrl+C: what was written is said; all-or-nothing puts it back first
            if written is not None and written.ranges:
                _undo(db, login, staging, undo, written, report)
            db.make_durable()
            report.rejected.sort(key=lambda refused: refused[0])
            raise Interrupted(report) from None
    report.rejected.sort(key=lambda refused: refused[0])
    return report


class _CtrlC:
    """Ctrl+C during an import is taken between two rows or two chunks (`check`), never inside a write
    transaction or between a chunk's commit and the note of what it wrote (all-or-nothing must find every
    written row to put it back); a second Ctrl+C while that is done waits for it too. Only in the main
    thread, where Python delivers signals; elsewhere the usual KeyboardInterrupt applies."""

    def __init__(self) -> None:
        self.asked = False
        self._previous: Any = None

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._ask)
        return self

    def _ask(self, *_: object) -> None:
        self.asked = True

    def check(self) -> None:
        if self.asked:
            self.asked = False
            raise KeyboardInterrupt

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class Interrupted(KeyboardInterrupt):
    """An import stopped by Ctrl+C: `report` says what it had written (nothing, under all-or-nothing, once
    the written chunks are put back)."""

    def __init__(self, report: BulkReport) -> None:
        super().__init__()
        self.report = report


class _Abort(Exception):
    def __init__(self, failed: tuple[int, Message]) -> None:
        super().__init__(failed)
        self.failed = failed


def _write_chunk(tx: Tx, chunk: list[tuple[int, Any]], write: Callable[[Tx, Any], tuple[bool, Any]],
                 all_or_nothing: bool, report: BulkReport, done: list[Any], counts: list[int],
                 waiting: Callable[[], bool], prepare: Callable[[Tx, list[Any]], None] | None = None) -> int:
    """Write rows of `chunk` until it ends, the transaction has held the lock for BUDGET seconds (on a
    slow disk fewer rows go in one transaction) or an interactive write is waiting for the lock (it
    waits for a few rows, not for the chunk); return how many.

    The rows go in under one savepoint: `prepare(tx, payloads)` first reads what the rules need of the
    chunk's rows in a few queries (kept in `tx.memo`). A row refused under the lock (someone changed the
    person since the check) rolls the savepoint back and the same rows are written again one savepoint
    each, so the refused row leaves no trace and the others stay."""
    started = time.monotonic()
    tx.clock_saved_later = True
    tx.bulk = True
    if prepare is not None:
        prepare(tx, [payload for _, payload in chunk])
    used = 0
    written: list[Any] = []
    changed_rows = 0
    # A savepoint straight to the driver (SQLAlchemy's nested transactions cost more than the rows)
    db_run(tx.conn, "SAVEPOINT bulk_chunk")
    try:
        for line, payload in chunk:
            if used and (time.monotonic() - started > BUDGET or (used % WAITER_EVERY == 0 and waiting())):
                break
            used += 1
            changed, before = write(tx, payload)
            if changed:
                changed_rows += 1
                written.append((line, before))
    except ArenaError as error:
        db_run(tx.conn, "ROLLBACK TO bulk_chunk")
        db_run(tx.conn, "RELEASE bulk_chunk")
        if all_or_nothing:
            raise _Abort((line, error.message)) from None  # leaves the transaction: none of this chunk
        tx.forget()
        return _write_rows(tx, chunk[:used], write, report, done, counts)
    except BaseException:
        db_run(tx.conn, "ROLLBACK TO bulk_chunk")
        db_run(tx.conn, "RELEASE bulk_chunk")
        raise
    db_run(tx.conn, "RELEASE bulk_chunk")
    counts[0] += changed_rows
    counts[1] += used - changed_rows
    done.extend(written)
    changes.save_clock(tx)
    return used


def _write_rows(tx: Tx, rows: list[tuple[int, Any]], write: Callable[[Tx, Any], tuple[bool, Any]],
                report: BulkReport, done: list[Any], counts: list[int]) -> int:
    """The rows of a chunk one savepoint each (after a row of it was refused): a refused row is named and
    leaves no trace, the others are written."""
    for line, payload in rows:
        db_run(tx.conn, "SAVEPOINT bulk_row")
        try:
            changed, before = write(tx, payload)
        except ArenaError as error:
            db_run(tx.conn, "ROLLBACK TO bulk_row")
            db_run(tx.conn, "RELEASE bulk_row")
            tx.forget()
            report.rejected.append((line, error.message))
            continue
        except BaseException:
            db_run(tx.conn, "ROLLBACK TO bulk_row")
            db_run(tx.conn, "RELEASE bulk_row")
            raise
        db_run(tx.conn, "RELEASE bulk_row")
        if changed:
            counts[0] += 1
            done.append((line, before))
        else:
            counts[1] += 1
    changes.save_clock(tx)
    return len(rows)


Untouched = Callable[[str, str], bool]  # (table, row id): nobody else has written it since the import did


def _undo(db: Database, login: str, staging: Staging, undo: Callable[[Tx, Any, Untouched], bool],
          written: Written, report: BulkReport) -> None:
    """Put the written rows back, newest first, in short transactions; a row someone else wrote since the
    import began is left and named (`report.kept`, once a line). The report then says nothing was imported."""
    kept: set[int] = set()
    for chunk in staging.undo_chunks(CHUNK):
        db.yield_to_waiters()
        with db.write(login, bulk=True) as tx:
            written.begin(tx)  # the undo's own entries are the import's: a row written twice goes back twice
            for line, number, value in chunk:
                if not undo(tx, value, lambda table, row_id: written.untouched(tx, table, row_id, number)):
                    kept.add(line)
            written.end(tx)
    db.make_durable()
    report.kept = [(line, Message("imp.kept", {})) for line in sorted(kept)]
    report.imported = report.unchanged = 0
    report.undone = True
