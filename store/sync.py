"""Nightly sync through a central file share: immutable, encrypted op files; a deterministic merge.

The share never holds a live database. Each workstation writes only `ops/<workstation-id>/` files named
`<first-seq>-<last-seq>.ops`, each written to a temporary name, fsynced, then renamed, never reused. A
file holds this workstation's change-log entries in that sequence range, compressed and encrypted with
AES-GCM under the programme key; the authenticated header binds workstation id and range, so a file
cannot be swapped, renamed or replayed unnoticed.

Merging is a fold: every op ever seen for a row (local and remote, kept in `change_log`) is replayed in
hybrid-logical-clock order, so every workstation that has the same ops has the same row, whatever the
order of arrival. Per field the last writer wins; a milestone's status never moves back unless the op
was an explicit correction; a delete loses against an edit it had not seen; overwritten values go to
`conflict`. A row whose parent has not arrived waits in `sync_pending` and is retried every sync.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import struct
import time
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from store import changes, clock, names, retention, settings
from store.db import Database, Tx
from store.i18n import ArenaError, t
from store.share import RETRY_DELAYS, TRANSIENT, Collision, Share, retrying  # noqa: F401 -- also the sync's names

log = logging.getLogger(__name__)
MAGIC = b"ARENA-OPS-1\n"
NAME = re.compile(r"^(\d{12})-(\d{12})\.ops$")
MAX_OPS_PER_FILE = 5000
FUTURE_LIMIT_MS = 24 * 3600 * 1000
# Rows that name a session since schema 10; ops from before name only the activity (whose own session
# has the activity's id).
SESSION_CHILDREN = ("attendance", "session_cancel", "enrolment")
STATUS_RANK = {"planned": 0, "started": 1, "achieved": 2, "cancelled": 3}


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
            return sorted(e.name for e in os.scandir(folder) if not e.name.startswith(".") and e.is_file())
        return [n for n in retrying(listing) if not (m := NAME.match(n)) or int(m[2]) > after]

    def read(self, workstation: str, name: str) -> bytes:
        return retrying((self.ops / workstation / name).read_bytes)

    def write_once(self, workstation: str, name: str, data: bytes) -> None:
        folder = self.ops / workstation
        final = folder / name
        retrying(lambda: folder.mkdir(parents=True, exist_ok=True))
        if retrying(final.exists):
            raise Collision(str(final))
        tmp = folder / f".{name}.{uuid.uuid4().hex}.tmp"
        try:
            _write_file(tmp, data)
            try:
                os.link(tmp, final)  # atomic and never replaces: two writers of one name cannot both win
            except FileExistsError as error:
                raise Collision(str(final)) from error
            except OSError:  # no hard links on this share (SMB without unix extensions)
                if final.exists():
                    raise Collision(str(final)) from None
                os.rename(tmp, final)
        finally:
            try:
                tmp.unlink(missing_ok=True)  # a full share or a lost connection leaves no .tmp behind
            except OSError:
                pass


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        try:
            os.fsync(out.fileno())
        except OSError:
            pass  # some network file systems do not offer fsync; the rename still publishes whole files


# -------------------------------------------------------------------------------------------- marker

MARKER_FOLDER, MARKER = ".share", "arena-share"
MARKER_MAGIC = b"ARENA-SHARE-1\n"


def _seal(key: bytes, payload: dict) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return MARKER_MAGIC + nonce + AESGCM(key).encrypt(nonce, json.dumps(payload).encode(), MARKER_MAGIC)


def _open_marker(key: bytes, data: bytes) -> str:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not data.startswith(MARKER_MAGIC):
        raise BadFile("not an Arena share marker")
    nonce = data[len(MARKER_MAGIC):len(MARKER_MAGIC) + 12]
    try:
        return str(json.loads(AESGCM(key).decrypt(nonce, data[len(MARKER_MAGIC) + 12:], MARKER_MAGIC))["programme"])
    except (InvalidTag, ValueError, KeyError, TypeError) as error:
        raise BadFile("cannot be decrypted with this key") from error


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
    data = _read_marker(share, patient=bool(known))
    if data is None:
        if known:  # a file share not mounted; a database hub that is another (or a new, empty) database
            raise ArenaError("sync.hub_empty" if is_database_url(str(share)) else "sync.not_mounted", path=str(share))
        _key_fits_existing_files(share, key)
        try:
            share.write_once(MARKER_FOLDER, MARKER, _seal(key, {"v": 1, "programme": str(uuid.uuid4())}))
        except FileExistsError:
            pass  # another workstation wrote it first: use theirs
        data = share.read(MARKER_FOLDER, MARKER)
    try:
        programme = _open_marker(key, data)
    except BadFile as error:
        raise ArenaError("sync.wrong_key", path=str(share)) from error
    if known and known != programme:
        raise ArenaError("sync.other_programme", path=str(share))
    if not known:
        with db.write("sync") as tx:
            settings.write(tx.conn, "sync.programme", programme)
    return programme


def _key_fits_existing_files(share: Share, key: bytes) -> None:
    """Before a marker is written on a share that already holds files (from a release without markers):
    the key must open at least one of them, or it is the wrong key and writing a marker would lock out
    every workstation that has the right one."""
    tried = 0
    for ws in share.workstations():
        for name in share.files(ws):
            if not NAME.match(name):
                continue
            tried += 1
            try:
                decode(key, share.read(ws, name), ws, name)
                return
            except BadFile:
                if tried >= 8:
                    break
    if tried:
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
        raise ArenaError("sync.key_write", path=str(target), detail=error.strerror or str(error)) from error
    try:
        with os.fdopen(fd, "w") as out:
            out.write(base64.b64encode(os.urandom(32)).decode() + "\n")
            out.flush()
            os.fsync(out.fileno())
    except OSError as error:  # a full disk: no half key file left behind
        target.unlink(missing_ok=True)
        raise ArenaError("sync.key_write", path=str(target), detail=error.strerror or str(error)) from error
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


# --------------------------------------------------------------------------------------- file format

class BadFile(Exception):
    """A file that must not be applied: damaged, truncated, foreign, renamed or replayed."""


def encode(key: bytes, workstation: str, first: int, last: int, ops: list[dict]) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header = json.dumps({"v": 1, "ws": workstation, "first": first, "last": last, "count": len(ops)},
                        sort_keys=True).encode()
    nonce = os.urandom(12)
    body = zlib.compress(json.dumps(ops, ensure_ascii=False, sort_keys=True).encode(), 6)
    sealed = AESGCM(key).encrypt(nonce, body, MAGIC + header)
    return MAGIC + struct.pack(">I", len(header)) + header + nonce + sealed


def decode(key: bytes, data: bytes, workstation: str, name: str) -> tuple[dict, list[dict]]:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    match = NAME.match(name)
    if not match:
        raise BadFile("name")
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4 + 12 + 16:
        raise BadFile("not an Arena file or truncated")
    (size,) = struct.unpack(">I", data[len(MAGIC):len(MAGIC) + 4])
    start = len(MAGIC) + 4
    header_bytes = data[start:start + size]
    try:
        header = json.loads(header_bytes)
    except ValueError as error:
        raise BadFile("damaged header") from error
    if header.get("ws") != workstation:
        raise BadFile("file belongs to another workstation")
    if (header.get("first"), header.get("last")) != (int(match[1]), int(match[2])):
        raise BadFile("file name does not match its sequence range (renamed or replayed)")
    nonce = data[start + size:start + size + 12]
    try:
        body = AESGCM(key).decrypt(nonce, data[start + size + 12:], MAGIC + header_bytes)
        ops = json.loads(zlib.decompress(body))
    except InvalidTag as error:
        raise BadFile("cannot be decrypted: damaged, or made with another programme key") from error
    except (zlib.error, ValueError) as error:
        raise BadFile("damaged content") from error
    seqs = [op.get("seq") for op in ops]
    if len(ops) != header.get("count") or seqs != list(range(header["first"], header["last"] + 1)) \
            or any(op.get("ws") != workstation for op in ops):
        raise BadFile("content does not match its header")
    return header, ops


# ---------------------------------------------------------------------------------------------- fold

def _fold(table: str, ops: list[tuple]) -> tuple[dict[str, Any] | None, dict[str, tuple]]:
    """Replay (hlc, ws, kind, changes, by) in HLC order; return the row's values (None: deleted) and,
    per field, the op that set the winning value."""
    values: dict[str, Any] = {}
    setter: dict[str, tuple] = {}
    exists = False
    for op in sorted(ops, key=lambda o: changes.hlc_key(o[0])):
        hlc, ws, kind, delta, by = op
        if kind == "delete":
            seen = {f: old for f, (old, _) in delta.items()}
            concurrent_edit = any(f in seen and seen[f] != v for f, v in values.items())
            if exists and not concurrent_edit:
                exists = False  # a tombstone; the values stay so that an unseen later edit can revive the row
            continue
        if not delta:
            continue  # an entry emptied by gallring: it sets nothing
        for f, (old, new) in delta.items():
            if table == "milestone" and f == "status" and f in values:
                correction = STATUS_RANK.get(old, -1) > STATUS_RANK.get(new, -1)
                if not correction and STATUS_RANK.get(new, -1) < STATUS_RANK.get(values[f], -1):
                    continue  # a status never moves back through a merge, only by an explicit correction
            values[f] = new
            setter[f] = op
        exists = True
    if table in SESSION_CHILDREN and values.get("session_id") is None and "activity_id" in values:
        values["session_id"] = values["activity_id"]  # written before sessions existed: the activity's own
    return (values if exists else None), setter


def _ops_of(tx: Tx, table: str, row_id: str) -> list[tuple]:
    """Every op seen for a row, as (hlc, ws, kind, changes, by) for `_fold`."""
    return [(h, ws, k, json.loads(c), by) for h, ws, k, c, by in tx.conn.exec_driver_sql(
        "SELECT hlc, workstation_id, kind, changes, by FROM change_log WHERE tbl = ? AND row_id = ?", (table, row_id))]


def _purged(tx: Tx, participant_id: Any) -> bool:
    """Gallring removed this case (a purge tombstone: a delete that carries no values)."""
    return participant_id is not None and tx.conn.exec_driver_sql(
        "SELECT 1 FROM change_log WHERE tbl = 'participant' AND row_id = ? AND kind = 'delete' AND changes = '{}'",
        (participant_id,)).first() is not None


def _purge_case(tx: Tx, participant_id: str) -> None:
    """A purge arrived: what was added to the case here or elsewhere meanwhile goes too (gallring wins over
    a concurrent edit), with the values in its change-log entries, so no personal data stays anywhere."""
    for table, _ in retention.CHILDREN:
        pk = changes.SYNCED[table]
        for (row_id,) in tx.conn.exec_driver_sql(f"SELECT {pk} FROM {table} WHERE participant_id = ?",
                                                 (participant_id,)).all():
            tx.conn.exec_driver_sql(f"DELETE FROM {table} WHERE {pk} = ?", (row_id,))
            retention.redact(tx.conn, table, row_id)


def _materialize(tx: Tx, table: str, row_id: str, incoming: tuple | None) -> None:
    pk = changes.SYNCED[table]
    state, setter = _fold(table, _ops_of(tx, table, row_id))
    if (table == "participant" and _purged(tx, row_id)) or (
            table != "audit_event" and state is not None and _purged(tx, state.get("participant_id"))):
        # an op on a case gallring removed, concurrent with the purge or later: dropped, its values emptied
        # (the access log keeps its internal ids, as gallring itself does)
        if table == "participant":
            _purge_case(tx, row_id)
        tx.conn.exec_driver_sql(f"DELETE FROM {table} WHERE {pk} = ?", (row_id,))
        retention.redact(tx.conn, table, row_id)
        return
    result = tx.conn.exec_driver_sql(f"SELECT * FROM {table} WHERE {pk} = ?", (row_id,)).mappings().first()
    current = {k: v for k, v in result.items() if k != pk and k not in changes.GENERATED.get(table, ())} \
        if result else None
    if incoming is not None:
        _record_conflicts(tx, table, row_id, incoming, state, setter, current)
    if state is None:
        if current is not None:
            tx.conn.exec_driver_sql(f"DELETE FROM {table} WHERE {pk} = ?", (row_id,))
        return
    if current is None:
        cols = list(state)
        tx.conn.exec_driver_sql(
            f"INSERT INTO {table} ({pk}{''.join(', ' + c for c in cols)}) VALUES (?{', ?' * len(cols)})",
            (row_id, *(state[c] for c in cols)))
    else:
        diff = {c: v for c, v in state.items() if current.get(c) != v}
        if diff:
            tx.conn.exec_driver_sql(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in diff)} WHERE {pk} = ?",
                                    (*diff.values(), row_id))
    if table == "participant":
        names.index_participant(tx.conn, row_id, state.get("first_name", ""), state.get("last_name", ""))


def _record_conflicts(tx: Tx, table: str, row_id: str, incoming: tuple, state: dict | None,
                      setter: dict[str, tuple], current: dict | None) -> None:
    hlc, ws, kind, delta, by = incoming
    if kind != "upsert" or table in ("note", "audit_event"):
        return
    now = clock.now().isoformat()

    def keep(field_: str, kept: Any, lost: Any, lost_hlc: str, lost_by: str, lost_ws: str) -> None:
        tx.conn.exec_driver_sql(
            "INSERT INTO conflict (id, tbl, row_id, field, kept_value, lost_value, lost_hlc, lost_by,"
            " lost_workstation, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (changes.new_id(), table, row_id, field_, json.dumps(kept, ensure_ascii=False),
             json.dumps(lost, ensure_ascii=False), lost_hlc, lost_by, lost_ws, now))

    for f, (old, new) in delta.items():
        if f in ("recorded_at", "updated_at", "created_at", "late"):
            continue
        winner = (state or {}).get(f)
        if state is not None and winner != new:
            win_op = setter.get(f)
            if win_op is not None and changes.hlc_key(win_op[0]) > changes.hlc_key(hlc):
                keep(f, winner, new, hlc, by, ws)  # the incoming value lost to a later one
        elif current is not None and current.get(f) not in (old, new):
            # the incoming value won over a local value it had not seen: keep what was overwritten
            earlier = [r for r in tx.conn.exec_driver_sql(
                "SELECT hlc, by, workstation_id FROM change_log WHERE tbl = ? AND row_id = ? AND changes LIKE ?",
                (table, row_id, f'%"{f}"%')) if changes.hlc_key(r[0]) < changes.hlc_key(hlc)]
            loser_hlc = max(earlier, key=lambda r: changes.hlc_key(r[0]), default=None)
            if loser_hlc:
                keep(f, new, current.get(f), loser_hlc[0], loser_hlc[1], loser_hlc[2])


# --------------------------------------------------------------------------------------------- sync

@dataclass
class Summary:
    sent: int = 0
    received: int = 0
    conflicts: int = 0
    quarantined: int = 0  # files quarantined by this sync
    waiting: int = 0  # rows waiting for a parent
    stale: int = 0  # of those, rows that already waited at an earlier sync
    problems: list[str] = field(default_factory=list)
    stuck: dict[str, int] = field(default_factory=dict)  # peer -> high-water mark it cannot get past
    requested: list[str] = field(default_factory=list)  # peers asked for a snapshot to fill a gap
    ahead: int = 0  # ops stamped more than a day ahead of this workstation's clock (applied)
    forked: str = ""  # the workstation id this database gave up (restored or copied)
    read_snapshot: str = ""  # the snapshot a new or gapped workstation read
    from_snapshot: int = 0  # the change-log entries it brought
    snapshot: str = ""  # the snapshot this sync published
    answered: int = 0  # snapshot requests of others this sync answered

    @property
    def ok(self) -> bool:
        """Everything recorded anywhere that this sync could see is here, and ours is out: nothing waits
        but rows that arrived this very sync ahead of their parent."""
        return not (self.problems or self.stuck or self.stale)

    def line(self) -> str:
        """The one-line report, for the command line and the app alike: "Synk klar" only when nothing is
        stranded; otherwise what waits, why, and what to do."""
        counts = dict(sent=self.sent, received=self.received, conflicts=self.conflicts, quarantined=self.quarantined)
        parts = [t("sync.summary" if self.ok else "sync.incomplete", **counts)]
        parts += [t("sync.forked", old=self.forked[:8])] if self.forked else []
        parts += [t("sync.ahead", n=self.ahead)] if self.ahead else []
        parts += [t("sync.waiting", n=self.waiting)] if self.waiting else []
        if self.stuck:
            parts += [t("sync.stuck", n=len(self.stuck), ws=", ".join(w[:8] for w in sorted(self.stuck)))]
            parts += [t("sync.requested")] if self.requested else []
        parts += [t("sync.read_snapshot", name=self.read_snapshot, n=self.from_snapshot)] if self.read_snapshot else []
        parts += [t("sync.snapshot_written", name=self.snapshot)] if self.snapshot else []
        if self.problems:
            parts += [t("sync.problems_fix", n=len(self.problems))]
        elif self.stale:
            parts += [t("sync.stale_fix", n=self.stale)]
        return " ".join(parts)


def _ops_of_file(rows: list) -> list[dict]:
    return [{"op": r[0], "ws": r[9], "seq": r[1], "hlc": r[2], "tbl": r[3], "row": r[4], "kind": r[5],
             "changes": json.loads(r[6]), "at": r[7], "by": r[8]} for r in rows]


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
            rows = conn.exec_driver_sql(
                "SELECT op_id, ws_seq, hlc, tbl, row_id, kind, changes, at, by, workstation_id FROM change_log"
                " WHERE workstation_id = ? AND ws_seq > ? ORDER BY ws_seq LIMIT ?",
                (me, done, MAX_OPS_PER_FILE)).all()
        if not rows:
            return sent
        if [r[1] for r in rows] != list(range(done + 1, done + 1 + len(rows))):
            _close_gaps(db, me, done)  # never published, so renumbering them is safe
            continue
        ops = _ops_of_file(rows)
        first, last = ops[0]["seq"], ops[-1]["seq"]
        if len(ops) != last - first + 1 or first != done + 1:  # a file whose count does not match: never
            raise ArenaError("sync.count_mismatch", first=first, last=last, n=len(ops))
        name = f"{first:012d}-{last:012d}.ops"
        try:
            share.write_once(me, name, encode(key, me, first, last, ops))
        except FileExistsError:
            try:
                _, theirs = decode(key, share.read(me, name), me, name)
            except BadFile as error:
                raise ArenaError("sync.own_file_bad", name=name, reason=str(error)) from error
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
        match = NAME.match(name)
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
            _, ops = decode(key, share.read(me, name), me, name)
        except BadFile as error:
            raise ArenaError("sync.own_file_bad", name=name, reason=str(error)) from error
        with db.read() as conn:
            mine = dict(conn.exec_driver_sql(
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
            on_share.update(op["op"] for op in decode(key, share.read(old, name), old, name)[1])
        except BadFile:
            continue
    new = str(uuid.uuid4())
    with db.write("sync") as tx:
        # Entries up to what this database published stay ours under the old id (their files may have been
        # archived off the share); later ones the share does not hold move: they were never published.
        moving = [op_id for op_id, in tx.conn.exec_driver_sql(
            "SELECT op_id FROM change_log WHERE workstation_id = ? AND ws_seq > ? ORDER BY ws_seq",
            (old, published)) if op_id not in on_share]
        for seq, op_id in enumerate(moving, 1):
            tx.conn.exec_driver_sql("UPDATE change_log SET workstation_id = ?, ws_seq = ? WHERE op_id = ?",
                                    (new, seq, op_id))
        name = tx.conn.exec_driver_sql("SELECT name FROM workstation WHERE id = ?", (old,)).scalar() or "arbetsstation"
        tx.conn.exec_driver_sql("UPDATE workstation SET is_local = 0 WHERE id = ?", (old,))
        tx.conn.exec_driver_sql("INSERT INTO workstation (id, name, is_local, created_at) VALUES (?, ?, 1, ?)",
                                (new, name, clock.now().isoformat()))
        advance(tx, old, published, "fork")
        settings.write(tx.conn, "sync.published", "0")
        settings.write(tx.conn, "sync.forked_from", old)
    db.forget_workstation()
    summary.forked = old


def applied(conn: Connection) -> dict[str, int]:
    """Each peer's high-water mark: the last sequence number applied from it without a gap."""
    return dict(conn.exec_driver_sql("SELECT workstation_id, applied_seq FROM sync_peer").all())


