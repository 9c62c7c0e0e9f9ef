"""Issue 17's attacks that earlier tests did not cover, each through the real parts (the store's own rule,
the Pilot pressing keys, the CLI in a subprocess): protected identity in sync conflicts, a person's
enrolments read by someone whose case it is not."""
from __future__ import annotations

from pathlib import Path

import pytest

from store import access, activities, cases, db, dbfile, merge, sync

from .conftest import PIN, World, make_world


def run_sync(path: Path, share: Path, key: Path) -> sync.Summary:
    database = db.open(path)
    try:
        return sync.sync(database, sync.open_share(str(share)), sync.load_key(key))
    finally:
        database.dispose()


@pytest.fixture
def conflicted(tmp_path: Path) -> tuple[Path, str]:
    """Two workstations that changed a protected person's address: workstation a keeps a conflict."""
    key = sync.new_key(tmp_path / "arena.key")
    share = tmp_path / "share"
    share.mkdir()
    a = make_world(tmp_path / "a.db", n=3)
    pid = a.people[0]  # Karin Ek's
    cases.update(a.db, "karin.ek", pid, personnummer="19850612-1238", address="Hemliga vägen 1", protected=True)
    a.db.dispose()
    b_path = tmp_path / "b.db"
    run_sync(a.path, share, key)
    run_sync(b_path, share, key)
    b = db.open(b_path)
    cases.update(b, "karin.ek", pid, address="Gömda gatan 2", phone="070-111 22 33")
    b.dispose()
    run_sync(b_path, share, key)
    a_db = db.open(a.path)
    cases.update(a_db, "karin.ek", pid, address="Dolda stigen 3", phone="070-444 55 66")
    a_db.dispose()
    run_sync(a.path, share, key)
    con = dbfile.connect(a.path)
    assert con.execute("SELECT count(*) FROM conflict WHERE field IN ('address', 'phone')").fetchone()[0] >= 1
    con.close()
    return a.path, pid


SECRETS = ("Gömda", "Dolda", "111 22 33", "444 55 66")


def test_protected_identity_is_redacted_in_conflicts_by_the_store(conflicted: tuple[Path, str]) -> None:
    """On main `merge.conflicts` (then `sync.conflicts`) showed every caseworker a protected person's old and new address."""
    path, _ = conflicted
    database = db.open(path)
    try:
        shown = repr([(c.kept, c.lost) for c in merge.conflicts(database, "omar.farah")])
        assert not any(s in shown for s in SECRETS) and "•••" in shown
        for allowed in ("karin.ek", "setup"):  # the responsible caseworker and the administrator see it
            shown = repr([(c.kept, c.lost) for c in merge.conflicts(database, allowed)])
            assert any(s in shown for s in SECRETS), allowed
    finally:
        database.dispose()


async def test_the_conflict_screen_shows_a_caseworker_no_protected_address(conflicted: tuple[Path, str]) -> None:
    from tui.app import ArenaApp

    from .test_tui import settle

    path, _ = conflicted
    for login, sees in (("omar.farah", False), ("karin.ek", True)):
        app = ArenaApp(db.open(path), login, pin=PIN)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, app)
            await pilot.press("f5")
            await settle(pilot, app)
            await pilot.press("k")
            await settle(pilot, app)
            table = app.screen.query_one("#conflicts")
            assert table.row_count >= 1
            cells = repr([table.get_row_at(i) for i in range(table.row_count)])
            assert any(s in cells for s in SECRETS) == sees, login
            if not sees:
                assert "•••" in cells
        app.db.dispose()


def test_enrolments_of_a_person_ask_the_case_rule(world: World) -> None:
    """On main activities.enrolments checked only the role: any caseworker listed anyone's enrolments."""
    karins, omars = world.people[0], world.people[1]
    assert activities.enrolments(world.db, "omar.farah", omars)
    with pytest.raises(access.AccessDenied, match="anledning"):
        activities.enrolments(world.db, "omar.farah", karins)
    with pytest.raises(access.AccessDenied, match="aktivitetsledare"):
        activities.enrolments(world.db, "lena.leder", omars)
    cases.open_case(world.db, "omar.farah", karins, reason="Vikarierar för Karin")
    assert activities.enrolments(world.db, "omar.farah", karins)
    with pytest.raises(access.AccessDenied, match="anledning"):  # an administrator too, as for the card
        activities.enrolments(world.db, "setup", karins)


