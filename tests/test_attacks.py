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
