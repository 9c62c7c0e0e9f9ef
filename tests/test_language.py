"""One catalog, two languages: no English on a Swedish screen, no Swedish on an English one, numbers with
the language's decimal mark, plural forms that agree.

The walk runs the real app through every screen and dialog (the language set before it starts, as
`arena --lang en` does), and the CLI through its messages and the report's headers. A word that only the *other* language's catalog uses – and that is
not data such as a person's or an activity's name – fails the test."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from store import attendance
from store.i18n import ArenaError
from tui.text import CATALOG, num, set_language, t

from . import inprocess
from .conftest import NAMES, PIN, World

ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[A-Za-zÅÄÖåäöÉéÜü]+")
# Proper names and codes that are the same in both languages (the programme's name, absence codes).
SHARED = {"arena", "arbetsmarknad", "sjuk", "vab", "giltig", "ogiltig", "annan", "ovrig"}


def vocabulary(index: int) -> set[str]:
    words: set[str] = set()
    for entry in CATALOG.values():
        text = re.sub(r"\{[^{}]*\}", " ", entry[index])
        words |= {w.casefold() for w in WORD.findall(text)}
    return words


SV, EN = vocabulary(0), vocabulary(1)
ONLY = {"sv": SV - EN - SHARED, "en": EN - SV - SHARED}


def foreign_words(text: str, lang: str, data: set[str]) -> list[str]:
    other = ONLY["en" if lang == "sv" else "sv"]
    return sorted({w for w in WORD.findall(text) if len(w) > 2 and w.casefold() in other
                   and w.casefold() not in data})


def world_data(world: World) -> set[str]:
    words = {w.casefold() for first, last in NAMES for w in (first, last)}
    words |= {"arbetsträning", "café", "omar", "farah", "karin", "lena", "leder", "sara", "systemansvarig",
              "centrum", "setup"}
    return words


def test_every_entry_has_both_languages_and_english_has_no_swedish_letters() -> None:
    allowed = {"app.title"}
    for key, entry in CATALOG.items():
        assert len(entry) == 2 and all(isinstance(s, str) and s for s in entry), key
        if key not in allowed and not key.startswith(("gender.", "rep.file_prefix")):
            assert not re.search(r"[åäöÅÄÖ]", entry[1]), (key, entry[1])


@pytest.mark.parametrize("value,sv,en", [(31.5, "31,5", "31.5"), (40.0, "40", "40"), (3.75, "3,8", "3.8"),
                                         (1234.5, "1\u00a0234,5", "1,234.5")])
def test_numbers_are_written_as_the_language_writes_them(value: float, sv: str, en: str) -> None:
    set_language("sv")
    assert num(value) == sv
    set_language("en")
    assert num(value) == en
    set_language("sv")


@pytest.mark.parametrize("n,sv,en", [(0, "0 träffar", "0 matches"), (1, "1 träff", "1 match"),
                                     (2, "2 träffar", "2 matches")])
def test_plural_forms_agree(n: int, sv: str, en: str) -> None:
    set_language("sv")
    assert t("search.count", n=n) == sv
    assert t("imp.summary", ok=1, unchanged=0, bad=0).startswith("1 rad importerad,")
    set_language("en")
    assert t("search.count", n=n) == en
    set_language("sv")


async def walk(world: World, lang: str) -> str:
    """Every screenful of tests/language_walk.py in `lang`, separated by form feeds as its script prints them."""
    from . import language_walk

    set_language(lang)
    try:
        return "".join(f"{shot}\n\f\n" for shot in await language_walk.walk(str(world.path), "omar.farah", PIN,
                                                                                          "setup"))
    finally:
        set_language("sv")


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_every_screen_and_dialog_speaks_one_language(world: World, lang: str) -> None:
    attendance.mark(world.db, "omar.farah", world.people[1], world.activity_id, dt.date(2026, 11, 23), "partial",
                    hours=3.5, note="kom sent")
    text = await walk(world, lang)
    assert text.count("\f") >= 35  # every screenful was taken
    assert foreign_words(text, lang, world_data(world) | {"ny", "person", "chef", "qxzq"}) == []
    # the administrator's screens were reached: the users, the refused role, the setup code
    users, refused, code = (("Användare", "chef", "Engångskod") if lang == "sv" else ("Users", "chef", "setup code"))
    assert users in text and refused in text and code.casefold() in text.casefold()
    assert ("Inga kommandon matchar" if lang == "sv" else "No matching commands") in text
    assert "No matches found" not in text
    if lang == "sv":
        assert "3,5" in text and "3.5" not in text  # the partial mark, with a decimal comma
        assert "v. 48" in text and "palette" not in text
    else:
        assert "3.5" in text and "wk 48" in text and "v. 48" not in text


def cli(args: list[str], lang: str) -> str:
    person = ["--user", "omar.farah", "--pin-stdin"] if args and args[0] in ("report", "import", "find") else []
    result = inprocess.arena(*args, *person, "--lang", lang, stdin=PIN + "\n", env={"ARENA_USER": "omar.farah"})
    return result.stdout + result.stderr


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_cli_messages_and_report_headers_speak_one_language(world: World, tmp_path: Path, lang: str) -> None:
    missing = tmp_path / "saknas.csv"
    bad_header = tmp_path / "fel.csv"
    bad_header.write_text("namn;telefon\r\nAnna;070\r\n", encoding="utf-8")
    outputs = [
        cli(["export", "--what", "nope"], lang),
        cli(["report", "narvaro", "--month", "2026-13", "--db", str(world.path)], lang),
        cli(["report", "narvaro", "--from", "2026-11-24", "--to", "2026-11-01", "--db", str(world.path)], lang),
        cli(["report", "narvaro", "--month", "2026-11", "--db", str(world.path), "--caseworker", "omar.farah"], lang),
        cli(["import", "attendance", str(missing), "--db", str(world.path)], lang),
        cli(["import", "attendance", str(bad_header), "--db", str(world.path)], lang),
        cli(["import"], lang),
        cli(["find", "Berg", "--db", str(world.path)], lang),
    ]
    text = "\n".join(outputs).replace(str(tmp_path), "").replace(str(world.path), "")  # paths are data
    assert "Traceback" not in text
    # What a user types is not translated: the option values and the column names an import accepts.
    from store.attendance import IMPORT_SPEC
    from tui.cli import EXPORT_WHAT

    typed = {w.casefold() for name in (*EXPORT_WHAT, *IMPORT_SPEC, "what") for w in WORD.findall(name)}
    typed |= {w.casefold() for aliases in IMPORT_SPEC.values() for a in aliases for w in WORD.findall(a)}
    assert foreign_words(text, lang, world_data(world) | typed | {"narvaro", "nope", "saknas", "fel", "namn",
                                                                   "telefon", "anna", "berg"}) == []
    header = outputs[3].lstrip("\ufeff").splitlines()[0]
    assert header.startswith("Personnummer;Namn;" if lang == "sv" else "Identity number,Name,")


async def test_the_language_switches_while_the_app_runs(world: World) -> None:
    """F12 turns the running app from Swedish to English and back: header, footer and the screen's own
    text, on the screen that was open and on one opened after; the words then come from one language."""
    from store import db
    from tui.app import ArenaApp

    from .language_walk import screen_text
    from .waiting import until_quiet

    data = world_data(world)
    set_language("sv")
    app = ArenaApp(db.open(world.path), "omar.farah", pin=PIN)
    try:
        async with app.run_test(size=(220, 40)) as pilot:  # wide: no footer label cut into a word
            await until_quiet(pilot, app)
            await pilot.press("f2")
            await until_quiet(pilot, app)
            before = screen_text(app)
            assert "Sök" in before and not foreign_words(before, "sv", data)
            await pilot.press("f12")
            await until_quiet(pilot, app)
            after = screen_text(app)
            assert type(app.screen).__name__ == "SearchScreen"
            assert "Search" in after and "New participant" in after, after
            assert not foreign_words(after, "en", data), foreign_words(after, "en", data)
            await pilot.press("f5")
            await until_quiet(pilot, app)
            overview = screen_text(app)
            assert "Attendance report" in overview and not foreign_words(overview, "en", data)
            await pilot.press("f12")
            await until_quiet(pilot, app)
            back = screen_text(app)
            assert type(app.screen).__name__ == "OverviewScreen"
            assert "Närvarorapport" in back and not foreign_words(back, "sv", data), foreign_words(back, "sv", data)
            # typed fast: three switches and a mode key are all done, in order, none lost
            await pilot.press("f12", "f12", "f12", "f3")
            await until_quiet(pilot, app)
            from tui.text import language

            assert language() == "en" and type(app.screen).__name__ == "AttendanceScreen"
            assert "Attendance" in screen_text(app) and not foreign_words(screen_text(app), "en", data)
    finally:
        set_language("sv")


async def test_f12_on_a_screen_opened_from_f5_or_the_card_stays_there_and_the_next_key_acts_there(world: World) -> None:
    """F12 on the users, activities, access review and conflicts lists (opened from F5) and on a case's
    enrolments (from its card): the same screen comes back in the other language, the review with its
    filters as typed, the lists on the same row; the key typed right after acts there. (They closed, and
    the key meant for the users list reached F5 beneath: `y` opened the sync dialog.)"""
    from textual.widgets import DataTable, Input

    from store import db
    from tui.app import ArenaApp

    from .waiting import until_quiet

    set_language("sv")
    app = ArenaApp(db.open(world.path), "setup", pin=PIN)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await until_quiet(pilot, app)
            for key, name in (("u", "UsersScreen"), ("a", "ActivitiesScreen"), ("k", "ConflictsScreen")):
                await pilot.press("f5", key)
                await until_quiet(pilot, app)
                if name == "UsersScreen":
                    await pilot.press("down")
                await pilot.press("f12")
                await until_quiet(pilot, app)
                assert type(app.screen).__name__ == name, (key, type(app.screen).__name__)
                if name == "UsersScreen":
                    assert app.screen.query_one(DataTable).cursor_row == 1
                    await pilot.press("ctrl+n")  # a key of the list, acting there
                    await until_quiet(pilot, app)
                    assert type(app.screen).__name__ == "FormDialog", type(app.screen).__name__
                    await pilot.press("escape")
                    await until_quiet(pilot, app)
                await pilot.press("escape")
                await until_quiet(pilot, app)
                assert type(app.screen).__name__ == "OverviewScreen"
            await pilot.press("g", *"omar", "tab", "tab", *"2026-11-2", "f12", "4")
            await until_quiet(pilot, app)
            assert type(app.screen).__name__ == "AccessReviewScreen"
            # the filters as typed, and the key after F12 goes on in the field it was typed in
            assert app.screen.query_one("#rv-user", Input).value == "omar"
            assert app.screen.query_one("#rv-since", Input).value == "2026-11-24"
            await pilot.press("escape")
            await until_quiet(pilot, app)
        set_language("sv")
        app = ArenaApp(db.open(world.path), "omar.farah", pin=PIN)  # a case of his caseload: no reason asked
        async with app.run_test(size=(120, 40)) as pilot:
            await until_quiet(pilot, app)
            app.open_case(world.people[1], "Berg, Björn")
            await until_quiet(pilot, app)
            await pilot.press("i", "f12")
            await until_quiet(pilot, app)
            assert type(app.screen).__name__ == "EnrolmentScreen", type(app.screen).__name__
            assert app.screen.query_one(DataTable).row_count == 1  # the person's enrolment, read again
            await pilot.press("escape")
            await until_quiet(pilot, app)
            assert type(app.screen).__name__ == "CaseCardScreen"
    finally:
        set_language("sv")


def test_nothing_says_a_sentence_at_import_time() -> None:
    """No `t()` in a class body or at a module's top level in tui/ (the language is chosen later, and may
    change while the app runs): key labels are catalog keys, said when shown."""
    import ast

    found = []
    for path in sorted((ROOT / "tui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def walk(node: ast.AST, inside: bool) -> None:
            for child in ast.iter_child_nodes(node):
                deeper = inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if (not deeper and isinstance(child, ast.Call) and isinstance(child.func, ast.Name)
                        and child.func.id in ("t", "plural", "num")):
                    found.append(f"{path.relative_to(ROOT)}:{child.lineno}")
                walk(child, deeper)

        walk(tree, False)
    assert not found


def test_the_store_holds_no_sentences() -> None:
    """UI text lives in tui/: the store's modules carry catalog keys, never the catalog itself."""
    for path in sorted((ROOT / "store").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "CATALOG" not in source, path.name
    from store.i18n import ArenaError

    error = ArenaError("err.bad_date", value="31/12")
    assert (error.key, error.params) == ("err.bad_date", {"value": "31/12"})
    set_language("en")
    try:
        assert str(error) == "“31/12” is not a date (YYYY-MM-DD)."
    finally:
        set_language("sv")
    assert str(error) == "”31/12” är inget datum (ÅÅÅÅ-MM-DD)."


def test_the_catalog_has_no_key_twice() -> None:
    """A key written twice in the catalog's source silently keeps only the last one."""
    import ast

    tree = ast.parse((ROOT / "tui" / "text.py").read_text(encoding="utf-8"))
    keys = [k.value for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys
            if isinstance(k, ast.Constant)]
    assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})


