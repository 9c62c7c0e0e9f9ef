"""The benchmark machinery: a registry, interleaved measurement, the result table and the scale databases.

A benchmark is a function decorated with `@benchmark(...)` in any module of this package; it takes the
run's `Context` and returns one `Result` or a list of them. Ours and the baseline are measured
alternately (ours, baseline, baseline, ours, …) so that a noisy neighbour or a warming page cache hurts
both alike; every result keeps all its samples and is reported as the median with the spread (min–max).
"""
from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TODAY = dt.date(2026, 11, 24)
RUNS = 5  # the least number of samples behind every median


def cache_dir() -> Path:
    """Built scale databases live here (once); ARENA_BENCH_CACHE points elsewhere, e.g. a private dir."""
    return Path(os.environ.get("ARENA_BENCH_CACHE") or Path(__file__).resolve().parent / ".cache")


@dataclass
class Samples:
    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def spread(self) -> str:
        return f"{min(self.values):.3g}–{max(self.values):.3g}" if len(self.values) > 1 else ""


@dataclass
class Goal:
    """What must hold: ours/baseline at most `ratio`, or ours at most (`most`) / at least (`least`) a value."""
    text: str
    ratio: float | None = None
    most: float | None = None
    least: float | None = None

    def holds(self, ours: float, baseline: float | None) -> bool:
        if self.ratio is not None and (baseline is None or ours > self.ratio * baseline):
            return False
        if self.most is not None and ours > self.most:
            return False
        return self.least is None or ours >= self.least


@dataclass
class Result:
    name: str
    ours: Samples
    baseline: Samples | None
    unit: str
    goal: Goal
    note: str = ""
    extra_ok: bool = True  # a correctness condition the numbers cannot show (e.g. every mark saved)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.baseline.median:
            return None
        return self.ours.median / self.baseline.median

    @property
    def ok(self) -> bool:
        base = self.baseline.median if self.baseline else None
        return self.extra_ok and self.goal.holds(self.ours.median, base)

    def as_dict(self) -> dict:
        return {"name": self.name, "ours": self.ours.median, "ours_samples": self.ours.values,
                "baseline": self.baseline.median if self.baseline else None,
                "baseline_samples": self.baseline.values if self.baseline else None, "ratio": self.ratio,
                "unit": self.unit, "goal": self.goal.text, "ok": self.ok, "note": self.note}


def result(name: str, ours: list[float] | float, baseline: list[float] | float | None, unit: str, goal: Goal,
           note: str = "", extra_ok: bool = True) -> Result:
    def s(v: list[float] | float | None) -> Samples | None:
        return None if v is None else Samples(list(v) if isinstance(v, list) else [v])
    return Result(name, s(ours), s(baseline), unit, goal, note, extra_ok)


