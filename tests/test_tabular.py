"""The one table reader and the one CSV writer: what Excel on a Swedish PC writes is read, what we write
opens there, a file that cannot be read is named with its true reason, and a formula never survives."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path

import pytest

from store import tabular
from store.i18n import ArenaError
from tui.text import set_language

HEADER = ["personnummer", "förnamn", "efternamn", "timmar"]


@pytest.fixture(autouse=True)
def _swedish():
    set_language("sv")
    yield
    set_language("sv")


def rows_of(path: Path) -> list[tuple[int, dict[str, str], tuple[str, ...]]]:
    with tabular.read(path) as table:
        return [(r.line, r.cells, r.extra) for r in table.rows()]


@pytest.mark.parametrize("encoding,newline,delimiter", [
    ("utf-8-sig", "\r\n", ";"),  # Excel-sv "CSV UTF-8"
    ("cp1252", "\r\n", ";"),  # Excel-sv "CSV (semikolonavgränsad)"
    ("utf-8", "\n", ","),
    ("utf-8", "\r\n", "\t"),
    ("utf-16", "\r\n", "\t"),  # Excel's "Unicode text"
])
def test_reads_what_excel_writes(tmp_path: Path, encoding: str, newline: str, delimiter: str) -> None:
    d = delimiter
    text = newline.join([d.join(HEADER), d.join(["19850612-1238", "Åsa", "Öberg", '"3,5"']),
                         d.join(["", "", "", ""]),  # Excel writes empty formatted rows
                         d.join(["900101-0017", '"Ann ""Lill"""', '"Ek' + newline + 'Ström"', "4"])]) + newline
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode(encoding))
    with tabular.read(path) as table:
        assert table.header == HEADER and table.delimiter == delimiter
        got = [(r.line, r.cells) for r in table.rows()]
    assert got == [(2, {"personnummer": "19850612-1238", "förnamn": "Åsa", "efternamn": "Öberg", "timmar": "3,5"}),
                   (4, {"personnummer": "900101-0017", "förnamn": 'Ann "Lill"', "efternamn": "Ek" + newline + "Ström",
                        "timmar": "4"})]
    assert tabular.decimal(got[0][1]["timmar"]) == 3.5


def test_row_numbers_are_excels_after_a_multiline_field(tmp_path: Path) -> None:
    """A note with line breaks is one row in Excel: the rows after it keep the numbers Excel shows (a blank
    row above the header counts, as it does there)."""
    path = tmp_path / "in.csv"
    path.write_text('a;b\n1;"x\ny\nz"\n2;w\n\n3;v\n', encoding="utf-8")
    assert [line for line, _, _ in rows_of(path)] == [2, 3, 5]
    path.write_text(';\na;b\n1;"x\r\ny"\n2;w\n', encoding="utf-8")
    assert [line for line, _, _ in rows_of(path)] == [3, 4]


def test_extra_nonempty_cells_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("personnummer,timmar\n198506121238,3,5\n", encoding="utf-8")
    [(line, cells, extra)] = rows_of(path)
    assert (line, cells, extra) == (2, {"personnummer": "198506121238", "timmar": "3"}, ("5",))


def test_a_very_long_field_is_read(tmp_path: Path) -> None:
    note = "å" * 300_000
    path = tmp_path / "in.csv"
    path.write_text(f'a;note\n1;"{note}"\n', encoding="utf-8")
    [(_, cells, _)] = rows_of(path)
    assert cells["note"] == note


def test_a_runaway_quote_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('a;b\n1;2\n3;"never closed' + "x" * (tabular.MAX_FIELD + 10) + "\n", encoding="utf-8")
    with pytest.raises(ArenaError) as caught:
        rows_of(path)
    assert caught.value.key == "tab.field_too_long" and "rad 3" in str(caught.value)


