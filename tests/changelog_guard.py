"""No synced table is written outside the change log: after a store test, every row of every synced
table in the test's databases must be exactly what its change-log entries fold to (the sync's own
fold), and every row the log says exists must be there. Seeded reference data (absence codes, stages,
exit outcomes as a new database has them) needs no entry; demo databases (built in bulk) are exempt."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from store import changes, db, dbfile, merge


@cache
def _seeds() -> dict[str, dict[str, dict]]:
    fresh = db.open(":memory:")
    out: dict[str, dict[str, dict]] = {}
    with fresh.read() as conn:
        for table, pk in changes.SYNCED.items():
            rows = conn.exec_driver_sql(f"SELECT * FROM {table}").mappings().all()
            out[table] = {r[pk]: {k: v for k, v in r.items() if k != pk} for r in rows}
    fresh.dispose()
    return out


def unlogged(path: Path) -> list[str]:
    """What in this database was written past the change log (empty: nothing)."""
    con = dbfile.connect(path)
    con.row_factory = dbfile.Row
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "change_log" not in tables or con.execute("SELECT 1 FROM setting WHERE key = 'demo'").fetchone():
            return []
        problems = []
        for table, pk in changes.SYNCED.items():
            ops: dict[str, list[tuple]] = {}
            for r in con.execute("SELECT row_id, hlc, workstation_id, kind, changes, by FROM change_log WHERE tbl = ?",
                                 (table,)):
                ops.setdefault(r[0], []).append((r[1], r[2], r[3], json.loads(r[4]), r[5]))
            skip = changes.GENERATED.get(table, set())
            rows = {r[pk]: {k: r[k] for k in r.keys() if k != pk and k not in skip}
                    for r in con.execute(f"SELECT * FROM {table}")}
            for row_id, values in rows.items():
                if row_id not in ops:
                    if _seeds()[table].get(row_id) != values:
                        problems.append(f"{table} {row_id}: written without a change-log entry")
                    continue
                state, _ = merge.fold(table, ops[row_id])
                if state is None:
                    problems.append(f"{table} {row_id}: present, but its change log deletes it")
                    continue
                for field, value in state.items():
                    if field in values and values[field] != value:
                        problems.append(f"{table} {row_id}.{field}: {values[field]!r}, but the log says {value!r}")
            for row_id, row_ops in ops.items():
                if row_id not in rows and merge.fold(table, row_ops)[0] is not None:
                    problems.append(f"{table} {row_id}: missing, but its change log has it")
        return problems
    finally:
        con.close()
