"""The merge: how ops from any workstation become rows, the same rows everywhere.

Merging is a fold (`store.fold`): every op ever seen for a row (local and remote, kept in `change_log`) is
replayed in hybrid-logical-clock order, so every workstation that has the same ops has the same row, whatever the
order of arrival. Per field the last writer wins; a milestone's status never moves back unless the op
was an explicit correction; a delete loses against an edit it had not seen; overwritten values go to
`conflict`, where a caseworker reviews them and may restore one. A row whose parent has not arrived
waits in `sync_pending` and is retried every sync; a file that must not be applied is quarantined.
A purge (gallring) wins over everything concurrent with it.

Both ways ops arrive use this module: `store.sync` (ops files) and `store.snapshot` (snapshots). It
reads and writes the local database only: nothing here touches the share.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from store import changes, clock, names, retention, rows, settings, tables
from store.db import Database, Tx
from store.i18n import ArenaError, t
from store.fold import fold
from store.tx import run

FUTURE_LIMIT_MS = 24 * 3600 * 1000



@dataclass(frozen=True)
class _Logged:
    hlc: str
    workstation_id: str
    kind: str
    changes: str
    by: str


def ops_of(tx: Tx, table: str, row_id: str) -> list[tuple]:
    """Every op seen for a row, as (hlc, ws, kind, changes, by) for `fold`."""
    return [(op.hlc, op.workstation_id, op.kind, json.loads(op.changes), op.by) for op in rows.each(_Logged, run(
        tx.conn, f"SELECT {rows.columns(_Logged)} FROM change_log WHERE tbl = ? AND row_id = ?", (table, row_id)))]


def _purged(tx: Tx, participant_id: Any) -> bool:
    """Gallring removed this case (a purge tombstone: a delete that carries no values)."""
    return participant_id is not None and run(
        tx.conn, "SELECT 1 FROM change_log WHERE tbl = 'participant' AND row_id = ? AND kind = 'delete'"
        " AND changes = '{}'", (participant_id,)).fetchone() is not None


def _purge_case(tx: Tx, participant_id: str) -> None:
    """A purge arrived: what was added to the case here or elsewhere meanwhile goes too (gallring wins over
    a concurrent edit), with the values in its change-log entries, so no personal data stays anywhere."""
    for table, _ in retention.CHILDREN:
        pk = changes.SYNCED[table]
        for row_id in tx.conn.exec_driver_sql(f"SELECT {pk} FROM {table} WHERE participant_id = ?",
                                              (participant_id,)).scalars().all():
            tx.conn.exec_driver_sql(f"DELETE FROM {table} WHERE {pk} = ?", (row_id,))
            retention.redact(tx.conn, table, row_id)


_UNREAD: Any = object()  # the row's current values not read yet


def materialize(tx: Tx, table: str, row_id: str, incoming: tuple | None) -> None:
    """Fold every op seen for the row and write the result (the row as it stands is read here)."""
    _settle(tx, table, row_id, incoming, fold(table, ops_of(tx, table, row_id)), lambda pid: _purged(tx, pid))


def _settle(tx: Tx, table: str, row_id: str, incoming: tuple | None,
            folded: tuple[dict[str, Any] | None, dict[str, tuple]], purged: Any, current: Any = _UNREAD,
            unseen: frozenset[str] = frozenset()) -> None:
    """Write a row's folded state (`fold` of every op seen for it). `purged(participant id)` says whether
    gallring removed a case; `current` is the row as it stands ({column: value}, None: absent), read here
    unless the caller read it with the rows of its batch; `unseen`: change-log entries of the row that are
    logged already but come after `incoming` in its file (not seen yet, as op by op)."""
    pk = changes.SYNCED[table]
    state, setter = folded
    if (table == "participant" and purged(row_id)) or (
            table != "audit_event" and state is not None and purged(state.get("participant_id"))):
        # an op on a case gallring removed, concurrent with the purge or later: dropped, its values emptied
        # (the access log keeps its internal ids, as gallring itself does)
        if table == "participant":
            _purge_case(tx, row_id)
        tx.conn.exec_driver_sql(f"DELETE FROM {table} WHERE {pk} = ?", (row_id,))
        retention.redact(tx.conn, table, row_id)
        return
    # the merge's statements go straight to the driver (store.tx.run): a sync applies every op this way
    if current is _UNREAD:
        current = _current_rows(tx, table, [row_id]).get(row_id)
    if incoming is not None:
        _record_conflicts(tx, table, row_id, incoming, state, setter, current, unseen)
    if state is None:
        if current is not None:
            run(tx.conn, f"DELETE FROM {table} WHERE {pk} = ?", (row_id,))
        return
    if current is None:
        cols = list(state)
        run(tx.conn, f"INSERT INTO {table} ({pk}{''.join(', ' + c for c in cols)}) VALUES (?{', ?' * len(cols)})",
            (row_id, *(state[c] for c in cols)))
    else:
        diff = {c: v for c, v in state.items() if current.get(c) != v}
        if diff:
            run(tx.conn, f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in diff)} WHERE {pk} = ?",
                (*diff.values(), row_id))
    first, last = state.get("first_name", ""), state.get("last_name", "")
    if table == "participant" and (current is None or (current.get("first_name"), current.get("last_name"))
                                   != (first, last)):  # the name's tokens, when the name is new or changed
        names.index_participant(tx.conn, row_id, first, last)


def _current_rows(tx: Tx, table: str, row_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The rows as they stand, {row id: {column: value}} without the key and generated columns."""
    pk = changes.SYNCED[table]
    generated = changes.GENERATED.get(table, ())
    found: dict[str, dict[str, Any]] = {}
    for i in range(0, len(row_ids), 500):
        part = row_ids[i:i + 500]
        cursor = run(tx.conn, f"SELECT * FROM {table} WHERE {pk} IN ({', '.join('?' * len(part))})", part)
        names_ = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names_, values))
            found[row.pop(pk)] = {k: v for k, v in row.items() if k not in generated}
    return found