def test_xlsx_is_read_by_content_with_typed_cells(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Personnummer", "Anvisningsdatum", "Timmar", None])
    ws.append([198506121238, dt.datetime(2026, 11, 2), 3.5, None])
    ws.append([None, None, None, None])
    ws.append(["900101-0017", dt.date(2026, 11, 3), 8.0, None])
    path = tmp_path / "anvisningar.csv"  # wrong extension: the content decides
    book.save(path)
    with tabular.read(path) as table:
        assert table.kind == "xlsx" and table.header == ["Personnummer", "Anvisningsdatum", "Timmar"]
        got = [(r.line, r.cells) for r in table.rows()]
    assert got == [(2, {"Personnummer": "198506121238", "Anvisningsdatum": "2026-11-02", "Timmar": "3.5"}),
                   (4, {"Personnummer": "900101-0017", "Anvisningsdatum": "2026-11-03", "Timmar": "8"})]


@pytest.mark.parametrize("make,key", [
    (lambda p: None, "tab.missing"),
    (lambda p: p.mkdir(), "tab.directory"),
    (lambda p: p.write_bytes(b""), "tab.empty"),
    (lambda p: p.write_bytes(b"\xef\xbb\xbf\r\n\r\n"), "tab.empty"),
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), "tab.xls"),
    (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "tab.xlsx_broken"),
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "tab.binary"),
    (lambda p: p.write_bytes(b"a;b\r\n1;\x81\x8d\r\n"), "tab.encoding"),
])
def test_a_file_that_cannot_be_read_is_named_with_the_true_reason(tmp_path: Path, make, key: str) -> None:  # noqa: ANN001
    path = tmp_path / "in.csv"
    make(path)
    with pytest.raises(ArenaError) as caught:
        rows_of(path)
    assert caught.value.key == key
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_permission_denied_is_said(tmp_path: Path) -> None:
    """A file its reader may not read (mode 000), and one in a folder its reader may not enter (another's
    home): both are said as no permission, never a traceback. Root reads everything, so as root (the CI)
    the files are read by a child process that has given up root (as `nobody`, after its imports: Python
    itself lives under /root here), the way a caseworker's login meets another's file."""
    import shutil
    import subprocess
    import sys
    import tempfile

    outer = Path(tempfile.mkdtemp(prefix="arena-test-"))  # under /tmp: a folder anyone may enter
    try:
        outer.chmod(0o755)
        closed, shut = outer / "closed.csv", outer / "home" / "in.csv"
        shut.parent.mkdir()
        for path in (closed, shut):
            path.write_text("a\n1\n")
        closed.chmod(0)
        shut.parent.chmod(0o700)
        readable = tmp_path / "readable.csv"
        readable.write_text("a\n1\n")
        if os.geteuid() != 0:
            for path in (closed, shut):
                with pytest.raises(ArenaError) as caught:
                    rows_of(path)
                assert caught.value.key == "tab.permission", path
            return
        probe = ("import os, sys\nfrom store import tabular\nfrom store.i18n import ArenaError\n"
                 "with tabular.read(sys.argv[1]) as table:\n    list(table.rows())\n"  # every import done as root
                 "os.setgid(65534)\nos.setuid(65534)\n"
                 "for path in sys.argv[2:]:\n    try:\n        tabular.read(path).__enter__()\n"
                 "    except ArenaError as e:\n        print(e.key)\n")
        done = subprocess.run([sys.executable, "-c", probe, str(readable), str(closed), str(shut)],
                              capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent, timeout=60)
        assert done.stdout.split() == ["tab.permission", "tab.permission"], (done.stdout, done.stderr)
    finally:
        shut.parent.chmod(0o700)
        shutil.rmtree(outer, ignore_errors=True)


def test_columns_by_alias_and_a_header_that_lacks_one() -> None:
    spec = {"first_name": ("förnamn",), "last_name": ("efternamn",), "gender": ("kön",)}
    assert tabular.columns(["Förnamn", " EFTERNAMN ", "x"], spec, ("first_name", "last_name")) == {
        "first_name": "Förnamn", "last_name": " EFTERNAMN "}
    with pytest.raises(ArenaError) as caught:
        tabular.columns(["Förnamn", "x"], spec, ("first_name", "last_name"), "in.csv")
    # named as the file's (Swedish) header would name it
    assert "saknar efternamn" in str(caught.value) and "Förnamn, x" in str(caught.value)


@pytest.mark.parametrize("text,value", [("3,5", 3.5), ("3.5", 3.5), ("1 234,5", 1234.5), ("1\u00a0234,5", 1234.5),
                                        ("1.234,5", 1234.5), (" 8 ", 8.0)])
def test_decimal(text: str, value: float) -> None:
    assert tabular.decimal(text) == value


def test_decimal_refuses_words() -> None:
    with pytest.raises(ArenaError):
        tabular.decimal("tre")


# ------------------------------------------------------------------------------------------- writing

DANGEROUS = ["=HYPERLINK(\"http://x\";\"klicka\")", "+46701234567", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1",
             "  =1+1", "＝1+1"]


