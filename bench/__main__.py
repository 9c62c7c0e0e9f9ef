"""Measure what caseworkers feel, as ratios against a baseline measured in the same run.

    python -m bench                 # 100 000 participants (scale databases built once, then cached)
    python -m bench --quick         # 10 000 participants, for CI-sized runs
    python -m bench --only search   # some benchmarks by name (prefix match; "sync_fleet=" exactly that one)

Prints one table: name, ours and the baseline (median of interleaved runs, spread min–max), the ratio,
the goal and pass/FAIL. Not part of pytest: timings on a shared machine are noisy, so the exit status
reports errors only. A benchmark is one `@benchmark` function in any module of this package
(see bench/core.py).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import core  # noqa: E402
from store import dbfile  # noqa: E402

NOT_BENCHMARKS = {"core", "worlds", "__main__"}


# What a caseworker feels first; the long fleet, import and export runs last, so a run stopped at its time
# limit (a full run is meant to fit about 25 minutes) has every screen's row. Modules not named: by name.
ORDER = ("identity", "marking", "rollcall", "screens", "startup", "encryption", "syncing", "exporting",
         "importing", "building", "healing", "fleet")


def load_all() -> None:
    package = Path(__file__).resolve().parent
    rank = {name: i for i, name in enumerate(ORDER)}
    for info in sorted(pkgutil.iter_modules([str(package)]), key=lambda m: (rank.get(m.name, len(ORDER)), m.name)):
        if info.name not in NOT_BENCHMARKS:
            importlib.import_module(f"bench.{info.name}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="10 000 participants instead of 100 000")
    parser.add_argument("--only", nargs="*", default=[], help="run only benchmarks whose name starts with one of these (ending in =: exactly)")
    parser.add_argument("--runs", type=int, default=core.RUNS, help=f"samples per median (at least {core.RUNS})")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    parser.add_argument("--pin", action="store_true", help="only the PIN hash cost (no database needed)")
    args = parser.parse_args()
    if args.pin:
        args.only = ["pin_guess"]
    os.environ["ARENA_TODAY"] = core.TODAY.isoformat()
    # the databases the benchmarks make are encrypted like a workstation's, with a key of their own
    os.environ.setdefault("ARENA_DB_KEY", str(core.cache_dir() / "bench.key"))
    load_all()
    ctx = core.Context(quick=args.quick, runs=max(core.RUNS, args.runs))
    results: list[core.Result] = []
    errors = 0
    for name, fn in core.REGISTRY:
        if args.only and not any(name == o.rstrip("=") if o.endswith("=") else name.startswith(o) for o in args.only):
            continue
        print(f"· {name}", flush=True)
        start = time.perf_counter()
        try:
            out = fn(ctx)
        except Exception:  # noqa: BLE001 -- one broken benchmark must not hide the others
            traceback.print_exc()
            errors += 1
            continue
        done = out if isinstance(out, list) else [out]
        results += done
        print(f"  ({time.perf_counter() - start:.0f} s)", flush=True)
        core.print_table(done, header=False)  # as it comes: a long run that is stopped still says something
        if args.json:
            Path(args.json).write_text(json.dumps([r.as_dict() for r in results], indent=1, ensure_ascii=False))
    if ctx._paths:
        path = ctx.path if ctx.participants in ctx._paths else next(iter(ctx._paths.values()))
        rows = dbfile.connect(path).execute("SELECT count(*) FROM attendance").fetchone()[0]
        print(f"\nscale database: {path.name}, {rows} attendance rows ({path.stat().st_size // 2**20} MB)")
    print(f"medians of {ctx.runs} interleaved runs unless noted; spread is min–max\n")
    core.print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps([r.as_dict() for r in results], indent=1, ensure_ascii=False))
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
