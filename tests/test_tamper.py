"""Tamper evidence: the access log's triggers come back and a forged event is found, here and wherever
it syncs to. The attack is the one from issue 17, done with a raw SQLite connection that has the workstation key (an insider at the workstation; without the key the file is unreadable, see test_encryption)."""
from __future__ import annotations

from pathlib import Path

from store import cases, changes, db, dbfile, sync, tamper

from .conftest import PIN, TODAY, World, make_world
from .inprocess import arena
from .test_retention import old_world  # noqa: F401 -- a fixture


def forge(path: Path, participant_id: str, as_login: str) -> None:
    """Drop the append-only triggers and make a view look like someone else's, in the row and in its
    change-log entry (what went to, or will go to, the other workstations)."""
    con = dbfile.connect(path)
    with con:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                   " AND tbl_name IN ('audit_event', 'change_log')").fetchall():
            con.execute(f"DROP TRIGGER {name}")
        event_id, who = con.execute("SELECT id, user_login FROM audit_event WHERE participant_id = ? AND action = 'view'",
                                    (participant_id,)).fetchone()
        con.execute("UPDATE audit_event SET user_login = ? WHERE id = ?", (as_login, event_id))
        con.execute("UPDATE change_log SET changes = replace(changes, ?, ?) WHERE tbl = 'audit_event' AND row_id = ?",
                    (f'"{who}"', f'"{as_login}"', event_id))
    con.close()


def triggers(path: Path) -> set[str]:
    return {r[0] for r in dbfile.connect(path).execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                                        " AND tbl_name = 'audit_event'")}


def test_a_forged_view_is_found_at_open_and_the_triggers_come_back(world: World) -> None:
    """On main the triggers stayed dropped and the forged event was the truth."""
    cases.open_case(world.db, "omar.farah", world.people[0], reason="Vikarierar för Karin")  # Karin's case
    cases.open_case(world.db, "omar.farah", world.people[1])
    world.db.dispose()
    with db.open(world.path).read() as conn:
        assert tamper.state(conn).clean
    forge(world.path, world.people[0], "karin.ek")
    assert triggers(world.path) == set()
    reopened = db.open(world.path)
    assert triggers(world.path) == {"audit_event_no_update", "audit_event_no_delete"}
    with reopened.read() as conn:
        found = tamper.state(conn)
    assert [f.user_login for f in found.broken] == ["karin.ek"] and found.triggers_restored_at
    # an edit now is refused again
    con = dbfile.connect(world.path)
    try:
        con.execute("UPDATE audit_event SET reason = 'x'")
        raise AssertionError("the trigger did not come back")
    except dbfile.IntegrityError:
        pass
    finally:
        con.close()
    # `arena sync --status` says so and exits non-zero
    status = arena("sync", "--status", "--db", str(world.path), env={"ARENA_TODAY": TODAY.isoformat()})
    assert status.returncode == 1
    assert "manipulerad" in status.stdout and "karin.ek" in status.stdout and "återställdes" in status.stdout


def test_a_forged_event_is_flagged_at_the_workstation_that_receives_it(tmp_path: Path) -> None:
    """On main the forgery synced to every workstation as the truth."""
    a = make_world(tmp_path / "a.db", n=5)
    key_file = sync.new_key(tmp_path / "arena.key")
    share = tmp_path / "share"
    share.mkdir()
    cases.open_case(a.db, "omar.farah", a.people[0], reason="Nyfiken på ärendet")
    a.db.dispose()
    forge(a.path, a.people[0], "karin.ek")  # before it was published
    b_path = tmp_path / "b.db"
    for path in (a.path, b_path):
        database = db.open(path)
        summary = sync.sync(database, sync.open_share(str(share)), sync.load_key(key_file))
        database.dispose()
    assert any("manipulerad" in p for p in summary.problems)
    with db.open(b_path).read() as conn:
        assert [f.user_login for f in tamper.state(conn).broken] == ["karin.ek"]
    assert dbfile.connect(b_path).execute(
        "SELECT count(*) FROM audit_event WHERE user_login = 'karin.ek' AND action = 'view'").fetchone()[0] == 1


