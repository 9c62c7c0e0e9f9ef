"""Identity is proven, not claimed, on every way in: the `arena` command as a person or a script runs it.

Each test is an attack that worked on the main branch before issue 17 (named in its docstring).
The OS login a command runs as is set through LOGNAME, which is what `getpass.getuser()` reads. The
commands run in the test process as a subprocess would run them (tests/inprocess.py: their own
environment and standard input, which is no terminal); the first attack also through a real `python -m
tui.cli` process, so the way in a script uses is proven end to end.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from store import dbfile
from tui import cli

from . import inprocess
from .conftest import DEMO_PIN, PIN, TODAY, World

ROOT = Path(__file__).resolve().parent.parent


def arena(*args: str, os_login: str = "okand.dator", stdin: str | None = None, user: str | None = None,
          **env: str) -> inprocess.Ran:
    """`arena ARGS` run by the OS login `os_login`, with ARENA_USER=`user` if given (else unset)."""
    extra = {**env, **({"ARENA_USER": user} if user is not None else {})}
    return inprocess.arena(*args, stdin=stdin or "", env=extra, unset=["ARENA_USER"], os_login=os_login)


def arena_process(*args: str, os_login: str = "okand.dator", stdin: str | None = None, user: str | None = None,
                  **env: str) -> subprocess.CompletedProcess:
    """The same through a real `python -m tui.cli` process."""
    full_env = {**{k: v for k, v in os.environ.items() if k != "ARENA_USER"}, "ARENA_TODAY": TODAY.isoformat(),
                "LOGNAME": os_login, "USER": os_login, **env}
    if user is not None:
        full_env["ARENA_USER"] = user
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=full_env, input=stdin if stdin is not None else "", timeout=120)


def audit_count(path: Path, action: str) -> int:
    return dbfile.connect(path).execute("SELECT count(*) FROM audit_event WHERE action = ?", (action,)).fetchone()[0]


def test_a_named_user_without_the_pin_exports_nothing(demo_db: Path) -> None:
    """On main `ARENA_USER=anna.lind arena export --what participants` exported the whole programme."""
    refused = arena_process("export", "--what", "participants", "--db", str(demo_db), user="anna.lind")
    assert refused.returncode == 2 and refused.stdout == ""
    assert "PIN-koden behövs" in refused.stderr and len(refused.stderr.splitlines()) == 1
    # the same refusals and the demo's export, in this process (tests/inprocess.py)
    wrong = arena("export", "--what", "participants", "--db", str(demo_db), "--pin-stdin", user="anna.lind",
                  stdin="000000\n")
    assert wrong.returncode == 2 and wrong.stdout == "" and "Fel PIN-kod" in wrong.stderr
    assert audit_count(demo_db, "export") == 0 and audit_count(demo_db, "unlock_failed") == 1
    # the demo: any OS login may act as any demo user with the documented demo PIN
    ok = arena("export", "--what", "participants", "--reason", "Demo av exporten", "--db", str(demo_db), "--pin-stdin",
               user="anna.lind", stdin=f"{DEMO_PIN}\n")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("\n") > 100 and audit_count(demo_db, "export") == 2  # the export, read as outside


def test_every_subcommand_that_acts_as_a_person_wants_the_pin(world: World, tmp_path: Path) -> None:
    parser = cli.build_parser()
    choices = parser._subparsers._group_actions[0].choices
    for name, sub in choices.items():
        has = any("--pin-stdin" in a.option_strings for a in sub._actions)
        assert has == (name in cli.PERSON_COMMANDS), name
    attempts = [["find", "Berg"], ["export", "--what", "participants"], ["report", "narvaro", "--month", "2026-11"],
                ["stages", "list"], ["users", "list"], ["settings"], ["gallra", "--dry-run"],
                ["import", "attendance", str(tmp_path / "x.csv")]]
    (tmp_path / "x.csv").write_text("personnummer,activity,date,status,hours,reason,note\n", encoding="utf-8")
    for argv in attempts:
        result = arena(*argv, "--db", str(world.path), "--pin-stdin", os_login="setup", stdin="999999\n")
        assert result.returncode == 2 and result.stdout == "", (argv, result.stdout)
        assert "Fel PIN-kod" in result.stderr or "För många" in result.stderr, (argv, result.stderr)


def test_the_os_login_acts_as_its_mapped_user_and_no_one_else(world: World) -> None:
    """On main `--user` (or ARENA_USER) made anyone the administrator."""
    mine = arena("find", "Berg", "--db", str(world.path), "--pin-stdin", os_login="omar.farah", stdin=f"{PIN}\n")
    assert mine.returncode == 0, mine.stderr
    assert "Berg" in mine.stdout
    # the administrator's PIN does not help: this OS login is omar.farah, not the administrator
    other = arena("export", "--what", "participants", "--db", str(world.path), "--pin-stdin", "--user", "setup",
                  os_login="omar.farah", stdin=f"{PIN}\n")
    assert other.returncode == 2 and other.stdout == "" and "kopplad till" in other.stderr
    # an OS login mapped at a first start on this workstation is held to that user as well
    with world.db.write("setup") as tx:
        from store import settings

        settings.write(tx.conn, "login.dator17", "karin.ek")
    claimed = arena("find", "Berg", "--db", str(world.path), "--pin-stdin", os_login="dator17", user="setup",
                    stdin=f"{PIN}\n")
    assert claimed.returncode == 2 and "kopplad till" in claimed.stderr
    assert arena("find", "Berg", "--db", str(world.path), "--pin-stdin", os_login="dator17",
                 stdin=f"{PIN}\n").returncode == 0
    # an unmapped login names nobody by default and must prove a named user with that user's PIN
    nobody = arena("find", "Berg", "--db", str(world.path), "--pin-stdin", stdin=f"{PIN}\n")
    assert nobody.returncode == 2 and "inte kopplad" in nobody.stderr
    assert audit_count(world.path, "search") == 2


def test_a_new_user_has_no_pin_until_the_setup_code_is_used(world: World) -> None:
    """On main every user made with `arena users add` started without a PIN and anyone could choose it."""
    added = arena("users", "add", "nadia.nilsson", "--name", "Nadia Nilsson", "--db", str(world.path), "--pin-stdin",
                  os_login="setup", stdin=f"{PIN}\n")
    assert added.returncode == 0, added.stderr
    code = added.stdout.split("nadia.nilsson: ")[1].split()[0]
    assert len(code.replace("-", "")) == 12
    for pin in ("", "000000", code):  # no PIN, a guess, or the code itself: nothing opens
        tried = arena("find", "Berg", "--db", str(world.path), "--pin-stdin", os_login="nadia.nilsson",
                      stdin=f"{pin}\n")
        assert tried.returncode == 2 and tried.stdout == "" and "ingen PIN-kod" in tried.stderr
    listed = arena("users", "list", "--db", str(world.path), "--pin-stdin", os_login="setup", stdin=f"{PIN}\n")
    assert "nadia.nilsson" in listed.stdout and "ingen PIN" in listed.stdout.split("nadia.nilsson")[1].splitlines()[0]
    stored = dbfile.connect(world.path).execute(
        "SELECT pin_hash FROM caseworker WHERE login = 'nadia.nilsson'").fetchone()[0]
    assert code not in stored and code.replace("-", "") not in stored


def test_the_nightly_sync_runs_as_the_workstation_without_a_pin(world: World, tmp_path: Path) -> None:
    key = tmp_path / "arena.key"
    assert arena("keys", "new", str(key)).returncode == 0
    share = tmp_path / "share"
    share.mkdir()
    result = arena("sync", "--db", str(world.path), "--share", str(share), "--key", str(key), os_login="arena-sync")
    assert result.returncode == 0, result.stderr
    assert any((share / "ops").rglob("*.ops"))


# ------------------------------------------------------------------------------------------------ files

def test_out_never_replaces_the_database(world: World) -> None:
    """On main `report … --out arena.db` exited 0 and the database was the report."""
    import stat

    for argv in (["report", "narvaro", "--month", "2026-11", "--format", "xlsx"], ["export", "--what", "attendance"]):
        for force in ([], ["--force"]):
            result = arena(*argv, "--db", str(world.path), "--out", str(world.path), *force, "--pin-stdin",
                           os_login="setup", stdin=f"{PIN}\n")
            assert result.returncode == 2 and "databas" in result.stderr, (argv, force, result.stderr)
    wal = world.path.with_name(world.path.name + "-wal")
    if wal.exists():
        assert arena("export", "--what", "notes", "--db", str(world.path), "--out", str(wal), "--force",
                     "--pin-stdin", os_login="setup", stdin=f"{PIN}\n").returncode == 2
    assert dbfile.connect(world.path).execute("SELECT count(*) FROM participant").fetchone()[0] == 25
    assert stat.S_IMODE(world.path.stat().st_mode) == 0o600


def test_out_keeps_an_existing_file_unless_forced_and_a_failure_deletes_nothing(world: World,
                                                                               tmp_path: Path) -> None:
    """On main a refused or failed export deleted whatever file was at --out; files were 0644."""
    import stat

    folder = tmp_path / "ut"
    folder.mkdir()
    kept = folder / "viktig.csv"
    kept.write_text("mitt eget arbete\n", encoding="utf-8")
    result = arena("export", "--what", "participants", "--db", str(world.path), "--out", str(kept), "--pin-stdin",
                   os_login="setup", stdin=f"{PIN}\n")
    assert result.returncode == 2 and "--force" in result.stderr
    refused = arena("export", "--what", "audit", "--db", str(world.path), "--out", str(kept), "--force",
                    "--pin-stdin", os_login="omar.farah", stdin=f"{PIN}\n")  # a caseworker may not
    assert refused.returncode == 2 and "administrera" in refused.stderr
    assert kept.read_text(encoding="utf-8") == "mitt eget arbete\n"
    assert sorted(p.name for p in folder.iterdir()) == ["viktig.csv"]  # no temporary file left either
    forced = arena("export", "--what", "participants", "--reason", "Uppföljning av programmet", "--db", str(world.path), "--out", str(kept), "--force",
                   "--pin-stdin", os_login="setup", stdin=f"{PIN}\n")
    assert forced.returncode == 0, forced.stderr
    assert "personnummer" in kept.read_text(encoding="utf-8-sig")
    new = folder / "rapport.xlsx"
    made = arena("report", "narvaro", "--month", "2026-11", "--reason", "Månadsrapport till soc", "--format", "xlsx",
                 "--db", str(world.path),
                 "--out", str(new), "--pin-stdin", os_login="setup", stdin=f"{PIN}\n")
    assert made.returncode == 0, made.stderr
    for path in (kept, new):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# ------------------------------------------------------------------------------------- reads beyond one's caseload

def test_a_report_beyond_the_caseload_needs_a_reason_and_logs_each_person_as_outside(world: World) -> None:
    """On main karin.ek (caseload 5 of 25 here) got everyone's report with personnummer, no reason asked, and
    the access review's "outside only" filter missed it; refused attempts were not logged."""
    def outside_reads() -> list[tuple]:
        return dbfile.connect(world.path).execute(
            "SELECT participant_id, reason FROM audit_event WHERE user_login = 'karin.ek' AND action = 'report'"
            " AND detail = 'outside caseload'").fetchall()

    refused = arena("report", "narvaro", "--month", "2026-11", "--db", str(world.path), "--pin-stdin",
                    os_login="karin.ek", stdin=f"{PIN}\n")
    assert refused.returncode == 2 and refused.stdout == ""
    assert "20 av 25" in refused.stderr and "--reason" in refused.stderr
    assert outside_reads() == []
    assert dbfile.connect(world.path).execute(
        "SELECT count(*) FROM audit_event WHERE user_login = 'karin.ek' AND action = 'refused'").fetchone()[0] == 1
    own = arena("report", "narvaro", "--month", "2026-11", "--caseworker", "karin.ek", "--db", str(world.path),
                "--pin-stdin", os_login="karin.ek", stdin=f"{PIN}\n")
    assert own.returncode == 0 and outside_reads() == []  # one's own caseload needs no reason
    done = arena("report", "narvaro", "--month", "2026-11", "--reason", "Månadsrapport till soc", "--db",
                 str(world.path), "--pin-stdin", os_login="karin.ek", stdin=f"{PIN}\n")
    assert done.returncode == 0, done.stderr
    reads = outside_reads()
    assert len(reads) == 20 and {r[1] for r in reads} == {"Månadsrapport till soc"}
    assert set(world.people) - {r[0] for r in reads} == set(world.people[::5])  # Karin's own five are not outside
    # the access review's filter sees them
    review = arena("export", "--what", "audit", "--outside", "--by", "karin.ek", "--db", str(world.path),
                   "--pin-stdin", os_login="setup", stdin=f"{PIN}\n")
    assert review.returncode == 0 and review.stdout.count("utanför ärendelistan") == 20  # said in Swedish


