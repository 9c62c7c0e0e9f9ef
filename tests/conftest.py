"""Shared fixtures: real SQLite files in tmp dirs, a fixed 'today', small worlds built through store."""
from __future__ import annotations

import datetime as dt
import gc
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# Temporary files (every test's tmp_path, the PostgreSQL servers' data, what subprocesses make) in memory
# where the system has it: every commit of a mark waits for the disk (synchronous=FULL), 5-8 ms on this
# machine's disk and nothing in tmpfs. What the tests prove does not change: a SIGKILLed process leaves
# the same files there as on a disk. An explicit TMPDIR is kept.
if "TMPDIR" not in os.environ and os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    os.environ["TMPDIR"] = "/dev/shm"
    __import__("tempfile").tempdir = None  # gettempdir() looks again
# PIN hashes in the suite use a low scrypt cost so hundreds of unlocks stay fast (subprocesses inherit
# it); test_access proves that without this variable the real cost is used.
os.environ["ARENA_SCRYPT_N"] = "16"
# Every database the suite makes is encrypted, as a real one is, with a workstation key of this test
# process (subprocesses inherit it), kept outside every test's data folder. tests/test_encryption.py
# proves what the key does; other tests read their files through store.dbfile.connect.
os.environ["ARENA_DB_KEY"] = os.path.join(__import__("tempfile").mkdtemp(prefix="arena-key-"), "workstation.key")

# An environment that forbids bytecode caches (PYTHONDONTWRITEBYTECODE, as this machine's does) makes every
# Arena process the suite starts compile store/ and tui/ from source again, which no installed Arena does.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# The Pilot waits for the app to go idle after every key it presses and in every `pause()`: it sleeps in
# steps of textual._wait.SLEEP_GRANULARITY (20 ms) until a step passes with the process using less than
# SLEEP_IDLE of CPU (a twentieth of it). Two such waits per key and two per `until_quiet` made a third of
# the suite's wall time an idle core. The same rule (idle = under 5 % CPU over a step) with 4 ms steps: a
# busy app is still waited for step by step, an idle one is noticed five times sooner. What the tests wait
# for they still wait for as conditions (tests/waiting.py), never on this.
import textual._wait as _textual_wait  # noqa: E402

assert hasattr(_textual_wait, "SLEEP_GRANULARITY") and hasattr(_textual_wait, "SLEEP_IDLE"), \
    "textual's Pilot no longer waits in steps of textual._wait.SLEEP_GRANULARITY: revisit tests/conftest.py"
_textual_wait.SLEEP_GRANULARITY = 0.004
_textual_wait.SLEEP_IDLE = _textual_wait.SLEEP_GRANULARITY / 20.0