def _record_conflicts(tx: Tx, table: str, row_id: str, incoming: tuple, state: dict | None,
                      setter: dict[str, tuple], current: dict | None, unseen: frozenset[str] = frozenset()) -> None:
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
                "SELECT op_id, hlc, by, workstation_id FROM change_log WHERE tbl = ? AND row_id = ? AND changes LIKE ?",
                (table, row_id, f'%"{f}"%')) if changes.hlc_key(r.hlc) < changes.hlc_key(hlc) and r.op_id not in unseen]
            loser = max(earlier, key=lambda r: changes.hlc_key(r.hlc), default=None)
            if loser:
                keep(f, new, current.get(f), loser.hlc, loser.by, loser.workstation_id)


# ------------------------------------------------------------------------------------------ summary

@dataclass
class Summary:
    sent: int = 0
    received: int = 0
    conflicts: int = 0
    quarantined: int = 0  # files in quarantine after this sync (sync.in_quarantine), not only those it put there
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
        but rows that arrived this very sync ahead of their parent, and nothing is in quarantine (a file
        never applied is work missing here, even when its workstation's folder has gone from the share)."""
        return not (self.problems or self.stuck or self.stale or self.quarantined)

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
        if self.quarantined and not self.stuck:  # (stuck says it: the files it cannot get past)
            parts += [t("sync.quarantine_fix", n=self.quarantined)]
        if self.problems:
            parts += [t("sync.problems_fix", n=len(self.problems))]
        elif self.stale:
            parts += [t("sync.stale_fix", n=self.stale)]
        return " ".join(parts)


# ---------------------------------------------------------------------------------------- applying

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


def quarantine(db: Database, file: str, reason: str, fp: str | None = None) -> bool:
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


def release(db: Database, file: str) -> None:
    with db.write("sync") as tx:
        tx.conn.exec_driver_sql("DELETE FROM quarantine WHERE file = ?", (file,))


CHUNK = 500  # ops of a file applied under one savepoint
BATCH_OPS = 2_000  # files applied in one transaction until they hold this many ops


def apply_ops(db: Database, workstation: str, name: str, ops: list[dict], last: int, summary: Summary) -> None:
    """Apply one peer's file in one transaction (`apply_files` with one file)."""
    apply_files(db, [(workstation, name, ops, last)], summary)


def apply_files(db: Database, files: list[tuple[str, str, list[dict], int]], summary: Summary) -> None:
    """Apply peers' files, (workstation, file name, its ops, its last sequence number) each, in order, in
    one transaction (a sync gathers up to BATCH_OPS ops into one: a commit per file cost more than the
    ops of a day's file). Its commit does not wait for the disk (a bulk write): the sync's own last
    commit, which waits, makes every file applied before it durable (one write-ahead log, synced in
    order); a crash before it loses files applied with their high-water marks, which the next sync
    applies again from the share.

    The files' ops go in order, CHUNK at a time under one savepoint (`_apply_together`): the chunk's
    change-log entries in one statement, the histories and current values of its rows read a table at a
    time, each row folded once per op that touches it. A chunk that breaks a constraint (a row ahead of
    its parent, one unique value on two rows) is rolled back and applied again op by op, each op in a
    savepoint of its own, so that only the rows that must wait go to `sync_pending`; files with a purge
    (gallring) always go op by op. Either way every row ends as the op-by-op merge leaves it."""
    with db.write("sync", bulk=True) as tx:
        before = run(tx.conn, "SELECT count(*) FROM conflict").fetchone()[0]
        seen: set[str] = set()
        applicable = [(workstation, op) for workstation, name, ops, _ in files
                      for op in _fresh(tx, workstation, name, ops, seen, summary)]
        purges = any(op["kind"] == "delete" and not op["changes"] for _, op in applicable)
        per_row = Counter((op["tbl"], op["row"]) for _, op in applicable)
        for i in range(0, len(applicable), CHUNK):
            part = applicable[i:i + CHUNK]
            if purges or not _apply_together(tx, part, per_row):
                for workstation, op in part:
                    _log_entries(tx, [(workstation, op)])
                    try_materialize(tx, op["tbl"], op["row"], _incoming(workstation, op), op)
                    if op["kind"] == "delete" and not op["changes"]:  # gallring elsewhere: purge the history here too
                        retention.redact(tx.conn, op["tbl"], op["row"])
            summary.received += len(part)
        for workstation, name, _, last in files:
            advance(tx, workstation, last, name)
        summary.conflicts += run(tx.conn, "SELECT count(*) FROM conflict").fetchone()[0] - before


def _fresh(tx: Tx, workstation: str, name: str, ops: list[dict], seen: set[str], summary: Summary) -> list[dict]:
    """A file's ops that are to be applied: not here yet (an earlier, stopped run, a snapshot, an earlier
    file of this batch: `seen`), each once, of a synced table (the others quarantined). Our clock moves
    past the file's stamps."""
    now_ms = int(time.time() * 1000)
    for i in range(0, len(ops), 500):
        part = [op["op"] for op in ops[i:i + 500]]
        seen.update(r for (r,) in run(tx.conn, f"SELECT op_id FROM change_log WHERE op_id IN"
                                               f" ({', '.join('?' * len(part))})", part))
    fresh = []
    for op in ops:  # each op once, even if a damaged file names one twice
        if op["op"] not in seen:
            seen.add(op["op"])
            fresh.append(op)
    known = [op["hlc"] for op in fresh if op["tbl"] in changes.SYNCED and op["kind"] in ("upsert", "delete")]
    if known:  # our clock past every stamp applied from the file, once (the same end as op by op)
        changes.observe(tx, max(known, key=changes.hlc_key))
    applicable = []
    for op in fresh:
        if op["tbl"] not in changes.SYNCED or op["kind"] not in ("upsert", "delete"):
            summary.quarantined += _quarantine_in(tx, f"{workstation}/{name}#{op['seq']}", "unknown table")
            continue
        if changes.parse_hlc(op["hlc"])[0] > now_ms + FUTURE_LIMIT_MS:
            summary.ahead += 1  # applied all the same: the HLC keeps the order; the clock is reported
        applicable.append(op)
    return applicable


def _incoming(workstation: str, op: dict) -> tuple:
    return op["hlc"], workstation, op["kind"], op["changes"], op["by"]


def _log_entries(tx: Tx, ops: list[tuple[str, dict]]) -> None:
    """The ops' change-log entries, (workstation, op) each, with their hash links (checked by store.tamper
    after the sync)."""
    if ops:
        tx.conn.exec_driver_sql(
            "INSERT INTO change_log (op_id, workstation_id, ws_seq, hlc, tbl, row_id, kind, changes, at, by,"
            " digest, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(op["op"], workstation, op["seq"], op["hlc"], op["tbl"], op["row"], op["kind"],
              json.dumps(op["changes"], ensure_ascii=False, sort_keys=True), op["at"], op["by"],
              op.get("digest"), op.get("chain")) for workstation, op in ops])


