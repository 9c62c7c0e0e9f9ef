"""The närvarorapport is a view of the attendance rows; the figures match hand counts."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from pathlib import Path

import pytest

from store import attendance, milestones, overview, report
from tui import cli

from .conftest import DEMO_PIN, TODAY, World
from .inprocess import arena


def run(*args: str) -> str:
    """What `arena ARGS --pin-stdin` writes to standard output as the demo administrator (run in this
    process, tests/inprocess.py)."""
    result = arena(*args, "--pin-stdin", stdin=f"{DEMO_PIN}\n",
                   env={"ARENA_TODAY": TODAY.isoformat(), "ARENA_USER": "anna.lind"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_report_totals_rebuild_from_the_exported_rows(demo_db: Path) -> None:
    out = run("report", "narvaro", "--db", str(demo_db), "--month", "2026-11", "--reason", "Månadsrapport till soc")
    lines = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff")), delimiter=";"))  # Swedish Excel dialect
    exported = list(csv.DictReader(io.StringIO(run("export", "--db", str(demo_db), "--what", "attendance", "--dialect", "rfc4180", "--reason", "kontroll av exporten", "--lang", "en")
                                               .lstrip("\ufeff"))))
    participants = list(csv.DictReader(io.StringIO(run("export", "--db", str(demo_db), "--what", "participants", "--dialect", "rfc4180", "--reason", "kontroll av exporten", "--lang", "en")
                                                   .lstrip("\ufeff"))))
    number_of = {p["id"]: p["personnummer"] or p["reserve number"] for p in participants}
    attended: dict[str, float] = defaultdict(float)
    unexcused: dict[str, int] = defaultdict(int)
    for row in exported:
        if row["date"].startswith("2026-11"):
            key = number_of[row["participant id"]]
            attended[key] += float(row["hours"])
            unexcused[key] += row["status"] == "unexcused"
    totals = {r["Personnummer"]: r for r in lines if r["Vecka"] == "Totalt"}
    assert totals, out[:500]
    checked = 0
    for number, row in totals.items():
        if "*" in number:
            continue  # protected identity: masked in the report
        assert float(row["Närvarotimmar"].replace(",", ".")) == pytest.approx(attended.get(number, 0.0))
        assert int(row["Ogiltig frånvaro (antal pass)"]) == unexcused.get(number, 0)
        checked += 1
    assert checked > 50
    assert sum(attended.values()) > 0


def test_holidays_have_no_planned_hours_and_unexcused_dates_are_listed(world: World) -> None:
    pid = world.people[1]  # plan 6 6 6 6 4 from 2026-09-01
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, dt.date(2026, 11, 23), "unexcused")
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, dt.date(2026, 11, 24), "sick")
    dec = report.build(world.db, "omar.farah", "2026-12", participant=pid, today=dt.date(2027, 1, 8))
    person = dec.people[0]
    weeks = {line.week: line for line in person.weeks}
    # week 52: 21-25 Dec; julafton (de facto, Thursday) and juldagen (Friday) are holidays
    assert weeks["2026-W52"].planned == 6 + 6 + 6 + 0 + 0
    nov = report.build(world.db, "omar.farah", "2026-11", participant=pid)
    line = {x.week: x for x in nov.people[0].weeks}["2026-W48"]
    assert line.unexcused == 1 and line.absence == {"OGILTIG": 6.0, "SJUK": 6.0}
    assert nov.people[0].unexcused_dates == ["2026-11-23"]


def test_xlsx_has_a_frozen_header_and_widths(world: World, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "r.xlsx"
    assert cli.main(["report", "narvaro", "--db", str(world.path), "--month", "2026-11", "--caseworker",
                     "omar.farah", "--format", "xlsx", "--out", str(out), "--user", "omar.farah", "--pin-stdin"]) == 0
    book = load_workbook(out)
    sheet = book["Sammanställning"]
    header = report.XLSX_TITLE_ROWS + 1  # below the title block
    assert sheet.freeze_panes == f"A{header + 1}"
    assert sheet[f"A{header}"].value == "Personnummer" and sheet[f"A{header}"].font.bold
    assert sheet.column_dimensions["B"].width >= 20
    assert sheet.max_row == header + 20 * 6 + 2  # 20 of Omar's people × (5 weeks + total), the signature line
    assert len(book.sheetnames) == 3 + 20  # summary, absences, notes, one sheet per person


def test_every_report_run_is_audited(world: World) -> None:
    report.build(world.db, "omar.farah", "2026-11", caseworker="omar.farah")
    from store import audit

    assert [e.action for e in audit.events(world.db, "setup", user="omar.farah")] == ["report"]


def test_a_report_of_people_outside_the_caseload_chains_one_event_each(world: World) -> None:
    """The whole programme's report logs an outside read for each person not in the user's caseload
    (audit.record_many: the chains' last links carried in memory, not read per event): one event each,
    numbered on from the events before, and both chains (the access log's, the change log's) verify."""
    from store import audit, cases, tamper

    cases.open_case(world.db, "omar.farah", world.people[0], reason="Vikarierar för Karin")  # an event before
    with world.db.read() as conn:
        before = conn.exec_driver_sql("SELECT max(seq) FROM audit_event WHERE ws = ?", (world.db.workstation_id,)).scalar()
    built = report.build(world.db, "karin.ek", "2026-11", reason="Månadsrapport till soc")
    with world.db.read() as conn:
        outside = conn.exec_driver_sql("SELECT participant_id, seq FROM audit_event WHERE action = 'report'"
                                       " AND user_login = 'karin.ek' AND detail = 'outside caseload' ORDER BY seq").all()
        mine = conn.exec_driver_sql("SELECT count(*) FROM participant p JOIN caseworker c ON c.id = p.caseworker_id"
                                    " WHERE c.login = 'karin.ek'").scalar()
    assert len(outside) == built.count - mine > 0 and len({pid for pid, _ in outside}) == len(outside)
    assert [seq for _, seq in outside] == list(range(before + 2, before + 2 + len(outside)))  # after the run's own
    with world.db.write("setup") as tx:
        assert tamper.check(tx.conn, full=True, full_log=True) == []
        assert not tamper.state(tx.conn).log_broken
    assert [e.action for e in audit.events(world.db, "setup", user="karin.ek")].count("report") == len(outside) + 1


def test_figures_match_hand_counts(world: World) -> None:
    # 25 people: index even → K (13), odd → M (12); two exits this year, one to work
    milestones.exit_participant(world.db, "omar.farah", world.people[0], "arbete", dt.date(2026, 11, 2))
    milestones.exit_participant(world.db, "omar.farah", world.people[1], "flytt", dt.date(2026, 11, 3))
    for pid in world.people[2:6]:
        attendance.mark(world.db, "omar.farah", pid, world.activity_id, dt.date(2026, 11, 16), "present")
    f = overview.figures(world.db, "setup", today=TODAY)
    assert f.active == {"K": 12, "M": 11, "X": 0}
    assert f.time_in_programme["3-6"] == {"K": 0, "M": 0, "X": 0} or sum(f.time_in_programme["0-3"].values()) == 23
    assert sum(f.exits["Arbete"].values()) == 1 and f.exits["Arbete"]["K"] == 1 and f.exits["Flytt"]["M"] == 1
    assert f.work_or_study_share["all"] == 0.5 and f.work_or_study_share["K"] == 1.0
    week47 = next(w for w in f.weekly_rate if w[0] == dt.date(2026, 11, 16))
    assert week47[2] == 24  # four people × 6 h on Monday
    caseloads = {name: n for name, n, _ in f.caseloads}
    assert caseloads == {"Omar Farah": 19, "Karin Ek": 4}
    only_karin = overview.figures(world.db, "setup", overview.Filter(caseworker_login="karin.ek"), today=TODAY)
    assert sum(only_karin.active.values()) == 4


def test_my_day_lists_what_needs_attention(world: World) -> None:
    pid = world.people[1]
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, dt.date(2026, 11, 23), "unexcused")
    day = overview.my_day(world.db, "omar.farah", TODAY)
    assert [s.name for s in day.sessions] == ["Arbetsträning café"]
    assert [i.participant_id for i in day.unexcused] == [pid]
    assert len(day.below) == 20  # nobody attended last week: everyone in Omar's caseload is below plan
    assert all("ms.alert.no_plan" in r.alert_keys for r in day.alerts)
    assert pid not in {i.participant_id for i in day.silent}


def test_planned_hours_count_only_up_to_the_day_the_report_is_made(world: World) -> None:
    """Someone registered today has missed nothing yet: the rest of the month is not planned-but-absent."""
    from store import cases, staff

    pid = cases.register(world.db, "omar.farah", cases.NewParticipant(
        first_name="Ny", last_name="Deltagare", gender="K", referral_date=TODAY.isoformat(),
        plan=(8, 8, 8, 8, 8), caseworker_id=staff.by_login(world.db, "omar.farah").id))
    person = report.build(world.db, "omar.farah", "2026-11", participant=pid, reason="Ny deltagare i gruppen").people[0]
    assert person.total.planned == 8  # today (Tuesday 24 Nov) only, not 48
    whole = report.build(world.db, "omar.farah", "2026-11", participant=pid, today=dt.date(2026, 12, 1),
                         reason="Ny deltagare i gruppen")
    assert whole.people[0].total.planned == 8 * 5  # 24-30 Nov: Tue-Fri and Mon 30 = 5 days


def test_period_from_to_and_activity_scope(world: World) -> None:
    attendance.mark(world.db, "omar.farah", world.people[1], world.activity_id, dt.date(2026, 11, 23), "unexcused",
                    note="ringde inte")
    built = report.build(world.db, "omar.farah", start="2026-11-16", end="2026-11-24", activity=world.activity_id,
                         reason="Månadsrapport till soc")
    assert built.count >= 1 and built.period == "2026-11-16–2026-11-24"
    person = next(p for p in built.people if p.participant_id == world.people[1])
    assert [w.label for w in person.weeks] == ["v. 47", "v. 48"]
    assert [(a.date, a.unexcused) for a in person.absences] == [("2026-11-23", True)]
    assert [n.text for n in person.notes] == ["ringde inte"]
    with pytest.raises(Exception) as caught:
        report.build(world.db, "omar.farah", start="2026-11-24", end="2026-11-01", reason="x")
    assert "slutar före" in str(caught.value)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_pdf_and_xlsx_documents(world: World, tmp_path: Path, lang: str) -> None:
    """The PDF carries the person's name with å/ä/ö, the Swedish (or English) headings, each absence and
    the signature line; the XLSX has a sheet per person with the unexcused absence in red; both 0600."""
    from store import cases
    from tui.text import set_language

    set_language(lang)
    try:
        pid = world.people[1]
        cases.update(world.db, "setup", pid, first_name="Åsa-Märta", last_name="Öhrström", personnummer="198503141239")
        attendance.mark(world.db, "omar.farah", pid, world.activity_id, dt.date(2026, 11, 23), "unexcused",
                        note="=cmd|' /C calc'!A0")
        built = report.build(world.db, "omar.farah", "2026-11", participant=pid)
        pdf = report.write_file(built, tmp_path / report.file_name(built, "pdf"), "pdf")
        assert pdf.name == ("narvarorapport" if lang == "sv" else "attendance-report") + "-2026-11-Ohrstrom-Asa-Marta.pdf"
        assert oct(pdf.stat().st_mode & 0o777) == "0o600"
        text = _pdf_text(pdf)
        assert "Öhrström, Åsa-Märta" in text
        assert "19850314-1239" in text  # a document shows the number as people write it
        assert ("Närvarorapport" if lang == "sv" else "Attendance report") in text
        assert ("underskrift" if lang == "sv" else "signature") in text and "2026-11-23" in text
        assert ("v. 48" if lang == "sv" else "wk 48") in text
        built = report.build(world.db, "omar.farah", "2026-11", participant=pid)
        xlsx = report.write_file(built, tmp_path / "r.xlsx", "xlsx")
        from openpyxl import load_workbook

        book = load_workbook(xlsx)
        sheet = book[book.sheetnames[3]]
        cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
        unexcused = [c for c in cells if c.value == dt.datetime(2026, 11, 23)]  # a date cell
        assert unexcused and unexcused[0].font.color.rgb.endswith("C00000")
        assert not [c for c in cells if c.data_type == "f"]  # the note is text, not a formula
        assert "19850314-1239" in [c.value for c in cells]
    finally:
        set_language("sv")


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_xlsx_keeps_formula_and_error_texts_as_text_in_plain_rows(world: World, tmp_path: Path) -> None:
    """The summary's rows go to openpyxl as plain values (its fast path); a name or note that openpyxl
    would store as a formula ("=…") or an error ("#N/A") still lands as the text typed, in every sheet;
    the styles (bold totals, red unexcused) come from named styles."""
    from openpyxl import load_workbook

    from store import cases

    pid = world.people[2]
    cases.update(world.db, "setup", pid, first_name="#N/A", last_name="=1+2")
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, dt.date(2026, 11, 23), "unexcused", note="#REF!")
    built = report.build(world.db, "omar.farah", "2026-11", caseworker="omar.farah")
    book = load_workbook(report.write_file(built, tmp_path / "r.xlsx", "xlsx"))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type in ("f", "e")]
    assert [c.value for c in cells if c.value == "=1+2, #N/A"] and [c.value for c in cells if c.value == "#REF!"]
    summary = book["Sammanställning"]
    totals = [row for row in summary.iter_rows(min_row=2) if row[3].value == "Totalt"]
    assert len(totals) == 20 and all(c.font.bold for row in totals for c in row if c.value is not None)
    assert not [c for c in summary[report.XLSX_TITLE_ROWS + 2] if c.font.bold]  # a week's row is plain
    red = [row for row in book["Frånvaro"].iter_rows(min_row=2) if row[1].value == "=1+2, #N/A"]
    assert red and red[0][2].font.color.rgb.endswith("C00000") and red[0][2].fill.fgColor.rgb.endswith("FDE2E2")


def test_whole_programme_xlsx_says_period_made_by_notes_and_signature(world: World, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole programme's workbook (streamed, no sheet per person) is a document too: a title block
    with the period, how far planned hours count and who made it when; the notes on marks in a sheet of
    their own; a signature line below the summary. In both languages, from the catalog."""
    from openpyxl import load_workbook

    from store.i18n import set_language

    monkeypatch.setattr(report, "XLSX_SHEET_PER_PERSON", 10)  # as at 100 000 people: no sheet per person
    pid = world.people[3]
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, dt.date(2026, 11, 23), "unexcused",
                    note="kom inte, ringde inte")
    for lang, words in (("sv", ("Närvarorapport: alla", "Period: 2026-11-01 – 2026-11-30",
                                "Planerade timmar räknas till och med 2026-11-24.", "Gjord 2026-11-24 av omar.farah.",
                                "Datum och underskrift:", "Anteckningar")),
                        ("en", ("Attendance report: everyone", "Period: 2026-11-01 – 2026-11-30",
                                "Planned hours count up to and including 2026-11-24.", "Made on 2026-11-24 by omar.farah.",
                                "Date and signature:", "Notes"))):
        out = tmp_path / f"alla-{lang}.xlsx"
        argv = ["report", "narvaro", "--month", "2026-11", "--format", "xlsx", "--db", str(world.path), "--user",
                "omar.farah", "--pin-stdin", "--out", str(out), "--reason", "kontroll av utbetalning", "--lang", lang]
        assert cli.main(argv) == 0
        book = load_workbook(out)
        title, period, planned, made, sign, sheet = words
        summary = book.worksheets[0]
        assert [summary.cell(row=i, column=1).value for i in range(1, 5)] == [title, period, planned, made]
        assert summary["A1"].font.bold
        last = summary.cell(row=summary.max_row, column=1).value
        assert last.startswith(sign) and "____" in last
        assert book.sheetnames[2] == sheet and len(book.sheetnames) == 3
        notes = [row for row in book[sheet].iter_rows(min_row=2, values_only=True)]
        assert [r for r in notes if r[2] == dt.datetime(2026, 11, 23) and r[4] == "kom inte, ringde inte"]
    set_language("sv")