def _share_parsed_css() -> None:
    """Every app a test starts parses screens.css and each widget's DEFAULT_CSS again (a stylesheet caches
    its parses for itself only): a sixth of a Pilot test's CPU. The parsed rules (never changed after
    parsing; an app reuses them at every reparse) are shared by the apps of one test process, keyed by
    everything the parse reads: the text, where it came from, its rank and scope, and the theme's variables.
    Without the private method this is left out (only speed depends on it)."""
    from textual.css.stylesheet import Stylesheet

    parse = getattr(Stylesheet, "_parse_rules", None)
    if parse is None or getattr(parse, "shared", False):
        return
    shared: dict[tuple, object] = {}
    theme: list = [None, None, None]  # the variables last seen, a copy of them, their part of the key

    def shared_parse(self, css, read_from, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        variables = getattr(self, "_variables", None)
        if not isinstance(variables, dict):
            return parse(self, css, read_from, *args, **kwargs)
        if variables is not theme[0] or variables != theme[1]:  # (sorting ~150 variables at every parse
            theme[:] = [variables, dict(variables), tuple(sorted(variables.items()))]  # was 1 % of the CPU)
        key = (css, read_from, args, tuple(sorted(kwargs.items())), theme[2])
        if key not in shared:
            shared[key] = parse(self, css, read_from, *args, **kwargs)
        return shared[key]

    shared_parse.shared = True  # type: ignore[attr-defined]
    Stylesheet._parse_rules = shared_parse  # type: ignore[method-assign]


_share_parsed_css()

# A headless app (the Pilot's) renders every frame's changed lines and throws them away: two fifths of a
# Pilot test's CPU. Its screen is drawn once instead, with Textual's own code, when the test is done with
# the app (tests/waiting.py says how, and where the drawing itself is checked).
from .waiting import render_when_the_test_ends  # noqa: E402

render_when_the_test_ends()

from store import activities, cases, changes, clock, db, pins, staff  # noqa: E402
from tui.text import set_language  # noqa: E402

TODAY = dt.date(2026, 11, 24)  # a Tuesday, week 48
DATA = Path(__file__).parent / "data"
PIN = "246801"  # every user's PIN in make_world
DEMO_PIN = pins.DEMO_PIN


class _EndlessPin(io.StringIO):
    """Standard input for in-process `cli.main([... "--pin-stdin"])` calls: the world's PIN, every time."""

    def __init__(self, pin: str) -> None:
        super().__init__()
        self.pin = pin

    def readline(self, *_: object) -> str:  # type: ignore[override]
        return self.pin + "\n"

    def isatty(self) -> bool:
        return False


@pytest.fixture(autouse=True)
def pin_on_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", _EndlessPin(PIN))


def stdin_pin(monkeypatch: pytest.MonkeyPatch, pin: str) -> None:
    """What the next in-process `--pin-stdin` reads (another user's PIN, a wrong one, the demo PIN)."""
    monkeypatch.setattr(sys, "stdin", _EndlessPin(pin))


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setenv("ARENA_TODAY", TODAY.isoformat())
    set_language("sv")
    assert clock.today() == TODAY
    return TODAY


@dataclass
class World:
    path: Path
    db: db.Database
    activity_id: str
    people: list[str]  # participant ids, sorted by surname like the roll call


NAMES = [("Anna", "Andersson"), ("Björn", "Berg"), ("Cecilia", "Carlsson"), ("David", "Dahl"), ("Eva", "Ek"),
         ("Fatima", "Farah"), ("Göran", "Gustafsson"), ("Hanna", "Hägg"), ("Ivan", "Isaksson"), ("Johanna", "Jönsson"),
         ("Karl", "Karlsson"), ("Lena", "Lind"), ("Mohammed", "Mohamed"), ("Nora", "Nilsson"), ("Olle", "Olsson"),
         ("Petra", "Persson"), ("Qasim", "Quist"), ("Rut", "Rahimi"), ("Sven", "Svensson"), ("Tove", "Thorén"),
         ("Ulf", "Ulriksson"), ("Vera", "Wallin"), ("Yusuf", "Yilmaz"), ("Zara", "Zetterberg"), ("Åsa", "Åberg")]


def make_world(path: Path, n: int = 25, *, referral: dt.date = dt.date(2026, 9, 1)) -> World:
    database = db.open(path)
    with database.write("setup") as tx:
        hashed = pins.hash_pin(PIN)
        for login, name, role in (("setup", "Sara Systemansvarig", "admin"), ("omar.farah", "Omar Farah", "caseworker"),
                                  ("karin.ek", "Karin Ek", "caseworker"), ("lena.leder", "Lena Leder", "leader")):
            row_id = staff.create_in(tx, login, name, role=role)
            changes.upsert(tx, "caseworker", row_id, {"pin_hash": hashed})
    omar = staff.by_login(database, "omar.farah")
    karin = staff.by_login(database, "karin.ek")
    aid = activities.create(database, "setup", "Arbetsträning café", (6, 6, 6, 6, 4), kind="arbetsträning",
                            site="Centrum", leader_login="lena.leder")
    people = []
    for i in range(n):
        first, last = NAMES[i % len(NAMES)]
        if i >= len(NAMES):
            last = f"{last}{i}"
        pid = cases.register(database, "setup", cases.NewParticipant(
            first_name=first, last_name=last, gender="K" if i % 2 == 0 else "M", referral_date=referral.isoformat(),
            caseworker_id=(omar if i % 5 else karin).id, plan=(6, 6, 6, 6, 4)))
        activities.enrol(database, "setup", pid, aid, referral)
        people.append(pid)
    return World(path, database, aid, people)


# ------------------------------------------------------------------ new databases from a migrated copy
# A new database runs all of schema.MIGRATIONS (about 50 ms of CPU), and the suite makes hundreds: a
# tenth of its CPU. In the test process a new file opened by `db.open` (encrypted, the latest schema) is
# first given the bytes of one this process migrated with the same workstation key, with its own
# workstation row taken out, so `db.open` finds it up to date and gives it a workstation of its own as
# for any new file. Not done where migrating is what is tested: `upto=`, a plain database, a file that
# exists already (empty or older), a missing key file (its creation is tested), subprocesses and the
# fork server's children (which never load this hook). tests/test_foundation.py holds a database made
# from the copy equal to one migrated through the real path.
_migrated: dict[bytes, bytes] = {}


def _migrated_copy(key: bytes, open_database) -> bytes:  # noqa: ANN001
    if key not in _migrated:
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="arena-migrated-"))
        made = open_database(folder / "new.db")
        made.dispose()
        from store import dbfile

        con = dbfile.connect(folder / "new.db")
        try:
            con.execute("DELETE FROM workstation")
            con.commit()
        finally:
            con.close()
        assert not (folder / "new.db-wal").exists(), "the migrated copy left a write-ahead log"
        _migrated[key] = (folder / "new.db").read_bytes()
    return _migrated[key]