def _apply_together(tx: Tx, part: list[tuple[str, dict]], per_row: Counter) -> bool:
    """Apply a chunk of a file's ops under one savepoint; False (and nothing of it kept) if a constraint
    broke. The chunk's entries are logged in one statement, the histories and current values of its rows
    read a table at a time; then each op, in file order, folds its row as op by op would at that point
    (the row's later entries in the file left out), judges its conflicts against the row as the ops
    before it left it, and writes it. A row the file touches in another chunk too (a file longer than
    CHUNK) goes op by op. `part`: (workstation, op) each."""
    run(tx.conn, "SAVEPOINT merge_chunk")
    try:
        here = Counter((op["tbl"], op["row"]) for _, op in part)
        whole = {key for key, n in here.items() if n == per_row[key]}  # rows all of whose ops are in this chunk
        _log_entries(tx, [(ws, op) for ws, op in part if (op["tbl"], op["row"]) in whole])
        by_table: dict[str, list[str]] = {}
        for table, row_id in whole:
            by_table.setdefault(table, []).append(row_id)
        history: dict[tuple[str, str], list[tuple[str, tuple]]] = {}
        current: dict[tuple[str, str], dict[str, Any] | None] = {}
        for table, row_ids in by_table.items():
            history.update({(table, r): entries for r, entries in _histories(tx, table, row_ids).items()})
            current.update({(table, r): values for r, values in _current_rows(tx, table, row_ids).items()})
        finals = {key: fold(key[0], [op for _, op in history.get(key, [])]) for key in whole}
        cases: set[Any] = {row for table, row in whole if table == "participant"}
        cases |= {state.get("participant_id") for state, _ in finals.values() if state}
        purged = _purged_among(tx, cases)

        def is_purged(participant_id: Any) -> bool:
            if participant_id is not None and participant_id not in cases:  # a case the row moved through
                cases.add(participant_id)
                purged.update(_purged_among(tx, {participant_id}))
            return participant_id in purged

        to_come: dict[tuple[str, str], list[str]] = {}  # per row, its ops in the file not applied yet
        for _, op in part:
            to_come.setdefault((op["tbl"], op["row"]), []).append(op["op"])
        for workstation, op in part:
            key = (op["tbl"], op["row"])
            if key not in whole:
                _log_entries(tx, [(workstation, op)])
                materialize(tx, op["tbl"], op["row"], _incoming(workstation, op))
                continue
            to_come[key].pop(0)
            unseen = frozenset(to_come[key])
            folded = finals[key] if not unseen else fold(
                key[0], [entry for op_id, entry in history.get(key, []) if op_id not in unseen])
            _settle(tx, op["tbl"], op["row"], _incoming(workstation, op), folded, is_purged, current.get(key), unseen)
            if unseen:  # the next op of this row sees it as this one left it
                current[key] = _current_rows(tx, op["tbl"], [op["row"]]).get(op["row"])
    except IntegrityError:
        run(tx.conn, "ROLLBACK TO merge_chunk")
        run(tx.conn, "RELEASE merge_chunk")
        return False
    run(tx.conn, "RELEASE merge_chunk")
    return True


