"""Tables in and out: the one reader for every CSV/XLSX file an office produces, the one CSV writer for people.

Reading (`read(path)`): what Excel on a Swedish PC writes is read – `;` or `,` (or tab) sniffed from the
header line, UTF-8 with or without a byte-order mark, UTF-16 ("Unicode text"), Windows-1252, CRLF, quoted
fields with line breaks, very long fields, and XLSX (found by its content, not its name; read with
openpyxl in read-only mode, so a big sheet is streamed). Every row comes with its row number as Excel
shows it (a CSV's cell with line breaks is one row), so an importer can refuse a row by the number the
user finds in Excel. A file that cannot be read raises one
`ArenaError` that names the true reason (missing, a directory, no permission, empty, old .xls, damaged
xlsx, not text) – never a traceback, never a wrong "header" message.

Writing (`writer(out, dialect)`): CSV that opens in columns where it is double-clicked. The Swedish
dialect is what Excel with Swedish regional settings expects (`;`, decimal comma, UTF-8 with BOM, CRLF);
the English one uses `,` and a decimal point. Text cells that a spreadsheet would run as a formula
(starting with = + - @ tab or CR, also after leading spaces) are neutralised as OWASP recommends: a
leading apostrophe, and the cell quoted. Numbers the program itself formats are never touched.

This module must not import textual or rich, and it never writes to the database.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from store.i18n import ArenaError, Key, language, os_reason

# Long free-text notes pasted into a cell: Excel itself stops at 32 767 characters a cell, a generous
# limit above that still refuses a runaway unquoted file instead of swallowing it whole.
MAX_FIELD = 4 * 1024 * 1024
csv.field_size_limit(MAX_FIELD)

_SAMPLE = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls (and password-protected .xlsx)
_DELIMITERS = {";": "semicolon", ",": "comma", "\t": "tab"}  # what a CSV may be split with, and its name


@dataclass(frozen=True)
class Row:
    """One data row: its row number as Excel shows it (1 = the header row; a quoted cell with line breaks
    keeps its row one row, however many lines of text it takes) and its cells by header name.

    `extra` holds non-empty cells beyond the header (an unquoted `3,5` in a comma file, for instance):
    an importer refuses such a row rather than guess which column was meant."""

    line: int
    cells: dict[str, str]
    extra: tuple[str, ...] = ()

    def get(self, key: str, default: str = "") -> str:
        return self.cells.get(key, default)


class Table:
    """An open table: `header` (stripped, as written) and `rows()` (a generator; read once)."""

    def __init__(self, path: Path, kind: str, header: list[str], rows: Iterator[Row], closer) -> None:  # noqa: ANN001
        self.path = path
        self.kind = kind  # "csv" or "xlsx"
        self.header = header
        self._rows = rows
        self._closer = closer
        self.encoding = ""
        self.delimiter = ""

    def rows(self) -> Iterator[Row]:
        return self._rows

    def close(self) -> None:
        self._closer()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read(path: str | os.PathLike[str], *, sheet: str | None = None) -> Table:
    """Open a CSV or XLSX file; raise ArenaError with the true reason if it cannot be read."""
    file = Path(path)
    name = str(path)
    try:
        if not file.exists():
            raise ArenaError("tab.missing", path=name)
        if file.is_dir():
            raise ArenaError("tab.directory", path=name)
    except PermissionError:  # in a folder this login may not enter (another's home)
        raise ArenaError("tab.permission", path=name) from None
    try:
        with open(file, "rb") as probe:
            head = probe.read(_SAMPLE)
    except PermissionError:
        raise ArenaError("tab.permission", path=name) from None
    except OSError as error:
        raise ArenaError("tab.unreadable", path=name, detail=os_reason(error)) from None
    if not head.strip(b"\xef\xbb\xbf\xff\xfe \t\r\n"):
        raise ArenaError("tab.empty", path=name)
    if head.startswith(_ZIP_MAGIC):
        return _read_xlsx(file, name, sheet)
    if head.startswith(_OLE_MAGIC):
        raise ArenaError("tab.xls", path=name)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        raise ArenaError("tab.json", path=name)  # an export as JSON lines given back: not a table
    return _read_csv(file, name, head)


def _encoding(file: Path, name: str, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    elif b"\x00" in head:
        raise ArenaError("tab.binary", path=name)
    else:
        encoding = "utf-8"
    # The whole file must decode, not only its head: a Windows-1252 "ö" on line 90 000 is still one.
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0  # where the bytes the decoder is given next begin (those it holds from before included)
    try:
        with open(file, "rb") as handle:
            while chunk := handle.read(1 << 20):
                held = len(decoder.getstate()[0])  # the start of a letter cut by the chunk's end
                offset -= held
                decoder.decode(chunk)
                offset += held + len(chunk)
            decoder.decode(b"", final=True)
        return encoding
    except UnicodeDecodeError as error:
        if encoding == "utf-8-sig":
            raise ArenaError("tab.encoding", path=name) from None
        bad = offset + error.start  # the first byte that is not UTF-8
    try:
        with open(file, "rb") as handle:
            while chunk := handle.read(1 << 20):
                if b"\x00" in chunk:
                    raise ArenaError("tab.binary", path=name)
                chunk.decode("cp1252")
                if _UTF8_LETTER.search(chunk):
                    # UTF-8 letters ("ö" as two bytes) and a byte of another encoding in one file (rows pasted
                    # from a Windows-1252 file, an edit in an old Notepad): read either way, some names would
                    # be stored garbled ("Ã¶") – refused, naming the line of the first byte that is not UTF-8
                    raise ArenaError("tab.mixed_encoding", path=name, line=_line_at(file, bad))
    except UnicodeDecodeError:
        raise ArenaError("tab.encoding", path=name) from None
    return "cp1252"


_UTF8_LETTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _line_at(file: Path, offset: int) -> int:
    """The line (1 = the first) holding the byte at `offset`."""
    lines, done = 1, 0
    with open(file, "rb") as handle:
        while done < offset and (chunk := handle.read(min(1 << 20, offset - done))):
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def _sniff(first_line: str) -> str:
    """The delimiter that splits the header line most, counted outside quotes (`;` wins a tie: Excel-sv)."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ","


