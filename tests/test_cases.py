"""Lookup, registration, duplicates, editing, the access log."""
from __future__ import annotations

import json

import pytest

from store import audit, cases, db, dbfile, identity
from store.i18n import ArenaError

from .conftest import DATA, World, reader


def add(world: World, first: str, last: str, number: str = "", protected: bool = False) -> str:
    return cases.register(world.db, "setup", cases.NewParticipant(
        first_name=first, last_name=last, gender="K", referral_date="2026-10-01", personnummer=number,
        protected=protected))


@pytest.fixture
def people(world: World) -> dict[str, str]:
    return {
        "ostberg": add(world, "Hassan", "Östberg", "19781227-3139"),
        "muller": add(world, "Sofia", "Müller"),
        "asa": add(world, "Asa", "Lund"),
        "ek": add(world, "Anna-Karin", "Ek"),
        "andersson": add(world, "Per", "Andersson", "850612-1238"),
        "coord": add(world, "Ali", "Warsame", identity_coord()),
        "protected": add(world, "Birgitta", "Skydd", protected_number(),
                         protected=True),
    }


def identity_coord() -> str:
    return "19" + identity.with_check_digit("850672123")


def protected_number() -> str:
    return "20" + identity.with_check_digit("020101123")


def ids(world: World, query: str) -> list[str]:
    return [h.participant.id for h in cases.search(world.db, query, login="omar.farah")]


@pytest.mark.parametrize("query,who", [
    ("ostberg", "ostberg"), ("ÖSTBERG", "ostberg"), ("muller", "muller"), ("Åsa", "asa"), ("asa lund", "asa"),
    ("anna ek", "ek"), ("ek anna-karin", "ek"), ("anderson", "andersson"), ("andrsson", "andersson"), ("anderssno", "andersson"),
    ("hasan östberg", "ostberg"),
])
def test_names_are_case_diacritic_order_and_typo_tolerant(world: World, people: dict, query: str, who: str) -> None:
    assert people[who] in ids(world, query)[:3]


@pytest.mark.parametrize("query", ["19781227-3139", "781227-3139", "7812273139", "197812273139", "781227 3139",
                                   "781227", "19781227"])
def test_numbers_in_every_common_form(world: World, people: dict, query: str) -> None:
    assert ids(world, query)[0] == people["ostberg"]


def test_shared_vectors_through_the_search(world: World) -> None:
    vectors = json.loads((DATA / "personnummer.json").read_text(encoding="utf-8"))
    for i, case in enumerate(vectors["valid_personnummer"][:6] + vectors["valid_samordningsnummer"][:4]):
        pid = add(world, "Test", f"Vektor{i}", case["input"])
        assert ids(world, case["canonical"])[0] == pid
        assert ids(world, case["input"])[0] == pid


def test_ranking_exact_number_then_exact_name_then_prefix_then_fuzzy(world: World, people: dict) -> None:
    add(world, "Per", "Anders")
    add(world, "Per", "Andersén")
    hits = cases.search(world.db, "anders", login="omar.farah")
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert hits[0].participant.last_name in ("Anders", "Andersén")
    assert any(h.participant.id == people["andersson"] for h in hits)
    assert hits[0].matched_on != hits[-1].matched_on


def test_protected_identity_is_masked(world: World, people: dict) -> None:
    person = cases.get(world.db, reader(world.db, people["protected"]), people["protected"])
    assert "*" in person.display_number() and person.personnummer not in person.display_number()


def test_invalid_number_on_registration_says_what_is_wrong(world: World) -> None:
    with pytest.raises(identity.IdentityNumberError) as caught:
        add(world, "Fel", "Nummer", "19781227-3138")
    assert "kontrollsiffran" in str(caught.value)
    with pytest.raises(ArenaError):
        add(world, "", "Utan förnamn")


