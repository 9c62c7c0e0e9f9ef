"""Tester of #22 (qa22), the words in and out: an attendance list in Swedish words (`närvarande`, `LÄKARE`),
notes with line breaks, messages that name the column and the quote, plurals, export headers in the
reader's language, the BOM on standard output. Each through the real command (`arena …` in-process) on
real files, checked on the database or on the bytes written."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tui import cli

from .conftest import World
from .test_swedish_excel import import_attendance, rows

DAY = dt.date(2026, 11, 23)  # a Monday before TODAY
HEADER = "deltagar_id;aktivitet;datum;status;timmar;orsak;anteckning"


def write(path: Path, *lines: str, encoding: str = "utf-8-sig") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def test_swedish_status_words_and_absence_codes_with_a_umlaut_are_imported(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """närvarande, Delvis, SJUK, vab, giltig, Ogiltig frånvaro (any case) and the code LÄKARE (stored as LAKARE)."""
    p = world.people
    file = write(tmp_path / "närvaro.csv", HEADER,
                 f"{p[0]};Arbetsträning café;{DAY};närvarande;;;",
                 f"{p[1]};Arbetsträning café;{DAY};Delvis;2,5;;",
                 f"{p[2]};Arbetsträning café;{DAY};SJUK;;;",
                 f"{p[3]};Arbetsträning café;{DAY};vab;;;",
                 f"{p[4]};Arbetsträning café;{DAY};giltig;;LÄKARE;",
                 f"{p[5]};Arbetsträning café;{DAY};Ogiltig frånvaro;;;",
                 f"{p[6]};Arbetsträning café;{DAY};Excused;;läkare;", encoding="cp1252")
    assert import_attendance(world, file) == 0, capsys.readouterr().err
    got = dict((r[0], r[1:]) for r in rows(world, "SELECT participant_id, status, hours, reason_code FROM attendance"))
    assert got == {p[0]: ("present", 6.0, None), p[1]: ("partial", 2.5, None), p[2]: ("sick", 0.0, "SJUK"),
                   p[3]: ("vab", 0.0, "VAB"), p[4]: ("excused", 0.0, "LAKARE"),
                   p[5]: ("unexcused", 0.0, "OGILTIG"), p[6]: ("excused", 0.0, "LAKARE")}, got


@pytest.mark.parametrize("lang, status_words, code_words", [
    ("sv", "närvarande, delvis, sjuk, vab, giltig eller ogiltig", "LAKARE, MYNDIGHET, INTERVJU, GILTIG"),
    ("en", "present, partial, sick, vab, excused or unexcused", "LAKARE, MYNDIGHET, INTERVJU, GILTIG")])
def test_a_refused_status_or_code_lists_the_valid_ones_in_the_language(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture, lang: str, status_words: str,
        code_words: str) -> None:
    p = world.people
    file = write(tmp_path / "närvaro.csv", HEADER,
                 f"{p[0]};Arbetsträning café;{DAY};blaha;;;",
                 f"{p[1]};Arbetsträning café;{DAY};giltig;;TANDLÄKARE;")
    assert import_attendance(world, file, "--lang", lang) == 2
    err = capsys.readouterr().err
    assert status_words in err and code_words in err and "TANDLÄKARE" in err, err
    assert rows(world, "SELECT count(*) FROM attendance") == [(0,)]


def test_a_quoted_note_with_a_line_break_is_read_as_one_line(world: World, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture) -> None:
    """Alt+Enter in an Excel cell: the note keeps its words, the break becomes a space (a mark's note is one line)."""
    p = world.people
    file = write(tmp_path / "närvaro.csv", HEADER,
                 f'{p[0]};Arbetsträning café;{DAY};delvis;2,5;;"kom sent; bussen\r\nstod still"',
                 f"{p[1]};Arbetsträning café;{DAY};närvarande;;;")
    assert import_attendance(world, file) == 0, capsys.readouterr().err
    assert rows(world, "SELECT participant_id, note FROM attendance ORDER BY note DESC") == [
        (p[0], "kom sent; bussen stod still"), (p[1], "")]


def test_an_unclosed_quote_is_named_with_its_line_and_nothing_is_imported(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The quote on line 2 swallows lines 3–4: said as an unclosed quote on line 2, not as a missing gender."""
    p = world.people
    file = write(tmp_path / "närvaro.csv", HEADER,
                 f'{p[0]};Arbetsträning café;{DAY};närvarande;;;"glömde citattecknet',
                 f"{p[1]};Arbetsträning café;{DAY};närvarande;;;",
                 f"{p[2]};Arbetsträning café;{DAY};närvarande;;;")
    assert import_attendance(world, file) == 2
    err = capsys.readouterr().err
    assert "rad 2" in err and "citattecken" in err and "stängs aldrig" in err, err
    assert rows(world, "SELECT count(*) FROM attendance") == [(0,)]
    last = write(tmp_path / "sist.csv", HEADER, f"{p[1]};Arbetsträning café;{DAY};närvarande;;;",
                 f'{p[0]};Arbetsträning café;{DAY};närvarande;;;"glömde citattecknet')  # open at the file's end
    assert import_attendance(world, last) == 2
    err = capsys.readouterr().err
    assert "rad 3" in err and "stängs aldrig" in err, err
    assert rows(world, "SELECT count(*) FROM attendance") == [(0,)]
    people = write(tmp_path / "anvisningar.csv", "personnummer;förnamn;efternamn;kön;anvisningsdatum;handläggare;veckoplan",
                   '19600415-1012;"Anna;Svensson;K;2026-11-10;omar.farah;8',
                   "19751205-3331;Per-Åke;Lindén;M;2026-11-05;omar.farah;8")
    before = rows(world, "SELECT count(*) FROM participant")
    assert cli.main(["import", "participants", str(people), "--db", str(world.path), "--user", "omar.farah",
                     "--pin-stdin", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "never closed" in err and "gender" not in err, err
    assert rows(world, "SELECT count(*) FROM participant") == before


def test_a_too_long_cell_names_its_column(world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    file = write(tmp_path / "närvaro.csv", HEADER, f"{world.people[0]};Arbetsträning café;{DAY};närvarande;;;{'x' * 600}")
    assert import_attendance(world, file) == 2
    err = capsys.readouterr().err
    assert "rad 2: anteckning: texten är för lång (högst 500 tecken)" in err, err


def test_csv_to_standard_output_carries_the_bom_in_the_swedish_dialect_and_jsonl_never(world: World) -> None:
    """`arena export … > x.csv` (a real process, real pipe, a C locale): the bytes start with the BOM under
    excel-sv, as --out writes them; not under rfc4180; never in JSONL. The report's CSV likewise. The other
    dialects and the report run in this process (tests/inprocess.py: standard output as bytes too)."""
    import os
    import subprocess
    import sys

    from .conftest import PIN
    from .inprocess import arena

    export = ("export", "--what", "activities", "--user", "setup")
    done = subprocess.run([sys.executable, "-m", "tui.cli", *export, "--dialect", "excel-sv", "--db", str(world.path),
                           "--pin-stdin"], input=(PIN + "\n").encode(), capture_output=True, timeout=120,
                          env={**os.environ, "LANG": "C", "LC_ALL": "C"})
    assert done.returncode == 0, done.stderr.decode()
    sv = done.stdout
    assert sv.startswith(b"\xef\xbb\xbf") and b";" in sv.splitlines()[0] and "Arbetsträning café".encode() in sv

    def run(*args: str) -> str:
        ran = arena(*args, "--db", str(world.path), "--pin-stdin", stdin=PIN + "\n")
        assert ran.returncode == 0, ran.stderr
        return ran.stdout  # the bytes written, read as UTF-8: a BOM is "\ufeff"

    assert run(*export).startswith("\ufeff")  # Swedish is the default language: excel-sv
    assert not run(*export, "--dialect", "rfc4180").startswith("\ufeff")
    assert run(*export, "--format", "jsonl").startswith("{")
    report = run("report", "narvaro", "--month", "2026-11", "--format", "csv", "--user", "omar.farah",
                 "--participant", world.people[0], "--reason", "kontroll inför utbetalningen")
    assert report.startswith("\ufeff"), report[:40]


@pytest.mark.parametrize("lang, said", [("sv", "1 av 1 person ligger utanför"), ("en", "1 of 1 person is outside")])
def test_a_count_of_one_is_said_in_the_singular(world: World, capsys: pytest.CaptureFixture, lang: str,
                                                 said: str) -> None:
    """`arena report` for one person outside one's caseload, without a reason: "1 av 1 person", not "personer"."""
    assert cli.main(["report", "narvaro", "--month", "2026-11", "--participant", world.people[0], "--format", "csv",
                     "--db", str(world.path), "--user", "omar.farah", "--pin-stdin", "--lang", lang]) == 2
    err = capsys.readouterr().err
    assert said in err, err


@pytest.mark.parametrize("one", [1, 1.0, "1"])
def test_the_catalogs_plural_forms_for_one_and_many(one: object) -> None:
    """The case card's last four weeks and the sync's counts: one for 1 (however the caller wrote it), else many."""
    from tui.text import text_in

    card = {"attended": 3.5, "planned": 70.0, "rate": "5 %"}
    assert text_in("sv", "card.last4", unexcused=one, **card).endswith("1 ogiltigt frånvarotillfälle")
    assert text_in("en", "card.last4", unexcused=one, **card).endswith("1 unexcused absence")
    assert text_in("sv", "card.last4", unexcused=2, **card).endswith("2 ogiltiga frånvarotillfällen")
    assert text_in("en", "card.last4", unexcused=0, **card).endswith("0 unexcused absences")
    assert text_in("sv", "sync.status_waiting", n=one) == "1 rad väntar på data från en annan arbetsstation."
    assert text_in("en", "tamper.broken", n=one, who="x", at="y").startswith(
        "The access log has been tampered with: 1 event does not match its hash chain")


def export(world: World, tmp_path: Path, what: str, lang: str, fmt: str = "csv") -> bytes:
    out = tmp_path / f"{what}-{lang}.{fmt}"
    assert cli.main(["export", "--what", what, "--format", fmt, "--reason", "kontroll av listan", "--db",
                     str(world.path), "--user", "setup", "--pin-stdin", "--out", str(out), "--lang", lang]) == 0
    return out.read_bytes()


def test_export_headers_and_status_words_follow_the_language_and_read_back(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """--lang sv: förnamn, anvisningsdatum, handläggare, status aktiv; --lang en: first name, referral date,
    caseworker, active; JSONL keeps its keys (a machine format). The Swedish attendance export is read back by
    `arena import attendance` as it is: every row unchanged."""
    import csv
    import json

    from store import attendance

    sv = list(csv.reader(export(world, tmp_path, "participants", "sv").decode("utf-8-sig").splitlines(), delimiter=";"))
    assert {"förnamn", "efternamn", "kön", "anvisningsdatum", "handläggare"} <= set(sv[0]), sv[0]
    assert not {"first_name", "referral_date", "caseworker_login"} & set(sv[0])
    assert {r[sv[0].index("status")] for r in sv[1:]} == {"aktiv"}
    en = list(csv.reader(export(world, tmp_path, "participants", "en").decode("utf-8-sig").splitlines()))
    assert {"first name", "last name", "gender", "referral date", "caseworker"} <= set(en[0]), en[0]
    assert {r[en[0].index("status")] for r in en[1:]} == {"active"}
    line = json.loads(export(world, tmp_path, "participants", "sv", "jsonl").splitlines()[0])
    assert "first_name" in line and line["status"] == "active"

    attendance.mark(world.db, "lena.leder", world.people[0], world.activity_id, DAY, "partial", hours=2.5,
                    note="kom sent")
    attendance.mark(world.db, "lena.leder", world.people[1], world.activity_id, DAY, "excused", reason="LAKARE")
    marks = list(csv.reader(export(world, tmp_path, "attendance", "sv").decode("utf-8-sig").splitlines(), delimiter=";"))
    assert marks[0][:11] == ["id", "deltagar-id", "personnummer", "reservnummer", "aktivitet", "pass", "datum",
                             "status", "timmar", "orsak", "anteckning"], marks[0]
    assert sorted(r[7] for r in marks[1:]) == ["delvis", "giltig frånvaro"]
    capsys.readouterr()
    assert import_attendance(world, tmp_path / "attendance-sv.csv") == 0, capsys.readouterr().err
    assert "0 rader importerade, 2 oförändrade, 0 avvisade" in capsys.readouterr().out


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_missing_column_is_named_as_the_files_language_names_it(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture, lang: str) -> None:
    swedish = write(tmp_path / "sv.csv", "personnummer;förnamn;efternamn;handläggare", "19600415-1012;Anna;Svensson;omar.farah")
    english = write(tmp_path / "en.csv", "personnummer,first_name,last_name,caseworker", "19600415-1012,Anna,Svensson,omar.farah")
    for file, missing in ((swedish, "saknar kön, anvisningsdatum" if lang == "sv" else "lacks kön, anvisningsdatum"),
                          (english, "saknar gender, referral date" if lang == "sv" else "lacks gender, referral date")):
        assert cli.main(["import", "participants", str(file), "--db", str(world.path), "--user", "omar.farah",
                         "--pin-stdin", "--lang", lang]) == 2
        err = capsys.readouterr().err
        assert missing in err, err


@pytest.mark.parametrize("lang, words", [("sv", ("inget giltigt zip-arkiv", "filen eller mappen finns inte")),
                                         ("en", ("not a valid zip archive", "no such file or folder"))])
def test_no_system_english_in_a_message(world: World, tmp_path: Path, capsys: pytest.CaptureFixture, lang: str,
                                        words: tuple[str, str]) -> None:
    """A damaged .xlsx and a folder that does not exist: catalog words, not "File is not a zip file" or
    "No such file or directory"."""
    garbage = tmp_path / "lista.xlsx"
    garbage.write_bytes(b"PK\x03\x04" + b"not really a zip" * 20)
    assert import_attendance(world, garbage, "--lang", lang) == 2
    err = capsys.readouterr().err
    assert words[0] in err and "zip file" not in err, err
    assert cli.main(["export", "--what", "activities", "--db", str(world.path), "--user", "setup", "--pin-stdin",
                     "--out", str(tmp_path / "finns-inte" / "x.csv"), "--lang", lang]) == 2
    err = capsys.readouterr().err
    assert words[1] in err and "No such file" not in err, err


@pytest.mark.parametrize("lang, labels", [
    ("sv", ("Läkar- eller tandläkarbesök", "Ogiltig frånvaro", "Myndighetsbesök", "Ogiltig frånvaro (antal pass)")),
    ("en", ("Doctor or dentist", "Unexcused absence", "Appointment with an authority", "Unexcused absences (sessions)"))])
def test_the_pdf_shows_every_absence_label_whole(world: World, tmp_path: Path, lang: str,
                                                 labels: tuple[str, ...]) -> None:
    """`arena report narvaro --format pdf`: the absences' labels (and the week table's headers) wrap in their
    cells instead of being cut ("Läkar- eller tan…", "Unexcused a…")."""
    from pypdf import PdfReader

    from store import attendance

    for day, status, reason in ((DAY, "excused", "LAKARE"), (DAY - dt.timedelta(days=3), "unexcused", None),
                                (DAY - dt.timedelta(days=4), "excused", "MYNDIGHET")):
        attendance.mark(world.db, "lena.leder", world.people[0], world.activity_id, day, status, reason=reason)
    out = tmp_path / "rapport.pdf"
    assert cli.main(["report", "narvaro", "--month", "2026-11", "--participant", world.people[0], "--format", "pdf",
                     "--db", str(world.path), "--user", "omar.farah", "--pin-stdin", "--out", str(out), "--reason",
                     "kontroll inför utbetalningen", "--lang", lang]) == 0
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(out).pages).split())
    assert "…" not in text, text
    for label in labels:
        assert label in text, (label, text)


@pytest.mark.parametrize("lang, said", [("sv", "0 rader importerade, 0 oförändrade, 1\u00a0234 avvisade."),
                                        ("en", "0 rows imported, 0 unchanged, 1,234 rejected.")])
def test_a_big_count_is_written_with_its_thousands(world: World, tmp_path: Path, capsys: pytest.CaptureFixture,
                                                   lang: str, said: str) -> None:
    """`arena import` of 1 234 rows: "1 234" (a no-break space) in Swedish, "1,234" in English; a year or a
    line number in a sentence is not a count and keeps its digits ("rad 1235")."""
    file = write(tmp_path / "närvaro.csv", HEADER,
                 *(f"nobody-{n};Arbetsträning café;{DAY};närvarande;;;" for n in range(1234)))
    assert import_attendance(world, file, "--lang", lang) == 2
    captured = capsys.readouterr()
    assert captured.out.strip() == said, captured.out
    assert ("rad 1235:" if lang == "sv" else "line 1235:") in captured.err


@pytest.mark.parametrize("lang, said", [
    ("sv", "Frånvarokoden ”LÄKARE” hör inte till status ”Sjuk”; giltiga koder: SJUK."),
    ("en", "The absence code “LÄKARE” does not belong to the status “Sick”; valid codes: SJUK.")])
def test_a_code_of_another_status_names_the_status_and_its_codes(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture, lang: str, said: str) -> None:
    p = world.people
    file = write(tmp_path / "närvaro.csv", HEADER, f"{p[0]};Arbetsträning café;{DAY};sjuk;;LÄKARE;")
    assert import_attendance(world, file, "--lang", lang) == 2
    err = capsys.readouterr().err
    assert said in err, err
    assert rows(world, "SELECT count(*) FROM attendance") == [(0,)]


def test_roles_events_and_outcomes_are_said_in_the_exports_language(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The tester read `leader`, `search`, `cancelled` in Swedish exports and `sjukskrivning` in an English
    one: the role, the access log's event, the exit's outcome and every header are in the reader's language."""
    import csv

    from store import cases, milestones

    cases.search(world.db, "Andersson", login="omar.farah")
    milestones.exit_participant(world.db, "omar.farah", world.people[1], "sjukskrivning", DAY)

    def table(what: str, lang: str) -> list[list[str]]:
        text = export(world, tmp_path, what, lang).decode("utf-8-sig")
        return list(csv.reader(text.splitlines(), delimiter=";" if lang == "sv" else ","))

    roles = table("caseworkers", "sv")
    assert {r[roles[0].index("roll")] for r in roles[1:]} == {"administratör", "handläggare", "aktivitetsledare"}
    events = table("audit", "sv")
    said = {r[events[0].index("händelse")] for r in events[1:]}
    assert "export" in said and not {"search", "view", "report", "refused"} & said, said
    assert "inställt" in table("attendance", "sv")[0] and "cancelled" in table("attendance", "en")[0]
    people = table("participants", "en")
    assert {r[people[0].index("outcome")] for r in people[1:]} == {"", "Sick leave"}
    people = table("participants", "sv")
    assert {r[people[0].index("utfall")] for r in people[1:]} == {"", "Sjukskrivning"}


def test_a_pdf_for_more_people_than_it_can_hold_is_refused_in_one_line(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDF has a page per person: above the cap it is refused (exit 2, nothing written), saying what to
    choose instead; the numbers are written as the language writes them."""
    from store import report

    monkeypatch.setattr(report, "PDF_MAX_PEOPLE", 2)
    out = tmp_path / "rapport.pdf"
    capsys.readouterr()
    assert cli.main(["report", "narvaro", "--month", "2026-11", "--format", "pdf", "--user", "setup", "--reason",
                     "Uppföljning av programmet", "--db", str(world.path), "--pin-stdin", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "25 deltagare är för många för en PDF (högst 2): välj XLSX eller CSV." in err, err
    assert not out.exists() and not list(tmp_path.glob("*.pdf*"))
