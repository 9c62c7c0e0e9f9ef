"""The referral import (`arena import participants FILE`): the list of people referred to the programme,
as CSV or XLSX with Swedish or English headers, read through `store.tabular`.

A row is matched to a person by identity number, else by reserve number (a row with neither is refused:
a case must be findable again); a row whose two numbers belong to two people is refused. A new person is
registered as by Ctrl+N (with the 'anvisning' milestone); a known one is updated field by field through
the change log – only from the columns the file has and the cells it fills, so a partial list never wipes
what is stored – so importing the same file twice changes nothing and a changed row is one logged
update, never a duplicate. One person on rows that disagree is refused on every such line. Optional
`activity` and `session` columns enrol the person (from `enrol_from`, default the referral date); another
session of an activity the person is in moves the enrolment. Every refused row is reported with its line
and reason; `all_or_nothing` keeps nothing when any row is refused. The rows are checked and written by
`store.bulk` (a staging file, short chunks of transactions), so a big list never locks the workstation.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from store import access, activities, cases, changes, identity, names, tabular, validate
from store.attendance import ImportReport
from store.db import Database, Tx
from store.i18n import ArenaError, Key, Message

if TYPE_CHECKING:
    from store.bulk import Untouched

SPEC: dict[str, tuple[str, ...]] = {
    "personnummer": ("samordningsnummer", "personal_number", "person_number", "pnr"),
    "reserve_number": ("reservnummer", "reserv_nr"),
    "first_name": ("förnamn", "fornamn"),
    "last_name": ("efternamn",),
    "gender": ("kön", "kon", "sex"),
    "referral_date": ("anvisningsdatum", "anvisad", "referral"),
    "caseworker": ("handläggare", "handlaggare", "caseworker_login"),
    "site": ("enhet", "plats", "ort"),
    "plan": ("veckoplan", "weekly_plan", "timmar_per_dag"),
    "phone": ("telefon",),
    "address": ("adress",),
    "protected": ("skyddad", "skyddad_identitet"),
    "activity": ("aktivitet",),
    "session": ("pass",),
    "enrol_from": ("inskriven_från", "inskriven_fran", "från", "fran", "start"),
    "enrol_reason": ("anledning", "skäl", "skal", "capacity_reason"),
}
REQUIRED = ("first_name", "last_name", "gender", "referral_date")
GENDER = {"k": "K", "kvinna": "K", "f": "K", "female": "K", "woman": "K", "m": "M", "man": "M", "male": "M",
          "x": "X", "annat": "X", "other": "X"}
YES = {"1", "ja", "j", "yes", "y", "x", "true"}


def _plan(text: str) -> tuple[float, ...]:
    """'8' (every weekday) or five values '6 6 6 6 4' / '6;6;6;6;4'; empty: full time."""
    text = (text or "").strip()
    if not text:
        return (8.0,) * 5
    parts = text.replace(";", " ").replace("/", " ").split()
    if len(parts) == 1:
        return (tabular.decimal(parts[0]),) * 5
    if len(parts) != 5:
        raise ArenaError("reg.bad_plan")
    return tuple(tabular.decimal(p) for p in parts)


def import_file(db: Database, login: str, path: str | Path, *, all_or_nothing: bool = False,
                progress: Callable[[str, int, int], None] | None = None) -> ImportReport:
    """Rows are read from the file as they are needed, never all at once: a first pass keeps only a
    digest per line to find one person on rows that disagree; then `store.bulk` checks the rows on short
    read transactions into a staging file and writes them in short chunks (the workstation goes on
    meanwhile; all-or-nothing undoes written chunks through the change log)."""
    from store import bulk

    with tabular.read(path) as table:
        cols = tabular.columns(table.header, SPEC, REQUIRED, str(path))
        twice, seen = _same_person_twice(
            (r.line, {key: r.get(name).strip() for key, name in cols.items()}) for r in table.rows())
    if not seen:
        raise ArenaError("imp.no_rows", path=str(path))
    with db.read() as conn:
        acting = access.require(conn, login, access.CASE_WRITE)
        logins = {r.login: r.id for r in conn.exec_driver_sql("SELECT login, id FROM caseworker")}
        known_activities = activities.names_to_ids(conn)

    def values_of(row: dict) -> dict:
        gender = GENDER.get(row.get("gender", "").casefold())
        if gender is None:
            if row.get("gender", ""):
                raise ArenaError("err.bad_gender", value=row["gender"][:10])
            raise ArenaError("err.required", field=Key("field.gender"))
        caseworker = row.get("caseworker", "")
        if caseworker and caseworker not in logins:
            raise ArenaError("acc.unknown_login", login=caseworker[:64])
        person = cases.NewParticipant(
            first_name=row.get("first_name", ""), last_name=row.get("last_name", ""), gender=gender,
            referral_date=row.get("referral_date", ""), personnummer=row.get("personnummer", ""),
            caseworker_id=logins.get(caseworker) if caseworker else None, plan=_plan(row.get("plan", "")),
            protected=row.get("protected", "").casefold() in YES, address=row.get("address", ""),
            phone=row.get("phone", ""), site=row.get("site", ""), reserve_number=row.get("reserve_number", ""))
        values = cases.clean(person)
        if not values["personnummer"] and not values["reserve_number"]:
            raise ArenaError("imp.no_number")
        _check_plus(row.get("personnummer", ""), values)
        return values

    def enrolment_of(tx: Tx, row: dict, values: dict) -> tuple[str, str, dt.date, str] | None:
        activity = row.get("activity", "")
        if not activity:
            return None
        aid = activities.activity_id_in(known_activities, activity)
        start = validate.date(row.get("enrol_from") or values["referral_date"])
        reason = validate.text(row.get("enrol_reason", ""), "reason", max_len=200)
        return aid, activities.find_session(tx.conn, aid, row.get("session") or None, start), start, reason

    def check(tx: Tx, row: dict) -> dict:
        """Every rule a row can break, on a read transaction (no write lock); the row is staged as read."""
        values = values_of(row)
        found = _match(tx, values["personnummer"], values["reserve_number"])
        if found is not None and acting.role != "admin":  # an update is a write to that case
            access.require_case(tx.conn, login, found, access.CASE_WRITE)
        cases.check_referral_date(values["referral_date"], None if found is None else tx.conn.exec_driver_sql(
            "SELECT referral_date FROM participant WHERE id = ?", (found,)).scalar())
        enrolment_of(tx, row, values)
        return row

    def write(tx: Tx, row: dict) -> tuple[bool, dict]:
        """The row again through the same rules (the database may have changed since the check), then
        written; returns what undoes it: the person's fields before, or that the person is new, and the
        activity's enrolments before."""
        values = values_of(row)
        found = _match(tx, values["personnummer"], values["reserve_number"])
        enrolment = enrolment_of(tx, row, values)
        undo: dict = {"pid": found, "new": found is None, "before": {}, "aid": None, "enrolments": []}
        if enrolment is not None:
            undo["aid"] = enrolment[0]
            undo["enrolments"] = [dict(r._mapping) for r in tx.conn.exec_driver_sql(
                "SELECT * FROM enrolment WHERE participant_id = ? AND activity_id = ?", (found, enrolment[0]))
                ] if found else []
        if found is None:
            pid = cases.register_in(tx, values)
            undo["pid"] = pid
            changed = True
        else:
            pid = found
            if acting.role != "admin":
                access.require_case(tx.conn, login, pid, access.CASE_WRITE)
            # A column the file does not have, or an empty cell, leaves what the case has (the file is
            # often a partial list from another system); a value is cleared on the case card.
            for column, fields in _FIELDS.items():
                if not row.get(column, ""):
                    for name in fields:
                        values.pop(name, None)
            delta = changes.upsert(tx, "participant", pid, values)
            undo["period"] = cases.keep_plan_in(tx, pid, delta)
            if "first_name" in delta or "last_name" in delta:
                names.index_participant(tx.conn, pid, values["first_name"], values["last_name"])
            undo["before"] = {name: old for name, (old, _) in delta.items()}
            changed = bool(delta)
        if enrolment is not None:
            try:
                changed = _enrol(tx, pid, *enrolment) or changed
            except activities.SessionFull as full:  # a full session without a reason in the row's `anledning`
                raise ArenaError("imp.full", **full.params) from None
        return changed, undo

    refused: list[tuple[int, Message]] = sorted(twice.items())

    def rows() -> Iterator[tuple[int, dict]]:
        with tabular.read(path) as again:
            for r in again.rows():
                if r.line in twice:
                    continue
                if r.extra:
                    refused.append((r.line, Message("tab.extra_cells", {"cells": ", ".join(r.extra)[:80]})))
                    continue
                yield r.line, {key: r.get(name).strip() for key, name in cols.items()}

    result = bulk.run(db, login, rows(), check=check, write=write, undo=_undo, all_or_nothing=all_or_nothing,
                      rejected=refused, progress=progress)
    report = ImportReport(result.imported, result.unchanged, result.rejected, result.kept)
    if all_or_nothing and report.rejected:
        report.imported = report.unchanged = 0
    return report


