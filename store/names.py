"""Name folding and the search index behind typo- and diacritic-tolerant lookup.

Names are folded (lower case, diacritics off: Östberg → ostberg, Müller → muller, Åsa → asa) and split
into tokens. Each distinct token also stores its one-deletion variants, so a query token finds every
name token within one edit through an index (a SymSpell-style lookup), never a scan of participants.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import Connection

_SPECIAL = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "þ": "th", "ı": "i"})
FUZZY_MIN = 4  # shorter tokens match exactly or by prefix only: one edit on "ek" is noise


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", (text or "").lower().translate(_SPECIAL))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold(text))


def deletes(token: str) -> set[str]:
    return {token[:i] + token[i + 1:] for i in range(len(token))}


def within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance ≤ 1 (one insert, delete, substitution or adjacent swap)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    return any(b[:i] + b[i + 1:] == a for i in range(len(b)))


def index_participant(conn: Connection, participant_id: str, first_name: str, last_name: str) -> None:
    """(Re)build one participant's name tokens; called in the same transaction as the name change."""
    conn.exec_driver_sql("DELETE FROM name_token WHERE participant_id = ?", (participant_id,))
    index_people(conn, [(participant_id, first_name, last_name)])


def index_people(conn: Connection, people: Iterable[tuple[str, str, str]]) -> None:
    """Add the name tokens of people who have none (id, first name, last name), in batches: the rule of
    index_participant for many at once (migration 17 indexes every person of an older database)."""
    rows: list[tuple[str, str]] = []
    vocabulary: set[str] = set()
    for participant_id, first_name, last_name in people:
        toks = set(tokens(f"{first_name} {last_name}"))
        rows.extend((t, participant_id) for t in toks)
        vocabulary |= toks
    rows.sort()  # in the index's order, each insert lands next to the last (100 000 people: 23 s, not 64 s)
    if rows:
        conn.exec_driver_sql("INSERT OR IGNORE INTO name_token (token, participant_id) VALUES (?, ?)", rows)
    if vocabulary:
        add_vocabulary(conn, sorted(vocabulary))


def add_vocabulary(conn: Connection, toks: Iterable[str]) -> None:
    toks = list(toks)
    conn.exec_driver_sql("INSERT OR IGNORE INTO name_vocab (token) VALUES (?)", [(t,) for t in toks])
    variants = [(t, t) for t in toks] + [(v, t) for t in toks if len(t) >= FUZZY_MIN for v in deletes(t)]
    conn.exec_driver_sql("INSERT OR IGNORE INTO token_variant (variant, token) VALUES (?, ?)", variants)


def prefix_upper(prefix: str) -> str:
    """The smallest string greater than every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
