"""The tester's TUI findings on #22, typed with real keys through the Pilot and checked on the screen, in
the files and in the database: the case card's planned hours agree with the närvarorapport, History
names what an id points at, F12 keeps the card, the report dialog at 80x24, the F5 footer, the age of a
samordningsnummer without a birth date and a second report with the same name."""
from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.widgets import DataTable, Static

from store import activities, cases, report, staff
from tui.text import num

from .conftest import TODAY, World, footer_keys
from .test_keys import type_fast
from .test_tui import make_app, settle


def plain(value: object) -> str:
    return value.plain if isinstance(value, Text) else str(value)


def register_zoe(world: World) -> str:
    """Zoë, referred on Tuesday 2026-11-03 (week 45) with 3.5 h a day: 17.5 h a week."""
    omar = staff.by_login(world.db, "omar.farah")
    pid = cases.register(world.db, "setup", cases.NewParticipant(
        first_name="Zoë", last_name="Zetterlund", gender="K", referral_date="2026-11-03", caseworker_id=omar.id,
        plan=(3.5, 3.5, 3.5, 3.5, 3.5)))
    return pid


async def test_the_card_counts_planned_hours_from_the_referral_like_the_report(world: World) -> None:
    assert TODAY == dt.date(2026, 11, 24)  # Tuesday of week 48
    pid = register_zoe(world)
    made = report.build(world.db, "omar.farah", "2026-11", participant=pid)
    by_week = {line.label: line.planned for line in made.people[0].weeks}
    assert by_week == {"v. 45": 14, "v. 46": 17.5, "v. 47": 17.5, "v. 48": 7, "v. 49": 0}, by_week
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *"zetterlund", "enter", "enter")
        assert type(app.screen).__name__ == "CaseCardScreen"
        overview = str(app.screen.query_one("#card-overview", Static).render())
        # the four complete weeks before this one (44-47): 0 + 14 + 17.5 + 17.5, not 4 x 17.5
        assert "Senaste 4 veckorna: 0 av 49 h" in overview, overview
        weeks = app.screen.query_one("#card-weeks", DataTable)
        shown = {plain(weeks.get_cell_at((r, 0))): plain(weeks.get_cell_at((r, 1))) for r in range(weeks.row_count)}
        assert shown["v. 48"] == "7" and shown["v. 47"] == "17,5" and shown["v. 45"] == "14", shown
        assert shown["v. 44"] == "0" and shown["v. 41"] == "0", shown  # before the referral: nothing planned
        for week, planned in list(by_week.items())[:-1]:  # the same figures as the report, week by week
            assert shown[week] == num(planned), (week, shown)


async def test_history_names_the_activity_and_caseworker_not_their_ids(world: World) -> None:
    import re

    pid = world.people[1]  # Björn Berg, Omar's, enrolled in the café
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *"berg", "enter", "enter")
        assert app.screen.participant.id == pid
        history = app.screen.query_one("#card-history", DataTable)
        text = " ".join(plain(history.get_cell_at((r, 3))) for r in range(history.row_count))
        # new rows say the values they were made with (qa21 4); the card's own person is not repeated
        assert "handläggare: Omar Farah" in text, text
        assert "aktivitet: Arbetsträning café" in text and "pass: Arbetsträning café" in text, text
        assert "deltagare:" not in text, text
        assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}", text), text  # no internal id anywhere


async def test_f12_on_a_case_card_keeps_the_card_open_on_its_tab(world: World) -> None:
    from textual.widgets import TabbedContent

    pid = world.people[1]
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *"berg", "enter", "enter")
        app.screen.query_one("#card-tabs", TabbedContent).active = "tab-history"
        await settle(pilot, app)
        await type_fast(pilot, app, "f12")
        assert type(app.screen).__name__ == "CaseCardScreen" and app.screen.participant.id == pid
        assert app.screen.query_one("#card-tabs", TabbedContent).active == "tab-history"
        assert "referred" in str(app.screen.query_one("#card-header").render())  # said in English now
        await type_fast(pilot, app, "f12", "escape")  # back in Swedish, Escape goes to the search it came from
        assert type(app.screen).__name__ == "SearchScreen" and app.current_mode == "search"


async def test_f5_footer_at_120_columns_gives_every_key_of_the_screen_its_words(world: World) -> None:
    app = make_app(world, "setup")  # the administrator: the most keys on F5
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f5")
        await settle(pilot, app)
        keys = {k.key: k.description for k in footer_keys(app.screen) if not k.palette}
        for key in ("u", "a", "g", "k", "y"):  # the screen's own keys keep their words ("u Användare")
            assert keys.get(key), keys
        assert "u Användare" in " ".join(f"{k} {d}" for k, d in keys.items())


async def test_search_says_the_age_of_a_samordningsnummer_without_birth_date_is_unknown(world: World) -> None:
    omar = staff.by_login(world.db, "omar.farah")
    pid = cases.register(world.db, "setup", cases.NewParticipant(
        first_name="Amina", last_name="Okändsdotter", gender="K", referral_date="2026-11-03",
        caseworker_id=omar.id, personnummer="19900060-2384", plan=(6, 6, 6, 6, 4)))  # month 00: birth date unknown
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f2", *"okändsdotter")
        results = app.screen.query_one("#results", DataTable)
        await settle(pilot, app)
        assert results.row_count == 1
        assert plain(results.get_cell(pid, "age")) == "okänd"
        await type_fast(pilot, app, "enter", "enter")
        assert "ålder okänd" in str(app.screen.query_one("#card-header").render())  # the card says the same