def _undo(tx: Tx, undo: dict, untouched: Untouched) -> bool:
    """Put one written row back (all-or-nothing after a late refusal), through the change log: a new person
    is removed with what the import gave them, an updated one gets the fields back; the activity's
    enrolments are put back as they were. Unless someone else has written to the person since the import wrote
    the row (an edit on the card, a mark, a note, a new enrolment, a change synced in): then nothing of the
    row is put back (returns False) – their work stays, and the line is named for a check by hand."""
    pid = undo["pid"]
    if not _untouched(tx, pid, undo, untouched):
        return False
    if undo["aid"]:
        before = {e["id"]: e for e in undo["enrolments"]}
        for (eid,) in tx.conn.exec_driver_sql("SELECT id FROM enrolment WHERE participant_id = ? AND activity_id = ?",
                                              (pid, undo["aid"])).fetchall():
            if eid not in before:
                changes.delete(tx, "enrolment", eid)
        for eid, row in before.items():
            changes.upsert(tx, "enrolment", eid, {k: v for k, v in row.items() if k != "id"})
    if undo["new"]:
        for table in ("enrolment", "milestone", "plan_period"):
            for (row_id,) in tx.conn.exec_driver_sql(f"SELECT id FROM {table} WHERE participant_id = ?",
                                                     (pid,)).fetchall():
                changes.delete(tx, table, row_id)
        tx.conn.exec_driver_sql("DELETE FROM name_token WHERE participant_id = ?", (pid,))
        changes.delete(tx, "participant", pid)
    elif undo["before"]:
        changes.upsert(tx, "participant", pid, undo["before"])
        if undo.get("period"):  # the plan the import replaced is the person's plan again, its period goes
            changes.delete(tx, "plan_period", undo["period"])
        row = tx.conn.exec_driver_sql("SELECT first_name, last_name FROM participant WHERE id = ?", (pid,)).one()
        names.index_participant(tx.conn, pid, row.first_name, row.last_name)
    return True


