"""The access log (Lag 2001:454): every read of a case, every search and export, with the reason.

Audit rows are append-only: triggers in the schema refuse UPDATE and DELETE, and they travel to other
workstations through the change log like any other row.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable
from typing import TYPE_CHECKING

from store import changes, clock, rows

if TYPE_CHECKING:  # light at import: store.pins records wrong PINs here, before the app needs SQLAlchemy
    from store.db import Database
    from store.tx import Tx


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
    """Append one event, linked into this workstation's hash chain (store.tamper)."""
    from store import tamper

    event_id = changes.new_id()
    values = {"id": event_id, "at": clock.now().isoformat(), "user_login": tx.login, "action": action,
              "participant_id": participant_id, "reason": reason, "detail": detail[:500]}
    linked = {**values, **tamper.next_link(tx.conn, tx.workstation_id, values)}
    del linked["id"]
    # a fresh id names no event yet: inserted without reading for it first (a report writes thousands)
    changes.upsert(tx, "audit_event", event_id, linked, absent=True)
    return event_id


def record_many(tx: Tx, action: str, participant_ids: Iterable[str], reason: str = "", detail: str = "") -> int:
    """`record` once for each person (the whole programme's report: one event each, tens of thousands),
    in one transaction without savepoints: the access log's and the change log's last links are read once
    and carried on in memory, not read again for every event. Returns the number of events."""
    from store import tamper

    count, last = 0, None  # (seq, chain) of the event written last
    bulk, tx.bulk = tx.bulk, True  # changes.log keeps the change log's last entry in tx.memo meanwhile
    tx.memo.pop("chain end", None)
    try:
        for participant_id in participant_ids:
            event_id = changes.new_id()
            values = {"id": event_id, "at": clock.now().isoformat(), "user_login": tx.login, "action": action,
                      "participant_id": participant_id, "reason": reason, "detail": detail[:500]}
            chained = (tamper.next_link(tx.conn, tx.workstation_id, values) if last is None else
                       {"ws": tx.workstation_id, "seq": last[0] + 1, "chain": tamper.link(last[1], values)})
            last = (chained["seq"], chained["chain"])
            linked = {**values, **chained}
            del linked["id"]
            changes.upsert(tx, "audit_event", event_id, linked, absent=True)
            count += 1
    finally:
        tx.bulk = bulk
        if not bulk:
            tx.memo.pop("chain end", None)
    return count


def refused(db: Database, login: str, error: Exception) -> None:
    """Log a refused attempt (an access rule said no), so the access review sees tries as well as reads.
    Wrong PINs are logged where they are counted (`pins.unlock`). Never raises: a refusal stays one."""
    from store.access import AccessDenied

    key = getattr(error, "key", "")
    if not isinstance(error, AccessDenied) or key.startswith("pin.") or key == "acc.reason_required":  # the reason dialog is the normal way in
        return
    try:
        write(db, login, "refused", detail=f"{key}: {error}")
    except Exception:  # noqa: BLE001 -- a read-only or busy database must not hide the refusal itself
        pass


def write(db: Database, login: str, action: str, participant_id: str | None = None, reason: str = "",
          detail: str = "") -> str:
    with db.write(login) as tx:
        return record(tx, action, participant_id, reason, detail)


@dataclass(frozen=True)
class AuditFilter:
    """What an administrator narrows the access log to; every part optional."""

    user: str = ""  # a login
    case: str = ""  # a personnummer/samordningsnummer in any format, or an internal id
    since: str = ""  # YYYY-MM-DD, inclusive
    until: str = ""  # YYYY-MM-DD, inclusive
    outside_only: bool = False  # only views of cases outside the viewer's own caseload

    def sql(self, conn) -> tuple[str, list]:  # noqa: ANN001
        """A WHERE clause over audit_event (alias e); refuses a bad date or an unknown case clearly."""
        import datetime as dt

        from store import identity, validate

        where, params = [], []
        if self.user.strip():
            where.append("e.user_login = ?")
            params.append(validate.text(self.user, "login", max_len=64))
        if self.case.strip():
            case = validate.text(self.case, "case", max_len=64)
            pid = None
            if identity.looks_like_number(case):
                number = identity.parse(case)
                pid = conn.exec_driver_sql("SELECT id FROM participant WHERE personnummer = ?",
                                           (number.canonical,)).scalar()
            # a gallrad case is gone from participant but its internal id stays in the log
            where.append("e.participant_id = ?")
            params.append(pid or case)
        if self.since.strip():
            where.append("e.at >= ?")
            params.append(validate.date(self.since).isoformat())
        if self.until.strip():
            where.append("e.at < ?")
            params.append((validate.date(self.until) + dt.timedelta(days=1)).isoformat())
        if self.outside_only:
            where.append("e.detail = 'outside caseload'")
        return (" WHERE " + " AND ".join(where)) if where else "", params


@dataclass(frozen=True)
class ReviewRow:
    at: str
    user_login: str
    user_name: str
    action: str
    participant_id: str | None
    participant: str  # "Surname, First (number)" or "" or "(gallrad)"
    reason: str
    detail: str


def review(db: Database, actor: str, flt: AuditFilter, *, limit: int = 2000) -> list[ReviewRow]:
    """The access log for an administrator's review, newest first, with who and whose case."""
    from store import access, identity

    with db.read() as conn:
        access.require(conn, actor, access.ADMIN)
        where, params = flt.sql(conn)
        found = conn.exec_driver_sql(
            "SELECT e.at, e.user_login, coalesce(c.name, '') AS user_name, e.action, e.participant_id,"
            " p.id AS person, p.last_name || ', ' || p.first_name AS person_name, p.personnummer, p.protected,"
            " e.reason, e.detail"
            " FROM audit_event e LEFT JOIN caseworker c ON c.login = e.user_login"
            " LEFT JOIN participant p ON p.id = e.participant_id" + where +
            " ORDER BY e.at DESC, e.id LIMIT ?", (*params, limit)).all()
    result = []
    for r in found:
        if r.participant_id and r.person is None:
            who = "(gallrad)"
        elif r.participant_id:
            who = (f"{r.person_name} ({identity.shown(r.personnummer, bool(r.protected))})" if r.personnummer
                   else r.person_name)
        else:
            who = ""
        result.append(rows.named(ReviewRow, r, participant=who))
    return result


def events(db: Database, actor: str, *, user: str | None = None, participant_id: str | None = None,
           since: str | None = None, until: str | None = None, limit: int = 1000) -> list[AuditEvent]:
    """The access log for review (administrators only), newest first."""
    from store import access

    where, params = [], []
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
    sql = f"SELECT {rows.columns(AuditEvent)} FROM audit_event"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY at DESC, id LIMIT ?"
    with db.read() as conn:
        access.require(conn, actor, access.ADMIN)
        return [rows.named(AuditEvent, row) for row in conn.exec_driver_sql(sql, (*params, limit))]
