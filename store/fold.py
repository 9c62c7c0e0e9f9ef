"""The fold: how a row's change-log entries make the row, the same on every workstation.

Every op seen for a row, (hlc, workstation, kind, changes, by), is replayed in the one order of ops
(`changes.op_order`): per field the last writer wins; a delete ends the row unless a field it did not see
was set meanwhile (an edit it had not seen revives the row); a milestone's status never moves back unless
the op was an explicit correction. The merge (`store.merge`, `store.snapshot`) and the access rules'
check of the users' rows (`store.tamper`) both fold with this one function; it imports only the change
log and the table list, so neither has to import the other.
"""
from __future__ import annotations

from typing import Any

from store import changes
from store.tables import ONE_OF

# a milestone's statuses, the way forward (store.milestones.RANK is the same order)
RANK = {status: rank for rank, status in enumerate(ONE_OF["milestone"]["status"])}

# Rows that name a session since schema 10; ops from before name only the activity (whose own session
# has the activity's id).
SESSION_CHILDREN = ("attendance", "session_cancel", "enrolment")


def fold(table: str, ops: list[tuple]) -> tuple[dict[str, Any] | None, dict[str, tuple]]:
    """Replay (hlc, ws, kind, changes, by) in HLC order; return the row's values (None: deleted) and,
    per field, the op that set the winning value."""
    values: dict[str, Any] = {}
    setter: dict[str, tuple] = {}
    exists = False
    for op in in_order(ops):
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
                correction = RANK.get(old, -1) > RANK.get(new, -1)
                if not correction and RANK.get(new, -1) < RANK.get(values[f], -1):
                    continue  # a status never moves back through a merge, only by an explicit correction
            values[f] = new
            setter[f] = op
        exists = True
    if table in SESSION_CHILDREN and values.get("session_id") is None and "activity_id" in values:
        values["session_id"] = values["activity_id"]  # written before sessions existed: the activity's own
    return (values if exists else None), setter


def in_order(ops: list[tuple]) -> list[tuple]:
    """`ops` in `changes.op_order`: by stamp and workstation, the content compared only when two ops share
    both (it costs a JSON text per op; a row's ops almost never tie)."""
    if len(ops) < 2:
        return ops
    quick = sorted(ops, key=lambda op: (changes.hlc_key(op[0]), op[1] or ""))
    for a, b in zip(quick, quick[1:]):
        if a[0] == b[0] and (a[1] or "") == (b[1] or ""):
            return sorted(ops, key=changes.op_order)
    return quick