async def test_the_administrator_manages_users_from_f5_and_a_caseworker_cannot(world: World) -> None:
    """#17: the TUI's user admin – add a user (the setup code shown once, and it works), reset a PIN,
    change a role, deactivate – with real keys, then the database checked; a caseworker neither gets
    the screen nor the store call."""
    from textual.widgets import DataTable, Input

    from store import pins, staff
    from tui.app import ArenaApp
    from tui.screens.users import SetupCodeDialog, UsersScreen

    from .test_tui import settle

    app = ArenaApp(db.open(world.path), "setup", pin=PIN)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f5")
        await settle(pilot, app)
        await pilot.press("u")
        await settle(pilot, app)
        assert isinstance(app.screen, UsersScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 4
        rows = {table.get_row_at(i)[0]: table.get_row_at(i) for i in range(table.row_count)}
        assert rows["lena.leder"][2] == "aktivitetsledare" and rows["lena.leder"][4] == "PIN satt"
        await pilot.press("ctrl+n")
        await settle(pilot, app)
        await pilot.press(*"nadia.nilsson", "enter", *"Nadia Nilsson", "enter")
        app.screen.query_one("#form-role", Input).value = "Aktivitetsledare"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, SetupCodeDialog)
        code = app.screen.code
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, UsersScreen)
        rows = [app.screen.query_one(DataTable).get_row_at(i) for i in range(app.screen.query_one(DataTable).row_count)]
        assert ["nadia.nilsson", "Nadia Nilsson", "aktivitetsledare", "aktiv", "ingen PIN"] in [list(r) for r in rows]
        assert code not in repr(rows)  # shown once, in the dialog only
        # Karin: reset her PIN, make her an administrator ... then deactivate Omar
        table = app.screen.query_one(DataTable)
        logins = [table.get_row_at(i)[0] for i in range(table.row_count)]
        table.move_cursor(row=logins.index("karin.ek"))
        await pilot.press("p")
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        assert isinstance(app.screen, SetupCodeDialog)
        karins_code = app.screen.code
        await pilot.press("escape")
        await settle(pilot, app)
        await pilot.press("r")
        await settle(pilot, app)
        await pilot.press("down", "down", "enter")  # caseworker, leader, admin
        await settle(pilot, app)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=[table.get_row_at(i)[0] for i in range(table.row_count)].index("omar.farah"))
        await pilot.press("d")
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
    app.db.dispose()
    con = dbfile.connect(world.path)
    users = {r[0]: r[1:] for r in con.execute("SELECT login, role, active, pin_hash LIKE 'setup$%' FROM caseworker")}
    con.close()
    assert users["nadia.nilsson"] == ("leader", 1, 1) and users["karin.ek"] == ("admin", 1, 1)
    assert users["omar.farah"][1] == 0
    database = db.open(world.path)
    pins.set_pin(database, "nadia.nilsson", "864213", setup_code=code)  # the code handed over works, once
    with pytest.raises(access.AccessDenied):
        pins.set_pin(database, "nadia.nilsson", "864200", setup_code=code)
    with pytest.raises(access.AccessDenied):
        pins.unlock(database, "karin.ek", PIN)  # her old PIN is gone
    pins.set_pin(database, "karin.ek", "975313", setup_code=karins_code)
    database.dispose()


