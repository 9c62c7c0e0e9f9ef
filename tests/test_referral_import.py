"""#22, the tester's findings on `arena import participants`: a referral list from another system is often
partial, has a row twice or a typo in a number. Each through the real command (`arena …` in-process) on a
Swedish semicolon CSV, checked on the database: a missing column keeps what is stored, two numbers of two
people are refused, a person twice in one file is refused by both lines, a '+' number 120 years old is a
typo, a changed session moves the enrolment, and a file with only a header says so."""
from __future__ import annotations

from pathlib import Path

import pytest

from store import cases, dbfile
from store.i18n import ArenaError
from tui import cli

from .conftest import World, rows

HEADER = "personnummer;reservnummer;förnamn;efternamn;kön;anvisningsdatum;handläggare"


def run(world: World, tmp_path: Path, text: str, capsys: pytest.CaptureFixture, *extra: str,
        name: str = "anvisningar.csv", lang: str = "sv") -> tuple[int, str]:
    """`arena import participants FILE` on a cp1252 `;` CSV with CRLF, as Excel saves it; (status, what it said)."""
    file = tmp_path / name
    file.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    capsys.readouterr()
    status = cli.main(["--lang", lang, "import", "participants", str(file), "--db", str(world.path), "--user", "setup",
                       "--pin-stdin", *extra])
    said = capsys.readouterr()
    return status, said.out + said.err


def log_count(world: World) -> int:
    return rows(world, "SELECT count(*) FROM change_log")[0][0]


def test_a_column_not_in_the_file_or_an_empty_cell_leaves_the_stored_value(world: World, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture) -> None:
    full = (f"{HEADER};veckoplan;telefon;adress;enhet\n"
            '19850312-1231;;Åsa;Öberg;K;2026-11-02;omar.farah;6 6 6 6 4;070-999 99 99;"Storgatan 1; lgh 1102";Väst\n')
    assert run(world, tmp_path, full, capsys)[0] == 0
    minimal = "personnummer;förnamn;efternamn;kön;anvisningsdatum\n19850312-1231;Åsa;Öberg-Lind;K;2026-11-02\n"
    status, said = run(world, tmp_path, minimal, capsys)
    assert status == 0 and "1 rad importerad" in said, said
    empty_cells = (f"{HEADER};veckoplan;telefon;adress;enhet\n"
                   "19850312-1231;;Åsa;Öberg-Lind;K;2026-11-02;;;;;\n")
    before = log_count(world)
    status, said = run(world, tmp_path, empty_cells, capsys)
    assert status == 0 and "1 oförändrad" in said, said
    assert log_count(world) == before
    assert rows(world, "SELECT p.last_name, p.phone, p.address, p.site, p.plan_mon, p.plan_fri, c.login FROM participant p"
                       " JOIN caseworker c ON c.id = p.caseworker_id WHERE p.personnummer = '198503121231'") == [
        ("Öberg-Lind", "070-999 99 99", "Storgatan 1; lgh 1102", "Väst", 6.0, 4.0, "omar.farah")]


def test_a_row_naming_two_people_by_its_two_numbers_is_refused(world: World, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture) -> None:
    first = (f"{HEADER}\n"
             ";RES-0002;Ali;Berg;M;2026-11-02;\n"
             "19700101-2389;;Eva;Ek;K;2026-11-02;\n")
    assert run(world, tmp_path, first, capsys)[0] == 0
    before = log_count(world)
    status, said = run(world, tmp_path, f"{HEADER}\n19700101-2389;RES-0002;Ali;Berg;M;2026-11-02;\n", capsys)
    assert status == 2 and "rad 2: personnummer 19700101-2389 och reservnummer RES-0002 är två olika personer" in said, said
    assert log_count(world) == before
    assert rows(world, "SELECT first_name, personnummer FROM participant WHERE reserve_number = 'RES-0002'") == [
        ("Ali", None)]
    # a new personnummer with a reserve number someone else has: no second person with that reserve number
    status, said = run(world, tmp_path, f"{HEADER}\n19090527-1474;RES-0002;Ali;Berg;M;2026-11-02;\n", capsys)
    assert status == 0, said  # Ali (known by RES-0002) has got a personnummer: it is his
    assert rows(world, "SELECT personnummer FROM participant WHERE reserve_number = 'RES-0002'") == [
        ("190905271474",)]
    status, said = run(world, tmp_path, f"{HEADER}\n19751205-3336;RES-0002;Ali;Berg;M;2026-11-02;\n", capsys,
                       lang="en")
    assert status == 2 and "line 2: identity number 19751205-3336 and reserve number RES-0002 are two different" in said
    assert rows(world, "SELECT count(*) FROM participant WHERE reserve_number = 'RES-0002'") == [(1,)]
    with pytest.raises(ArenaError) as refused:  # nor on the case card
        cases.update(world.db, "setup", world.people[0], reserve_number="RES-0002")
    assert refused.value.key == "id.reserve_taken"
    con = dbfile.connect(world.path)  # two people with one reserve number, as an older release let it be
    con.executemany("UPDATE participant SET reserve_number = 'RES-0009' WHERE id = ?", [(p,) for p in world.people[:2]])
    con.commit()
    con.close()
    status, said = run(world, tmp_path, f"{HEADER}\n;RES-0009;Anna;Andersson;K;2026-09-01;\n", capsys)
    assert status == 2 and "rad 2: reservnummer RES-0009 används av 2 personer" in said, said


