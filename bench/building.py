"""Building the demo database against inserting the same rows into the same schema the simplest way."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.core import TODAY, Context, Goal, Result, benchmark, interleave, result
from store import dbfile


def _copy_rows(source: Path, target: Path) -> float:
    """Seconds to insert every row of `source` into a fresh database with the same schema, indexes and
    triggers (made by the same migrations), with one executemany per table in one transaction."""
    from store import db, schema

    db.open(target).dispose()
    src = dbfile.connect(source)
    tables = [t for (t,) in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                        " AND name NOT LIKE 'sqlite_%' AND name != 'workstation'")]
    data = {}
    for t in tables:
        cols = [c[1] for c in src.execute(f"PRAGMA table_xinfo({t})") if c[6] == 0]  # not generated
        data[t] = (cols, src.execute(f"SELECT {', '.join(cols)} FROM {t}").fetchall())
    src.close()
    con = dbfile.connect(target, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")  # what the generator uses
    start = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    # as the generator: the day and session totals are copied rows here, not kept row by row
    for name in (*schema.DAY_TOTAL_TRIGGER_NAMES, *getattr(schema, "SESSION_TOTAL_TRIGGER_NAMES", ()),
                 *getattr(schema, "FIGURE_TOTAL_TRIGGER_NAMES", ())):
        con.execute(f"DROP TRIGGER {name}")
    for t, (cols, rows) in data.items():
        con.executemany(f"INSERT OR REPLACE INTO {t} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
    con.execute("COMMIT")
    seconds = time.perf_counter() - start
    con.close()
    return seconds


@benchmark("demo_build")
def demo_build(ctx: Context) -> Result:
    from store import demo

    n = 1000 if ctx.quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        count = [0]

        def ours() -> float:
            count[0] += 1
            path = Path(tmp) / f"d{count[0]}.db"
            start = time.perf_counter()
            demo.build(str(path), n, 2, 20, today=TODAY)
            seconds = time.perf_counter() - start
            if count[0] > 1:
                path.unlink()
            return seconds

        ours()  # the source of the baseline's rows
        base_count = [0]

        def base() -> float:
            base_count[0] += 1
            target = Path(tmp) / f"raw{base_count[0]}.db"
            seconds = _copy_rows(Path(tmp) / "d1.db", target)
            target.unlink()
            return seconds

        a, b = interleave(ours, base, ctx.runs, warm=0)
    return result("demo_build", a, b, f"s for {n} people and their attendance (same rows, same indexes)",
                  Goal("≤ 3×", ratio=3))