def quarantined(conn: Connection) -> set[str]:
    return {f for (f,) in conn.exec_driver_sql("SELECT file FROM quarantine")}


def advance(tx: Tx, workstation: str, seq: int, file: str) -> None:
    """Move a peer's high-water mark up to `seq` (never down), noting the file that brought it there."""
    tx.conn.exec_driver_sql(
        "INSERT INTO sync_peer (workstation_id, applied_seq, last_file, last_seen) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(workstation_id) DO UPDATE SET applied_seq = max(applied_seq, excluded.applied_seq),"
        " last_file = excluded.last_file, last_seen = excluded.last_seen", (workstation, seq, file, clock.now().isoformat()))


def fingerprint(key: bytes, data: bytes) -> str:
    """What a quarantined file is judged by: its content and the key it was tried with. When either
    changes (the file was repaired or copied back, the right key is in place) it is tried again."""
    return hashlib.sha256(hashlib.sha256(key).digest() + data).hexdigest()[:32]


def _quarantine(db: Database, file: str, reason: str, fp: str | None = None) -> bool:
    """Note a file that must not be applied; True when it is news (new, or changed and still bad)."""
    with db.write("sync") as tx:
        seen = tx.conn.exec_driver_sql("SELECT fingerprint FROM quarantine WHERE file = ?", (file,)).first()
        if seen is not None and (fp is None or seen[0] == fp):
            return False
        tx.conn.exec_driver_sql(
            "INSERT INTO quarantine (file, reason, detected_at, fingerprint) VALUES (?, ?, ?, ?) ON CONFLICT(file)"
            " DO UPDATE SET reason = excluded.reason, detected_at = excluded.detected_at,"
            " fingerprint = excluded.fingerprint", (file, reason, clock.now().isoformat(), fp))
    return True


