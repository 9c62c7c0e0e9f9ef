"""Who may do what (roles), and who a login is.

Every store function that reads or writes personal data asks `require` first, so the CLI and the TUI
obey the same rules: a refusal is an `AccessDenied` with a sentence in the user's language.

Roles (DOMAIN: OSL 26:1, Lag 2001:454):
- caseworker (handläggare): own caseload freely, other cases with a stated reason (`cases.open_case`);
- leader (aktivitetsledare): the roll call of the activities they lead; names only, no identity numbers,
  no notes, no case cards;
- admin (administratör): everything a caseworker may, plus stages, codes, users, settings, export,
  access review and gallring.

A database without any user is being set up: the first user is created by whoever runs Arena first and
becomes an administrator. From then on an unknown login is refused. The PIN that proves a login is
store.pins'.
"""
from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy stays off the app's way to its first screen (tests/test_startup.py)
    from sqlalchemy import Connection

from store import clock, rows, settings
from store.tx import run
from store.i18n import LANGUAGES, ArenaError, Key, text_in

CASE_READ = "case.read"  # open a card, notes, history, identity numbers, search, caseload lists
CASE_WRITE = "case.write"  # register, edit, notes, milestones, exits, enrolments
ATTENDANCE = "attendance"  # roll call and week grid; a leader only for their own activities
REPORT = "report"  # närvarorapport and programme figures
ADMIN = "admin"  # stages, codes, users, settings, export, access review, gallring

ALLOWED: dict[str, frozenset[str]] = {
    CASE_READ: frozenset({"caseworker", "admin"}),
    CASE_WRITE: frozenset({"caseworker", "admin"}),
    ATTENDANCE: frozenset({"caseworker", "admin", "leader"}),
    REPORT: frozenset({"caseworker", "admin"}),
    ADMIN: frozenset({"admin"}),
}


class AccessDenied(ArenaError):
    """The user's role does not allow this; nothing was read or written."""


@dataclass(frozen=True)
class User:
    id: str
    login: str
    role: str


def user(conn: Connection, login: str) -> User | None:
    return rows.first(User, run(conn, f"SELECT {rows.columns(User)} FROM caseworker WHERE login = ? AND active = 1",
                                (login,)))


def login_id(conn: Connection, login: str) -> str:
    """The id of the user with this login, active or not; ArenaError when there is none."""
    found = conn.exec_driver_sql("SELECT id FROM caseworker WHERE login = ?", (login,)).scalar()
    if found is None:
        raise ArenaError("acc.unknown_login", login=login[:64])
    return str(found)


def setting_up(conn: Connection) -> bool:
    """A new programme's database without any user yet: whoever sets it up becomes its administrator.
    Not a workstation made to join a programme (`arena init --join`): its users arrive with the first
    sync, and until then nobody may act on it – else anyone could make an administrator there that the
    sync would carry to every workstation."""
    if conn.exec_driver_sql("SELECT 1 FROM caseworker LIMIT 1").first() is not None:
        return False
    return not settings.read(conn, "workstation.joining")


def require(conn: Connection, login: str, action: str, *, activity_id: str | None = None) -> User:
    """The acting user if `action` is allowed for them; otherwise AccessDenied."""
    found = user(conn, login)
    if found is None:
        if setting_up(conn):
            return User("", login, "admin")
        raise AccessDenied("acc.unknown_user", login=login)
    if not may(found.role, action):
        raise refusal(found.role, action)
    if found.role == "leader" and activity_id is not None:
        leads = run(conn, "SELECT 1 FROM activity WHERE id = ? AND leader_id = ?", (activity_id, found.id)).fetchone()
        if leads is None:
            raise AccessDenied("acc.not_your_activity")
    return found


def require_case(conn: Connection, login: str, participant_id: str, action: str = CASE_READ) -> User:
    """The acting user if they may read this person's case: their role allows `action`, and the case is in
    their caseload or they opened it today with a stated reason (`cases.open_case`, logged as outside).
    Otherwise AccessDenied; the store checks this on every read of one case, not only the screen."""
    found = require(conn, login, action)
    if not found.id:  # a database being set up has no cases
        return found
    if run(conn, "SELECT 1 FROM participant WHERE id = ? AND caseworker_id = ?", (participant_id, found.id)).fetchone():
        return found
    opened = run(conn, "SELECT 1 FROM audit_event WHERE participant_id = ? AND user_login = ? AND action = 'view'"
                       " AND at >= ? LIMIT 1", (participant_id, login, clock.today().isoformat())).fetchone()
    if opened is None:
        raise AccessDenied("acc.reason_required")
    return found


def outside_caseload(conn: Connection, user: User, participant_ids: list[str]) -> list[str]:
    """Those of `participant_ids` the user may read only as an outside read: not in their caseload and not
    opened by them today with a reason."""
    if not user.id or not participant_ids:
        return []
    today = clock.today().isoformat()
    inside: set[str] = set()
    for start in range(0, len(participant_ids), 500):
        part = participant_ids[start:start + 500]
        marks = ", ".join("?" * len(part))
        inside.update(conn.exec_driver_sql(
            f"SELECT id FROM participant WHERE id IN ({marks}) AND caseworker_id = ?", (*part, user.id)).scalars())
        inside.update(conn.exec_driver_sql(
            f"SELECT DISTINCT participant_id FROM audit_event WHERE participant_id IN ({marks}) AND user_login = ?"
            " AND action = 'view' AND at >= ?", (*part, user.login, today)).scalars())
    return [pid for pid in participant_ids if pid not in inside]


def sees_protected(conn: Connection, user: User, participant_id: str) -> bool:
    """Protected identity (skyddad identitet) is shown only to the responsible caseworker and administrators."""
    if user.role == "admin" or not user.id:
        return True
    return run(conn, "SELECT 1 FROM participant WHERE id = ? AND caseworker_id = ?",
               (participant_id, user.id)).fetchone() is not None


def tamper_lines(db, login: str) -> list[str]:  # noqa: ANN001
    """What an administrator is told about the access log's chains and triggers (F5)."""
    from store import tamper

    with db.read() as conn:
        require(conn, login, ADMIN)
        return tamper.describe(tamper.state(conn))


def allowed(conn: Connection, login: str, action: str) -> bool:
    try:
        require(conn, login, action)
    except AccessDenied:
        return False
    return True


def may(role: str, action: str) -> bool:
    """The role table alone, for a screen that hides what the store would refuse anyway."""
    return role in ALLOWED[action]


def refusal(role: str, action: str) -> AccessDenied:
    return AccessDenied("acc.denied", role=Key(f"role.{role}"), action=Key(f"acc.action.{action}"))


# The listed reasons for reading a case outside one's caseload (catalog keys); anything else must be a
# few words of one's own, so the access log says why, not "x".
REASON_KEYS = ("dlg.reason.cover", "dlg.reason.call", "dlg.reason.bistand", "dlg.reason.roll")


def check_reason(reason: str) -> str:
    text = " ".join(reason.split())
    listed = {text_in(lang, key) for key in REASON_KEYS for lang in LANGUAGES}
    if text in listed or (len(text.split()) >= 3 and len(text) >= 12):
        return text
    raise ArenaError("acc.reason_short")