def test_a_sheet_named_for_a_person_never_begins_or_ends_with_an_apostrophe(world: World, tmp_path: Path) -> None:
    """Excel refuses such a sheet name and offers to "repair" the file; 't Hooft is a surname."""
    from openpyxl import load_workbook

    from store import cases

    cases.update(world.db, "setup", world.people[3], last_name="'t Hooft'")
    built = report.build(world.db, "omar.farah", "2026-11", caseworker="omar.farah")
    book = load_workbook(report.write_file(built, tmp_path / "r.xlsx", "xlsx"))
    titles = [sheet.title for sheet in book.worksheets]
    assert [title for title in titles if title.startswith("t Hooft")], titles
    assert not [title for title in titles if title.startswith("'") or title.endswith("'")], titles


def _week_46_with_partial_days(world: World) -> str:
    """Week 46 (9–13 Nov 2026, plan 6 6 6 6 4 = 28 h): present, sick, partial 2,5 of 6, present, partial
    0,5 of 4 – 15 h attended, 6 h absent, 7 h missing on the two partial days."""
    pid = world.people[1]
    for day, status, hours in ((9, "present", None), (10, "sick", None), (11, "partial", 2.5), (12, "present", None),
                               (13, "partial", 0.5)):
        attendance.mark(world.db, "omar.farah", pid, world.activity_id, dt.date(2026, 11, day), status, hours)
    return pid