def clock(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleave(ours: Callable[[], object], baseline: Callable[[], object], runs: int = RUNS,
               warm: int = 1) -> tuple[list[float], list[float]]:
    """Run ours and the baseline alternately, `runs` times each after `warm` unmeasured rounds; return the
    samples. A callable returning a float has measured itself (seconds, a rate, …); for anything else
    its wall time is taken. The order swaps every round so neither side always runs on the cache the
    other warmed."""
    def one(fn: Callable[[], object]) -> float:
        start = time.perf_counter()
        value = fn()
        return value if isinstance(value, float) else time.perf_counter() - start

    for _ in range(warm):
        one(ours), one(baseline)
    a, b = [], []
    for i in range(runs):
        if i % 2:
            b.append(one(baseline))
            a.append(one(ours))
        else:
            a.append(one(ours))
            b.append(one(baseline))
    return a, b


def ms(values: list[float]) -> list[float]:
    return [v * 1000 for v in values]


@dataclass
class Context:
    quick: bool
    runs: int = RUNS
    _paths: dict[int, Path] = field(default_factory=dict)

    @property
    def participants(self) -> int:
        return 10_000 if self.quick else 100_000

    @property
    def path(self) -> Path:
        """The scale database (100 000 participants, or 10 000 with --quick)."""
        return self.scale(self.participants)

    @property
    def small(self) -> Path:
        """A database a tenth the size, for goals about growth."""
        return self.scale(self.participants // 10)

    def scale(self, participants: int, days: int = 40) -> Path:
        if participants not in self._paths:
            self._paths[participants] = scale_db(participants, days)
        return self._paths[participants]


def scale_db(participants: int, days: int = 40) -> Path:
    """The cached scale database, plain on purpose (store.dbfile.PLAIN_MARK): every row but the
    encryption's own compares the store with baselines that read the same file (the sqlite3 module, the
    sqlite3 shell), so the file must be one they can read; what SQLCipher costs is measured apart."""
    from store import demo

    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"scale-{participants}-{days}.db"
    if not path.exists():
        print(f"building {path.name} (once, in {cache}) …", flush=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        demo.build(str(tmp), participants, 1, days, today=TODAY, encrypt=False)
        tmp.replace(path)
    _plain_on_purpose(path)
    _demo_pins(path)
    return path


def _plain_on_purpose(path: Path) -> None:
    """The scale databases are a test setup: plain, and marked so (store.dbfile), so that opening one
    never encrypts it in place (a cache built before encryption is marked once). Every benchmark measures
    the plain store as before; `encryption` (bench/encryption.py) measures what the key costs."""
    from store import dbfile

    if dbfile.state(path) == dbfile.LEGACY:
        dbfile.mark_plain(path)


def _demo_pins(path: Path) -> None:
    """A database built before the demo users had PINs gets them (the demo PIN, written as the generator
    does), once; the store's migrations run on the way."""
    from store import db, dbfile, pins
    from store.pins import DEMO_PIN

    db.open(path).dispose()
    with dbfile.connect(path) as con:
        if con.execute("SELECT count(*) FROM caseworker WHERE coalesce(pin_hash, '') = ''").fetchone()[0]:
            con.execute("UPDATE caseworker SET pin_hash = ? WHERE coalesce(pin_hash, '') = ''",
                        (pins.hash_pin(DEMO_PIN),))


Bench = Callable[[Context], "Result | list[Result]"]
REGISTRY: list[tuple[str, Bench]] = []


def benchmark(name: str) -> Callable[[Bench], Bench]:
    """Register a benchmark under `name` (what `--only` selects). Order of registration is run order."""
    def register(fn: Bench) -> Bench:
        REGISTRY.append((name, fn))
        return fn
    return register


def most_connected_login(path: Path) -> str:
    from store import dbfile

    with dbfile.connect(path) as con:
        return con.execute("SELECT c.login FROM caseworker c JOIN participant p ON p.caseworker_id = c.id"
                           " WHERE p.status = 'active' GROUP BY c.id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]


def last_workday(before: dt.date = TODAY) -> dt.date:
    from store import calendar

    day = before - dt.timedelta(days=1)
    while not calendar.is_workday(day):
        day -= dt.timedelta(days=1)
    return day


def fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}".replace(",", " ")


def print_table(results: list[Result], header: bool = True) -> None:
    if header:
        print(f"{'name':18} {'ours (median, spread)':>26} {'baseline (median, spread)':>28} {'ratio':>8}  {'goal':22}"
              " result")
    for r in results:
        ours = f"{fmt(r.ours.median)} ({r.ours.spread()})" if r.ours.spread() else fmt(r.ours.median)
        if r.baseline is None:
            base = "—"
        else:
            base = f"{fmt(r.baseline.median)} ({r.baseline.spread()})" if r.baseline.spread() else fmt(r.baseline.median)
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "—"
        print(f"{r.name:18} {ours:>26} {base:>28} {ratio:>8}  {r.goal.text:22} {'pass' if r.ok else 'FAIL'}"
              f"  ({r.unit}{'; ' + r.note if r.note else ''})")
