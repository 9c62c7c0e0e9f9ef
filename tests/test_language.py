"""One catalog, two languages: no English on a Swedish screen, no Swedish on an English one, numbers with
the language's decimal mark, plural forms that agree.

The walk runs the real app (in a subprocess: screens take their key labels from the catalog when they
are imported, as `arena --lang en` does) through every screen and dialog, and the CLI through its
messages and the report's headers. A word that only the *other* language's catalog uses – and that is
not data such as a person's or an activity's name – fails the test."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from store import attendance
from store.i18n import CATALOG, num, set_language, t

from .conftest import NAMES, PIN, TODAY, World

ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[A-Za-zÅÄÖåäöÉéÜü]+")
# Proper names and codes that are the same in both languages (the programme's name, absence codes).
SHARED = {"arena", "arbetsmarknad", "sjuk", "vab", "giltig", "ogiltig", "annan", "ovrig"}


def vocabulary(index: int) -> set[str]:
    words: set[str] = set()
    for entry in CATALOG.values():
        text = re.sub(r"\{[^{}]*\}", " ", entry[index])
        words |= {w.casefold() for w in WORD.findall(text)}
    return words


SV, EN = vocabulary(0), vocabulary(1)
ONLY = {"sv": SV - EN - SHARED, "en": EN - SV - SHARED}


def foreign_words(text: str, lang: str, data: set[str]) -> list[str]:
    other = ONLY["en" if lang == "sv" else "sv"]
    return sorted({w for w in WORD.findall(text) if len(w) > 2 and w.casefold() in other
                   and w.casefold() not in data})


def world_data(world: World) -> set[str]:
    words = {w.casefold() for first, last in NAMES for w in (first, last)}
    words |= {"arbetsträning", "café", "omar", "farah", "karin", "lena", "leder", "sara", "systemansvarig",
              "centrum", "setup"}
    return words


def test_every_entry_has_both_languages_and_english_has_no_swedish_letters() -> None:
    allowed = {"app.title"}
    for key, entry in CATALOG.items():
        assert len(entry) == 2 and all(isinstance(s, str) and s for s in entry), key
        if key not in allowed and not key.startswith(("gender.", "rep.file_prefix")):
            assert not re.search(r"[åäöÅÄÖ]", entry[1]), (key, entry[1])


@pytest.mark.parametrize("value,sv,en", [(31.5, "31,5", "31.5"), (40.0, "40", "40"), (3.75, "3,8", "3.8"),
                                         (1234.5, "1\u00a0234,5", "1,234.5")])
def test_numbers_are_written_as_the_language_writes_them(value: float, sv: str, en: str) -> None:
    set_language("sv")
    assert num(value) == sv
    set_language("en")
    assert num(value) == en
    set_language("sv")


@pytest.mark.parametrize("n,sv,en", [(0, "0 träffar", "0 matches"), (1, "1 träff", "1 match"),
                                     (2, "2 träffar", "2 matches")])
def test_plural_forms_agree(n: int, sv: str, en: str) -> None:
    set_language("sv")
    assert t("search.count", n=n) == sv
    assert t("imp.summary", ok=1, unchanged=0, bad=0).startswith("1 rad importerad,")
    set_language("en")
    assert t("search.count", n=n) == en
    set_language("sv")


def walk(world: World, lang: str) -> str:
    result = subprocess.run([sys.executable, "-m", "tests.language_walk", str(world.path), lang, "omar.farah", PIN],
                            cwd=ROOT,
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "ARENA_TODAY": TODAY.isoformat()})
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_screen_and_dialog_speaks_one_language(world: World, lang: str) -> None:
    attendance.mark(world.db, "omar.farah", world.people[1], world.activity_id, dt.date(2026, 11, 23), "partial",
                    hours=3.5, note="kom sent")
    text = walk(world, lang)
    assert text.count("\f") >= 25  # every screenful was taken
    assert foreign_words(text, lang, world_data(world)) == []
    if lang == "sv":
        assert "3,5" in text and "3.5" not in text  # the partial mark, with a decimal comma
        assert "v. 48" in text and "palette" not in text
    else:
        assert "3.5" in text and "wk 48" in text and "v. 48" not in text


def cli(args: list[str], lang: str) -> str:
    person = ["--user", "omar.farah", "--pin-stdin"] if args and args[0] in ("report", "import", "find") else []
    result = subprocess.run([sys.executable, "-m", "tui.cli", *args, *person, "--lang", lang], cwd=ROOT,
                            input=PIN + "\n", capture_output=True, text=True, timeout=120,
                            env={**os.environ, "ARENA_TODAY": TODAY.isoformat(), "ARENA_USER": "omar.farah"})
    return result.stdout + result.stderr


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_cli_messages_and_report_headers_speak_one_language(world: World, tmp_path: Path, lang: str) -> None:
    missing = tmp_path / "saknas.csv"
    bad_header = tmp_path / "fel.csv"
    bad_header.write_text("namn;telefon\r\nAnna;070\r\n", encoding="utf-8")
    outputs = [
        cli(["export", "--what", "nope"], lang),
        cli(["report", "narvaro", "--month", "2026-13", "--db", str(world.path)], lang),
        cli(["report", "narvaro", "--from", "2026-11-24", "--to", "2026-11-01", "--db", str(world.path)], lang),
        cli(["report", "narvaro", "--month", "2026-11", "--db", str(world.path), "--caseworker", "omar.farah"], lang),
        cli(["import", "attendance", str(missing), "--db", str(world.path)], lang),
        cli(["import", "attendance", str(bad_header), "--db", str(world.path)], lang),
        cli(["import"], lang),
        cli(["find", "Berg", "--db", str(world.path)], lang),
    ]
    text = "\n".join(outputs).replace(str(tmp_path), "").replace(str(world.path), "")  # paths are data
    assert "Traceback" not in text
    # What a user types is not translated: the option values and the column names an import accepts.
    from store.attendance import IMPORT_SPEC
    from tui.cli import EXPORT_WHAT

    typed = {w.casefold() for name in (*EXPORT_WHAT, *IMPORT_SPEC, "what") for w in WORD.findall(name)}
    typed |= {w.casefold() for aliases in IMPORT_SPEC.values() for a in aliases for w in WORD.findall(a)}
    assert foreign_words(text, lang, world_data(world) | typed | {"narvaro", "nope", "saknas", "fel", "namn",
                                                                   "telefon", "anna", "berg"}) == []
    header = outputs[3].lstrip("\ufeff").splitlines()[0]
    assert header.startswith("Personnummer;Namn;" if lang == "sv" else "Identity number,Name,")