def _read_csv(file: Path, name: str, head: bytes) -> Table:
    encoding = _encoding(file, name, head)
    try:
        handle = open(file, encoding=encoding, newline="")
    except OSError as error:
        raise ArenaError("tab.unreadable", path=name, detail=os_reason(error)) from None
    try:
        sample = handle.read(_SAMPLE)
        handle.seek(0)
        # the header's line: the first with anything on it (empty rows above it count, as in Excel)
        first = next((line for line in sample.lstrip("\ufeff").splitlines() if line.strip()), "")
        delimiter = "\t" if encoding == "utf-16" and "\t" in first else _sniff(first)
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
        header, header_row = _first_row(reader, name)
    except ArenaError:
        handle.close()
        raise
    except (csv.Error, UnicodeDecodeError) as error:
        handle.close()
        raise ArenaError("tab.broken", path=name, line=1, detail=str(error)) from None

    def generate() -> Iterator[Row]:
        start = reader.line_num + 1
        row = header_row  # the rows as Excel numbers them: a cell with line breaks is one row, not several lines
        try:
            for cells in reader:
                row_line, start = start, reader.line_num + 1
                row += 1
                if start - row_line > 1:
                    _check_quotes(cells, delimiter, len(header), name, row_line, start - 1)
                if cells and cells[-1].endswith(("\n", "\r")):  # a quote still open at the file's end
                    raise ArenaError("tab.unclosed_quote", path=name, line=row_line, end=start - 1)
                if len(cells) == 1 and len(header) >= 3:  # a row in one piece: split with another character?
                    other = next((d for d in _DELIMITERS if d != delimiter
                                  and cells[0].count(d) >= len(header) - 1), None)
                    if other is not None:
                        raise ArenaError("tab.mixed_delimiters", path=name, line=row, row_delimiter=Key(
                            f"tab.delimiter.{_DELIMITERS[other]}"), header_delimiter=Key(
                            f"tab.delimiter.{_DELIMITERS[delimiter]}"))
                if any(c.strip() for c in cells):
                    yield _row(header, [unguard(c.strip()) for c in cells], row)
        except csv.Error as error:
            if "field larger" in str(error):
                raise ArenaError("tab.field_too_long", path=name, line=start, max=MAX_FIELD) from None
            raise ArenaError("tab.broken", path=name, line=start, detail=str(error)) from None
        finally:
            handle.close()

    table = Table(file, "csv", header, generate(), handle.close)
    table.encoding, table.delimiter = encoding, delimiter
    return table