def test_probable_duplicates(world: World, people: dict) -> None:
    same_number = cases.NewParticipant("Hasse", "Östberg", "M", "2026-11-01", personnummer="781227-3139")
    assert [h.why for h in cases.probable_duplicates(world.db, "omar.farah", same_number)] == ["number"]
    with pytest.raises(ArenaError):
        cases.register(world.db, "omar.farah", same_number)
    other_number = "19" + identity.with_check_digit("781227314")
    similar = cases.NewParticipant("Hasan", "Östberg", "M", "2026-11-01", personnummer=other_number)
    assert [h.why for h in cases.probable_duplicates(world.db, "omar.farah", similar)] == ["similar_name_birth"]
    pid = cases.register(world.db, "omar.farah", similar, duplicate_override=True)
    assert [e.action for e in audit.events(world.db, "setup", participant_id=pid)] == ["create_despite_duplicate"]


def test_edit_goes_through_the_change_log(world: World, people: dict) -> None:
    changed = cases.update(world.db, "omar.farah", people["muller"], first_name="Sofie", plan_fri=4)
    assert changed["first_name"] == ["Sofia", "Sofie"]
    history = cases.history(world.db, reader(world.db, people["muller"]), people["muller"])
    assert history[0].by == "omar.farah" and history[0].changes["first_name"] == ["Sofia", "Sofie"]
    assert people["muller"] in ids(world, "sofie muller")


def test_opening_outside_the_caseload_needs_a_reason_and_is_logged(world: World) -> None:
    karins = world.people[0]  # every fifth person belongs to Karin Ek
    with pytest.raises(ArenaError) as caught:
        cases.open_case(world.db, "omar.farah", karins)
    assert caught.value.key == "acc.reason_required"
    cases.open_case(world.db, "omar.farah", karins, reason="Vikarierar för Karin Ek")
    cases.open_case(world.db, "omar.farah", world.people[1])
    events = audit.events(world.db, "setup", user="omar.farah")
    assert [(e.action, e.participant_id, e.reason) for e in events] == [
        ("view", world.people[1], ""), ("view", karins, "Vikarierar för Karin Ek")] or \
        sorted((e.action, e.participant_id, e.reason) for e in events) == sorted(
        [("view", world.people[1], ""), ("view", karins, "Vikarierar för Karin Ek")])


