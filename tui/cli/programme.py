"""The programme's upkeep: `report`, `stages`, `sync`, `keys`, `users`, `settings` and `gallra`. Imported
only when one of them runs; every rule lives in `store`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from store.i18n import ArenaError, os_reason

from tui.text import t
from tui.cli import common
from tui.paths import default_key


def cmd_report(args: argparse.Namespace) -> int:
    from store import report, tabular

    report.period_of(args.month, args.start, args.end)  # a bad period is refused before anything is opened
    if args.month and (args.start or args.end):
        raise ArenaError("cli.bad_usage", detail="--month | --from/--to")
    if sum(bool(x) for x in (args.participant, args.caseworker, args.activity)) > 1:
        raise ArenaError("cli.bad_usage", detail="--participant | --caseworker | --activity")
    dialect = tabular.dialect(args.dialect) if args.format == "csv" else None
    if args.format != "csv" and not args.out:
        raise ArenaError("report.xlsx_needs_out")
    common.check_out(args)
    database = common.open_db(args)
    # The whole programme streams (bounded memory); one person or a caseload is small anyway.
    built = report.build(database, common.actor(args, database), args.month, start=args.start, end=args.end,
                         participant=args.participant, caseworker=args.caseworker, activity=args.activity,
                         stream=True, reason=args.reason)
    if args.format == "csv":
        with common.out(args, bom=bool(dialect and dialect.bom)) as out:
            report.write_csv(built, out, dialect)
    else:
        with common.out(args, binary=True) as out:
            (report.write_pdf if args.format == "pdf" else report.write_xlsx)(built, out)
    if args.out:
        print(report.summary(built))
    return 0


def cmd_stages(args: argparse.Namespace) -> int:
    from store import milestones

    database = common.open_db(args)
    login = common.actor(args, database)
    if args.action in ("add", "rename") and not args.code:
        raise ArenaError("cli.bad_usage", detail=t("stages.code_needed"))
    if args.action == "add":
        milestones.add_stage(database, login, args.code, args.sv or "", args.en or "", args.kind, args.after)
    elif args.action == "rename":
        if not (args.sv or args.en):
            raise ArenaError("cli.bad_usage", detail="--sv/--en")
        milestones.rename_stage(database, login, args.code, args.sv, args.en)
    for s in milestones.stages(database):
        print(f"{s.code:16} {s.label_sv:26} {s.label_en:32} {s.kind}")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    """Exit 0 only when nothing is stranded; 1 when the sync ran but something waits or failed (the
    last line says what and what to do); 2 for bad usage, a missing key or an unreachable share."""
    from store import sync

    if args.status:
        return _sync_status(args)
    if not args.share:
        raise ArenaError("cli.bad_usage", detail="--share")
    key_path = Path(args.key or default_key()).resolve()
    key = sync.load_key(key_path)
    share = sync.open_share(args.share)
    try:
        return _sync_with(args, share, key, key_path)
    finally:
        share.close()


def _sync_with(args: argparse.Namespace, share, key: bytes, key_path) -> int:  # noqa: ANN001
    from store import sync

    if args.archivable:
        from store import snapshot

        newest, spare = snapshot.archivable(share, key)
        for path in spare:
            print(path)
        sys.stderr.write(t("sync.archivable", name=newest, n=len(spare)) + "\n" if newest
                         else t("sync.no_snapshot") + "\n")
        return 0
    if args.import_share:
        _import_share(args.import_share, share, key)
    database = common.open_db(args)
    try:
        summary = sync.sync(database, share, key, write_snapshot=True if args.snapshot else None)
    except OSError as error:
        raise ArenaError("sync.share_failed", path=args.share, detail=os_reason(error)) from error
    sync.remember(database, args.share if sync.is_database_url(args.share) else str(Path(args.share).resolve()),
                  str(key_path))
    for problem in summary.problems:
        sys.stderr.write(f"arena: {t('sync.problem', detail=problem)}\n")
    print(summary.line())
    return 0 if summary.ok else 1


def _sync_status(args: argparse.Namespace) -> int:
    from store import sync

    database = common.open_db(args)  # opening checks the access log's triggers and chains (store.tamper)
    state = sync.status(database)
    print(t("sync.status_last", at=state.last_at[:16].replace("T", " "), line=state.last_line)
          if state.last_at else t("sync.status_never"))
    if state.pending_own:
        print(t("sync.status_own", n=state.pending_own))
    if state.waiting:
        print(t("sync.status_waiting", n=state.waiting))
    for item in state.quarantined:
        print(t("sync.status_quarantine", detail=item))
    from store import tamper

    evidence = tamper.evidence(database)
    for line in tamper.describe(evidence):
        print(line)
    return 1 if state.needs_a_person or not evidence.clean else 0


def _import_share(directory: str, share, key: bytes) -> None:  # noqa: ANN001
    """Copy a file share's files to the PostgreSQL hub before the sync; collisions stop everything."""
    from store import hubmove, pgshare, sync

    if not isinstance(share, pgshare.PgShare):
        raise ArenaError("sync.import_needs_pg")
    try:
        result = hubmove.import_share(sync.DirShare(directory), share, key)
    except OSError as error:
        raise ArenaError("sync.share_failed", path=directory, detail=os_reason(error)) from error
    if result.collisions:
        raise ArenaError("sync.import_collision", n=len(result.collisions), name=result.collisions[0])
    print(t("sync.imported", path=directory, copied=result.copied, present=result.present))
    if result.ignored:
        sys.stderr.write(f"arena: {t('sync.import_ignored', n=result.ignored)}\n")