def _release(db: Database, file: str) -> None:
    with db.write("sync") as tx:
        tx.conn.exec_driver_sql("DELETE FROM quarantine WHERE file = ?", (file,))


def _apply(db: Database, workstation: str, name: str, ops: list[dict], last: int, summary: Summary) -> None:
    now_ms = int(time.time() * 1000)
    with db.write("sync") as tx:
        before = tx.conn.exec_driver_sql("SELECT count(*) FROM conflict").scalar_one()
        for op in ops:
            if tx.conn.exec_driver_sql("SELECT 1 FROM change_log WHERE op_id = ?", (op["op"],)).first():
                continue
            if op["tbl"] not in changes.SYNCED or op["kind"] not in ("upsert", "delete"):
                summary.quarantined += _quarantine_in(tx, f"{workstation}/{name}#{op['seq']}", "unknown table")
                continue
            if changes.parse_hlc(op["hlc"])[0] > now_ms + FUTURE_LIMIT_MS:
                summary.ahead += 1  # applied all the same: the HLC keeps the order; the clock is reported
            changes.observe(tx, op["hlc"])
            tx.conn.exec_driver_sql(
                "INSERT INTO change_log (op_id, workstation_id, ws_seq, hlc, tbl, row_id, kind, changes, at, by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (op["op"], workstation, op["seq"], op["hlc"], op["tbl"], op["row"], op["kind"],
                 json.dumps(op["changes"], ensure_ascii=False, sort_keys=True), op["at"], op["by"]))
            incoming = (op["hlc"], workstation, op["kind"], op["changes"], op["by"])
            _try_materialize(tx, op["tbl"], op["row"], incoming, op)
            if op["kind"] == "delete" and not op["changes"]:  # gallring elsewhere: purge the history here too
                retention.redact(tx.conn, op["tbl"], op["row"])
            summary.received += 1
        advance(tx, workstation, last, name)
        summary.conflicts += tx.conn.exec_driver_sql("SELECT count(*) FROM conflict").scalar_one() - before