def test_an_export_of_personal_data_needs_a_reason_and_is_logged_as_outside(world: World) -> None:
    refused = arena("export", "--what", "participants", "--db", str(world.path), "--pin-stdin",
                    os_login="setup", stdin=f"{PIN}\n")
    assert refused.returncode == 2 and refused.stdout == "" and "--reason" in refused.stderr
    done = arena("export", "--what", "participants", "--reason", "Årsuppföljning av programmet", "--db", str(world.path),
                 "--pin-stdin", os_login="setup", stdin=f"{PIN}\n")
    assert done.returncode == 0
    assert dbfile.connect(world.path).execute(
        "SELECT reason FROM audit_event WHERE action = 'export' AND detail = 'outside caseload'").fetchall() == [
        ("Årsuppföljning av programmet",)]


def test_out_never_replaces_the_key_or_the_log(world: World) -> None:
    """Found by a tester after issue 17's first round: `--out` naming the workstation key (or arena.log)
    with --force replaced it with the report, and without its key the database is lost."""
    from store import logs

    key = Path(os.environ["ARENA_DB_KEY"])
    log = logs.log_path(world.path)
    log.write_text("logg\n", encoding="utf-8")
    kept = {key: key.read_bytes(), log: log.read_bytes()}
    for target in (key, log):
        result = arena("report", "narvaro", "--month", "2026-11", "--reason", "Månadsrapport till soc", "--format", "csv",
                       "--db", str(world.path), "--out", str(target), "--force", "--pin-stdin", os_login="setup",
                       stdin=f"{PIN}\n")
        assert result.returncode == 2 and "Arenas egna filer" in result.stderr, (target, result.stderr)
    assert key.read_bytes() == kept[key]
    assert log.read_bytes().startswith(kept[log])  # the log only grew (by the refusals), never replaced


