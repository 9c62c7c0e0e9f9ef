"""Walk every screen and dialog of the app in one language and collect what is on the screen, one
screenful after another, each taken once the app is quiet after a key (tests/waiting.py). Used by
tests/test_language.py in the test process: the language is set before the app starts, as `arena --lang`
does, and no screen says a sentence when it is imported (test_nothing_says_a_sentence_at_import_time), so
no process of its own is needed. `python -m tests.language_walk DB LANG LOGIN PIN` prints the walk for a
person to read."""
from __future__ import annotations

import asyncio
import sys


def screen_text(app) -> str:  # noqa: ANN001
    """The characters on screen, line by line: what `App.export_screenshot` draws (the same full render,
    dialogs over the dimmed screens below), without turning it into an SVG first."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return "\n".join("".join(strip.text for strip in line) for line in update.strips).replace("\u00a0", " ")


def footer_words(app) -> set[str]:  # noqa: ANN001
    """The words beside the keys on the bottom line: a key's label comes from the catalog, Textual's own
    bindings (a Select's open list: "Dismiss menu") included."""
    from .conftest import footer_keys

    return {key.description for key in footer_keys(app.screen) if key.description}


async def walk(path: str, login: str, pin: str, admin: str = "") -> list[str]:
    """The screenfuls a caseworker (`login`) sees, then (with `admin`) what only an administrator sees:
    the users screen and its dialogs."""
    shots = await walk_as(path, login, pin, caseworker_walk)
    if admin:
        shots += await walk_as(path, admin, pin, admin_walk)
    return shots


async def walk_as(path: str, login: str, pin: str, steps) -> list[str]:  # noqa: ANN001 -- an async walk
    from store import db
    from tui.app import ArenaApp
    from tui.text import CATALOG, language

    from .test_keys import type_fast
    from .waiting import until_quiet

    app = ArenaApp(db.open(path), login, pin=pin)
    said = {entry[0 if language() == "sv" else 1] for entry in CATALOG.values()}
    shots: list[str] = []
    async with app.run_test(size=(140, 45), notifications=True) as pilot:
        async def settle() -> None:
            await until_quiet(pilot, app)

        async def press(*keys: str) -> None:
            await type_fast(pilot, app, *keys)  # a step's keys at typing speed; then the app is quiet
            shots.append(screen_text(app))
            untranslated = footer_words(app) - said
            assert not untranslated, f"footer words not in the catalog's {language()}: {untranslated}"

        await settle()
        shots.append(screen_text(app))
        await steps(app, pilot, press, settle)
    return shots


async def caseworker_walk(app, pilot, press, settle) -> None:  # noqa: ANN001
    await press("f5")
    await press("f")  # programme figures
    await press("f")
    await press("R")  # report dialog
    await press("tab", "tab", "tab", "enter")  # its choice of people, the list open (Textual's own keys)
    assert type(app.focused).__name__ == "SelectOverlay", type(app.focused).__name__
    await press("escape")
    await press("escape")
    await press("g")  # access review
    await press("escape")
    await press("f1")
    await press("escape")
    await press("f2", *"Berg", "enter")
    await press("enter")  # case card
    assert type(app.screen).__name__ == "CaseCardScreen", type(app.screen).__name__
    tabs = app.screen.query_one("#card-tabs")
    for tab in ("tab-attendance", "tab-milestones", "tab-notes", "tab-history"):
        tabs.active = tab  # a tab the card lacks fails the walk (Textual refuses an unknown tab)
        await press()
        assert tabs.active == tab, (tab, tabs.active)
    await press("r")  # report dialog for the person
    await press("escape")
    await press("escape")
    await press("ctrl+n")  # register dialog
    await press(*"19850560", "tab")
    await press("escape")
    await press("f3")
    await press("enter")  # roll call
    await press("d")  # partial: hours prompt
    await press("escape")
    await press("w")  # week grid
    await press("escape")
    await press("f4")
    await press("ctrl+p")  # command palette
    await press(*"qxzq")  # nothing matches: Textual's own words, unless the catalog's are given
    from textual.command import CommandList

    from .waiting import eventually

    await eventually(pilot, lambda: app.screen.query(CommandList) and app.screen.query_one(CommandList).option_count,
                     "the command palette to say that nothing matches (after a short countdown of its own)")
    await press()
    await press("escape")


async def admin_walk(app, pilot, press, settle) -> None:  # noqa: ANN001
    await press("f5")
    await press("u")  # users
    await press("ctrl+n")  # a new user: the form
    await press(*"ny.person", "enter", *"Ny Person", "enter", *"chef", "ctrl+s")  # an unknown role: refused
    await press("escape")
    await press("down", "r")  # a role: the choice
    await press("escape")
    await press("d")  # deactivate: the question
    await press("escape")
    await press("p")  # a new PIN: the question, then the setup code
    await press("enter")
    await press("escape")


if __name__ == "__main__":
    from tui.text import set_language

    set_language(sys.argv[2])
    for shot in asyncio.run(walk(*sys.argv[1:2], *sys.argv[3:6])):
        print(shot)
        print("\f")