def test_swedish_dialect_is_what_excel_sv_expects(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with tabular.open_csv(path, tabular.dialect("excel-sv")) as out:
        w = tabular.writer(out, tabular.dialect("excel-sv"))
        w.header(["namn", "timmar", "datum"])
        w.row(["Åsa Öberg", 3.5, dt.date(2026, 11, 2)])
        w.row(["Bo", 8.0, None])
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig") == "namn;timmar;datum\r\nÅsa Öberg;3,5;2026-11-02\r\nBo;8;\r\n"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_english_and_language_default() -> None:
    assert tabular.to_string(["h", "x"], [[3.5, "a,b"]], tabular.dialect("excel-en")) == 'h,x\r\n3.5,"a,b"\r\n'
    set_language("en")
    assert tabular.dialect().name == "excel-en"
    set_language("sv")
    assert tabular.dialect().name == "excel-sv"
    with pytest.raises(ArenaError):
        tabular.dialect("excel-fr")


@pytest.mark.parametrize("name", ["excel-sv", "excel-en", "rfc4180"])
def test_no_formula_survives_a_round_trip(name: str) -> None:
    """Every dangerous text comes back from a CSV parser starting with an apostrophe, so no spreadsheet
    evaluates it; the text itself is intact after the apostrophe; our own negative numbers stay numbers."""
    d = tabular.dialect(name)
    text = tabular.to_string(["note", "n"], [[cell, -1.5] for cell in DANGEROUS], d)
    parsed = list(csv.reader(io.StringIO(text), delimiter=d.delimiter))[1:]
    for cell, (written, number) in zip(DANGEROUS, parsed):
        assert written == "'" + cell
        assert written[0] not in "=+-@\t\r"
        assert number == ("-1,5" if d.decimal == "," else "-1.5")
    assert len(parsed) == len(DANGEROUS)


def test_harmless_text_is_untouched() -> None:
    assert [tabular.neutralise(s) for s in ["Åsa", "a=b", "3-2", "", "'quoted"]] == ["Åsa", "a=b", "3-2", "", "'quoted"]


# ------------------------------------------------------------------------------------------- exports

def test_export_csv_swedish_excel_and_no_formula_survives(world, tmp_path: Path) -> None:  # noqa: ANN001
    """`arena export --format csv` under Swedish: `;`, decimal comma, BOM, CRLF, 0600; a note that is a
    formula opens as text (read back with the csv module and with openpyxl after a round trip)."""
    from store import attendance, cases
    from tui import cli

    from .conftest import TODAY

    cases.update(world.db, "setup", world.people[0], first_name="=HYPERLINK(\"http://evil\";\"x\")")
    attendance.mark(world.db, "omar.farah", world.people[1], world.activity_id, TODAY, "partial", hours=3.5,
                    note="@SUM(1+1)*cmd|' /C calc'!A0")
    out = tmp_path / "närvaro.csv"
    assert cli.main(["export", "--what", "attendance", "--reason", "kontroll av exporten", "--db", str(world.path), "--user", "setup", "--pin-stdin",
                     "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and oct(out.stat().st_mode & 0o777) == "0o600"
    [row] = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert row["timmar"] == "3,5" and row["anteckning"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    people = tmp_path / "p.csv"
    assert cli.main(["export", "--what", "participants", "--reason", "kontroll av exporten", "--db", str(world.path), "--user", "setup", "--pin-stdin",
                     "--out", str(people)]) == 0
    names = [r["förnamn"] for r in csv.DictReader(people.read_text(encoding="utf-8-sig").splitlines(),
                                                     delimiter=";")]
    assert "'=HYPERLINK(\"http://evil\";\"x\")" in names and not any(n.startswith("=") for n in names)
    # What a spreadsheet would do with it: put the cells into a sheet the way Excel does (a text starting
    # with "=" becomes a formula in openpyxl, as in Excel) and see that none of them is one.
    import openpyxl

    book = openpyxl.Workbook()
    for r in csv.reader(people.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"):
        book.active.append(r)
    assert not [c.value for row in book.active.iter_rows() for c in row if c.data_type == "f"]


def test_export_english_dialect_and_jsonl_has_no_bom(world, tmp_path: Path) -> None:  # noqa: ANN001
    import json

    from tui import cli

    out = tmp_path / "p.jsonl"
    assert cli.main(["export", "--what", "participants", "--reason", "kontroll av exporten", "--format", "jsonl", "--db", str(world.path),
                     "--user", "setup", "--pin-stdin", "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert all(json.loads(line)["id"] for line in raw.decode("utf-8").splitlines())
    en = tmp_path / "p.csv"
    assert cli.main(["export", "--what", "activities", "--lang", "en", "--db", str(world.path), "--user", "setup", "--pin-stdin",
                     "--out", str(en)]) == 0
    header = en.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("id,name,") and ";" not in header
    assert cli.main(["export", "--what", "activities", "--dialect", "excel-sv", "--lang", "en",
                     "--db", str(world.path), "--user", "setup", "--pin-stdin", "--out", str(en), "--force"]) == 0
    assert en.read_text(encoding="utf-8-sig").startswith("id;name;")


def test_export_of_a_plain_database_writes_the_same_bytes(world, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A database plain on purpose is exported through the standard library's SQLite (one sorted query;
    dbfile.plain_reader): every table, in both dialects, byte for byte what the encrypted original writes
    through SQLCipher (the marks day by day), and the store keeps working on it afterwards."""
    import sqlite3

    from store import attendance, cases, db, dbfile, export

    from .conftest import TODAY

    cases.update(world.db, "setup", world.people[0], first_name="=HYPERLINK(\"http://evil\";\"x\")")
    attendance.mark(world.db, "omar.farah", world.people[1], world.activity_id, TODAY, "partial", hours=2.5,
                    note="-1; \"quoted\"")
    attendance.mark(world.db, "omar.farah", world.people[2], world.activity_id, TODAY - dt.timedelta(days=1),
                    "partial", hours=3.5, note="@SUM(1+1)")
    plain = tmp_path / "plain.db"
    con = dbfile.connect(world.path, isolation_level=None)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    con.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
    con.execute("SELECT sqlcipher_export('plain')")
    con.execute(f"PRAGMA plain.user_version = {version}")
    con.execute("DETACH DATABASE plain")
    con.close()
    sqlite3.connect(plain, isolation_level=None).execute("PRAGMA journal_mode=WAL").close()
    dbfile.mark_plain(plain)
    opened = []
    monkeypatch.setattr(dbfile, "plain_reader", lambda path, real=dbfile.plain_reader: opened.append(path) or real(path))
    copy = db.open(plain)
    try:
        assert not copy.encrypted and world.db.encrypted
        for what in ("participants", "enrolments", "attendance", "activities", "caseworkers", "milestones", "notes"):
            for name, dialect in tabular.DIALECTS.items():
                ours = export.to_string(copy, "setup", what, dialect=dialect, reason="test av planen")
                assert ours == export.to_string(world.db, "setup", what, dialect=dialect, reason="test av planen"), (what, name)
        assert len(opened) == 7 * len(tabular.DIALECTS)  # every export of the plain copy took that way
        assert "'=HYPERLINK" in export.to_string(copy, "setup", "participants", reason="test av planen")
        marks = export.to_string(copy, "setup", "attendance", reason="test av planen")
        assert "2,5" in marks and '"\'-1; ""quoted"""' in marks and "'@SUM(1+1)" in marks
        attendance.mark(copy, "omar.farah", world.people[3], world.activity_id, TODAY, "present")  # still writes
        assert export.to_string(copy, "setup", "attendance", reason="test av planen").count("\r\n") == marks.count("\r\n") + 1
    finally:
        copy.dispose()


def test_cli_dialects_match_the_store() -> None:
    from tui import cli

    assert cli.CSV_DIALECTS == tuple(tabular.DIALECTS)


def test_sqlite_rows_write_what_row_writes() -> None:
    """The export's fast path (SQLite's values, a cell formatted only when it must be) writes byte for
    byte what the cell-by-cell writer does: formulas neutralised (also after spaces and on the second
    sight of a value), decimals with the dialect's mark, whole floats without one, None empty."""
    values = [(1, None, 6.0, "=SUM(A1)", "Anna", 3.5, 2.345, " -1", "", 0.0),
              (2, "x", 6.0, "  @cmd", "\tx", 3.5, 1e20, "-", "＝1", -0.25),
              (1, 1.0, 2, "+46", "ok", 3.5, 2.345, "=SUM(A1)", None, True)]
    for name in tabular.DIALECTS:
        slow, fast = io.StringIO(), io.StringIO()
        one = tabular.writer(slow, tabular.DIALECTS[name])
        for r in values:
            one.row(r)
        many = tabular.writer(fast, tabular.DIALECTS[name])
        many.sqlite_rows(iter(values))
        assert fast.getvalue() == slow.getvalue() and many.count == one.count == 3
        assert "'=SUM" in fast.getvalue() and "\n=" not in fast.getvalue()