COMMANDS = ("demo", "export", "import", "find", "report", "stages", "sync", "keys", "users", "settings", "init",
            "activities", "enrol", "unenrol", "gallra")


def cli_help(lang: str, *args: str) -> str:
    """What `arena --lang LANG ARGS --help` prints (in-process: the parser is built in the language)."""
    import contextlib
    import io

    from tui.cli import entry

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        entry.main(["--lang", lang, *args, "--help"])
    set_language("sv")
    return out.getvalue()


def identifiers_out(text: str) -> str:
    """What a command line is made of, not words: options, choices, command names, file and hub examples."""
    text = re.sub(r"--?[\w-]+", " ", text)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\b(arena|python -m tui\.cli)\s+(\w+)", " ", text)
    text = re.sub(r"\S+://\S+|\S+=\S+|'[^']*'", " ", text)
    return re.sub(r"\b(" + "|".join(COMMANDS) + r")\b", " ", text)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_help_says_one_language(lang: str) -> None:
    """`arena --help` and every subcommand's help, argparse's own words ("usage", "options") included."""
    texts = {"arena": cli_help(lang)} | {command: cli_help(lang, command) for command in COMMANDS}
    if lang == "sv":
        assert all(text.startswith("användning: ") and "flaggor:" in text for text in texts.values())
    else:
        assert all(text.startswith("usage: ") and "options:" in text for text in texts.values())
    found = {command: foreign_words(identifiers_out(text), lang, set()) for command, text in texts.items()}
    assert not any(found.values()), {c: w for c, w in found.items() if w}


