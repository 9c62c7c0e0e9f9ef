"""The layers, read from the source of every module (ast, nothing imported): `store` never imports
textual or rich, `tui` never imports a database driver or SQLAlchemy, no module imports itself back
through others (imports inside functions count too), no module takes another's private names, and an
import inside a function in `tui` says why it is late (start-up stays fast: `# lazy: …`)."""
from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("store", "tui")
FORBIDDEN = {"store": {"textual", "rich"}, "tui": {"sqlalchemy", "sqlmodel", "sqlite3", "sqlcipher3", "psycopg"}}
# `tui` runs no SQL: it calls store functions, never a connection's own (nor opens one to hand on)
SQL_CALLS = {"execute", "executemany", "executescript", "exec_driver_sql"}
OPENS = {"read", "write", "connect", "begin"}
# Known and not yet undone. Each entry must still be true: once it is undone the test says so, and the
# entry goes.
KNOWN_EDGES: set[tuple[str, str]] = set()
KNOWN_PRIVATE: set[str] = set()


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = modules()


def parse(path: Path) -> ast.Module:
    """The syntax tree of `path` as it reads now; each text is parsed once for all the checks (ast.walk
    only reads a tree)."""
    return _parsed(path.read_text(encoding="utf-8"), str(path))


@functools.lru_cache(maxsize=None)
def _parsed(text: str, filename: str) -> ast.Module:
    return ast.parse(text, filename)


def source(name: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The module a `from … import` in module `name` reads from, relative imports resolved."""
    base = node.module or ""
    if node.level:
        anchor = name.split(".") if is_package else name.split(".")[:-1]
        anchor = anchor[:len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    return base


def imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import statement, also inside functions."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((source(name, is_package, node), [alias.name for alias in node.names], node.lineno))
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
              and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.args[0].value, [], node.lineno))  # importlib.import_module("store.x")
    return found


def edges(name: str, path: Path) -> list[tuple[str, int]]:
    """The project modules `name` depends on: `from store import cases` is an edge to store.cases."""
    out = []
    for module, names, line in imports(name, path):
        targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES] or [module]
        out += [(target, line) for target in targets if target in MODULES and target != name]
    return out


def test_store_never_imports_the_screen_and_tui_never_the_database() -> None:
    wrong = []
    for name, path in MODULES.items():
        banned = FORBIDDEN[name.split(".")[0]]
        wrong += [f"{name}:{line} imports {module}" for module, _, line in imports(name, path)
                  if module.split(".")[0] in banned]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    graph = {name: sorted({target for target, _ in edges(name, path)}) for name, path in MODULES.items()}
    stale = [edge for edge in KNOWN_EDGES if edge[1] not in graph[edge[0]]]
    assert not stale, f"undone, remove from KNOWN_EDGES: {stale}"
    graph = {name: [t for t in targets if (name, t) not in KNOWN_EDGES] for name, targets in graph.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` of an expression made only of names and attributes, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def module_names(name: str, path: Path) -> dict[str, str]:
    """The names under which `name`'s source can reach another project module: `from store import sync`
    and `from . import sync as s` bind `sync`/`s`, `import store.sync` makes `store.sync` reachable."""
    is_package = path.name == "__init__.py"
    found: dict[str, str] = {}
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    found[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom):
            base = source(name, is_package, node)
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    found[alias.asname or alias.name] = f"{base}.{alias.name}"
    return found


def test_no_private_name_is_imported_from_another_module() -> None:
    wrong = []
    for name, path in MODULES.items():
        for module, names, line in imports(name, path):
            if module.split(".")[0] in PACKAGES and module != name:
                wrong += [f"{name} takes {module}.{n}" for n in names if n.startswith("_")]
        # `from store import sync` (or `from . import sync as s`, `import store.sync`) and then
        # `sync._fold(...)` is the same thing
        aliases = module_names(name, path)
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                target = aliases.get(dotted(node.value) or "")
                if target and target != name:
                    wrong.append(f"{name} uses {target}.{node.attr} (line {node.lineno})")
    assert KNOWN_PRIVATE <= set(wrong), f"undone, remove from KNOWN_PRIVATE: {KNOWN_PRIVATE - set(wrong)}"
    wrong = sorted(set(wrong) - KNOWN_PRIVATE)
    assert not wrong, "\n".join(wrong)


def test_no_private_module_or_name_of_a_library_is_imported() -> None:
    """Textual's (and every library's) private modules and names are not imported (`textual.widgets._footer`,
    `from textual.app import _x`): what Textual does not export may change in any release. No private
    attribute of Textual is read either (tests/test_textual_internals.py)."""
    wrong = []
    for name, path in MODULES.items():
        for module, names, line in imports(name, path):
            if module.split(".")[0] in PACKAGES:
                continue
            if any(part.startswith("_") and not part.startswith("__") for part in module.split(".")):
                wrong.append(f"{name}:{line} imports {module}")
            wrong += [f"{name}:{line} takes {module}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
    assert not wrong, "\n".join(wrong)


# The command line imports each store module inside the subcommand that uses it, so that `arena --help`
# loads none (tui/cli/common.py says so once); the app shell imports everything the PIN prompt does not need
# inside functions (tui/app.py says so once, tests/test_startup.py holds it).
LATE_BY_RULE = ("tui.cli", "tui.app")


def test_a_late_import_in_tui_says_why() -> None:
    silent = []
    for name, path in MODULES.items():
        if not name.startswith("tui") or name.startswith(LATE_BY_RULE):
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        for function in ast.walk(parse(path)):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                above = node.lineno - 2  # a comment line above the block of imports this one belongs to
                while above >= 0 and lines[above].lstrip().startswith(("from ", "import ")):
                    above -= 1
                said = "# lazy" in lines[node.lineno - 1] or lines[above].lstrip().startswith("# lazy")
                if not said:
                    silent.append(f"{name}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not silent, "imports inside functions without a reason (`# lazy: …`), or move them up:\n" + "\n".join(silent)


def test_the_help_screen_imports_no_screen() -> None:
    """Screens register their keys where they are defined (`tui.keyhelp.help_keys`); the help screen and the
    register read them without naming a screen module (the register walks the package instead)."""
    named = [f"{name} imports {target}" for name in ("tui.screens.help", "tui.keyhelp")
             for target, _ in edges(name, MODULES[name]) if target.startswith("tui.screens.") or target == "tui.app"]
    assert not named, named


def sql_in(name: str, path: Path) -> list[str]:
    """Where `path` runs SQL itself: a connection's execute, a `with db.read()/write()` of its own, SQL text."""
    wrong = []
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            wrong.append(f"{name}:{node.lineno} calls {node.func.attr}")
        if isinstance(node, ast.With) and any(
                isinstance(item.context_expr, ast.Call) and isinstance(item.context_expr.func, ast.Attribute)
                and item.context_expr.func.attr in OPENS for item in node.items):
            wrong.append(f"{name}:{node.lineno} opens the database")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.match(
                r"\s*(SELECT|INSERT|UPDATE|DELETE|PRAGMA|CREATE)\b", node.value):
            wrong.append(f"{name}:{node.lineno} SQL text")
    return wrong


