"""Gallring with fixed dates: what goes, what stays (research days), the deletion log, and the tombstones
reaching another workstation through a real share directory."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from store import activities, attendance, cases, db, dbfile, identity, retention, sealed, snapshot, sync
from tui import cli

from .conftest import TODAY, make_world

OLD_DAY = "2020-03-10"  # a Tuesday more than five years before TODAY


def person(first: str, last: str, born: str, referral: str, cw: str) -> cases.NewParticipant:
    nine = born[2:].replace("-", "") + "123"
    return cases.NewParticipant(first_name=first, last_name=last, gender="K", referral_date=referral,
                                personnummer=identity.with_check_digit(nine), caseworker_id=cw,
                                plan=(6, 6, 6, 6, 4))


@pytest.fixture
def old_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    w = make_world(tmp_path / "a.db", n=3)
    cw = cases.get(w.db, "karin.ek", w.people[0]).caseworker_id
    monkeypatch.setenv("ARENA_TODAY", OLD_DAY)  # the old cases are made back then
    ids = {}
    for first, last, born in (("Gunnel", "Gammalsson", "1985-06-12"), ("Rut", "Forskarsdotter", "1985-06-15"),
                              ("Nils", "Nyligen", "1990-01-02")):
        pid = cases.register(w.db, "omar.farah", person(first, last, born, "2020-03-02", cw))
        activities.enrol(w.db, "omar.farah", pid, w.activity_id, dt.date(2020, 3, 2))
        attendance.mark(w.db, "omar.farah", pid, w.activity_id, dt.date(2020, 3, 9), "present")
        ids[last] = pid
    cases.add_note(w.db, "omar.farah", ids["Gammalsson"], "Samtal om praktik hos Gammalssons bageri")
    monkeypatch.setenv("ARENA_TODAY", TODAY.isoformat())
    cases.add_note(w.db, "omar.farah", ids["Nyligen"], "Hörde av sig i dag")  # a recent entry keeps the case
    w.ids = ids
    return w


def count(path: Path, sql: str, *params: object) -> int:
    con = dbfile.connect(path)
    try:
        return con.execute(sql, params).fetchone()[0]
    finally:
        con.close()


def test_dry_run_lists_only_the_old_case_and_changes_nothing(old_world, capsys: pytest.CaptureFixture) -> None:
    before = count(old_world.path, "SELECT count(*) FROM change_log")
    assert cli.main(["gallra", "--db", str(old_world.path), "--dry-run", "--as-of", TODAY.isoformat(),
                     "--user", "setup", "--pin-stdin"]) == 0
    out = capsys.readouterr().out
    assert old_world.ids["Gammalsson"] in out
    assert old_world.ids["Forskarsdotter"] not in out and old_world.ids["Nyligen"] not in out
    assert "Skulle gallra 1 ärende med" in out and "1 sparas" in out and "Gammalsson" not in out
    assert count(old_world.path, "SELECT count(*) FROM change_log") == before
    assert count(old_world.path, "SELECT count(*) FROM participant") == 6


def test_gallring_removes_the_case_everywhere_and_logs_no_personal_data(old_world, tmp_path: Path,
                                                                        hub) -> None:  # noqa: ANN001 -- every hub
    key = sync.new_key(tmp_path / "arena.key")
    share = hub.share()
    other = db.open(tmp_path / "b.db")
    sync.sync(old_world.db, share, sync.load_key(key))
    sync.sync(other, share, sync.load_key(key))
    assert count(tmp_path / "b.db", "SELECT count(*) FROM participant WHERE last_name = 'Gammalsson'") == 1

    # a caseworker may not; the administrator may
    assert cli.main(["gallra", "--db", str(old_world.path), "--user", "omar.farah", "--pin-stdin"]) == 2
    assert count(old_world.path, "SELECT count(*) FROM participant") == 6
    result = retention.run(old_world.db, "setup", TODAY)
    gone = old_world.ids["Gammalsson"]
    assert [c.participant_id for c in result.remove] == [gone]

    for path in (old_world.path,):
        assert count(path, "SELECT count(*) FROM participant WHERE id = ?", gone) == 0
        for table in ("attendance", "enrolment", "milestone", "note"):
            assert count(path, f"SELECT count(*) FROM {table} WHERE participant_id = ?", gone) == 0
    log = dbfile.connect(old_world.path).execute("SELECT participant_id, last_entry, counts FROM gallring_log").fetchall()
    assert log == [(gone, OLD_DAY, '{"attendance": 1, "enrolment": 1, "milestone": 1, "note": 1, "plan_period": 0}')]

    sync.sync(old_world.db, share, sync.load_key(key))
    sync.sync(other, share, sync.load_key(key))
    for path in (old_world.path, tmp_path / "b.db"):
        assert count(path, "SELECT count(*) FROM participant WHERE id = ?", gone) == 0
        assert count(path, "SELECT count(*) FROM attendance WHERE participant_id = ?", gone) == 0
        # no trace of the person's data in either change log (names, number, the note's words)
        assert count(path, "SELECT count(*) FROM change_log WHERE changes LIKE '%Gammalsson%'"
                           " OR changes LIKE '%850612%' OR changes LIKE '%bageri%'") == 0
        assert count(path, "SELECT count(*) FROM participant") == 5
        assert count(path, "SELECT count(*) FROM sync_pending") == 0
    # the research exception and the recent case are untouched; the next run finds nothing more
    assert retention.plan(old_world.db, "setup", TODAY).remove == []

    # a snapshot carries none of it, so a workstation that starts from one never holds it, not even briefly
    name = sync.sync(old_world.db, share, sync.load_key(key), write_snapshot=True).snapshot
    me = old_world.db.workstation_id
    _, frames = sealed.decode_snapshot(sync.load_key(key), share.read(me, name), me, name)
    carried = json.dumps([entry for frame in frames for entry in frame], ensure_ascii=False)
    assert gone in carried  # the tombstones travel …
    assert not any(word in carried for word in ("Gammalsson", "850612", "bageri"))  # … the person does not
    late = db.open(tmp_path / "c.db")
    assert sync.sync(late, share, sync.load_key(key)).read_snapshot
    late.dispose()
    assert count(tmp_path / "c.db", "SELECT count(*) FROM participant") == 5
    assert count(tmp_path / "c.db", "SELECT count(*) FROM change_log WHERE changes LIKE '%Gammalsson%'") == 0
    share.close()


def test_cutoff_is_five_calendar_years() -> None:
    assert retention.cutoff_for(dt.date(2026, 11, 24)) == dt.date(2021, 11, 24)
    assert retention.cutoff_for(dt.date(2028, 2, 29)) == dt.date(2023, 2, 28)


def test_gallring_names_each_person_and_removes_only_after_a_typed_yes(old_world, monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture) -> None:
    import io
    import sys

    from .conftest import PIN

    gone = old_world.ids["Gammalsson"]
    argv = ["gallra", "--db", str(old_world.path), "--as-of", TODAY.isoformat(), "--user", "setup", "--pin-stdin"]
    for answer in ("", "nej", "j", PIN):  # no answer, a no, half a yes, the PIN again: nothing goes
        monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PIN}\n{answer}\n" if answer else f"{PIN}\n"))
        assert cli.main(argv) == 2
        captured = capsys.readouterr()
        assert "Gammalsson, Gunnel" in captured.out and gone in captured.out  # the person is named
        assert "Forskarsdotter" not in captured.out and "Nyligen" not in captured.out
        assert "Inget gallrat" in captured.err
        assert count(old_world.path, "SELECT count(*) FROM participant WHERE id = ?", gone) == 1
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PIN}\nja\n"))
    assert cli.main(argv) == 0
    assert "Gallrade 1 ärende" in capsys.readouterr().out
    assert count(old_world.path, "SELECT count(*) FROM participant WHERE id = ?", gone) == 0
    assert count(old_world.path, "SELECT count(*) FROM participant") == 5


def test_after_gallring_the_next_snapshot_is_whole_and_no_old_one_is_needed(old_world, tmp_path: Path,
                                                                              hub) -> None:  # noqa: ANN001
    """Snapshots build on each other until gallring: then the next one is whole again (without the
    person), so every older snapshot and ops file is archivable and the person goes off the share too."""
    key = sync.load_key(sync.new_key(tmp_path / "arena.key"))
    share = hub.share()
    me = old_world.db.workstation_id
    first = sync.sync(old_world.db, share, key, write_snapshot=True).snapshot
    attendance.mark(old_world.db, "omar.farah", old_world.ids["Nyligen"], old_world.activity_id, TODAY, "present")
    delta = sync.sync(old_world.db, share, key, write_snapshot=True).snapshot
    assert sealed.SNAPSHOT_NAME.match(delta)[2] == sealed.SNAPSHOT_NAME.match(first)[1]  # builds on the first
    gone = old_world.ids["Gammalsson"]
    assert [c.participant_id for c in retention.run(old_world.db, "setup", TODAY).remove] == [gone]
    whole = sync.sync(old_world.db, share, key, write_snapshot=True).snapshot
    assert sealed.SNAPSHOT_NAME.match(whole)[2] is None  # whole again
    newest, spare = snapshot.archivable(share, key)
    assert newest == f"{me}/{whole}"
    assert {f"ops/{me}/{first}", f"ops/{me}/{delta}"} <= set(spare)
    for path in spare:
        _, ws, name = path.split("/")
        hub.remove(ws, name)  # the administrator archives them (and the archive follows the law)
    for ws in hub.workstations():
        for name in hub.names(ws):
            if name.endswith(".snap"):
                _, frames = sealed.decode_snapshot(key, hub.get(ws, name), ws, name)
                carried = json.dumps([e for frame in frames for e in frame], ensure_ascii=False)
            elif name.endswith(".ops"):
                carried = json.dumps(sealed.decode_ops(key, hub.get(ws, name), ws, name)[1], ensure_ascii=False)
            else:
                continue
            assert not any(word in carried for word in ("Gammalsson", "850612", "bageri")), name
    late = db.open(tmp_path / "c.db")  # and a workstation joins from what is left
    assert sync.sync(late, share, key).read_snapshot == f"{me}/{whole}"
    late.dispose()
    assert count(tmp_path / "c.db", "SELECT count(*) FROM participant WHERE id = ?", gone) == 0
    assert count(tmp_path / "c.db", "SELECT count(*) FROM participant") == count(old_world.path,
                                                                                  "SELECT count(*) FROM participant")
    share.close()