@pytest.mark.parametrize("lang,args,said", [
    ("sv", ["import"], "följande argument krävs: vad (attendance eller participants), fil"),
    ("en", ["import"], "the following arguments are required: what (attendance or participants), file"),
    ("sv", ["report"], "följande argument krävs: vilken rapport (narvaro)"),
    ("sv", ["exprt"], "ogiltigt val: exprt"),
    ("en", ["exprt"], "invalid choice: exprt"),
    ("sv", ["report", "narvaro", "--month"], "--month behöver ett värde"),
    ("en", ["find", "--nope", "x"], "unrecognized arguments: --nope"),
])
def test_argparse_refusals_in_one_language(lang: str, args: list[str], said: str) -> None:
    done = inprocess.arena("--lang", lang, *args)
    assert done.returncode == 2 and said in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not foreign_words(identifiers_out(done.stderr), lang, set()), done.stderr


@pytest.mark.parametrize("lang,said", [
    ("en", "first name: the text contains characters that are not allowed"),
    ("sv", "förnamn: texten innehåller otillåtna tecken"),
])
def test_a_bad_character_names_the_field_in_the_readers_language(world: World, tmp_path: Path, lang: str,
                                                                  said: str) -> None:
    """A refused referral row (a tab inside a name, as a paste from a case system leaves it) says which field,
    in the language of the command, with nothing of the other language."""
    file = tmp_path / "anvisningar.csv"
    file.write_text('förnamn;efternamn;kön;anvisningsdatum;reservnummer\r\n"Anna\tX";Berg;K;2026-09-01;R-1\r\n',
                    encoding="utf-8-sig")
    done = inprocess.arena("--lang", lang, "import", "participants", str(file), "--db", str(world.path), "--user",
                           "omar.farah", "--pin-stdin", stdin=PIN + "\n")
    assert done.returncode == 2, done.stderr
    assert said in done.stdout + done.stderr, done.stdout + done.stderr
    assert not foreign_words(done.stdout + done.stderr, lang, world_data(world))


