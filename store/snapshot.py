"""Snapshots: one file from which a new workstation joins without replaying every ops file.

A snapshot holds every change-log entry a workstation has seen up to a version vector (per origin
workstation: the highest sequence number applied without a gap; for itself: the highest published), in
one encrypted, authenticated file `ops/<workstation>/snapshot-<ops covered>.snap` beside its ops files.
It is compacted in the two ways that cannot change what any workstation ends with: thousands of files
become one, read in one pass; entries emptied by gallring are left out (they set nothing in the merge,
and the old ops files still hold their original values, which a full replay would read back in until
the tombstone arrives). Entries that were later overwritten are kept: the case card's history shows
them, and the merge of a row needs every entry to treat a late, concurrent op exactly as a full replay.

A new workstation (one that has never applied another's work) loads the newest snapshot that decodes,
in one local transaction: it inserts the entries it lacks into its change log, folds each row once, in
parent-before-child order, and takes the vector as its peers' high-water marks. The ordinary pull then
applies every ops file past the vector. A workstation that has been away reads the newest snapshot
the same way the first time it sees it (only the entries it lacks), so ops files a snapshot covers
may be archived off the share. Because the merge is a fold of the change log and the
change log after this equals the one a full replay builds, the tables are the same (tests hold it
byte for byte).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from store import changes, names, settings
from store.db import Database, Tx
from store.merge import Summary, advance, applied, fold, quarantine, quarantined, try_materialize
from store.sealed import OPS_NAME, SNAPSHOT_NAME as NAME, BadFile, decode_snapshot, encode_snapshot, snapshot_name
from store.share import Share

BATCH_ROWS = 2_000
# Parents before children, so rows land without waiting for a foreign key.
TABLE_ORDER = ("caseworker", "absence_code", "milestone_stage", "exit_outcome", "activity", "activity_session",
               "session_hours", "participant",
               "enrolment", "attendance", "session_cancel", "milestone", "note", "audit_event")


@dataclass(frozen=True)
class Listed:
    workstation: str
    name: str
    covered: int


def listed(share: Share, marks: dict[str, int] | None = None) -> list[Listed]:
    """Every snapshot on the share, the one covering most ops first. With the caller's high-water marks
    the ops files already applied are not listed (on PostgreSQL: not even read from the index)."""
    found = []
    for ws in share.workstations():
        for name in share.files(ws, after=(marks or {}).get(ws, 0)):
            match = NAME.match(name)
            if match:
                found.append(Listed(ws, name, int(match[1])))
    return sorted(found, key=lambda s: (-s.covered, s.workstation))


def vector(conn: Connection, workstation_id: str) -> dict[str, int]:
    """What this workstation has without a gap: its own published ops and every peer's applied ones."""
    seen = {ws: seq for ws, seq in applied(conn).items() if seq > 0 and ws != workstation_id}
    published = int(settings.read(conn, "sync.published") or 0)
    if published:
        seen[workstation_id] = published
    return dict(sorted(seen.items()))


# ---------------------------------------------------------------------------------------- writing

def _entries(conn: Connection, covered: dict[str, int]) -> Iterator[dict]:
    for table in TABLE_ORDER:
        rows = conn.exec_driver_sql(
            "SELECT op_id, workstation_id, ws_seq, hlc, row_id, kind, changes, at, by, digest, chain FROM change_log"
            " WHERE tbl = ? AND NOT (kind = 'upsert' AND changes = '{}') ORDER BY row_id, hlc", (table,))
        for op_id, ws, seq, hlc, row_id, kind, delta, at, by, entry_digest, chain in rows:
            if seq is not None and seq <= covered.get(ws, 0):
                yield {"op": op_id, "ws": ws, "seq": seq, "hlc": hlc, "tbl": table, "row": row_id,
                       "kind": kind, "changes": json.loads(delta), "at": at, "by": by, "digest": entry_digest,
                       "chain": chain}


def write(db: Database, share: Share, key: bytes) -> str | None:
    """Publish a snapshot of everything this workstation has without a gap; None if it has nothing new."""
    me = db.workstation_id
    with db.read() as conn:  # one read transaction: the vector and the entries agree
        covered = vector(conn, me)
        total = sum(covered.values())
        name = snapshot_name(total)
        if total == 0 or name in share.files(me, after=covered.get(me, 0)):
            return None
        data = encode_snapshot(key, me, covered, _entries(conn, covered))
    try:
        share.write_once(me, name, data)
    except FileExistsError:
        return None  # an earlier run wrote it and was stopped before it could say so
    return name