def cmd_keys(args: argparse.Namespace) -> int:
    from store import sync

    path = sync.new_key(args.file)
    print(t("sync.key_created", path=path))
    return 0


COMMANDS = {"report": cmd_report, "stages": cmd_stages, "sync": cmd_sync, "keys": cmd_keys}


def cmd_users(args: argparse.Namespace) -> int:
    from store import pins, staff

    # what the command lacks is said before the PIN is asked
    if args.action != "list" and not args.login:
        raise ArenaError("cli.missing", what="LOGIN")
    if args.action == "add" and not args.name:
        raise ArenaError("cli.missing", what="--name")
    if args.action == "role" and not args.role:
        raise ArenaError("cli.missing", what="--role")
    database = common.open_db(args)
    actor = common.actor(args, database)
    if args.action == "add":
        code = staff.add(database, actor, args.login, args.name, args.role or "caseworker", args.site)
        print(t("user.setup_code", login=args.login, code=code))
    elif args.action == "role":
        staff.set_role(database, actor, args.login, args.role)
    elif args.action == "deactivate":
        staff.deactivate(database, actor, args.login)
    elif args.action == "reset-pin":
        print(t("user.setup_code", login=args.login, code=pins.reset_pin(database, actor, args.login)))
    if args.action != "list":
        print(t("user.done", login=args.login))
        return 0
    for user, active, has_pin in staff.all_users(database, actor):
        state = t("user.active") if active else t("user.inactive")
        print(f"{user.login:24} {user.name:28} {t('role.' + user.role):18} {state:10} "
              f"{t('user.pin') if has_pin else t('user.no_pin')}")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from store import settings, staff

    database = common.open_db(args)
    login = common.actor(args, database)
    if args.key is not None:
        if args.value is None:
            raise ArenaError("cli.missing", what="VALUE")
        staff.set_setting(database, login, args.key, args.value)
    for key in settings.DEFAULTS:
        print(f"{key:22} {settings.value(database, key)}")
    return 0


def _whole_names(names: list[str], room: int = 200) -> str:
    """The names for the gallring question, each whole: as many as fit in `room` characters, then how many
    more ("och 3 till"), never a name cut in the middle."""
    shown: list[str] = []
    for name in names:
        if shown and len("; ".join([*shown, name])) > room:
            return "; ".join(shown) + " " + t("gallra.more", n=len(names) - len(shown))
        shown.append(name)
    return "; ".join(shown)


def cmd_gallra(args: argparse.Namespace) -> int:
    """Lists what goes; without --dry-run it names every person and removes only after a typed "ja"
    (the next line of standard input after the PIN, or --yes for a scheduled job)."""
    from store import clock, retention, validate

    as_of = validate.date(args.as_of) if args.as_of else clock.today()
    database = common.open_db(args)
    login = common.actor(args, database)
    planned = retention.plan(database, login, as_of)
    if args.dry_run or not planned.remove:
        for c in planned.remove:
            counts = ", ".join(f"{k} {v}" for k, v in c.counts.items())
            print(f"{c.participant_id}  {t('gallra.last', day=c.last_entry)}  {counts}")
        key = "gallra.would" if args.dry_run else "gallra.done"
        print(t(key, n=len(planned.remove), cutoff=planned.cutoff.isoformat(), kept=planned.kept_for_research))
        return 0
    named = retention.names(database, login, [c.participant_id for c in planned.remove])
    for c in planned.remove:
        counts = ", ".join(f"{k} {v}" for k, v in c.counts.items())
        print(f"{named.get(c.participant_id, '')}  {c.participant_id}  {t('gallra.last', day=c.last_entry)}  {counts}")
    if not args.yes:
        print(t("gallra.confirm", n=len(planned.remove), names=_whole_names(list(named.values()))), end=" ", flush=True)
        answer = sys.stdin.readline().strip().casefold() if sys.stdin is not None else ""
        if answer not in (t("gallra.yes").casefold(), "ja", "yes"):
            print()
            raise ArenaError("gallra.not_confirmed")
    result = retention.run(database, login, as_of, only={c.participant_id for c in planned.remove})
    print(t("gallra.done", n=len(result.remove), cutoff=result.cutoff.isoformat(), kept=result.kept_for_research))
    return 0


COMMANDS.update({"users": cmd_users, "settings": cmd_settings, "gallra": cmd_gallra})
