"""How marks, statuses and people read on screen (shared by the roll call, week grid and case card)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text

from store.attendance import DEFAULT_REASON, AbsenceCode, Mark
from tui.text import num, t

SYMBOL = {"present": "✓", "partial": "◐", "sick": "S", "vab": "B", "excused": "G", "unexcused": "O"}
STYLE = {"present": "green", "partial": "yellow", "sick": "cyan", "vab": "cyan", "excused": "blue",
         "unexcused": "bold red"}


def mark_text(mark: Mark | None, cancelled: bool = False, edits: int = 0) -> Text:
    """A mark as a word; one of a cancelled session is kept, shown struck through and dim. `✎` says it has
    a note, `*` that it was first recorded after its day, `′` that it was changed since (`edits`, as in the
    week grid). The absence reason is a word of its own (`reason_word`), in the row's info."""
    if mark is None:
        return Text(t("st.none"), style="dim")
    if cancelled or mark.cancelled:
        return Text(f"{SYMBOL[mark.status]} {t('st.' + mark.status)}", style="dim strike")
    label = mark_words(mark)
    if mark.note:
        label += " ✎"
    label += ("*" if mark.late else "") + ("′" if edits > 0 else "")
    return Text(label, style=STYLE[mark.status])


def mark_words(mark: Mark) -> str:
    """'✓ Närvarande 6 h', 'S Sjuk': the mark alone, without its flags (also what a changed mark was)."""
    label = f"{SYMBOL[mark.status]} {t('st.' + mark.status)}"
    if mark.status in ("present", "partial"):
        label += f" {num(mark.hours)} h"
    return label


def reason_word(codes: list[AbsenceCode], mark: Mark | None) -> str:
    """The absence reason in the user's language ('läkarbesök'), when it says more than the status does
    (not for the status's own default code); never the stored code unless the catalog lacks it."""
    if mark is None or not mark.reason_code or mark.reason_code == DEFAULT_REASON.get(mark.status):
        return ""
    label = next((c.label for c in codes if c.code == mark.reason_code), mark.reason_code)
    return label[:1].lower() + label[1:]


def fit_parts(parts: list[str], width: int, sep: str = " · ") -> str:
    """As many whole parts as fit in `width`, then `…` for the rest (each part is whole or left out, so
    none changes its meaning by being cut; the line under the roll call has them all)."""
    shown = ""
    for i, part in enumerate(parts):
        candidate = part if not shown else shown + sep + part
        more = i < len(parts) - 1
        if len(candidate) + (2 if more else 0) > width:
            return (shown + " …") if shown else "…"
        shown = candidate
    return shown


NO_SESSION = {"none": "–", "not_enrolled": "–", "cancelled": "⊘"}


def cell_symbol(mark: Mark | None, no_session: str = "", edits: int = 0) -> Text:
    """A week-grid cell: the mark's letter (`*` recorded late, `′` changed since), `·` a mark that belongs
    there but is missing, `–` no session for this person that day, `⊘` the session was cancelled (a mark
    kept from before is shown struck through)."""
    if mark is None:
        return Text(NO_SESSION[no_session], style="dim") if no_session else Text("·", style="bold")
    text = SYMBOL[mark.status]
    if mark.status == "partial":
        text += num(mark.hours)
    if mark.late:
        text += "*"
    if edits > 0:
        text += "′"
    if mark.cancelled or no_session == "cancelled":
        return Text(text, style="dim strike")
    return Text(text, style=STYLE[mark.status])


def short_name(name: str, width: int) -> str:
    """A session's name in one line of `width`: whole if it fits; else "grupp 2" becomes "g2" and the
    longest words lose their ends first, each kept to three letters and a full stop ("Arbetsträning second
    hand grupp 2 fm" → "Arb. second hand g2 fm"), so the words that tell sessions apart (group, fm/em)
    stay whole. Only a name that still does not fit ends in "…"."""
    if len(name) <= width:
        return name
    words = re.sub(r"\bgrupp (\d+)", r"g\1", name).split()
    while len(" ".join(words)) > width:
        excess = len(" ".join(words)) - width
        longest = max(range(len(words)), key=lambda i: len(words[i].rstrip(".")))
        letters = len(words[longest].rstrip("."))
        if letters <= 3:
            break
        words[longest] = words[longest][:max(3, letters - excess - 1)] + "."
    text = " ".join(words)
    return text if len(text) <= width else text[:width - 1] + "…"


