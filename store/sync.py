"""Nightly sync through a central file share: immutable, encrypted op files; a deterministic merge.

The share never holds a live database. Each workstation writes only `ops/<workstation-id>/` files named
`<first-seq>-<last-seq>.ops`, each written to a temporary name, fsynced, then renamed, never reused. A
file holds this workstation's change-log entries in that sequence range, compressed and encrypted with
AES-GCM under the programme key; the authenticated header binds workstation id and range, so a file
cannot be swapped, renamed or replayed unnoticed.

What arrives is merged by `store.merge` (a deterministic fold of every op seen for a row); the files'
bytes are `store.sealed`'s; snapshots, from which a new workstation starts, are `store.snapshot`'s.
This module moves files: it proves the share and the key, publishes, pulls, asks for and answers
snapshots, and remembers what the last sync did.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, RowMapping

from store import changes, clock, merge, settings, snapshot
from store.db import Database
from store.i18n import ArenaError, Message, os_reason, t
from store.merge import Summary, applied
from store.sealed import OPS_NAME, BadFile, decode_ops, encode_ops, ops_file_name, open_note, seal_note
from store.share import RETRY_DELAYS, TRANSIENT, Collision, Share, retrying  # noqa: F401 -- also the sync's names

log = logging.getLogger(__name__)
MAX_OPS_PER_FILE = 5000


# ---------------------------------------------------------------------------------------------- share

def is_database_url(spec: str) -> bool:
    return spec.startswith(("postgresql://", "postgres://"))


def open_share(spec: str) -> Share:
    """`postgresql://user@host/db` is a PostgreSQL hub; anything else a directory."""
    if is_database_url(spec):
        from store.pgshare import PgShare

        return PgShare(spec)
    return DirShare(spec)


class DirShare:
    """A directory, local or a mounted SMB share: `ops/<workstation>/<name>` (ops files and snapshots)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        try:
            retrying(lambda: os.listdir(self.root), missing_is_final=False)
        except NotADirectoryError as error:  # a file given where the share's folder belongs
            raise ArenaError("sync.share_not_folder", path=str(root)) from error
        except OSError as error:
            raise ArenaError("sync.share_missing", path=str(root)) from error
        self.ops = self.root / "ops"

    def __str__(self) -> str:
        return str(self.root)

    def close(self) -> None:
        pass  # nothing held open between calls

    def workstations(self) -> list[str]:
        def listing() -> list[str]:
            if not self.ops.is_dir():
                os.listdir(self.root)  # the share itself gone raises here; an empty share lists nothing
                return []
            return sorted(e.name for e in os.scandir(self.ops) if e.is_dir() and not e.name.startswith("."))
        return retrying(listing)

    def files(self, workstation: str, after: int = 0) -> list[str]:
        folder = self.ops / workstation

        def listing() -> list[str]:
            if not folder.is_dir():
                os.listdir(self.root)
                return []
            # a folder named like an ops file is listed too: reading it fails and it is quarantined, never passed over
            return sorted(e.name for e in os.scandir(folder)
                          if not e.name.startswith(".") and (e.is_file() or OPS_NAME.match(e.name)))
        return [n for n in retrying(listing) if not (m := OPS_NAME.match(n)) or int(m[2]) > after]

    def read(self, workstation: str, name: str) -> bytes:
        """The file's bytes; a folder in its place is a damaged file (BadFile), not an unreachable share."""
        try:
            return retrying((self.ops / workstation / name).read_bytes)
        except IsADirectoryError as error:
            raise BadFile("bad.not_a_file") from error

    def write_once(self, workstation: str, name: str, data: bytes) -> None:
        folder = self.ops / workstation
        final = folder / name
        retrying(lambda: folder.mkdir(parents=True, exist_ok=True))
        if retrying(final.exists):
            raise Collision(str(final))
        tmp = folder / f".{name}.{uuid.uuid4().hex}.tmp"
        try:
            write_file(tmp, data)
            try:
                os.link(tmp, final)  # atomic and never replaces: two writers of one name cannot both win
            except FileExistsError as error:
                raise Collision(str(final)) from error
            except OSError:  # no hard links on this share (SMB without unix extensions)
                if final.exists():
                    raise Collision(str(final)) from None
                retrying(lambda: os.rename(tmp, final))
        finally:
            # no .tmp left behind, after a full share or a lost connection too; an SMB mount refuses for a
            # moment to delete a file it has just closed (EBUSY, 8 times in 300 here): retried like any blink
            try:
                retrying(lambda: tmp.unlink(missing_ok=True))
            except OSError:
                pass


