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
from store.i18n import os_reason, t
from store.fold import fold
from store.merge import Summary, advance, applied, quarantine, quarantined, try_materialize
from store.sealed import OPS_NAME, SNAPSHOT_NAME as NAME, BadFile, decode_snapshot, encode_snapshot, snapshot_name
from store.share import Share

BATCH_ROWS = 2_000
# Parents before children, so rows land without waiting for a foreign key.
TABLE_ORDER = ("caseworker", "absence_code", "milestone_stage", "exit_outcome", "activity", "activity_session",
               "session_hours", "participant", "plan_period",
               "enrolment", "attendance", "session_cancel", "milestone", "note", "audit_event")


@dataclass(frozen=True)
class Listed:
    workstation: str
    name: str
    covered: int
    base: int | None = None  # a delta: the ops its base snapshot covers

CHAIN_MAX = 200  # deltas on one full snapshot before the next one is full again


def listed(share: Share, marks: dict[str, int] | None = None) -> list[Listed]:
    """Every snapshot on the share, the one covering most ops first. With the caller's high-water marks
    the ops files already applied are not listed (on PostgreSQL: not even read from the index)."""
    found = []
    for ws in share.workstations():
        for name in share.files(ws, after=(marks or {}).get(ws, 0)):
            match = NAME.match(name)
            if match:
                found.append(Listed(ws, name, int(match[1]), int(match[2]) if match[2] else None))
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


def _delta_entries(conn: Connection, base: dict[str, int], covered: dict[str, int]) -> list[dict]:
    """The entries past `base` up to `covered`, per workstation from the (workstation, sequence) index,
    in the order a full snapshot has them (tables parents first, then row, then stamp)."""
    found = []
    order = {table: i for i, table in enumerate(TABLE_ORDER)}
    for ws, upto in covered.items():
        for r in conn.exec_driver_sql(
                "SELECT op_id, ws_seq, hlc, tbl, row_id, kind, changes, at, by, digest, chain FROM change_log"
                " WHERE workstation_id = ? AND ws_seq > ? AND ws_seq <= ?"
                " AND NOT (kind = 'upsert' AND changes = '{}')", (ws, base.get(ws, 0), upto)):
            if r.tbl in order:  # every field _entries gives (a full snapshot's entry, the same in a delta)
                found.append({"op": r.op_id, "ws": ws, "seq": r.ws_seq, "hlc": r.hlc, "tbl": r.tbl, "row": r.row_id,
                              "kind": r.kind, "changes": json.loads(r.changes), "at": r.at, "by": r.by,
                              "digest": r.digest, "chain": r.chain})
    found.sort(key=lambda e: (order[e["tbl"]], e["row"], e["hlc"]))
    return found


def write(db: Database, share: Share, key: bytes) -> str | None:
    """Publish a snapshot of everything this workstation has without a gap; None if it has nothing new.

    Incremental: when this workstation's last snapshot is still on the share, the new one is a delta of
    only what that one did not cover (seconds at most, however large the programme). A full snapshot is
    written the first time, when the last one is gone (archived), after CHAIN_MAX deltas, and after
    gallring (a purge here or applied from elsewhere): then the newest chain holds nothing of the person
    and every older snapshot is archivable, so what gallring removed goes off the share too."""
    me = db.workstation_id
    with db.read() as conn:  # one read transaction: the vector and the entries agree
        covered = vector(conn, me)
        total = sum(covered.values())
        last = json.loads(settings.read(conn, "sync.snapshot_last") or "null")
        top = conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM change_log").scalar_one()
        mine = set(share.files(me, after=covered.get(me, 0)))
        base = None
        if (last and last["name"] in mine and last.get("chain", 0) < CHAIN_MAX
                and all(seq <= covered.get(ws, 0) for ws, seq in last["vector"].items())
                and not conn.exec_driver_sql("SELECT 1 FROM change_log WHERE seq > ? AND kind = 'delete'"
                                             " AND changes = '{}' LIMIT 1", (last["seq"],)).first()):
            base = last
        if base is not None:
            below = sum(base["vector"].values())
            if total <= below:
                return None
            name = snapshot_name(total, below)
            data = encode_snapshot(key, me, covered, _delta_entries(conn, base["vector"], covered),
                                   base=(base["name"], base["vector"]))
        else:
            name = snapshot_name(total)
            if total == 0 or name in mine:
                return None
            data = encode_snapshot(key, me, covered, _entries(conn, covered))
    try:
        share.write_once(me, name, data)
    except FileExistsError:
        return None  # an earlier run wrote it and was stopped before it could say so
    with db.write("sync") as tx:
        settings.write(tx.conn, "sync.snapshot_last", json.dumps(
            {"name": name, "vector": covered, "seq": top, "chain": base.get("chain", 0) + 1 if base else 0}))
    return name


def due(db: Database, snaps: list[Listed]) -> bool:
    """Time for a new snapshot: the ops the newest snapshot does not cover reach `sync.snapshot_every`
    (default 20 000). The workstation whose chain is newest extends it; another one starts its own only
    when that one seems gone (four times as many ops uncovered)."""
    every = settings.threshold(db, "sync.snapshot_every")
    with db.read() as conn:
        total = sum(vector(conn, db.workstation_id).values())
    if not snaps:
        return total >= every
    newest = snaps[0]
    behind = total - newest.covered
    return behind >= every and (newest.workstation == db.workstation_id or behind >= 4 * every)


