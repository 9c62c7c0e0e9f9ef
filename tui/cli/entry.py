"""The `arena` command: opens the TUI or runs one subcommand, sharing every rule with it via `store`.

Startup stays fast: nothing heavy is imported before a subcommand needs it (`arena --help` imports
neither textual nor SQLAlchemy). Errors are one line on stderr in the user's language, exit status 2
for bad usage or input, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import NoReturn

from store.i18n import ArenaError, num

from tui.text import set_language, t
from tui.cli import common
from tui.paths import default_db, demo_db

log = logging.getLogger("tui.cli")  # by name: the log says `tui.cli` for every subcommand


# Same as store.export.WHAT (a test checks); spelled out so `--help` need not import the store.
EXPORT_WHAT = ("participants", "caseworkers", "activities", "enrolments", "attendance", "milestones", "notes",
               "audit")


# Same as store.tabular.DIALECTS (a test checks).
CSV_DIALECTS = ("excel-sv", "excel-en", "rfc4180")

# The subcommands that act as a person: each proves who with the PIN (--pin-stdin for scripts). `demo`
# and `keys` touch no one's data; `sync` runs as the workstation (the nightly job), not as a person.
PERSON_COMMANDS = ("export", "import", "find", "report", "stages", "users", "settings", "gallra", "activities", "enrol",
                   "unenrol")


# `arena --demo` builds a unit-sized programme (groups of 8-25 per session, fm and em); `arena demo` scales to 100 000.
DEMO_PARTICIPANTS = 400
PROGRESS_EVERY = 5.0  # seconds between two lines of a long import's progress on stderr
# The demo generator's generation, written beside the demo database it built (demo.db.generation). `arena --demo`
# sets a demo database of an older generation aside (renamed, never deleted) and builds a new one, so what a
# user sees is what the demo makes now. Raise it when store/demo.py changes what it writes.
DEMO_GENERATION = "2026-11-24 nothing after now, referrals and paper lists on working days"


_ARGPARSE = [  # argparse speaks English; its usual messages are said again from the catalog
    (re.compile(r"argument (?P<name>[^:]+): invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)$"),
     "arg.invalid_choice"),
    (re.compile(r"the following arguments are required: (?P<names>.+)$"), "arg.required"),
    (re.compile(r"unrecognized arguments: (?P<names>.+)$"), "arg.unrecognized"),
    (re.compile(r"argument (?P<name>[^:]+): expected one argument$"), "arg.expected_one"),
    (re.compile(r"argument (?P<name>[^:]+): invalid int value: (?P<value>.+)$"), "arg.invalid_int"),
]


def _arg_name(name: str) -> str:
    text = t(f"arg.name.{name}")
    return name if text == f"arg.name.{name}" else text


def _said(message: str) -> str:
    for pattern, key in _ARGPARSE:
        m = pattern.match(message)
        if m:
            params = m.groupdict()
            if "names" in params:  # positional arguments by the names the catalog gives them
                params["names"] = ", ".join(_arg_name(n.strip()) for n in params["names"].split(","))
            detail = t(key, **{k: v.replace("'", "") for k, v in params.items()})
            if "name" in params and key == "arg.invalid_choice":
                return f"{_arg_name(params['name'])}: {detail}"
            return detail
    return message


def _argparse_words(message: str) -> str:
    """argparse's own words ("usage: ", "options", …) from the catalog; its refusals stay as argparse
    writes them here and are said again by `_said` (which needs their English form to read them)."""
    text = t(f"argparse.{message}")
    return message if text == f"argparse.{message}" else text


class _Formatter(argparse.HelpFormatter):
    """Placeholders in the help (`--month ÅÅÅÅ-MM`, `--reason ANLEDNING`) in the user's language."""

    def _get_default_metavar_for_optional(self, action: argparse.Action) -> str:
        text = t(f"cli.mv.{action.dest}")
        return action.dest.upper() if text == f"cli.mv.{action.dest}" else text

    def _get_default_metavar_for_positional(self, action: argparse.Action) -> str:
        return _arg_name(action.dest)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 -- argparse's own signature
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:  # one line, exit 2
        sys.stderr.write(f"arena: {t('cli.bad_usage', detail=_said(message))}\n")
        raise SystemExit(2)