def write_file(path: Path, data: bytes) -> None:
    """Write a file whole and flushed to the disk (where the file system offers fsync)."""
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        try:
            os.fsync(out.fileno())
        except OSError:
            pass  # some network file systems do not offer fsync; the rename still publishes whole files


MARKER_FOLDER, MARKER = ".share", "arena-share"  # where the share's marker lives


def _read_marker(share: Share, patient: bool) -> bytes | None:
    """The marker's bytes, or None. `patient`: a marker seen before is looked for again for a few
    seconds (a network mount that blinks can list an empty directory for a moment)."""
    for delay in (*(RETRY_DELAYS if patient else ()), None):
        try:
            return share.read(MARKER_FOLDER, MARKER)
        except FileNotFoundError:
            if delay is None:
                return None
        time.sleep(delay)
    return None


def check_share(db: Database, share: Share, key: bytes) -> str:
    """Prove that this is the programme's share and that the key is right, before anything is read or
    written; return the programme id. The first sync on a share writes its marker (a programme id sealed
    with the key); a database that has seen a marker refuses a share without one (an empty mount point)."""
    with db.read() as conn:
        known = settings.read(conn, "sync.programme")
    try:
        data = _read_marker(share, patient=bool(known))
    except BadFile as error:  # a folder where the marker belongs
        raise ArenaError("sync.marker_damaged", path=_marker_shown(share)) from error
    if data is None:
        if known:  # a file share not mounted; a database hub that is another (or a new, empty) database
            raise ArenaError("sync.hub_empty" if is_database_url(str(share)) else "sync.not_mounted", path=str(share))
        _key_fits_existing_files(share, key)
        try:
            share.write_once(MARKER_FOLDER, MARKER, seal_note(key, {"v": 1, "programme": str(uuid.uuid4())}))
        except FileExistsError:
            pass  # another workstation wrote it first: use theirs
        data = share.read(MARKER_FOLDER, MARKER)
    try:
        programme = str(open_note(key, data)["programme"])
    except BadFile as error:
        raise _marker_refused(share, key, error.reason) from error
    except KeyError as error:  # opened with this key, but not what a marker holds
        raise ArenaError("sync.marker_damaged", path=_marker_shown(share)) from error
    if known and known != programme:
        raise ArenaError("sync.other_programme", path=str(share))
    if not known:
        with db.write("sync") as tx:
            settings.write(tx.conn, "sync.programme", programme)
    return programme


def _marker_shown(share: Share) -> str:
    """Where the marker is, as IT finds it (a path on a file share)."""
    if isinstance(share, DirShare):
        return str(share.ops / MARKER_FOLDER / MARKER)
    return f"{share} ({MARKER_FOLDER}/{MARKER})"


def _marker_refused(share: Share, key: bytes, reason: str) -> ArenaError:
    """Why the marker cannot be opened, told apart: not a marker at all (damaged); a marker this key does
    not open while it opens the share's files (the marker is damaged, the key is right); while it opens none
    of them (the wrong key); or with no file to try the key on (either: the line says how to tell)."""
    if reason != "bad.key":
        return ArenaError("sync.marker_damaged", path=_marker_shown(share))
    fits = _key_fits(share, key)
    if fits:
        return ArenaError("sync.marker_damaged", path=_marker_shown(share))
    if fits is None:
        return ArenaError("sync.wrong_key_or_marker", path=_marker_shown(share))
    return ArenaError("sync.wrong_key", path=str(share))


