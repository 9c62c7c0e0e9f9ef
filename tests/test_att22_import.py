"""Tester of #22 on `arena import attendance`: people known only by a reserve number get their marks in
(a `reservnummer`/`reserve_number` column, which the attendance export now carries, so an export goes
back in), and an hours cell beside a status other than partial must be the hours that status records
(`present;1,5` was stored as present with the planned hours, `ogiltig;2` as 0 h, without a word).
Through the real command in-process, checked on the database."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from store import activities, attendance, cases, dbfile, staff

from .conftest import PIN, World
from .inprocess import Ran, arena

DAY = dt.date(2026, 11, 23)  # a Monday before TODAY: 6 planned hours
CAFE = "Arbetsträning café"


def write(path: Path, *lines: str) -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    return path


def import_attendance(world: World, file: Path, *extra: str) -> Ran:
    return arena("import", "attendance", str(file), "--db", str(world.path), "--user", "lena.leder", "--pin-stdin",
                 *extra, stdin=f"{PIN}\n")


def marks(world: World) -> dict[str, tuple[str, float]]:
    con = dbfile.connect(world.path)
    try:
        return {pid: (status, hours) for pid, status, hours in con.execute(
            "SELECT participant_id, status, hours FROM attendance")}
    finally:
        con.close()


def reserve_person(world: World, reserve: str = "RES-9002") -> str:
    """Someone with a reserve number and no personnummer, enrolled in the world's activity."""
    pid = cases.register(world.db, "setup", cases.NewParticipant(
        first_name="Nadia", last_name="Reserv", gender="K", referral_date="2026-09-01",
        caseworker_id=staff.by_login(world.db, "omar.farah").id, plan=(6, 6, 6, 6, 4), reserve_number=reserve))
    activities.enrol(world.db, "setup", pid, world.activity_id, dt.date(2026, 9, 1), reason="Plats i test")
    return pid


@pytest.mark.parametrize("column", ["reservnummer", "reserve_number", "Reserve number"])
def test_a_reserve_number_column_finds_the_person_and_an_unknown_one_is_refused_by_line(
        world: World, tmp_path: Path, column: str) -> None:
    pid = reserve_person(world)
    file = write(tmp_path / "närvaro.csv", f"{column};aktivitet;datum;status;timmar",
                 f"RES-9002;{CAFE};{DAY};närvarande;",
                 f"RES-9099;{CAFE};{DAY};närvarande;",
                 f";{CAFE};{DAY};närvarande;")
    done = import_attendance(world, file)
    assert done.returncode == 2, done.stderr
    assert "rad 3: Ingen deltagare med RES-9099." in done.stderr, done.stderr
    assert "rad 4: varken personnummer eller reservnummer" in done.stderr, done.stderr
    assert "rad 2" not in done.stderr, done.stderr
    assert marks(world) == {pid: ("present", 6.0)}


def test_a_row_is_matched_by_personnummer_else_reserve_number_else_id(world: World, tmp_path: Path) -> None:
    """One file with all three columns, as our export has them: each row by the first it fills."""
    reserved = reserve_person(world)
    p = world.people
    cases.update(world.db, "setup", p[0], personnummer="19121212-1212")
    file = write(tmp_path / "närvaro.csv", "deltagar_id;personnummer;reservnummer;aktivitet;datum;status",
                 f";19121212-1212;;{CAFE};{DAY};sjuk",  # by personnummer
                 f";;RES-9002;{CAFE};{DAY};present",  # by reserve number
                 f"{p[1]};;;{CAFE};{DAY};vab",  # by id
                 f"{p[2]};;RES-9002;{CAFE};2026-11-20;ogiltig")  # the reserve number before the id
    done = import_attendance(world, file)
    assert done.returncode == 0, done.stderr
    con = dbfile.connect(world.path)
    try:
        got = sorted(con.execute("SELECT participant_id, date, status FROM attendance"))
    finally:
        con.close()
    assert got == sorted([(p[0], DAY.isoformat(), "sick"), (reserved, DAY.isoformat(), "present"),
                          (p[1], DAY.isoformat(), "vab"), (reserved, "2026-11-20", "unexcused")])