# ---------------------------------------------------------------------------------------- reading

def _chain(share: Share, key: bytes, snap: Listed, have: dict[str, int] | None
           ) -> list[tuple[str, dict, Iterator[list[dict]]]]:
    """The snapshot and the ones it builds on, back to a full one (or, with `have`, to the first delta
    whose base this workstation already has), oldest first: (name, header, frames). Raises BadFile (with
    the file's name) when one is damaged or missing."""
    out = []
    name = snap.name
    for _ in range(CHAIN_MAX + 2):
        try:
            data = share.read(snap.workstation, name)
        except FileNotFoundError as error:
            raise ChainBroken(f"{snap.workstation}/{name}", "bad.missing") from error
        try:
            header, frames = decode_snapshot(key, data, snap.workstation, name)
        except BadFile as error:
            raise ChainBroken(f"{snap.workstation}/{name}", error.reason) from error
        out.append((name, header, frames))
        if "base" not in header or (have is not None and all(
                have.get(ws, 0) >= seq for ws, seq in header["base_vector"].items())):
            return out[::-1]
        name = header["base"]
    raise ChainBroken(f"{snap.workstation}/{snap.name}", "bad.chain_long")


class ChainBroken(BadFile):
    """A member of a snapshot's chain is damaged or missing: `where` names it (workstation/name)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(reason)
        self.where = where
        self.missing = reason == "bad.missing"


def archivable(share: Share, key: bytes) -> tuple[str, list[str]]:
    """The newest snapshot whose chain decodes whole, and the files it makes unnecessary: every ops file
    whose last sequence number it covers, and every snapshot not in its chain. Paths are relative to
    the share."""
    for snap in listed(share):
        try:
            chain = _chain(share, key, snap, None)
            for _, _, frames in chain:
                for _ in frames:
                    pass
        except BadFile:
            continue
        covered, spare = chain[-1][1]["vector"], []
        needed = {(snap.workstation, name) for name, _, _ in chain}
        for ws in share.workstations():
            for name in share.files(ws):
                ops, older = OPS_NAME.match(name), NAME.match(name)
                if (ops and int(ops[2]) <= covered.get(ws, 0)) or (older and (ws, name) not in needed):
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
    """Load the newest snapshot whose chain decodes (from the first member past what this workstation has),
    if it holds ops this workstation lacks (for some workstation in its vector, past our high-water mark);
    a damaged or missing member is quarantined and the next snapshot tried. None: no snapshot needed or
    usable (the pull replays the ops files, which gives the same result, only slower, or waits at the gap)."""
    with db.read() as conn:
        known_bad, have = quarantined(conn), applied(conn)
    for snap in snaps:
        where = f"{snap.workstation}/{snap.name}"
        if snap.workstation == db.workstation_id or where in known_bad:
            continue
        try:
            chain = _chain(share, key, snap, have)
            lacking = any(seq > have.get(ws, 0) for ws, seq in chain[-1][1]["vector"].items()
                          if ws != db.workstation_id)
            with db.write("sync") as tx:
                settings.write(tx.conn, "sync.snapshot_seen", where)
                if lacking:
                    for name, header, frames in chain:
                        try:
                            summary.from_snapshot += _load(tx, header["vector"], frames, name)
                        except BadFile as error:  # a frame found damaged: nothing of the chain is kept
                            raise ChainBroken(f"{snap.workstation}/{name}", error.reason) from error
        except ChainBroken as error:  # a missing member (archived with an older chain) is not a bad file
            if error.missing:
                continue
            if error.where not in known_bad and quarantine(db, error.where, error.reason):
                summary.quarantined += 1
                summary.problems.append(f"{error.where}: {error}")
            known_bad = {*known_bad, error.where}
            continue
        except OSError as error:
            summary.problems.append(f"{where}: {t(os_reason(error))}")  # the reader's words, not the system's
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
        last = dict(max(tx.conn.exec_driver_sql(
            "SELECT op_id AS op, workstation_id AS ws, ws_seq AS seq, hlc FROM change_log WHERE tbl = ? AND row_id = ?",
            (table, row_id)).mappings().all(), key=lambda r: changes.hlc_key(r["hlc"])))
        try_materialize(tx, table, row_id, None, last)


def _known(tx: Tx, table: str, row_ids: list[str], before: int) -> set[str]:
    """Of these rows, the ones this database had before the snapshot: in the table or in the change log."""
    pk = changes.SYNCED[table]
    known: set[str] = set()
    for i in range(0, len(row_ids), 500):
        part = row_ids[i:i + 500]
        marks = ", ".join("?" * len(part))
        known.update(tx.conn.exec_driver_sql(f"SELECT {pk} FROM {table} WHERE {pk} IN ({marks})", tuple(part)).scalars())
        if before:
            known.update(tx.conn.exec_driver_sql(
                f"SELECT row_id FROM change_log WHERE tbl = ? AND seq <= ? AND row_id IN ({marks})",
                (table, before, *part)).scalars())
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
