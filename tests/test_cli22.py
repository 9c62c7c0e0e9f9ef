"""Tester of #22 (cli22), the command line's smaller points: one selection for a report, a reason of a few
words on every way in, the demo's generation file owner-only, an import's hours said the way they differ,
gender and the access log's details in the export's language. Each through the real command in-process."""
from __future__ import annotations

import csv
import datetime as dt
import stat
from pathlib import Path

import pytest

from store import cases, referrals
from store.i18n import ArenaError

from .conftest import PIN, World
from .inprocess import Ran, arena

DAY = dt.date(2026, 11, 23)  # a Monday before TODAY: 6 planned hours
CAFE = "Arbetsträning café"


def run(world: World, *args: str, user: str = "setup") -> Ran:
    return arena(*args, "--db", str(world.path), "--user", user, "--pin-stdin", stdin=f"{PIN}\n")


@pytest.mark.parametrize("extra", [("--caseworker", "omar.farah"), ("--activity", CAFE)])
def test_a_report_for_a_participant_and_a_caseworker_or_an_activity_is_refused(world: World, extra: tuple) -> None:
    done = run(world, "report", "narvaro", "--month", "2026-11", "--participant", world.people[0], *extra,
               "--reason", "kontroll av rapporten")
    assert done.returncode == 2 and done.stdout == "", done
    assert done.stderr.count("\n") == 1 and "--participant | --caseworker | --activity" in done.stderr, done.stderr
    both = run(world, "report", "narvaro", "--month", "2026-11", "--caseworker", "omar.farah", "--activity", CAFE)
    assert both.returncode == 2 and "--participant | --caseworker | --activity" in both.stderr, both.stderr


def test_the_store_refuses_a_report_of_two_selections(world: World) -> None:
    from store import report

    with pytest.raises(ArenaError) as caught:
        report.build(world.db, "setup", "2026-11", caseworker="omar.farah", activity=CAFE, reason="kontroll av listan")
    assert caught.value.key == "rep.one_selection"


@pytest.mark.parametrize("command", [
    ("export", "--what", "participants"),
    ("report", "narvaro", "--month", "2026-11")])
def test_a_one_letter_reason_is_refused_as_the_tui_refuses_it(world: World, command: tuple) -> None:
    done = run(world, *command, "--reason", "t")
    assert done.returncode == 2 and done.stdout == "", done
    assert done.stderr == ("arena: Skriv anledningen med några ord (minst tre), t.ex. ”Fråga från biståndshandläggare”."
                           "\n"), done.stderr  # (it said "or pick one from the list": the command line has none)
    assert run(world, *command, "--reason", "Fråga från biståndshandläggare").returncode == 0
    assert run(world, *command, "--reason", "kontroll av listan").returncode == 0


def test_open_case_refuses_a_one_letter_reason_in_the_store(world: World) -> None:
    with pytest.raises(ArenaError) as caught:
        cases.open_case(world.db, "karin.ek", world.people[1], reason="t")
    assert caught.value.key == "acc.reason_short"


def test_the_demos_generation_file_is_owner_only(tmp_path: Path) -> None:
    done = arena("demo", "--db", str(tmp_path / "demo.db"), "--participants", "20", "--days", "2")
    assert done.returncode == 0, done.stderr
    for name in ("demo.db", "demo.db.generation"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


@pytest.mark.parametrize("lang, status, hours, said", [
    ("sv", "sjuk", "3", "Timmarna 3 stämmer inte med status ”Sjuk”: en frånvaro ger 0 timmar – lämna timmarna tomma"
                        " eller skriv delvis för timmar på plats."),
    ("en", "sick", "3", "The hours 3 do not match the status “Sick”: an absence records 0 hours – leave the hours"
                        " empty or use partial for a part of the day."),
    ("sv", "närvarande", "8", "Timmarna 8 stämmer inte med status ”Närvarande”, som ger 6 timmar (passets planerade)"
                              " – lämna timmarna tomma."),
    ("en", "present", "1,5", "The hours 1.5 do not match the status “Present”, which records 6 hours – use partial"
                             " for fewer hours or leave the hours empty.")])
def test_an_imported_rows_hours_are_said_the_way_they_differ(world: World, tmp_path: Path, lang: str, status: str,
                                                             hours: str, said: str) -> None:
    file = tmp_path / "närvaro.csv"
    file.write_text(f"deltagar_id;aktivitet;datum;status;timmar\r\n{world.people[0]};{CAFE};{DAY};{status};{hours}\r\n",
                    encoding="utf-8-sig")
    done = run(world, "import", "attendance", str(file), "--lang", lang, user="lena.leder")
    assert done.returncode == 2, done
    assert said in done.stderr, done.stderr
    assert "färre" not in said or status == "närvarande"


def export(world: World, what: str, lang: str) -> list[list[str]]:
    done = run(world, "export", "--what", what, "--reason", "kontroll av listan", "--lang", lang, "--dialect", "rfc4180")
    assert done.returncode == 0, done.stderr
    return list(csv.reader(done.stdout.lstrip("\ufeff").splitlines()))


def test_gender_is_exported_in_the_readers_language_and_read_back(world: World) -> None:
    for lang, women in (("sv", "K"), ("en", "F")):
        table = export(world, "participants", lang)
        column = table[0].index("kön" if lang == "sv" else "gender")
        said = {row[column] for row in table[1:]}
        assert women in said and said <= {women, "M", "X"}, (lang, said)
        assert {referrals.GENDER[word.casefold()] for word in said} <= {"K", "M", "X"}  # the import reads it back
    assert referrals.GENDER["f"] == "K"


def test_the_access_logs_fixed_details_are_in_the_readers_language(world: World) -> None:
    cases.open_case(world.db, "karin.ek", world.people[1], reason="Vikarierar för Omar")
    assert run(world, "export", "--what", "participants", "--reason", "kontroll av listan").returncode == 0
    sv = export(world, "audit", "sv")
    details = {row[-1] for row in sv[1:]}
    assert {"utanför ärendelistan", "deltagare csv"} <= details, details
    assert not {"outside caseload", "participants csv", "audit csv"} & details, details
    en = {row[-1] for row in export(world, "audit", "en")[1:]}
    assert {"outside caseload", "participants csv", "audit csv"} <= en, en
