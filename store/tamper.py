"""Tamper evidence for the access log: a hash chain per workstation, the append-only triggers kept.

Every audit event a workstation writes carries that workstation's id, its own sequence number and a
SHA-256 link over the previous link and the event's fields. The three travel with the row through the
ordinary change log, so every workstation holds every chain and checks it: when a database is opened
and after every sync. An event edited after it was written (triggers dropped with the sqlite3 shell,
row and change-log entry changed) no longer matches its link, here and on every workstation it
reaches; the finding is kept and shown by `arena sync --status` and on F5 for administrators. A missing
append-only trigger is put back when the database is opened, and that is recorded too.

The change log itself is chained the same way (store.changes.log): every entry carries the digest of
its content and a link over the link before it on its workstation, and travels with both in the ops
files and snapshots. Each workstation checks every origin's chain as entries arrive (and at open):
an entry whose content no longer matches its digest, or whose link does not follow, is flagged, kept
(it is what arrived) and reported with the access log's findings. Triggers keep an entry from being
deleted or changed but for what the sync and gallring do by design (LOG_TRIGGERS).

What this does not do: someone who can run the sqlite3 shell on a workstation can also recompute a
chain of events and entries that have not left the workstation yet; what was already synced keeps
its original links everywhere else. Must not import textual or rich.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from store import changes, clock, rows, settings
from store.fold import fold
from store.tx import run

FIELDS = ("id", "at", "user_login", "action", "participant_id", "reason", "detail")
AUDIT_TRIGGERS = {
    "audit_event_no_update": "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event"
                             " BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "audit_event_no_delete": "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event"
                             " BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
}

# The change log: no entry deleted; its content never changed, except its values emptied by gallring
# (retention.redact); its link set anew only together with a new workstation identity (sync._fork).
LOG_TRIGGERS = {
    "change_log_no_delete": "CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log"
                            " BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END",
    "change_log_no_update": "CREATE TRIGGER change_log_no_update BEFORE UPDATE OF op_id, hlc, tbl, row_id, kind,"
                            " at, \"by\", digest ON change_log"
                            " BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END",
    "change_log_no_edit": "CREATE TRIGGER change_log_no_edit BEFORE UPDATE OF changes ON change_log"
                          " WHEN NEW.changes != '{}'"
                          " BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END",
    "change_log_no_relink": "CREATE TRIGGER change_log_no_relink BEFORE UPDATE OF chain ON change_log"
                            " WHEN NEW.workstation_id IS OLD.workstation_id"
                            " BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END",
}
TRIGGERS = {**AUDIT_TRIGGERS, **LOG_TRIGGERS}


def link(previous: str, values: dict) -> str:
    body = json.dumps([values.get(f) for f in FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def next_link(conn: Connection, workstation_id: str, values: dict) -> dict:
    """The chain fields of a new event of this workstation (inside the writing transaction)."""
    seq, previous = changes.ChainEnd.following(rows.first(changes.ChainEnd, run(
        conn, "SELECT seq, chain FROM audit_event WHERE ws = ? ORDER BY seq DESC LIMIT 1", (workstation_id,))))
    return {"ws": workstation_id, "seq": seq, "chain": link(previous, values)}


@dataclass(frozen=True)
class Finding:
    workstation: str
    seq: int
    event_id: str
    user_login: str
    at: str


def _resume(conn: Connection, table: str, ws: str, seq: str,
            since: dict[str, list] | None) -> tuple[dict[str, tuple[int, str]], str, list]:
    """Where a check of a hash chain picks up: the last links of an earlier check (`since`) that are still
    what they were, a condition leaving out the entries up to them ('' when there are none), its params."""
    previous: dict[str, tuple[int, str]] = {}
    for station, (number, chain) in (since or {}).items():
        now = rows.scalar(run(conn, f"SELECT chain FROM {table} WHERE {ws} = ? AND {seq} = ?", (station, number)))
        if now is not None and now == chain:
            previous[station] = (number, chain)
    if not previous:
        return previous, "", []
    after = "NOT (" + " OR ".join(f"({ws} = ? AND {seq} <= ?)" for _ in previous) + ")"
    return previous, after, [v for station, (number, _) in previous.items() for v in (station, number)]


def verify(conn: Connection, since: dict[str, list] | None = None) -> tuple[list[Finding], dict[str, list]]:
    """Every event whose link does not follow from the one before it on its workstation's chain, and the
    last link checked per workstation. `since` (those last links from an earlier check) checks only what
    came after them, provided each is still what it was. A gap in a chain (events not received yet) is
    not a break: checking that chain resumes after it."""
    broken: list[Finding] = []
    previous, after, params = _resume(conn, "audit_event", "ws", "seq", since)
    # every entry since the last check, straight from the driver and unpacked in the order of the SELECT
    # written here (the check's hot path: an object per entry would cost seconds on a large log)
    entries = run(conn, "SELECT ws, seq, chain, " + ", ".join(FIELDS) + " FROM audit_event WHERE ws IS NOT NULL"
                     + (f" AND {after}" if after else "") + " ORDER BY ws, seq", params)
    for ws, seq, chain, *values in entries:
        row = dict(zip(FIELDS, values))
        seen = previous.get(ws)
        if seq == 1:
            before = ""
        elif seen is not None and seen[0] == seq - 1:
            before = seen[1]
        else:  # a gap: cannot judge this one, take its link as given
            previous[ws] = (seq, chain)
            continue
        if chain != link(before, row):
            broken.append(Finding(ws, seq, row["id"], row["user_login"], row["at"]))
        previous[ws] = (seq, chain)
    return broken, {ws: [seq, chain] for ws, (seq, chain) in previous.items()}


@dataclass(frozen=True)
class LogFinding:
    workstation: str
    seq: int
    op_id: str
    table: str
    by: str
    at: str


def verify_log(conn: Connection, since: dict[str, list] | None = None, *,
               limit: int | None = None) -> tuple[list[LogFinding], dict[str, list], int]:
    """Every change-log entry whose content does not match its digest or whose link does not follow from
    the one before it on its workstation's chain, and the last link checked per workstation (`since`, as
    for `verify`). Not judged: entries from before the chain (none), the first after a gap (a snapshot
    leaves out entries gallring emptied; a peer's entries not received yet), and the digest of an entry
    whose values gallring emptied (its link still counts). With `limit`: at most that many entries (the
    oldest not yet checked), for an ordinary open. Third: how many entries were checked."""
    broken: list[LogFinding] = []
    previous, after, params = _resume(conn, "change_log", "workstation_id", "ws_seq", since)
    # every entry since the last check, straight from the driver and unpacked in the order of the SELECT
    # written here (the check's hot path: an object per entry would cost seconds on a large log)
    entries = run(conn, "SELECT workstation_id, ws_seq, digest, chain, op_id, hlc, tbl, row_id, kind, changes, at, by"
                        " FROM change_log" + (f" WHERE {after}" if after else "") + " ORDER BY workstation_id, ws_seq"
                        + ("" if limit is None else f" LIMIT {int(limit)}"), params)
    count = 0
    for ws, seq, entry_digest, chain, op_id, hlc, table, row_id, kind, body, at, by in entries:
        count += 1
        if chain is None:
            if ws in previous:  # an entry without a link after linked ones: slipped in past the chain
                broken.append(LogFinding(ws, seq, op_id, table, by, at))
            continue  # written before the chain: nothing to judge, nothing to follow on from
        seen = previous.get(ws)
        forged = body != "{}" and changes.digest(op_id, hlc, table, row_id, kind, body, at, by) != entry_digest
        if seq == 1:
            forged = forged or chain != changes.link("", entry_digest or "")
        elif seen is not None and seen[0] == seq - 1:
            forged = forged or chain != changes.link(seen[1], entry_digest or "")
        if forged:
            broken.append(LogFinding(ws, seq, op_id, table, by, at))
        previous[ws] = (seq, chain)
    return broken, {ws: [seq, chain] for ws, (seq, chain) in previous.items()}, count


def restore_triggers(conn: Connection) -> list[str]:
    """Put back any append-only trigger someone dropped; return the names restored."""
    present = {name for (name,) in run(conn, "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    restored = []
    for name, ddl in TRIGGERS.items():
        if name not in present:
            conn.exec_driver_sql(ddl)
            restored.append(name)
    return restored


def users_from_log(conn: Connection) -> list[str]:
    """The users whose row differs from what their change-log entries make it – a role, a PIN hash, an
    active flag changed with the sqlite3 shell, past the change log – put back as the log has them;
    returns their logins. Who may do what is decided by this table, so it never stays forged until the
    next sync. A row with no entries at all (a demo or an old database wrote them directly) is not judged;
    nor is one whose entries wait for a parent (sync_pending)."""
    from sqlalchemy.exc import IntegrityError

    waiting = ({json.dumps(["caseworker", cid]) for cid in conn.exec_driver_sql("SELECT id FROM caseworker").scalars()}
               & set(conn.exec_driver_sql("SELECT payload FROM sync_pending").scalars()))
    repaired = []
    for row in conn.exec_driver_sql("SELECT * FROM caseworker").mappings().all():
        if json.dumps(["caseworker", row["id"]]) in waiting:
            continue
        entries = run(conn, "SELECT op_id, hlc, workstation_id, kind, changes, at, by, digest FROM change_log"
                            " WHERE tbl = 'caseworker' AND row_id = ?", (row["id"],)).fetchall()
        if not entries:
            continue
        ops = [(h, ws, k, json.loads(c), by) for op_id, h, ws, k, c, at, by, d in entries
               if d is None or c == "{}" or changes.digest(op_id, h, "caseworker", row["id"], k, c, at, by) == d]
        logged = fold("caseworker", ops)[0]  # the user's row as its entries make it (the merge's fold)
        if (logged is None and any(op[2] == "delete" for op in ops)) or len(ops) < len(entries):
            # deleted in its log, or an entry of this user edited with the shell: what the user may do
            # cannot be trusted, so the user acts as nobody here until an administrator sorts it out
            logged = {**(logged or {}), "active": 0}
        if logged is None:
            continue
        diff = {c: v for c, v in logged.items() if c in row and row[c] != v}
        if not diff:
            continue
        savepoint = conn.begin_nested()
        try:
            run(conn, f"UPDATE caseworker SET {', '.join(f'{c} = ?' for c in diff)} WHERE id = ?",
                (*diff.values(), row["id"]))
        except IntegrityError:
            savepoint.rollback()
            continue
        savepoint.commit()
        repaired.append(str(row["login"]))
    return repaired


# An ordinary open checks at most this many change-log entries past the last check (about a second on a
# loaded machine): after an import of a million rows every open would otherwise verify them all again
# (minutes) until the next sync, which checks every one.
OPEN_LOG_LIMIT = 20_000


def check(conn: Connection, *, full: bool = True, full_log: bool = False, log: bool = True) -> list[Finding]:
    """Restore the triggers, verify the chains and remember the result (a local setting) for the status
    line; inside a write transaction. Opening a database checks what came since the last check (it
    stays fast with years of events), and every event when a trigger had been dropped (the way to edit
    one); every sync checks every chain from the start. With `log=False` the change log's entries are
    left for `check_log` (the app's start: after its first screen is drawn); a dropped trigger still has
    them all checked here."""
    restored = restore_triggers(conn)
    full = full or bool(restored)  # someone dropped the triggers to change events: check every one
    old = settings.read(conn, "tamper") or "{}"
    state = json.loads(old)
    found, state["verified"] = verify(conn, None if full else state.get("verified"))
    known = [] if full else [Finding(**f) for f in state.get("broken", [])]
    broken = known + [f for f in found if f not in known]
    if log or restored or full_log:
        _check_log(conn, state, whole=bool(restored) or full_log, full=full)
    if restored:
        state["triggers"] = {"at": clock.now().isoformat(timespec="seconds"), "names": restored}
    users = users_from_log(conn)
    if users:
        state["users"] = {"at": clock.now().isoformat(timespec="seconds"),
                          "logins": sorted(set(state.get("users", {}).get("logins", [])) | set(users))}
    state["broken"] = [f.__dict__ for f in broken]
    _remember(conn, old, state)
    return broken


def check_log(conn: Connection) -> list[LogFinding]:
    """The change log's part of an ordinary open's `check` (what came since the last check, at most
    OPEN_LOG_LIMIT entries), on its own: the app runs it once its first screen is drawn. Inside a write
    transaction; returns every finding kept."""
    old = settings.read(conn, "tamper") or "{}"
    state = json.loads(old)
    _check_log(conn, state, whole=False, full=False)
    _remember(conn, old, state)
    return [LogFinding(**f) for f in state.get("log_broken", [])]


def _check_log(conn: Connection, state: dict[str, Any], *, whole: bool, full: bool) -> None:
    """The change log (millions of entries) into `state`: every entry when a trigger had been dropped
    (`whole`: the way to edit one); at a sync (`full`) what came since the last check (what arrived is
    new, so it is checked); at an ordinary open also what came since the last check (a day's work when
    the nightly sync runs; at most OPEN_LOG_LIMIT entries, the oldest first). An open moves the mark on
    only when it checked a whole OPEN_LOG_LIMIT (after a big import), so the next open goes on from
    there instead of checking the same entries again: otherwise opening writes nothing. The mark is the
    last link checked on each chain, taken up again only while that link is unchanged (`_resume`),
    exactly as a sync's mark: it is kept in the same setting, and whoever could move it there could move
    the sync's mark already. The write it takes is the upgrade of this read, which never waits: busy (an
    import is writing) it is not made (`store.db._check_tamper`), and a later open goes on from the old
    mark."""
    limit = None if whole or full else OPEN_LOG_LIMIT
    found_log, checked, count = verify_log(conn, None if whole else state.get("log_verified"), limit=limit)
    if whole or full or (limit is not None and count >= limit):
        state["log_verified"] = checked
    known_log = [] if whole else [LogFinding(**f) for f in state.get("log_broken", [])]
    state["log_broken"] = [f.__dict__ for f in known_log + [f for f in found_log if f not in known_log]]


def _remember(conn: Connection, old: str, state: dict[str, Any]) -> None:
    state = {k: v for k, v in state.items() if v}  # nothing found and nothing to resume from: stays empty
    new = json.dumps(state, ensure_ascii=False, sort_keys=True)
    if new != json.dumps(json.loads(old), ensure_ascii=False, sort_keys=True):
        settings.write(conn, "tamper", new)  # written only when something changed: opening writes nothing


@dataclass(frozen=True)
class State:
    broken: list[Finding]
    triggers_restored_at: str  # "" when no trigger was ever missing
    log_broken: list[LogFinding] = field(default_factory=list)
    users_restored: list[str] = field(default_factory=list)  # users whose row was put back from the log
    users_restored_at: str = ""

    @property
    def clean(self) -> bool:
        return not self.broken and not self.triggers_restored_at and not self.log_broken and not self.users_restored


def describe(found: "State") -> list[str]:
    from store.i18n import t

    out = []
    if found.triggers_restored_at:
        out.append(t("tamper.triggers", at=found.triggers_restored_at[:16].replace("T", " ")))
    if found.broken:
        out.append(t("tamper.broken", n=len(found.broken), who=found.broken[0].user_login, at=found.broken[0].at[:16]))
    if found.users_restored:
        out.append(t("tamper.users", logins=", ".join(found.users_restored),
                     at=found.users_restored_at[:16].replace("T", " ")))
    if found.log_broken:
        first = found.log_broken[0]
        out.append(t("tamper.log_broken", n=len(found.log_broken), what=first.table, who=first.by,
                     at=first.at[:16].replace("T", " "), ws=first.workstation[:8]))
    return out


def evidence(db: Any) -> State:
    """What the checks last found (`arena sync --status`), read from the database `db`."""
    with db.read() as conn:
        return state(conn)


def state(conn: Connection) -> State:
    raw = json.loads(settings.read(conn, "tamper") or "{}")
    return State([Finding(**f) for f in raw.get("broken", [])], raw.get("triggers", {}).get("at", ""),
                 [LogFinding(**f) for f in raw.get("log_broken", [])], raw.get("users", {}).get("logins", []),
                 raw.get("users", {}).get("at", ""))