async def test_a_caseworker_gets_no_user_admin(world: World) -> None:
    from store import pins, staff
    from tui.app import ArenaApp
    from tui.screens.users import UsersScreen

    from .test_tui import settle

    app = ArenaApp(db.open(world.path), "karin.ek", pin=PIN)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f5")
        await settle(pilot, app)
        await pilot.press("u")
        await settle(pilot, app)
        assert not isinstance(app.screen, UsersScreen)
        app.push_screen(UsersScreen())  # reached anyway (as a bug elsewhere might): the store says no
        await settle(pilot, app)
        assert app.screen.query_one("#usr-table").row_count == 0
        assert "administrera" in str(app.screen.query_one("#usr-status").render())
        await pilot.press("ctrl+n")
        await settle(pilot, app)
        assert isinstance(app.screen, UsersScreen)  # no dialog for a caseworker
    app.db.dispose()
    for call in (lambda: staff.all_users(world.db, "karin.ek"),
                 lambda: staff.add(world.db, "karin.ek", "karin.admin", "Karin Admin", "admin"),
                 lambda: pins.reset_pin(world.db, "karin.ek", "setup"),
                 lambda: staff.set_role(world.db, "karin.ek", "karin.ek", "admin")):
        with pytest.raises(access.AccessDenied):
            call()
    con = dbfile.connect(world.path)
    assert con.execute("SELECT count(*) FROM audit_event WHERE action = 'refused' AND user_login = 'karin.ek'"
                       ).fetchone()[0] >= 1  # the screen's refused read is in the access log
    assert con.execute("SELECT role FROM caseworker WHERE login = 'karin.ek'").fetchone() == ("caseworker",)
    con.close()


async def test_the_history_tab_of_a_protected_person_shows_no_number_or_address(world: World) -> None:
    """On main the case card's History tab of a person with protected identity showed the full
    personnummer and address to any caseworker who opened the card."""
    from textual.widgets import DataTable

    from tui.app import ArenaApp

    from .test_tui import settle

    pid = world.people[0]  # Anna Andersson, Karin Ek's
    cases.update(world.db, "karin.ek", pid, personnummer="19850612-1238", address="Hemliga vägen 1", protected=True)
    for login, sees in (("omar.farah", False), ("karin.ek", True)):
        app = ArenaApp(db.open(world.path), login, pin=PIN)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, app)
            await pilot.press("f2")
            await pilot.press(*"andersson", "enter")
            await settle(pilot, app)
            await pilot.press("enter")
            await settle(pilot, app)
            if not sees:
                assert type(app.screen).__name__ == "ChoiceDialog"  # outside the caseload: a reason first
                await pilot.press("down", "enter")
                await settle(pilot, app)
            assert type(app.screen).__name__ == "CaseCardScreen"
            app.screen.query_one("#card-tabs").active = "tab-history"
            await settle(pilot, app)
            table = app.screen.query_one("#card-history", DataTable)
            assert table.row_count >= 2
            shown = repr([table.get_row_at(i) for i in range(table.row_count)])
            assert ("Hemliga" in shown) == sees and ("8506121238" in shown) == sees, login
        app.db.dispose()


def test_a_report_shows_a_protected_person_masked_and_without_address(world: World, tmp_path: Path) -> None:
    """The närvarorapport through the real CLI: a protected person's number is masked for everyone (the
    report leaves the system), the address is never in it."""
    from .test_proof import arena

    pid = world.people[0]
    cases.update(world.db, "karin.ek", pid, personnummer="19850612-1238", address="Hemliga vägen 1", protected=True)
    for login, extra in (("omar.farah", ["--reason", "Månadsrapport till soc"]),
                         ("karin.ek", ["--caseworker", "karin.ek"]), ("setup", ["--reason", "Uppföljning av programmet"])):
        out = tmp_path / f"{login}.csv"
        made = arena("report", "narvaro", "--month", "2026-11", "--format", "csv", *extra, "--db", str(world.path),
                     "--out", str(out), "--pin-stdin", os_login=login, stdin=f"{PIN}\n")
        assert made.returncode == 0, made.stderr
        text = out.read_text(encoding="utf-8-sig")
        assert "Andersson" in text and "Hemliga" not in text
        assert "198506121238" not in text and "19850612-1238" not in text and "8506121238" not in text, login