async def test_f5_tells_the_administrator_and_only_the_administrator(world: World) -> None:
    from tui.app import ArenaApp

    from .test_tui import settle

    cases.open_case(world.db, "omar.farah", world.people[1])
    world.db.dispose()
    forge(world.path, world.people[1], "karin.ek")
    for login, shown in (("setup", True), ("omar.farah", False)):
        app = ArenaApp(db.open(world.path), login, pin=PIN)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, app)
            line = app.screen.query_one("#ov-tamper")
            assert line.display == shown, login
            if shown:
                assert "manipulerad" in str(line.render())


def test_an_edited_change_log_entry_is_found_at_open_and_wherever_it_arrives(tmp_path: Path) -> None:
    """The change log has its own chain: on main a note rewritten in its row and in its change-log entry
    (who wrote what) synced everywhere as the truth, and the triggers did not guard the change log."""
    a = make_world(tmp_path / "a.db", n=5)
    note_id = cases.add_note(a.db, "omar.farah", a.people[1], "Kom i tid, positiv.")
    a.db.dispose()
    con = dbfile.connect(a.path)
    try:  # the guard: an entry cannot be rewritten or removed while the triggers stand
        with con:
            con.execute("UPDATE change_log SET changes = '{\"x\": 1}' WHERE row_id = ?", (note_id,))
        raise AssertionError("the change log took an edit")
    except dbfile.IntegrityError:
        pass
    with con:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                   " AND tbl_name = 'change_log'").fetchall():
            con.execute(f"DROP TRIGGER {name}")
        con.execute("UPDATE note SET text = 'Hotade personalen.' WHERE id = ?", (note_id,))
        con.execute("UPDATE change_log SET changes = replace(changes, 'Kom i tid, positiv.', 'Hotade personalen.')"
                    " WHERE tbl = 'note' AND row_id = ?", (note_id,))
    con.close()
    reopened = db.open(a.path)  # at open: the triggers come back, every chain is checked
    with reopened.read() as conn:
        found = tamper.state(conn)
    reopened.dispose()
    assert [(f.table, f.by) for f in found.log_broken] == [("note", "omar.farah")] and found.triggers_restored_at
    key_file = sync.new_key(tmp_path / "arena.key")
    share = tmp_path / "share"
    share.mkdir()
    b_path = tmp_path / "b.db"
    for path in (a.path, b_path):
        database = db.open(path)
        summary = sync.sync(database, sync.open_share(str(share)), sync.load_key(key_file))
        database.dispose()
    assert not summary.ok and any("Ändringsloggen" in p for p in summary.problems)
    with db.open(b_path).read() as conn:  # flagged where it arrived, and kept: it is what arrived
        assert [(f.table, f.by) for f in tamper.state(conn).log_broken] == [("note", "omar.farah")]
    assert dbfile.connect(b_path).execute("SELECT text FROM note WHERE id = ?", (note_id,)).fetchone() == (
        "Hotade personalen.",)
    status = arena("sync", "--status", "--db", str(b_path), env={"ARENA_TODAY": TODAY.isoformat()})
    assert status.returncode == 1 and "Ändringsloggen är manipulerad" in status.stdout and "note" in status.stdout


def _a_note_edited_behind_the_triggers(a: World) -> int:
    """A note written, the database opened (nothing found), then the note and its change-log entry edited
    with the triggers dropped and put back, as a forger with the sqlite3 shell would; how many entries
    the change log holds (the note's is the newest)."""
    note_id = cases.add_note(a.db, "omar.farah", a.people[0], "Kom i tid.")
    a.db.dispose()
    db.open(a.path).dispose()  # an ordinary open before the edit finds nothing
    con = dbfile.connect(a.path)
    with con:
        ddl = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                          " AND tbl_name = 'change_log'").fetchall()
        assert ddl
        for name, _ in ddl:
            con.execute(f"DROP TRIGGER {name}")
        con.execute("UPDATE note SET text = 'Uteblev.' WHERE id = ?", (note_id,))
        con.execute("UPDATE change_log SET changes = replace(changes, 'Kom i tid.', 'Uteblev.')"
                    " WHERE tbl = 'note' AND row_id = ?", (note_id,))
        for _, sql in ddl:
            con.execute(sql)
        entries = con.execute("SELECT count(*) FROM change_log").fetchone()[0]
    con.close()
    return entries