@pytest.fixture(autouse=True, scope="session")
def new_databases_from_a_migrated_copy():  # noqa: ANN201
    from store import dbfile

    real_open = db.open

    def open_from_copy(path, *, upto=None, encrypt=True, **options):  # noqa: ANN001, ANN003, ANN202
        if upto is None and encrypt and str(path) != ":memory:" and not os.path.lexists(path):
            try:
                key = dbfile.key_path().read_bytes()
            except OSError:
                key = None
            if key:
                data = _migrated_copy(key, real_open)
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                with os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "wb") as file:
                    file.write(data)
        return real_open(path, upto=upto, encrypt=encrypt, **options)

    db.open = open_from_copy
    yield real_open  # (what tests/test_foundation.py compares the copies with)
    db.open = real_open


def footer_keys(screen) -> list:  # noqa: ANN001
    """The keys the screen's footer draws now (`tui.footer.Key`: the key, its words or none, disabled,
    refused, the palette's), left to right."""
    from tui.footer import ArenaFooter

    return [shown.key for footer in screen.query(ArenaFooter) for shown in footer.shown]


def reader(database: db.Database, participant_id: str) -> str:
    """A login that may read this case in a test: its caseworker's, or (a case in nobody's caseload) the
    administrator's after opening it with a logged reason, as the store requires."""
    with database.read() as conn:
        login = conn.exec_driver_sql("SELECT c.login FROM participant p JOIN caseworker c ON c.id = p.caseworker_id"
                                     " WHERE p.id = ?", (participant_id,)).scalar()
    if login:
        return login
    cases.open_case(database, "setup", participant_id, reason="Kontroll i test")
    return "setup"


def older_release_database(path: Path) -> Path:
    """A database as an older release left it: schema version 1, with a person in it (Åsa Öberg)."""
    old = db.open(path, upto=1)
    with old.write("someone") as tx:
        tx.conn.exec_driver_sql(
            "INSERT INTO participant (id, personnummer, first_name, last_name, gender, referral_date, created_at)"
            " VALUES ('p1', '198506121234', 'Åsa', 'Öberg', 'K', '2026-01-01', '2026-01-01')")
    old.dispose()
    return path


