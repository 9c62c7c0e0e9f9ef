"""Caseworkers (users): who they are, their role, whom an OS login acts as; and the programme settings an
administrator changes (store.settings holds them and their defaults). Their PINs are store.pins'."""
from __future__ import annotations

from dataclasses import dataclass

from store import access, audit, changes, pins, rows, settings, validate
from store.db import Database, Tx
from store.i18n import ArenaError
from store.tables import ONE_OF

ROLES = ONE_OF["caseworker"]["role"]


@dataclass(frozen=True)
class Caseworker:
    id: str
    login: str
    name: str
    role: str
    site: str




def set_setting(db: Database, login: str, key: str, value: str) -> None:
    """An administrator sets a programme setting (a whole number); the change is in the access log."""
    if key not in settings.DEFAULTS:
        raise ArenaError("cli.bad_usage", detail=f"setting {key}")
    number = validate.number(value)
    low, high = settings.RANGE[key]
    if number != int(number) or not low <= number <= high:
        raise ArenaError("err.setting_range", setting=key, low=low, high=high)
    with db.write(login) as tx:
        access.require(tx.conn, login, access.ADMIN)
        settings.write(tx.conn, key, str(int(number)))
        audit.record(tx, "setting", detail=f"{key}={value}")


def by_login(db: Database, login: str) -> Caseworker | None:
    with db.read() as conn:
        row = conn.exec_driver_sql(f"SELECT {rows.columns(Caseworker)} FROM caseworker WHERE login = ? AND active = 1",
                                   (login,)).first()
    return rows.named(Caseworker, row) if row else None


def all_caseworkers(db: Database) -> list[Caseworker]:
    with db.read() as conn:
        return [rows.named(Caseworker, r) for r in conn.exec_driver_sql(
            f"SELECT {rows.columns(Caseworker)} FROM caseworker WHERE active = 1 ORDER BY name")]


def create_in(tx: Tx, login: str, name: str, role: str = "caseworker", site: str = "") -> str:
    access.require(tx.conn, tx.login, access.ADMIN)
    login = validate.login(login)
    name = validate.text(name, "name", max_len=120, required=True)
    if role not in ROLES:
        raise ArenaError("user.bad_role", value=role, roles=", ".join(ROLES))
    # a login differing only in case is the same person to whoever types it (and to Windows): one user
    taken = tx.conn.exec_driver_sql("SELECT login FROM caseworker WHERE lower(login) = lower(?)", (login,)).scalar()
    if taken is not None:
        raise ArenaError("user.exists", login=taken)
    return changes.insert(tx, "caseworker", {"login": login, "name": name, "role": role,
                                             "site": validate.text(site, "site"), "active": 1})


def create(db: Database, actor: str, login: str, name: str, role: str = "caseworker", site: str = "") -> Caseworker:
    with db.write(actor) as tx:
        row_id = create_in(tx, login, name, role, site)  # (refuses a login that exists, in any case)
    found = by_login(db, login)
    assert found is not None and found.id == row_id
    return found


def add(db: Database, actor: str, login: str, name: str, role: str = "caseworker", site: str = "") -> str:
    """A new user (administrators) without a PIN: returns the one-time setup code with which that user,
    and nobody else, chooses a PIN. On an empty database the actor is the first user being set up."""
    code, hashed = pins.new_setup_code()
    with db.write(actor) as tx:
        row_id = create_in(tx, login, name, role, site)  # (refuses a login that exists, in any case)
        changes.upsert(tx, "caseworker", row_id, {"pin_hash": hashed})
        audit.record(tx, "setup_code", detail=login)
    return code


