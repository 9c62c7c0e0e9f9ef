"""Errors leave a trace: the log file beside the database holds every failure with its traceback and
every sync with its summary; the screen gets one line, never a traceback."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from store import logs, sync
from tui import cli

from .conftest import World
from .test_tui import make_app, settle


@pytest.fixture(autouse=True)
def no_log_handlers_left() -> None:
    yield
    logs.setup(None)  # the next test starts without this test's file handler


def test_an_unexpected_cli_error_is_one_line_on_screen_and_a_traceback_in_the_log(
        world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def broken(args) -> int:  # noqa: ANN001
        raise RuntimeError("the disk said no")

    monkeypatch.setitem(cli.COMMANDS, "find", broken)
    assert cli.main(["find", "Berg", "--db", str(world.path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the disk said no" in err and "Traceback" not in err
    text = (world.path.parent / "arena.log").read_text(encoding="utf-8")
    assert "ERROR tui.cli [" in text and "Traceback (most recent call last)" in text
    assert 'raise RuntimeError("the disk said no")' in text


def test_verbose_also_logs_to_stderr(world: World, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture) -> None:
    def broken(args) -> int:  # noqa: ANN001
        raise RuntimeError("the disk said no")

    monkeypatch.setitem(cli.COMMANDS, "find", broken)
    assert cli.main(["find", "Berg", "--db", str(world.path), "-v"]) == 1
    err = capsys.readouterr().err
    assert "ERROR tui.cli [" in err and "Traceback (most recent call last)" in err


def test_every_sync_leaves_its_summary_in_the_log(world: World, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    share = tmp_path / "share"
    share.mkdir()
    key = sync.new_key(tmp_path / "arena.key")
    assert cli.main(["sync", "--db", str(world.path), "--share", str(share), "--key", str(key)]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    text = (world.path.parent / "arena.log").read_text(encoding="utf-8")
    assert "INFO store.sync [" in text and f"] sync {world.path}: {summary}\n" in text


def test_the_log_file_rotates_and_is_owner_only(tmp_path: Path) -> None:
    path = logs.setup(tmp_path / "arena.db")
    assert path == tmp_path / "arena.log" and path.stat().st_mode & 0o777 == 0o600
    for i in range(3000):
        logging.getLogger("store.test").info("line %d %s", i, "x" * 400)
    assert (tmp_path / "arena.log.1").exists() and path.stat().st_size <= logs.MAX_BYTES


@pytest.mark.parametrize("where", ["screen", "write"])
async def test_an_unexpected_error_in_the_app_closes_it_with_one_line_and_logs_the_traceback(
        world: World, where: str) -> None:
    """A bug in a handler (`screen`), or in what the write lane runs on the UI thread once a write is
    committed (`write`): the traceback goes to the log file, the terminal gets one line, never a traceback."""
    import io

    app = make_app(world)
    app.error_console.file = io.StringIO()  # what the terminal gets as the app closes

    def boom(_: object = None) -> None:
        raise RuntimeError(f"a bug in a {where}")

    with pytest.raises(RuntimeError, match=f"a bug in a {where}"):  # the Pilot re-raises it for the test
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, app)
            if where == "screen":
                app.call_later(boom)
            else:
                app.write_lane.submit(lambda: None, boom, lambda m: None)
            await settle(pilot, app)
    assert app.return_code == 1
    text = (world.path.parent / "arena.log").read_text(encoding="utf-8")
    assert "CRITICAL tui.app [" in text and "] unexpected error (user omar.farah); the app closes" in text
    assert f'raise RuntimeError(f"a bug in a {{where}}")' in text and "Traceback (most recent call last)" in text
    assert "locals" not in text and "omar.farah'" not in text  # no variable's value: it may be personal data
    shown = app.error_console.file.getvalue()
    assert "arena.log" in shown and "Traceback" not in shown and "RuntimeError" not in shown, shown


def test_a_sync_that_fails_on_the_share_logs_the_path_and_its_traceback(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A nightly `arena sync` that cannot use the share says one line on screen; the log keeps the file or
    folder that failed and the traceback, so IT can see what happened the next morning."""
    share = tmp_path / "share"
    share.mkdir()
    key = sync.new_key(tmp_path / "arena.key")
    args = ["sync", "--db", str(world.path), "--share", str(share), "--key", str(key)]
    assert cli.main(args) == 0
    folders = [p for p in (share / "ops").iterdir() if p.is_dir()]
    assert folders  # this workstation's own folder of ops files
    for folder in folders:  # replaced by a file (a restore gone wrong): nothing can be written there
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()
        folder.write_text("not a folder")
    capsys.readouterr()
    assert cli.main(args) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    text = (world.path.parent / "arena.log").read_text(encoding="utf-8")
    failed = text[text.index("WARNING tui.cli [", text.index("Synk klar")):]
    assert "Traceback (most recent call last)" in failed and any(str(f) in failed for f in folders), failed[:600]


