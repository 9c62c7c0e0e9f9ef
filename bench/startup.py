"""Whole processes as a user starts them: the TUI to a filled first screen, `arena find`, peak memory."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.core import TODAY, Context, Goal, Result, benchmark, interleave, ms, most_connected_login, result

# Each process says "painted" on its standard output once the screen measured is drawn (Textual's
# `call_after_refresh`: after the frame that shows it), then exits: a start is timed from the spawn to that
# line (`_until_painted`), not to the process's end. Python's teardown of a process that has loaded the store
# (its modules, SQLAlchemy's, the connection pool: ~0.2 s against the bare app's ~0.03 s) comes after the
# screen is there, and nobody starting Arena waits for it.
PAINTED = "def painted(app):\n    import os\n    os.write(1, b'painted\\n')  # (not print: Textual captures it)\n    app.exit()\n"

BARE_APP = ("from textual.app import App\nfrom textual.widgets import Static\n" + PAINTED +
            "class A(App):\n    def compose(self):\n        yield Static('x')\n"
            "    def on_mount(self):\n        self.call_after_refresh(painted, self)\nA().run(headless=True)\n")

# The PIN prompt as `arena` draws it at every start (tui.cli.entry.main, the real path), the process
# ending once the prompt is drawn with the PIN field focused – ready for keys. (The exit replaces the
# start-up worker, which would import the store and open the database while the PIN is typed.)
PROMPT = ("import sys\nimport tui.app as A\nfrom textual.app import App\n" + PAINTED +
          "def ready(self):\n    assert type(self.screen).__name__ == 'LockScreen' and self.screen.focused.id == 'pin'\n"
          "    painted(self)\n"
          "A.ArenaApp._start_loading = ready\n"
          "A.ArenaApp.run = lambda self, **kw: App.run(self, headless=True)\n"
          "from tui.cli import entry\nsys.exit(entry.main(['--db', sys.argv[1]]))\n")

# From the PIN to "Min dag" filled: the app opening the database in its start-up worker (as `arena`
# does, `tui.app.database_opener`: the change log's tamper check comes after the first screen), proving
# the PIN (scrypt), reading and drawing F5 with the day's data, then exiting.
FILLED = ("import sys\nfrom tui.app import ArenaApp, database_opener\n" + PAINTED +
          "open_db = database_opener(sys.argv[1])  # (as tui.app.run opens it)\n"
          "class Measured(ArenaApp):\n"
          "    def first_screen_filled(self):  # (F5 calls it once Min dag is filled)\n"
          "        self.call_after_refresh(painted, self)\n"
          "Measured(open_db, sys.argv[2], pin='135790').run(headless=True)\n")

# The same work the simplest way: a bare Textual app that checks the same scrypt hash of the same user
# with hashlib and draws one number read by one indexed SELECT (the user's active caseload).
BARE_FILLED = (
    "import hashlib, hmac, sys\nfrom store import dbfile\nfrom textual.app import App\nfrom textual.widgets import Static\n"
    + PAINTED +
    "class A(App):\n    def compose(self):\n        yield Static('')\n"
    "    def on_mount(self):\n"
    "        con = dbfile.connect(sys.argv[1])\n"
    "        cid, stored = con.execute('SELECT id, pin_hash FROM caseworker WHERE login = ?', (sys.argv[2],)).fetchone()\n"
    "        _, n, r, p, salt, digest = stored.split('$')\n"
    "        tried = hashlib.scrypt(b'135790', salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32,"
    " maxmem=2**28)\n"
    "        assert hmac.compare_digest(tried.hex(), digest)\n"
    "        n = con.execute(\"SELECT count(*) FROM participant WHERE caseworker_id = ? AND status = 'active'\","
    " (cid,)).fetchone()[0]\n"
    "        self.query_one(Static).update(str(n))\n"
    "        self.call_after_refresh(painted, self)\n"
    "A().run(headless=True)\n")


def _env() -> dict:
    return {**os.environ, "ARENA_TODAY": TODAY.isoformat(), "TERM": "xterm-256color"}


def _bytecode() -> None:
    """Our modules compiled once, as `pip install` of the wheel leaves them (the libraries' are, from their
    own install). Without this, a shell with PYTHONDONTWRITEBYTECODE set (this machine's) measured Python
    compiling store/ and tui/ from source at every start – the catalog alone is 90 kB – while Textual
    started from its bytecode: a cost of the checkout, not of the program."""
    import compileall

    root = Path(__file__).resolve().parent.parent
    for package in ("store", "tui"):
        compileall.compile_dir(str(root / package), quiet=1)


def _until_painted(args: list[str]) -> float:
    """Seconds from spawning the process to its "painted" line (see PAINTED); then it must end well."""
    start = time.perf_counter()
    child = subprocess.Popen(args, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    import selectors

    with selectors.DefaultSelector() as waiting:  # a process that never paints is reported, not waited for
        waiting.register(child.stdout, selectors.EVENT_READ)
        if not waiting.select(timeout=300):
            child.kill()
    line = child.stdout.readline()
    seconds = time.perf_counter() - start
    out, err = child.communicate(timeout=300)
    if line.strip() != "painted" or child.returncode != 0:
        raise RuntimeError(f"{args[:3]} exited {child.returncode} without painting: {(line + out + err)[-2000:]}")
    return seconds


def _process(args: list[str], stdin: str | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, env=_env(), capture_output=True, timeout=300, input=stdin, text=True)
    return time.perf_counter() - start


@benchmark("cold_start")
def cold_start(ctx: Context) -> list[Result]:
    """Two measures of a start, each a whole new process against a bare Textual app in the same run.

    cold_start_prompt: `arena` to its first screen, the PIN prompt (asked at every start), drawn and
    ready for keys – against a bare Textual app drawing one Static. The store's heavy imports
    (SQLAlchemy, holidays, the screens) and opening the database happen after this, in a worker thread
    while the PIN is typed: this is what a user waits for before typing.

    cold_start_filled: from start with the PIN given to "Min dag" drawn with its data (the PIN is
    proven by scrypt, ≥ 0.25 s by design, #17) – against a bare Textual app doing the same scrypt check
    of the same hash and drawing one number from one indexed SELECT."""
    login = most_connected_login(ctx.path)
    path = str(ctx.path)
    _bytecode()
    a, b = interleave(lambda: _until_painted([sys.executable, "-c", PROMPT, path]),
                      lambda: _until_painted([sys.executable, "-c", BARE_APP]), ctx.runs)
    c, d = interleave(lambda: _until_painted([sys.executable, "-c", FILLED, path, login]),
                      lambda: _until_painted([sys.executable, "-c", BARE_FILLED, path, login]), ctx.runs)
    return [result("cold_start_prompt", ms(a), ms(b), "ms to the PIN prompt ready for keys vs a bare Textual app",
                   Goal("≤ 1.5×", ratio=1.5)),
            result("cold_start_filled", ms(c), ms(d), "ms, PIN given to a filled Min dag vs bare app + same scrypt"
                   " check + one SELECT", Goal("≤ 1.5×", ratio=1.5))]


def _arena() -> list[str]:
    script = Path(sys.executable).with_name("arena")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui.cli"]


MINIMAL_FIND = (
    "import hashlib, hmac, sys\nfrom store import dbfile  # sqlite3 (SQLCipher with the workstation key)\n"
    "pin = sys.stdin.readline().strip()\n"
    "con = dbfile.connect(sys.argv[1])\n"
    "stored = con.execute('SELECT pin_hash FROM caseworker WHERE login = ?', (sys.argv[2],)).fetchone()[0]\n"
    "_, n, r, p, salt, digest = stored.split('$')\n"
    "tried = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32,"
    " maxmem=2**28)\n"
    "if not hmac.compare_digest(tried.hex(), digest):\n    sys.exit(2)\n"
    "for r in con.execute(\"SELECT p.personnummer, p.last_name || ', ' || p.first_name FROM name_token nt"
    " JOIN participant p ON p.id = nt.participant_id WHERE nt.token >= 'andersson' AND nt.token < 'anderssoo'"
    " LIMIT 50\"):\n    print(*r)\n")


@benchmark("find")
def find(ctx: Context) -> Result:
    """`arena find andersson` as a whole process (the PIN proven by scrypt – ≥ 0.25 s by design, #17 –,
    access check, audit entry, ranked fuzzy output) against the same work done the simplest way: a
    minimal Python process that reads the PIN from stdin, verifies the same scrypt hash with hashlib and
    runs one indexed SELECT of the name, printing it."""
    login = most_connected_login(ctx.path)
    with_pin = "135790"  # the demo users' PIN
    _bytecode()
    ours_args = [*_arena(), "find", "andersson", "--db", str(ctx.path), "--user", login, "--pin-stdin"]
    a, b = interleave(lambda: _process(ours_args, stdin=with_pin + "\n"),
                      lambda: _process([sys.executable, "-c", MINIMAL_FIND, str(ctx.path), login],
                                       stdin=with_pin + "\n"), ctx.runs)
    return result("find", ms(a), ms(b), "ms, whole process vs python + same scrypt check + one indexed SELECT",
                  Goal("≤ 3×", ratio=3))


@benchmark("memory_f5")
def memory_f5(ctx: Context) -> Result:
    code = (
        "import resource, asyncio\nfrom store import db\nfrom tui.app import ArenaApp\n"
        f"from store import dbfile\ncon = dbfile.connect({str(ctx.path)!r})\n"
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