async def test_report_dialog_at_80x24_shows_its_buttons_and_a_second_report_keeps_the_first(world: World) -> None:
    from textual.widgets import Button

    app = make_app(world)
    folder = world.path.parent / "rapporter"
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f5", "R")
        screen = app.screen
        assert type(screen).__name__ == "ReportDialog"
        for button in screen.query(Button):  # "Skriv rapport" and "Avbryt" on the screen, not scrolled away
            region = button.region
            assert region.height == 3 and region.bottom <= 24 - 1, (button.id, region)
            assert screen.get_widget_at(region.x + region.width // 2, region.y + 1)[0] is button, button.id
        await type_fast(pilot, app, "tab", "tab", "tab", "tab")  # to the format: the fields scroll, it shows
        fmt = screen.query_one("#rep-format")
        assert screen.has_focus_within and fmt.has_focus and fmt.region.bottom <= screen.query_one("#rep-write").region.y
        await type_fast(pilot, app, "ctrl+s")
        await settle(pilot, app)
        first = folder / "narvarorapport-2026-11-handlaggare-omar.farah.pdf"
        assert first.exists()
        written = first.read_bytes()
        await type_fast(pilot, app, "R", "ctrl+s")  # the same parameters again
        await settle(pilot, app)
    second = folder / "narvarorapport-2026-11-handlaggare-omar.farah-2.pdf"
    assert second.exists() and first.read_bytes() == written  # the first file untouched
    assert oct(second.stat().st_mode & 0o777) == "0o600"
    assert {p.name for p in folder.iterdir()} == {first.name, second.name}  # no temporary left
    assert any(second.name in str(n.message) for n in app.notices)


async def test_at_80x24_choosing_an_activitys_people_brings_the_activity_field_into_view(world: World) -> None:
    """The field that choosing "En aktivitets deltagare" adds lay below the scrolled fields at 80x24: the
    caseworker saw nothing happen. It comes into view, and the activity chosen there is written."""
    from .language_walk import screen_text

    app = make_app(world)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f5", "R")
        screen = app.screen
        assert "Välj aktivitet" not in screen_text(app)
        await type_fast(pilot, app, "tab", "tab", "tab", "enter", "down", "enter")  # the people: an activity's
        assert screen.query_one("#rep-scope").value == "activity"
        await settle(pilot, app)
        assert "Välj aktivitet" in screen_text(app)  # on the screen, not only reachable with Tab
        activity = screen.query_one("#rep-activity")
        assert activity.region.bottom <= screen.query_one("#rep-write").region.y
        for n in range(12):  # a programme's many activities: a long list
            activities.create(world.db, "setup", f"Övning {n:02}", (6, 6, 6, 6, 4), kind="arbetsträning",
                              site="Centrum", leader_login="lena.leder")
        app.screen._read_activities(app.db)
        await settle(pilot, app)
        await type_fast(pilot, app, "tab", "enter")  # the list open: inside the dialog, its Esc on the footer
        overlay = activity.query_one("SelectOverlay")
        dialog = screen.query_one("#report-dialog").region
        assert overlay.region.height >= 4 and overlay.region.bottom <= dialog.bottom, (overlay.region, dialog)
        assert "esc Stäng listan" in screen_text(app).splitlines()[-1]
        await type_fast(pilot, app, "down", "enter")
        assert activity.value == world.activity_id
        await type_fast(pilot, app, "ctrl+s", "down", "enter")  # outside the caseload: the first reason
        await settle(pilot, app)
    assert [p.name for p in (world.path.parent / "rapporter").iterdir()] == [
        "narvarorapport-2026-11-aktivitet-Arbetstraning-cafe.pdf"]


async def test_report_dialog_asks_for_the_activity_and_shows_only_the_period_it_uses(world: World) -> None:
    """Whom: an activity, none chosen: the dialog says to choose one and stays (it wrote Textual's
    "Select.NULL" into a toast). A from–to typed empties the month field and a month typed empties from–to,
    so the dialog shows the one period the report will have."""
    from textual.widgets import Input, Label

    app = make_app(world)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, app)
        await type_fast(pilot, app, "f5", "R")
        screen = app.screen
        month, start = screen.query_one("#rep-month", Input), screen.query_one("#rep-from", Input)
        assert month.value == "2026-11"
        await type_fast(pilot, app, "tab", *"2026-11-02")
        assert (month.value, start.value) == ("", "2026-11-02")
        await type_fast(pilot, app, "shift+tab", *"2026-10")
        assert (month.value, start.value) == ("2026-10", "")
        await type_fast(pilot, app, "tab", "tab", "tab", "enter", "down", "enter")  # whom: an activity
        assert str(screen.query_one("#rep-scope").value) == "activity"
        await type_fast(pilot, app, "ctrl+s")
        await settle(pilot, app)
        assert app.screen is screen
        assert str(screen.query_one("#rep-error", Label).render()) == "Välj en aktivitet först."
        assert not any("NULL" in str(n.message) for n in app.notices)
    folder = world.path.parent / "rapporter"
    assert not folder.exists() or not any(folder.iterdir())


async def test_a_line_printed_before_the_app_started_is_said_on_its_first_screen(world: World) -> None:
    """`arena --demo` setting an older demo aside prints a line the app then covers: the app says it again."""
    from store import db
    from tui.app import ArenaApp

    from .conftest import PIN
    from .waiting import record_notices

    app = ArenaApp(db.open(world.path), "omar.farah", pin=PIN, notice="Demodatabasen … har lagts undan som demo-1.db")
    record_notices(app)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, app)
        assert type(app.screen).__name__ == "OverviewScreen"
        assert [n.message for n in app.notices if "undan" in n.message] == [
            "Demodatabasen … har lagts undan som demo-1.db"]
