"""Participants: register, edit, search, and the case card's data.

Keyed on an internal UUID; the personnummer/samordningsnummer is optional (new arrivals, protected
identity), unique when present and stored in its 12-digit form. Every change goes through the change log.
"""
from __future__ import annotations

import datetime as dt
import itertools
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row

from store import access, audit, changes, clock, identity, names, rows, tables, validate
from store.tx import run
from store.db import Database, Tx
from store.i18n import ArenaError, Key
from store.tables import WEEKDAYS

GENDERS = tables.ONE_OF["participant"]["gender"]
PLAN_COLS = tuple(f"plan_{d}" for d in WEEKDAYS)


@dataclass(frozen=True)
class Participant:
    id: str
    personnummer: str | None
    reserve_number: str | None
    first_name: str
    last_name: str
    gender: str
    birth_date: str | None
    protected: bool
    address: str
    phone: str
    referral_date: str
    caseworker_id: str | None
    caseworker_name: str | None
    site: str
    plan: tuple[float, float, float, float, float]
    status: str
    exit_date: str | None
    exit_outcome: str | None

    @property
    def name(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    @property
    def weekly_plan_hours(self) -> float:
        return sum(self.plan)

    def display_number(self) -> str:
        if not self.personnummer:
            return self.reserve_number or "—"
        return identity.shown(self.personnummer, self.protected)

    def age(self, today: dt.date | None = None) -> int | None:
        if not self.birth_date:
            return None
        born = dt.date.fromisoformat(self.birth_date)
        today = today or clock.today()
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    def days_in_programme(self, today: dt.date | None = None) -> int:
        end = dt.date.fromisoformat(self.exit_date) if self.exit_date else (today or clock.today())
        return (end - dt.date.fromisoformat(self.referral_date)).days


# The participant's own columns (store.tables, from store.models) that Participant carries by name.
_OWN = tuple(c for c in tables.COLUMNS["participant"] if c in Participant.__dataclass_fields__)
_SELECT = ("SELECT " + ", ".join(f"p.{c}" for c in _OWN + PLAN_COLS) + ", c.name AS caseworker_name"
           " FROM participant p LEFT JOIN caseworker c ON c.id = p.caseworker_id")


def _row(row: Row) -> Participant:
    named = row._mapping  # SQLAlchemy's public name for a row's columns by name
    values = {c: named[c] for c in _OWN}
    values["protected"] = bool(values["protected"])
    return Participant(**values, caseworker_name=named["caseworker_name"], plan=tuple(named[c] for c in PLAN_COLS))


def get(db: Database, login: str, participant_id: str) -> Participant:
    """One case, for a user who may read it (own caseload, or opened today with a reason)."""
    with db.read() as conn:
        access.require_case(conn, login, participant_id)
        return _get(conn, participant_id)


def _get(conn, participant_id: str) -> Participant:  # noqa: ANN001
    r = conn.exec_driver_sql(_SELECT + " WHERE p.id = ?", (participant_id,)).first()
    if r is None:
        raise ArenaError("err.not_found", what=participant_id)
    return _row(r)


def _get_many(conn, ids: list[str]) -> list[Participant]:  # noqa: ANN001
    """Several people in the order of `ids` (the caller has checked the user may read them)."""
    if not ids:
        return []
    cursor = run(conn, _SELECT + f" WHERE p.id IN ({', '.join('?' * len(ids))})", tuple(ids))
    # straight from the driver (each F2 search reads up to 50): every column found by its name once
    at = {d[0]: i for i, d in enumerate(cursor.description)}
    own, plan, cw = [at[c] for c in _OWN], [at[c] for c in PLAN_COLS], at["caseworker_name"]
    by_id = {}
    for r in cursor:
        values = dict(zip(_OWN, [r[i] for i in own]))
        values["protected"] = bool(values["protected"])
        by_id[values["id"]] = Participant(**values, caseworker_name=r[cw], plan=tuple(r[i] for i in plan))
    return [by_id[i] for i in ids if i in by_id]


def find_one(db: Database, login: str, text: str) -> str | None:
    """A participant's id from what a command line gives: the id, a reserve number or an identity number."""
    text = (text or "").strip()
    with db.read() as conn:
        access.require(conn, login, access.CASE_READ)
        found = conn.exec_driver_sql("SELECT id FROM participant WHERE id = ? OR reserve_number = ?",
                                     (text, text)).scalar()
        if found:
            return str(found)
        try:
            number = identity.parse(text)
        except ArenaError:
            return None  # neither an id, a reserve number nor an identity number: nobody
        found = conn.exec_driver_sql("SELECT id FROM participant WHERE personnummer = ?", (number.canonical,)).scalar()
    return str(found) if found else None


@dataclass
class NewParticipant:
    first_name: str
    last_name: str
    gender: str
    referral_date: str
    personnummer: str = ""
    caseworker_id: str | None = None
    plan: tuple[float, ...] = (8, 8, 8, 8, 8)
    protected: bool = False
    address: str = ""
    phone: str = ""
    site: str = ""
    reserve_number: str = ""


def clean(p: NewParticipant) -> dict:
    """A participant's fields validated as registration does (the referral import uses it too)."""
    return _clean(p)


def check_referral_date(value: str, before: str | None = None) -> None:
    """A referral date set or changed (`before`: the one stored) is never ahead of today: a referral is a
    decision made (a typed 2027 for 2026 would have the person referred, and the referral milestone
    achieved, a year ahead). One stored before this rule is left as it is when something else is edited."""
    if value != before and dt.date.fromisoformat(value) > clock.today():
        raise ArenaError("reg.referral_future", date=value)


def _clean(p: NewParticipant) -> dict:
    values: dict = {
        "first_name": validate.text(p.first_name, "first_name", max_len=80, required=True),
        "last_name": validate.text(p.last_name, "last_name", max_len=80, required=True),
        "address": validate.text(p.address, "address", max_len=200, multiline=True),
        "phone": validate.text(p.phone, "phone", max_len=40),
        "site": validate.text(p.site, "site", max_len=80),
        "reserve_number": validate.text(p.reserve_number, "reserve_number", max_len=40) or None,
        "protected": 1 if p.protected else 0,
        "caseworker_id": p.caseworker_id or None,
    }
    if not p.gender:
        raise ArenaError("err.required", field=Key("field.gender"))
    if p.gender not in GENDERS:
        raise ArenaError("err.bad_gender", value=str(p.gender)[:10])
    values["gender"] = p.gender
    values["referral_date"] = validate.date(p.referral_date).isoformat()
    if p.personnummer and p.personnummer.strip():
        number = identity.parse(p.personnummer)
        values["personnummer"] = number.canonical
        values["birth_date"] = number.birth_date.isoformat() if number.birth_date else None
    else:
        values["personnummer"] = None
        values["birth_date"] = None
    if len(p.plan) != 5:
        raise ArenaError("err.bad_number", value=str(p.plan))
    for col, hours in zip(PLAN_COLS, p.plan):
        hours = validate.number(hours)
        if not 0 <= hours <= 12:
            raise ArenaError("att.bad_hours", max=12)
        values[col] = hours
    return values


@dataclass(frozen=True)
class DuplicateHint:
    participant: Participant
    why: str  # "number", "name_birth", "similar_name_birth"


def probable_duplicates(db: Database, login: str, p: NewParticipant) -> list[DuplicateHint]:
    """'Menade du …?': same number; same name and birth date; similar name with the same birth date."""
    values = _clean(p)
    hints: list[DuplicateHint] = []
    seen: set[str] = set()
    with db.read() as conn:
        access.require(conn, login, access.CASE_WRITE)
        if values["personnummer"]:
            r = conn.exec_driver_sql(_SELECT + " WHERE p.personnummer = ?", (values["personnummer"],)).first()
            if r:
                hints.append(DuplicateHint(_row(r), "number"))
                seen.add(r.id)
        if values["birth_date"]:
            wanted = names.tokens(f"{values['first_name']} {values['last_name']}")
            rows = conn.exec_driver_sql(_SELECT + " WHERE p.birth_date = ?", (values["birth_date"],)).all()
            for r in rows:
                if r.id in seen:
                    continue
                have = names.tokens(f"{r.first_name} {r.last_name}")
                if sorted(have) == sorted(wanted):
                    hints.append(DuplicateHint(_row(r), "name_birth"))
                elif all(any(names.within_one_edit(w, h) for h in have) for w in wanted):
                    hints.append(DuplicateHint(_row(r), "similar_name_birth"))
    return hints


def register(db: Database, login: str, p: NewParticipant, *, duplicate_override: bool = False) -> str:
    """Create a participant (and the 'anvisning' milestone); return the internal id."""
    values = _clean(p)
    check_referral_date(values["referral_date"])
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        pid = register_in(tx, values)
        if duplicate_override:
            audit.record(tx, "create_despite_duplicate", pid, detail="probable duplicate shown and overridden")
    return pid


def registered_name(p: NewParticipant) -> str:
    """The name `register` stores for `p`, cleaned as it cleans it, as `Participant.name` shows it: the
    new person's name on screen before the case is read."""
    values = _clean(p)
    return f"{values['last_name']}, {values['first_name']}"


def register_in(tx: Tx, values: dict) -> str:
    """Insert a cleaned participant and its 'anvisning' milestone inside an open transaction."""
    if values["personnummer"]:
        taken = tx.conn.exec_driver_sql("SELECT 1 FROM participant WHERE personnummer = ?",
                                        (values["personnummer"],)).first()
        if taken:
            raise ArenaError("id.duplicate", value=values["personnummer"])
    if values["reserve_number"] and tx.conn.exec_driver_sql(
            "SELECT 1 FROM participant WHERE reserve_number = ?", (values["reserve_number"],)).first():
        raise ArenaError("id.reserve_taken", value=values["reserve_number"])
    values = {**values, "created_at": clock.now().isoformat(), "status": "active"}
    pid = changes.insert(tx, "participant", values)
    names.index_participant(tx.conn, pid, values["first_name"], values["last_name"])
    changes.insert(tx, "milestone", {
        "participant_id": pid, "stage_code": "anvisning", "status": "achieved",
        "planned_date": values["referral_date"], "achieved_date": values["referral_date"],
        "caseworker_id": values["caseworker_id"], "note": "", "period": 1,
        "updated_at": clock.now().isoformat()})
    return pid


EDITABLE = ("first_name", "last_name", "gender", "address", "phone", "caseworker_id", "site", "protected",
            "referral_date", "reserve_number", *PLAN_COLS)


def update(db: Database, login: str, participant_id: str, **fields: Any) -> dict:
    """Edit a participant's details; validated like registration; returns {field: [old, new]}."""
    unknown = set(fields) - set(EDITABLE) - {"personnummer"}
    if unknown:
        raise ArenaError("cli.bad_usage", detail=", ".join(sorted(unknown)))
    with db.read() as conn:
        current = _get(conn, participant_id)
    merged = NewParticipant(
        first_name=fields.get("first_name", current.first_name), last_name=fields.get("last_name", current.last_name),
        gender=fields.get("gender", current.gender), referral_date=fields.get("referral_date", current.referral_date),
        personnummer=fields.get("personnummer", current.personnummer or ""),
        caseworker_id=fields.get("caseworker_id", current.caseworker_id),
        plan=tuple(fields.get(c, current.plan[i]) for i, c in enumerate(PLAN_COLS)),
        protected=bool(fields.get("protected", current.protected)), address=fields.get("address", current.address),
        phone=fields.get("phone", current.phone), site=fields.get("site", current.site),
        reserve_number=fields.get("reserve_number", current.reserve_number or ""))
    values = _clean(merged)
    check_referral_date(values["referral_date"], current.referral_date)
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        if values["personnummer"] and values["personnummer"] != current.personnummer:
            taken = tx.conn.exec_driver_sql("SELECT 1 FROM participant WHERE personnummer = ? AND id != ?",
                                            (values["personnummer"], participant_id)).first()
            if taken:
                raise ArenaError("id.duplicate", value=values["personnummer"])
        if values["reserve_number"] and values["reserve_number"] != current.reserve_number and tx.conn.exec_driver_sql(
                "SELECT 1 FROM participant WHERE reserve_number = ? AND id != ?",
                (values["reserve_number"], participant_id)).first():
            raise ArenaError("id.reserve_taken", value=values["reserve_number"])
        changed = changes.upsert(tx, "participant", participant_id, values)
        keep_plan_in(tx, participant_id, changed)
        if "first_name" in changed or "last_name" in changed:
            names.index_participant(tx.conn, participant_id, values["first_name"], values["last_name"])
    return changed


def keep_plan_in(tx: Tx, participant_id: str, changed: dict[str, list[Any]]) -> str | None:
    """After a write to the person's row ({field: [old, new]}): if the weekly plan changed, the plan in
    force until now is kept as a period ending yesterday, so the days before the change keep their
    planned hours (the närvarorapport of a month already paid from says what it said) and the new plan
    is in force from today (store.clock). A second change the same day keeps the period already written
    (the plan before today is the one in force then). A change on the day the person was registered, before
    any day was marked, corrects the plan they were registered with: it was never in force on a day a report
    counts, so the new plan holds from the referral date and no period is kept. Returns the period's id when
    one was written."""
    if not any(col in changed for col in PLAN_COLS):
        return None
    today = clock.today().isoformat()
    created = run(tx.conn, "SELECT created_at FROM participant WHERE id = ?", (participant_id,)).fetchone()
    if created and (created[0] or "")[:10] == today and not run(
            tx.conn, "SELECT 1 FROM attendance WHERE participant_id = ? AND date < ? LIMIT 1",
            (participant_id, today)).fetchone():
        return None
    until = (clock.today() - dt.timedelta(days=1)).isoformat()
    period_id = changes.natural_id("plan_period", participant_id, until)
    if run(tx.conn, "SELECT 1 FROM plan_period WHERE id = ?", (period_id,)).fetchone():
        return None
    new = run(tx.conn, f"SELECT {', '.join(PLAN_COLS)} FROM participant WHERE id = ?", (participant_id,)).fetchone()
    before = {col: changed[col][0] if col in changed else new[i] for i, col in enumerate(PLAN_COLS)}
    changes.upsert(tx, "plan_period", period_id, {"participant_id": participant_id, "valid_until": until, **before},
                   absent=True)
    return period_id


# ----------------------------------------------------------------------------------------------- search

@dataclass(frozen=True)
class SearchHit:
    participant: Participant
    score: int
    matched_on: str  # personnummer | samordningsnummer | nummerprefix | namn | namnprefix | likt namn
    stage: str | None


RANK = {"exact": 3, "prefix": 2, "fuzzy": 1}
MATCH_NAME = {3: "namn", 2: "namnprefix", 1: "likt namn"}


def _name_candidates(conn, q: str) -> dict[str, int]:  # noqa: ANN001
    """Vocabulary tokens a query token may mean, with the best match level for each."""
    found: dict[str, int] = {}
    if len(q) >= 2:
        for (tok,) in run(conn, "SELECT token FROM name_vocab WHERE token >= ? AND token < ? LIMIT 300",
                          (q, names.prefix_upper(q))):
            found[tok] = RANK["prefix"]
    if q in found or run(conn, "SELECT 1 FROM name_vocab WHERE token = ?", (q,)).fetchone():
        found[q] = RANK["exact"]
    if len(q) >= names.FUZZY_MIN:
        variants = [q, *names.deletes(q)]
        rows = run(conn, f"SELECT DISTINCT token FROM token_variant WHERE variant IN ({', '.join('?' * len(variants))})",
                   tuple(variants))
        for (tok,) in rows:
            if tok not in found and names.within_one_edit(q, tok):
                found[tok] = RANK["fuzzy"]
    return found


def _stage_labels(conn, ids: list[str], lang: str) -> dict[str, str]:  # noqa: ANN001
    """Each person's furthest stage of their latest period (one seek per person)."""
    if not ids:
        return {}
    return {pid: label for pid, label in run(conn, stage_sql(len(ids), lang), tuple(ids)) if label is not None}


def stage_sql(n: int, lang: str) -> str:
    """The furthest stages of `n` people, each read by a seek in the milestone index alone (migration 16),
    stopped at the first row in the stages' order (a window over all their rows cost twice as much)."""
    label = "label_sv" if lang == "sv" else "label_en"
    return (f"SELECT p.id, (SELECT s.{label} FROM milestone m JOIN milestone_stage s ON s.code = m.stage_code"
            "  WHERE m.participant_id = p.id AND m.status IN ('started', 'achieved')"
            "  ORDER BY m.period DESC, s.sort DESC, coalesce(m.achieved_date, m.planned_date) DESC LIMIT 1)"
            f" FROM participant p WHERE p.id IN ({', '.join('?' * n)})")


_RESERVE = re.compile(r"^[A-Za-z]{1,6}[- ]?\d{1,10}$")

# Among equally good matches one's own caseload first, then by name: the order of every hit list.
_HIT_ORDER = "p.caseworker_id IS NOT ?, p.last_name, p.first_name, p.id"


def search(db: Database, query: str, *, login: str, limit: int = 50, lang: str = "sv") -> list[SearchHit]:
    """Ranked: exact number > exact name > prefix > fuzzy; among equals one's own caseload first. Uses
    indexes only; the ranking and the cut to `limit` happen in SQLite, so only the people shown are read."""
    query = (query or "").strip()[:100]
    with db.read() as conn:
        me = access.require(conn, login, access.CASE_READ).id
        if not query:
            return []
        ranked = _by_number(conn, query, me, limit)
        if not ranked and not identity.looks_like_number(query):
            ranked = _by_name(conn, query, me, limit)
        ids = [pid for pid, _, _ in ranked]
        stages = _stage_labels(conn, ids, lang)
        people = {p.id: p for p in _get_many(conn, ids)}
    return [SearchHit(people[pid], score, why, stages.get(pid)) for pid, score, why in ranked if pid in people]


def _by_number(conn, query: str, me: str, limit: int) -> list[tuple[str, int, str]]:  # noqa: ANN001
    """An identity number in any common form (whole, 10 digits, a prefix), or a reserve number."""
    scored: dict[str, tuple[int, str]] = {}
    if identity.looks_like_number(query):
        digits = identity.digits_of(query)
        try:
            number = identity.parse(query)
        except identity.IdentityNumberError:
            number = None
        if number:
            for (pid,) in run(conn, "SELECT id FROM participant WHERE personnummer = ?", (number.canonical,)):
                scored[pid] = (1000, "samordningsnummer" if number.coordination else "personnummer")
        if len(digits) <= 10:
            for (pid,) in run(conn, "SELECT id FROM participant WHERE pnr10 >= ? AND pnr10 < ? LIMIT ?",
                              (digits, names.prefix_upper(digits), limit)):
                scored.setdefault(pid, (600, "nummerprefix"))
        if len(digits) >= 8 and digits[:2] in ("19", "20"):
            for (pid,) in run(conn, "SELECT id FROM participant WHERE personnummer >= ? AND personnummer < ? LIMIT ?",
                              (digits, names.prefix_upper(digits), limit)):
                scored.setdefault(pid, (600, "nummerprefix"))
        for (pid,) in run(conn, "SELECT id FROM participant WHERE reserve_number = ?", (query,)):
            scored.setdefault(pid, (900, "reservnummer"))
    elif _RESERVE.match(query):
        # a reserve number as shown ("RES-000006"): few people have one, the scan stays small
        for (pid,) in run(conn, "SELECT id FROM participant WHERE reserve_number IS NOT NULL"
                          " AND upper(replace(replace(reserve_number, ' ', ''), '-', '')) = ?",
                          (re.sub(r"[\s-]", "", query).upper(),)):
            scored[pid] = (900, "reservnummer")
    if not scored:
        return []
    order = run(conn, f"SELECT p.id FROM participant p WHERE p.id IN ({', '.join('?' * len(scored))})"
                f" ORDER BY {_HIT_ORDER}", (*scored, me)).fetchall()
    ranked = sorted(((pid, *scored[pid]) for (pid,) in order), key=lambda hit: -hit[1])  # stable: keeps the order
    return ranked[:limit]


first = operator.itemgetter(0)  # a row's first column


def _by_name(conn, query: str, me: str, limit: int) -> list[tuple[str, int, str]]:  # noqa: ANN001
    """Every query token must match one of the person's name tokens exactly, as a prefix or within one
    edit; a person scores by the worst of their tokens' matches, then by the sum; among equals one's own
    caseload first, then by name (the name index's sort_name, migration 15).

    Several tokens: the people of each are read from the name index as ranges of ids, the fewest first,
    and kept while every token has them (a token with many more people than are left is checked by a
    seek on the few tokens of each person left instead); only the people shown are read from the
    participant table (_get_many). A probe per person of the first token in SQL cost tens of
    milliseconds at 100 000 people (most of a two-word search's time); ranges read whole cost a few.
    A one-letter token beside longer ones is an initial ("Ebba H"): the people the others find, kept when
    a name of theirs starts with it."""
    qtokens = list(dict.fromkeys(names.tokens(query)))[:5]
    initials = [q for q in qtokens if len(q) == 1]
    words = [q for q in qtokens if len(q) > 1]
    if initials and words:  # "Ebba H", "Berg A": a name and the other name's initial
        ranked = _by_words(conn, words, me, None)
        keep = _with_initials(conn, [pid for pid, _, _ in ranked], initials)
        return [hit for hit in ranked if hit[0] in keep][:limit]
    return _by_words(conn, qtokens, me, limit)


def _with_initials(conn, ids: list[str], initials: list[str]) -> set[str]:  # noqa: ANN001
    """Those of `ids` with a name token starting with each of `initials` (one seek per person)."""
    tokens_of: dict[str, list[str]] = {}
    for pid, tok in _tokens_of(conn, ids):
        tokens_of.setdefault(pid, []).append(tok)
    return {pid for pid, toks in tokens_of.items() if all(any(t.startswith(i) for t in toks) for i in initials)}


def _tokens_of(conn, ids: list[str]) -> Iterator[tuple[str, str]]:  # noqa: ANN001
    """(participant, name token) of each of `ids`, from the participant's side of the name index."""
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        yield from run(conn, "SELECT participant_id, token FROM name_token WHERE participant_id IN"
                             f" ({', '.join('?' * len(chunk))})", tuple(chunk))


def _by_words(conn, qtokens: list[str], me: str, limit: int | None) -> list[tuple[str, int, str]]:  # noqa: ANN001
    """`_by_name` for its query's tokens (`limit` None: every match)."""
    per_token = [_name_candidates(conn, q) for q in qtokens]
    if not qtokens or not all(per_token):
        return []
    if len(qtokens) == 1:
        return _by_one_name(conn, per_token[0], me, limit)
    sizes = [run(conn, f"SELECT count(*) FROM name_token WHERE token IN ({', '.join('?' * len(c))})",
                 tuple(c)).fetchone()[0] for c in per_token]
    order = sorted(range(len(qtokens)), key=lambda qi: sizes[qi])
    sort_names: dict[str, str | None] = {}
    levels: list[dict[str, int]] = [{} for _ in qtokens]
    for level in (1, 2, 3):  # the first token's people, a better level overwriting a worse one
        toks = [tok for tok, lv in per_token[order[0]].items() if lv == level]
        if toks:
            found = dict(run(conn, "SELECT participant_id, sort_name FROM name_token"
                                   f" WHERE token IN ({', '.join('?' * len(toks))})", tuple(toks)).fetchall())
            sort_names.update(found)
            levels[order[0]].update(dict.fromkeys(found, level))
    left = set(sort_names)
    for qi in order[1:]:
        cands = per_token[qi]
        if sizes[qi] <= 8 * len(left):  # its range of the index is short enough: read it whole
            for level in (1, 2, 3):
                toks = [tok for tok, lv in cands.items() if lv == level]
                if toks:  # (each id taken from its row by C code: thousands of rows for a common name)
                    levels[qi].update(dict.fromkeys(map(first, run(
                        conn, f"SELECT participant_id FROM name_token WHERE token IN ({', '.join('?' * len(toks))})",
                        tuple(toks))), level))
        else:  # far fewer people are left: their own few tokens (the participant's index)
            for pid, tok in _tokens_of(conn, list(left)):
                level = cands.get(tok, 0)
                if level > levels[qi].get(pid, 0):
                    levels[qi][pid] = level
        left &= levels[qi].keys()
        if not left:
            return []
    own = _own_among(conn, list(left), me)
    ranked = []
    for pid in left:
        mine = [levels[qi][pid] for qi in range(len(qtokens))]
        score = {3: 800, 2: 500}.get(min(mine), 200) + 10 * sum(mine)
        sort_name = sort_names[pid]
        ranked.append((-score, pid not in own, sort_name is not None, sort_name or "", pid, score, min(mine)))
    ranked.sort()
    return [(pid, score, MATCH_NAME[worst]) for *_, pid, score, worst in ranked[:limit]]


def _own_among(conn, ids: list[str], me: str) -> set[str]:  # noqa: ANN001
    """Those of `ids` in the caseload of caseworker `me`."""
    own: set[str] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        own.update(pid for (pid,) in run(conn, f"SELECT id FROM participant WHERE id IN ({', '.join('?' * len(chunk))})"
                                          " AND caseworker_id = ?", (*chunk, me)))
    return own


def _by_one_name(conn, cands: dict[str, int], me: str, limit: int | None) -> list[tuple[str, int, str]]:  # noqa: ANN001
    """One query token: the exact matches, then the prefixes, then the typos; in each, one's own caseload
    first, then by name – read in that order from the name index and stopped once `limit` are found."""
    ranked: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    for level in (3, 2, 1):
        toks = [tok for tok, lv in cands.items() if lv == level]
        if not toks:
            continue
        marks = ", ".join("?" * len(toks))
        # one's own caseload (tens of people) is read first and each person's tokens looked up
        own = [pid for (pid,) in run(conn, "SELECT nt.participant_id FROM participant p CROSS JOIN name_token nt"
                                     f" ON nt.participant_id = p.id AND nt.token IN ({marks})"
                                     " WHERE p.caseworker_id = ? ORDER BY nt.sort_name, nt.participant_id", (*toks, me))]
        # the rest in the index's order, read only as far as needed (a cursor yields row by row)
        others = (pid for (pid,) in run(conn, f"SELECT participant_id FROM name_token WHERE token IN ({marks})"
                                        " ORDER BY sort_name, participant_id", tuple(toks)))
        score = {3: 800, 2: 500, 1: 200}[level] + 10 * level
        for pid in itertools.chain(own, others):
            if pid not in seen:
                seen.add(pid)
                ranked.append((pid, score, MATCH_NAME[level]))
                if len(ranked) == limit:
                    return ranked
    return ranked


def in_caseload(db: Database, login: str, participant_id: str) -> bool:
    with db.read() as conn:
        return conn.exec_driver_sql(
            "SELECT 1 FROM participant p JOIN caseworker c ON c.id = p.caseworker_id"
            " WHERE p.id = ? AND c.login = ?", (participant_id, login)).first() is not None


def open_case(db: Database, login: str, participant_id: str, reason: str = "") -> Participant:
    """Read a case for display: outside one's own caseload a reason is required; always audited."""
    reason = validate.text(reason, "reason", max_len=300)
    with db.read() as conn:
        access.require(conn, login, access.CASE_READ)
    own = in_caseload(db, login, participant_id)
    if not own and not reason:
        raise ArenaError("acc.reason_required")
    if not own:
        reason = access.check_reason(reason)
    with db.read() as conn:
        participant = _get(conn, participant_id)
    audit.write(db, login, "view", participant_id, reason=reason, detail="" if own else "outside caseload")
    return participant


def enrolments(db: Database, login: str, participant_id: str, day: dt.date | None = None) -> list[str]:
    """Names of the activities the person is enrolled in on `day` (default today)."""
    iso = (day or clock.today()).isoformat()
    with db.read() as conn:
        access.require_case(conn, login, participant_id)
        return [name for (name,) in conn.exec_driver_sql(
            "SELECT a.name || CASE s.name WHEN '' THEN '' ELSE ' ' || s.name END FROM enrolment e"
            " JOIN activity a ON a.id = e.activity_id JOIN activity_session s ON s.id = e.session_id"
            " WHERE e.participant_id = ?"
            " AND e.start_date <= ? AND (e.end_date IS NULL OR e.end_date >= ?) ORDER BY a.name",
            (participant_id, iso, iso))]


# ---------------------------------------------------------------------------------------------- notes

@dataclass(frozen=True)
class Note:
    id: str
    created_at: str
    author_login: str
    text: str
    refers_to: str | None


def add_note(db: Database, login: str, participant_id: str, text: str, refers_to: str | None = None) -> str:
    body = validate.text(text, "note", max_len=4000, required=True, multiline=True)
    with db.write(login) as tx:
        access.require(tx.conn, login, access.CASE_WRITE)
        return add_note_in(tx, participant_id, body, refers_to)


def add_note_in(tx: Tx, participant_id: str, text: str, refers_to: str | None = None) -> str:
    return changes.insert(tx, "note", {"participant_id": participant_id, "author_login": tx.login,
                                       "created_at": clock.now().isoformat(), "text": text,
                                       "refers_to": refers_to})


def notes(db: Database, login: str, participant_id: str) -> list[Note]:
    with db.read() as conn:
        access.require_case(conn, login, participant_id)
        return [rows.named(Note, r) for r in conn.exec_driver_sql(
            f"SELECT {rows.columns(Note)} FROM note WHERE participant_id = ?"
            " ORDER BY created_at DESC, id", (participant_id,))]


@dataclass(frozen=True)
class HistoryEntry:
    at: str
    by: str
    table: str
    kind: str
    changes: dict = field(default_factory=dict)
    created: bool = False  # the row's first entry: it was made here, not changed


def history(db: Database, login: str, participant_id: str, limit: int = 500) -> list[HistoryEntry]:
    """The case's change log: the person's own row and the rows that belong to the person. For a person
    with protected identity the number, address and phone are masked here, in the store, for everyone
    but the responsible caseworker and administrators."""
    import json

    with db.read() as conn:
        user = access.require_case(conn, login, participant_id)
        hide = not access.sees_protected(conn, user, participant_id) and bool(conn.exec_driver_sql(
            "SELECT protected FROM participant WHERE id = ?", (participant_id,)).scalar())
        found = conn.exec_driver_sql(
            "SELECT at, by, tbl, kind, changes, seq, row_id FROM change_log WHERE tbl = 'participant' AND row_id = ?1"
            " UNION ALL SELECT cl.at, cl.by, cl.tbl, cl.kind, cl.changes, cl.seq, cl.row_id FROM change_log cl"
            "  WHERE cl.tbl IN ('milestone', 'note', 'enrolment', 'attendance') AND cl.row_id IN ("
            "   SELECT id FROM milestone WHERE participant_id = ?1 UNION ALL"
            "   SELECT id FROM note WHERE participant_id = ?1 UNION ALL"
            "   SELECT id FROM enrolment WHERE participant_id = ?1 UNION ALL"
            "   SELECT id FROM attendance WHERE participant_id = ?1)"
            " ORDER BY 1 DESC, 6 DESC LIMIT ?2",
            (participant_id, limit)).all()
        # the first entry of a row is its creation (the earliest by time, then by this file's order)
        first = {(r.tbl, r.row_id): r.seq for r in conn.exec_driver_sql(
            "SELECT tbl, row_id, seq FROM (SELECT tbl, row_id, seq, row_number() OVER (PARTITION BY tbl, row_id"
            " ORDER BY at, seq) AS n FROM change_log WHERE (tbl, row_id) IN (SELECT json_extract(value, '$[0]'),"
            " json_extract(value, '$[1]') FROM json_each(?))) WHERE n = 1", (json.dumps(sorted({(r.tbl, r.row_id) for r in found})),))}
        read = [(r, _named_ids(conn, json.loads(r.changes))) for r in found]
    return [rows.named(HistoryEntry, r, table=r.tbl, changes=redact_protected(values) if hide else values,
                       created=first.get((r.tbl, r.row_id)) == r.seq and r.kind == "upsert")
            for r, values in read]


# a change-log field that holds another row's id, and how that row is named in the History tab
_ID_NAMES = {
    "activity_id": "SELECT name FROM activity WHERE id = ?",
    "session_id": "SELECT a.name || CASE s.name WHEN '' THEN '' ELSE ' ' || s.name END FROM activity_session s"
                  " JOIN activity a ON a.id = s.activity_id WHERE s.id = ?",
    "caseworker_id": "SELECT name FROM caseworker WHERE id = ?",
    "leader_id": "SELECT name FROM caseworker WHERE id = ?",
    "participant_id": "SELECT last_name || ', ' || first_name FROM participant WHERE id = ?",
    "refers_to": "SELECT replace(substr(created_at, 1, 16), 'T', ' ') FROM note WHERE id = ?",
}


def _named_ids(conn: Any, values: dict) -> dict:  # noqa: ANN401 -- a connection
    """A change's old/new pairs with the ids of activities, sessions, staff and notes replaced by what a
    caseworker knows them by (a row that no longer exists keeps its id)."""
    def name(field_name: str, value: object) -> object:
        if not value or not isinstance(value, str):
            return value
        found = conn.exec_driver_sql(_ID_NAMES[field_name], (value,)).scalar()
        return value if found is None else str(found)

    out = dict(values)
    for field_name in _ID_NAMES.keys() & values.keys():
        value = values[field_name]
        out[field_name] = [name(field_name, v) for v in value] if isinstance(value, list) else name(field_name, value)
    return out


PROTECTED_FIELDS = ("personnummer", "pnr10", "address", "phone", "reserve_number", "birth_date")
HIDDEN = "•••"


def redact_protected(values: dict) -> dict:
    """A participant row's fields (or change-log old/new pairs) with what reveals a protected identity
    hidden: the number masked like on the card, address, phone and birth date not at all."""
    def hide(field: str, value: object) -> object:
        if value in (None, ""):
            return value
        if field == "personnummer":
            try:
                return identity.shown(str(value), True)
            except identity.IdentityNumberError:
                return HIDDEN
        return HIDDEN

    out = {}
    for field_name, value in values.items():
        if field_name not in PROTECTED_FIELDS:
            out[field_name] = value
        elif isinstance(value, list):
            out[field_name] = [hide(field_name, v) for v in value]
        else:
            out[field_name] = hide(field_name, value)
    return out