# A value of a UNIQUE column that two workstations may give two different rows before they sync: every
# single-column UNIQUE of a synced table (found in SQLite's own message, so a new one needs no code here).
UNIQUE_FAILED = re.compile(r"UNIQUE constraint failed: (\w+)\.(\w+)$")
SAME_AS = {"participant": "samma nummer som {keeper}", "caseworker": "samma inloggning som {keeper}"}


def _apart(table: str, field_: str, value: Any, loser: str) -> Any:
    """What the row that gives way gets instead: no number (a caseworker adds the right one); otherwise
    its value with the row's id appended (still a valid login or name, so an administrator can keep,
    rename or deactivate it)."""
    if table == "participant" and field_ == "personnummer":
        return None
    if table == "caseworker":
        return f"{str(value)[:55]}.{loser[:8]}"
    return f"{value} ({loser[:8]})"


def _same_value_twice(tx: Tx, table: str, field_: str, row_id: str) -> None:
    """Two workstations gave two rows the same unique value: one identity number to two people, one
    login to two users, one name to two activities. Both rows are kept (nothing recorded is lost); the
    one with the smaller id keeps the value, the other gives it up through a new logged change, so
    every workstation ends the same whatever the order; the pair is listed in `conflict` for review."""
    pk = changes.SYNCED[table]
    ops = _ops_of(tx, table, row_id)
    state, _ = _fold(table, ops)
    value = (state or {}).get(field_)
    other = tx.conn.exec_driver_sql(f"SELECT {pk} FROM {table} WHERE {field_} = ? AND {pk} != ?",
                                    (value, row_id)).scalar()
    if value is None or other is None:
        raise IntegrityError(f"{table}.{field_}", None, Exception(f"{table}.{field_}"))
    keeper, loser = sorted((row_id, other))
    changes.log(tx, table, loser, "upsert", {field_: [value, _apart(table, field_, value, loser)]})
    _materialize(tx, table, loser, None)
    if loser != row_id:
        _materialize(tx, table, row_id, None)
    same = SAME_AS.get(table, "samma {field} som {keeper}").format(keeper=keeper, field=field_)
    tx.conn.exec_driver_sql(
        "INSERT INTO conflict (id, tbl, row_id, field, kept_value, lost_value, lost_hlc, lost_by,"
        " lost_workstation, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'sync', ?, ?)",
        (changes.new_id(), table, loser, field_, json.dumps(same), json.dumps(value, ensure_ascii=False),
         max((op[0] for op in ops), key=changes.hlc_key, default=""), tx.workstation_id, clock.now().isoformat()))


