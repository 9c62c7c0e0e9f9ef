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
