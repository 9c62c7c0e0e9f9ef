"""What the `arena` subcommands share: who is acting (proven with the PIN), the database a command works
on and where its output goes. Imports nothing heavy (every store module is imported where it is used, so
`arena --help` loads none); where the files live is `tui.paths`."""
from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from store.i18n import ArenaError

from tui.text import t
from tui.paths import default_db, demo_db


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
        return asked(getpass.getpass, t("cli.pin_prompt", login=login))
    raise ArenaError("cli.pin_needed")


def asked(prompt: Callable[[str], str], question: str) -> str:
    """The answer to a question at the terminal (`input`, `getpass.getpass`); Ctrl+D there (EOFError) is
    one line and exit 2, asked before anything is done."""
    try:
        return prompt(question)
    except EOFError:
        raise ArenaError("cli.input_ended") from None


def actor(args: argparse.Namespace, database) -> str:  # noqa: ANN001
    """The user this command acts as, proven: the OS login's mapped user (or the one --user names, where
    that is allowed) and that user's PIN. Every subcommand that acts as a person calls this first."""
    from store import pins, staff

    try:
        login = staff.identify(database, os_login(), claimed_user(args))
    except ArenaError as error:  # a claim refused: logged under the OS login that made it
        from store import audit

        audit.refused(database, os_login(), error)
        raise
    if not staff.setting_up(database):  # on an empty database nobody can be impersonated yet
        pins.unlock(database, login, read_pin(args, login))
    args.acting = (database, login)  # from here on, a refusal is logged under this user (see cli.main)
    return login


def open_db(args: argparse.Namespace, *, must_exist: bool = True):  # noqa: ANN202
    from store import db

    path = db_path(args)
    if must_exist and not path.exists():
        raise ArenaError("cli.db_missing", path=str(path))
    return db.open(path)


def out(args: argparse.Namespace, binary: bool = False, bom: bool = False):  # noqa: ANN202
    """A context manager yielding the --out file or stdout. The file is written under a temporary name
    (owner-only) and renamed when complete; it never replaces the database or, without --force, an
    existing file, and a refused or failed run leaves whatever was there untouched. A byte-order mark
    only where asked (CSV for Excel), never in JSON – on standard output too, so `arena export > x.csv`
    opens in Swedish Excel as the --out file does (UTF-8 then, whatever the terminal's encoding)."""
    if not getattr(args, "out", None):
        if bom and not binary:
            return _stdout_utf8_bom()
        return contextlib.nullcontext(sys.stdout.buffer if binary else sys.stdout)
    from store import files

    return files.replacing(args.out, force=getattr(args, "force", False), binary=binary,
                           encoding="utf-8-sig" if bom else "utf-8", protect=(db_path(args),))


@contextlib.contextmanager
def _stdout_utf8_bom():  # noqa: ANN202
    """Standard output as UTF-8 text that starts with a byte-order mark, newlines written as given."""
    import io

    sys.stdout.flush()
    stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
    try:
        yield _MarkFirst(stream)
        stream.flush()
    finally:
        stream.detach()  # sys.stdout's buffer stays open


class _MarkFirst:
    """A text stream whose first write is preceded by the byte-order mark: a command refused before it
    wrote anything leaves standard output empty."""

    def __init__(self, stream) -> None:  # noqa: ANN001
        self._stream = stream
        self._marked = False

    def write(self, text: str) -> int:
        if not self._marked:
            self._marked = True
            self._stream.write("\ufeff")
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()


def db_path(args: argparse.Namespace) -> Path:
    """The database a subcommand works on: --db, else the demo's with --demo (`arena --demo find …`),
    else this workstation's."""
    return Path(getattr(args, "db", None) or (demo_db() if getattr(args, "demo", False) else default_db()))


def check_out(args: argparse.Namespace) -> None:
    """Refuse a bad --out before any work is done (and before anything is logged as read)."""
    if getattr(args, "out", None):
        from store import files

        files.check_target(args.out, force=getattr(args, "force", False), protect=(db_path(args),))