def person_name(name: str, protected: bool, width: int | None = None) -> Text:
    """The name, and a protected person's tag after it. In a column `width` cells wide the name gives way
    ("Eriksson, Ab… [PROTECTED]"), never the tag: the column's own cut left "[PROTECTE"."""
    tag = f" [{t('protected')}]" if protected else ""
    if width is not None and tag and cell_len(name) + cell_len(tag) > width:
        room = max(1, width - cell_len(tag) - 1)
        while cell_len(name) > room:
            name = name[:-1]
        name = name.rstrip() + "…"
    text = Text(name)
    if tag:
        text.append(tag, style="bold magenta")
    return text


def add_columns(table, *spec: tuple[str, str, int | None]) -> None:  # noqa: ANN001
    """Columns from (key, catalog key of the label, width or None for the rest of the line)."""
    for key, label, width in spec:
        table.add_column(t(label), key=key, width=width)


@dataclass(frozen=True)
class Col:
    """A column that fits the screen: its natural width, the least it may shrink to (it wraps, never cuts),
    and when it goes if even that does not fit (0 never goes; the highest number goes first)."""

    key: str
    label: str  # catalog key
    width: int
    least: int | None = None
    drop: int = 0
    right: bool = False


def fit(cols: tuple[Col, ...] | list[Col], room: int, padding: int = 1) -> list[tuple[Col, int]]:
    """Which columns to show in `room` cells and how wide: shrinkable columns give way first (down to
    their least width, where their text wraps onto more lines), then droppable columns go, the highest
    `drop` first. Nothing is cut: a number keeps its whole width, a name wraps."""
    shown = list(cols)

    def widths(columns: list[Col]) -> list[int] | None:
        need = [c.width for c in columns]
        over = sum(need) + 2 * padding * len(columns) - room
        while over > 0:  # the shrinkable column with the most to give gives one cell
            candidates = [i for i, c in enumerate(columns) if c.least is not None and need[i] > c.least]
            if not candidates:
                return None
            i = max(candidates, key=lambda j: need[j] - (columns[j].least or 0))
            need[i] -= 1
            over -= 1
        return need

    while True:
        got = widths(shown)
        if got is not None:
            return list(zip(shown, got))
        droppable = [c for c in shown if c.drop]
        if not droppable:  # nothing left to drop: the least widths, the screen scrolls sideways
            return [(c, c.least if c.least is not None else c.width) for c in shown]
        shown.remove(max(droppable, key=lambda c: c.drop))


def row_height(table, keys: list[str], cells: list) -> int | None:  # noqa: ANN001
    """1 when every cell of the row fits its column on one line, else None (Textual measures the row by
    drawing it, which is what a list of a hundred people spent its first paint on). Same layout either way."""
    for key, cell in zip(keys, cells):
        text = cell.plain if isinstance(cell, Text) else str(cell)
        column = table.columns.get(key)
        if column is None or "\n" in text or cell_len(text) > column.width:
            return None
    return 1


def fit_table(table, cols: tuple[Col, ...] | list[Col], room: int | None = None) -> list[str]:  # noqa: ANN001
    """(Re)make `table`'s columns to fit its width (or `room`); returns the keys shown, for the rows.
    Rows should be added with height=None, so a shrunk column wraps instead of cutting."""
    room = room if room is not None else max(20, (table.size.width or table.app.size.width) - 2)  # scroll bar
    fitted = fit(cols, room, table.cell_padding)
    table.clear(columns=True)
    for col, width in fitted:
        label = Text(t(col.label), justify="right") if col.right else t(col.label)
        table.add_column(label, key=col.key, width=width)
    return [col.key for col, _ in fitted]
