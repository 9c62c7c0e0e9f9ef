"""What every `arena` command shares, the CLI's and the app's sync screen alike: where the data lives
(the database, the demo database, the programme key), who is acting (proven with the PIN) and where
output goes. Imports nothing heavy and nothing of the screen."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from store.i18n import ArenaError, t


def data_dir() -> Path:
    override = os.environ.get("ARENA_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("arena", appauthor=False))


def default_db() -> Path:
    return data_dir() / "arena.db"


def demo_db() -> Path:
    return data_dir() / "demo.db"


def os_login() -> str:
    """The operating system's login of whoever runs Arena: the identity a user is mapped from."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 -- no login name in this environment
        return "okand"


def claimed_user(args: argparse.Namespace) -> str | None:
    """A user named with --user (or ARENA_USER): a claim that the PIN must prove, never an identity."""
    return getattr(args, "user", None) or os.environ.get("ARENA_USER") or None


def read_pin(args: argparse.Namespace, login: str) -> str:
    """The PIN from standard input (--pin-stdin, for scripts) or typed at the terminal, never echoed."""
    if getattr(args, "pin_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(t("cli.pin_prompt", login=login))
    raise ArenaError("cli.pin_needed")


def actor(args: argparse.Namespace, database) -> str:  # noqa: ANN001
    """The user this command acts as, proven: the OS login's mapped user (or the one --user names, where
    that is allowed) and that user's PIN. Every subcommand that acts as a person calls this first."""
    from store import staff

    login = staff.identify(database, os_login(), claimed_user(args))
    if not staff.setting_up(database):  # on an empty database nobody can be impersonated yet
        staff.unlock(database, login, read_pin(args, login))
    return login


def default_key() -> Path:
    return Path(os.environ.get("ARENA_KEY") or data_dir() / "arena.key")


def open_db(args: argparse.Namespace, *, must_exist: bool = True):  # noqa: ANN202
    from store import db

    path = Path(getattr(args, "db", None) or default_db())
    if must_exist and not path.exists():
        raise ArenaError("cli.db_missing", path=str(path))
    return db.open(path)


def out(args: argparse.Namespace, binary: bool = False, bom: bool = False):  # noqa: ANN202
    """The --out file (owner-only) or stdout. A byte-order mark only where asked (CSV for Excel), never in JSON."""
    if getattr(args, "out", None):
        try:
            fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            return open(fd, "wb" if binary else "w", encoding=None if binary else ("utf-8-sig" if bom else "utf-8"),
                        newline=None if binary else "")
        except OSError as error:
            raise ArenaError("cli.file_missing", path=args.out) from error
    return sys.stdout.buffer if binary else sys.stdout
