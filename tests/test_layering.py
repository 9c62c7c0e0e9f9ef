"""The layers, read from the source of every module (ast, nothing imported): `store` never imports
textual or rich, `tui` never imports a database driver or SQLAlchemy, no module imports itself back
through others (imports inside functions count too), no module takes another's private names, and an
import inside a function in `tui` says why it is late (start-up stays fast: `# lazy: …`)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("store", "tui")
FORBIDDEN = {"store": {"textual", "rich"}, "tui": {"sqlalchemy", "sqlmodel", "sqlite3", "psycopg"}}
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


def imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import statement, also inside functions."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, [alias.name for alias in node.names], node.lineno))
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


def test_no_private_name_is_imported_from_another_module() -> None:
    wrong = []
    for name, path in MODULES.items():
        for module, names, line in imports(name, path):
            if module.split(".")[0] in PACKAGES and module != name:
                wrong += [f"{name} takes {module}.{n}" for n in names if n.startswith("_")]
        # `from store import sync` and then `sync._fold(...)` is the same thing
        aliases = {}
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in PACKAGES:
                aliases.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names
                                if f"{node.module}.{a.name}" in MODULES})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__") and aliases[node.value.id] != name):
                wrong.append(f"{name} uses {aliases[node.value.id]}.{node.attr} (line {node.lineno})")
    assert KNOWN_PRIVATE <= set(wrong), f"undone, remove from KNOWN_PRIVATE: {KNOWN_PRIVATE - set(wrong)}"
    wrong = sorted(set(wrong) - KNOWN_PRIVATE)
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
        for function in ast.walk(ast.parse("\n".join(lines), str(path))):
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
