"""#22, a tester's finding: a person's weekly plan had no history, so a närvarorapport already paid from
changed when the plan was changed later. Åsa, referred 2026-11-02 with 7,5 h a day: her November report
said "v. 45: 37,5", total 127,5; after an import (or an edit on the case card) set her plan to 8 the same
report said 40 and 136. Now the plan in force before a change is kept (plan_period) and every day counts
the plan in force that day: through the real import command, the store's card edit, marks, the report,
the card's last weeks, a sync to a second workstation and gallring."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from store import activities, attendance, cases, db, dbfile, identity, report, retention, sync
from tui import cli

from .conftest import TODAY, World, make_world, rows

ASA = identity.with_check_digit("851102123")  # 19851102-123x
HEADER = "personnummer;förnamn;efternamn;kön;anvisningsdatum;handläggare;veckoplan"


def import_asa(path: Path, plan: str, tmp_path: Path) -> None:
    """`arena import participants` on a Swedish Excel list (cp1252, `;`, CRLF, decimal comma)."""
    file = tmp_path / f"anvisningar-{plan}.csv"
    file.write_bytes((f"{HEADER}\n{ASA};Åsa;Åberg;K;2026-11-02;omar.farah;{plan}\n")
                     .replace("\n", "\r\n").encode("cp1252"))
    assert cli.main(["import", "participants", str(file), "--db", str(path), "--user", "setup", "--pin-stdin"]) == 0


def the_pid(world: World) -> str:
    return rows(world, "SELECT id FROM participant WHERE personnummer = ?", identity.parse(ASA).canonical)[0][0]


def weeks_of(database: db.Database, month: str, made: dt.date, pid: str) -> dict[str, tuple[float, dict]]:
    person = report.build(database, "omar.farah", month, participant=pid, today=made).people[0]
    return {line.week: (line.planned, dict(line.absence)) for line in [*person.weeks, person.total]}


def test_a_changed_plan_leaves_the_planned_hours_of_the_days_before_it(world: World, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_TODAY", TODAY.isoformat())  # Tuesday 24 November, week 48
    import_asa(world.path, "7,5", tmp_path)
    pid = the_pid(world)
    activities.enrol(world.db, "setup", pid, world.activity_id, dt.date(2026, 11, 2), reason="Full grupp, test")
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, dt.date(2026, 11, 10), "sick")  # session 6 h
    before = weeks_of(world.db, "2026-11", TODAY, pid)
    assert before["2026-W45"][0] == 37.5 and before["total"][0] == 127.5  # the tester's report
    assert before["2026-W46"][1] == {"SJUK": 6.0}

    # Thursday 26 November the import sets her plan to 8 a day
    monkeypatch.setenv("ARENA_TODAY", "2026-11-26")
    import_asa(world.path, "8", tmp_path)
    assert rows(world, "SELECT plan_mon FROM participant WHERE id = ?", pid) == [(8.0,)]
    assert rows(world, "SELECT valid_until, plan_mon, plan_fri FROM plan_period WHERE participant_id = ?",
                pid) == [("2026-11-25", 7.5, 7.5)]
    assert weeks_of(world.db, "2026-11", TODAY, pid) == before  # the same report, made again: identical
    after = weeks_of(world.db, "2026-11", dt.date(2026, 11, 30), pid)
    assert after["2026-W45"][0] == after["2026-W46"][0] == after["2026-W47"][0] == 37.5
    assert after["2026-W48"][0] == 7.5 * 3 + 8 * 2  # the new plan from the day of the change
    assert after["2026-W49"][0] == 8 and after["total"][0] == 37.5 * 3 + 38.5 + 8
    # the card's "Senaste 4 veckorna" counts the same way
    card = attendance.person_weeks(world.db, "omar.farah", pid, weeks=4, until=dt.date(2026, 11, 27))
    assert [w.planned for w in card] == [38.5, 37.5, 37.5, 37.5]

    # Wednesday 2 December the caseworker sets 4 h a day on the card, then 5: the plan before today stays 8
    monkeypatch.setenv("ARENA_TODAY", "2026-12-02")
    cases.update(world.db, "omar.farah", pid, **{f"plan_{d}": 4.0 for d in ("mon", "tue", "wed", "thu", "fri")})
    cases.update(world.db, "omar.farah", pid, **{f"plan_{d}": 5.0 for d in ("mon", "tue", "wed", "thu", "fri")})
    assert rows(world, "SELECT valid_until, plan_mon FROM plan_period WHERE participant_id = ? ORDER BY valid_until",
                pid) == [("2026-11-25", 7.5), ("2026-12-01", 8.0)]
    monkeypatch.setenv("ARENA_TODAY", "2026-12-04")
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, dt.date(2026, 12, 3), "sick")
    # an absence counts the plan in force on its day (at most the session's 6 h): 6 in November, 5 now
    assert weeks_of(world.db, "2026-11", dt.date(2026, 11, 30), pid) == after
    december = weeks_of(world.db, "2026-12", dt.date(2026, 12, 4), pid)
    assert december["2026-W49"] == (8 + 5 * 3, {"SJUK": 5.0})
    # the live figures keep the current plan (README): the card shows it
    assert cases.get(world.db, "omar.farah", pid).plan == (5.0,) * 5


def test_undoing_the_import_all_or_nothing_takes_the_period_it_wrote(world: World, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_TODAY", TODAY.isoformat())
    import_asa(world.path, "7,5", tmp_path)
    pid = the_pid(world)
    monkeypatch.setenv("ARENA_TODAY", "2026-11-26")
    file = tmp_path / "two.csv"
    file.write_bytes((f"{HEADER}\n{ASA};Åsa;Åberg;K;2026-11-02;omar.farah;8\n"
                      "199001011234;Fel;Nummer;K;2026-11-02;omar.farah;8\n").encode("utf-8"))
    assert cli.main(["import", "participants", str(file), "--db", str(world.path), "--user", "setup", "--pin-stdin",
                     "--all-or-nothing"]) != 0
    assert rows(world, "SELECT plan_mon FROM participant WHERE id = ?", pid) == [(7.5,)]
    assert rows(world, "SELECT count(*) FROM plan_period") == [(0,)]


@pytest.mark.parametrize("hub_factory", ["dir"], indirect=True)
def test_a_second_workstation_gets_the_history_by_sync_and_gallring_removes_it_everywhere(
        tmp_path: Path, hub, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("ARENA_TODAY", "2020-03-02")  # an old case: gallring removes it in 2026
    a = make_world(tmp_path / "a.db", n=0)  # its activity and staff; the one person is the old case
    pid = cases.register(a.db, "omar.farah", cases.NewParticipant(
        first_name="Gunnel", last_name="Gammalsson", gender="K", referral_date="2020-03-02",
        personnummer=identity.with_check_digit("850612123"), caseworker_id=None, plan=(6, 6, 6, 6, 6)))
    activities.enrol(a.db, "omar.farah", pid, a.activity_id, dt.date(2020, 3, 2))
    monkeypatch.setenv("ARENA_TODAY", "2020-03-05")
    cases.update(a.db, "omar.farah", pid, plan_mon=2.0, plan_tue=2.0)
    key = sync.new_key(tmp_path / "arena.key")
    b_path = tmp_path / "b.db"
    db.open(b_path).dispose()

    def sync_both() -> None:  # a, then b, each through the hub
        for path in (a.path, b_path):
            database, share = db.open(path), hub.share()
            try:
                sync.sync(database, share, sync.load_key(key))
            finally:
                share.close()
                database.dispose()

    sync_both()
    b = db.open(b_path)
    try:
        made = dt.date(2020, 3, 10)
        # Monday 2 and Tuesday 3 March: 6 each (before the change); Monday 9, Tuesday 10: 2 each
        assert [line.planned for line in report.build(b, "setup", "2020-03", participant=pid, today=made,
                                                      reason="test av planen").people[0].weeks][:2] == [6 * 5, 2 * 2]
    finally:
        b.dispose()
    monkeypatch.setenv("ARENA_TODAY", TODAY.isoformat())
    assert [c.participant_id for c in retention.run(a.db, "setup", TODAY).remove] == [pid]
    con = dbfile.connect(a.path)
    assert con.execute("SELECT count(*) FROM plan_period").fetchone() == (0,)
    assert '"plan_period": 1' in con.execute("SELECT counts FROM gallring_log").fetchone()[0]
    con.close()
    sync_both()
    con = dbfile.connect(b_path)
    assert con.execute("SELECT count(*) FROM plan_period").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM participant WHERE id = ?", (pid,)).fetchone() == (0,)
    con.close()


async def test_a_plan_changed_on_the_case_card_leaves_the_weeks_before_it(world: World,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl+E on the card, a new plan, Ctrl+S: the card's last four weeks and every week before today keep
    what they said; today (Tuesday of week 48) counts the new plan. The same in the report. (Zoë was
    registered on her referral day: a change on the day of registration corrects the plan from the
    referral instead, tests/test_imp22.py.)"""
    from textual.widgets import DataTable, Input, Static

    from store import staff

    from .test_keys import type_fast
    from .test_tester22_tui import plain
    from .test_tui import make_app, settle

    omar = staff.by_login(world.db, "omar.farah")
    monkeypatch.setenv("ARENA_TODAY", "2026-11-03")
    pid = cases.register(world.db, "setup", cases.NewParticipant(
        first_name="Zoë", last_name="Zetterlund", gender="K", referral_date="2026-11-03", caseworker_id=omar.id,
        plan=(3.5, 3.5, 3.5, 3.5, 3.5)))
    monkeypatch.setenv("ARENA_TODAY", TODAY.isoformat())
    before = weeks_of(world.db, "2026-11", TODAY, pid)
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *"zetterlund", "enter", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen"
        card = app.screen
        await pilot.press("ctrl+e")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "EditScreen"
        app.screen.query_one("#ed-plan", Input).value = "8 8 8 8 8"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is card
        overview = str(card.query_one("#card-overview", Static).render())
        assert "Senaste 4 veckorna: 0 av 49 h" in overview, overview  # weeks 44-47, before the change
        weeks = card.query_one("#card-weeks", DataTable)
        shown = {plain(weeks.get_cell_at((r, 0))): plain(weeks.get_cell_at((r, 1))) for r in range(weeks.row_count)}
        assert shown["v. 47"] == "17,5" and shown["v. 45"] == "14", shown
        assert shown["v. 48"] == "11,5", shown  # Monday 3,5 (the old plan), today 8 (the new one)
    assert rows(world, "SELECT plan_mon FROM participant WHERE id = ?", pid) == [(8.0,)]
    after = weeks_of(world.db, "2026-11", TODAY, pid)
    assert {w: v for w, v in after.items() if w not in ("2026-W48", "total")} == \
        {w: v for w, v in before.items() if w not in ("2026-W48", "total")}
    assert after["2026-W48"][0] == 3.5 + 8 and after["total"][0] == before["total"][0] - 3.5 + 8
