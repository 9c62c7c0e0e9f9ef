"""Swedish personnummer and samordningsnummer: parse any common form, validate, format.

Written here rather than taken from the `personnummer` package because a caseworker needs to be told
*which* rule failed (format, date, check digit, birth number 000) in Swedish, and we need the
"under 100 unless '+'" century rule pinned to a given day for tests.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from store import clock
from store.i18n import ArenaError

_FORM = re.compile(r"^(\d{2})?(\d{6})([-+]?)(\d{4})$")


class IdentityNumberError(ArenaError):
    """An identity number that is not valid; `str()` says why in the user's language."""

    def __init__(self, reason: str, value: str) -> None:
        super().__init__(f"id.{reason}", value=value)
        self.reason = reason


@dataclass(frozen=True)
class IdentityNumber:
    canonical: str  # twelve digits, YYYYMMDDNNNC
    birth_date: dt.date | None  # None: a samordningsnummer given without an established birth date
    coordination: bool  # samordningsnummer: day + 60
    birth_year: int = 0

    @property
    def birth_known(self) -> bool:
        return self.birth_date is not None

    @property
    def ten(self) -> str:
        return self.canonical[2:]

    def formatted(self, today: dt.date | None = None) -> str:
        """YYYYMMDD-NNNC, the form on Swedish documents since 2000s; '+' from the year of the 100th birthday."""
        today = today or clock.today()
        sep = "+" if today.year - self.birth_year >= 100 else "-"
        return f"{self.canonical[:8]}{sep}{self.canonical[8:]}"

    def masked(self) -> str:
        """Protected identity: only the birth year stays readable."""
        return f"{self.canonical[:4]}****-****"


def luhn_ok(ten_digits: str) -> bool:
    total = 0
    for i, ch in enumerate(ten_digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


_EXCEL_NUMBER = re.compile(r"^\d[,.]\d+[eE]\+?\d+$")


def parse(text: str, today: dt.date | None = None) -> IdentityNumber:
    """Parse a personnummer or samordningsnummer in any common form; raise IdentityNumberError."""
    raw = "" if text is None else str(text)
    value = re.sub(r"\s+", "", raw)
    if not value:
        raise IdentityNumberError("empty", raw)
    m = _FORM.match(value)
    if not m:
        if _EXCEL_NUMBER.match(value):  # Excel showed the column as a number and saved it so: 1,97505E+11
            raise IdentityNumberError("excel_number", raw.strip())
        raise IdentityNumberError("format", raw.strip())
    century, yymmdd, sep, tail = m.groups()
    today = today or clock.today()
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    coordination = dd > 60
    day = dd - 60 if coordination else dd
    if century is not None:
        year = int(century) * 100 + yy
    else:
        # Ten digits: the person is under 100 unless the separator is '+'.
        year = (today.year // 100) * 100 + yy
        if year > today.year:
            year -= 100
        if sep == "+":
            year -= 100
    # Skatteverket gives a samordningsnummer with month 00 and/or day 60 when the birth date is not
    # established: valid, with the birth date (and so the age) unknown; only the year is known.
    unknown = dd >= 60 and (mm == 0 or dd == 60)
    if unknown:
        if not (mm <= 12 and dd - 60 <= 31):
            raise IdentityNumberError("date", raw.strip())
        born = None
        if century is None and sep != "+" and year > today.year:
            year -= 100
        if year > today.year:
            raise IdentityNumberError("future", raw.strip())
        coordination = True
    else:
        try:
            born = dt.date(year, mm, day)
        except ValueError:
            raise IdentityNumberError("date", raw.strip()) from None
        if century is None and sep != "+" and born > today:
            born = born.replace(year=born.year - 100)
        if born > today:
            raise IdentityNumberError("future", raw.strip())
        year = born.year
    ten = yymmdd + tail
    if tail[:3] == "000":
        raise IdentityNumberError("birth_number", raw.strip())
    if not luhn_ok(ten):
        raise IdentityNumberError("check_digit", raw.strip())
    return IdentityNumber(f"{year:04d}{ten[2:]}", born, coordination, year)


def corrected(text: str, today: dt.date | None = None) -> str | None:
    """For a number whose only fault is its check digit: the number with the right one ("menade du …?")."""
    try:
        parse(text, today)
    except IdentityNumberError as error:
        if error.reason != "check_digit":
            return None
        digits = digits_of(text)
        for last in "0123456789":
            candidate = text.strip()[:-1] + last
            if digits and is_valid(candidate, today):
                return parse(candidate, today).formatted(today)
    return None


def is_valid(text: str, today: dt.date | None = None) -> bool:
    try:
        parse(text, today)
    except IdentityNumberError:
        return False
    return True


def shown(stored: str, protected: bool) -> str:
    """A stored 12-digit number as a person may see it: masked for a protected identity."""
    number = parse(stored, dt.date(9999, 1, 1))  # stored numbers were checked when saved
    return number.masked() if protected else number.formatted()


def digits_of(text: str) -> str:
    """The digits a user typed, for prefix search ("850612", "19850612-12")."""
    return re.sub(r"[\s\-+]", "", text or "")


def looks_like_number(text: str) -> bool:
    stripped = re.sub(r"[\s\-+]", "", text or "")
    return len(stripped) >= 4 and stripped.isdigit()


def with_check_digit(nine: str) -> str:
    """Append the Luhn digit to nine digits (YYMMDDNNN); used by the demo generator."""
    for c in "0123456789":
        if luhn_ok(nine + c):
            return nine + c
    raise AssertionError("unreachable")
