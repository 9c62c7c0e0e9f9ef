"""Access is checked in the store, not in the UI: every public store function that reads or writes
personal data takes the acting login and asks `store.access` (rule 4 of the project)."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import store
from store import access, attendance, cases, merge, milestones, overview
from store import export as export_mod

from .conftest import TODAY, World

# Public functions that take a database but no login, and why that is right. Anything else that takes a
# database, a connection or a transaction without a login fails the test below.
NO_PERSONAL_DATA = {
    "store.access.sees_protected": "the access rule itself, given the already checked user",
    "store.access.outside_caseload": "the access rule itself, given the already checked user",
    "store.activities.all_activities": "activity names and hours",
    "store.activities.find": "an activity's id by its name",
    "store.report.activities": "activity ids and names for the report dialog",
    "store.activities.open_sessions": "sessions open for enrolment, with places",
    "store.activities.week_hours": "a session's hours",
    "store.staff.joining": "whether this workstation is joining (a flag)",
    "store.staff.mark_joining": "whether this workstation is joining (a flag)",
    "store.tx.run": "the driver call every checked function uses inside its transaction",
    "store.tx.driver": "the driver connection under a checked function's transaction",
    "store.activities.find_session": "a session's id by its name",
    "store.activities.sessions_of": "sessions and how many are enrolled (no names)",
    "store.activities.sessions_of_activity": "one activity's sessions and how many are enrolled (no names)",
    "store.attendance.absence_codes": "the code list",
    "store.attendance.is_cancelled": "whether a session is cancelled",
    "store.attendance.sessions": "the day's sessions (activity names), filtered for a leader",
    "store.milestones.outcomes": "the outcome list",
    "store.settings.value": "a programme setting",
    "store.milestones.stages": "the stage list",
    "store.settings.threshold": "a programme setting",
    "store.overview.sites": "site names",
    "store.db.migrate": "schema",
    "store.db.check_log": "tamper evidence in the change log, as at every open (store.tamper: logins and times)",
    "store.models.differences": "schema",
    "store.db.run": "the driver call every checked function uses inside its transaction",
    "store.names.add_vocabulary": "a building block inside a checked write transaction",
    "store.names.index_participant": "a building block inside a checked write transaction",
    "store.names.index_people": "a building block inside a checked write transaction (and migration 17)",
    "store.retention.redact": "a building block inside gallring's checked transaction",
    "store.schema.create_day_total_triggers": "schema",
    "store.schema.create_session_total_triggers": "schema",
    "store.schema.fill_session_totals": "schema (totals after a bulk load)",
    "store.schema.create_figure_total_triggers": "schema",
    "store.schema.fill_figure_totals": "schema (totals after a bulk load)",
    "store.settings.read": "this workstation's local settings",
    "store.settings.write": "this workstation's local settings",
    "store.staff.all_caseworkers": "staff names for pickers (no participant data)",
    "store.staff.identify": "who is acting: runs before there is a proven login",
    "store.staff.is_demo": "a flag",
    "store.staff.remember": "maps an OS login, after the PIN proved it",
    "store.staff.resolve": "who is acting: runs before there is a proven login",
    "store.staff.setting_up": "whether any user exists",
    "store.access.setting_up": "whether any user exists",
    "store.activities.activity_named": "an activity by its name (no participant data)",
    "store.activities.session_named": "a session by its name (no participant data)",
    "store.activities.names_to_ids": "activities by their name keys, for the imports (no participant data)",
    "store.sync.status": "counts and times of the sync, shown by `arena sync --status`",
    "store.sync.remembered": "the share path and key file",
    "store.sync.remember": "the share path and key file",
}
# The sync runs as the workstation, not as a person (README: the nightly job needs no PIN): it moves
# encrypted change-log entries and shows nobody's data.
# store.tamper checks the access log's chains at open and sync (logins and times of broken events only;
# a person reads them through tamper.lines, which asks store.access for an administrator).
WORKSTATION_MODULES = ("store.sync", "store.merge", "store.snapshot", "store.hub", "store.pgshare", "store.tamper")
FIRST = ("db", "database", "conn", "tx", "cur", "engine")


def public_store_functions() -> list[tuple[str, inspect.Signature]]:
    found = []
    for info in pkgutil.iter_modules(store.__path__):
        module = importlib.import_module(f"store.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            found.append((f"{module.__name__}.{name}", inspect.signature(fn)))
    return found


def test_every_store_function_on_personal_data_takes_the_acting_login() -> None:
    missing = []
    for qualified, sig in public_store_functions():
        params = list(sig.parameters)
        if not params or params[0] not in FIRST or params[0] == "tx":  # a Tx carries its login
            continue
        if any(p in ("login", "actor") for p in params):
            continue
        if qualified in NO_PERSONAL_DATA or qualified.rsplit(".", 1)[0] in WORKSTATION_MODULES:
            continue
        missing.append(qualified)
    assert missing == [], f"store functions without a login argument: {missing}"
    assert len(public_store_functions()) > 100  # the enumeration found the store


def test_the_reads_named_in_the_issue_check_the_login(world: World) -> None:
    """On main cases.get, notes, history, enrolments, roll_call, week_grid, figures and conflicts took no
    login and checked nothing: the UI decided."""
    karins, omars = world.people[0], world.people[1]  # every fifth person is Karin Ek's
    reads_of_a_case = [
        lambda login, pid: cases.get(world.db, login, pid),
        lambda login, pid: cases.notes(world.db, login, pid),
        lambda login, pid: cases.history(world.db, login, pid),
        lambda login, pid: cases.enrolments(world.db, login, pid),
        lambda login, pid: milestones.timeline(world.db, login, pid),
        lambda login, pid: attendance.person_weeks(world.db, login, pid),
    ]
    for read in reads_of_a_case:
        read("omar.farah", omars)  # one's own caseload
        with pytest.raises(access.AccessDenied, match="anledning"):  # another's case: only after a reason
            read("omar.farah", karins)
        with pytest.raises(access.AccessDenied, match="aktivitetsledare"):
            read("lena.leder", omars)
        with pytest.raises(access.AccessDenied, match="finns inte"):
            read("inkräktare", omars)
    cases.open_case(world.db, "omar.farah", karins, reason="Vikarierar för Karin")
    for read in reads_of_a_case:
        read("omar.farah", karins)
    monday = TODAY.replace(day=23)
    for read in (lambda login: attendance.roll_call(world.db, login, world.activity_id, TODAY),
                 lambda login: attendance.week_grid(world.db, login, world.activity_id, monday)):
        assert read("lena.leder") and read("omar.farah")
        with pytest.raises(access.AccessDenied):
            read("inkräktare")
    with pytest.raises(access.AccessDenied):
        overview.figures(world.db, "lena.leder")
    with pytest.raises(access.AccessDenied, match="aktivitetsledare"):
        merge.conflicts(world.db, "lena.leder")
    with pytest.raises(access.AccessDenied, match="administrera"):
        export_mod.rows(world.db, "omar.farah", "participants")
    assert merge.conflicts(world.db, "setup") == []


def test_protected_identity_is_redacted_in_the_history_by_the_store(world: World) -> None:
    """On main the case card's History tab of a protected person showed the full number and address."""
    pid = world.people[0]  # Karin Ek's
    cases.update(world.db, "karin.ek", pid, personnummer="19850612-1238", address="Hemliga vägen 1", protected=True)
    cases.open_case(world.db, "omar.farah", pid, reason="Vikarierar för Karin")
    shown = repr([h.changes for h in cases.history(world.db, "omar.farah", pid)])
    assert "198506121238" not in shown and "Hemliga" not in shown and "8506121238" not in shown
    assert "•••" in shown
    for allowed in ("karin.ek", "setup"):  # the responsible caseworker and the administrator see it
        if allowed == "setup":
            cases.open_case(world.db, "setup", pid, reason="Granskning av loggen")
        assert "Hemliga" in repr([h.changes for h in cases.history(world.db, allowed, pid)])