def test_an_entry_edited_behind_triggers_put_back_is_found_at_the_next_open(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Someone who drops the change log's triggers, edits an entry not yet synced and puts the very same
    triggers back leaves no missing trigger to notice: an ordinary open still checks the entries that came
    since the last check, and tells. At most OPEN_LOG_LIMIT of them, the oldest first (after an import of
    a million rows every open would verify them all again, minutes): past it, the sync's check tells."""
    a = make_world(tmp_path / "a.db", n=3)
    entries = _a_note_edited_behind_the_triggers(a)
    monkeypatch.setattr(tamper, "OPEN_LOG_LIMIT", entries - 1)  # the note's entry is the newest
    bounded = db.open(a.path)
    with bounded.read() as conn:
        assert not tamper.state(conn).log_broken  # not reached by an ordinary open
    bounded.dispose()
    monkeypatch.undo()
    reopened = db.open(a.path)
    with reopened.read() as conn:
        found = tamper.state(conn)
    reopened.dispose()
    assert not found.triggers_restored_at  # nothing was missing
    assert [(f.table, f.by) for f in found.log_broken] == [("note", "omar.farah")]


def test_restore_gallring_and_snapshots_leave_every_chain_whole(old_world, tmp_path: Path) -> None:  # noqa: ANN001
    """What the sync and gallring change in the change log by design (a new identity after a restore from
    a backup, a snapshot without the entries gallring emptied, values emptied by gallring) is never taken
    for tampering, on the workstation itself or on one that joins from a snapshot or replays every file."""
    from store import retention

    from .test_sync import copy_db

    key = sync.load_key(sync.new_key(tmp_path / "arena.key"))
    share = tmp_path / "share"
    share.mkdir()
    a_path = old_world.path
    old_world.db.dispose()

    def run(path: Path, **options: object) -> sync.Summary:
        database = db.open(path)
        try:
            return sync.sync(database, sync.open_share(str(share)), key, **options)
        finally:
            database.dispose()

    run(a_path)
    copy_db(a_path, tmp_path / "backup.db")
    database = db.open(a_path)
    cases.add_note(database, "omar.farah", old_world.people[1], "Efter säkerhetskopian.")
    database.dispose()
    run(a_path)
    copy_db(tmp_path / "backup.db", a_path)  # restored from the backup: takes a new identity at its next sync
    database = db.open(a_path)
    cases.add_note(database, "omar.farah", old_world.people[2], "Efter återställningen.")
    assert retention.run(database, "setup", TODAY).remove  # gallring empties the entries of the removed case
    database.dispose()
    assert run(a_path).forked
    run(a_path, write_snapshot=True)
    b_path, c_path = tmp_path / "b.db", tmp_path / "c.db"
    run(b_path)  # a new workstation: starts from the snapshot
    run(c_path, from_snapshot=False)  # one that replays every file
    for path in (a_path, b_path, c_path):
        assert run(path).ok, path
        with db.open(path).read() as conn:
            assert tamper.state(conn).clean, path


def test_a_caseworker_who_makes_herself_administrator_with_the_shell_is_put_back(world: World) -> None:
    """On main a caseworker with the sqlite3 shell (and the workstation key) set her own role to admin and
    was the administrator at the next start; editing her change-log entry as well made the forgery the
    truth for the merge. Now the users table is put back as its change log has it at every open, an
    edited entry makes the user act as nobody, and both are reported (sync --status, F5)."""
    from .test_proof import arena

    world.db.dispose()
    con = dbfile.connect(world.path)
    with con:
        con.execute("UPDATE caseworker SET role = 'admin' WHERE login = 'karin.ek'")
    con.close()
    listed = arena("users", "list", "--db", str(world.path), "--pin-stdin", os_login="karin.ek", stdin=f"{PIN}\n")
    assert listed.returncode == 2 and "administrera" in listed.stderr
    with db.open(world.path).read() as conn:
        assert conn.exec_driver_sql("SELECT role FROM caseworker WHERE login = 'karin.ek'").scalar() == "caseworker"
        assert tamper.state(conn).users_restored == ["karin.ek"]
    # the row and its change-log entry, with every trigger dropped
    con = dbfile.connect(world.path)
    with con:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                   " AND tbl_name = 'change_log'").fetchall():
            con.execute(f"DROP TRIGGER {name}")
        con.execute("UPDATE caseworker SET role = 'admin' WHERE login = 'karin.ek'")
        con.execute("UPDATE change_log SET changes = replace(changes, '\"caseworker\"]', '\"admin\"]')"
                    " WHERE tbl = 'caseworker' AND changes LIKE '%\"karin.ek\"%'")
    con.close()
    listed = arena("users", "list", "--db", str(world.path), "--pin-stdin", os_login="karin.ek", stdin=f"{PIN}\n")
    assert listed.returncode == 2 and listed.stdout == ""
    status = arena("sync", "--status", "--db", str(world.path), os_login="setup")
    assert status.returncode == 1 and "Användartabellen" in status.stdout and "Ändringsloggen är manipulerad" in status.stdout
    with db.open(world.path).read() as conn:
        assert conn.exec_driver_sql("SELECT active FROM caseworker WHERE login = 'karin.ek'").scalar() == 0
    admin = arena("users", "list", "--db", str(world.path), "--pin-stdin", os_login="setup", stdin=f"{PIN}\n")
    assert admin.returncode == 0 and "karin.ek" in admin.stdout


