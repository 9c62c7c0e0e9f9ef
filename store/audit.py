"""The access log (Lag 2001:454): every read of a case, every search and export, with the reason.

Audit rows are append-only: triggers in the schema refuse UPDATE and DELETE, and they travel to other
workstations through the change log like any other row.
"""
from __future__ import annotations

from dataclasses import dataclass

from store import changes, clock
from store.db import Database, Tx


@dataclass(frozen=True)
class AuditEvent:
    id: str
    at: str
    user_login: str
    action: str
    participant_id: str | None
    reason: str
    detail: str


def record(tx: Tx, action: str, participant_id: str | None = None, reason: str = "", detail: str = "") -> str:
    return changes.insert(tx, "audit_event", {
        "at": clock.now().isoformat(), "user_login": tx.login, "action": action,
        "participant_id": participant_id, "reason": reason, "detail": detail[:500]})


def write(db: Database, login: str, action: str, participant_id: str | None = None, reason: str = "",
          detail: str = "") -> str:
    with db.write(login) as tx:
        return record(tx, action, participant_id, reason, detail)


def events(db: Database, actor: str, *, user: str | None = None, participant_id: str | None = None,
           since: str | None = None, until: str | None = None, outside_only: bool = False,
           limit: int = 1000) -> list[AuditEvent]:
    """The access log for review (administrators only), newest first."""
    from store import access

    where, params = [], []
    if outside_only:
        where.append("detail = 'outside caseload'")
    if user:
        where.append("user_login = ?")
        params.append(user)
    if participant_id:
        where.append("participant_id = ?")
        params.append(participant_id)
    if since:
        where.append("at >= ?")
        params.append(since)
    if until:
        where.append("at < ?")
        params.append(until)
    sql = "SELECT id, at, user_login, action, participant_id, reason, detail FROM audit_event"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY at DESC, id LIMIT ?"
    with db.read() as conn:
        access.require(conn, actor, access.ADMIN)
        return [AuditEvent(*row) for row in conn.exec_driver_sql(sql, (*params, limit))]