def test_the_attendance_export_carries_the_reserve_number_and_goes_back_in(world: World, tmp_path: Path) -> None:
    pid = reserve_person(world)
    attendance.mark(world.db, "lena.leder", pid, world.activity_id, DAY, "present")
    attendance.mark(world.db, "lena.leder", world.people[0], world.activity_id, DAY, "partial", hours=2.5)
    out = tmp_path / "export.csv"
    done = arena("export", "--what", "attendance", "--reason", "flytt till annan station", "--db", str(world.path),
                 "--user", "setup", "--pin-stdin", "--out", str(out), stdin=f"{PIN}\n")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert [(r["reservnummer"], r["personnummer"]) for r in rows if r["deltagar-id"] == pid] == [("RES-9002", "")]
    # the same file without its ids (as for a workstation where they differ): in by the reserve number
    plain = tmp_path / "tillbaka.csv"
    with plain.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, [k for k in rows[0] if k not in ("id", "deltagar-id")], delimiter=";",
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(r for r in rows if r["reservnummer"])
    con = dbfile.connect(world.path)
    try:
        con.execute("DELETE FROM attendance")
        con.commit()
    finally:
        con.close()
    done = import_attendance(world, plain)
    assert done.returncode == 0, done.stderr
    assert marks(world) == {pid: ("present", 6.0)}


@pytest.mark.parametrize("lang, said", [
    ("sv", "rad 2: Timmarna 1,5 stämmer inte med status ”Närvarande”, som ger 6 timmar – skriv delvis för färre"
           " timmar eller lämna timmarna tomma."),
    ("en", "line 2: The hours 1.5 do not match the status “Present”, which records 6 hours – use partial for fewer"
           " hours or leave the hours empty.")])
def test_hours_beside_a_status_other_than_partial_must_be_what_it_records(
        world: World, tmp_path: Path, lang: str, said: str) -> None:
    p = world.people
    file = write(tmp_path / "närvaro.csv", "deltagar_id;aktivitet;datum;status;timmar",
                 f"{p[0]};{CAFE};{DAY};present;1,5",  # 2: refused (was stored as 6 h)
                 f"{p[1]};{CAFE};{DAY};närvarande;-1",  # 3: refused
                 f"{p[2]};{CAFE};{DAY};närvarande;30",  # 4: refused
                 f"{p[3]};{CAFE};{DAY};ogiltig;2",  # 5: refused (was stored as 0 h)
                 f"{p[4]};{CAFE};{DAY};närvarande;abc",  # 6: not a number
                 f"{p[5]};{CAFE};{DAY};närvarande;6",  # 7: what present records: fine
                 f"{p[6]};{CAFE};{DAY};närvarande;6,0",
                 f"{p[7]};{CAFE};{DAY};sjuk;0",
                 f"{p[8]};{CAFE};{DAY};närvarande;",  # empty: fine
                 f"{p[9]};{CAFE};{DAY};delvis;1,5",
                 f"{p[10]};{CAFE};2026-11-20;present;4")  # a Friday: 4 planned hours
    done = import_attendance(world, file, "--lang", lang)
    assert done.returncode == 2, done.stderr
    refused = [line for line in done.stderr.splitlines() if line.startswith(("rad ", "line "))]
    assert [line.split(":")[0].split()[1] for line in refused] == ["2", "3", "4", "5", "6"], done.stderr
    assert refused[0] == said, refused
    assert ("-1" in refused[1] or "−1" in refused[1]) and "30" in refused[2], refused
    assert ("Ogiltig frånvaro" in refused[3] or "Unexcused" in refused[3]) and " 0 " in refused[3], refused
    assert "abc" in refused[4], refused
    assert marks(world) == {p[5]: ("present", 6.0), p[6]: ("present", 6.0), p[7]: ("sick", 0.0),
                            p[8]: ("present", 6.0), p[9]: ("partial", 1.5), p[10]: ("present", 4.0)}


def test_a_personnummer_and_a_reserve_number_of_two_people_are_refused_naming_both(world: World,
                                                                                   tmp_path: Path) -> None:
    """Matched by the personnummer alone, the row went to one person though its reserve number is another's
    (the participants import refuses such a row)."""
    reserve_person(world)
    cases.update(world.db, "setup", world.people[0], personnummer="19121212-1212")
    file = write(tmp_path / "närvaro.csv", "personnummer;reservnummer;aktivitet;datum;status",
                 f"19121212-1212;RES-9002;{CAFE};{DAY};sjuk")
    done = import_attendance(world, file)
    assert done.returncode == 2
    assert done.stderr.startswith("rad 2:") and "19121212+1212" in done.stderr and "RES-9002" in done.stderr, done.stderr
    assert marks(world) == {}
