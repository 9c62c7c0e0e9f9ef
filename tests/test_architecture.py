"""The README's architecture section names every module of `store/` and `tui/` where it lives, and
nothing that is not there: a module added, moved or removed without the layout following fails here."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def layout(readme: str) -> list[str]:
    """The paths the layout names, from its indentation: `store/` then `  cases.py` is store/cases.py."""
    section = readme.split("## Architecture\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```\n", 2)[1]
    stack: list[tuple[int, str]] = []
    paths = []
    for line in block.splitlines():
        match = re.match(r"( *)(\S+)", line)
        if not match or not (match[2].endswith("/") or "." in match[2]):
            continue  # a description carried on to the next line
        depth = len(match[1])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        path = "".join(name for _, name in stack) + match[2]
        paths.append(path)
        if match[2].endswith("/"):
            stack.append((depth, match[2]))
    return paths


def modules() -> set[str]:
    return {path.relative_to(ROOT).as_posix() for package in ("store", "tui") for path in (ROOT / package).rglob("*.py")
            if path.name != "__init__.py"}


def test_the_readme_names_every_module_where_it_lives() -> None:
    named = layout((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(named) == len(set(named)), "a path named twice"
    listed = {path for path in named if path.endswith(".py")}
    assert modules() - listed == set(), "modules the README's layout does not name"
    assert listed - modules() == set(), "modules the README's layout names that do not exist"
    for path in named:  # the top level and the folders too (pyproject.toml, screens.css, tests/, …)
        assert (ROOT / path).exists(), path


def test_the_layout_is_read_by_its_indentation() -> None:
    readme = ("## Architecture\n\n```\nstore/   data\n  db.py   the engine\n          more words\n"
              "tui/     ui\n  screens/\n    card.py  the card\n  app.py   shell\n```\n\n## Next\n")
    assert layout(readme) == ["store/", "store/db.py", "tui/", "tui/screens/", "tui/screens/card.py", "tui/app.py"]
