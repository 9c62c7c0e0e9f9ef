"""The roll call as a caseworker types it: opening a group of 25, then a burst of mark keys.

Driven in the real app with Textual's Pilot (headless, toasts on as a caseworker sees them) on a copy of
the scale database that has one real-sized group (25 people, its own leader). The baseline is a bare
Textual app with a DataTable of the same 25 rows, columns and stripes where a key updates one cell and
moves the cursor (the same visible change, with no write): what any roll call must cost at the least.
Keys come from a thread KEY_GAP apart, as the terminal driver's input thread hands them over, for both;
the two are measured interleaved, each run of ours on a workday not yet marked.

Measured: Enter on the session list to the 25 rows painted (ours only: the goal is absolute); each key to
its mark painted as saved, i.e. committed by the write lane and shown (the bare table: to the cell
painted), the median of the burst; marks per second from the first key to the last one painted.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.core import TODAY, Context, Goal, Result, benchmark, interleave, ms, result
from store import dbfile

GROUP = 25
BURST = 20
LEADER = "bench.leder"


def group_of_25(source: Path, target: Path) -> str:
    """Copy the scale database and add one activity with 25 active people and a leader of its own."""
    from store import activities, db, staff

    shutil.copy(source, target)
    database = db.open(target)
    staff.create(database, "anna.lind", LEADER, "Bench Ledare", role="leader")
    aid = activities.create(database, "anna.lind", "Bench grupp", (6, 6, 6, 6, 4), kind="arbetsträning",
                            site="Ryd", leader_login=LEADER, capacity=GROUP)
    with dbfile.connect(target) as con:
        con.execute("UPDATE caseworker SET pin_hash = (SELECT pin_hash FROM caseworker WHERE login = 'anna.lind')"
                    " WHERE login = ?", (LEADER,))  # the demo PIN, as the generator gives every demo user
        people = [r[0] for r in con.execute("SELECT id FROM participant WHERE status = 'active'"
                                            " AND referral_date < '2026-09-01' ORDER BY id LIMIT ?", (GROUP,))]
    for pid in people:
        activities.enrol(database, "anna.lind", pid, aid, TODAY - dt.timedelta(days=60))
    database.dispose()
    return aid


def workdays(n: int) -> list[dt.date]:
    from store import calendar

    days, day = [], TODAY
    while len(days) < n:
        if calendar.is_workday(day):
            days.append(day)
        day -= dt.timedelta(days=1)
    return days


KEY_GAP = 0.02  # keys typed ahead at 50 a second, faster than any caseworker


async def _type(app, keys: str) -> list[float]:  # noqa: ANN001
    """Keys typed KEY_GAP apart by a thread of their own, the way the terminal driver's input thread hands
    them over: the typist never waits for the app, so a busy screen delays a key's handling (which is
    measured), never its arrival. (Pilot.press waits for the screen to settle after every key, and a
    typist on the app's own event loop was held up by every frame: both would hide a slow screen.)"""
    from textual import events

    sent: list[float] = []

    def typist() -> None:
        start = time.perf_counter()
        for i, key in enumerate(keys):
            pause = start + i * KEY_GAP - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            event = events.Key("enter" if key == "\n" else key, "\r" if key == "\n" else key)
            event.set_sender(app)
            sent.append(time.perf_counter())
            app._driver.send_message(event)

    thread = threading.Thread(target=typist, name="typist", daemon=True)
    thread.start()
    while thread.is_alive():
        await asyncio.sleep(0.002)
    return sent


async def _until(pilot, condition, timeout: float = 30.0) -> None:  # noqa: ANN001
    """Look every millisecond without touching the app: Pilot.pause posts a message to every widget,
    which the app's key guard (rightly) waits for, so polling with it slowed down what it measured."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.001)


async def _ours(path: Path, aid: str, day: dt.date, key: str) -> tuple[float, float, float, int, float]:
    """Open the group's roll call and type a burst; returns (open s, key-to-saved median s, marks/s,
    marks in the database, the median time one commit of the write lane took: the disk's share of the
    delay, which the bare table does not pay)."""
    from store import attendance, db
    from store.pins import DEMO_PIN
    from tui.app import ArenaApp
    from tui.screens.attendance import AttendanceScreen, RollTable

    os.environ["ARENA_TODAY"] = day.isoformat()
    database = db.open(path)
    app = ArenaApp(database, LEADER, pin=DEMO_PIN)
    saved: dict[str, float] = {}
    async with app.run_test(size=(120, 40), notifications=True) as pilot:  # toasts as a caseworker sees them
        await _until(pilot, lambda: isinstance(app.screen, AttendanceScreen) and app.screen.sessions)
        roll = app.screen.query_one(RollTable)
        original = roll._set_mark

        def stamped(pid: str, mark, error: str = "", **kwargs) -> None:  # noqa: ANN001, ANN003
            original(pid, mark, error, **kwargs)
            roll.call_after_refresh(lambda: saved.setdefault(pid, time.perf_counter()))

        roll._set_mark = stamped
        shown: list[float] = []
        original_show = roll.show

        def show(*args, **kwargs) -> None:  # noqa: ANN002, ANN003
            original_show(*args, **kwargs)
            roll.call_after_refresh(lambda: shown.append(time.perf_counter()))

        roll.show = show
        commits: list[float] = []
        mark_many = attendance.mark_many

        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 -- in the write lane's thread
            begun = time.perf_counter()
            try:
                return mark_many(*args, **kwargs)
            finally:
                commits.append(time.perf_counter() - begun)

        attendance.mark_many = timed  # the roll call calls it through the module at write time
        try:
            start = (await _type(app, "\n"))[0]
            await _until(pilot, lambda: shown and roll.has_focus)
            opened = shown[0] - start
            order = list(roll.order)
            pressed = await _type(app, key * BURST)
            await _until(pilot, lambda: len(saved) >= BURST)
        finally:
            attendance.mark_many = mark_many
        last = max(saved.values())
    database.dispose()
    with dbfile.connect(path) as con:
        count = con.execute("SELECT count(*) FROM attendance WHERE activity_id = ? AND date = ?",
                            (aid, day.isoformat())).fetchone()[0]
    delays = [saved[pid] - t for pid, t in zip(order, pressed)]
    return opened, statistics.median(delays), BURST / (last - pressed[0]), count, statistics.median(commits)


async def _bare() -> tuple[float, float]:
    """A bare DataTable of 25 rows; a key updates one cell and moves on. (key-to-shown median, keys/s)"""
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.widgets import DataTable

    shown: dict[int, float] = {}

    class Table(DataTable):
        BINDINGS = [Binding("n", "mark", "mark")]

        def action_mark(self) -> None:
            row = self.cursor_row
            self.update_cell(str(row), "mark", "närvarande")
            self.move_cursor(row=row + 1)
            self.call_after_refresh(lambda: shown.setdefault(row, time.perf_counter()))

    class Bare(App):
        def compose(self) -> ComposeResult:  # the roll call's columns, widths and stripes
            table = Table(cursor_type="row", zebra_stripes=True)
            table.add_column("Namn", width=24, key="name")
            table.add_column("Närvaro", width=20, key="mark")
            table.add_column("Plan", width=6, key="plan")
            table.add_column("Info", key="info")
            for i in range(GROUP):
                table.add_row(f"Efternamn{i}, Förnamn", "", "6", "", key=str(i))
            yield table

    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pressed = await _type(app, "n" * BURST)
        await _until(pilot, lambda: len(shown) >= BURST)
    delays = [shown[i] - t for i, t in enumerate(pressed)]
    return statistics.median(delays), BURST / (max(shown.values()) - pressed[0])


@benchmark("roll_call")
def roll_call(ctx: Context) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "group.db"
        aid = group_of_25(ctx.path, path)
        days = iter(workdays(ctx.runs + 1))
        keys = iter("nsnsnsnsnsnsnsns")
        ours_runs: list[tuple] = []
        bare_runs: list[tuple] = []

        def ours() -> float:
            ours_runs.append(asyncio.run(_ours(path, aid, next(days), next(keys))))
            return 0.0

        def bare() -> float:
            bare_runs.append(asyncio.run(_bare()))
            return 0.0

        interleave(ours, bare, ctx.runs)
        os.environ["ARENA_TODAY"] = TODAY.isoformat()
    ours_runs = ours_runs[1:]  # the warm-up round
    bare_runs = bare_runs[1:]
    all_saved = all(r[3] == BURST for r in ours_runs)
    return [result("roll_call_open", ms([r[0] for r in ours_runs]), None, f"ms, Enter to {GROUP} rows shown",
                   Goal("≤ 100 ms", most=100)),
            result("roll_call_delay", ms([r[1] for r in ours_runs]), ms([b[0] for b in bare_runs]),
                   "ms key-to-saved median vs bare DataTable", Goal("≤ 1.5×", ratio=1.5), extra_ok=all_saved,
                   note=f"one commit of the write lane: {statistics.median(r[4] for r in ours_runs) * 1000:.3g} ms"
                        " median (the disk; the bare table writes nothing)"),
            result("roll_call_rate", [r[2] for r in ours_runs], [b[1] for b in bare_runs],
                   f"marks/s saved and shown, burst of {BURST}", Goal("≥ 30/s", least=30), extra_ok=all_saved,
                   note="" if all_saved else "NOT every mark reached the database")]