def due(db: Database, snaps: list[Listed]) -> bool:
    """Time for a new snapshot: the ops no snapshot covers reach `sync.snapshot_every` (default 20 000) and
    a quarter of the newest snapshot, so snapshots grow geometrically and all of them together stay
    within a few times the newest one."""
    from store import milestones

    every = milestones.threshold(db, "sync.snapshot_every")
    with db.read() as conn:
        total = sum(vector(conn, db.workstation_id).values())
    newest = max((s.covered for s in snaps), default=0)
    return total - newest >= max(every, newest // 4)


# ---------------------------------------------------------------------------------------- reading

def archivable(share: Share, key: bytes) -> tuple[str, list[str]]:
    """The newest snapshot that decodes whole, and the files it makes unnecessary: every ops file whose
    last sequence number it covers, and every older snapshot. Paths are relative to the share."""
    for snap in listed(share):
        try:
            header, frames = decode_snapshot(key, share.read(snap.workstation, snap.name), snap.workstation, snap.name)
            for _ in frames:
                pass
        except BadFile:
            continue
        covered, spare = header["vector"], []
        for ws in share.workstations():
            for name in share.files(ws):
                ops, older = OPS_NAME.match(name), NAME.match(name)
                if (ops and int(ops[2]) <= covered.get(ws, 0)) or (older and int(older[1]) < snap.covered):
                    spare.append(f"ops/{ws}/{name}")
        return f"{snap.workstation}/{snap.name}", spare
    return "", []


def is_new(db: Database) -> bool:
    """A workstation that has never applied another's work: it starts from the newest snapshot."""
    with db.read() as conn:
        return not any(applied(conn).values())


def worth_reading(db: Database, snaps: list[Listed]) -> bool:
    """After a pull: a snapshot may hold what the ops files no longer do (archived, lost, quarantined),
    whether or not a later file shows the gap. Only a snapshot this workstation has not looked at can:
    what one it has looked at held was loaded then, and the high-water marks have only grown since."""
    with db.read() as conn:
        seen = settings.read(conn, "sync.snapshot_seen")
        known_bad = quarantined(conn)
    usable = [f"{s.workstation}/{s.name}" for s in snaps if s.workstation != db.workstation_id]
    usable = [where for where in usable if where not in known_bad]
    return bool(usable) and usable[0] != seen


def load_newest(db: Database, share: Share, snaps: list[Listed], key: bytes, summary: Summary) -> str | None:
    """Load the newest snapshot that decodes, if it holds ops this workstation lacks (for some workstation
    in its vector, past our high-water mark); a damaged one is quarantined and the next tried. None: no
    snapshot needed or usable (the pull replays the ops files, which gives the same result, only slower,
    or waits at the gap)."""
    with db.read() as conn:
        known_bad, have = quarantined(conn), applied(conn)
    for snap in snaps:
        where = f"{snap.workstation}/{snap.name}"
        if snap.workstation == db.workstation_id or where in known_bad:
            continue
        try:
            data = share.read(snap.workstation, snap.name)
        except OSError as error:
            summary.problems.append(f"{where}: {error.strerror or error}")
            continue
        try:
            header, frames = decode_snapshot(key, data, snap.workstation, snap.name)
            lacking = any(seq > have.get(ws, 0) for ws, seq in header["vector"].items() if ws != db.workstation_id)
            with db.write("sync") as tx:
                settings.write(tx.conn, "sync.snapshot_seen", where)
                if lacking:
                    summary.from_snapshot += _load(tx, header["vector"], frames, snap.name)
        except BadFile as error:
            if quarantine(db, where, str(error)):
                summary.quarantined += 1
                summary.problems.append(f"{where}: {error}")
            continue
        return where if lacking else None
    return None


def _load(tx: Tx, covered: dict[str, int], frames: Iterator[list[dict]], name: str) -> int:
    """Add the entries this database lacks (past each peer's high-water mark; never our own) to the change
    log, fold every row they touch, and move the high-water marks up to the snapshot's vector."""
    me = tx.workstation_id
    have = applied(tx.conn)
    before = tx.conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM change_log").scalar_one()
    newest, loaded = "", 0
    rows: list[list[dict]] = []  # the entries of one row each, rows in file order
    for entries in frames:
        fresh = [e for e in entries if e["ws"] != me and e["seq"] > have.get(e["ws"], 0)]
        if not fresh:
            continue
        inserted = tx.conn.exec_driver_sql(
            "INSERT OR IGNORE INTO change_log (op_id, workstation_id, ws_seq, hlc, tbl, row_id, kind, changes, at, by,"
            " digest, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(e["op"], e["ws"], e["seq"], e["hlc"], e["tbl"], e["row"], e["kind"],
              json.dumps(e["changes"], ensure_ascii=False, sort_keys=True), e["at"], e["by"], e.get("digest"),
              e.get("chain")) for e in fresh])
        loaded += max(inserted.rowcount, 0)
        for e in fresh:
            newest = max(newest, e["hlc"], key=lambda h: changes.hlc_key(h) if h else (-1, -1, ""))
            if rows and (rows[-1][0]["tbl"], rows[-1][0]["row"]) == (e["tbl"], e["row"]):
                rows[-1].append(e)
                continue
            if len(rows) >= BATCH_ROWS:  # every row so far is complete: this entry starts a new one
                _materialize_rows(tx, rows, before)
                rows = []
            rows.append([e])
    _materialize_rows(tx, rows, before)
    if newest:
        changes.observe(tx, newest)
    for ws, seq in covered.items():
        if ws != me:
            advance(tx, ws, seq, name)
    return loaded


