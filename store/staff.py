"""Caseworkers (users): who they are, their role, their login."""
from __future__ import annotations

from dataclasses import dataclass

from store import access, audit, changes, clock, settings, validate
from store.db import Database, Tx
from store.i18n import ArenaError

ROLES = ("caseworker", "leader", "admin")


@dataclass(frozen=True)
class Caseworker:
    id: str
    login: str
    name: str
    role: str
    site: str


_COLS = "id, login, name, role, site"


def by_login(db: Database, login: str) -> Caseworker | None:
    with db.read() as conn:
        row = conn.exec_driver_sql(f"SELECT {_COLS} FROM caseworker WHERE login = ? AND active = 1",
                                   (login,)).first()
    return Caseworker(*row) if row else None


def all_caseworkers(db: Database) -> list[Caseworker]:
    with db.read() as conn:
        return [Caseworker(*r) for r in conn.exec_driver_sql(
            f"SELECT {_COLS} FROM caseworker WHERE active = 1 ORDER BY name")]


def create_in(tx: Tx, login: str, name: str, role: str = "caseworker", site: str = "") -> str:
    access.require(tx.conn, tx.login, access.ADMIN)
    login = validate.login(login)
    name = validate.text(name, "namn", max_len=120, required=True)
    if role not in ROLES:
        raise ArenaError("user.bad_role", value=role, roles=", ".join(ROLES))
    return changes.insert(tx, "caseworker", {"login": login, "name": name, "role": role,
                                             "site": validate.text(site, "site"), "active": 1})


def create(db: Database, actor: str, login: str, name: str, role: str = "caseworker", site: str = "") -> Caseworker:
    with db.write(actor) as tx:
        access.require(tx.conn, actor, access.ADMIN)
        existing = tx.conn.exec_driver_sql("SELECT id FROM caseworker WHERE login = ?", (login,)).first()
        if existing:
            raise ArenaError("user.exists", login=login)
        row_id = create_in(tx, login, name, role, site)
    found = by_login(db, login)
    assert found is not None and found.id == row_id
    return found


def set_role(db: Database, actor: str, login: str, role: str) -> None:
    if role not in ROLES:
        raise ArenaError("user.bad_role", value=role, roles=", ".join(ROLES))
    with db.write(actor) as tx:
        access.require(tx.conn, actor, access.ADMIN)
        if login == actor:  # an administrator cannot demote themselves and leave nobody to undo it
            raise ArenaError("user.not_self")
        changes.upsert(tx, "caseworker", _id_of(tx, login), {"role": role})
        audit.record(tx, "user_role", detail=f"{login}: {role}")


def deactivate(db: Database, actor: str, login: str) -> None:
    """A user who leaves keeps their name on what they recorded but can no longer log in."""
    with db.write(actor) as tx:
        access.require(tx.conn, actor, access.ADMIN)
        if login == actor:
            raise ArenaError("user.not_self")
        changes.upsert(tx, "caseworker", _id_of(tx, login), {"active": 0})
        audit.record(tx, "user_deactivated", detail=login)


def _id_of(tx: Tx, login: str) -> str:
    row = tx.conn.exec_driver_sql("SELECT id FROM caseworker WHERE login = ?", (login,)).first()
    if row is None:
        raise ArenaError("acc.unknown_user", login=login)
    return row[0]


# ------------------------------------------------------------------------------------------------- PIN

def has_pin(db: Database, login: str) -> bool:
    with db.read() as conn:
        return bool(conn.exec_driver_sql("SELECT pin_hash FROM caseworker WHERE login = ?", (login,)).scalar())


def set_pin(db: Database, login: str, new_pin: str, current_pin: str | None = None) -> None:
    """Choose or change one's own PIN; changing it needs the current one."""
    access.check_new_pin(new_pin)
    if has_pin(db, login):
        unlock(db, login, current_pin or "")
    hashed = access.hash_pin(new_pin)
    with db.write(login) as tx:
        changes.upsert(tx, "caseworker", _id_of(tx, login), {"pin_hash": hashed})
        audit.record(tx, "pin_set")


def reset_pin(db: Database, actor: str, login: str) -> None:
    """An administrator clears a forgotten PIN; the user chooses a new one at the next lock."""
    with db.write(actor) as tx:
        access.require(tx.conn, actor, access.ADMIN)
        changes.upsert(tx, "caseworker", _id_of(tx, login), {"pin_hash": None})
        access.clear_failures(tx.conn, login)
        audit.record(tx, "pin_reset", detail=login)


def unlock(db: Database, login: str, pin: str) -> None:
    """Check a PIN; wrong ones are counted and logged, and after too many the next try must wait."""
    with db.write(login) as tx:
        stored = tx.conn.exec_driver_sql("SELECT pin_hash FROM caseworker WHERE login = ? AND active = 1",
                                         (login,)).scalar()
        state = access.fail_state(tx.conn, login)
        now = clock.now()
        if state.blocked_until is not None and now < state.blocked_until:
            outcome = "blocked"
        elif stored and access.pin_matches(pin, stored):
            access.clear_failures(tx.conn, login)
            outcome = "ok"
        else:
            state = access.record_failure(tx.conn, login)
            audit.record(tx, "unlock_failed", detail=f"attempt {state.count}")
            outcome = "blocked" if state.blocked_until else "wrong"
    if outcome == "blocked":
        assert state.blocked_until is not None
        raise access.AccessDenied("pin.blocked", time=state.blocked_until.strftime("%H:%M"))
    if outcome == "wrong":
        raise access.AccessDenied("pin.wrong", left=access.MAX_FAILED - state.count)


def all_users(db: Database, actor: str) -> list[tuple[Caseworker, bool, bool]]:
    """Every user with (active, has a PIN), for the administrator."""
    with db.read() as conn:
        access.require(conn, actor, access.ADMIN)
        return [(Caseworker(*r[:5]), bool(r[5]), bool(r[6])) for r in conn.exec_driver_sql(
            f"SELECT {_COLS}, active, pin_hash IS NOT NULL FROM caseworker ORDER BY active DESC, name")]


def resolve(db: Database, os_login: str) -> Caseworker | None:
    """The caseworker for an OS login: the same login, or the one picked at first start on this station."""
    found = by_login(db, os_login)
    if found is not None:
        return found
    with db.read() as conn:
        mapped = settings.read(conn, f"login.{os_login}")
    return by_login(db, mapped) if mapped else None


def remember(db: Database, os_login: str, caseworker_login: str) -> None:
    """Map an OS login to a caseworker on this workstation (a local setting, never synced)."""
    with db.write(os_login) as tx:
        settings.write(tx.conn, f"login.{os_login}", caseworker_login)
