"""#22 as an IT administrator meets both imports on a municipality's first day: files that are wrong in ways
Excel and people make them, an import killed with kill -9 and run again, two imports of one file at once.
Every refusal is one line with its reason and exit 2, nothing recorded is lost, the database is checked."""
from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from store import bulk
from tui import cli
from tui.cli import entry

from .conftest import PIN, TODAY, Poll, World, rows
from .test_bulk import count, referral_file
from .waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2026, 11, 23)  # a Monday before TODAY, a session day of the world's activity


def _import(world: World, kind: str, file: Path, capsys: pytest.CaptureFixture, *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = cli.main(["import", kind, str(file), "--db", str(world.path), "--user", "setup", "--pin-stdin", *extra])
    said = capsys.readouterr()
    return status, said.out, said.err


@pytest.mark.parametrize("kind, header, line", [
    ("participants", "personnummer;förnamn;efternamn;kön;anvisningsdatum;first_name",
     "19850312-1231;Åsa;Öberg;K;2026-11-02;Anna"),
    ("attendance", "participant_id;aktivitet;datum;status;date", "{pid};Arbetsträning café;{day};närvarande;{day}"),
])
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_header_naming_one_column_twice_is_refused_in_one_line(world: World, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture, kind: str,
                                                                 header: str, line: str, lang: str) -> None:
    """`förnamn` and `first_name` in one header (a sheet pasted together from two systems): which one is the
    name? Never guessed (a row took the last one, unsaid): one line naming the column and where it is."""
    file = tmp_path / "lista.csv"
    file.write_bytes(f"{header}\r\n{line.format(pid=world.people[0], day=DAY)}\r\n".encode("utf-8-sig"))
    before = count(world.path, "SELECT count(*) FROM change_log")
    status, out, err = _import(world, kind, file, capsys, "--lang", lang)
    assert status == 2 and out == "", (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert (("flera gånger (kolumn 2, 6: förnamn, first_name)" if kind == "participants"
             else "flera gånger (kolumn 3, 5: datum, date)") if lang == "sv" else
            ("more than once (columns 2, 6: förnamn, first_name)" if kind == "participants"
             else "more than once (columns 3, 5: datum, date)")) in err, err
    assert count(world.path, "SELECT count(*) FROM change_log") == before


def test_a_workbook_whose_first_sheet_is_empty_is_read_from_the_sheet_with_the_list(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Excel's new workbook has "Blad1"; the list was pasted on the next sheet. That file was called empty
    (the true reason a file cannot be read, never a wrong one); a workbook with nothing anywhere still is."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Blad1"
    sheet = book.create_sheet("Anvisningar")
    sheet.append(["personnummer", "förnamn", "efternamn", "kön", "anvisningsdatum"])
    sheet.append(["19850312-1231", "Åsa", "Öberg", "K", dt.datetime(2026, 11, 2)])
    file = tmp_path / "anvisningar.xlsx"
    book.save(file)
    status, out, err = _import(world, "participants", file, capsys)
    assert status == 0 and out.startswith("1 rad importerad"), (out, err)
    assert rows(world, "SELECT first_name, referral_date FROM participant WHERE personnummer = '198503121231'") == [
        ("Åsa", "2026-11-02")]
    empty = tmp_path / "tom.xlsx"
    openpyxl.Workbook().save(empty)
    status, out, err = _import(world, "participants", empty, capsys)
    assert (status, out, err) == (2, "", f"arena: Filen {empty} är tom.\n")


def test_an_attendance_import_says_how_far_it_is(world: World, tmp_path: Path, capsys: pytest.CaptureFixture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The paper lists too (only the referral import reported its progress; a million rows ran silent), and
    the rows written count up to the rows staged – not past them by the rows refused while checking."""
    monkeypatch.setattr(entry, "PROGRESS_EVERY", 0.0)
    file = tmp_path / "närvaro.csv"
    file.write_text("participant_id;aktivitet;datum;status\r\n" + "".join(
        f"{pid};Arbetsträning café;{DAY};närvarande\r\n" for pid in world.people)
        + f"{world.people[0]};Snickeri;{DAY};närvarande\r\n", encoding="utf-8-sig")
    status, out, err = _import(world, "attendance", file, capsys)
    assert status == 2 and out.startswith(f"{len(world.people)} rader importerade"), (out, err)
    people = len(world.people)
    assert f"{people + 1} rader kontrollerade…" in err, err
    written = [line for line in err.splitlines() if "rader skrivna" in line]
    assert written and written[-1] == f"{people} av {people} rader skrivna…", err


def _importer(world: World, file: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "ARENA_TODAY": TODAY.isoformat()}
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "import", "participants", str(file), "--db",
                             str(world.path), "--user", "setup", "--pin-stdin", *extra], cwd=ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdin is not None
    proc.stdin.write(PIN + "\n")
    proc.stdin.flush()
    return proc


def _summary(out: str) -> tuple[int, int, int]:
    found = re.match(r"(\d+) rader? importerade?, (\d+) oförändrade?, (\d+) avvisade?\.", out.replace("\xa0", ""))
    assert found, out
    return int(found[1]), int(found[2]), int(found[3])


def test_an_import_killed_with_kill_9_and_run_again_registers_everyone_once(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 while the chunks are written: what was committed stays, the next import of the same file
    finds those people (unchanged), registers the rest, removes the dead import's staging file."""
    file = tmp_path / "anvisningar.csv"
    people = referral_file(file, 3000)  # many chunks: the signal comes while they are written (200 fit in one)
    before = count(world.path, "SELECT count(*) FROM participant")
    proc = _importer(world, file)
    try:
        with Poll(world.path) as poll:
            wait_until(lambda: proc.poll() is not None or poll("SELECT count(*) FROM participant") > before,
                       "the import's first people", timeout=120)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    written = count(world.path, "SELECT count(*) FROM participant") - before
    assert 0 < written < people
    assert list(world.path.parent.glob(".arena-import-*.db"))  # the dead import's staging file
    monkeypatch.setattr(bulk, "STALE_AFTER", 0.0)  # it died a moment ago; in life, older than 10 s
    status, out, err = _import(world, "participants", file, capsys)
    assert status == 0, err
    assert _summary(out) == (people - written, written, 0)
    assert count(world.path, "SELECT count(*) FROM participant") == before + people
    assert count(world.path, "SELECT count(*) FROM (SELECT personnummer FROM participant WHERE personnummer IS NOT NULL"
                             " GROUP BY personnummer HAVING count(*) > 1)") == 0
    assert not list(world.path.parent.glob(".arena-import-*"))


def test_two_imports_of_one_file_at_once_register_each_person_once(world: World, tmp_path: Path) -> None:
    """Two administrators (or a double-click) import the same list at the same moment: both finish, each
    person is registered once – a row checked as new is looked up again under the write lock."""
    file = tmp_path / "anvisningar.csv"
    people = referral_file(file, 120)
    before = count(world.path, "SELECT count(*) FROM participant")
    procs = [_importer(world, file), _importer(world, file)]
    said = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], said
    (new1, same1, bad1), (new2, same2, bad2) = (_summary(out) for out, _ in said)
    assert (new1 + new2, bad1 + bad2) == (people, 0) and new1 + same1 == new2 + same2 == people, said
    assert count(world.path, "SELECT count(*) FROM participant") == before + people
    assert count(world.path, "SELECT count(*) FROM (SELECT personnummer FROM participant WHERE personnummer IS NOT NULL"
                             " GROUP BY personnummer HAVING count(*) > 1)") == 0
    assert not list(world.path.parent.glob(".arena-import-*"))


@pytest.mark.parametrize("all_or_nothing", [True, False])
def test_ctrl_c_during_an_import_says_what_was_written_and_all_or_nothing_puts_it_back(
        world: World, tmp_path: Path, all_or_nothing: bool) -> None:
    """Ctrl+C while the chunks are written said only "Avbrutet." and left the people written so far – under
    --all-or-nothing too. Now all-or-nothing puts them back and says nothing was imported; without it, the
    line says how many rows were written (and that the same file again does the rest), exit 130."""
    file = tmp_path / "anvisningar.csv"
    people = referral_file(file, 3000)  # many chunks: the signal comes while they are written (200 fit in one)
    before = count(world.path, "SELECT count(*) FROM participant")
    proc = _importer(world, file, *(["--all-or-nothing"] if all_or_nothing else []))
    try:
        with Poll(world.path) as poll:
            wait_until(lambda: proc.poll() is not None or poll("SELECT count(*) FROM participant") > before,
                       "the import's first people", timeout=120)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    said = err.splitlines()[-1]
    now = count(world.path, "SELECT count(*) FROM participant")
    if all_or_nothing:
        assert said == "arena: Avbrutet: inget importerades (--all-or-nothing: det som hann skrivas är borttaget igen).", err
        assert now == before
    else:
        assert 0 < now - before < people
        assert said.startswith(f"arena: Avbrutet: {now - before} rader importerade och 0 oförändrade innan dess."), err
    assert "Traceback" not in err and not list(world.path.parent.glob(".arena-import-*"))