def _quarantine_in(tx: Tx, file: str, reason: str) -> int:
    tx.conn.exec_driver_sql("INSERT OR IGNORE INTO quarantine (file, reason, detected_at) VALUES (?, ?, ?)",
                            (file, reason, clock.now().isoformat()))
    return 1


def _try_materialize(tx: Tx, table: str, row_id: str, incoming: tuple | None, op: dict | None) -> bool:
    savepoint = tx.conn.begin_nested()
    try:
        try:
            _materialize(tx, table, row_id, incoming)
        except IntegrityError as error:
            same = UNIQUE_FAILED.search(str(error.orig))
            if not same or same[1] != table or same[2] == changes.SYNCED[table]:
                raise
            _same_value_twice(tx, table, same[2], row_id)
    except IntegrityError as error:
        savepoint.rollback()
        if op is not None:
            tx.conn.exec_driver_sql(
                "INSERT OR IGNORE INTO sync_pending (op_id, workstation_id, seq, payload, waiting_for, first_sync)"
                " VALUES (?, ?, ?, ?, ?, ?)", (op["op"], op["ws"], op["seq"], json.dumps([table, row_id]),
                                               str(error.orig)[:200], int(settings.read(tx.conn, "sync.count") or 0)))
        return False
    savepoint.commit()
    return True