def copy_database(source: Path, target: Path) -> None:
    """A closed database file copied as it lies, its owner-only mode too (with its write-ahead log, if one
    was left)."""
    import shutil

    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy2(f"{source}{suffix}", f"{target}{suffix}")


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> World:
    """`make_world`'s default world, built once per test session (per xdist worker) and closed; the `world`
    fixture copies its file. Its ids (activity, people, the workstation) are the same in every copy, so a
    test that needs a second workstation builds it with `make_world` (its own workstation id)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARENA_TODAY", TODAY.isoformat())
        template = make_world(tmp_path_factory.mktemp("world") / "arena.db")
    template.db.dispose()
    return template


@pytest.fixture
def world(tmp_path: Path, world_template: World) -> World:
    """A fresh copy of the session's `make_world(tmp_path / "arena.db")`: 25 people in one activity, four
    users with the PIN `PIN` (building it is 0.2 s of CPU, copying it a few ms)."""
    path = tmp_path / "arena.db"
    copy_database(world_template.path, path)
    w = World(path, db.open(path), world_template.activity_id, list(world_template.people))
    yield w
    w.db.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small deterministic demo database per test session; tests copy it."""
    os.environ["ARENA_TODAY"] = TODAY.isoformat()
    from store import demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    demo.build(str(path), 150, 7, 15, today=TODAY)
    return path


@pytest.fixture
def demo_db(tmp_path: Path, demo_template: Path) -> Path:
    import shutil

    target = tmp_path / "demo.db"
    shutil.copy(demo_template, target)
    return target


# ------------------------------------------------------------------------------- the sync's hubs

HUBS = ["dir"] + (["smb"] if os.environ.get("ARENA_TEST_SMB") else []) + ["pg"]


@pytest.fixture(scope="session")
def pg_server():  # noqa: ANN201
    """One real PostgreSQL server per test session (per xdist worker); skipped without the binaries,
    except in CI, where a missing server is a failure."""
    from . import pgserver

    server = pgserver.start_or_skip()
    yield server
    server.stop()


@pytest.fixture(params=HUBS)
def hub_factory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """Makes fresh, empty hubs of one kind: a directory, a folder on the SMB share, a PostgreSQL schema."""
    import uuid

    from .hubs import DirHub, PgHub

    made = []

    def make():  # noqa: ANN202
        if request.param == "dir":
            path = tmp_path_factory.mktemp("share")
            hub = DirHub(path)
        elif request.param == "smb":
            path = Path(os.environ["ARENA_TEST_SMB"]) / f"t-{uuid.uuid4().hex[:10]}"
            path.mkdir()
            hub = DirHub(path, "smb")
        else:
            server = request.getfixturevalue("pg_server")
            hub = PgHub(server, server.new_schema())
        made.append(hub)
        return hub

    yield make
    for hub in made:
        hub.close()


@pytest.fixture
def hub(hub_factory):  # noqa: ANN001, ANN201
    return hub_factory()


# A test of the merge's rules (which write wins, what is a conflict, how two stations' same name is kept)
# runs on the directory hub only: a hub stores and returns the sealed files (or rows) and nothing of the
# rules depends on which one. What a hub itself does – every kind of change carried (the property test on
# the remote hubs), a kill in the middle, damaged, archived or missing files, a share gone mid-sync,
# snapshots, gallring reaching the hub – is tested on every hub.
ON_THE_DIRECTORY_HUB = pytest.mark.parametrize("hub_factory", ["dir"], indirect=True)


# ------------------------------------------------------------------ writes past the change log
# Store tests whose databases are checked after every test (tests/changelog_guard.py).
CHANGE_LOG_GUARDED = {"test_attendance", "test_cases", "test_milestones", "test_retention", "test_access",
                      "test_identity", "test_report", "test_garbage", "test_sync_healing"}


@pytest.fixture(autouse=True)
def no_write_past_the_change_log(request: pytest.FixtureRequest, tmp_path: Path):  # noqa: ANN201
    yield
    if request.module.__name__.rsplit(".", 1)[-1] not in CHANGE_LOG_GUARDED:
        return
    from .changelog_guard import unlogged

    found = {str(p.relative_to(tmp_path)): unlogged(p) for p in tmp_path.rglob("*.db")}
    found = {name: problems[:5] for name, problems in found.items() if problems}
    assert not found, f"synced tables written outside store.changes: {found}"


