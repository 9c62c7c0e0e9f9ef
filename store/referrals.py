"""The referral import (`arena import participants FILE`): the list of people referred to the programme,
as CSV or XLSX with Swedish or English headers, read through `store.tabular`.

A row is matched to a person by identity number, else by reserve number (a row with neither is refused:
a case must be findable again). A new person is registered as by Ctrl+N (with the 'anvisning'
milestone); a known one is updated field by field through the change log, so importing the same file
twice changes nothing and a changed row is one logged update, never a duplicate. Optional `activity`
and `session` columns enrol the person (from `enrol_from`, default the referral date) unless already
enrolled there. Every refused row is reported with its line and reason; `all_or_nothing` keeps nothing
when any row is refused. One transaction for the whole file, a savepoint per row.
"""
from __future__ import annotations


from pathlib import Path

from store import access, activities, cases, changes, names, tabular, validate
from store.attendance import ImportReport
from store.db import Database, Tx
from store.i18n import ArenaError, Key

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


def import_file(db: Database, login: str, path: str | Path, *, all_or_nothing: bool = False) -> ImportReport:
    report = ImportReport()
    with tabular.read(path) as table:
        cols = tabular.columns(table.header, SPEC, REQUIRED, str(path))
        rows = [(r.line, {key: r.get(name).strip() for key, name in cols.items()}, r.extra) for r in table.rows()]
    with db.read() as conn:
        acting = access.require(conn, login, access.CASE_WRITE)
        logins = {r.login: r.id for r in conn.exec_driver_sql("SELECT login, id FROM caseworker")}
        known_activities = activities.names_to_ids(conn)

    def one(tx: Tx, row: dict) -> bool:
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
        if values["personnummer"]:
            found = tx.conn.exec_driver_sql("SELECT id FROM participant WHERE personnummer = ?",
                                            (values["personnummer"],)).scalar()
        else:
            found = tx.conn.exec_driver_sql("SELECT id FROM participant WHERE reserve_number = ? AND personnummer IS NULL",
                                            (values["reserve_number"],)).scalar()
        changed = False
        if found is None:
            pid = cases.register_in(tx, values)
            changed = True
        else:
            pid = found
            if acting.role != "admin":  # an update is a write to that case: the caseload rule applies
                access.require_case(tx.conn, login, pid, access.CASE_WRITE)
            if not caseworker:  # an empty column keeps what the case has
                values.pop("caseworker_id")
            if not row.get("protected", ""):  # no column, or an empty cell: protection stays as it is
                values.pop("protected")
            if not row.get("reserve_number"):
                values.pop("reserve_number")
            delta = changes.upsert(tx, "participant", pid, values)
            if "first_name" in delta or "last_name" in delta:
                names.index_participant(tx.conn, pid, values["first_name"], values["last_name"])
            changed = bool(delta)
        activity = row.get("activity", "")
        if activity:
            aid = activities.activity_id_in(known_activities, activity)
            start = validate.date(row.get("enrol_from") or values["referral_date"])
            sid = activities.find_session(tx.conn, aid, row.get("session") or None, start)
            already = tx.conn.exec_driver_sql(
                "SELECT 1 FROM enrolment WHERE participant_id = ? AND session_id = ? AND (end_date IS NULL"
                " OR end_date >= ?)", (pid, sid, start.isoformat())).first()
            if not already:
                activities.enrol_in(tx, pid, aid, sid, start, None, "")
                changed = True
        return changed

    def run_all(tx: Tx) -> None:
        for line, row, extra in rows:
            try:
                if extra:
                    raise ArenaError("tab.extra_cells", cells=", ".join(extra)[:80])
                savepoint = tx.conn.begin_nested()
                try:
                    changed = one(tx, row)
                except BaseException:
                    savepoint.rollback()
                    raise
                savepoint.commit()
            except ArenaError as error:
                report.rejected.append((line, error.message))
                continue
            if changed:
                report.imported += 1
            else:
                report.unchanged += 1

    try:
        with db.write(login) as tx:
            access.require(tx.conn, login, access.CASE_WRITE)
            run_all(tx)
            if all_or_nothing and report.rejected:
                raise _RollBack
    except _RollBack:
        report.imported = report.unchanged = 0
    return report


class _RollBack(Exception):
    """Leaves the import's transaction without committing (--all-or-nothing)."""