def _retry_pending(db: Database, summary: Summary) -> None:
    with db.write("sync") as tx:
        for op_id, payload in tx.conn.exec_driver_sql("SELECT op_id, payload FROM sync_pending ORDER BY seq").all():
            table, row_id = json.loads(payload)
            if _try_materialize(tx, table, row_id, None, None):
                tx.conn.exec_driver_sql("DELETE FROM sync_pending WHERE op_id = ?", (op_id,))
        this = int(settings.read(tx.conn, "sync.count") or 0)
        summary.waiting, summary.stale = tx.conn.exec_driver_sql(
            "SELECT count(*), count(*) FILTER (WHERE first_sync < ?) FROM sync_pending", (this,)).one()


def pull(db: Database, share: Share, key: bytes, summary: Summary) -> None:
    """Apply every other workstation's files in sequence, each up to its first gap. A quarantined file
    is read again and applied once it has changed; a later file that overlaps it goes on past it."""
    me = db.workstation_id
    with db.read() as conn:
        done_by = applied(conn)
        known_bad = dict(conn.exec_driver_sql("SELECT file, fingerprint FROM quarantine").all())
    summary.stuck = {}
    for ws in share.workstations():
        if ws == me:
            continue
        done = done_by.get(ws, 0)
        listed = []
        for name in share.files(ws, after=done):
            m = NAME.match(name)
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
                summary.problems.append(f"{where}: {error.strerror or error}")
                break
            fp = fingerprint(key, data)
            if where in known_bad and known_bad[where] == fp:
                continue  # unchanged since it was found bad
            try:
                _, ops = decode(key, data, ws, name)
            except BadFile as error:
                if _quarantine(db, where, str(error), fp):
                    summary.quarantined += 1
                    summary.problems.append(f"{where}: {error}")
                continue
            if where in known_bad:
                _release(db, where)  # repaired, copied back, or the right key is in place again
            _apply(db, ws, name, [op for op in ops if op["seq"] > done], last, summary)
            done = last
        if any(last > done for _, last, _ in listed):
            summary.stuck[ws] = done