def _check_quotes(cells: list[str], delimiter: str, width: int, name: str, line: int, end: int) -> None:
    """A row over several lines whose quoted cell holds a line that is itself a whole row: a quote opened
    and never closed (it swallowed the rows after it) – named as that, never as the wrong cells it leaves."""
    if width < 3:
        return
    for cell in cells:
        if "\n" in cell or "\r" in cell:
            if any(part.count(delimiter) >= width - 1 for part in cell.splitlines()[1:]):
                raise ArenaError("tab.unclosed_quote", path=name, line=line, end=end)


def _first_row(reader, name: str) -> tuple[list[str], int]:  # noqa: ANN001
    """The header and its row number (empty rows above it count, as in Excel)."""
    rows = 0
    try:
        for cells in reader:
            rows += 1
            if any(c.strip() for c in cells):
                return [c.strip().lstrip("\ufeff").strip() for c in cells], rows
    except csv.Error as error:
        if "field larger" in str(error):
            raise ArenaError("tab.field_too_long", path=name, line=reader.line_num + 1, max=MAX_FIELD) from None
        raise
    raise ArenaError("tab.empty", path=name)


def _row(header: list[str], cells: list[str], line: int) -> Row:
    values = dict(zip(header, cells))
    for key in header[len(cells):]:
        values[key] = ""
    extra = tuple(c for c in cells[len(header):] if c)
    return Row(line, values, extra)