def _untouched(tx: Tx, pid: str, undo: dict, untouched: Untouched) -> bool:
    """Every row the undo would touch – the person, the enrolments it puts back or removes and, for a new
    person, everything about them – was written by the import alone since it wrote this row."""
    rows = [("participant", pid)] + ([("plan_period", undo["period"])] if undo.get("period") else [])
    if undo["aid"]:
        rows += [("enrolment", e["id"]) for e in undo["enrolments"]]
        rows += [("enrolment", eid) for (eid,) in tx.conn.exec_driver_sql(
            "SELECT id FROM enrolment WHERE participant_id = ? AND activity_id = ?", (pid, undo["aid"]))]
    if undo["new"]:  # removing the person would take what anyone else recorded about them with it
        for table in _ABOUT_A_PERSON:
            rows += [(table, row_id) for (row_id,) in tx.conn.exec_driver_sql(
                f"SELECT {changes.SYNCED[table]} FROM {table} WHERE participant_id = ?", (pid,))]
    return all(untouched(table, row_id) for table, row_id in rows)


# synced tables with rows about one person (a new person's undo must find none but the import's)
_ABOUT_A_PERSON = ("enrolment", "milestone", "attendance", "note", "plan_period")


# the columns an existing person's fields come from: absent or empty, the stored value stays
_FIELDS: dict[str, tuple[str, ...]] = {
    "personnummer": ("personnummer", "birth_date"), "reserve_number": ("reserve_number",),
    "caseworker": ("caseworker_id",), "site": ("site",), "plan": cases.PLAN_COLS, "phone": ("phone",),
    "address": ("address",), "protected": ("protected",)}
# a row's enrolment columns: one person may have a row per activity
_ENROLMENT = ("activity", "session", "enrol_from", "enrol_reason")


def _check_plus(written: str, values: dict) -> None:
    """A '+' says the person is over 100; 120 or more at the referral date is surely a typo for '-'."""
    born = values.get("birth_date")
    if "+" not in written or not born:
        return
    born_day, referred = dt.date.fromisoformat(born), dt.date.fromisoformat(values["referral_date"])
    age = referred.year - born_day.year - ((referred.month, referred.day) < (born_day.month, born_day.day))
    if age >= 120:
        raise ArenaError("imp.plus_age", number=written.strip()[:20], age=age)


def _match(tx: Tx, number: str | None, reserve: str | None) -> str | None:
    """The person a row is about: by personnummer, else by reserve number. A row whose two numbers belong
    to two different people is refused (naming both numbers): it would give one the other's number."""
    by_number = tx.conn.exec_driver_sql("SELECT id FROM participant WHERE personnummer = ?",
                                        (number,)).scalar() if number else None
    by_reserve = [(r.id, r.personnummer) for r in tx.conn.exec_driver_sql(
        "SELECT id, personnummer FROM participant WHERE reserve_number = ?", (reserve,))] if reserve else []
    shown = identity.shown(number, False) if number else ""
    if by_number is not None:
        if any(pid != by_number for pid, _ in by_reserve):
            raise ArenaError("imp.two_people", number=shown, reserve=reserve)
        return by_number
    if len(by_reserve) > 1:
        raise ArenaError("imp.reserve_shared", reserve=reserve, count=len(by_reserve))
    if by_reserve:
        pid, has = by_reserve[0]
        if number and has:  # the reserve number's person has another personnummer
            raise ArenaError("imp.two_people", number=shown, reserve=reserve)
        return pid  # a person known by reserve number who now has a personnummer gets it
    return None


