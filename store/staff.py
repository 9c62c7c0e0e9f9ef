"""Caseworkers (users): who they are, their role, their login."""
from __future__ import annotations

from dataclasses import dataclass

from store import changes, validate
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
