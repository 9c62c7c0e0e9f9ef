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


def test_a_blank_line_above_the_header_of_a_semicolon_file_is_skipped(world: World, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture) -> None:
    """The separator was guessed from the first line even when it was empty: `,`, then "wrong header"
    naming every column the file has."""
    file = tmp_path / "närvaro.csv"
    file.write_text(f"\r\n;;\r\ndeltagar_id;aktivitet;datum;närvaro;timmar\r\n"
                    f"{world.people[0]};Arbetsträning café;{DAY};delvis;2,5\r\n", encoding="utf-8-sig")
    assert import_attendance(world, file) == 0, capsys.readouterr().err
    assert rows(world, "SELECT status, hours FROM attendance") == [("partial", 2.5)]


def test_utf8_and_windows_1252_mixed_in_one_file_are_refused_naming_the_line(world: World, tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture) -> None:
    """A row pasted from a Windows-1252 file into a UTF-8 one: read as Windows-1252, "Åsa" was stored as
    "Ã…sa" without a word. Refused whole, naming the first line that is not UTF-8; nothing is stored."""
    file = tmp_path / "lista.csv"
    file.write_bytes("deltagar_id;aktivitet;datum;närvaro;anteckning\r\n".encode()
                     + f"{world.people[0]};Arbetsträning café;{DAY};närvarande;Åsa ringde\r\n".encode()
                     + f"{world.people[1]};Arbetsträning café;{DAY};närvarande;Jörgen ringde\r\n".encode("cp1252"))
    assert import_attendance(world, file) == 2
    err = capsys.readouterr().err
    assert err.startswith("arena: Filen") and "rad 3" in err and "UTF-8 och Windows-1252" in err, err
    assert len(err.strip().splitlines()) == 1
    assert rows(world, "SELECT count(*) FROM attendance") == [(0,)]