def _histories(tx: Tx, table: str, row_ids: list[str]) -> dict[str, list[tuple[str, tuple]]]:
    """`ops_of` for many rows of one table: {row id: [(op id, op) for every op seen for it]}."""
    found: dict[str, list[tuple[str, tuple]]] = {}
    for i in range(0, len(row_ids), 500):
        part = row_ids[i:i + 500]
        for op_id, row_id, hlc, ws, kind, delta, by in run(
                tx.conn, f"SELECT op_id, row_id, hlc, workstation_id, kind, changes, by FROM change_log WHERE tbl = ?"
                         f" AND row_id IN ({', '.join('?' * len(part))})", (table, *part)):
            found.setdefault(row_id, []).append((op_id, (hlc, ws, kind, json.loads(delta), by)))
    return found


def _purged_among(tx: Tx, participant_ids: set[Any]) -> set[str]:
    """Of these cases, the ones gallring removed (`_purged` for many)."""
    ids = sorted(p for p in participant_ids if p is not None)
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        found.update(r for (r,) in run(
            tx.conn, f"SELECT row_id FROM change_log WHERE tbl = 'participant' AND kind = 'delete' AND changes = '{{}}'"
                     f" AND row_id IN ({', '.join('?' * len(part))})", part))
    return found


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
    ops = ops_of(tx, table, row_id)
    state, _ = fold(table, ops)
    value = (state or {}).get(field_)
    other = tx.conn.exec_driver_sql(f"SELECT {pk} FROM {table} WHERE {field_} = ? AND {pk} != ?",
                                    (value, row_id)).scalar()
    if value is None or other is None:
        raise IntegrityError(f"{table}.{field_}", None, Exception(f"{table}.{field_}"))
    keeper, loser = sorted((row_id, other))
    changes.log(tx, table, loser, "upsert", {field_: [value, _apart(table, field_, value, loser)]})
    materialize(tx, table, loser, None)
    if loser != row_id:
        materialize(tx, table, row_id, None)
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