def test_audit_events_cannot_be_changed_or_deleted(world: World) -> None:
    audit.write(world.db, "omar.farah", "view", world.people[1])
    con = dbfile.connect(world.path)
    for sql in ("UPDATE audit_event SET reason = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(dbfile.IntegrityError):
            con.execute(sql)
    con.close()


def test_notes_are_append_only_with_corrections(world: World) -> None:
    first = cases.add_note(world.db, "omar.farah", world.people[1], "Ringde, inget svar")
    cases.add_note(world.db, "omar.farah", world.people[1], "Rättelse: svarade på sms", refers_to=first)
    notes = cases.notes(world.db, "omar.farah", world.people[1])
    assert len(notes) == 2 and {n.refers_to for n in notes} == {None, first}


def test_find_cli_prints_ranked_json_and_audits(world: World, people: dict, capsys: pytest.CaptureFixture) -> None:
    from tui import cli

    assert cli.main(["find", "ostberg", "--db", str(world.path), "--format", "json", "--user", "karin.ek", "--pin-stdin"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found[0]["id"] == people["ostberg"] and found[0]["personnummer"] == "197812273139"
    assert set(found[0]) == {"id", "personnummer", "name", "score", "matched_on"}
    events = audit.events(db.open(world.path), "setup", user="karin.ek")
    assert [(e.action, e.detail) for e in events] == [("search", "ostberg")]


def test_reserve_numbers_as_shown_are_found(world: World) -> None:
    pid = cases.register(world.db, "setup", cases.NewParticipant(
        first_name="Nadia", last_name="Okänd", gender="K", referral_date="2026-10-01", reserve_number="RES-000006"))
    for query in ("RES-000006", "res-000006", "RES000006"):
        assert [h.participant.id for h in cases.search(world.db, query, login="omar.farah")] == [pid], query


def test_a_wrong_check_digit_is_explained_with_the_right_number() -> None:
    assert identity.corrected("19781227-3138") == "19781227-3139"
    assert identity.corrected("19781227-3139") is None  # nothing wrong
    assert identity.corrected("19781332-3139") is None  # the date is wrong, not the check digit


def test_own_caseload_first_among_equals(world: World) -> None:
    from store import staff

    karin = staff.by_login(world.db, "karin.ek").id
    omar = staff.by_login(world.db, "omar.farah").id
    for cw in (karin, omar, karin):
        cases.register(world.db, "setup", cases.NewParticipant(
            first_name="Lars", last_name="Ahmed", gender="M", referral_date="2026-10-01", caseworker_id=cw))
    hits = cases.search(world.db, "Lars Ahmed", login="omar.farah")
    assert [h.participant.caseworker_id for h in hits] == [omar, karin, karin]


def test_more_equals_than_shown_the_own_caseload_then_by_name_and_renames_follow(world: World) -> None:
    """More people share a name than a search shows: the cut keeps one's own caseload first, then the rest
    in name order (read from the name index, migration 15), and a renamed person moves in that order."""
    from store import staff

    karin = staff.by_login(world.db, "karin.ek").id
    omar = staff.by_login(world.db, "omar.farah").id
    firsts = [f"{a}{b}" for a in "EDCBA" for b in "edcba"]  # 25 names, registered out of order
    for i, first in enumerate(firsts):
        cases.register(world.db, "setup", cases.NewParticipant(
            first_name=first, last_name="Zetterlund", gender="K", referral_date="2026-10-01",
            caseworker_id=omar if i in (3, 17) else karin))
    hits = cases.search(world.db, "zetterlund", login="omar.farah", limit=6)
    assert [h.participant.first_name for h in hits] == ["Bc", "Eb", "Aa", "Ab", "Ac", "Ad"]
    assert [h.participant.caseworker_id for h in hits][:2] == [omar, omar]
    last = next(h.participant.id for h in cases.search(world.db, "zetterlund ee", login="omar.farah"))
    cases.update(world.db, "setup", last, first_name="AA")  # from last in the order to first after his own
    hits = cases.search(world.db, "zetterlund", login="omar.farah", limit=3)
    assert [h.participant.first_name for h in hits] == ["Bc", "Eb", "AA"]
    with world.db.read() as conn:
        stale = conn.exec_driver_sql("SELECT count(*) FROM name_token nt JOIN participant p ON p.id = nt.participant_id"
                                     " WHERE nt.sort_name IS NOT p.last_name || char(31) || p.first_name").scalar()
    assert stale == 0


def test_two_and_three_words_rank_by_the_worst_match_then_own_caseload_then_name(world: World) -> None:
    """A search of several words keeps only the people every word matches, the exact ones before the
    prefixes and the typos, one's own caseload first among equals and then by name, cut to the limit –
    whichever word has the fewest people (the words are read from the name index as ranges, narrowed)."""
    from store import staff

    karin = staff.by_login(world.db, "karin.ek").id
    omar = staff.by_login(world.db, "omar.farah").id

    def person(first: str, last: str, cw: str) -> str:
        return cases.register(world.db, "setup", cases.NewParticipant(
            first_name=first, last_name=last, gender="K", referral_date="2026-10-01", caseworker_id=cw))

    exact = {first: person(first, "Quist", cw) for first, cw in (("Vera", karin), ("Vera Ulla", omar), ("Ulla", karin))}
    prefix = person("Verana", "Quistberg", karin)  # both words as prefixes
    other = person("Vera", "Kvist", omar)  # two edits from quist: not found by it
    for i in range(12):  # many more people with one of the words only
        person(f"Vera{i}", "Lindqvist", karin)
        person("Anna", f"Quist{i}", karin)
    hits = [h.participant.id for h in cases.search(world.db, "vera quist", login="omar.farah")]
    assert hits[:2] == [exact["Vera Ulla"], exact["Vera"]]  # both exact: omar's own first, then by name
    assert prefix in hits and other not in hits and exact["Ulla"] not in hits
    assert hits.index(prefix) > 1
    assert [h.participant.id for h in cases.search(world.db, "quist vera ulla", login="karin.ek")] == [exact["Vera Ulla"]]
    assert [h.participant.id for h in cases.search(world.db, "vera quist", login="karin.ek", limit=1)] == [exact["Vera"]]
    assert [h.matched_on for h in cases.search(world.db, "veraa quist", login="karin.ek")][:1] == ["likt namn"]


def test_a_reason_for_an_outside_read_is_a_few_words_or_a_listed_one(world: World) -> None:
    outside = world.people[0]  # karin's caseload
    with pytest.raises(ArenaError) as caught:
        cases.open_case(world.db, "omar.farah", outside, "x")
    assert caught.value.key == "acc.reason_short"
    cases.open_case(world.db, "omar.farah", outside, "Deltagaren har kontaktat mig")
    cases.open_case(world.db, "omar.farah", outside, "ringde om tider för praktiken")


VECTOR_KINDS = ("valid_personnummer", "valid_samordningsnummer", "valid_samordningsnummer_unknown_birth_date")


def test_every_shared_vector_finds_its_person_and_an_invalid_one_finds_nobody(world: World) -> None:
    """Every valid number of the shared vectors, in each form it is written, finds its person through
    `cases.search` (the function the search box calls; tests/test_tui.py types a sample into the box),
    and so does its canonical form; an invalid number finds nobody."""
    vectors = json.loads((DATA / "personnummer.json").read_text(encoding="utf-8"))
    valid = [case for kind in VECTOR_KINDS for case in vectors[kind]]
    person: dict[str, str] = {}
    for case in valid:
        if case["canonical"] not in person:
            person[case["canonical"]] = add(world, "Test", f"Vektor{len(person)}", case["input"])
    for case in valid:
        assert ids(world, case["input"])[:1] == [person[case["canonical"]]], case
        assert ids(world, case["canonical"])[:1] == [person[case["canonical"]]], case
    for bad in vectors["invalid"]:
        assert ids(world, bad) == [], bad


def test_the_search_reads_each_hits_stage_from_the_milestone_index_alone(world: World) -> None:
    """F2's stage column: one seek per person shown in the covering index (migration 16), never the
    milestone rows in the table (on a large programme that was most of a name search's time)."""
    shown = [hit.participant.id for hit in cases.search(world.db, "an", login="omar.farah")][:5]
    assert shown
    con = dbfile.connect(world.path)
    try:
        plan = [r[3] for r in con.execute("EXPLAIN QUERY PLAN " + cases.stage_sql(len(shown), "sv"), shown)]
    finally:
        con.close()
    assert any("COVERING INDEX milestone_stage_of" in step for step in plan), plan
    assert all(" m USING INDEX" not in step and "SCAN m" not in step for step in plan), plan


def test_a_name_and_the_other_names_initial_find_the_person(world: World) -> None:
    """"Ebba H", "Berg A": a first name and the surname's initial (or the other way round) found nobody,
    the one letter matching no name whole."""
    def found(query: str) -> list[str]:
        return [h.participant.name for h in cases.search(world.db, query, login="omar.farah")]

    assert found("Eva E") == found("Ek E") == found("e ek") == ["Ek, Eva"]
    assert found("Anna A") == ["Andersson, Anna"]
    assert found("Eva A") == [] and found("Ek X") == []
    assert found("Göran G") == found("Goran g") == ["Gustafsson, Göran"]
    assert found("Ann A") == ["Andersson, Anna"]  # a prefix and an initial
