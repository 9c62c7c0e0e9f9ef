"""Whole processes as a user starts them: the TUI to a filled first screen, `arena find`, peak memory."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.core import TODAY, Context, Goal, Result, benchmark, interleave, ms, most_connected_login, result

BARE_APP = ("from textual.app import App\nfrom textual.widgets import Static\n"
            "class A(App):\n    def compose(self):\n        yield Static('x')\n"
            "    def on_mount(self):\n        self.call_after_refresh(self.exit)\nA().run(headless=True)\n")


def _env() -> dict:
    return {**os.environ, "ARENA_TODAY": TODAY.isoformat(), "TERM": "xterm-256color"}


def _process(args: list[str], stdin: str | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, env=_env(), capture_output=True, timeout=300, input=stdin, text=True)
    return time.perf_counter() - start


@benchmark("cold_start")
def cold_start(ctx: Context) -> Result:
    """A new process to F5 "Min dag" filled with the day's data (the app exits once the first screen has
    drawn its data) against a bare Textual app drawing one Static."""
    login = most_connected_login(ctx.path)
    ours = ("import sys; sys.argv = ['arena']\nfrom store import db\nfrom tui.app import ArenaApp\n"
            f"app = ArenaApp(db.open({str(ctx.path)!r}), {login!r}, pin='135790', exit_after_ready=True)\napp.run(headless=True)\n")
    a, b = interleave(lambda: _process([sys.executable, "-c", ours]),
                      lambda: _process([sys.executable, "-c", BARE_APP]), ctx.runs)
    return result("cold_start", ms(a), ms(b), "ms to a filled first screen vs a bare Textual app",
                  Goal("≤ 1.5×", ratio=1.5))


def _arena() -> list[str]:
    script = Path(sys.executable).with_name("arena")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui.cli"]


@benchmark("find")
def find(ctx: Context) -> Result:
    """`arena find andersson` as a whole process (access check, audit entry, ranked output) against a
    minimal Python process doing one indexed sqlite3 lookup of the same name and printing it."""
    login = most_connected_login(ctx.path)
    minimal = ("import sqlite3, sys\ncon = sqlite3.connect(sys.argv[1])\n"
               "for r in con.execute(\"SELECT p.personnummer, p.last_name || ', ' || p.first_name FROM name_token nt"
               " JOIN participant p ON p.id = nt.participant_id WHERE nt.token >= 'andersson' AND nt.token < 'anderssoo'"
               " LIMIT 50\"):\n    print(*r)\n")
    with_pin = "135790"  # the demo users' PIN
    ours_args = [*_arena(), "find", "andersson", "--db", str(ctx.path), "--user", login, "--pin-stdin"]
    a, b = interleave(lambda: _process(ours_args, stdin=with_pin + "\n"),
                      lambda: _process([sys.executable, "-c", minimal, str(ctx.path)]), ctx.runs)
    return result("find", ms(a), ms(b), "ms, whole process vs a minimal sqlite3 lookup", Goal("≤ 3×", ratio=3))


@benchmark("memory_f5")
def memory_f5(ctx: Context) -> Result:
    code = (
        "import resource, asyncio\nfrom store import db\nfrom tui.app import ArenaApp\n"
        f"con = __import__('sqlite3').connect({str(ctx.path)!r})\n"
        "login = con.execute('SELECT c.login FROM caseworker c JOIN participant p ON p.caseworker_id = c.id"
        " GROUP BY c.id ORDER BY count(*) DESC LIMIT 1').fetchone()[0]\n"
        "async def main():\n"
        f"    app = ArenaApp(db.open({str(ctx.path)!r}), login, pin='135790')\n"
        "    async with app.run_test(size=(120, 40)) as pilot:\n"
        "        await pilot.pause(0.5)\n        await app.workers.wait_for_complete()\n        await pilot.pause(0.5)\n"
        "asyncio.run(main())\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, env=_env(), capture_output=True, text=True,
                         timeout=300).stdout.split()[-1]
    return result("memory_f5", float(out), None, "MB peak RSS, F5 open", Goal("< 300 MB", most=300))
