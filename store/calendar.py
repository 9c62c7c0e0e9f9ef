"""The Swedish working calendar: public and de-facto holidays, ISO weeks, weekday names.

Holidays come from the `holidays` package with the arguments DOMAIN.md fixes (Swedish names, no
Sundays-as-holidays, de-facto holidays such as julafton included). No sessions on those days.
"""
from __future__ import annotations

import datetime as dt
import threading
from functools import lru_cache
from pathlib import Path

from store.i18n import language

WEEKDAY_SHORT = {"sv": ("mån", "tis", "ons", "tor", "fre", "lör", "sön"),
                 "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
WEEKDAY_LONG = {"sv": ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
                "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
MONTH_SHORT = {"sv": ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
               "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")}


@lru_cache(maxsize=64)
def _holidays(year: int, lang: str) -> dict[dt.date, str]:
    table = _sweden()(years=year, include_sundays=False, categories=("public", "de_facto"),
                      language="sv" if lang == "sv" else "en_US")
    return dict(table.items())


_LOADING = threading.Lock()


def _sweden() -> type:
    """`_load_sweden`, by one thread at a time: a second thread asking while the first loads the module
    found it half-made in sys.modules (holidays' registry then failed: "no attribute 'Sweden'")."""
    with _LOADING:
        return _load_sweden()


@lru_cache(maxsize=1)
def _load_sweden() -> type:
    """The package's `holidays.Sweden`, loaded on its own. Imported lazily (it is large; `arena --help`
    stays fast), and without its siblings: the package's `holidays.countries` imports all 250 countries
    on the way to one, which cost the app's start as much as SQLAlchemy. The module is loaded from its
    file under its own name (the package reuses it if anything asks for `holidays.countries` later); a
    release of the package laid out otherwise is used the ordinary way."""
    import importlib.util
    import sys

    import holidays  # the base classes (its countries are loaded lazily, by name)

    name = "holidays.countries.sweden"
    if name not in sys.modules and "holidays.countries" not in sys.modules:
        file = Path(holidays.__file__).parent / "countries" / "sweden.py"
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is not None and spec.loader is not None and file.is_file():
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except Exception:  # noqa: BLE001 -- another layout of the package: the ordinary way below
                del sys.modules[name]
            else:
                return module.Sweden
    return holidays.Sweden


def holiday_name(day: dt.date, lang: str | None = None) -> str | None:
    return _holidays(day.year, lang or language()).get(day)


def is_workday(day: dt.date) -> bool:
    return day.weekday() < 5 and holiday_name(day, "sv") is None


def workdays(start: dt.date, end: dt.date) -> list[dt.date]:
    """Working days from start to end inclusive."""
    days = []
    day = start
    while day <= end:
        if is_workday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def day_line(day: dt.date, lang: str | None = None, *, holiday: bool = True, year: bool = True,
             week: bool = True) -> str:
    """'tis 24 nov 2026, v. 48' (and the holiday's name when there is one; `holiday=False`: without it, and
    without importing the holidays package – the app's first screen, drawn before that import). Shorter
    where room is short: `year=False` 'tis 24 nov, v. 48', and `week=False` too 'tis 24 nov'."""
    lang = lang or language()
    text = f"{WEEKDAY_SHORT[lang][day.weekday()]} {day.day} {MONTH_SHORT[lang][day.month - 1]}"
    if year:
        text += f" {day.year}"
    if week:
        text += f", {'v.' if lang == 'sv' else 'wk'} {day.isocalendar()[1]}"
    name = holiday_name(day, lang) if holiday else None
    return f"{text} – {name}" if name else text
