"""Who may do what (roles), and the PIN that unlocks a locked session.

Every store function that reads or writes personal data asks `require` first, so the CLI and the TUI
obey the same rules: a refusal is an `AccessDenied` with a sentence in the user's language.

Roles (DOMAIN: OSL 26:1, Lag 2001:454):
- caseworker (handläggare): own caseload freely, other cases with a stated reason (`cases.open_case`);
- leader (aktivitetsledare): the roll call of the activities they lead; names only, no identity numbers,
  no notes, no case cards;
- admin (administratör): everything a caseworker may, plus stages, codes, users, settings, export,
  access review and gallring.

A database without any user is being set up: the first user is created by whoever runs Arena first and
becomes an administrator. From then on an unknown login is refused.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy stays off the app's way to its first screen (tests/test_startup.py)
    from sqlalchemy import Connection

from store import clock, settings
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

PIN_MIN, PIN_MAX = 6, 64  # a PIN is at least 6 digits ...
PASSPHRASE_MIN = 10  # ... or a passphrase of at least 10 characters
MAX_FAILED = 5  # wrong PINs in a row before unlocking waits
BLOCK_MINUTES = 5
# scrypt cost: one guess costs at least 0.25 s on a workstation (bench/ measures it), so an offline
# attack on a copied hash is slow; stored with the hash so it can be raised later. N=2**16, r=8 needs
# 64 MiB per guess; p=2 doubles the time (0.21 s → 0.37 s on the 2-core reference machine, quiet) without
# more memory. Hashes made before keep their own cost until the PIN is set again. ARENA_SCRYPT_N lowers N
# for the test suite only (a test proves the default).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**16, 8, 2
SCRYPT_MAXMEM = 256 * 1024 * 1024
SETUP_PREFIX = "setup$"  # pin_hash holding the hash of a one-time setup code instead of a PIN


class AccessDenied(ArenaError):
    """The user's role does not allow this; nothing was read or written."""


@dataclass(frozen=True)
class User:
    id: str
    login: str
    role: str


def user(conn: Connection, login: str) -> User | None:
    row = run(conn, "SELECT id, login, role FROM caseworker WHERE login = ? AND active = 1", (login,)).fetchone()
    return User(*row) if row else None


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
        inside.update(r[0] for r in run(conn, f"SELECT id FROM participant WHERE id IN ({marks}) AND caseworker_id = ?",
                                         (*part, user.id)))
        inside.update(r[0] for r in run(conn, f"SELECT DISTINCT participant_id FROM audit_event WHERE participant_id IN"
                                              f" ({marks}) AND user_login = ? AND action = 'view' AND at >= ?",
                                         (*part, user.login, today)))
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


# ------------------------------------------------------------------------------------------------- PIN

def scrypt_n() -> int:
    """The cost for new hashes: SCRYPT_N unless the test suite lowered it (never raised past it)."""
    override = os.environ.get("ARENA_SCRYPT_N", "")
    return min(int(override), SCRYPT_N) if override.isdigit() and int(override) >= 2 else SCRYPT_N


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    n = scrypt_n()
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32, maxmem=SCRYPT_MAXMEM)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.removeprefix(SETUP_PREFIX).split("$")
        if scheme != "scrypt":
            return False
        tried = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                               dklen=len(digest) // 2, maxmem=SCRYPT_MAXMEM)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(tried.hex(), digest)


def check_new_pin(pin: str) -> str:
    """At least 6 digits (not one digit repeated, not a straight run), or a passphrase of 10+ characters."""
    if any(ord(c) < 32 or ord(c) == 127 for c in pin):
        raise ArenaError("err.control_chars")
    if len(pin) > PIN_MAX:
        raise ArenaError("pin.length", min=PIN_MIN, max=PIN_MAX, phrase=PASSPHRASE_MIN)
    if pin.isdigit():
        if len(pin) < PIN_MIN:
            raise ArenaError("pin.length", min=PIN_MIN, max=PIN_MAX, phrase=PASSPHRASE_MIN)
        if len(set(pin)) == 1 or pin in "01234567890123456789" or pin in "98765432109876543210":
            raise ArenaError("pin.too_simple")
    elif len(pin) < PASSPHRASE_MIN or len(set(pin)) < 4:
        raise ArenaError("pin.length", min=PIN_MIN, max=PIN_MAX, phrase=PASSPHRASE_MIN)
    return pin


# A setup code: what an administrator hands over so that one person (not whoever sits down first) sets
# the PIN of a new or reset user. 12 characters from an alphabet without look-alikes (about 60 bits).
SETUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_setup_code() -> str:
    raw = "".join(secrets.choice(SETUP_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normal_setup_code(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


def hash_setup_code(code: str) -> str:
    return SETUP_PREFIX + hash_pin(normal_setup_code(code))


def is_setup_hash(stored: str | None) -> bool:
    return stored is not None and stored.startswith(SETUP_PREFIX)


@dataclass(frozen=True)
class FailState:
    count: int
    blocked_until: dt.datetime | None


def fail_state(conn: Connection, login: str) -> FailState:
    """Failed unlock attempts on this workstation (a local setting: a lock is a local matter)."""
    raw = settings.read(conn, f"pin.failed.{login}") or "0|"
    count, _, until = raw.partition("|")
    return FailState(int(count or 0), dt.datetime.fromisoformat(until) if until else None)


def record_failure(conn: Connection, login: str) -> FailState:
    state = fail_state(conn, login)
    count = state.count + 1
    until = None
    if count >= MAX_FAILED:
        # each wrong PIN past the limit doubles the wait: guessing 4 digits takes years, a typo a coffee
        until = clock.now() + dt.timedelta(minutes=BLOCK_MINUTES * 2 ** min(count - MAX_FAILED, 8))
        # blocked until a whole minute, the one the message names: "efter 22:05" lets a try through at
        # 22:05:00 and not a second earlier, so the message and the clock agree
        until = (until + dt.timedelta(seconds=59)).replace(second=0, microsecond=0)
    settings.write(conn, f"pin.failed.{login}", f"{count}|{until.isoformat() if until else ''}")
    return FailState(count, until)


def clear_failures(conn: Connection, login: str) -> None:
    if fail_state(conn, login).count:  # a right PIN writes nothing unless there was something to clear
        settings.write(conn, f"pin.failed.{login}", "0|")


# The listed reasons for reading a case outside one's caseload (catalog keys); anything else must be a
# few words of one's own, so the access log says why, not "x".
REASON_KEYS = ("dlg.reason.cover", "dlg.reason.call", "dlg.reason.bistand", "dlg.reason.roll")


def check_reason(reason: str) -> str:
    text = " ".join(reason.split())
    listed = {text_in(lang, key) for key in REASON_KEYS for lang in LANGUAGES}
    if text in listed or (len(text.split()) >= 3 and len(text) >= 12):
        return text
    raise ArenaError("acc.reason_short")