def test_partial_days_are_listed_and_the_week_adds_up(world: World) -> None:
    """The hours a partial day is short of its session are not lost: each such day is in the absence listing
    (date, activity, "Delvis, 2,5 av 6 h", the hours missing) and the week's figures add up:
    planned = attended + absence + missing on partial days."""
    pid = _week_46_with_partial_days(world)
    person = report.build(world.db, "omar.farah", "2026-11", participant=pid).people[0]
    week = {line.week: line for line in person.weeks}["2026-W46"]
    assert (week.planned, week.attended, sum(week.absence.values()), week.partial) == (28, 15, 6, 7)
    assert week.planned == week.attended + sum(week.absence.values()) + week.partial
    partial = [(a.date, a.activity, a.label, a.hours) for a in person.absences if a.partial]
    assert partial == [("2026-11-11", "Arbetsträning café", "Delvis, 2,5 av 6 h", 3.5),
                       ("2026-11-13", "Arbetsträning café", "Delvis, 0,5 av 4 h", 3.5)]
    assert person.total.partial == 7


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_partial_days_in_the_pdf_xlsx_and_csv(world: World, tmp_path: Path, lang: str) -> None:
    from openpyxl import load_workbook

    pid = _week_46_with_partial_days(world)
    said = {"sv": ("Delvis, 2,5 av 6 h", "Saknade timmar vid delvis närvaro", "Ogiltig frånvaro (antal pass)"),
            "en": ("Partial, 2.5 of 6 h", "Hours missing on partial days", "Unexcused absences (sessions)")}[lang]
    label, column, unexcused = said
    files = {}
    for fmt in ("pdf", "xlsx", "csv"):
        files[fmt] = tmp_path / f"r.{fmt}"
        assert cli.main(["report", "narvaro", "--db", str(world.path), "--month", "2026-11", "--participant", pid,
                         "--format", fmt, "--out", str(files[fmt]), "--user", "omar.farah", "--pin-stdin",
                         "--lang", lang, "--dialect", "rfc4180"]) == 0
    pdf = " ".join(_pdf_text(files["pdf"]).split())
    assert label in pdf and column in pdf and unexcused in pdf, pdf
    book = load_workbook(files["xlsx"])
    rows = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert [r[2:6] for r in rows if r[4] == label] == [(dt.datetime(2026, 11, 11), "Arbetsträning café", label, 3.5)]
    own = [r for r in book.worksheets[3].iter_rows(values_only=True)]
    header = next(r for r in own if r[0] in ("Vecka", "Week"))
    assert column in header and unexcused in header
    week = next(r for r in own if r[0] in ("v. 46", "wk 46"))
    assert week[1:6] == (28, 15, 6, 7, 0)
    lines = list(csv.DictReader(io.StringIO(files["csv"].read_text(encoding="utf-8-sig"))))
    week = next(r for r in lines if r["Vecka" if lang == "sv" else "Week"] in ("v. 46", "wk 46"))
    assert float(week[column]) == 7 and week[unexcused] == "0"
    days = [v for k, v in week.items() if k.startswith(("Delvis närvaro", "Partial attendance"))]
    assert days and label in days[0] and "2026-11-13" in days[0], week


