"""Input checks shared by the CLI, the forms and the importer: one refusal, one message, no traceback."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from store.i18n import ArenaError, Key

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def text(value: object, field: str, *, max_len: int = 200, required: bool = False,
         multiline: bool = False) -> str:
    """`value` as clean text; `field` is the field's identifier (`first_name`): a refusal names it in the
    reader's language (the catalog's `field.first_name`)."""
    value = "" if value is None else str(value)
    name = Key(f"field.{field}")
    value = unicodedata.normalize("NFC", value).strip()
    if not multiline and ("\n" in value or "\r" in value or "\t" in value):
        raise ArenaError("err.control_chars_in", field=name)
    if _CONTROL.search(value):
        raise ArenaError("err.control_chars_in", field=name)
    if len(value) > max_len:
        raise ArenaError("err.text_too_long", field=name, max=max_len)
    if required and not value:
        raise ArenaError("err.required", field=name)
    return value


def date(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    raw = "" if value is None else str(value).strip()
    try:
        # a date, or a date and a time of day as Excel shows a date cell that carries one ("2026-11-13 08:30")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?", raw):
            raise ValueError
        if len(raw) > 10:
            dt.time.fromisoformat(raw[11:])  # a real time of day, not 25:99
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        raise ArenaError("err.bad_date", value=raw[:40]) from None


def month(value: object) -> tuple[int, int]:
    raw = "" if value is None else str(value).strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})", raw)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ArenaError("err.bad_month", value=raw[:40])
    return int(m.group(1)), int(m.group(2))


def number(value: object, *, written: str | None = None) -> float:
    """A number, a decimal comma or point; a refusal quotes it as `written` (else as given), never as
    rewritten here ("8,5,8" said "8.5.8")."""
    given = "" if value is None else str(value).strip()
    shown = (given if written is None else written)[:40]
    try:
        result = float(given.replace(",", "."))
    except ValueError:
        raise ArenaError("err.bad_number", value=shown) from None
    if result != result or result in (float("inf"), float("-inf")):
        raise ArenaError("err.bad_number", value=shown)
    return result


def login(value: object) -> str:
    """A login: what an OS account name can be (letters, digits, . _ - @), at most 64 characters."""
    raw = text(value, "login", max_len=64, required=True)
    if not re.fullmatch(r"[\w.@-]+", raw):
        raise ArenaError("err.bad_login", value=raw[:40])
    return raw