def test_tui_runs_no_sql() -> None:
    """The screens and the command line call the store's functions; none calls a connection's execute or
    opens a read/write of the database itself to hand a connection on."""
    wrong = [line for name, path in MODULES.items() if name.startswith("tui") for line in sql_in(name, path)]
    assert not wrong, "\n".join(wrong)


def test_the_layering_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """The checks above, shown a module that breaks each rule, say so (they are not vacuous)."""
    probe = tmp_path / "probe.py"
    probe.write_text("import store.sync\nfrom . import sync as s2\nimport importlib\n"
                     "store.sync._write_file\ns2._read_marker\nimportlib.import_module('tui.app')\n"
                     "def f(database):\n    with database.read() as conn:\n        conn.exec_driver_sql('SELECT 1')\n",
                     encoding="utf-8")
    aliases = module_names("store.probe", probe)
    assert aliases.get("store.sync") == "store.sync" and aliases.get("s2") == "store.sync"
    assert ("tui.app", [], 6) in imports("store.probe", probe)
    assert [w.split(" ", 1)[1] for w in sql_in("tui.probe", probe)] == ["opens the database", "calls exec_driver_sql",
                                                                        "SQL text"]


# Screens pushed without being awaited: they return nothing and nobody waits for them (F1's help).
PUSHED_PLAIN = {"HelpScreen"}


def dialog_classes() -> set[str]:
    """The names of every class in `tui` that is a ModalScreen, through its bases (by name)."""
    bases: dict[str, set[str]] = {}
    for path in MODULES.values():
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {ast.unparse(b.value if isinstance(b, ast.Subscript) else b).split(".")[-1]
                                    for b in node.bases}
    modal = {"ModalScreen"}
    while True:
        more = {name for name, of in bases.items() if of & modal} - modal
        if not more:
            return modal - {"ModalScreen"}
        modal |= more


def pushed_wrongly(name: str, path: Path, dialogs: set[str]) -> list[str]:
    """Where `path` pushes a screen with a callback, or pushes a dialog instead of asking it in a flow."""
    wrong = []
    for node in ast.walk(parse(path)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"push_screen", "switch_screen"}):
            continue
        if len(node.args) > 1 or any(k.arg == "callback" for k in node.keywords):
            wrong.append(f"{name}:{node.lineno} pushes a screen with a callback")
        first = node.args[0] if node.args else None
        made = first.func if isinstance(first, ast.Call) else first
        shown = ast.unparse(made).split(".")[-1] if made is not None else ""
        waits = any(k.arg == "wait_for_dismiss" for k in node.keywords)
        if shown in dialogs and shown not in PUSHED_PLAIN and not waits:
            wrong.append(f"{name}:{node.lineno} pushes the dialog {shown} (ask it: tui.dialogs.run_flow)")
    return wrong


def test_dialogs_are_awaited_never_given_a_callback() -> None:
    """A dialog is a typed ModalScreen asked by a flow (`tui.dialogs.run_flow`: `await flow.ask(dialog)`,
    push_screen_wait in a worker, the keys held between its dialogs); no screen is pushed with a callback."""
    dialogs = dialog_classes()
    assert {"ConfirmDialog", "PromptDialog", "FormDialog", "SetupCodeDialog", "EditScreen"} <= dialogs
    wrong = [line for name, path in MODULES.items() if name.startswith("tui")
             for line in pushed_wrongly(name, path, dialogs)]
    assert not wrong, "\n".join(wrong)


def test_the_dialog_check_catches_a_callback(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f(app, done):\n    app.push_screen(ConfirmDialog('?'), done)\n"
                     "    app.push_screen(Other(), callback=lambda _: None)\n    app.push_screen(PromptDialog('?'))\n"
                     "    app.push_screen(HelpScreen())\n    app.push_screen(PromptDialog('?'), wait_for_dismiss=True)\n",
                     encoding="utf-8")
    assert pushed_wrongly("tui.probe", probe, {"ConfirmDialog", "PromptDialog", "HelpScreen"}) == [
        "tui.probe:2 pushes a screen with a callback", "tui.probe:2 pushes the dialog ConfirmDialog (ask it: "
        "tui.dialogs.run_flow)", "tui.probe:3 pushes a screen with a callback",
        "tui.probe:4 pushes the dialog PromptDialog (ask it: tui.dialogs.run_flow)"]
