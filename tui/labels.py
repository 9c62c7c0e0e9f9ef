"""How marks, statuses and people read on screen (shared by the roll call, week grid and case card)."""
from __future__ import annotations

from rich.text import Text

from store.attendance import Mark
from store.i18n import num, t

SYMBOL = {"present": "✓", "partial": "◐", "sick": "S", "vab": "B", "excused": "G", "unexcused": "O"}
STYLE = {"present": "green", "partial": "yellow", "sick": "cyan", "vab": "cyan", "excused": "blue",
         "unexcused": "bold red"}


def mark_text(mark: Mark | None, cancelled: bool = False) -> Text:
    """A mark as a word; one of a cancelled session is kept, shown struck through and dim."""
    if mark is None:
        return Text(t("st.none"), style="dim")
    if cancelled or mark.cancelled:
        return Text(f"{SYMBOL[mark.status]} {t('st.' + mark.status)}", style="dim strike")
    label = f"{SYMBOL[mark.status]} {t('st.' + mark.status)}"
    if mark.status in ("present", "partial"):
        label += f" {num(mark.hours)} h"
    elif mark.reason_code and mark.status == "excused":
        label += f" ({mark.reason_code.lower()})"
    if mark.note:
        label += " ✎"
    return Text(label, style=STYLE[mark.status])


def cell_symbol(mark: Mark | None) -> Text:
    if mark is None:
        return Text("·", style="dim")
    text = SYMBOL[mark.status]
    if mark.status == "partial":
        text += num(mark.hours)
    return Text(text, style=STYLE[mark.status])


def person_name(name: str, protected: bool) -> Text:
    text = Text(name)
    if protected:
        text.append(f" [{t('protected')}]", style="bold magenta")
    return text


def add_columns(table, *spec: tuple[str, str, int | None]) -> None:  # noqa: ANN001
    """Columns from (key, catalog key of the label, width or None for the rest of the line)."""
    for key, label, width in spec:
        table.add_column(t(label), key=key, width=width)
