"""Every write goes through here, so the change log is written in the same transaction as the row.

The change log is the outbox the nightly sync publishes from: one entry per changed row with the old and
new value of every changed field, a unique op id, this workstation's sequence number and a hybrid
logical clock (HLC) stamp. Remote ops applied by the sync land here too, with their own origin, so the
log is also where per-field clocks for last-writer-wins come from.
"""
from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

from store import rows, settings, tables
from store.tx import Tx, run

# Tables whose rows are shared between workstations; value = primary key column (from store.models).
SYNCED: dict[str, str] = {table: tables.PRIMARY_KEY[table][0] for table in (
    "caseworker", "participant", "activity", "activity_session", "session_hours", "enrolment", "attendance",
    "session_cancel", "absence_code", "milestone_stage", "exit_outcome", "milestone", "note", "audit_event",
    "plan_period")}
# Columns computed by SQLite, never written.
GENERATED: dict[str, tuple[str, ...]] = tables.GENERATED

_NAMESPACE = uuid.UUID("6f1d6a5e-2b7c-4f0e-9a4b-0c2f3e5d7a10")


def new_id() -> str:
    return str(uuid.uuid4())


def natural_id(*parts: object) -> str:
    """A deterministic id from a natural key: two workstations marking the same person on the same
    day at the same activity create the same row, so the merge sees one row, never two."""
    # uuid.uuid5 by hand: same value, a third of the cost (the demo generator makes millions).
    digest = bytearray(hashlib.sha1(_NAMESPACE.bytes + "|".join(map(str, parts)).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# The counter never passes this: one more event moves the stamp on by a millisecond instead, so every
# stamp keeps its fixed width (and text order stays time order in SQL); comparisons in Python are numeric.
MAX_COUNTER = 99_999


def format_hlc(ms: int, counter: int, workstation_id: str) -> str:
    return f"{ms:013d}-{counter:05d}-{workstation_id}"


def parse_hlc(stamp: str) -> tuple[int, int]:
    ms, counter, _ = stamp.split("-", 2)
    return int(ms), int(counter)


def hlc_key(stamp: str) -> tuple[int, int, str]:
    """The order of two stamps, numerically: a counter of six digits (written by an older release) still
    sorts after one of five."""
    ms, counter, ws = stamp.split("-", 2)
    return int(ms), int(counter), ws


def op_order(op: tuple) -> tuple:
    """The one order of ops everywhere. Two ops can carry the same stamp: a database copied to a second PC
    (or restored) goes on from the same clock under the same identity until its next sync moves its own
    ops to a new one (`sync._fork`). The op's workstation, then its content, break such a tie, so every
    workstation folds them alike whatever order they arrived in."""
    hlc, ws, kind, delta, by = op
    return hlc_key(hlc), ws or "", kind, json.dumps(delta, sort_keys=True, default=str), by or ""


def _load_hlc(tx: Tx) -> list[int]:
    """The clock's state, read once per transaction (the same list is then moved on in place)."""
    def read() -> list[int]:
        stored = settings.read(tx.conn, "hlc")
        return [0, 0] if stored is None else [int(x) for x in stored.split(":")]
    state: list[int] = tx.once("hlc", read)
    return state


def _save_hlc(tx: Tx, state: list[int]) -> None:
    settings.write(tx.conn, "hlc", f"{state[0]}:{state[1]}")


def tick(tx: Tx) -> str:
    """The next HLC stamp for a local event: never behind wall time, never behind anything seen."""
    state = _load_hlc(tx)
    now_ms = int(time.time() * 1000)
    if now_ms > state[0]:
        state[0], state[1] = now_ms, 0
    elif state[1] >= MAX_COUNTER:
        state[0], state[1] = state[0] + 1, 0
    else:
        state[1] += 1
    if not tx.clock_saved_later:
        _save_hlc(tx, state)
    return format_hlc(state[0], state[1], tx.workstation_id)


def save_clock(tx: Tx) -> None:
    """Write the clock's state as it is now, at the end of a transaction that ticked with
    `tx.clock_saved_later` (a bulk chunk: one write of it per chunk instead of one per row)."""
    if "hlc" in tx.memo:
        _save_hlc(tx, tx.memo["hlc"])


def observe(tx: Tx, remote: str) -> None:
    """Move our clock past a remote stamp so our next local write orders after what we have seen."""
    state = _load_hlc(tx)
    ms, counter = parse_hlc(remote)
    if counter > MAX_COUNTER:  # a stamp from an older release: carry into milliseconds
        ms, counter = ms + counter // (MAX_COUNTER + 1), counter % (MAX_COUNTER + 1)
    if (ms, counter) > (state[0], state[1]):
        state[0], state[1] = ms, counter
        _save_hlc(tx, state)


def digest(op_id: str, hlc: str, table: str, row_id: str, kind: str, changes: str, at: str, by: str) -> str:
    """The hash of one entry's content (`changes` as stored: canonical JSON). Not its workstation or number,
    which a restored or copied database may give it anew (sync._fork, sync._close_gaps)."""
    # fields joined by the unit separator, which none of them holds (JSON escapes it, the others are ids,
    # stamps and logins): unambiguous, and a third of the cost of a JSON list on every write
    return hashlib.sha256("\x1f".join((op_id, hlc, table, row_id, kind, changes, at, by)).encode()).hexdigest()


def link(previous: str, entry_digest: str) -> str:
    """An entry's link in its workstation's hash chain: over the link before it and its own digest."""
    return hashlib.sha256(f"{previous}\n{entry_digest}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainEnd:
    """The last entry of a workstation's numbered, hash-linked sequence (the change log's, the access log's)."""
    seq: int
    chain: str | None

    @staticmethod
    def following(end: ChainEnd | None) -> tuple[int, str]:
        """The number of the entry after `end` and the link it chains from (the first entry: 1, '')."""
        return (end.seq + 1, end.chain or "") if end else (1, "")


def log(tx: Tx, table: str, row_id: str, kind: str, changes: dict[str, list[Any]]) -> str:
    """Append one entry, numbered in this workstation's sequence and linked into its hash chain (tamper
    evidence for the change log itself, checked by store.tamper here and wherever the entry arrives)."""
    hlc = tick(tx)
    # the next number is read from the log itself (the unique index answers it): a number kept in memory
    # would survive a savepoint rolled back under it (a refused import row) and leave a hole
    op_id, body = new_id(), json.dumps(changes, ensure_ascii=False, sort_keys=True)
    at = time.strftime("%Y-%m-%dT%H:%M:%S")
    # (a bulk chunk remembers the entry it wrote last instead: `Tx.forget` drops it on a rollback)
    end = tx.memo.get("chain end") if tx.bulk else None
    if end is None:
        end = rows.first(ChainEnd, run(
            tx.conn, "SELECT ws_seq AS seq, chain FROM change_log WHERE workstation_id = ? ORDER BY ws_seq DESC LIMIT 1",
            (tx.workstation_id,)))
    seq, previous = ChainEnd.following(end)
    entry_digest = digest(op_id, hlc, table, row_id, kind, body, at, tx.login)
    chain = link(previous, entry_digest)
    run(tx.conn,
        "INSERT INTO change_log (op_id, workstation_id, ws_seq, hlc, tbl, row_id, kind, changes, at, by, digest, chain)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (op_id, tx.workstation_id, seq, hlc, table, row_id, kind, body, at, tx.login, entry_digest, chain))
    if tx.bulk:
        tx.memo["chain end"] = ChainEnd(seq, chain)
    return hlc


class PastLog:
    """Entries for what happened before this database was made (the demo's history), written in bulk
    through a DB-API cursor inside the caller's transaction: each one stamped with the time it happened,
    numbered in this workstation's sequence and linked into its chain exactly as `log` does, so that they
    read, merge, sync and check like work done here. `extend` takes (at, by, table, row id, changes)
    in the order they happened; `write` inserts what is pending; `finish` moves the clock past them."""

    def __init__(self, cur: Any, workstation_id: str, rng: random.Random) -> None:
        self.cur, self.workstation_id, self.rng = cur, workstation_id, rng
        last = rows.first(ChainEnd, cur.execute("SELECT ws_seq AS seq, chain FROM change_log WHERE workstation_id = ?"
                                                " ORDER BY ws_seq DESC LIMIT 1", (workstation_id,)))
        self.seq: int = last.seq if last else 0
        self.chain: str = (last.chain or "") if last else ""
        self.clock = (0, 0)
        self.pending: list[tuple] = []
        self._epoch_ms: dict[str, int] = {}

    def _ms(self, at: str) -> int:
        day, clock_time = at[:10], at[11:19]
        base = self._epoch_ms.get(day)
        if base is None:
            base = self._epoch_ms[day] = int(time.mktime(time.strptime(day, "%Y-%m-%d")) * 1000)
        h, m, s = (int(x) for x in clock_time.split(":"))
        return base + ((h * 60 + m) * 60 + s) * 1000

    def extend(self, entries: list[tuple[str, str, str, str, dict[str, list[Any]]]]) -> None:
        for at, by, table, row_id, changed in entries:
            self.seq += 1
            ms = self._ms(at)
            hlc = format_hlc(ms, self.seq % (MAX_COUNTER + 1), self.workstation_id)
            self.clock = max(self.clock, (ms, self.seq % (MAX_COUNTER + 1)))
            op_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            body = json.dumps(changed, ensure_ascii=False, sort_keys=True)
            entry_digest = digest(op_id, hlc, table, row_id, "upsert", body, at, by)
            self.chain = link(self.chain, entry_digest)
            self.pending.append((op_id, self.workstation_id, self.seq, hlc, table, row_id, "upsert", body, at, by,
                                 entry_digest, self.chain))

    def write(self) -> None:
        self.cur.executemany(
            "INSERT INTO change_log (op_id, workstation_id, ws_seq, hlc, tbl, row_id, kind, changes, at, by, digest,"
            " chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.pending)
        self.pending.clear()

    def finish(self) -> None:
        self.write()
        self.cur.execute("INSERT INTO setting (key, value) VALUES ('hlc', ?)"
                         " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (f"{self.clock[0]}:{self.clock[1]}",))


def upsert(tx: Tx, table: str, row_id: str, values: dict[str, Any], *, absent: bool = False) -> dict[str, list[Any]]:
    """Insert or update one row and log the changed fields; return {field: [old, new]} (empty: no change).
    `absent`: the caller has just read, in this transaction, that the row is not there (a new mark): it is
    inserted without reading it again (were it there after all, the insert fails on its key, loudly)."""
    pk = SYNCED[table]
    cols = [c for c in values if c != pk]
    current = None if absent else run(tx.conn, f"SELECT {', '.join(cols) if cols else pk} FROM {table} WHERE {pk} = ?",
                                      (row_id,)).fetchone()
    if current is None:
        run(tx.conn, f"INSERT INTO {table} ({pk}{''.join(', ' + c for c in cols)}) VALUES (?{', ?' * len(cols)})",
            (row_id, *(values[c] for c in cols)))
        changes = {c: [None, values[c]] for c in cols}
    else:
        changes = {c: [old, values[c]] for c, old in zip(cols, current) if old != values[c]}
        if not changes:
            return {}
        run(tx.conn, f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in changes)} WHERE {pk} = ?",
            (*(values[c] for c in changes), row_id))
    log(tx, table, row_id, "upsert", changes)
    return changes


def insert(tx: Tx, table: str, values: dict[str, Any]) -> str:
    """Insert a new row with a fresh UUID (or the given id); return the id."""
    pk = SYNCED[table]
    row_id = values.get(pk) or new_id()
    upsert(tx, table, row_id, {k: v for k, v in values.items() if k != pk})
    return row_id


def delete(tx: Tx, table: str, row_id: str) -> dict[str, Any] | None:
    """Delete one row, logging its last values (the tombstone); return them, or None if absent."""
    pk = SYNCED[table]
    result = tx.conn.exec_driver_sql(f"SELECT * FROM {table} WHERE {pk} = ?", (row_id,))
    row = result.mappings().first()
    if row is None:
        return None
    old = {k: v for k, v in row.items() if k != pk and k not in GENERATED.get(table, ())}
    tx.conn.exec_driver_sql(f"DELETE FROM {table} WHERE {pk} = ?", (row_id,))
    log(tx, table, row_id, "delete", {k: [v, None] for k, v in old.items()})
    return old


def purge(tx: Tx, table: str, row_id: str) -> None:
    """Delete one row for good (gallring): the tombstone carries no values, so no personal data travels."""
    pk = SYNCED[table]
    if tx.conn.exec_driver_sql(f"DELETE FROM {table} WHERE {pk} = ?", (row_id,)).rowcount:
        log(tx, table, row_id, "delete", {})
