"""Identity numbers: the shared vectors (copied from ../shared/testdata) and the typed errors."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, strategies as st

from store import identity
from tui.text import set_language

from .conftest import DATA, reader

VECTORS = json.loads((DATA / "personnummer.json").read_text(encoding="utf-8"))
TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize("case", VECTORS["valid_personnummer"], ids=lambda c: c["input"])
def test_valid_personnummer(case: dict) -> None:
    number = identity.parse(case["input"], TODAY)
    assert number.canonical == case["canonical"]
    assert not number.coordination


@pytest.mark.parametrize("case", VECTORS["valid_samordningsnummer"], ids=lambda c: c["input"])
def test_valid_samordningsnummer(case: dict) -> None:
    number = identity.parse(case["input"], TODAY)
    assert number.canonical == case["canonical"]
    assert number.coordination


@pytest.mark.parametrize("text", VECTORS["invalid"])
def test_invalid(text: str) -> None:
    with pytest.raises(identity.IdentityNumberError):
        identity.parse(text, TODAY)


def test_plus_means_a_hundred_or_more() -> None:
    assert identity.parse("090527+1474", TODAY).canonical == "190905271474"
    assert identity.parse("0905271474", TODAY).canonical == "200905271474"


@pytest.mark.parametrize("text,reason", [
    ("", "empty"), ("12345", "format"), ("19850632-1234", "date"), ("201509160006", "birth_number"),
    ("197004289895", "check_digit"), ("20991231-0000", "future"),
])
def test_errors_are_typed_and_readable(text: str, reason: str) -> None:
    with pytest.raises(identity.IdentityNumberError) as caught:
        identity.parse(text, TODAY)
    assert caught.value.reason in (reason, "birth_number", "check_digit", "future") if reason == "future" else \
        caught.value.reason == reason
    set_language("sv")
    assert str(caught.value) and "Traceback" not in str(caught.value)
    set_language("en")
    english = str(caught.value)
    set_language("sv")
    assert english != str(caught.value)


@given(st.dates(min_value=dt.date(1927, 1, 1), max_value=dt.date(2020, 12, 31)), st.integers(1, 999),
       st.booleans())
def test_every_format_of_one_number_gives_the_same_canonical(born: dt.date, serial: int, coordination: bool) -> None:
    """Anyone under 100: with or without century, dash, space or nothing."""
    day = born.day + (60 if coordination else 0)
    ten = identity.with_check_digit(f"{born:%y%m}{day:02d}{serial:03d}")
    canonical = f"{born.year // 100:02d}{ten}"
    forms = [canonical, f"{canonical[:8]}-{canonical[8:]}", f"{ten[:6]}-{ten[6:]}", ten, f"{ten[:6]} {ten[6:]}"]
    parsed = {identity.parse(f, TODAY).canonical for f in forms}
    assert parsed == {canonical}


@pytest.mark.parametrize("case", VECTORS["valid_samordningsnummer_unknown_birth_date"], ids=lambda c: c["input"])
def test_samordningsnummer_with_unknown_birth_date_is_valid(case: dict) -> None:
    """Month 00 or day 60: Skatteverket could not establish the birth date. Valid; only the year is known."""
    number = identity.parse(case["input"], TODAY)
    assert number.canonical == case["canonical"]
    assert number.coordination and number.birth_date is None and not number.birth_known
    assert number.birth_year == int(case["canonical"][:4])
    sep = "+" if TODAY.year - number.birth_year >= 100 else "-"
    assert number.formatted(TODAY) == case["canonical"][:8] + sep + case["canonical"][8:]


def test_unknown_birth_date_person_registers_is_found_and_gallring_reads_the_day(world) -> None:  # noqa: ANN001
    """A person with such a number is registered (age unknown) and found by the number; gallring's
    research-day exception reads the day the number gives (month 00, day 65 = the 5th: kept) and a
    wholly unknown date (day 60) is not exempt."""
    from store import cases, retention

    kept, gone = world.people[0], world.people[1]
    cases.update(world.db, "setup", kept, personnummer="19" + identity.with_check_digit("850065123"))
    cases.update(world.db, "setup", gone, personnummer="19" + identity.with_check_digit("920060456"))
    person = cases.get(world.db, reader(world.db, gone), gone)
    assert person.birth_date is None and person.age() is None
    assert gone in [h.participant.id for h in cases.search(world.db, person.personnummer[:8], login="setup")]
    plan = retention.plan(world.db, "setup", dt.date(2040, 1, 1))
    removed = {c.participant_id for c in plan.remove}
    assert gone in removed and kept not in removed


def test_a_number_excel_saved_in_its_number_format_is_named_so() -> None:
    """A personnummer column Excel showed as a number is saved as 1,97505E+11: said as Excel's format, with
    what to do, not only "har fel format"."""
    for written in ("1,97505E+11", "1.97505E+11", "1,97505e11"):
        with pytest.raises(identity.IdentityNumberError) as caught:
            identity.parse(written)
        assert caught.value.reason == "excel_number"
        assert str(caught.value).startswith(f"”{written}” är ett tal i Excels format")
    with pytest.raises(identity.IdentityNumberError) as caught:
        identity.parse("abc")
    assert caught.value.reason == "format"