def try_materialize(tx: Tx, table: str, row_id: str, incoming: tuple | None, op: dict | None) -> bool:
    # a savepoint of its own, straight to the driver (SQLAlchemy's begin_nested costs more than the row)
    run(tx.conn, "SAVEPOINT merge_row")
    try:
        try:
            materialize(tx, table, row_id, incoming)
        except IntegrityError as error:
            same = UNIQUE_FAILED.search(str(error.orig))
            if not same or same[1] != table or same[2] == changes.SYNCED[table]:
                raise
            _same_value_twice(tx, table, same[2], row_id)
    except IntegrityError as error:
        run(tx.conn, "ROLLBACK TO merge_row")
        run(tx.conn, "RELEASE merge_row")
        if op is not None:
            tx.conn.exec_driver_sql(
                "INSERT OR IGNORE INTO sync_pending (op_id, workstation_id, seq, payload, waiting_for, first_sync)"
                " VALUES (?, ?, ?, ?, ?, ?)", (op["op"], op["ws"], op["seq"], json.dumps([table, row_id]),
                                               str(error.orig)[:200], int(settings.read(tx.conn, "sync.count") or 0)))
        return False
    run(tx.conn, "RELEASE merge_row")
    return True


def retry_pending(db: Database, summary: Summary) -> None:
    with db.write("sync") as tx:
        for pending in tx.conn.exec_driver_sql("SELECT op_id, payload FROM sync_pending ORDER BY seq").all():
            table, row_id = json.loads(pending.payload)  # the row it waits for: [table, row id]
            if try_materialize(tx, table, row_id, None, None):
                tx.conn.exec_driver_sql("DELETE FROM sync_pending WHERE op_id = ?", (pending.op_id,))
        this = int(settings.read(tx.conn, "sync.count") or 0)
        counted = tx.conn.exec_driver_sql(
            "SELECT count(*) AS waiting, count(*) FILTER (WHERE first_sync < ?) AS stale FROM sync_pending", (this,)).one()
        summary.waiting, summary.stale = counted.waiting, counted.stale


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
        cols = tables.COLUMNS.get(table, ())
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
        stored = conn.exec_driver_sql(
            "SELECT id, tbl, row_id, field, kept_value, lost_value, lost_hlc, lost_by, detected_at FROM conflict"
            + ("" if include_resolved else " WHERE resolved = 0") + " ORDER BY detected_at DESC, id").all()
        found = []
        for r in stored:
            kept, lost = json.loads(r.kept_value), json.loads(r.lost_value)
            if _hidden_from(conn, user, r.tbl, r.row_id, r.field):
                from store.cases import redact_protected

                kept, lost = redact_protected({r.field: [kept, lost]})[r.field]
            who, day = _describe(conn, r.tbl, r.row_id)
            found.append(rows.named(Conflict, r, kept=kept, lost=lost, who=who, day=day,
                                    what=field_words(r.tbl, r.field)))
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
        table, row_id, f, lost, lost_hlc = row.tbl, row.row_id, row.field, row.lost_value, row.lost_hlc
        columns = _columns(table)
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
    state, _ = fold(table, [op for op in ops_of(tx, table, row_id) if changes.hlc_key(op[0]) <= upto])
    return state or {}


def _columns(table: str) -> set[str]:
    return set(tables.COLUMNS.get(table, ()))