def first_admin(db: Database, login: str, name: str, pin: str) -> Caseworker:
    """Make the first administrator of a new programme, with a PIN, in one transaction. Refused once the
    database has any user (the programme exists: a new workstation joins it with `arena sync`)."""
    login = validate.login(login)
    name = validate.text(name, "name", max_len=120, required=True)
    hashed = pins.hash_pin(pins.check_new_pin(pin))
    with db.write(login) as tx:
        if tx.conn.exec_driver_sql("SELECT 1 FROM caseworker LIMIT 1").first() is not None:
            raise ArenaError("init.has_users")
        if settings.read(tx.conn, "workstation.joining"):
            raise ArenaError("init.joining")
        row_id = create_in(tx, login, name, "admin")
        changes.upsert(tx, "caseworker", row_id, {"pin_hash": hashed})
        audit.record(tx, "pin_set")
    found = by_login(db, login)
    assert found is not None
    return found


def mark_joining(db: Database) -> None:
    """This new workstation joins an existing programme: it gets no user of its own (the programme's
    users arrive with the first `arena sync`), and its first start does not make one."""
    with db.write("init") as tx:
        settings.write(tx.conn, "workstation.joining", "1")


def joining(db: Database) -> bool:
    with db.read() as conn:
        return bool(settings.read(conn, "workstation.joining"))


def set_role(db: Database, actor: str, login: str, role: str) -> None:
    if role not in ROLES:
        raise ArenaError("user.bad_role", value=role, roles=", ".join(ROLES))
    with db.write(actor) as tx:
        access.require(tx.conn, actor, access.ADMIN)
        if login == actor:  # an administrator cannot demote themselves and leave nobody to undo it
            raise ArenaError("user.not_self")
        changes.upsert(tx, "caseworker", access.login_id(tx.conn, login), {"role": role})
        audit.record(tx, "user_role", detail=f"{login}: {role}")


def deactivate(db: Database, actor: str, login: str) -> None:
    """A user who leaves keeps their name on what they recorded but can no longer log in."""
    with db.write(actor) as tx:
        access.require(tx.conn, actor, access.ADMIN)
        if login == actor:
            raise ArenaError("user.not_self")
        changes.upsert(tx, "caseworker", access.login_id(tx.conn, login), {"active": 0})
        audit.record(tx, "user_deactivated", detail=login)


def is_demo(db: Database) -> bool:
    """A database built by `arena demo`: every user's PIN is pins.DEMO_PIN and any OS login may be any user."""
    with db.read() as conn:
        return settings.read(conn, "demo") == "1"


def setting_up(db: Database) -> bool:
    """No user at all yet on a new programme's database: the first one becomes the administrator (there is
    nobody to impersonate). Never a workstation joining a programme (see `access.setting_up`)."""
    with db.read() as conn:
        return access.setting_up(conn)


def identify(db: Database, os_login: str, claimed: str | None = None) -> str:
    """Whom this OS login may act as: the user it is mapped to (same login, or mapped at a first start on
    this workstation). Claiming another user (`--user`) is refused once the OS login is mapped; an
    unmapped OS login may name a user, whose PIN must then prove it. In a demo database any OS login may
    act as any user (all with the demo PIN). The caller still has to `unlock` with the PIN."""
    if setting_up(db):
        return claimed or os_login
    mapped = resolve(db, os_login)
    if claimed and claimed != (mapped.login if mapped else None):
        if mapped is not None and not is_demo(db):
            raise access.AccessDenied("acc.not_mapped", os_login=os_login, login=mapped.login, claimed=claimed)
        if by_login(db, claimed) is None:
            raise access.AccessDenied("acc.unknown_user", login=claimed)
        return claimed
    if mapped is None:
        raise access.AccessDenied("acc.unmapped", os_login=os_login)
    return mapped.login


def all_users(db: Database, actor: str) -> list[tuple[Caseworker, bool, bool]]:
    """Every user with (active, has a PIN), for the administrator."""
    with db.read() as conn:
        access.require(conn, actor, access.ADMIN)
        return [(rows.named(Caseworker, r), bool(r.active), bool(r.has_pin)) for r in conn.exec_driver_sql(
            f"SELECT {rows.columns(Caseworker)}, active, pin_hash LIKE 'scrypt$%' AS has_pin FROM caseworker"
            " ORDER BY active DESC, name")]


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
