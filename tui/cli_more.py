"""The larger subcommands (`report`, `stages`), imported only when one of them runs."""
from __future__ import annotations

import argparse
import sys

from store.i18n import ArenaError, t
from tui.cli import _login, _open_db, _out


def cmd_report(args: argparse.Namespace) -> int:
    from store import report, validate

    validate.month(args.month)  # a bad month is refused before anything is opened
    database = _open_db(args)
    built = report.build(database, _login(args), args.month, participant=args.participant,
                         caseworker=args.caseworker)
    if args.format == "xlsx":
        if not args.out:
            raise ArenaError("report.xlsx_needs_out")
        with _out(args, binary=True) as out:
            report.write_xlsx(built, out)
    else:
        out = _out(args)
        try:
            report.write_csv(built, out)
        finally:
            if out is not sys.stdout:
                out.close()
    if args.out:
        print(report.summary(built))
    return 0


def cmd_stages(args: argparse.Namespace) -> int:
    from store import milestones

    database = _open_db(args)
    login = _login(args)
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
    from store import sync
    from tui.cli import default_key

    from pathlib import Path

    key_path = Path(args.key or default_key()).resolve()
    key = sync.load_key(key_path)
    share = sync.DirShare(args.share)
    database = _open_db(args)
    try:
        summary = sync.sync(database, share, key)
    except OSError as error:
        raise ArenaError("sync.share_failed", path=args.share, detail=error.strerror or str(error)) from error
    sync.remember(database, str(Path(args.share).resolve()), str(key_path))
    for problem in summary.problems:
        sys.stderr.write(f"arena: {t('sync.problem', detail=problem)}\n")
    print(t("sync.summary", sent=summary.sent, received=summary.received, conflicts=summary.conflicts,
            quarantined=summary.quarantined) + (" " + t("sync.waiting", n=summary.waiting) if summary.waiting else ""))
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from store import sync

    path = sync.new_key(args.file)
    print(t("sync.key_created", path=path))
    return 0


COMMANDS = {"report": cmd_report, "stages": cmd_stages, "sync": cmd_sync, "keys": cmd_keys}
