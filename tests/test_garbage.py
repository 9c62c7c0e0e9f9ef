"""Garbage in, a clean refusal out: every CLI subcommand and every form field is fed wrong types, huge
strings, control characters, SQL-looking text and impossible dates. Each must be refused with one line
(CLI exit 2) or a message in the form, never a traceback, and the database file must not change."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from store import dbfile
from tui import cli

from .conftest import World
from .test_tui import make_app, settle

HUGE = "Å" * 20_000
CONTROL = "Anna\x1b[2J\x00"
SQL = "x'); DROP TABLE participant; --"
BAD_DATES = ("2026-02-30", "igår", "2026-13-01", "0000-00-00")


def fingerprint(path: Path) -> str:
    """Every row of every table, but for the tamper check's own bookkeeping: how far the hash chains were
    verified, which an open records when there is something new to verify (store.tamper.check)."""
    con = dbfile.connect(path)
    try:
        digest = hashlib.sha256()
        tables = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in tables:
            for row in con.execute(f"SELECT * FROM {table} ORDER BY 1"):
                if table == "setting" and row[0] == "tamper":
                    continue
                digest.update(repr((table, row)).encode())
        return digest.hexdigest()
    finally:
        con.close()


def cli_garbage(db: str, tmp: str) -> list[list[str]]:
    cases = [
        ["find", CONTROL], ["find", HUGE], ["find", "a", "--format", "xml"],
        ["export", "--what", SQL], ["export", "--what", "audit", "--since", "2026-02-30"],
        ["export", "--what", "audit", "--case", "19850612-1230"], ["export", "--what", "participants", "--by", "x"],
        ["import", "attendance", f"{tmp}/saknas.csv"], ["import", "attendance", f"{tmp}/skrap.csv"],
        ["import", "kaffe", f"{tmp}/skrap.csv"],
        ["report", "narvaro", "--month", SQL], ["report", "narvaro", "--month", "2026-13"],
        ["report", "narvaro", "--month", "2026-11", "--participant", "19850612-1230"],
        ["report", "narvaro", "--month", "2026-11", "--caseworker", SQL],
        ["stages", "add", HUGE, "--sv", "x"], ["stages", "add", "ok", "--sv", CONTROL],
        ["stages", "add", "ok", "--sv", "Ok", "--kind", "sjuk"], ["stages", "rename", SQL, "--sv", "x"],
        ["sync", "--share", f"{tmp}/ingen-utdelning", "--key", f"{tmp}/ingen.key"],
        ["keys", "new", f"{tmp}/saknas/dir/arena.key"],
        ["users", "add", "dålig login!", "--name", "X"], ["users", "add", "ok.login", "--name", CONTROL],
        ["users", "add", "ok.login", "--name", HUGE], ["users", "role", SQL, "--role", "admin"],
        ["users", "role", "omar.farah", "--role", "kung"], ["users", "deactivate", "ingen.alls"],
        ["settings", "alert.stale_days", "många"], ["settings", "alert.stale_days", "1e999"],
        ["settings", SQL, "3"], ["settings", "lock.idle_minutes", "0"], ["settings", "lock.idle_minutes", "-5"],
        ["settings", "lock.idle_minutes", "100000000"], ["settings", "alert.stale_days", "2,5"],
        *[["gallra", "--as-of", bad] for bad in BAD_DATES],
        ["demo", "--participants", "-5"],
        ["init", "--admin", SQL], ["init", "--join"],
        ["activities", "add", HUGE, "--hours", "åtta"], ["activities", "add", "ok", "--session", "fm=25:00-26:00"],
        ["activities", "edit", SQL], ["activities", "close", "ingen", "--end", "2026-02-30"],
        ["enrol", SQL, "Kaffe", "--from", "2026-02-30"], ["enrol", CONTROL, "Kaffe", "--from", "2026-11-02"],
        ["unenrol", "19850612-1230", "x", "--last", "igår"],
    ]
    return [[*args, "--db", db, "--user", "setup", *(["--pin-stdin"] if args[0] in cli.PERSON_COMMANDS else [])]
            for args in cases]


def test_every_cli_subcommand_refuses_garbage_cleanly(world: World, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "skrap.csv").write_bytes(b"\xff\xfe\x00garbage\x00\n" + HUGE.encode() + b"\n" + SQL.encode())
    before = fingerprint(world.path)
    commands = cli_garbage(str(world.path), str(tmp_path))
    assert {c[0] for c in commands} >= set(cli.build_parser()._subparsers._group_actions[0].choices)
    for argv in commands:
        try:
            code = cli.main(argv)
        except SystemExit as exit_:  # argparse refuses bad usage by exiting 2, as the real command does
            code = exit_.code
        err = capsys.readouterr().err
        assert code == 2, (argv[:3], err)
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines and all(line.startswith(("arena:", "rad ", "line ")) for line in lines), (argv[:3], err)
        assert "Traceback" not in err and "Oväntat" not in err, (argv[:3], err)
        assert fingerprint(world.path) == before, argv[:3]


def test_sql_looking_text_is_only_text(world: World) -> None:
    from store import cases

    cases.add_note(world.db, "omar.farah", world.people[0], SQL)
    assert [n.text for n in cases.notes(world.db, "karin.ek", world.people[0])] == [SQL]
    assert cases.search(world.db, SQL, login="omar.farah") == []
    con = dbfile.connect(world.path)
    assert con.execute("SELECT count(*) FROM participant").fetchone()[0] == 25


REGISTER_FIELDS = {  # field: garbage it must refuse (besides huge text and control characters)
    "#reg-number": ["19850612-1230", "abc", "2026-02-30"],
    "#reg-first": [""],
    "#reg-last": [""],
    "#reg-gender": ["Q", "7"],
    "#reg-referral": list(BAD_DATES),
    "#reg-plan": ["åtta", "8 8 8", "-1 8 8 8 8", "99 8 8 8 8", "nan 8 8 8 8"],
}


async def test_every_registration_field_refuses_garbage(world: World) -> None:
    from textual.widgets import Input, Label

    before = fingerprint(world.path)
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f2", "ctrl+n")
        await settle(pilot, app)
        form = app.screen
        assert type(form).__name__ == "RegisterScreen"
        valid = {"#reg-number": "", "#reg-first": "Test", "#reg-last": "Testsson", "#reg-gender": "K",
                 "#reg-referral": "2026-11-02", "#reg-plan": "8 8 8 8 8"}
        for field, bad_values in REGISTER_FIELDS.items():
            for bad in [*bad_values, HUGE, CONTROL]:
                for name, good in valid.items():
                    form.query_one(name, Input).value = good
                form.query_one(field, Input).value = bad
                await settle(pilot, app, rounds=1)
                await pilot.press("ctrl+s")
                await settle(pilot, app)
                assert app.screen is form, (field, bad[:20])
                shown = str(form.query_one("#reg-error", Label).render()) + \
                    str(form.query_one("#reg-number-error", Label).render())
                assert shown.strip(), (field, bad[:20])
                assert fingerprint(world.path) == before, (field, bad[:20])


async def test_every_edit_field_and_the_note_refuse_garbage(world: World) -> None:
    from textual.widgets import Input, Label

    before = fingerprint(world.path)
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.open_case(world.people[1], "Berg, Björn")
        await settle(pilot, app)
        await pilot.press("ctrl+e")
        await settle(pilot, app)
        form = app.screen
        assert type(form).__name__ == "EditScreen"
        fields = {"#ed-first": ["", HUGE, CONTROL], "#ed-last": ["", HUGE, CONTROL], "#ed-phone": [HUGE, CONTROL],
                  "#ed-address": [HUGE, CONTROL], "#ed-plan": ["åtta", "8 8", "-1 8 8 8 8", "inf 8 8 8 8"]}
        original = {name: form.query_one(name, Input).value for name in fields}
        for field, bad_values in fields.items():
            for bad in bad_values:
                for name, value in original.items():
                    form.query_one(name, Input).value = value
                form.query_one(field, Input).value = bad
                await pilot.press("ctrl+s")
                await settle(pilot, app)
                assert app.screen is form, (field, bad[:20])
                assert str(form.query_one("#ed-error", Label).render()).strip(), (field, bad[:20])
        await pilot.press("escape")
        await settle(pilot, app)
        await pilot.press("ctrl+n")  # a note that is only control characters and far too long
        await settle(pilot, app)
        dialog = app.screen
        field = dialog.query_one(Input) if dialog.query(Input) else None
        if field is not None:
            for bad in (HUGE, CONTROL, "   "):
                field.value = bad
                await pilot.press("enter")
                await settle(pilot, app)
                assert app.screen is dialog, bad[:20]
    # the case view was logged (an access-log row); nothing else may have changed
    con = dbfile.connect(world.path)
    con.execute("PRAGMA foreign_keys=OFF")
    assert con.execute("SELECT count(*) FROM note").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM change_log WHERE tbl = 'participant' AND kind = 'upsert'"
                       " AND by != 'setup'").fetchone()[0] == 0
    assert before  # computed before the view was logged
