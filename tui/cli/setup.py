"""Setting a programme up from the command line: `init`, `activities`, `enrol`/`unenrol` and their
parsers (imported for every `arena` run, so it imports no store module at the top); every rule lives in
`store`."""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from store.i18n import ArenaError

from tui.text import num, t
from tui.cli import common
from tui.paths import default_db


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                person: argparse.ArgumentParser) -> None:
    p = sub.add_parser("init", parents=[common], help=t("cli.h.init"))
    p.add_argument("--admin", metavar=t("cli.mv.login"), help=t("cli.h.admin"))
    p.add_argument("--name", help=t("cli.h.admin_name"))
    p.add_argument("--join", action="store_true",
                   help=t("cli.h.join"))
    p.add_argument("--no-encryption", dest="encrypt", action="store_false", help=t("cli.h.no_encryption"))

    p = sub.add_parser("activities", parents=[common, person], help=t("cli.h.activities"))
    p.add_argument("action", choices=("list", "add", "edit", "close"))
    p.add_argument("name", nargs="?", help=t("cli.h.activity_name"))
    p.add_argument("--rename", help=t("cli.h.rename"))
    p.add_argument("--kind")
    p.add_argument("--site")
    p.add_argument("--leader", help=t("cli.h.leader"))
    p.add_argument("--capacity", type=int, help=t("cli.h.capacity"))
    p.add_argument("--hours", help=t("cli.h.hours"))
    p.add_argument("--session", action="append", default=[], metavar=t("cli.mv.session_spec"),
                   help=t("cli.h.session_spec"))
    p.add_argument("--from", dest="from_date", help=t("cli.h.hours_from"))
    p.add_argument("--end", help=t("cli.h.end"))

    for name, helptext in (("enrol", "cli.h.enrol"), ("unenrol", "cli.h.unenrol")):
        p = sub.add_parser(name, parents=[common, person], help=t(helptext))
        p.add_argument("person", help=t("cli.h.person"))
        p.add_argument("activity")
        p.add_argument("--session", help=t("cli.h.session_name"))
        if name == "enrol":
            p.add_argument("--from", dest="from_date", required=True, help=t("cli.h.first_day"))
            p.add_argument("--to", dest="to_date", help=t("cli.h.last_day"))
            p.add_argument("--reason", default="", help=t("cli.h.full_reason"))
        else:
            p.add_argument("--last", dest="last_date", required=True, help=t("cli.h.last_day"))


# ------------------------------------------------------------------------------------------------ init

def cmd_init(args: argparse.Namespace) -> int:
    """A new workstation database: with its first administrator, or (--join) empty for `arena sync`."""
    from store import db, pins, staff, validate

    path = Path(getattr(args, "db", None) or default_db())
    if path.exists():
        raise ArenaError("init.exists", path=str(path))
    if args.join:
        database = db.open(path, encrypt=args.encrypt)
        staff.mark_joining(database)
        database.dispose()
        print(t("init.joined", path=path))
        _say_key(database)
        return 0
    if args.admin:
        login, name = args.admin, args.name or args.admin
        pin = sys.stdin.readline().strip()
        if not pin:
            raise ArenaError("init.no_pin")
    else:
        if not sys.stdin.isatty():
            raise ArenaError("init.not_a_terminal")
        name = args.name or common.asked(input, t("init.ask_name"))
        validate.text(name, "name", max_len=120, required=True)
        login = common.asked(input, t("init.ask_login", login=common.os_login())).strip() or common.os_login()
        validate.login(login)
        pin = common.asked(getpass.getpass, t("init.ask_pin", n=pins.PIN_MIN))
        pins.check_new_pin(pin)
        if common.asked(getpass.getpass, t("init.ask_pin_again")) != pin:
            raise ArenaError("pin.mismatch")
    # every check before the file exists, so a refused init leaves nothing behind
    validate.login(login)
    validate.text(name, "name", max_len=120, required=True)
    pins.check_new_pin(pin)
    path.parent.mkdir(parents=True, exist_ok=True)
    database = db.open(path, encrypt=args.encrypt)
    try:
        staff.first_admin(database, login, name, pin)
        if login != common.os_login():  # this OS account is that administrator on this workstation
            staff.remember(database, common.os_login(), login)
    except BaseException:
        database.dispose()
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    database.dispose()
    print(t("init.done", path=path, login=login))
    _say_key(database)
    return 0


def _say_key(database) -> None:  # noqa: ANN001
    """Where the key that encrypts the new database is (never the key itself), or that it is plain."""
    from store import dbfile

    print(t("init.encrypted", file=dbfile.key_path()) if database.encrypted else t("init.plain"))


COMMANDS = {"init": cmd_init}


# ------------------------------------------------------------------------------------------ activities