class Poll:
    """One number read again and again (`poll(sql)`) from a database another process is writing, through
    one connection: a new connection parses the schema again, ~2.5 ms of CPU each time, taken from the
    process being watched when a test polls every few milliseconds. Reads in autocommit: each sees the
    last commit."""

    def __init__(self, path: Path) -> None:
        from store import dbfile

        self.con = dbfile.connect(path, timeout=30)

    def __call__(self, sql: str) -> int:
        return self.con.execute(sql).fetchone()[0]

    def __enter__(self) -> Poll:
        return self

    def __exit__(self, *_: object) -> None:
        self.con.close()


def rows(world: World, sql: str, *params: object) -> list[tuple]:
    """The rows a query returns from the world's database, read through the store's own file opener."""
    from store import dbfile

    con = dbfile.connect(world.path)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


# ------------------------------------------------------------------ the collector between tests
# Python's cyclic collector traverses every live object in a full collection. A Pilot test leaves the
# interpreter with ~300 000 long-lived objects (the modules and caches of textual, rich, sqlalchemy), and
# its own app creates enough to trigger a full collection several times a test: a fifth of a Pilot test's
# CPU went there. After each test, what is still alive is collected once and moved out of the collector's
# way (`gc.freeze`). During a test the collector does not run at all (a test's cyclic garbage is a few
# tens of MB at most, the workers' peak stays ~220 MB): its young collections were ~2 % of a Pilot test's
# CPU, and the collection after the test takes the test's garbage anyway. What a test leaks stays alive,
# which in a test process of a few minutes costs some memory, nothing more.


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject's addopts): a worker more than the machine has cores. A share of the tests
    wait rather than compute (on a subprocess killed at a random moment, on PostgreSQL, the SMB share, a
    commit): with a worker per core a core sat idle meanwhile (2 cores: 125 s with two workers, 115 s with
    three, 116 s with four)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores + 1


def pytest_runtest_logstart(nodeid: str, location: tuple) -> None:
    gc.disable()  # (a thread's garbage made meanwhile waits for the collection after the test too)


def pytest_runtest_logfinish(nodeid: str, location: tuple) -> None:
    gc.enable()
    gc.collect()
    gc.freeze()


# ------------------------------------------------------------------ the longest tests first
# pytest-xdist hands each worker a share of the collection and lets an idle worker steal from the end of
# another's: a test of ten seconds near the end leaves the other core idle meanwhile. So the tests run
# longest first, by their seconds in the last run (setup, call and teardown; kept in pytest's cache), else
# in tests/costs.json (a recorded run's, for a fresh checkout and CI; mypy's as a fresh checkout runs it, with
# a cold cache: 14 s); a test known to neither runs after them in the order it was collected. Every worker reads the same record, so all collect the same order.
COSTS_KEY = "arena/test-seconds"
COSTS_FILE = Path(__file__).parent / "costs.json"


def _costs(config: pytest.Config) -> dict[str, float]:
    import json

    try:
        costs = json.loads(COSTS_FILE.read_text("utf-8"))
    except (OSError, ValueError):
        costs = {}
    cache = getattr(config, "cache", None)  # (none with -p no:cacheprovider)
    if cache is not None:
        costs.update(cache.get(COSTS_KEY, {}))
    return costs


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    costs = _costs(config)
    items.sort(key=lambda item: -costs.get(item.nodeid, 0.0))  # stable: ties keep the collected order


_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _seconds[report.nodeid] = _seconds.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    cache = getattr(config, "cache", None)
    if hasattr(config, "workerinput") or cache is None or not _seconds:  # workers leave it to the controller
        return
    recorded = cache.get(COSTS_KEY, {})
    recorded.update({nodeid: round(seconds, 2) for nodeid, seconds in _seconds.items()})
    cache.set(COSTS_KEY, recorded)