REQUEST = re.compile(r"^want-([0-9a-f-]{36})-(\d{12})\.req$")


def _ask_for_snapshots(db: Database, share: Share, key: bytes, summary: Summary) -> None:
    """For every peer this workstation cannot get past (a damaged, missing or moved file), leave a
    request in our folder; the owner answers it with a snapshot at its next sync, which fills the gap."""
    me = db.workstation_id
    for ws, done in sorted(summary.stuck.items()):
        try:
            share.write_once(me, f"want-{ws}-{done:012d}.req", _seal(key, {"v": 1, "from": me, "ws": ws, "after": done}))
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
    from store import snapshot

    summary = Summary()
    try:
        check_share(db, share, key)
    except ArenaError as error:  # remembered for --status and F5, then said to the caller
        _remember_result(db, summary, str(error))
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
        _retry_pending(db, summary)
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
    except OSError as error:
        summary.problems.append(f"{share}: {error.strerror or error}")
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
        broken = tamper.check(tx.conn)
    if broken:
        summary.problems.append(t("tamper.broken", n=len(broken), who=broken[0].user_login, at=broken[0].at[:16]))


def _remember_result(db: Database, summary: Summary, error: str = "") -> None:
    log.log(logging.INFO if summary.ok and not error else logging.WARNING, "sync %s: %s%s", db.path,
            error or summary.line(), "".join(f"\n  {problem}" for problem in summary.problems))
    with db.write("sync") as tx:
        settings.write(tx.conn, "sync.last", json.dumps({
            "at": clock.now().isoformat(), "ok": summary.ok and not error, "line": error or summary.line(),
            "stuck": summary.stuck, "problems": summary.problems[:20]}, ensure_ascii=False))


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


def status(db: Database) -> Status:
    """What the last sync did and what waits now, without touching the share."""
    with db.read() as conn:
        last = json.loads(settings.read(conn, "sync.last") or "{}")
        published = int(settings.read(conn, "sync.published") or 0)
        own = conn.exec_driver_sql("SELECT count(*) FROM change_log WHERE workstation_id = ? AND ws_seq > ?",
                                   (db.workstation_id, published)).scalar_one()
        waiting = conn.exec_driver_sql("SELECT count(*) FROM sync_pending").scalar_one()
        done = applied(conn)
        bad = []
        for file, reason in conn.exec_driver_sql("SELECT file, reason FROM quarantine ORDER BY file"):
            m = NAME.match(file.split("/", 1)[-1])
            if m and int(m[2]) <= done.get(file.split("/", 1)[0], 0):
                continue  # what it held arrived another way (a snapshot, a later file)
            bad.append(f"{file}: {reason}")
    return Status(last.get("at", ""), last.get("line", ""), bool(last.get("ok", False)), waiting, bad, own)


# ------------------------------------------------------------------------------------------ conflicts

@dataclass(frozen=True)
class Conflict:
    id: str
    tbl: str
    row_id: str
    field: str
    kept: Any
    lost: Any
    lost_hlc: str
    lost_by: str
    detected_at: str
    who: str = ""  # the person (or user, or activity) the row belongs to, in words
    day: str = ""  # the date the row is about (a mark's day, a milestone's date), if any
    what: str = ""  # the field in words ("Närvaro", "Telefon")


# How a conflicting row is named: the person (through participant_id), a user, an activity.
_WHO = {
    "participant": "SELECT first_name || ' ' || last_name FROM participant WHERE id = ?",
    "caseworker": "SELECT name FROM caseworker WHERE id = ?",
    "activity": "SELECT name FROM activity WHERE id = ?",
}
_DAY = {"attendance": "date", "session_cancel": "date", "milestone": "coalesce(achieved_date, planned_date)",
        "enrolment": "start_date"}


