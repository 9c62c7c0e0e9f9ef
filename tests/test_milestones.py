"""Milestone rules in store: forward moves, corrections, dates, exit and re-entry, alerts, stages as data."""
from __future__ import annotations

import datetime as dt

import pytest

from store import attendance, cases, dbfile, milestones, staff
from store.i18n import ArenaError
from tui import cli

from .conftest import TODAY, World, reader


def current(world: World, pid: str) -> milestones.Milestone:
    found = milestones.current_of(milestones.timeline(world.db, reader(world.db, pid), pid))
    assert found is not None
    return found


def test_forward_moves_and_correction_needs_a_reason(world: World) -> None:
    pid = world.people[1]
    mid = milestones.plan(world.db, "omar.farah", pid, "kartlaggning", TODAY + dt.timedelta(days=7))
    milestones.set_status(world.db, "omar.farah", mid, "started")
    milestones.set_status(world.db, "omar.farah", mid, "achieved", achieved=TODAY)
    with pytest.raises(ArenaError) as caught:
        milestones.set_status(world.db, "omar.farah", mid, "started")
    assert caught.value.key == "ms.backwards"
    milestones.set_status(world.db, "omar.farah", mid, "started", reason="Fel person markerad")
    assert milestones.get(world.db, "omar.farah", mid).status == "started" and milestones.get(world.db, "omar.farah", mid).achieved_date is None
    assert any("Fel person markerad" in n.text for n in cases.notes(world.db, "omar.farah", pid))
    con = dbfile.connect(world.path)
    assert con.execute("SELECT reason FROM audit_event WHERE action = 'milestone_correction'").fetchall() == [
        ("Fel person markerad",)]


@pytest.mark.parametrize("day,key", [(TODAY + dt.timedelta(days=1), "ms.future"),
                                     (dt.date(2026, 8, 1), "ms.before_referral")])
def test_achieved_date_rules(world: World, day: dt.date, key: str) -> None:
    mid = milestones.plan(world.db, "omar.farah", world.people[1], "kartlaggning", None)
    with pytest.raises(ArenaError) as caught:
        milestones.set_status(world.db, "omar.farah", mid, "achieved", achieved=day)
    assert caught.value.key == key


def test_cancel_needs_a_reason(world: World) -> None:
    mid = milestones.plan(world.db, "omar.farah", world.people[1], "praktik", TODAY)
    with pytest.raises(ArenaError):
        milestones.set_status(world.db, "omar.farah", mid, "cancelled")
    milestones.set_status(world.db, "omar.farah", mid, "cancelled", reason="Platsen drogs tillbaka")


def test_achieve_and_plan_next_is_one_step(world: World) -> None:
    pid = world.people[1]
    mid = milestones.plan(world.db, "omar.farah", pid, "kartlaggning", TODAY)
    milestones.achieve_and_plan_next(world.db, "omar.farah", mid, TODAY, "handlingsplan", TODAY + dt.timedelta(14))
    now = current(world, pid)
    assert now.stage_code == "handlingsplan" and now.status == "planned"
    assert milestones.next_stage(milestones.stages(world.db), now).code == "arbetstraning"


def test_exit_needs_outcome_and_re_entry_keeps_history(world: World) -> None:
    pid = world.people[1]
    with pytest.raises(ArenaError):
        milestones.exit_participant(world.db, "omar.farah", pid, "", TODAY)
    with pytest.raises(ArenaError):
        milestones.exit_participant(world.db, "omar.farah", pid, "lotto", TODAY)
    milestones.exit_participant(world.db, "omar.farah", pid, "arbete", dt.date(2026, 11, 20))
    person = cases.get(world.db, "omar.farah", pid)
    assert person.status == "exited" and person.exit_outcome == "arbete"
    assert pid not in [r.participant_id for r in attendance.roll_call(world.db, "omar.farah", world.activity_id, TODAY)]
    assert pid in [h.participant.id for h in cases.search(world.db, person.last_name, login="omar.farah")]
    with pytest.raises(ArenaError):
        milestones.exit_participant(world.db, "omar.farah", pid, "arbete", TODAY)
    milestones.reenter(world.db, "omar.farah", pid, TODAY)
    items = milestones.timeline(world.db, reader(world.db, pid), pid)
    assert [m.period for m in items].count(1) >= 2 and items[-1].period == 2
    assert current(world, pid).stage_code == "anvisning"
    assert cases.get(world.db, "omar.farah", pid).status == "active"


def test_alerts_use_settings_not_literals(world: World) -> None:
    pid = world.people[1]  # referred 2026-09-01, only 'anvisning' so far: no action plan after 84 days
    keys = {r.participant_id: r.alert_keys for r in milestones.board(world.db, "omar.farah")}
    assert "ms.alert.no_plan" in keys[pid]
    staff.set_setting(world.db, "setup", "alert.plan_days", "120")
    keys = {r.participant_id: r.alert_keys for r in milestones.board(world.db, "omar.farah")}
    assert "ms.alert.no_plan" not in keys[pid]
    milestones.plan(world.db, "omar.farah", pid, "kartlaggning", TODAY - dt.timedelta(days=3))
    keys = {r.participant_id: r.alert_keys for r in milestones.board(world.db, "omar.farah")}
    assert "ms.alert.overdue" in keys[pid]
    staff.set_setting(world.db, "setup", "alert.stale_days", "1")
    assert all("ms.alert.stale" in r.alert_keys for r in milestones.board(world.db, "omar.farah", TODAY + dt.timedelta(5)))


def test_stages_are_data_added_and_renamed_from_the_cli(world: World, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["stages", "add", "yrkessvenska", "--sv", "Yrkessvenska", "--en", "Vocational Swedish",
                     "--after", "sfi", "--db", str(world.path), "--user", "setup", "--pin-stdin"]) == 0
    assert cli.main(["stages", "rename", "jobbsok", "--sv", "Jobbsökarstöd", "--db", str(world.path), "--user", "setup", "--pin-stdin"]) == 0
    codes = [s.code for s in milestones.stages(world.db)]
    assert codes.index("yrkessvenska") == codes.index("sfi") + 1
    assert {s.code: s.label_sv for s in milestones.stages(world.db)}["jobbsok"] == "Jobbsökarstöd"
    assert cli.main(["stages", "add", "sfi", "--sv", "igen", "--db", str(world.path), "--user", "setup", "--pin-stdin"]) == 2
    assert "finns redan" in capsys.readouterr().err


def test_re_entry_on_the_day_of_the_exit(world: World) -> None:
    pid = world.people[2]
    milestones.exit_participant(world.db, "omar.farah", pid, "flytt", TODAY)
    milestones.reenter(world.db, "omar.farah", pid, TODAY)
    assert cases.get(world.db, reader(world.db, pid), pid).status == "active"
    milestones.exit_participant(world.db, "omar.farah", pid, "flytt", TODAY)
    with pytest.raises(ArenaError) as caught:
        milestones.reenter(world.db, "omar.farah", pid, TODAY - dt.timedelta(days=1))
    assert caught.value.key == "ms.before_exit"
