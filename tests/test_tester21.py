"""The last tester's findings on #21, each typed with real keys through the Pilot and checked on the screen
and in the database: an edited old mark, the week grid's and the card's totals, undo after a cancel, the
filter and all present, absence reasons and History in words, the case card's keys, dialogs that name the
person, re-entry, and the session list at 80 columns."""
from __future__ import annotations

import datetime as dt

import pytest
from rich.text import Text
from textual.widgets import DataTable, Static

from store import attendance, cases, milestones

from .conftest import TODAY, World, footer_keys
from .test_keys import type_fast
from .test_small_screen import check_screen
from .test_tui import count, make_app, settle
from .waiting import wait_until_async

MONDAY = TODAY - dt.timedelta(days=1)


def plain(value: object) -> str:
    return value.plain if isinstance(value, Text) else str(value)


def said(app) -> list[str]:  # noqa: ANN001
    return [str(n.message) for n in app.notices]


async def test_an_edited_old_mark_is_shown_as_edited_with_what_it_was(world: World,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    anna, bjorn = world.people[:2]
    monkeypatch.setenv("ARENA_TODAY", MONDAY.isoformat())  # recorded on its day
    attendance.mark(world.db, "lena.leder", anna, world.activity_id, MONDAY, "present")
    monkeypatch.setenv("ARENA_TODAY", TODAY.isoformat())
    cases.update(world.db, "setup", anna, plan_mon=8, plan_tue=8)  # more than the session's 6 h a day
    app = make_app(world, "lena.leder")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", "left_square_bracket", "up", "g", "enter")  # läkarbesök
        assert count(world, "SELECT count(*) FROM attendance WHERE participant_id = ? AND status = 'excused'"
                            " AND reason_code = 'LAKARE' AND late = 0", anna) == 1  # changed, not recorded late
        roll = app.screen.query_one("#roll", DataTable)
        assert plain(roll.get_cell(anna, "mark")) == "G Giltig frånvaro′"  # edited, no '*', no raw code
        assert "ändrad" in plain(roll.get_cell(anna, "info"))
        roll.move_cursor(row=0)
        await settle(pilot, app)
        detail = str(app.screen.query_one("#roll-detail", Static).render())
        assert "var ✓ Närvarande 6 h" in detail and "läkar- eller tandläkarbesök" in detail, detail
        assert "lakare" not in detail.lower().replace("läkar", "")
        assert check_screen(app) == []
        await type_fast(pilot, app, "w")
        week = app.screen.query_one("#week", DataTable)
        assert plain(week.get_cell(anna, MONDAY.isoformat())) == "G′"
        # the totals are this session's, as its cells show them: 6 h a day on Monday and Tuesday, not the
        # person's 8; attended 0 (an excused absence), Björn not marked: 12 planned, 0 done
        assert plain(week.get_cell(anna, "plan")) == "12" and plain(week.get_cell(anna, "done")) == "0"
        assert plain(week.get_cell(bjorn, "plan")) == "12"
        week.move_cursor(row=week.get_row_index(anna), column=1)
        await settle(pilot, app)
        assert "var ✓ Närvarande 6 h" in str(app.screen.query_one("#week-cell").render())
    # the case card's "Plan hittills" this week: Monday and Tuesday of the person's plan, not the week's
    this_week = attendance.person_weeks(world.db, "omar.farah", bjorn, weeks=1)[0]
    assert this_week.planned == 12  # 6 + 6 (Björn's plan), not 28


async def test_undo_of_a_cancel_says_how_many_marks_come_back(world: World) -> None:
    app = make_app(world, "lena.leder")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", "n", "n", "s", "x")
        assert "3 markeringar" in str(app.screen.query_one(".dialog-question").render())
        await type_fast(pilot, app, "enter")  # reversible (Ctrl+Z): Enter confirms
        assert count(world, "SELECT count(*) FROM session_cancel") == 1
        await type_fast(pilot, app, "ctrl+z")
        assert count(world, "SELECT count(*) FROM session_cancel") == 0
        assert any("3 markeringar räknas igen" in m for m in said(app)), said(app)
        assert not any("(0)" in m for m in said(app))
        await type_fast(pilot, app, "ctrl+z")  # the last mark, as it was before
        assert count(world, "SELECT count(*) FROM attendance") == 2
        assert any("Carlsson, Cecilia har markeringen som den var före" in m for m in said(app)), said(app)


async def test_all_present_with_the_filter_marks_only_those_shown(world: World) -> None:
    app = make_app(world, "lena.leder")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter", "slash", *"berg", "enter", "A")
        question = str(app.screen.query_one(".dialog-question").render())
        assert "berg" in question and "de 3 omarkerade" in question and "22 omarkerade som filtret döljer" in question, question
        await type_fast(pilot, app, "enter")
        assert count(world, "SELECT count(*) FROM attendance") == 3  # Berg, Zetterberg and Åberg, nobody hidden
        assert count(world, "SELECT count(*) FROM attendance a JOIN participant p ON p.id = a.participant_id"
                            " WHERE p.last_name NOT LIKE '%berg'") == 0


async def test_card_keys_fit_80_columns_follow_an_exit_and_name_the_person(world: World) -> None:
    app = make_app(world)
    pid = world.people[1]  # Björn Berg, Omar's
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *"berg", "enter", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen"
        shown = {k.key for k in footer_keys(app.screen)}
        assert {"escape", "ctrl+e", "r", "a", "p", "c", "e", "ctrl+n", "i", "f1"} <= shown, shown
        assert "R" not in shown  # re-entry is for an exited person
        assert check_screen(app) == []
        current = milestones.current_of(milestones.timeline(world.db, "omar.farah", pid))
        await type_fast(pilot, app, "p")
        question = str(app.screen.query_one(".dialog-question").render())
        assert "Berg" in question and current is not None and current.stage_label in question, question
        await type_fast(pilot, app, "escape")
        # exit: the confirmation names the person and defaults to No: Enter exits nobody
        await type_fast(pilot, app, "e", "enter", "enter")
        question = str(app.screen.query_one(".dialog-question").render())
        assert "Björn Berg" in question or "Berg, Björn" in question, question
        await type_fast(pilot, app, "enter")
        assert count(world, "SELECT count(*) FROM participant WHERE id = ? AND status = 'exited'", pid) == 0
        await type_fast(pilot, app, "e", "enter", "enter", "j")
        assert count(world, "SELECT count(*) FROM participant WHERE id = ? AND status = 'exited'", pid) == 1
        def keys_shown() -> set[str]:
            return {k.key for k in footer_keys(app.screen)}

        # the card reads the person again after the write; its footer follows once that read is shown
        await wait_until_async(lambda: "R" in keys_shown(), "R in the card's footer after the exit")
        shown = keys_shown()
        assert "R" in shown and not {"a", "p", "c", "e"} & shown, shown
        # re-entry: the first referral stays in the header, the re-entry is said as one
        await type_fast(pilot, app, "R", "enter")
        assert count(world, "SELECT count(*) FROM participant WHERE id = ? AND status = 'active'", pid) == 1
        header = str(app.screen.query_one("#card-header").render())
        assert "anvisad 2026-09-01" in header and f"återinskriven {TODAY.isoformat()}" in header, header
        # History in words: no stored values such as 'exited' or 'started'
        history = app.screen.query_one("#card-history", DataTable)
        text = " ".join(plain(history.get_cell_at((r, 3))) for r in range(history.row_count))
        assert "avslutad" in text and "exited" not in text and "started" not in text, text


async def test_session_names_keep_one_line_at_80_columns(world: World) -> None:
    from store import activities

    activities.create(world.db, "setup", "Arbetsträning second hand grupp 2", (4, 4, 4, 4, 4), kind="arbetsträning",
                      site="Centrum", leader_login="lena.leder")
    app = make_app(world, "lena.leder")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3")
        table = app.screen.query_one("#sessions", DataTable)
        assert all(row.height == 1 for row in table.rows.values())
        names = [plain(table.get_cell_at((r, 0))) for r in range(table.row_count)]
        assert "Arbetsträning café" in names and any(n.startswith("Arb") and "g2" in n for n in names), names
        assert check_screen(app) == []


async def test_a_demo_case_shows_its_history_on_the_card(demo_db) -> None:  # noqa: ANN001
    """qa21 3: the Historik tab of a demo case of many months, opened by its caseworker with F2 and a click
    on the tab, shows the case's past: the referral, milestones and notes of earlier days, newest first,
    nothing stamped after the moment the demo was built."""
    from store import db
    from store.pins import DEMO_PIN
    from tui.app import ArenaApp

    database = db.open(demo_db)
    with database.read() as conn:
        pid, number, login = conn.exec_driver_sql(
            "SELECT p.id, p.personnummer, c.login FROM participant p JOIN caseworker c ON c.id = p.caseworker_id"
            " WHERE p.referral_date < '2026-03-01' AND p.personnummer IS NOT NULL AND p.protected = 0"
            " ORDER BY p.referral_date LIMIT 1").one()
    logged = cases.history(database, login, pid, 300)
    app = ArenaApp(database, login, pin=DEMO_PIN)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *number, "enter", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen"
        await pilot.click("#--content-tab-tab-history")
        await settle(pilot, app)
        history = app.screen.query_one("#card-history", DataTable)
        assert history.display and history.region.height > 0
        rows = [[plain(c) for c in history.get_row_at(r)] for r in range(history.row_count)]
    assert len(rows) == len(logged) > 20
    whens = [row[0] for row in rows]
    assert whens == sorted(whens, reverse=True) and whens[0] < TODAY.isoformat() and whens[-1] < "2026-03-01"
    what = " ".join(row[2] for row in rows)
    assert "milstolpe" in what and "anteckning" in what and "deltagare" in what, what


async def test_history_says_created_for_a_new_row_and_leaves_out_empty_fields(world: World) -> None:
    """qa21 4: a registration, a note and a milestone are "skapad" (created) with the values they were made
    with, never "– → –" for a field left empty nor the person the card is about; a later edit is "ändrad"
    with what it was."""
    pid = world.people[1]  # Björn Berg, Omar's: registered without address or phone
    cases.add_note(world.db, "omar.farah", pid, "Första samtalet")
    cases.update(world.db, "omar.farah", pid, phone="0701234567")
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *"berg", "enter", "enter")
        await pilot.click("#--content-tab-tab-history")
        await settle(pilot, app)
        history = app.screen.query_one("#card-history", DataTable)
        rows = [[plain(c) for c in history.get_row_at(r)] for r in range(history.row_count)]
    said = {row[2]: row[3] for row in rows}
    assert {"deltagare skapad", "deltagare ändrad", "anteckning skapad", "milstolpe skapad"} <= said.keys(), rows
    assert said["deltagare ändrad"] == "telefon: – → 0701234567", rows
    created = said["deltagare skapad"]
    assert "förnamn: Björn" in created and "→" not in created and "–" not in created and "adress" not in created
    assert said["anteckning skapad"].endswith("text: Första samtalet") and "→" not in said["anteckning skapad"]
    assert not any("deltagare:" in row[3] for row in rows if not row[2].startswith("deltagare")), rows


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_protected_persons_tag_stays_whole_in_the_roll_call(world: World, lang: str) -> None:
    """The roll call's name column cut a long name and its tag together ("Eriksson, Abdi [PROTECTE"): the
    name gives way, the tag stays whole, in both languages."""
    from tui.text import set_language

    pid = world.people[0]  # Andersson, Anna: the first in the roll call
    cases.update(world.db, "karin.ek", pid, first_name="Anna-Karin Margareta", protected=True)
    set_language(lang)
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f3", "enter")
        roll = app.screen.query_one("#roll", DataTable)
        cell = roll.get_cell(pid, "name")
        tag = "[SKYDDAD]" if lang == "sv" else "[PROTECTED]"
        assert cell.plain.endswith(f"… {tag}") and cell.plain.startswith("Andersson,"), cell.plain
        line = roll.render_line(roll.header_height).text
        assert tag in line, line