def _common() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=t("cli.h.db"))
    common.add_argument("--lang", choices=("sv", "en"), default=argparse.SUPPRESS, help=t("cli.h.lang"))
    common.add_argument("--user", default=argparse.SUPPRESS, help=t("cli.h.user"))
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help=t("cli.h.verbose"))
    return common


def _person() -> _Parser:
    """Options of every subcommand that acts as a person (it needs that person's PIN)."""
    person = _Parser(add_help=False)
    person.add_argument("--pin-stdin", action="store_true",
                        help=t("cli.h.pin_stdin"))
    return person


def build_parser() -> argparse.ArgumentParser:
    """The parser, its help in the current language (call it after the language is chosen)."""
    # argparse looks its own words ("usage: ", "options") up through its gettext alias `_`: say them from the catalog
    setattr(argparse, "_", _argparse_words)
    common = _common()
    person = _person()
    parser = _Parser(prog="arena", parents=[common],
                     description=t("cli.h.arena"))
    parser.add_argument("--demo", action="store_true", help=t("cli.h.demo_flag"))
    parser.add_argument("--exit-after-ready", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("demo", parents=[common], help=t("cli.h.demo"))
    p.add_argument("--participants", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--days", type=int, default=40)

    p = sub.add_parser("export", parents=[common, person], help=t("cli.h.export"))
    p.add_argument("--what", required=True, choices=EXPORT_WHAT, help=t("cli.h.what"))
    p.add_argument("--format", default="csv", choices=("csv", "jsonl"), help=t("cli.h.export_format"))
    p.add_argument("--dialect", choices=CSV_DIALECTS, default=None,
                   help=t("cli.h.dialect"))
    p.add_argument("--out", help=t("cli.h.out"))
    p.add_argument("--force", action="store_true", help=t("cli.h.force"))
    p.add_argument("--reason", default="", help=t("cli.h.export_reason"))
    review = p.add_argument_group(t("cli.h.audit_group"))
    review.add_argument("--by", default="", help=t("cli.h.by"))
    review.add_argument("--case", default="", help=t("cli.h.case"))
    review.add_argument("--since", default="", help=t("cli.h.since"))
    review.add_argument("--until", default="", help=t("cli.h.until"))
    review.add_argument("--outside", action="store_true",
                        help=t("cli.h.outside"))

    p = sub.add_parser("import", parents=[common, person], help=t("cli.h.import"))
    p.add_argument("kind", choices=("attendance", "participants"), help=t("cli.h.import_kind"))
    p.add_argument("file", help=t("cli.h.import_file"))
    p.add_argument("--all-or-nothing", action="store_true", help=t("cli.h.all_or_nothing"))

    p = sub.add_parser("find", parents=[common, person], help=t("cli.h.find"))
    p.add_argument("query")
    p.add_argument("--format", default="table", choices=("table", "json"), help=t("cli.h.find_format"))

    p = sub.add_parser("report", parents=[common, person], help=t("cli.h.report"))
    p.add_argument("report", choices=("narvaro",))
    p.add_argument("--month", help=t("cli.h.month"))
    p.add_argument("--from", dest="start", help=t("cli.h.since"))
    p.add_argument("--to", dest="end", help=t("cli.h.until"))
    p.add_argument("--participant", help=t("cli.h.report_participant"))
    p.add_argument("--caseworker", help=t("cli.h.report_caseworker"))
    p.add_argument("--activity", help=t("cli.h.report_activity"))
    p.add_argument("--format", default="csv", choices=("csv", "xlsx", "pdf"), help=t("cli.h.report_format"))
    p.add_argument("--dialect", choices=CSV_DIALECTS, default=None, help=t("cli.h.dialect"))
    p.add_argument("--out", help=t("cli.h.out"))
    p.add_argument("--force", action="store_true", help=t("cli.h.force"))
    p.add_argument("--reason", default="", help=t("cli.h.report_reason"))

    p = sub.add_parser("stages", parents=[common, person], help=t("cli.h.stages"))
    p.add_argument("action", choices=("list", "add", "rename"))
    p.add_argument("code", nargs="?")
    p.add_argument("--sv")
    p.add_argument("--en")
    p.add_argument("--kind", default="intervention",
                   choices=("referral", "assessment", "plan", "intervention", "exit"))
    p.add_argument("--after")

    p = sub.add_parser("sync", parents=[common], help=t("cli.h.sync"))
    p.add_argument("--share",
                   help=t("cli.h.share"))
    p.add_argument("--import-share", metavar=t("cli.mv.folder"),
                   help=t("cli.h.import_share"))
    p.add_argument("--status", action="store_true",
                   help=t("cli.h.status"))
    p.add_argument("--key", help=t("cli.h.key"))
    p.add_argument("--snapshot", action="store_true",
                   help=t("cli.h.snapshot"))
    p.add_argument("--archivable", action="store_true",
                   help=t("cli.h.archivable"))

    p = sub.add_parser("keys", parents=[common], help=t("cli.h.keys"))
    p.add_argument("action", choices=("new",))
    p.add_argument("file")

    p = sub.add_parser("users", parents=[common, person], help=t("cli.h.users"))
    p.add_argument("action", choices=("list", "add", "role", "deactivate", "reset-pin"))
    p.add_argument("login", nargs="?")
    p.add_argument("--name")
    p.add_argument("--role", choices=("caseworker", "leader", "admin"))
    p.add_argument("--site", default="")

    p = sub.add_parser("settings", parents=[common, person], help=t("cli.h.settings"))
    p.add_argument("key", nargs="?")
    p.add_argument("value", nargs="?")

    from tui.cli import setup

    setup.add_parsers(sub, common, person)

    p = sub.add_parser("gallra", parents=[common, person], help=t("cli.h.gallra"))
    p.add_argument("--dry-run", action="store_true", help=t("cli.h.dry_run"))
    p.add_argument("--yes", action="store_true", help=t("cli.h.yes"))
    p.add_argument("--as-of", default="", help=t("cli.h.as_of"))
    return parser


def cmd_demo(args: argparse.Namespace) -> int:
    from store import demo

    path = Path(getattr(args, "db", None) or demo_db())
    if path.exists():
        raise ArenaError("demo.exists", path=str(path))
    if not 1 <= args.participants <= 1_000_000 or not 0 <= args.days <= 400:
        raise ArenaError("cli.bad_usage", detail="--participants 1..1000000, --days 0..400")
    result = demo.build(str(path), args.participants, args.seed, args.days)
    _write_generation(path.with_name(path.name + ".generation"))  # `arena --demo` uses it
    print(t("demo.built", path=path, participants=result.participants, attendance=result.attendance))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from store import export, tabular

    dialect = tabular.dialect(args.dialect) if args.format == "csv" else None
    if args.dialect and args.format != "csv":
        raise ArenaError("cli.dialect_needs_csv")
    common.check_out(args)
    database = common.open_db(args)
    login = common.actor(args, database)
    flt = None
    if args.what == "audit":
        from store import audit

        flt = audit.AuditFilter(args.by, args.case, args.since, args.until, args.outside)
    elif args.by or args.case or args.since or args.until or args.outside:
        raise ArenaError("cli.bad_usage", detail="--by/--case/--since/--until/--outside: --what audit")
    with common.out(args, bom=bool(dialect and dialect.bom)) as out:
        export.write(database, login, args.what, args.format, out, flt, dialect, reason=args.reason)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from store import attendance, bulk, referrals

    database = common.open_db(args)
    login = common.actor(args, database)
    run = referrals.import_file if args.kind == "participants" else attendance.import_csv
    said = [time.monotonic()]

    def progress(stage: str, done: int, total: int) -> None:
        """A long import says how far it is on stderr every few seconds (nothing for a short one)."""
        if time.monotonic() - said[0] >= PROGRESS_EVERY:
            said[0] = time.monotonic()
            sys.stderr.write(t("imp.progress_" + stage, done=num(done, 0), total=num(total, 0)) + "\n")
            sys.stderr.flush()

    try:
        report = run(database, login, args.file, all_or_nothing=args.all_or_nothing, progress=progress)
    except bulk.Interrupted as stop:  # Ctrl+C: say what was written (under all-or-nothing: put back, nothing)
        done = stop.report
        for line, reason in sorted(done.kept, key=lambda said: said[0]):
            sys.stderr.write(t("imp.line", line=line, reason=reason) + "\n")
        if done.undone:
            key = "imp.interrupted_undone_kept" if done.kept else "imp.interrupted_undone"
        else:
            key = "imp.interrupted" if done.imported or done.unchanged else "imp.interrupted_nothing"
        sys.stderr.write(f"arena: {t(key, ok=done.imported, unchanged=done.unchanged, kept=len(done.kept))}\n")
        return 130
    for line, reason in sorted(report.rejected + report.kept, key=lambda said: said[0]):
        sys.stderr.write(t("imp.line", line=line, reason=reason) + "\n")
    if args.all_or_nothing and report.kept:
        print(t("imp.none_kept", bad=len(report.rejected), kept=len(report.kept)))
    elif args.all_or_nothing and report.rejected:
        print(t("imp.none", bad=len(report.rejected)))
    else:
        print(t("imp.summary", ok=report.imported, unchanged=report.unchanged, bad=len(report.rejected)))
    return 2 if report.rejected else 0


def cmd_find(args: argparse.Namespace) -> int:
    """The ranked matches, one a line (or JSON). No match says so in one line on stderr and exits 1, as grep
    does; a number whose only fault is its check digit is bad input (exit 2) and the line names the number
    meant, as F2 does."""
    from store import audit, cases, identity, validate

    if len(args.query.strip()) < 2:  # as F2: a search needs two characters (said before the PIN is asked)
        raise ArenaError("search.too_short")
    database = common.open_db(args)
    login = common.actor(args, database)
    query = validate.text(args.query, "query", max_len=100)
    hits = cases.search(database, query, login=login)
    audit.write(database, login, "search", detail=query)
    if args.format == "json":
        print(json.dumps([{"id": h.participant.id, "personnummer": h.participant.display_number() if h.participant.protected else h.participant.personnummer,
                           "name": h.participant.name, "score": h.score, "matched_on": h.matched_on}
                          for h in hits], ensure_ascii=False, indent=1))
    else:
        for h in hits:
            p = h.participant
            print(f"{h.score:5d}  {p.display_number():15}  {p.name:35}  {t('match.' + h.matched_on.replace(' ', '_'))}")
    if hits:
        return 0
    meant = identity.corrected(query)
    sys.stderr.write(f"arena: {t('id.check_digit_hint', number=meant) if meant else t('search.none')}\n")
    return 2 if meant else 1


COMMANDS = {"demo": cmd_demo, "export": cmd_export, "import": cmd_import, "find": cmd_find}


def _register_late_commands() -> None:
    """Subcommands whose modules are larger; imported only when used."""
    from tui.cli import programme, setup

    COMMANDS.update(programme.COMMANDS)
    COMMANDS.update(setup.COMMANDS)


def run_tui(args: argparse.Namespace) -> int:
    # nothing of the store beyond the light modules before the app has drawn its PIN prompt
    # (tests/test_startup.py): the database is opened by the app's start-up worker
    notice = None
    if args.demo and not getattr(args, "db", None):
        path = demo_db()
        generation = path.with_name(path.name + ".generation")
        if path.exists() and _read(generation) != DEMO_GENERATION:
            notice = _set_demo_aside(path)
        if not path.exists():
            from store import demo

            path.parent.mkdir(parents=True, exist_ok=True)
            print(t("demo.building", path=path), flush=True)
            demo.build(str(path), DEMO_PARTICIPANTS, 1, 40)
            _write_generation(generation)
    elif getattr(args, "db", None):
        path = Path(args.db)  # an explicit file must exist: a typo should not start an empty programme
    else:
        path = default_db()
        if not path.exists():  # a new workstation: an empty database; `arena sync` fills it
            from store import db

            path.parent.mkdir(parents=True, exist_ok=True)
            print(t("cli.db_created", path=path), flush=True)
            db.open(path).dispose()
    from tui.app import run

    return run(str(path), login=common.os_login(), claimed=common.claimed_user(args), exit_after_ready=args.exit_after_ready,
               notice=notice)


def _write_generation(path: Path) -> None:
    """The demo's generation beside its database, owner-only (0600) like every file Arena writes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # one left by an older release (0644) becomes owner-only too
    with open(fd, "w", encoding="utf-8") as out:
        out.write(DEMO_GENERATION)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _set_demo_aside(path: Path) -> str:
    """An older generation's demo database (with whatever was tried in it) renamed, with its WAL, beside it;
    said on stdout, in the log and (returned) on the app's first screen."""
    import time

    aside = path.with_name(f"{path.stem}-{time.strftime('%Y%m%d-%H%M%S')}{path.suffix}")
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.rename(aside.with_name(aside.name + suffix))
    line = t("demo.outdated", old=aside)
    print(line, flush=True)
    log.warning("the demo database %s was set aside as %s (no generation %s beside it)", path, aside, DEMO_GENERATION)
    return line


def _early_language(argv: list[str]) -> None:
    """The language before parsing, so argparse's refusals are said in it too."""
    lang = os.environ.get("ARENA_LANG", "sv")
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    if lang in ("sv", "en"):
        set_language(lang)


def _say_migration() -> None:
    """A database from before encryption is encrypted at its first open (store.dbfile), one from an older
    release upgraded (store.db.migrate): say so first, on stderr."""
    from store import dbfile

    def say(path: str, key: str) -> None:
        log.warning("encrypting %s in place", path)
        sys.stderr.write(f"arena: {t('db.encrypting', path=path, file=key)}\n")
        sys.stderr.flush()

    def upgrading(path: str, _found: int, _latest: int) -> None:
        log.warning("upgrading %s from schema %d to %d", path, _found, _latest)
        sys.stderr.write(f"arena: {t('db.upgrading', path=path)}\n")
        sys.stderr.flush()

    dbfile.on_migrate = say
    dbfile.on_upgrade = upgrading


def main(argv: list[str] | None = None) -> int:
    _early_language(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "out", None) == "-":
        args.out = None  # `--out -`: standard output, as the tools an IT administrator knows read it
    set_language(getattr(args, "lang", None) or os.environ.get("ARENA_LANG", "sv"))
    _log_beside_database(args)
    _say_migration()
    command = args.command or "app"
    try:
        if args.command is None:
            return run_tui(args)
        if args.command not in COMMANDS:
            _register_late_commands()
        return COMMANDS[args.command](args)
    except ArenaError as error:
        # a refusal the store made itself is one line; one caused by an error underneath (a share's
        # OSError, a server gone) keeps that error's traceback in the log, with the file or folder it names
        log.warning("arena %s: %s", command, error, exc_info=error if (error.__cause__ or error.__context__) else None)
        acting = getattr(args, "acting", None)
        if acting is not None:
            from store import audit

            database, login = acting
            audit.refused(database, login, error)
        sys.stderr.write(f"arena: {error}\n")
        return 2
    except KeyboardInterrupt:
        log.warning("arena %s: interrupted", command)
        sys.stderr.write(f"arena: {t('cli.interrupted')}\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # noqa: BLE001 -- never a traceback on the screen: it goes to the log file
        log.error("arena %s failed", command, exc_info=error)
        sys.stderr.write(f"arena: {t('cli.unexpected', detail=f'{type(error).__name__}: {error}')}\n")
        return 1


def _log_beside_database(args: argparse.Namespace) -> None:
    """The log file goes beside the database the command works on (when its folder exists)."""
    from store import logs

    path = Path(getattr(args, "db", None) or (demo_db() if getattr(args, "demo", False) else default_db()))
    logs.setup(path if path.parent.is_dir() else None, verbose=bool(getattr(args, "verbose", False)))