def test_a_caseworker_cannot_take_a_case_or_lift_its_protection_by_importing_it(world: World,
                                                                                tmp_path: Path) -> None:
    """Found by a tester after issue 17's first round: one imported row moved another caseworker's
    protected case to karin.ek and cleared its protection (no `skyddad` column), and `find --format json`
    showed a protected person's whole number."""
    from store import cases, staff

    karin = staff.by_login(world.db, "karin.ek")
    pid = cases.register(world.db, "setup", cases.NewParticipant(
        first_name="Märta", last_name="Nilsson", gender="K", referral_date="2026-09-01",
        personnummer="19090527-1474", caseworker_id=karin.id, plan=(8, 8, 8, 8, 8), protected=True))
    row = "personnummer;förnamn;efternamn;kön;anvisningsdatum;handläggare;veckoplan\n" \
          "19090527-1474;Märta;Nilsson;K;2026-09-01;omar.farah;8\n"
    (tmp_path / "ta.csv").write_text(row, encoding="utf-8")

    def case() -> tuple:
        return dbfile.connect(world.path).execute(
            "SELECT c.login, p.protected FROM participant p JOIN caseworker c ON c.id = p.caseworker_id"
            " WHERE p.id = ?", (pid,)).fetchone()

    taken = arena("import", "participants", str(tmp_path / "ta.csv"), "--db", str(world.path), "--pin-stdin",
                  os_login="omar.farah", stdin=f"{PIN}\n")
    assert taken.returncode == 2 and "rad 2" in taken.stderr, taken.stderr
    assert case() == ("karin.ek", 1)
    shown = arena("find", "Märta Nilsson", "--format", "json", "--db", str(world.path), "--pin-stdin",
                  os_login="omar.farah", stdin=f"{PIN}\n")
    assert shown.returncode == 0 and "Nilsson" in shown.stdout and "190905271474" not in shown.stdout \
        and "0527-1474" not in shown.stdout, shown.stdout
    moved = arena("import", "participants", str(tmp_path / "ta.csv"), "--db", str(world.path), "--pin-stdin",
                  os_login="setup", stdin=f"{PIN}\n")  # the administrator may move it; protection stays
    assert moved.returncode == 0, moved.stderr
    assert case() == ("omar.farah", 1)