def _materialize_rows(tx: Tx, rows: list[list[dict]], before: int) -> None:
    """Fold each new row once and insert them in bulk. A row this database already had (in its table or its
    change log, whose entries must join the fold), and every row of a batch that breaks a constraint, goes
    through the sync's own one-row path, which parks a row whose parent is missing in `sync_pending`."""
    by_table: dict[str, list[list[dict]]] = {}
    for entries in rows:
        by_table.setdefault(entries[0]["tbl"], []).append(entries)
    one_by_one: list[tuple[str, str]] = []
    for table in TABLE_ORDER:
        group = by_table.get(table, [])
        known = _known(tx, table, [entries[0]["row"] for entries in group], before)
        batch = []
        for entries in group:
            row_id = entries[0]["row"]
            if row_id in known:
                one_by_one.append((table, row_id))
                continue
            state, _ = fold(table, [(e["hlc"], e["ws"], e["kind"], e["changes"], e["by"]) for e in entries])
            if state is not None:
                batch.append((row_id, state))
        if not batch:
            continue
        savepoint = tx.conn.begin_nested()
        try:
            _insert(tx, table, batch)
        except IntegrityError:
            savepoint.rollback()
            one_by_one += [(table, row_id) for row_id, _ in batch]
            continue
        savepoint.commit()
    for table, row_id in sorted(one_by_one, key=lambda r: TABLE_ORDER.index(r[0])):
        last = dict(zip(("op", "ws", "seq", "hlc"), max(tx.conn.exec_driver_sql(
            "SELECT op_id, workstation_id, ws_seq, hlc FROM change_log WHERE tbl = ? AND row_id = ?",
            (table, row_id)).all(), key=lambda r: changes.hlc_key(r[3]))))
        try_materialize(tx, table, row_id, None, last)


def _known(tx: Tx, table: str, row_ids: list[str], before: int) -> set[str]:
    """Of these rows, the ones this database had before the snapshot: in the table or in the change log."""
    pk = changes.SYNCED[table]
    known: set[str] = set()
    for i in range(0, len(row_ids), 500):
        part = row_ids[i:i + 500]
        marks = ", ".join("?" * len(part))
        known.update(r for (r,) in tx.conn.exec_driver_sql(f"SELECT {pk} FROM {table} WHERE {pk} IN ({marks})", tuple(part)))
        if before:
            known.update(r for (r,) in tx.conn.exec_driver_sql(
                f"SELECT row_id FROM change_log WHERE tbl = ? AND seq <= ? AND row_id IN ({marks})",
                (table, before, *part)))
    return known


def _insert(tx: Tx, table: str, batch: list[tuple[str, dict]]) -> None:
    pk = changes.SYNCED[table]
    shapes: dict[tuple[str, ...], list[tuple]] = {}
    for row_id, state in batch:
        cols = tuple(sorted(state))
        shapes.setdefault(cols, []).append((row_id, *(state[c] for c in cols)))
    for cols, values in shapes.items():
        tx.conn.exec_driver_sql(
            f"INSERT INTO {table} ({pk}{''.join(', ' + c for c in cols)}) VALUES (?{', ?' * len(cols)})", values)
    if table == "participant":
        for row_id, state in batch:
            names.index_participant(tx.conn, row_id, state.get("first_name", ""), state.get("last_name", ""))
