"""What encryption at rest costs: the same work on an encrypted copy of a scale database (SQLCipher,
the workstation key) against the same database unencrypted (marked plain, as `arena init
--no-encryption` makes it). Both copies are made from one file in the same run, and the two sides are
interleaved on the two copies, so both see the same page cache and the same neighbours."""
from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path

from bench.core import Context, Goal, Result, benchmark, clock, interleave, last_workday, ms, result
from store import dbfile

BATCH = 50


def _copies(source: Path, folder: Path) -> tuple[Path, Path]:
    """`source` (plain) twice: as it is, and encrypted with the workstation key by SQLCipher's export."""
    plain, encrypted = folder / "plain.db", folder / "encrypted.db"
    shutil.copy(source, plain)
    con = dbfile.connect(plain, isolation_level=None)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    key = dbfile.load_key(encrypted, create=True)
    con.execute(f"ATTACH DATABASE ? AS enc KEY \"x'{key.hex()}'\"", (str(encrypted),))
    con.execute("SELECT sqlcipher_export('enc')")
    con.execute(f"PRAGMA enc.user_version = {int(version)}")
    con.execute("DETACH DATABASE enc")
    con.close()
    assert dbfile.state(plain) == dbfile.PLAIN and dbfile.state(encrypted) == dbfile.ENCRYPTED
    return encrypted, plain


@benchmark("encryption")
def encryption(ctx: Context) -> list[Result]:
    """mark_one and search (the F2 queries of bench/screens.py) through the store on the encrypted copy
    against the same on the plain one. At 10 000 participants (a scale database bigger than SQLite's page
    cache, so pages are read, and decrypted, all the time); goal ≤ 1.3× on both."""
    from bench.screens import _queries
    from store import attendance, cases, db

    source = ctx.scale(10_000)
    out: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="arena-bench-enc-") as tmp:
        enc_path, plain_path = _copies(source, Path(tmp))
        enc, plain = db.open(enc_path), db.open(plain_path)
        assert enc.encrypted and not plain.encrypted
        day = last_workday()
        todo = []
        for s in attendance.sessions(plain, day):
            todo += [(r.participant_id, s.activity_id)
                     for r in attendance.roll_call(plain, "anna.lind", s.activity_id, day)]
            if len(todo) >= BATCH * 2 * (ctx.runs + 1):
                break
        batches = [todo[i:i + BATCH] for i in range(0, len(todo), BATCH)]
        # each side marks its own people (a mark that changes nothing is not the same work)
        enc_batches, plain_batches = iter(batches[0::2]), iter(batches[1::2])

        def marking(database: db.Database, rows_of) -> float:  # noqa: ANN001
            rows = next(rows_of)
            return clock(lambda: [attendance.mark(database, "anna.lind", pid, aid, day, "sick")
                                  for pid, aid in rows]) / len(rows)

        a, b = interleave(lambda: marking(enc, enc_batches), lambda: marking(plain, plain_batches), ctx.runs)
        out.append(result("enc mark_one", ms(a), ms(b), f"ms per mark, encrypted vs plain (batches of {BATCH})",
                          Goal("≤ 1.3×", ratio=1.3)))

        con = dbfile.connect(plain_path)
        queries = _queries(con)
        con.close()

        def searching(database: db.Database) -> float:
            times = [clock(lambda q=q: cases.search(database, q, login="anna.lind")) for q in queries]
            return statistics.median(times)

        a, b = interleave(lambda: searching(enc), lambda: searching(plain), ctx.runs)
        out.append(result("enc search", ms(a), ms(b), "ms, median of 100 F2 queries, encrypted vs plain",
                          Goal("≤ 1.3×", ratio=1.3)))

        def cold_open(path: Path) -> float:
            return clock(lambda: db.open(path).dispose())

        a, b = interleave(lambda: cold_open(enc_path), lambda: cold_open(plain_path), ctx.runs)
        out.append(result("enc open", ms(a), ms(b), "ms, db.open (key file read, key checked) vs plain",
                          Goal("≤ 1.3×", ratio=1.3)))
        enc.dispose()
        plain.dispose()
    return out