def test_a_users_row_repaired_from_its_log_folds_as_the_merge_does() -> None:
    """The repair of users from the change log (tamper) and the merge fold a user's entries with the one
    fold (store.fold), ties of one stamp included (a database copied to a second PC writes under the same
    clock): two entries of one stamp from two workstations, in any order of arrival, give one row."""
    import itertools

    from store import fold, merge, tamper

    assert tamper.fold is fold.fold and merge.fold is fold.fold  # one fold, not a copy
    stamp = "1790000000000-00001-ws"
    ops = [("1790000000000-00000-ws", "ws-a", "upsert", {"login": [None, "eva"], "role": [None, "caseworker"]}, "x"),
           (stamp, "ws-b", "upsert", {"role": ["caseworker", "admin"]}, "x"),
           (stamp, "ws-a", "upsert", {"role": ["caseworker", "leader"]}, "x")]
    for arrival in itertools.permutations(ops):
        row = fold.fold("caseworker", list(arrival))[0]
        assert row is not None and row["role"] == "admin", arrival  # ws-b sorts after ws-a on the same stamp


def _open_mark(path: Path) -> dict:
    import json

    con = dbfile.connect(path)
    try:
        row = con.execute("SELECT value FROM setting WHERE key = 'tamper'").fetchone()
    finally:
        con.close()
    return json.loads(row[0]).get("log_verified", {}) if row else {}