def cmd_activities(args: argparse.Namespace) -> int:
    from store import activities, clock, validate

    database = common.open_db(args)
    actor = common.actor(args, database)
    if args.action == "list":
        listed = activities.all_activities(database, include_closed=True)
        # columns as wide as their longest value: a long site never runs into the leader's login
        acts = [(a.name, a.kind, a.site or "–", a.leader_login or "–", t("act.closed") if a.closed else "")
                for a in listed]
        sessions = [[(s.name or "–", s.times or t("act.all_day"), " ".join(num(h) for h in s.hours),
                      t("act.places", n=s.enrolled, capacity=s.capacity)
                      + (f"  {t('act.ends', date=s.end_date)}" if s.end_date else "")) for s in a.sessions]
                    for a in listed]
        wide = [max((len(row[i]) for row in acts), default=0) for i in range(4)]
        inner = [max((len(row[i]) for rows in sessions for row in rows), default=0) for i in range(3)]
        for act, rows in zip(acts, sessions):
            print("  ".join(cell.ljust(w) for cell, w in zip(act, [*wide, 0])).rstrip())
            for row in rows:
                print("    " + "  ".join(cell.ljust(w) for cell, w in zip(row, [*inner, 0])).rstrip())
        return 0
    if not args.name:
        raise ArenaError("cli.missing", what=t("cli.activity_name"))
    if args.action == "add":
        if args.session and args.hours and len(args.session) > 1:
            raise ArenaError("cli.bad_usage", detail="--hours: ett pass / one session")
        specs = [activities.parse_session(s, args.hours) for s in args.session] or None
        hours = activities.parse_hours(args.hours) if args.hours and not specs else None
        if specs is None and hours is None:
            raise ArenaError("act.need_schedule")
        activities.create(database, actor, args.name, hours, kind=args.kind or "", site=args.site or "",
                          leader_login=args.leader or None, capacity=args.capacity or 25, sessions=specs)
        print(t("act.added", name=args.name))
        return 0
    aid = activities.find(database, args.name)
    if args.action == "close":
        last = validate.date(args.end) if args.end else clock.today()
        ended = activities.close(database, actor, aid, last)
        print(t("act.closed_now", name=args.name, date=last.isoformat(), n=ended))
        return 0
    # edit: the activity's own fields, then each --session (an existing one is changed, a new one added)
    activities.edit(database, actor, aid, name=args.rename, kind=args.kind, site=args.site,
                    leader_login=args.leader, capacity=args.capacity if not args.session else None)
    since = validate.date(args.from_date) if args.from_date else clock.today()
    existing = {s.name.casefold(): s for s in activities.sessions_of_activity(database, aid, since)}
    for text in args.session or ([""] if args.hours or args.end else []):
        name = text.partition("=")[0].strip()
        if name.casefold() in existing and "=" not in text:  # only the session's name: hours/end/capacity
            s = existing[name.casefold()]
            activities.edit_session(database, actor, s.id, capacity=args.capacity,
                                    end_date=validate.date(args.end) if args.end else "",
                                    hours=activities.parse_hours(args.hours) if args.hours else None,
                                    valid_from=since)
        elif name.casefold() in existing:
            spec = activities.parse_session(text, args.hours)
            activities.edit_session(database, actor, existing[name.casefold()].id, start=spec.start, end=spec.end,
                                    capacity=spec.capacity or args.capacity,
                                    end_date=validate.date(args.end) if args.end else "",
                                    hours=spec.hours, valid_from=since)
        else:
            activities.add_session(database, actor, aid, activities.parse_session(text, args.hours))
    print(t("act.saved", name=args.rename or args.name))
    return 0


# ------------------------------------------------------------------------------------------- enrolment

def _person(database, actor: str, text: str) -> str:  # noqa: ANN001
    from store import cases

    found = cases.find_one(database, actor, text)
    if found is None:
        from store import identity

        meant = identity.corrected(text)  # a mistyped check digit is said as such, as `arena find` says it
        if meant:
            raise ArenaError("id.check_digit_hint", number=meant)
        raise ArenaError("att.unknown_person", value=text[:40])
    return found


def cmd_enrol(args: argparse.Namespace) -> int:
    from store import activities, validate

    database = common.open_db(args)
    actor = common.actor(args, database)
    start = validate.date(args.from_date)
    end = validate.date(args.to_date) if args.to_date else None
    pid = _person(database, actor, args.person)
    aid = activities.find(database, args.activity)
    activities.enrol(database, actor, pid, aid, start, end, session=args.session, reason=args.reason)
    print(t("enrol.done", person=args.person, activity=args.activity, session=args.session or "",
            start=start.isoformat()).replace("  ", " "))
    return 0


def cmd_unenrol(args: argparse.Namespace) -> int:
    from store import activities, validate

    database = common.open_db(args)
    actor = common.actor(args, database)
    last = validate.date(args.last_date)
    pid = _person(database, actor, args.person)
    aid = activities.find(database, args.activity)
    if not activities.unenrol(database, actor, pid, aid, args.session, last):
        raise ArenaError("enrol.none", person=args.person, activity=args.activity)
    print(t("enrol.ended", person=args.person, activity=args.activity, date=last.isoformat()))
    return 0


COMMANDS.update({"activities": cmd_activities, "enrol": cmd_enrol, "unenrol": cmd_unenrol})