def test_a_workbook_with_lists_on_two_sheets_is_refused_naming_them(world: World, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    """A sheet a week: only the first was read and the second left out with "0 avvisade"."""
    import openpyxl

    book = openpyxl.Workbook()
    for n, title in enumerate(("Vecka 47", "Vecka 48")):
        sheet = book.active if n == 0 else book.create_sheet(title)
        sheet.title = title
        sheet.append(["deltagar_id", "aktivitet", "datum", "närvaro"])
        sheet.append([world.people[n], "Arbetsträning café", DAY.isoformat(), "närvarande"])
    book.create_sheet("Anteckningar")  # an empty sheet is no list
    file = tmp_path / "närvaro.xlsx"
    book.save(file)
    assert import_attendance(world, file) == 2
    err = capsys.readouterr().err
    assert "flera blad (Vecka 47, Vecka 48)" in err, err
    assert rows(world, "SELECT count(*) FROM attendance") == [(0,)]


def test_our_participants_export_imported_again_changes_nothing(world: World, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture) -> None:
    """The export puts an apostrophe before a cell starting with = + - @ (CSV injection); read back, it stored
    "'+46 70…" as the phone number. Now the same export imported again changes nothing, and the formula
    stays text."""
    from store import cases

    pid = world.people[0]
    cases.update(world.db, "omar.farah", pid, phone="+46 70 123 45 67", address="=1+1", personnummer="198503141239")
    out = tmp_path / "deltagare.csv"
    assert cli.main(["export", "--what", "participants", "--db", str(world.path), "--user", "setup", "--pin-stdin",
                     "--reason", "Kontroll av listan", "--out", str(out)]) == 0, capsys.readouterr().err
    header, *people = out.read_text(encoding="utf-8-sig").splitlines()
    mine = [line for line in people if "'+46 70 123 45 67" in line]  # (the world's others have no number)
    assert len(mine) == 1 and "'=1+1" in mine[0], mine
    out.write_text("\r\n".join([header, *mine]) + "\r\n", encoding="utf-8-sig")
    (seq,), = rows(world, "SELECT max(seq) FROM change_log")
    capsys.readouterr()
    assert cli.main(["import", "participants", str(out), "--db", str(world.path), "--user", "setup",
                     "--pin-stdin"]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.replace("\xa0", "").startswith("0 rader importerade, 1 oförändrad")
    assert rows(world, "SELECT phone, address FROM participant WHERE id = ?", pid) == [("+46 70 123 45 67", "=1+1")]
    assert rows(world, "SELECT count(*) FROM change_log WHERE seq > ? AND tbl = 'participant'", seq) == [(0,)]


def test_a_jsonl_export_given_to_the_import_is_named_json_and_dialect_says_it_needs_csv(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "närvaro.jsonl"
    out.write_text('{"participant_id": "x", "date": "2026-11-23"}\n', encoding="utf-8")
    assert import_attendance(world, out) == 2
    assert "är JSON, inte en tabell" in capsys.readouterr().err
    assert cli.main(["export", "--what", "attendance", "--format", "jsonl", "--dialect", "excel-sv", "--db",
                     str(world.path), "--user", "setup", "--pin-stdin"]) == 2
    assert "--dialect gäller bara --format csv" in capsys.readouterr().err


def test_out_dash_is_standard_output(world: World, tmp_path: Path, capsys: pytest.CaptureFixture,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`--out -` wrote a file named "-" in the current directory."""
    monkeypatch.chdir(tmp_path)
    assert cli.main(["export", "--what", "activities", "--format", "jsonl", "--out", "-", "--db", str(world.path),
                     "--user", "setup", "--pin-stdin"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["name"] == "Arbetsträning café"
    assert not (tmp_path / "-").exists()


def test_a_referral_date_ahead_of_today_is_refused_by_line(world: World, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    """2027 typed for 2026: accepted, the person was "referred" a year ahead (and their referral milestone
    achieved then)."""
    file = tmp_path / "anvisningar.csv"
    file.write_text("personnummer;förnamn;efternamn;kön;anvisningsdatum\r\n"
                    "198503141239;Åsa;Öberg;K;2027-11-02\r\n", encoding="utf-8-sig")
    assert cli.main(["import", "participants", str(file), "--db", str(world.path), "--user", "setup",
                     "--pin-stdin"]) == 2
    assert "rad 2: Anvisningsdatumet 2027-11-02 har inte kommit än" in capsys.readouterr().err
    assert rows(world, "SELECT count(*) FROM participant WHERE personnummer = '198503141239'") == [(0,)]


def test_an_excel_date_cell_with_a_time_of_day_is_its_date_and_a_mistyped_number_says_why(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A date cell from another system carries 08:30: it was refused as "not a date". A report asked for a
    personnummer with a wrong check digit said "no participant" instead of what is wrong with it."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["deltagar_id", "aktivitet", "datum", "närvaro"])
    book.active.append([world.people[0], "Arbetsträning café", dt.datetime(2026, 11, 23, 8, 30), "närvarande"])
    file = tmp_path / "närvaro.xlsx"
    book.save(file)
    assert import_attendance(world, file) == 0, capsys.readouterr().err
    assert rows(world, "SELECT date FROM attendance") == [("2026-11-23",)]
    assert cli.main(["report", "narvaro", "--month", "2026-11", "--participant", "198002105249", "--db",
                     str(world.path), "--user", "setup", "--pin-stdin", "--reason", "Kontroll av listan"]) == 2
    assert "kontrollsiffra" in capsys.readouterr().err


def test_a_line_split_with_another_character_than_the_header_is_named_and_nothing_imported(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A header with `;` and a line with `,` was refused as "kön måste fyllas i" (the line read as one field)."""
    file = tmp_path / "anvisningar.csv"
    file.write_text("personnummer;förnamn;efternamn;kön;anvisningsdatum\r\n"
                    "19090527-1474;Åsa;Öberg;K;2026-11-02\r\n"
                    "200002292399,Vera,Wallin,K,2026-11-02\r\n", encoding="utf-8-sig")
    before = rows(world, "SELECT count(*) FROM participant")
    capsys.readouterr()
    assert cli.main(["import", "participants", str(file), "--db", str(world.path), "--user", "setup",
                     "--pin-stdin"]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert said == [f"arena: Filen {file}, rad 3: raden skiljer fälten med komma (,) men rubrikraden med "
                    "semikolon (;). Spara filen igen ur Excel (alla rader med samma tecken) och importera igen; "
                    "inget importerades."], said
    assert rows(world, "SELECT count(*) FROM participant") == before
    marks = tmp_path / "närvaro.csv"  # the attendance import too: the line is named, nothing is written
    lines = ["deltagar_id;aktivitet;datum;närvaro", *(f"{p};Arbetsträning café;{DAY};present" for p in world.people),
             f"{world.people[0]},Arbetsträning café,{DAY},sick"]
    marks.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    assert import_attendance(world, marks) == 2
    assert f"rad {len(lines)}: raden skiljer fälten med komma (,)" in capsys.readouterr().err
    assert rows(world, "SELECT count(*) FROM attendance WHERE date = ?", DAY.isoformat()) == [(0,)]
