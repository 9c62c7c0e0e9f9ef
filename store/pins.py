"""PINs and setup codes, in one place: what a new PIN must be, how it is hashed, the one-time setup code
an administrator hands over, counting wrong tries, and the operations on a user's PIN (`has_pin`,
`unlock`, `set_pin`, `reset_pin`).

A user proves who they are with a PIN on every way in (the TUI's lock screen, the CLI's prompt); a user
without one (new, or reset by an administrator) gets in only with the setup code, and only to choose a
PIN. Only hashes are stored (and synced, so a user may set the PIN at any workstation); the count of
wrong tries is a local setting (a lock is a local matter).

Light at import (no SQLAlchemy): the lock screen uses the policy before the database is open.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from store import access, audit, changes, clock, settings
from store.i18n import ArenaError

if TYPE_CHECKING:  # SQLAlchemy stays off the app's way to its first screen (tests/test_startup.py)
    from sqlalchemy import Connection

    from store.db import Database

PIN_MIN, PIN_MAX = 6, 64  # a PIN is at least 6 digits ...
PASSPHRASE_MIN = 10  # ... or a passphrase of at least 10 characters
MAX_FAILED = 5  # wrong PINs in a row before unlocking waits
BLOCK_MINUTES = 5
DEMO_PIN = "135790"  # every user's PIN in a database built by `arena demo`; never in a real one

# scrypt cost: one guess costs at least 0.25 s on a workstation (bench/ measures it), so an offline
# attack on a copied hash is slow; stored with the hash so it can be raised later. N=2**16, r=8 needs
# 64 MiB per guess; p=2 doubles the time (0.21 s → 0.37 s on the 2-core reference machine, quiet) without
# more memory. Hashes made before keep their own cost until the PIN is set again. ARENA_SCRYPT_N lowers N
# for the test suite only (a test proves the default).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**16, 8, 2
SCRYPT_MAXMEM = 256 * 1024 * 1024
SETUP_PREFIX = "setup$"  # pin_hash holding the hash of a one-time setup code instead of a PIN
# A setup code: what an administrator hands over so that one person (not whoever sits down first) sets
# the PIN of a new or reset user. 12 characters from an alphabet without look-alikes (about 60 bits).
SETUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# ---------------------------------------------------------------------------------- policy and hashes

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
    """`pin` against a stored hash (a PIN's or a setup code's), at the cost stored with it."""
    try:
        scheme, n, r, p, salt, digest = stored.removeprefix(SETUP_PREFIX).split("$")
        if scheme != "scrypt":
            return False
        tried = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                               dklen=len(digest) // 2, maxmem=SCRYPT_MAXMEM)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(tried.hex(), digest)


class Proof:
    """A PIN's scrypt against a stored hash, begun in a thread before `unlock` needs it: scrypt leaves the
    interpreter free, so a start with the PIN given imports the store and opens the database meanwhile.
    `unlock` takes the answer only for the very hash it reads in its own transaction (the answer is a
    function of the PIN and the hash alone); blocking, counting wrong tries and the audit are unchanged."""

    def __init__(self, pin: str, stored: str) -> None:
        self.pin, self.stored = pin, stored
        self._matched = False
        self._thread = threading.Thread(target=self._run, name="arena-pin-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self._matched = pin_matches(self.pin, self.stored)

    def matches(self, pin: str, stored: str) -> bool | None:
        """The answer for this PIN and hash (waiting for it), or None when asked about another."""
        if pin != self.pin or stored != self.stored:
            return None
        self._thread.join()
        return self._matched


def prove_ahead(path: str | None, login: str, pin: str) -> Proof | None:
    """Begin checking `pin` against `login`'s PIN hash read straight from the file (no engine, no
    migrations: a file that is new, from before encryption or not readable yet gets None, and `unlock`
    does all the work itself)."""
    from store import dbfile

    if not path or path == ":memory:":
        return None
    try:
        if dbfile.state(path) not in (dbfile.PLAIN, dbfile.ENCRYPTED):
            return None
        con = dbfile.connect(path)
        try:
            row = con.execute("SELECT pin_hash FROM caseworker WHERE login = ? AND active = 1", (login,)).fetchone()
        finally:
            con.close()
    except (ArenaError, OSError) + dbfile.Error:
        return None
    if not row or not row[0] or is_setup_hash(row[0]):
        return None
    return Proof(pin, row[0])


def new_setup_code() -> tuple[str, str]:
    """A fresh setup code (`ABCD-EFGH-JKLM`) and the hash to store in its place."""
    raw = "".join(secrets.choice(SETUP_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}", SETUP_PREFIX + hash_pin(raw)


def normal_setup_code(text: str) -> str:
    """A setup code as typed (any case, with or without dashes and spaces) as it was hashed."""
    return "".join(c for c in text.upper() if c.isalnum())


def is_setup_hash(stored: str | None) -> bool:
    return stored is not None and stored.startswith(SETUP_PREFIX)


# --------------------------------------------------------------------------------------- wrong tries

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


# ------------------------------------------------------------------------------------ a user's PIN

def has_pin(db: Database, login: str) -> bool:
    """The user has chosen a PIN (not only been given a setup code)."""
    with db.read() as conn:
        stored = conn.exec_driver_sql("SELECT pin_hash FROM caseworker WHERE login = ?", (login,)).scalar()
    return bool(stored) and not is_setup_hash(stored)


def unlock(db: Database, login: str, pin: str, *, setup: bool = False, ahead: Proof | None = None) -> None:
    """Check a PIN (or, with `setup`, a setup code); wrong ones are counted and logged, and after too
    many the next try must wait. A user without a PIN is refused here: only a setup code lets them in.
    `ahead`: the scrypt of this PIN begun earlier (`prove_ahead`), used if it was of the hash read here."""
    with db.write(login) as tx:
        stored = tx.conn.exec_driver_sql("SELECT pin_hash FROM caseworker WHERE login = ? AND active = 1",
                                         (login,)).scalar()
        state = fail_state(tx.conn, login)
        now = clock.now()
        given = normal_setup_code(pin) if setup else pin
        if state.blocked_until is not None and now < state.blocked_until:
            outcome = "blocked"
        elif not setup and (not stored or is_setup_hash(stored)):
            outcome = "no_pin"
        elif stored and is_setup_hash(stored) == setup and _matches(given, stored, None if setup else ahead):
            clear_failures(tx.conn, login)
            outcome = "ok"
        else:
            state = record_failure(tx.conn, login)
            audit.record(tx, "unlock_failed", detail=f"attempt {state.count}")
            outcome = "blocked" if state.blocked_until else "wrong"
    if outcome == "blocked":
        assert state.blocked_until is not None
        raise access.AccessDenied("pin.blocked", time=state.blocked_until.strftime("%H:%M"))
    if outcome == "no_pin":
        raise access.AccessDenied("pin.none", login=login)
    if outcome == "wrong":
        raise access.AccessDenied("pin.wrong_code" if setup else "pin.wrong", left=max(MAX_FAILED - state.count, 0))


def _matches(given: str, stored: str, ahead: Proof | None) -> bool:
    early = ahead.matches(given, stored) if ahead is not None else None
    return pin_matches(given, stored) if early is None else early


def set_pin(db: Database, login: str, new_pin: str, current_pin: str | None = None, *,
            setup_code: str | None = None) -> None:
    """Choose or change one's own PIN: changing it needs the current PIN, a first PIN the one-time setup
    code an administrator handed over (`reset_pin`, `staff.add`). Nobody claims an account without either."""
    check_new_pin(new_pin)
    if setup_code is not None:
        unlock(db, login, setup_code, setup=True)
    else:
        unlock(db, login, current_pin or "")
    hashed = hash_pin(new_pin)
    with db.write(login) as tx:
        changes.upsert(tx, "caseworker", access.login_id(tx.conn, login), {"pin_hash": hashed})
        audit.record(tx, "pin_set")


def reset_pin(db: Database, actor: str, login: str) -> str:
    """An administrator clears a forgotten PIN (or an earlier setup code): returns the new one-time setup
    code, shown once to the administrator, who hands it over; the user sets a new PIN with it."""
    code, hashed = new_setup_code()
    with db.write(actor) as tx:
        access.require(tx.conn, actor, access.ADMIN)
        changes.upsert(tx, "caseworker", access.login_id(tx.conn, login), {"pin_hash": hashed})
        clear_failures(tx.conn, login)
        audit.record(tx, "setup_code", detail=login)
    return code