def test_every_checked_field_has_a_name_in_both_languages() -> None:
    """`validate.text(value, "first_name")` names the field in a refusal: each such name is in the catalog."""
    import ast

    missing = []
    for path in sorted([*(ROOT / "store").glob("*.py"), *(ROOT / "tui").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "text"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "validate"
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
                if f"field.{node.args[1].value}" not in CATALOG:
                    missing.append(f"{path.name}:{node.lineno} {node.args[1].value}")
    assert not missing


def test_the_sync_line_and_refused_rows_are_said_in_the_language_of_now(world: World, tmp_path: Path) -> None:
    """F5's sync line and an import's refused rows are kept as catalog keys and values, not as sentences:
    made while Swedish was on, they are read in English after `--lang en` or F12 (#22)."""
    from store import referrals, sync

    data = world_data(world) | {"anvisningar", "berg", "anna", "xx"}
    key = sync.new_key(tmp_path / "arena.key")
    (tmp_path / "share").mkdir()
    file = tmp_path / "anvisningar.csv"
    file.write_text("förnamn;efternamn;kön;anvisningsdatum;reservnummer\r\nAnna;Berg;XX;2026-09-01;R-1\r\n",
                    encoding="utf-8")
    try:
        set_language("sv")
        share = sync.DirShare(tmp_path / "share")
        sync.sync(world.db, share, sync.load_key(key))
        refused = referrals.import_file(world.db, "setup", file).rejected
        said_sv = sync.status(world.db).last_line, str(refused[0][1])
        set_language("en")
        said_en = sync.status(world.db).last_line, str(refused[0][1])
        # a sync refused before it began (another programme's key) is remembered the same way
        set_language("sv")
        with pytest.raises(ArenaError):
            sync.sync(world.db, share, sync.load_key(sync.new_key(tmp_path / "other.key")))
        set_language("en")
        failed_en = sync.status(world.db).last_line
    finally:
        set_language("sv")
    assert said_sv[0] != said_en[0] and said_sv[1] != said_en[1] and len(refused) == 1
    assert not foreign_words(" ".join(said_sv), "sv", data), said_sv
    assert not foreign_words(" ".join((*said_en, failed_en)), "en", data), (said_en, failed_en)
    assert failed_en and not re.search(r"[åäöÅÄÖ]", failed_en)


async def test_the_demo_stays_marked_in_the_other_language(demo_db: Path) -> None:
    """F12 on the demo: the header still says DEMO (it said "Arena Arbetsmarknad" alone in English)."""
    from store import db
    from tui.app import ArenaApp

    from .conftest import DEMO_PIN
    from .language_walk import screen_text
    from .waiting import until_quiet

    set_language("sv")
    app = ArenaApp(db.open(demo_db), "anna.lind", pin=DEMO_PIN)
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await until_quiet(pilot, app)
            assert "DEMO" in app.title and "Användare" in screen_text(app)
            await pilot.press("f12")
            await until_quiet(pilot, app)
            assert "User" in screen_text(app) and "DEMO" in app.title and "DEMO" in screen_text(app)
    finally:
        set_language("sv")


async def test_the_palette_says_nothing_matches_in_the_catalogs_words_and_choosing_it_does_nothing(
        world: World) -> None:
    """Textual's palette says "No matches found" itself; Arena's provider offers its own line instead,
    at once, and choosing it only closes the palette (tui/palette.py). A command that matches is offered
    as before and runs."""
    from textual.command import CommandList, CommandPalette

    from .test_tui import make_app, settle
    from .waiting import eventually

    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        before = app.current_mode
        await pilot.press("ctrl+p", "enter")  # by reflex: the first line is never quitting
        await settle(pilot, app)
        assert app.is_running and app.return_code is None and type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"qxzq")
        await eventually(pilot, lambda: isinstance(app.screen, CommandPalette)
                         and app.screen.query_one(CommandList).option_count == 1, "the palette's one line")
        line = app.screen.query_one(CommandList).get_option_at_index(0)
        assert "Inga kommandon matchar" in str(line.prompt)
        await pilot.press("down", "enter")
        await settle(pilot, app)
        assert not isinstance(app.screen, CommandPalette) and app.current_mode == before
        await pilot.press("ctrl+p", *"engli")  # "Språk: English", the language command
        await eventually(pilot, lambda: isinstance(app.screen, CommandPalette)
                         and app.screen.query_one(CommandList).option_count >= 1, "the language command")
        assert "Inga kommandon matchar" not in str(app.screen.query_one(CommandList).get_option_at_index(0).prompt)