def test_one_workbook_shows_the_number_name_signature_and_dates_one_way(world: World, tmp_path: Path) -> None:
    """The summary and the person's own sheet show the personnummer dashed, the name "Efternamn, Förnamn",
    the same signature line; every date in a listing is a date cell Excel sorts and filters."""
    from openpyxl import load_workbook

    from store import cases

    pid = world.people[1]
    cases.update(world.db, "setup", pid, first_name="Khalid", last_name="Tesfaye", personnummer="197207024774")
    attendance.mark(world.db, "omar.farah", pid, world.activity_id, dt.date(2026, 11, 23), "unexcused", note="ringde")
    out = tmp_path / "r.xlsx"
    assert cli.main(["report", "narvaro", "--db", str(world.path), "--month", "2026-11", "--participant",
                     "197207024774", "--format", "xlsx", "--out", str(out), "--user", "omar.farah", "--pin-stdin"]) == 0
    book = load_workbook(out)
    summary, absences, notes, own = book.worksheets
    assert summary["A1"].value == "Närvarorapport: Tesfaye, Khalid"
    values = [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "197207024774" not in values
    assert [r[0] for r in summary.iter_rows(min_row=report.XLSX_TITLE_ROWS + 2, values_only=True) if r[1]] \
        and {r[0] for r in summary.iter_rows(min_row=report.XLSX_TITLE_ROWS + 2, values_only=True) if r[1]} \
        == {"19720702-4774"}
    assert "19720702-4774" in [c.value for row in own.iter_rows() for c in row]
    signatures = {c.value for sheet in (summary, own) for row in sheet.iter_rows() for c in row
                  if isinstance(c.value, str) and "____" in c.value}
    assert len(signatures) == 1 and next(iter(signatures)).startswith("Datum och underskrift")
    dates = [c for sheet in (absences, notes, own) for row in sheet.iter_rows() for c in row if c.is_date]
    assert len(dates) == 4 and all(c.value == dt.datetime(2026, 11, 23) and c.number_format == "yyyy-mm-dd"
                                   for c in dates)
    # (the summary's "Datum för ogiltig frånvaro" is a list of dates in one cell: text)
    assert not [c for sheet in (absences, notes, own) for row in sheet.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("2026-11-23")]