def _describe(conn: Connection, table: str, row_id: str) -> tuple[str, str]:
    pk = changes.SYNCED.get(table, "id")
    who, day = "", ""
    try:
        cols = {r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({table})")}
        if table in _WHO:
            who = conn.exec_driver_sql(_WHO[table], (row_id,)).scalar() or ""
        elif "participant_id" in cols:
            pid = conn.exec_driver_sql(f"SELECT participant_id FROM {table} WHERE {pk} = ?", (row_id,)).scalar()
            who = conn.exec_driver_sql(_WHO["participant"], (pid,)).scalar() or "" if pid else ""
        if table in _DAY:
            day = conn.exec_driver_sql(f"SELECT {_DAY[table]} FROM {table} WHERE {pk} = ?", (row_id,)).scalar() or ""
    except Exception:  # noqa: BLE001 -- a name is a courtesy; a row gone by gallring has none
        pass
    return who, str(day)


def field_words(table: str, field_: str) -> str:
    """The field in the user's words ("Närvaro" for attendance.status); the column name as a last resort."""
    key = f"field.{table}.{field_}"
    words = t(key)
    if words == key:
        words = t(f"field.{field_}")
        if words == f"field.{field_}":
            return field_.replace("_", " ")
    return words


def conflicts(db: Database, login: str, include_resolved: bool = False) -> list[Conflict]:
    """Overwritten values kept for review (caseworkers and administrators; never an activity leader). For a
    person with protected identity the number, address and phone (kept and lost) are masked here, in the
    store, for everyone but the responsible caseworker and administrators, as in the case's history."""
    from store import access

    with db.read() as conn:
        user = access.require(conn, login, access.CASE_READ)
        rows = conn.exec_driver_sql(
            "SELECT id, tbl, row_id, field, kept_value, lost_value, lost_hlc, lost_by, detected_at FROM conflict"
            + ("" if include_resolved else " WHERE resolved = 0") + " ORDER BY detected_at DESC, id").all()
        found = []
        for r in rows:
            kept, lost = json.loads(r[4]), json.loads(r[5])
            if _hidden_from(conn, user, r[1], r[2], r[3]):
                from store.cases import redact_protected

                kept, lost = redact_protected({r[3]: [kept, lost]})[r[3]]
            found.append(Conflict(r[0], r[1], r[2], r[3], kept, lost, r[6], r[7], r[8],
                                  *_describe(conn, r[1], r[2]), field_words(r[1], r[3])))
        return found


def _hidden_from(conn: Connection, user: Any, table: str, row_id: str, field_: str) -> bool:
    """A protected person's identifying field that this user may not see (access.sees_protected)."""
    from store import access
    from store.cases import PROTECTED_FIELDS

    if table != "participant" or field_ not in PROTECTED_FIELDS:
        return False
    protected = conn.exec_driver_sql("SELECT protected FROM participant WHERE id = ?", (row_id,)).scalar()
    return bool(protected) and not access.sees_protected(conn, user, row_id)


# Fields that are set together: restoring one restores the rest as the overwritten op left them.
_SET_TOGETHER = {"attendance": ("status", "hours", "reason"), "milestone": ("status", "achieved_date", "planned_date")}
_NEVER_RESTORED = {"recorded_at", "updated_at", "created_at", "late"}


def restore_conflict(db: Database, login: str, conflict_id: str) -> None:
    """Put the whole overwritten value back – a mark's status with its hours and reason, never half of
    it – as a new, ordinary change that syncs like any other."""
    from store import access

    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        row = tx.conn.exec_driver_sql("SELECT tbl, row_id, field, lost_value, lost_hlc FROM conflict WHERE id = ? AND"
                                      " resolved = 0", (conflict_id,)).first()
        if row is None:
            raise ArenaError("err.not_found", what=conflict_id[:40])
        table, row_id, f, lost, lost_hlc = row
        columns = _columns(tx, table)
        if table not in changes.SYNCED or f not in columns:
            raise ArenaError("err.not_found", what=f)
        values = {f: json.loads(lost)}
        together = _SET_TOGETHER.get(table, ())
        if f in together:
            op = tx.conn.exec_driver_sql("SELECT changes FROM change_log WHERE tbl = ? AND row_id = ? AND hlc = ?",
                                         (table, row_id, lost_hlc)).scalar()
            if op:
                state = _state_after(tx, table, row_id, lost_hlc)
                values.update({c: state[c] for c in together if c in state and c in columns and c != f})
        changes.upsert(tx, table, row_id, values)
        tx.conn.exec_driver_sql("UPDATE conflict SET resolved = 1 WHERE id = ? OR (tbl = ? AND row_id = ? AND"
                                " lost_hlc = ? AND resolved = 0)", (conflict_id, table, row_id, lost_hlc))


def _state_after(tx: Tx, table: str, row_id: str, hlc: str) -> dict[str, Any]:
    """The row as it stood right after the op stamped `hlc` (the value a conflict overwrote, whole)."""
    upto = changes.hlc_key(hlc)
    state, _ = _fold(table, [op for op in _ops_of(tx, table, row_id) if changes.hlc_key(op[0]) <= upto])
    return state or {}


def _columns(tx: Tx, table: str) -> set[str]:
    return {r[1] for r in tx.conn.exec_driver_sql(f"PRAGMA table_info({table})")}


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
