"""Reading a row by name: a result dataclass gets each field from the column of the same name.

The store's reads of rows return dataclasses, never tuples unpacked by position: a column added, moved
or renamed then fails loudly at the field it concerns instead of shifting every value after it. Flags
stored as 0/1 and values computed from the row are passed in by name. What still reads by position, on
purpose: one-column reads (`scalar`/`scalars`, `fetchone()[0]`), the loops over the whole change log
that would cost seconds at 100 000 people as objects (`tamper.verify`, the snapshot's entries), the
import's own scratch file (`store.bulk`) and PostgreSQL's driver rows in `store.pgshare`.

Ways in: `named` for SQLAlchemy's rows (columns by name), and `each`/`first` for a cursor straight
from the driver (the mark's and the change log's hot path, `store.tx.run`): there the SELECT list must be
the dataclass's fields (`columns(cls)`), which is checked against the cursor's own column names once per
statement, so a row is built at the driver's speed and still never by a position nobody checked; and
`mapped` for a driver cursor whose columns are not one dataclass's (each row a dict by column name).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


_NAMES: dict[type, tuple[str, ...]] = {}


def names(cls: type) -> tuple[str, ...]:
    """The dataclass's field names, in order."""
    try:
        return _NAMES[cls]
    except KeyError:
        found = _NAMES[cls] = tuple(f.name for f in fields(cls))
        return found


def columns(cls: type, *leave_out: str) -> str:
    """The dataclass's fields as a SELECT list (`id, at, user_login`)."""
    return ", ".join(name for name in names(cls) if name not in leave_out)


def named(cls: type[T], row: Any, **given: Any) -> T:  # noqa: ANN401 -- a SQLAlchemy Row (or a mapping)
    """`cls` (a dataclass) from a row with named columns; `given` fields (flags as bool, computed values) win."""
    by_name = getattr(row, "_mapping", row)  # SQLAlchemy's public name for a row's columns by name
    values = {name: by_name[name] for name in names(cls) if name not in given}
    return cls(**values, **given)


def _built(cls: type[T], cursor: Any, flags: tuple[str, ...]) -> Any:  # noqa: ANN401 -- a DB-API cursor
    """How to build `cls` from this cursor's rows: its SELECT list must be `cls`'s fields in order (trailing
    fields with defaults may be left out), checked by name; `flags` (0/1 columns) become bool."""
    selected = tuple(d[0] for d in cursor.description or ())
    if not selected or selected != names(cls)[:len(selected)]:
        raise TypeError(f"{cls.__name__}: selected {selected}, its fields are {names(cls)}")
    if not flags:
        return lambda row: cls(*row)
    at = [selected.index(flag) for flag in flags]

    def build(row: Any) -> T:  # noqa: ANN401
        values = list(row)
        for i in at:
            values[i] = bool(values[i])
        return cls(*values)
    return build


def each(cls: type[T], cursor: Any, *, flags: tuple[str, ...] = ()) -> Iterator[T]:  # noqa: ANN401 -- a DB-API cursor
    """`cls` for every row of a driver cursor whose SELECT list is `cls`'s fields (checked by name)."""
    build = _built(cls, cursor, flags)
    return (build(row) for row in cursor)


def first(cls: type[T], cursor: Any, *, flags: tuple[str, ...] = ()) -> T | None:  # noqa: ANN401 -- a DB-API cursor
    """`cls` for the cursor's first row (SELECT list: `cls`'s fields, checked by name), or None."""
    build = _built(cls, cursor, flags)
    row = cursor.fetchone()
    return build(row) if row is not None else None


def mapped(cursor: Any) -> Iterator[dict[str, Any]]:  # noqa: ANN401 -- a DB-API cursor
    """Every row of a driver cursor as {column: value}, by the names its SELECT list gives (a read whose
    columns are not one dataclass's: a person with the plan of every weekday, a mark with its key)."""
    selected = tuple(d[0] for d in cursor.description or ())
    return (dict(zip(selected, row)) for row in cursor)


def scalar(cursor: Any) -> Any:  # noqa: ANN401 -- a DB-API cursor of a one-column SELECT
    """The one column of the cursor's first row, or None (a driver cursor's `.scalar()`)."""
    if len(cursor.description or ()) != 1:
        raise TypeError(f"one column expected, selected {[d[0] for d in cursor.description or ()]}")
    row = cursor.fetchone()
    return None if row is None else row[0]


def scalars(cursor: Any) -> list[Any]:  # noqa: ANN401 -- a DB-API cursor of a one-column SELECT
    """The one column of every row of the cursor (a driver cursor's `.scalars().all()`)."""
    if len(cursor.description or ()) != 1:
        raise TypeError(f"one column expected, selected {[d[0] for d in cursor.description or ()]}")
    return [row[0] for row in cursor]
