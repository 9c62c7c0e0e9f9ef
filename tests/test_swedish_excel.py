"""#22 as a caseworker with Excel on a Swedish Windows PC: the files Excel writes are read (semicolons,
Windows-1252, CRLF, decimal comma, long cells), what Arena writes opens in columns there (and carries no
live formula), JSONL has no BOM, reports cover the period asked for and every file is owner-only.
Each through the real command (`arena …` in-process) and checked on the file and the database."""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from store import attendance
from tui import cli

from .conftest import TODAY, World, rows

DAY = dt.date(2026, 11, 23)  # a Monday before TODAY


def import_attendance(world: World, file: Path, *extra: str) -> int:
    return cli.main(["import", "attendance", str(file), "--db", str(world.path), "--user", "lena.leder", "--pin-stdin",
                     *extra])


def test_excel_sv_csv_in_windows_1252_with_decimal_comma_is_imported(world: World, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture) -> None:
    """What "Spara som CSV (semikolonavgränsad)" writes on a Swedish PC: cp1252, `;`, CRLF, Swedish headers,
    an unquoted 3,5 in the hours, å/ä/ö in a note."""
    file = tmp_path / "närvaro.csv"
    lines = ["deltagar_id;aktivitet;datum;närvaro;timmar;anteckning",
             f"{world.people[0]};Arbetsträning café;{DAY};partial;3,5;Gick tidigt – läkarbesök på vårdcentralen",
             f"{world.people[1]};Arbetsträning café;{DAY};present;;"]
    file.write_bytes("\r\n".join(lines).encode("cp1252") + b"\r\n")
    assert import_attendance(world, file) == 0, capsys.readouterr().err
    assert "2 rader importerade" in capsys.readouterr().out
    assert rows(world, "SELECT hours, note FROM attendance WHERE participant_id = ?", world.people[0]) == [
        (3.5, "Gick tidigt – läkarbesök på vårdcentralen")]


def test_an_unquoted_decimal_comma_in_a_comma_file_is_refused_by_line_never_exit_1(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A comma-separated file with `3,5` unquoted has one cell too many: that row is refused with its line
    and what is wrong, the others are imported, the status is 2 – never "Oväntat fel" (1)."""
    file = tmp_path / "lista.csv"
    file.write_text("participant_id,activity,date,status,hours\r\n"
                    f"{world.people[0]},Arbetsträning café,{DAY},partial,3,5\r\n"
                    f"{world.people[1]},Arbetsträning café,{DAY},present,\r\n", encoding="utf-8")
    code = import_attendance(world, file)
    said = capsys.readouterr()
    assert code == 2, said.err
    assert "rad 2" in said.out + said.err and "Oväntat" not in said.err
    assert rows(world, "SELECT participant_id FROM attendance") == [(world.people[1],)]


def test_a_cell_over_128_kib_is_read_and_refused_for_its_length_not_as_a_wrong_header(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    file = tmp_path / "lång.csv"
    note = "x" * (130 * 1024)
    file.write_text("deltagar_id;aktivitet;datum;närvaro;timmar;anteckning\r\n"
                    f"{world.people[0]};Arbetsträning café;{DAY};present;;\"{note}\"\r\n"
                    f"{world.people[1]};Arbetsträning café;{DAY};present;;kort\r\n", encoding="utf-8-sig")
    code = import_attendance(world, file)
    said = capsys.readouterr()
    assert code == 2 and "rubrik" not in (said.out + said.err).lower()
    assert "rad 2" in said.out + said.err and "för lång" in said.out + said.err
    assert rows(world, "SELECT participant_id, note FROM attendance") == [(world.people[1], "kort")]


def test_the_report_csv_opens_in_columns_with_no_live_formula(world: World, tmp_path: Path) -> None:
    """`arena report narvaro --format csv --out`: `;`, decimal comma, BOM, CRLF, owner-only; a name that
    is a formula (typed so, or pasted from a case system) is written as text."""
    from store import cases

    cases.update(world.db, "setup", world.people[0], last_name="=cmd|' /C calc'!A0")
    attendance.mark(world.db, "lena.leder", world.people[0], world.activity_id, DAY, "partial", hours=2.5)
    out = tmp_path / "rapport.csv"
    assert cli.main(["report", "narvaro", "--month", "2026-11", "--participant", world.people[0], "--db",
                     str(world.path), "--user", "omar.farah", "--pin-stdin", "--out", str(out), "--reason",
                     "kontroll inför utbetalningen"]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and oct(out.stat().st_mode & 0o777) == "0o600"
    table = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert len(table[0]) > 3  # columns, not one long cell
    cells = [c for r in table for c in r]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert "'=cmd|' /C calc'!A0, Anna" in cells, table
    assert any(c == "2,5" for c in cells) and not any(c == "2.5" for c in cells)


def test_jsonl_to_a_file_has_no_bom_and_every_line_is_json(world: World, tmp_path: Path) -> None:
    out = tmp_path / "närvaro.jsonl"
    attendance.mark(world.db, "lena.leder", world.people[0], world.activity_id, DAY, "present")
    assert cli.main(["export", "--what", "attendance", "--format", "jsonl", "--reason", "kontroll av listan",
                     "--db", str(world.path), "--user", "setup", "--pin-stdin", "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw[:1] == b"{" and oct(out.stat().st_mode & 0o777) == "0o600"
    assert [json.loads(line)["participant_id"] for line in raw.decode("utf-8").splitlines()] == [world.people[0]]


def test_a_report_covers_the_period_asked_for_and_no_planned_hours_after_today(world: World, tmp_path: Path) -> None:
    """--from/--to: the report says that period; the current month plans hours only up to the day it is
    made (someone on the list since the 1st has planned hours for the days so far, not the whole month)."""
    from openpyxl import load_workbook

    out = tmp_path / "rapport.xlsx"
    assert cli.main(["report", "narvaro", "--from", "2026-11-16", "--to", "2026-11-30", "--participant",
                     world.people[0], "--format", "xlsx", "--db", str(world.path), "--user", "omar.farah",
                     "--pin-stdin", "--out", str(out), "--reason", "kontroll inför utbetalningen"]) == 0
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    book = load_workbook(out, read_only=True)
    text = " ".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row
                    if c is not None)
    assert "2026-11-16" in text and "2026-11-30" in text
    # Mon 23 and Tue 24 (today) of week 48 planned (6 + 6 h), nothing of week 49 yet
    assert "v. 47 28 " in text and "v. 48 12 " in text and "v. 49 0 " in text
    assert TODAY == dt.date(2026, 11, 24)
