"""Caseworkers (users): who they are, their role, their login."""
from __future__ import annotations

from dataclasses import dataclass

from store import changes, settings, validate
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
    login = validate.text(login, "login", max_len=64, required=True)
    name = validate.text(name, "namn", max_len=120, required=True)
    if role not in ROLES:
        raise ArenaError("cli.bad_usage", detail=f"role {role!r}")
    return changes.insert(tx, "caseworker", {"login": login, "name": name, "role": role,
                                             "site": validate.text(site, "site"), "active": 1})


def create(db: Database, actor: str, login: str, name: str, role: str = "caseworker", site: str = "") -> Caseworker:
    with db.write(actor) as tx:
        existing = tx.conn.exec_driver_sql("SELECT id FROM caseworker WHERE login = ?", (login,)).first()
        row_id = existing[0] if existing else create_in(tx, login, name, role, site)
    found = by_login(db, login)
    assert found is not None and found.id == row_id
    return found


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