def test_an_open_that_checked_a_whole_limit_goes_on_from_there_next_time(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """After a big import an ordinary open checks OPEN_LOG_LIMIT entries and remembers the last link it
    checked, so the next open checks the next ones instead of the same again. Opened while another
    process holds the write lock, it neither waits nor moves the mark. An entry at the mark changed (its
    link recomputed, as a forger must) is not taken as checked: the open starts the chain over, and finds
    the break where the next link no longer follows. (Whoever recomputes every link up to the newest is
    not found on this workstation: the module's docstring says so.)"""
    a = make_world(tmp_path / "a.db", n=3)
    ws = a.db.workstation_id
    a.db.dispose()
    con = dbfile.connect(a.path)
    con.execute("DELETE FROM setting WHERE key = 'tamper'")  # as after an import: nothing checked yet
    con.commit()
    entries = con.execute("SELECT count(*) FROM change_log WHERE workstation_id = ?", (ws,)).fetchone()[0]
    con.close()
    assert entries > 12
    monkeypatch.setattr(tamper, "OPEN_LOG_LIMIT", 5)
    holder = dbfile.connect(a.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    db.open(a.path).dispose()  # would fail if it waited for the lock
    holder.execute("ROLLBACK")
    holder.close()
    assert _open_mark(a.path) == {}
    seqs = []
    for _ in range(2):
        db.open(a.path).dispose()
        seqs.append(_open_mark(a.path)[ws][0])
    assert seqs == [5, 10]
    # the entry at the mark forged behind dropped triggers (content, digest and link made to fit)
    con = dbfile.connect(a.path)
    with con:
        ddl = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'change_log'"
                          ).fetchall()
        for name, _ in ddl:
            con.execute(f"DROP TRIGGER {name}")
        op_id, hlc, tbl, row_id, kind, body, at, by = con.execute(
            "SELECT op_id, hlc, tbl, row_id, kind, changes, at, by FROM change_log WHERE workstation_id = ?"
            " AND ws_seq = 10", (ws,)).fetchone()
        before = con.execute("SELECT chain FROM change_log WHERE workstation_id = ? AND ws_seq = 9", (ws,)).fetchone()[0]
        forged = body.replace("Sara", "Sven") if "Sara" in body else body[:-1] + ', "x": [null, 1]}'
        digest = changes.digest(op_id, hlc, tbl, row_id, kind, forged, at, by)
        con.execute("UPDATE change_log SET changes = ?, digest = ?, chain = ? WHERE workstation_id = ? AND ws_seq = 10",
                    (forged, digest, changes.link(before, digest), ws))
        for _, sql in ddl:
            con.execute(sql)
    con.close()
    opened = db.open(a.path)
    with opened.read() as conn:
        found = tamper.state(conn)
    opened.dispose()
    assert _open_mark(a.path)[ws][0] == 5  # started over from the first entry
    # entry 10 itself fits its link; entry 11's link no longer follows from it: found when reached
    db.open(a.path).dispose()
    opened = db.open(a.path)
    with opened.read() as conn:
        found = tamper.state(conn)
    opened.dispose()
    assert [f.seq for f in found.log_broken] == [11]


async def test_the_app_checks_the_change_log_once_its_first_screen_is_drawn(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """`arena` opens the database with the change log's check left for later (`db.open(log_later=True)`:
    up to 20 000 entries after a big import, half a second before "Min dag"): the app runs it once the
    first screen shows its data, and an entry edited behind the triggers is found as at an ordinary open,
    and shown on F5 to an administrator on that very start. Opened so, the store alone leaves it until
    `db.check_log`."""
    from tui.app import ArenaApp, database_opener

    from .waiting import until_quiet, wait_until_async

    a = make_world(tmp_path / "a.db", n=3)
    _a_note_edited_behind_the_triggers(a)
    later = db.open(a.path, log_later=True)
    with later.read() as conn:
        assert later.log_unchecked and not tamper.state(conn).log_broken  # left for later
    later.dispose()
    checked_on: list[str] = []
    check_log = tamper.check_log

    def check_log_seen(conn) -> list:  # noqa: ANN001
        checked_on.append(f"{type(app.screen).__name__} {app.screen.query_one('#ov-sessions').row_count}")
        return check_log(conn)

    monkeypatch.setattr(tamper, "check_log", check_log_seen)
    app = ArenaApp(database_opener(str(a.path)), "setup", pin=PIN)  # an administrator: F5 shows the finding
    async with app.run_test(size=(120, 40)) as pilot:
        await until_quiet(pilot, app)
        await wait_until_async(lambda: not app.db.log_unchecked, "the change log checked")
        line = app.screen.query_one("#ov-tamper")
        await wait_until_async(lambda: "manipulerad" in str(line.render()) and line.display,
                               "F5's tamper line, on the start that found it")
    assert checked_on == ["OverviewScreen 1"]  # once, with "Min dag" showing the day's session
    again = db.open(a.path, log_later=True)
    with again.read() as conn:
        assert [(f.table, f.by) for f in tamper.state(conn).log_broken] == [("note", "omar.farah")]
    again.dispose()
