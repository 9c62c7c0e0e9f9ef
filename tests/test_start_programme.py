"""README "Starting a programme", run as written: its shell blocks in an empty directory (real `arena`
subprocesses through bash), its CSV as the referral file, the `arena` lines through the Pilot — a
morning and an afternoon roll call on the first workstation, the sync, and a second workstation that
joins and shows the same roll call."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from store import db, dbfile

from .conftest import TODAY

ROOT = Path(__file__).resolve().parent.parent
PIN = "246813"


def section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Starting a programme")
    return readme[start:readme.index("\n## ", start + 10)]


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", section(), re.S)


def run_block(script: str, tmp: Path) -> subprocess.CompletedProcess:
    for real, here in (("/srv/arena", tmp / "srv"), ("/mnt/arena", tmp / "share"), ("/secure", tmp / "secure")):
        script = script.replace(real, str(here))
    env = {**{k: v for k, v in os.environ.items() if k not in ("ARENA_USER", "ARENA_DATA_DIR")},
           "ARENA_TODAY": TODAY.isoformat(), "LOGNAME": "sara.admin", "USER": "sara.admin",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["bash", "-e", "-c", script], cwd=tmp / "work", env=env, input=f"{PIN}\n",
                           capture_output=True, text=True, timeout=300)


async def roll_call(path: Path, marks: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Open the app as the README's administrator, take each session's roll call with the given key per
    person (in list order), return what F3 showed as marked/enrolled per session."""
    from tui.app import ArenaApp

    from .test_access import settle

    database = db.open(path)
    app = ArenaApp(database, "sara.admin")
    shown: dict[str, tuple[str, str]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        if type(app.screen).__name__ == "ChoiceDialog":  # a workstation that has not seen this login map it
            await pilot.press("enter")
            await settle(pilot, app)
        if type(app.screen).__name__ == "LockScreen":  # the PIN at every start
            await pilot.press(*PIN, "enter")
            await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        table = app.screen.query_one("#sessions")
        titles = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        for index, title in enumerate(titles):
            keys = marks.get(title.split()[1] if len(title.split()) > 1 else title, "")
            if keys:
                table.move_cursor(row=index)
                await pilot.press("enter")
                await settle(pilot, app)
                await pilot.press(*keys)
                await settle(pilot, app)
                await pilot.press("escape")
                await settle(pilot, app)
        for index in range(table.row_count):
            row = table.get_row_at(index)
            shown[str(row[0])] = (str(row[2]), str(row[3]))
    database.dispose()
    return shown


async def test_the_readme_starts_a_programme_from_an_empty_directory(tmp_path: Path) -> None:
    for folder in ("work", "share", "secure"):
        (tmp_path / folder).mkdir()
    setup, keys_and_sync, second = blocks("sh")
    (csv_text,) = blocks("csv")
    (tmp_path / "work" / "anvisningar.csv").write_text(csv_text.replace("\n", "\r\n"), encoding="cp1252")

    done = run_block(setup, tmp_path)
    assert done.returncode == 0, done.stderr
    ws1 = tmp_path / "srv" / "ws1" / "arena.db"
    con = dbfile.connect(ws1)
    assert con.execute("SELECT count(*) FROM participant").fetchone() == (3,)
    assert con.execute("SELECT s.name, count(e.id) FROM activity_session s LEFT JOIN enrolment e ON e.session_id = s.id"
                       " GROUP BY s.id ORDER BY s.start_time").fetchall() == [("fm", 2), ("em", 1)]
    again = run_block(setup.split("\n", 1)[0] + "\n" + 'read -rs PIN\n'
                      'echo "$PIN" | arena import participants anvisningar.csv --pin-stdin\n', tmp_path)
    assert again.returncode == 0 and "0 rader importerade, 3 oförändrade" in again.stdout, again.stdout + again.stderr

    # the morning roll call (both present) and the afternoon one (sick)
    shown = await roll_call(ws1, {"fm": "nn", "em": "s"})
    assert shown == {"Jobbsök fm": ("2/2", "2/12"), "Jobbsök em": ("1/1", "1/12")}, shown
    assert con.execute("SELECT s.name, t.status FROM attendance t JOIN activity_session s ON s.id = t.session_id"
                       " ORDER BY s.start_time, t.status").fetchall() == [("fm", "present"), ("fm", "present"),
                                                                          ("em", "sick")]
    same_shell = setup.split("\n", 1)[0] + "\n"  # the README's blocks run in one shell: its export holds
    synced = run_block(same_shell + keys_and_sync, tmp_path)
    assert synced.returncode == 0, synced.stderr

    joined = run_block(second, tmp_path)
    assert joined.returncode == 0, joined.stderr
    ws2 = tmp_path / "srv" / "ws2" / "arena.db"
    assert await roll_call(ws2, {}) == shown
    con2 = dbfile.connect(ws2)
    query = "SELECT id, session_id, status, hours FROM attendance ORDER BY id"
    assert con2.execute(query).fetchall() == con.execute(query).fetchall()
