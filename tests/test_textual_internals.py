"""Arena uses Textual through its public API only: no module of `tui` overrides a private method of a
Textual class or reads a private attribute of one (what Textual does not document may change in any
release). Three things that used to need one now go another way: a crash's traceback goes to the log
through the app's `error_console` (tui/crash.py), the key pump keeps its own account of what the app was
sent (`ArenaApp.post_message`), and the palette's provider says "nothing matches" in the catalog's words
(tui/palette.py).

The suite itself still leans on a few, only for its speed and its waits (tests/conftest.py,
tests/waiting.py); the last tests here fail as soon as a Textual release changes one of them."""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import textual

import tui

TUI = Path(tui.__file__).parent


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _textual_privates() -> set[str]:
    """Every private name a class of Textual's public modules (and every class they derive from) defines.
    (Private modules are left out: some run things when imported; their classes are reached through
    the public ones, `textual.widgets` exporting its widgets.)"""
    names: set[str] = set()
    for info in pkgutil.walk_packages(textual.__path__, "textual."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts) or "demo" in parts:
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 -- optional parts (a driver for another platform, tree-sitter)
            continue
        for value in list(vars(module).values()):
            if inspect.isclass(value) and value.__module__.startswith("textual"):
                for cls in value.__mro__:
                    if cls.__module__.startswith("textual"):
                        names |= {n for n in vars(cls) if _private(n)}
    for name in ("DataTable", "Input", "OptionList", "Footer", "Header", "TabbedContent"):
        for cls in getattr(importlib.import_module("textual.widgets"), name).__mro__:
            names |= {n for n in vars(cls) if _private(n)}
    return names


def _tui_modules() -> list[str]:
    return [info.name for info in pkgutil.walk_packages(tui.__path__, "tui.") if not info.name.endswith("__main__")]


def test_no_class_of_tui_overrides_a_private_method_of_textual() -> None:
    wrong = []
    for name in _tui_modules():
        module = importlib.import_module(name)
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != name:
                continue
            for attr, value in vars(cls).items():
                if not _private(attr) or getattr(value, "__module__", None) != name:
                    continue  # (Textual's metaclass sets private class attributes of its own on every subclass)
                for base in cls.__mro__[1:]:
                    if base.__module__.startswith("textual") and attr in vars(base):
                        wrong.append(f"{name}.{cls.__name__}.{attr} overrides {base.__module__}.{base.__name__}")
    assert not wrong, "\n".join(wrong)


def test_tui_reads_no_private_attribute_of_textual() -> None:
    """An attribute `x._name` read in `tui` is Arena's own (assigned or defined somewhere in `tui`), never
    one only Textual's classes have."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in TUI.rglob("*.py")}
    ours: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                ours.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                ours.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                ours.add(node.id)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                ours.add(node.target.id)
    theirs = _textual_privates() - ours
    wrong = [f"{path.relative_to(TUI.parent)}:{node.lineno} reads {node.attr}"
             for path, tree in trees.items() for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr in theirs]
    assert not wrong, "\n".join(wrong)


def test_the_check_above_sees_a_private_read() -> None:
    """The two checks above can fail: Textual's own private names are found."""
    names = _textual_privates()
    assert {"_message_queue", "_fatal_error", "_start_no_matches_countdown"} <= names


# ---------------------------------------------------------------------------------- the suite's own

def test_a_one_shot_timer_is_still_known_by_its_private_fields() -> None:
    """tests.waiting.busy (the suite's wait for a quiet app) asks a screen's timers whether a one-shot
    (a search's debounce) is pending: `_timers`, a timer's `_task`, `_repeat` and `_interval`."""
    from textual.timer import Timer
    from textual.widget import Widget

    widget = Widget()
    assert len(widget._timers) == 0 and hasattr(widget._timers, "add")
    timer = Timer(widget, 0.5, name="probe", repeat=0)
    assert timer._repeat == 0 and timer._interval == 0.5 and timer._task is None


def test_the_suites_speed_ups_still_find_what_they_change() -> None:
    """tests/conftest.py: the Pilot's idle wait (`textual._wait`) and the shared CSS parse
    (`Stylesheet._parse_rules`): without them the suite is only slower, so it says so here."""
    import textual._wait as wait
    from textual.css.stylesheet import Stylesheet

    assert wait.SLEEP_GRANULARITY == 0.004 and getattr(Stylesheet._parse_rules, "shared", False)