def _xlsx_text(value: object) -> str:
    """A cell as the text a person saw in Excel: whole numbers without ".0", dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value).strip()


def _has_cells(ws) -> bool:  # noqa: ANN001 -- an openpyxl read-only worksheet
    """Anything on the sheet (read up to its first non-empty row)."""
    return any(any(_xlsx_text(v) for v in raw) for raw in ws.iter_rows(values_only=True))


def _read_xlsx(file: Path, name: str, sheet: str | None) -> Table:
    import zipfile

    import openpyxl  # lazily: start-up stays fast

    handle = open(file, "rb")  # a file object: openpyxl would refuse a name that does not end in .xlsx
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except zipfile.BadZipFile:
        handle.close()
        raise ArenaError("tab.xlsx_broken", path=name, detail=Key("zip.bad")) from None
    except OSError as error:
        handle.close()
        raise ArenaError("tab.unreadable", path=name, detail=os_reason(error)) from None
    except Exception:  # a part missing (KeyError), a bad part (ValueError, openpyxl's own types)
        handle.close()
        raise ArenaError("tab.xlsx_broken", path=name, detail=Key("zip.part")) from None

    def close() -> None:
        book.close()
        handle.close()
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ArenaError("tab.no_sheet", path=name, sheet=sheet, sheets=", ".join(book.sheetnames))
        # The named sheet, else the first with anything in it: a workbook whose first sheet ("Blad1") was
        # left empty and the list put on the next is read from there, not called an empty file.
        header: list[str] | None = None
        number = 0
        sheets = [book[sheet]] if sheet is not None else book.worksheets
        for index, ws in enumerate(sheets):
            values = ws.iter_rows(values_only=True)
            for number, raw in enumerate(values, start=1):
                cells = [_xlsx_text(v) for v in raw]
                if any(cells):
                    header = cells
                    break
            if header is not None:
                # a list on more than one sheet (a sheet a week): reading one, the rest would be left unsaid
                more = [other.title for other in sheets[index + 1:] if _has_cells(other)]
                if more:
                    raise ArenaError("tab.several_sheets", path=name, sheets=", ".join([ws.title, *more]))
                break
        if header is None:
            raise ArenaError("tab.empty", path=name)
        while header and not header[-1]:
            header.pop()
    except ArenaError:
        close()
        raise

    def generate(start: int = number) -> Iterator[Row]:
        try:
            for line, raw in enumerate(values, start=start + 1):
                cells = [_xlsx_text(v) for v in raw]
                if any(cells):
                    yield _row(header, cells, line)
        except Exception:  # a damaged part of the zip shows only when read
            raise ArenaError("tab.xlsx_broken", path=name, detail=Key("zip.part")) from None
        finally:
            close()

    return Table(file, "xlsx", header, generate(), close)


# ------------------------------------------------------------------------------------------- columns

def columns(header: Sequence[str], spec: Mapping[str, Sequence[str]], required: Iterable[str],
            path: str = "") -> dict[str, str]:
    """Map each canonical column name to the header cell that names it (any of its aliases, case and
    spaces ignored). Raise one ArenaError naming what is missing and what the header has."""
    folded = {_fold(h): h for h in header if h}
    found: dict[str, str] = {}
    for key, aliases in spec.items():
        names = {_fold(alias) for alias in (key, *aliases)}
        named = [i for i, h in enumerate(header) if h and _fold(h) in names]
        if len(named) > 1:  # which one holds the value? Never guessed: a row would take one silently
            raise ArenaError("tab.header_twice", path=path, column=column_name(_header_language(header, spec), key, spec),
                             positions=", ".join(str(i + 1) for i in named), cells=", ".join(header[i] for i in named)[:200])
        for alias in (key, *aliases):
            if _fold(alias) in folded:
                found[key] = folded[_fold(alias)]
                break
    missing = [key for key in required if key not in found]
    if missing:
        lang = _header_language(header, spec)
        raise ArenaError("tab.header", path=path, missing=", ".join(column_name(lang, key, spec) for key in missing),
                         found=", ".join(h for h in header if h)[:300] or "–")
    return found


def column_name(lang: str, key: str, spec: Mapping[str, Sequence[str]]) -> str:
    """A column as a file in `lang` names it: the catalog's word (`exp.col.gender`: kön / gender), else the
    Swedish alias or the English key."""
    from store.i18n import text_in

    word = text_in(lang, f"exp.col.{key}")
    if word != f"exp.col.{key}":
        return word
    aliases = spec.get(key, ())
    return aliases[0] if lang == "sv" and aliases else key


def _header_language(header: Sequence[str], spec: Mapping[str, Sequence[str]]) -> str:
    """The language a header row is written in: the one more of its cells are named in (the user's on a tie)."""
    names = {lang: {_fold(column_name(lang, key, spec)) for key in spec} for lang in ("sv", "en")}
    cells = {_fold(h) for h in header if h}
    sv, en = len(cells & (names["sv"] - names["en"])), len(cells & (names["en"] - names["sv"]))
    return "sv" if sv > en else "en" if en > sv else language()


def _fold(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").casefold().split())


def decimal(text: str) -> float:
    """A number as people type it: `3,5`, `3.5`, `1 234,5` (space or no-break space as thousands)."""
    from store import validate

    raw = (text or "").strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if raw.count(",") == 1 and "." in raw and raw.index(".") < raw.index(","):
        raw = raw.replace(".", "")  # 1.234,5
    return validate.number(raw, written=(text or "").strip())


# ------------------------------------------------------------------------------------------- writing

@dataclass(frozen=True)
class Dialect:
    name: str
    delimiter: str
    decimal: str
    bom: bool = True
    lineterminator: str = "\r\n"


DIALECTS = {
    "excel-sv": Dialect("excel-sv", ";", ","),
    "excel-en": Dialect("excel-en", ",", "."),
    "rfc4180": Dialect("rfc4180", ",", ".", bom=False),
}


def dialect(name: str | None = None) -> Dialect:
    """The named dialect, or the one Excel expects in the user's language (`excel-sv` / `excel-en`)."""
    if not name:
        return DIALECTS["excel-sv" if language() == "sv" else "excel-en"]
    if name not in DIALECTS:
        raise ArenaError("tab.bad_dialect", value=name[:40], known=", ".join(DIALECTS))
    return DIALECTS[name]


_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_RISKY = frozenset((*_TRIGGERS, " "))  # the first characters of every text `neutralise` may change


def neutralise(text: str) -> str:
    """OWASP CSV injection: a cell a spreadsheet would evaluate gets a leading apostrophe."""
    if text and text.lstrip(" ").startswith(_TRIGGERS):
        return "'" + text
    if text and text[0] in "\t\r":
        return "'" + text
    return text


def unguard(cell: str) -> str:
    """A CSV cell as it was before `neutralise` (our export read back in: "'+46 70…" is "+46 70…", never a
    phone number stored with an apostrophe); an apostrophe before anything else is the person's own."""
    if cell.startswith("'") and (cell[1:2] in ("\t", "\r") or cell[1:].lstrip(" ").startswith(_TRIGGERS)):
        return cell[1:].strip()
    return cell


def format_number(value: float | int, decimal_mark: str = ",") -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", decimal_mark)


CHUNK_ROWS = 2000  # rows formatted and written to the file at a time by `CsvWriter.sqlite_rows`


class CsvWriter:
    """Rows out: text neutralised, numbers with the dialect's decimal mark, dates ISO, None empty."""

    def __init__(self, out: IO[str], dialect_: Dialect) -> None:
        self.dialect = dialect_
        self._out = out
        self._csv = csv.writer(out, delimiter=dialect_.delimiter, lineterminator=dialect_.lineterminator,
                               quoting=csv.QUOTE_MINIMAL)
        self.count = 0

    def cell(self, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, (bool, int, float)):
            return format_number(value, self.dialect.decimal)
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        return neutralise(str(value))

    def header(self, names: Sequence[str]) -> None:
        self._csv.writerow([neutralise(str(n)) for n in names])

    def row(self, values: Iterable[object]) -> None:
        self._csv.writerow([self.cell(v) for v in values])
        self.count += 1

    def sqlite_rows(self, rows: Iterable[Sequence[object]]) -> None:
        """Rows as SQLite gives them (None, int, float, str), written as `row` writes them, at C speed
        where it can: whole numbers and None go to `csv.writer` as they are (it writes them as `cell`
        does), text is looked at only when it starts with a space or a formula trigger, and only
        floats are formatted in Python (the decimal mark). The lines go to `out` a chunk at a time
        (CHUNK_ROWS), not a line at a time: a file's encoder (UTF-8 with a byte-order mark is Python code)
        and a wrapper's `write` then run once a chunk."""
        neutral, risky = neutralise, _RISKY
        seen: dict[object, object] = {}  # a number's text, once per value (hours take few values)

        def other(v: object) -> object:
            if v is None or v.__class__ is int:
                return v
            seen[v] = text = self.cell(v)
            return text

        buffer = io.StringIO()
        lines = csv.writer(buffer, delimiter=self.dialect.delimiter, lineterminator=self.dialect.lineterminator,
                           quoting=csv.QUOTE_MINIMAL)
        rows = iter(rows)
        while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
            lines.writerows([((neutral(v) if v[:1] in risky else v) if v.__class__ is str
                              else seen[v] if v in seen else other(v)) for v in r] for r in chunk)
            self.count += len(chunk)
            self._out.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()


def writer(out: IO[str], dialect_: Dialect | None = None) -> CsvWriter:
    return CsvWriter(out, dialect_ or dialect())


def open_csv(path: str | os.PathLike[str], dialect_: Dialect | None = None) -> IO[str]:
    """A text file for `writer`: owner-only (0600), BOM if the dialect wants one, newlines untouched."""
    d = dialect_ or dialect()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return open(fd, "w", encoding="utf-8-sig" if d.bom else "utf-8", newline="")


def to_string(header: Sequence[str], rows: Iterable[Iterable[object]], dialect_: Dialect | None = None) -> str:
    buffer = io.StringIO()
    w = writer(buffer, dialect_)
    w.header(header)
    for r in rows:
        w.row(r)
    return buffer.getvalue()