def _enrol(tx: Tx, pid: str, aid: str, sid: str, start: dt.date, reason: str = "") -> bool:
    """Enrol from `start` unless already enrolled in that session then. An enrolment in another session
    of the same activity is moved: replaced if it starts on or after `start` and has no marks yet, else
    it ends the day before the new one starts – `start`, or the day after its last mark (a recorded day
    stays in the session it was marked in). Through the change log: the earlier session stays in the
    history. A full session takes the person only with a `reason` (logged, as `arena enrol --reason`)."""
    day = start.isoformat()
    if tx.conn.exec_driver_sql("SELECT 1 FROM enrolment WHERE participant_id = ? AND session_id = ?"
                               " AND (end_date IS NULL OR end_date >= ?)", (pid, sid, day)).first():
        return False
    other = tx.conn.exec_driver_sql(
        "SELECT id, session_id, start_date, end_date FROM enrolment WHERE participant_id = ? AND activity_id = ?"
        " AND session_id <> ? AND (end_date IS NULL OR (end_date >= ? AND end_date >= start_date))"
        " ORDER BY start_date", (pid, aid, sid, day)).first()
    if other is None:
        activities.enrol_in(tx, pid, aid, sid, start, None, reason)
        return True
    marked = tx.conn.exec_driver_sql(
        "SELECT max(date) FROM attendance WHERE participant_id = ? AND session_id = ? AND date >= ?",
        (pid, other.session_id, other.start_date)).scalar()
    if not marked and other.start_date >= day:
        activities.change_session_in(tx, other.id, sid, reason)
        return True
    move = max(start, dt.date.fromisoformat(marked) + dt.timedelta(days=1)) if marked else start
    end = dt.date.fromisoformat(other.end_date) if other.end_date else None
    if end is not None and move > end:
        raise ArenaError("imp.marked_to_end", date=other.end_date)
    activities.enrol_in(tx, pid, aid, sid, move, end, reason, skip=other.id)
    changes.upsert(tx, "enrolment", other.id, {"end_date": (move - dt.timedelta(days=1)).isoformat()})
    return True


def _same_person_twice(rows: Iterable[tuple[int, dict]]) -> tuple[dict[int, Message], int]:
    """Rows about one person (same personnummer or reserve number) that disagree, or name one activity
    twice, are all refused, each naming the others' lines: applied one after the other, the last would
    win and a second import would flip the person back and forth. Returns them and how many rows were
    read. Only a short digest of each row is kept (the file is read as a stream, not held in memory)."""
    groups: dict[tuple[str, str], list[int]] = {}
    about: dict[int, tuple[bytes, bytes, bytes]] = {}
    seen = 0
    for line, row in rows:
        seen += 1
        person = dict(row)
        number = row.get("personnummer", "")
        keyed = False
        if number:
            try:
                person["personnummer"] = identity.parse(number).canonical
            except ArenaError:
                continue  # refused on its own line
            groups.setdefault(("p", person["personnummer"]), []).append(line)
            keyed = True
        if row.get("reserve_number", ""):
            groups.setdefault(("r", row["reserve_number"]), []).append(line)
            keyed = True
        if keyed:
            about[line] = (_digest(tuple(sorted((k, v) for k, v in person.items() if k not in _ENROLMENT))),
                           _digest(activities.name_key(row.get("activity", ""))),
                           _digest((activities.name_key(row.get("session", "")), row.get("enrol_from", ""))))
    refused: dict[int, Message] = {}
    empty = _digest(activities.name_key(""))
    for (kind, number), lines in groups.items():
        if len(lines) < 2:
            continue
        persons = {about[line][0] for line in lines}
        enrolments: dict[bytes, set] = {}
        for line in lines:
            if about[line][1] != empty:
                enrolments.setdefault(about[line][1], set()).add(about[line][2])
        if len(persons) == 1 and all(len(ways) == 1 for ways in enrolments.values()):
            continue  # the same details on each row, each activity once (or a row repeated as it was)
        shown = identity.shown(number, False) if kind == "p" else number
        for line in lines:
            others = ", ".join(str(other) for other in lines if other != line)
            refused.setdefault(line, Message("imp.same_person", {"number": shown, "lines": others}))
    return refused, seen


def _digest(value: object) -> bytes:
    return hashlib.blake2b(repr(value).encode(), digest_size=12).digest()
