"""Reading a row by name: a result dataclass gets each field from the column of the same name.

The store's reads return dataclasses or model instances, never tuples unpacked by position: a column
added, moved or renamed then fails loudly at the field it concerns instead of shifting every value after
it. Flags stored as 0/1 and values computed from the row are passed in by name.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def columns(cls: type, *leave_out: str) -> str:
    """The dataclass's fields as a SELECT list (`id, at, user_login`)."""
    return ", ".join(f.name for f in fields(cls) if f.name not in leave_out)


def named(cls: type[T], row: Any, **given: Any) -> T:  # noqa: ANN401 -- a SQLAlchemy Row (or a mapping)
    """`cls` (a dataclass) from a row with named columns; `given` fields (flags as bool, computed values) win."""
    by_name = getattr(row, "_mapping", row)  # SQLAlchemy's public name for a row's columns by name
    values = {f.name: by_name[f.name] for f in fields(cls) if f.name not in given}  # type: ignore[arg-type]
    return cls(**values, **given)