async def test_a_screens_read_that_fails_with_no_key_held_is_said_in_one_line_and_logged(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """F4's board read fails in the screen's own worker (no key waits for it): Textual does not bubble a
    screen's Worker.StateChanged to the app, so only SaysWorkerFailures can say it."""
    from store import milestones

    def broken(*args: object, **kwargs: object) -> object:
        raise OSError("disk I/O error (board)")

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        monkeypatch.setattr(milestones, "board", broken)
        await pilot.press("f4")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "MilestonesScreen"
        said = [str(n.message) for n in app.notices]
        assert [line for line in said if "disk I/O error (board)" in line] == [
            "Oväntat fel: OSError: disk I/O error (board)"], said
    app.db.dispose()
    text = (world.path.parent / "arena.log").read_text(encoding="utf-8")
    assert "ERROR tui.workers [" in text and "a store call failed" in text
    assert 'raise OSError("disk I/O error (board)")' in text and "Traceback (most recent call last)" in text


def test_every_class_in_tui_that_runs_a_worker_says_its_failures() -> None:
    """A class with a `@work` method or a `run_worker` call is the app (AppBase) or SaysWorkerFailures."""
    import ast
    import importlib

    from tui.appbase import AppBase, SaysWorkerFailures

    root = Path(__file__).resolve().parent.parent
    running = []
    for path in sorted((root / "tui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for node in ast.walk(cls):
                decorators = node.decorator_list if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
                if (any("work" in ast.unparse(d).split("(")[0] for d in decorators)
                        or isinstance(node, ast.Call) and ast.unparse(node.func).endswith("run_worker")):
                    module = ".".join(path.relative_to(root).with_suffix("").parts)
                    running.append(getattr(importlib.import_module(module), cls.name))
                    break
    assert len(running) >= 15
    silent = [c.__qualname__ for c in running if not issubclass(c, (AppBase, SaysWorkerFailures))]
    assert not silent, f"a worker's failure would say nothing in: {silent}"


def test_a_crash_where_no_log_file_can_be_made_still_says_one_line(tmp_path: Path) -> None:
    """tui.crash.ExitConsole: the log file cannot be made (a full disk, a folder gone): the terminal
    still gets one line, saying so, never a traceback."""
    import io

    import rich
    from rich.segment import Segments
    from rich.traceback import Traceback

    from tui.crash import ExitConsole

    def nowhere() -> Path:
        raise OSError(28, "No space left on device")

    console = ExitConsole(nowhere, lambda: "omar.farah", file=io.StringIO(), width=200)
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        rendered = Segments(console.render(Traceback(show_locals=True, suppress=[rich]), console.options))
    console.print(rendered)
    shown = console.file.getvalue()
    assert shown.count("\n") == 1 and "Traceback" not in shown and "RuntimeError" not in shown, shown
    assert "loggfil" in shown or "log file" in shown