def _key_fits(share: Share, key: bytes) -> bool | None:
    """Whether the key opens the share's ops files: True when one of them opens, False when none of up to
    eight does, None when there is none to try."""
    tried = 0
    for ws in share.workstations():
        for name in share.files(ws):
            if not OPS_NAME.match(name):
                continue
            try:
                decode_ops(key, share.read(ws, name), ws, name)
                return True
            except BadFile:
                tried += 1
                if tried >= 8:
                    return False
    return False if tried else None


def _key_fits_existing_files(share: Share, key: bytes) -> None:
    """Before a marker is written on a share that already holds files (from a release without markers):
    the key must open at least one of them, or it is the wrong key and writing a marker would lock out
    every workstation that has the right one."""
    if _key_fits(share, key) is False:
        raise ArenaError("sync.wrong_key", path=str(share))

    def close(self) -> None:
        pass


# ------------------------------------------------------------------------------------------------ key

def new_key(path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    if target.exists():
        raise ArenaError("sync.key_exists", path=str(target))
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise ArenaError("sync.key_write", path=str(target), detail=os_reason(error)) from error
    try:
        with os.fdopen(fd, "w") as out:
            out.write(base64.b64encode(os.urandom(32)).decode() + "\n")
            out.flush()
            os.fsync(out.fileno())
    except OSError as error:  # a full disk: no half key file left behind
        target.unlink(missing_ok=True)
        raise ArenaError("sync.key_write", path=str(target), detail=os_reason(error)) from error
    return target


def load_key(path: str | os.PathLike[str]) -> bytes:
    target = Path(path)
    if not target.is_file():
        raise ArenaError("sync.no_key", path=str(target))
    try:
        key = base64.b64decode(target.read_text().strip(), validate=True)
    except (ValueError, OSError) as error:
        raise ArenaError("sync.bad_key", path=str(target)) from error
    if len(key) != 32:
        raise ArenaError("sync.bad_key", path=str(target))
    return key


# A change-log entry as the files carry it, named as the files name it, with its digest and hash link
# (store.tamper checks them where they arrive).
ENTRY_SQL = ("SELECT op_id AS op, workstation_id AS ws, ws_seq AS seq, hlc, tbl, row_id AS row, kind, changes, at, by,"
             " digest, chain FROM change_log")


def _ops_of_file(rows: Iterable[RowMapping]) -> list[dict]:
    return [{**row, "changes": json.loads(row["changes"])} for row in rows]


def publish(db: Database, share: Share, key: bytes, summary: Summary | None = None) -> int:
    """Write this workstation's not yet published change-log entries to the share; return how many.
    First its own folder is read back: files there that this database did not write (it was restored
    from a backup, or copied to a second PC) make it take a new identity (`_fork`). A name that is
    taken is compared: the same ops are an earlier run's, other ops are a copy's, never "already sent"."""
    summary = summary if summary is not None else Summary()
    _reconcile_own_folder(db, share, key, summary)
    sent = 0
    while True:
        me = db.workstation_id
        with db.read() as conn:
            done = int(settings.read(conn, "sync.published") or 0)
            rows = conn.exec_driver_sql(ENTRY_SQL + " WHERE workstation_id = ? AND ws_seq > ? ORDER BY ws_seq LIMIT ?",
                                        (me, done, MAX_OPS_PER_FILE)).mappings().all()
        if not rows:
            return sent
        if [row["seq"] for row in rows] != list(range(done + 1, done + 1 + len(rows))):
            _close_gaps(db, me, done)  # never published, so renumbering them is safe
            continue
        ops = _ops_of_file(rows)
        first, last = ops[0]["seq"], ops[-1]["seq"]
        if len(ops) != last - first + 1 or first != done + 1:  # a file whose count does not match: never
            raise ArenaError("sync.count_mismatch", first=first, last=last, n=len(ops))
        name = ops_file_name(first, last)
        try:
            share.write_once(me, name, encode_ops(key, me, first, last, ops))
        except FileExistsError:
            try:
                _, theirs = decode_ops(key, share.read(me, name), me, name)
            except BadFile as error:
                raise ArenaError("sync.own_file_bad", name=name, reason=error.reason) from error
            if [op["op"] for op in theirs] != [op["op"] for op in ops]:
                _fork(db, share, key, summary)  # a copy of this database published under our name
                continue
            # else: written by an earlier run that was stopped before it could note it
        with db.write("sync") as tx:
            settings.write(tx.conn, "sync.published", str(last))
        sent += len(ops)


def _close_gaps(db: Database, me: str, published: int) -> None:
    """Number this workstation's unpublished entries gaplessly from `published` + 1 (in their order). A
    hole left by an older release (a number taken in a rolled-back savepoint) would otherwise make a file
    whose header promises entries it does not hold, and every other workstation would quarantine it."""
    with db.write("sync") as tx:
        rows = tx.conn.exec_driver_sql("SELECT op_id, ws_seq FROM change_log WHERE workstation_id = ? AND ws_seq > ?"
                                       " ORDER BY ws_seq", (me, published)).all()
        for seq, (op_id, old) in enumerate(rows, published + 1):
            if seq != old:  # ascending and only ever downwards: never collides with the unique index
                tx.conn.exec_driver_sql("UPDATE change_log SET ws_seq = ? WHERE op_id = ?", (seq, op_id))
    log.warning("sync: renumbered %s unpublished change-log entries after %s to close gaps", len(rows), published)


def _own_files(share: Share, me: str, after: int) -> list[tuple[int, int, str]]:
    found = []
    for name in share.files(me, after=after):
        match = OPS_NAME.match(name)
        if match and int(match[2]) > after:
            found.append((int(match[1]), int(match[2]), name))
    return sorted(found)


def _reconcile_own_folder(db: Database, share: Share, key: bytes, summary: Summary) -> None:
    """Our folder past what this database thinks it published: files an earlier, stopped run wrote
    (our own ops: note them as published) or files this database never wrote (fork)."""
    me = db.workstation_id
    with db.read() as conn:
        published = int(settings.read(conn, "sync.published") or 0)
    top = published
    for first, last, name in _own_files(share, me, published):
        try:
            _, ops = decode_ops(key, share.read(me, name), me, name)
        except BadFile as error:
            raise ArenaError("sync.own_file_bad", name=name, reason=error.reason) from error
        with db.read() as conn:
            mine: dict[int, str] = dict(conn.exec_driver_sql(
                "SELECT ws_seq, op_id FROM change_log WHERE workstation_id = ? AND ws_seq BETWEEN ? AND ?",
                (me, first, last)).all())
        if any(mine.get(op["seq"]) != op["op"] for op in ops):
            _fork(db, share, key, summary)
            return
        if first <= top + 1:
            top = max(top, last)
    if top > published:
        with db.write("sync") as tx:
            settings.write(tx.conn, "sync.published", str(top))


def _fork(db: Database, share: Share, key: bytes, summary: Summary) -> None:
    """This database is not the only one writing as this workstation: it was restored from a backup (the
    share holds what it did after the backup) or copied to a second PC (the twin publishes too). Either
    way it takes a new workstation identity: its own entries that are not on the share move to the new
    id (numbered from 1, published from there), and the old id becomes an ordinary peer whose files the
    pull applies from where this database's knowledge of them ends."""
    old = db.workstation_id
    with db.read() as conn:
        published = int(settings.read(conn, "sync.published") or 0)
    on_share: set[str] = set()
    for _, _, name in _own_files(share, old, 0):
        try:
            on_share.update(op["op"] for op in decode_ops(key, share.read(old, name), old, name)[1])
        except BadFile:
            continue
    new = str(uuid.uuid4())
    with db.write("sync") as tx:
        # Entries up to what this database published stay ours under the old id (their files may have been
        # archived off the share); later ones the share does not hold move: they were never published.
        moving = [op_id for op_id, in tx.conn.exec_driver_sql(
            "SELECT op_id FROM change_log WHERE workstation_id = ? AND ws_seq > ? ORDER BY ws_seq",
            (old, published)) if op_id not in on_share]
        chain: str | None = ""  # the moved entries start the new identity's hash chain
        for seq, op_id in enumerate(moving, 1):
            entry_digest = tx.conn.exec_driver_sql("SELECT digest FROM change_log WHERE op_id = ?", (op_id,)).scalar()
            chain = changes.link(chain or "", entry_digest) if entry_digest else None  # after a gap: unjudged
            tx.conn.exec_driver_sql("UPDATE change_log SET workstation_id = ?, ws_seq = ?, chain = ? WHERE op_id = ?",
                                    (new, seq, chain, op_id))
            chain = chain or ""
        name = tx.conn.exec_driver_sql("SELECT name FROM workstation WHERE id = ?", (old,)).scalar() or "arbetsstation"
        tx.conn.exec_driver_sql("UPDATE workstation SET is_local = 0 WHERE id = ?", (old,))
        tx.conn.exec_driver_sql("INSERT INTO workstation (id, name, is_local, created_at) VALUES (?, ?, 1, ?)",
                                (new, name, clock.now().isoformat()))
        merge.advance(tx, old, published, "fork")
        settings.write(tx.conn, "sync.published", "0")
        settings.write(tx.conn, "sync.forked_from", old)
    db.forget_workstation()
    summary.forked = old


def pull(db: Database, share: Share, key: bytes, summary: Summary) -> None:
    """Apply every other workstation's files in sequence, each up to its first gap. A quarantined file
    is read again and applied once it has changed; a later file that overlaps it goes on past it. Files
    are applied a few at a time, up to merge.BATCH_OPS ops in one transaction."""
    me = db.workstation_id
    with db.read() as conn:
        done_by = applied(conn)
        known_bad: dict[str, str | None] = dict(conn.exec_driver_sql("SELECT file, fingerprint FROM quarantine").all())
    summary.stuck = {}
    batch: list[tuple[str, str, list[dict], int]] = []

    def flush() -> None:
        merge.apply_files(db, batch, summary)
        batch.clear()

    for ws in share.workstations():
        if ws == me:
            continue
        done = done_by.get(ws, 0)
        listed = []
        for name in share.files(ws, after=done):
            m = OPS_NAME.match(name)
            if m:
                listed.append((int(m[1]), int(m[2]), name))
        for first, last, name in sorted(listed):
            where = f"{ws}/{name}"
            if last <= done:
                continue
            if first > done + 1:
                break  # a gap: the file in between is not visible yet; wait, never skip
            try:
                data = share.read(ws, name)
            except FileNotFoundError:
                continue  # listed a moment ago, moved since: a gap if nothing else covers it
            except OSError as error:  # the share is unreachable: not the file's fault, try again next sync
                summary.problems.append(f"{where}: {t(os_reason(error))}")
                break
            except BadFile as error:  # not a file at all (a folder by that name): quarantined like a damaged one
                if merge.quarantine(db, where, error.reason, merge.fingerprint(key, b"")):
                    summary.problems.append(f"{where}: {error}")
                continue
            fp = merge.fingerprint(key, data)
            if where in known_bad and known_bad[where] == fp:
                continue  # unchanged since it was found bad
            try:
                _, ops = decode_ops(key, data, ws, name)
            except BadFile as error:
                if merge.quarantine(db, where, error.reason, fp):  # the key: said in the reader's language
                    summary.problems.append(f"{where}: {error}")
                continue
            if where in known_bad:
                merge.release(db, where)  # repaired, copied back, or the right key is in place again
            batch.append((ws, name, [op for op in ops if op["seq"] > done], last))
            done = last
            if sum(len(file[2]) for file in batch) >= merge.BATCH_OPS:
                flush()
        if any(last > done for _, last, _ in listed):
            summary.stuck[ws] = done
    if batch:
        flush()


REQUEST = re.compile(r"^want-([0-9a-f-]{36})-(\d{12})\.req$")


def _ask_for_snapshots(db: Database, share: Share, key: bytes, summary: Summary) -> None:
    """For every peer this workstation cannot get past (a damaged, missing or moved file), leave a
    request in our folder; the owner answers it with a snapshot at its next sync, which fills the gap."""
    me = db.workstation_id
    for ws, done in sorted(summary.stuck.items()):
        try:
            share.write_once(me, f"want-{ws}-{done:012d}.req", seal_note(key, {"v": 1, "from": me, "ws": ws, "after": done}))
        except FileExistsError:
            pass  # asked before; the answer is on its way
        summary.requested.append(ws)


def _requests_for_me(db: Database, share: Share) -> list[str]:
    """Requests addressed to this workstation that it has not answered yet."""
    me = db.workstation_id
    with db.read() as conn:
        answered = set(json.loads(settings.read(conn, "sync.answered") or "[]"))
        done_by = applied(conn)
    found = []
    for ws in share.workstations():
        if ws == me:
            continue
        for name in share.files(ws, after=done_by.get(ws, 0)):  # requests, not the ops files already read
            match = REQUEST.match(name)
            if match and match[1] == me and f"{ws}/{name}" not in answered:
                found.append(f"{ws}/{name}")
    return found


def sync(db: Database, share: Share, key: bytes, *, from_snapshot: bool = True,
         write_snapshot: bool | None = None) -> Summary:
    """Prove the share; publish (after reading our own folder back); a new workstation starts from the
    newest snapshot; apply every other workstation's files; where files are missing (archived, lost,
    quarantined) and a snapshot holds them, read that and go on; retry rows that waited for a parent;
    ask the owners of what is still missing for a snapshot, answer others' requests; publish a snapshot
    when one is due (`write_snapshot=None`), always (True) or never (False). `from_snapshot=False`
    replays every file (tests compare the two). The result is remembered for `status()`."""
    summary = Summary()
    try:
        check_share(db, share, key)
    except ArenaError as error:  # remembered for --status and F5, then said to the caller
        _remember_result(db, summary, error)
        raise
    with db.write("sync") as tx:
        settings.write(tx.conn, "sync.count", str(int(settings.read(tx.conn, "sync.count") or 0) + 1))
    try:
        summary.sent = publish(db, share, key, summary)
        with db.read() as conn:  # snapshots only: not the ops files applied or (our own) published
            marks = {**applied(conn), db.workstation_id: int(settings.read(conn, "sync.published") or 0)}
        snaps = snapshot.listed(share, marks)  # once per sync: one listing of every folder on a slow share is enough
        if from_snapshot and snapshot.is_new(db):
            summary.read_snapshot = snapshot.load_newest(db, share, snaps, key, summary) or ""
        pull(db, share, key, summary)
        if from_snapshot and snapshot.worth_reading(db, snaps):
            read = snapshot.load_newest(db, share, snaps, key, summary)
            if read:
                summary.read_snapshot = read
                pull(db, share, key, summary)
        merge.retry_pending(db, summary)
        requests = _requests_for_me(db, share)
        if write_snapshot or requests or (write_snapshot is None and snapshot.due(db, snaps)):
            summary.snapshot = snapshot.write(db, share, key) or ""
            if requests:
                summary.answered = len(requests)
                with db.write("sync") as tx:
                    done = json.loads(settings.read(tx.conn, "sync.answered") or "[]")
                    settings.write(tx.conn, "sync.answered", json.dumps(sorted(set(done) | set(requests))))
        if summary.stuck:
            _ask_for_snapshots(db, share, key, summary)
        _check_tamper(db, summary)
        with db.read() as conn:  # what is in quarantine now, not only what this sync put there
            summary.quarantined = len(in_quarantine(conn))
    except OSError as error:
        where = error.filename or share  # the file or folder that failed, not only the share
        summary.problems.append(f"{where}: {t(os_reason(error))}")
        log.warning("sync %s: %s could not be used", db.path, where, exc_info=error)  # the traceback, for IT
        _remember_result(db, summary)
        raise
    except ArenaError as error:  # a PostgreSQL hub that failed: said in one sentence, remembered as failed
        summary.problems.append(str(error))
        _remember_result(db, summary)
        raise
    _remember_result(db, summary)
    return summary


def _check_tamper(db: Database, summary: Summary) -> None:
    """Every workstation checks every chain it holds after a sync: a forged event is flagged wherever it arrives."""
    from store import tamper

    with db.write("sync") as tx:
        tamper.check(tx.conn)
        found = tamper.state(tx.conn)
    summary.problems += tamper.describe(tamper.State(found.broken, "", found.log_broken, found.users_restored,
                                                     found.users_restored_at))


# what of a Summary is remembered to say its line again later (in the language of that moment)
REMEMBERED = ("sent", "received", "conflicts", "quarantined", "waiting", "stale", "stuck", "requested", "ahead",
              "forked", "read_snapshot", "from_snapshot", "snapshot", "answered")


def _remember_result(db: Database, summary: Summary, error: ArenaError | None = None) -> None:
    log.log(logging.INFO if summary.ok and not error else logging.WARNING, "sync %s: %s%s", db.path,
            error or summary.line(), "".join(f"\n  {problem}" for problem in summary.problems))
    with db.write("sync") as tx:
        settings.write(tx.conn, "sync.last", json.dumps({
            "at": clock.now().isoformat(), "ok": summary.ok and not error,
            "error": error.message.stored() if error else None,
            "summary": {name: getattr(summary, name) for name in REMEMBERED}, "problem_count": len(summary.problems),
            "stuck": summary.stuck, "problems": summary.problems[:20]}, ensure_ascii=False))


def _last_line(last: dict) -> str:
    """The remembered sync's line in the language of now (a sync remembered by an older release kept its
    line as text)."""
    if last.get("error"):
        return str(Message.from_stored(last["error"]))
    if "summary" in last:
        count = int(last.get("problem_count", 0))
        return Summary(**last["summary"], problems=[""] * count).line()
    return str(last.get("line", ""))


@dataclass(frozen=True)
class Status:
    last_at: str  # "" when this workstation has never synced
    last_line: str
    last_ok: bool
    waiting: int  # rows waiting for a parent
    quarantined: list[str]  # files not applied, with the reason
    pending_own: int  # our own entries not yet on the share

    @property
    def needs_a_person(self) -> bool:
        return not self.last_at or not self.last_ok or bool(self.quarantined)


def in_quarantine(conn: Connection) -> list[tuple[str, str]]:
    """The files in quarantine, (file, reason) each, but those whose content arrived another way (a
    snapshot, a later file): what a sync's count and `--status` both say."""
    done = applied(conn)
    bad = []
    for file, reason in conn.exec_driver_sql("SELECT file, reason FROM quarantine ORDER BY file"):
        m = OPS_NAME.match(file.split("/", 1)[-1])
        if m and int(m[2]) <= done.get(file.split("/", 1)[0], 0):
            continue
        bad.append((file, reason))
    return bad


def status(db: Database) -> Status:
    """What the last sync did and what waits now, without touching the share."""
    with db.read() as conn:
        last = json.loads(settings.read(conn, "sync.last") or "{}")
        published = int(settings.read(conn, "sync.published") or 0)
        own = conn.exec_driver_sql("SELECT count(*) FROM change_log WHERE workstation_id = ? AND ws_seq > ?",
                                   (db.workstation_id, published)).scalar_one()
        waiting = conn.exec_driver_sql("SELECT count(*) FROM sync_pending").scalar_one()
        bad = [f"{file}: {t(reason)}" for file, reason in in_quarantine(conn)]  # a catalog key (or an older release's words)
    return Status(last.get("at", ""), _last_line(last), bool(last.get("ok", False)), waiting, bad, own)


def remembered(db: Database, key: str) -> str | None:
    with db.read() as conn:
        return settings.read(conn, key)


def remember(db: Database, share: str, key_path: str) -> None:
    """Keep the share and key of the last successful sync, so the TUI's `y` needs no questions."""
    if is_database_url(share):
        from store.pgshare import shown

        share = shown(share)  # never a password in the database: it belongs in ~/.pgpass
    with db.write("sync") as tx:
        settings.write(tx.conn, "sync.share", str(share))
        settings.write(tx.conn, "sync.key", str(key_path))