def test_one_person_twice_in_a_file_is_refused_by_both_lines_and_a_second_import_changes_nothing(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    text = (f"{HEADER}\n"
            "19880808-5057;;Trim;Me;K;2026-11-10;\n"
            "19600415-1012;;Anna;Svensson;K;2026-11-10;\n"
            "19600415-1012;;Anna;Svensson;K;2026-11-10;\n"  # the same details twice: harmless
            "198808085057;;Trim;Different;K;2026-11-10;\n"
            "19700101-2389;;Eva;Ek;K;2026-11-10;\n")
    status, said = run(world, tmp_path, text, capsys)
    assert status == 2, said
    assert "rad 2: samma person (19880808-5057) står också på rad 5" in said, said
    assert "rad 5: samma person (19880808-5057) står också på rad 2" in said, said
    assert "2 rader importerade, 1 oförändrad, 2 avvisade" in said, said
    before = log_count(world)
    status, said = run(world, tmp_path, text, capsys)
    assert status == 2 and "0 rader importerade, 3 oförändrade, 2 avvisade" in said, said
    assert log_count(world) == before
    assert rows(world, "SELECT count(*) FROM participant WHERE personnummer = '198808085057'") == [(0,)]


def test_a_plus_number_120_years_old_at_referral_is_refused_as_a_typo(world: World, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture) -> None:
    text = (f"{HEADER}\n"
            "451230+2029;;Old;Timer;M;2026-11-10;\n"
            "261110+6010;;Hundra;Åring;M;2026-11-10;\n")  # 100 today: a true '+'
    status, said = run(world, tmp_path, text, capsys)
    assert status == 2 and "rad 2: personnummer 451230+2029 ger 180 år" in said and "+ betyder över 100 år" in said, said
    assert "rad 3" not in said
    assert rows(world, "SELECT first_name, birth_date FROM participant WHERE first_name IN ('Old', 'Hundra')") == [
        ("Hundra", "1926-11-10")]


def test_a_changed_session_moves_the_enrolment_through_the_change_log(world: World, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["activities", "add", "Jobbsök", "--db", str(world.path), "--user", "setup", "--pin-stdin",
                     "--session", "fm=08:30-12:00", "--session", "em=13:00-16:00"]) == 0
    assert cli.main(["activities", "add", "Svenska", "--db", str(world.path), "--user", "setup", "--pin-stdin",
                     "--session", "kväll=17:00-19:00"]) == 0
    head = f"{HEADER};aktivitet;pass;inskriven_från\n"
    assert run(world, tmp_path, head + ";RES-0002;Ali;Berg;M;2026-11-02;;Jobbsök;em;\n", capsys)[0] == 0
    status, said = run(world, tmp_path, head + ";RES-0002;Ali;Berg;M;2026-11-02;;Jobbsök;fm;\n", capsys)
    assert status == 0 and "1 rad importerad" in said, said  # same start: the enrolment is replaced

    def enrolled() -> list[tuple]:
        return rows(world, "SELECT s.name, e.start_date, e.end_date FROM enrolment e"
                           " JOIN activity_session s ON s.id = e.session_id JOIN participant p ON p.id = e.participant_id"
                           " WHERE p.reserve_number = 'RES-0002' ORDER BY e.start_date")

    assert enrolled() == [("fm", "2026-11-02", None)]
    # one enrolment, inserted with em and updated to fm: the change log has both, the old session kept
    assert rows(world, "SELECT count(*) FROM change_log l JOIN enrolment e ON e.id = l.row_id"
                       " JOIN participant p ON p.id = e.participant_id WHERE l.tbl = 'enrolment'"
                       " AND p.reserve_number = 'RES-0002'") == [(2,)]
    status, said = run(world, tmp_path, head + ";RES-0002;Ali;Berg;M;2026-11-02;;Jobbsök;em;2026-11-16\n", capsys)
    assert status == 0, said  # later: fm ends the day before
    assert enrolled() == [("fm", "2026-11-02", "2026-11-15"), ("em", "2026-11-16", None)]
    before = log_count(world)
    assert run(world, tmp_path, head + ";RES-0002;Ali;Berg;M;2026-11-02;;Jobbsök;em;2026-11-16\n", capsys)[0] == 0
    assert log_count(world) == before
    # one row per activity is how a person is in two; one activity with two passes on two rows is refused
    two = head + (";RES-0002;Ali;Berg;M;2026-11-02;;Jobbsök;em;2026-11-16\n"
                  ";RES-0002;Ali;Berg;M;2026-11-02;;Svenska;;2026-11-23\n")
    status, said = run(world, tmp_path, two, capsys)
    assert status == 0 and "1 rad importerad, 1 oförändrad" in said, said
    status, said = run(world, tmp_path, two + ";RES-0002;Ali;Berg;M;2026-11-02;;Jobbsök;fm;2026-11-16\n", capsys)
    assert status == 2 and "rad 4: samma person (RES-0002) står också på rad 2, 3" in said, said
    assert enrolled() == [("fm", "2026-11-02", "2026-11-15"), ("em", "2026-11-16", None), ("kväll", "2026-11-23", None)]


@pytest.mark.parametrize("extra", [(), ("--all-or-nothing",)])
def test_a_file_with_only_a_header_says_there_is_nothing_to_import(world: World, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture,
                                                                    extra: tuple[str, ...]) -> None:
    status, said = run(world, tmp_path, f"{HEADER}\n;;;;;;\n", capsys, *extra)
    assert status == 2 and "inga rader att importera" in said, said
    status, said = run(world, tmp_path, f"{HEADER}\n", capsys, *extra, lang="en")
    assert status == 2 and "no rows to import" in said, said
    attendance = tmp_path / "närvaro.csv"
    attendance.write_bytes("deltagar_id;aktivitet;datum;närvaro\r\n".encode("cp1252"))
    capsys.readouterr()
    assert cli.main(["import", "attendance", str(attendance), "--db", str(world.path), "--user", "lena.leder",
                     "--pin-stdin", *extra]) == 2
    assert "inga rader att importera" in capsys.readouterr().err


def test_a_moved_session_keeps_its_marked_days(world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A mark already recorded in the old session stays inside it: the move starts the day after the last
    mark, not the day the file says (which would leave the mark outside every enrolment)."""
    assert cli.main(["activities", "add", "Jobbsök", "--db", str(world.path), "--user", "setup", "--pin-stdin",
                     "--session", "fm=08:30-12:00", "--session", "em=13:00-16:00"]) == 0
    head = f"{HEADER};aktivitet;pass\n"
    assert run(world, tmp_path, head + "19090527-1474;;Åsa;Öberg;K;2026-11-02;;Jobbsök;em\n", capsys)[0] == 0
    marks = tmp_path / "närvaro.csv"
    marks.write_bytes("personnummer;aktivitet;pass;datum;närvaro\r\n19090527-1474;Jobbsök;em;2026-11-04;present\r\n"
                      .encode("cp1252"))
    assert cli.main(["import", "attendance", str(marks), "--db", str(world.path), "--user", "setup",
                     "--pin-stdin"]) == 0, capsys.readouterr().err
    status, said = run(world, tmp_path, head + "19090527-1474;;Åsa;Öberg;K;2026-11-02;;Jobbsök;fm\n", capsys)
    assert status == 0 and "1 rad importerad" in said, said
    assert rows(world, "SELECT s.name, e.start_date, e.end_date FROM enrolment e"
                       " JOIN activity_session s ON s.id = e.session_id JOIN participant p ON p.id = e.participant_id"
                       " WHERE p.personnummer = '190905271474' ORDER BY e.start_date") == [
        ("em", "2026-11-02", "2026-11-04"), ("fm", "2026-11-05", None)]
    assert rows(world, "SELECT count(*) FROM attendance a JOIN participant p ON p.id = a.participant_id"
                       " WHERE p.personnummer = '190905271474'") == [(1,)]
    status, said = run(world, tmp_path, head + "19090527-1474;;Åsa;Öberg;K;2026-11-02;;Jobbsök;fm\n", capsys)
    assert status == 0 and "0 rader importerade, 1 oförändrad" in said, said


def test_a_long_import_says_how_far_it_is_on_stderr(world: World, tmp_path: Path, capsys: pytest.CaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress lines (every few seconds; here every chunk) in the language asked for, counting up to the
    rows staged; the summary still ends the output."""
    from tui.cli import entry

    monkeypatch.setattr(entry, "PROGRESS_EVERY", 0.0)
    text = (f"{HEADER}\n"
            "19880808-5057;;Trim;Me;K;2026-11-10;\n"
            "19700101-2389;;Eva;Ek;K;2026-11-10;\n")
    status, said = run(world, tmp_path, text, capsys)
    assert status == 0, said
    assert "2 rader kontrollerade…" in said and "2 av 2 rader skrivna…" in said, said
    status, said = run(world, tmp_path, text, capsys, lang="en")
    assert "2 rows checked…" in said and "2 of 2 rows written…" in said, said


def test_a_number_refused_is_quoted_as_it_was_written() -> None:
    """A plan of `8,5,8,8,8` was refused as "”8.5.8.8.8” är inget tal", a value nobody wrote."""
    from store import tabular, validate

    for written in ("8,5,8,8,8", "1 2,5,3", "åtta"):
        with pytest.raises(ArenaError) as caught:
            tabular.decimal(written)
        assert str(caught.value) == f"”{written}” är inget tal."
    with pytest.raises(ArenaError) as caught:
        validate.number("3,5,1")
    assert "3,5,1" in str(caught.value) and "3.5.1" not in str(caught.value)
    assert tabular.decimal("1 234,5") == 1234.5 and validate.number("3,5") == 3.5
