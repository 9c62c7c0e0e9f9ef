"""Exports and the whole-programme närvarorapport in bounded memory: each in its own process, its peak RSS
read from that process alone (os.wait4), its time against the sqlite3 shell writing the same rows as CSV.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.core import TODAY, Context, Goal, Result, benchmark, result

ROOT = Path(__file__).resolve().parent.parent
MB = 300  # the goal: < 300 MB peak at 100 000 participants


def run(argv: list[str], out: Path | None = None, env: dict | None = None) -> tuple[float, float, str, float]:
    """Run a process to its end (stdout to `out`); return (seconds, its own peak RSS in MB, stderr, the
    CPU seconds it used, user and system: on a loaded machine the wall time is mostly waiting for a core).

    The peak is GNU time's (`/usr/bin/time -f %M`), which forks the process from its own small one: Linux
    carries the highest RSS of the process image an exec replaces into the new one, and a process spawned
    from this one (posix_spawn shares this process's memory until its exec, as vfork does) would report at
    least this process's own size (68 MB at 10k, whatever the child used). Without GNU time, os.wait4's
    figure is taken and said to be an upper bound."""
    err = Path(tempfile.mkstemp(prefix="arena-bench-err-")[1])
    peak_file = Path(tempfile.mkstemp(prefix="arena-bench-peak-")[1])
    environ = {**os.environ, "ARENA_TODAY": TODAY.isoformat(), "PYTHONPATH": str(ROOT), **(env or {})}
    actions = [(os.POSIX_SPAWN_OPEN, 1, str(out or os.devnull), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
               (os.POSIX_SPAWN_OPEN, 2, str(err), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)]
    wrapped = [GNU_TIME, "-f", "%M", "-o", str(peak_file), *argv] if GNU_TIME else argv
    start = time.perf_counter()
    pid = os.posix_spawn(wrapped[0], wrapped, environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    text = err.read_text(errors="replace")
    err.unlink()
    peak = usage.ru_maxrss / 1024
    if GNU_TIME:
        said = peak_file.read_text().split()
        peak = int(said[-1]) / 1024 if said and said[-1].isdigit() else peak
    peak_file.unlink()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv[:3]} exited {os.waitstatus_to_exitcode(status)}: {text[-2000:]}")
    return seconds, peak, text, usage.ru_utime + usage.ru_stime


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else ""
PEAK = "peak RSS" if GNU_TIME else "peak RSS (at most; no GNU time)"


def sqlite3_shell() -> str:
    shell = shutil.which("sqlite3")
    if shell is None:
        raise RuntimeError("the sqlite3 shell is not installed (apt-get install sqlite3): no baseline")
    return shell


EXPORT = ("import sys; from store import db, export; d = db.open(sys.argv[1]);"
          " n = export.write(d, 'anna.lind', sys.argv[2], sys.argv[3], sys.stdout, reason='Mätning av prestanda i bench');"
          " sys.stdout.flush()")
REPORT = ("import sys; from pathlib import Path; from store import db, report; d = db.open(sys.argv[1]);"
          " b = report.build(d, 'anna.lind', '2026-11', stream=True, reason='Mätning av prestanda i bench');"
          " report.write_file(b, Path(sys.argv[3]), sys.argv[2]); print(b.count, file=sys.stderr)")


def _copy(ctx: Context, folder: Path) -> Path:
    """The export and the report write the access log: a copy of the scale database (hard to avoid: the
    store's audit row is part of what is measured)."""
    target = folder / "arena.db"
    shutil.copy(ctx.path, target)
    return target


@dataclass
class Pair:
    ours: list[float]  # wall seconds
    base: list[float]
    peak: float  # MB, the highest of the runs
    base_peak: float
    cpu: list[float]  # CPU seconds
    base_cpu: list[float]

    def note(self, against: str, runs: int) -> str:
        mine, theirs = statistics.median(self.cpu), statistics.median(self.base_cpu)
        return (f"{PEAK} {self.peak:.0f} MB ({against} {self.base_peak:.0f} MB); CPU {mine:.3g} s vs {theirs:.3g} s"
                f" ({mine / theirs if theirs else float('inf'):.2f}×); {runs} run{'s' * (runs > 1)} each")


def _pair(ours: list[str], base: list[str], folder: Path, runs: int, ours_out: Path | None = None) -> Pair:
    pair = Pair([], [], 0.0, 0.0, [], [])
    for i in range(runs):
        order = (("o", "b") if i % 2 == 0 else ("b", "o"))
        for who in order:
            if who == "o":
                s, mb, _, cpu = run(ours, ours_out or folder / "ours.out")
                pair.ours.append(s)
                pair.cpu.append(cpu)
                pair.peak = max(pair.peak, mb)
            else:
                s, mb, _, cpu = run(base, folder / "base.csv")
                pair.base.append(s)
                pair.base_cpu.append(cpu)
                pair.base_peak = max(pair.base_peak, mb)
    return pair


@benchmark("export_stream")
def export_stream(ctx: Context) -> list[Result]:
    """`arena export` of every table that grows with the programme, CSV in the Swedish Excel dialect (with
    formula neutralising), against the sqlite3 shell running the same SELECT into a CSV file. Runs at full
    size are expensive (the attendance table is 4 million rows, about a minute each way on this machine): one
    pair there so the whole run fits its time, 5 interleaved pairs with --quick.

    The scale database is plain (a test setup): the store reads it through the standard library's SQLite
    (dbfile.plain_reader). A real workstation's database is encrypted, and SQLCipher's build runs the same
    SELECT about 1.9x slower: the `(encrypted, 10k)` rows export an encrypted copy of the 10 000-participant
    database (the marks day by day) against the shell on the plain one, the ratio a caseworker sees."""
    from bench.encryption import _copies

    runs = ctx.runs if ctx.quick else 1
    folder = Path(tempfile.mkdtemp(prefix="arena-bench-export-"))
    out = []
    try:
        path = _copy(ctx, folder)
        for what in ("participants", "attendance", "enrolments"):
            out.append(_export_pair(what, path, path, folder, runs, ""))
        path.unlink()
        encrypted, plain = _copies(ctx.scale(10_000), folder)
        for what in ("participants", "attendance", "enrolments"):
            out.append(_export_pair(what, encrypted, plain, folder, ctx.runs if ctx.quick else 3, " (encrypted, 10k)"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def _export_pair(what: str, path: Path, plain: Path, folder: Path, runs: int, label: str) -> Result:
    from store import export

    _, sql = export.QUERIES[what]
    ours = [sys.executable, "-c", EXPORT, str(path), what, "csv"]
    base = [sqlite3_shell(), "-csv", "-header", f"file:{plain}?mode=ro", sql]
    pair = _pair(ours, base, folder, runs)
    size = (folder / "ours.out").stat().st_size // 2**20
    return result(f"export {what}{label}", pair.ours, pair.base, "s, whole table as CSV vs sqlite3 -csv",
                  Goal(f"≤ 1.5× and < {MB} MB", ratio=1.5), extra_ok=pair.peak < MB,
                  note=f"{size} MB file; {pair.note('shell', runs)}")


def report_rows_sql(first: str, last: str) -> list[str]:
    """The rows the whole-programme report reads, as the sqlite3 shell would write them: the people of the
    period with their caseworker and plan, then the period's live marks with the session's planned hours (on an absence, as the report reads them)."""
    from store.attendance import live_sql
    from store.report import planned_sql

    return [f"SELECT p.id, p.personnummer, p.reserve_number, p.protected, p.last_name || ', ' || p.first_name,"
            f" p.referral_date, p.exit_date, coalesce(c.name, ''), p.plan_mon, p.plan_tue, p.plan_wed, p.plan_thu,"
            f" p.plan_fri FROM participant p LEFT JOIN caseworker c ON c.id = p.caseworker_id"
            f" WHERE p.referral_date <= '{last}' AND (p.exit_date IS NULL OR p.exit_date >= '{first}')"
            f" ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id",
            f"SELECT t.participant_id, t.date, t.status, t.reason_code, t.hours, {planned_sql('t')}, a.name, t.note"
            f" FROM attendance t JOIN activity a ON a.id = t.activity_id JOIN participant p ON p.id = t.participant_id"
            f" WHERE t.date BETWEEN '{first}' AND '{last}' AND {live_sql('t')} ORDER BY t.participant_id, t.date"]


def xlsx_baseline(path: str, target: str, *queries: str) -> None:
    """The XLSX report's baseline, the same work done the simplest way: the rows the report reads (one
    query each, the stdlib sqlite3 module) appended as they come to a write-only openpyxl workbook, a sheet
    a query, no styles. Run in its own process, as ours is."""
    import sqlite3

    from openpyxl import Workbook

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    book = Workbook(write_only=True)
    for i, sql in enumerate(queries):
        sheet = book.create_sheet(f"rows {i + 1}")
        for row in con.execute(sql):
            sheet.append(row)
    book.save(target)


XLSX_BASE = "import sys; from bench.exporting import xlsx_baseline; xlsx_baseline(*sys.argv[1:])"
# the PDF holds at most report.PDF_MAX_PEOPLE people (fpdf2 keeps the document in memory; a larger run is
# refused in one sentence): measured at that size, the first people by name, for its time and peak
PDF = ("import sys; from pathlib import Path; from store import db, report, dbfile; d = db.open(sys.argv[1]);"
       " con = dbfile.connect(sys.argv[1]); ids = [r[0] for r in con.execute('SELECT id FROM participant"
       " ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id LIMIT ?', (report.PDF_MAX_PEOPLE,))];"
       " con.close(); b = report.build(d, 'anna.lind', '2026-11', participant_ids=ids, stream=True, reason='Mätning av prestanda i bench');"
       " report.write_file(b, Path(sys.argv[2]), 'pdf')")


@benchmark("report_all")
def report_all(ctx: Context) -> list[Result]:
    """The whole programme's närvarorapport for November (every participant), each run in its own process
    with its peak RSS (< 300 MB): the CSV against the sqlite3 shell writing the rows it reads, the XLSX
    against openpyxl's write-only workbook taking those rows straight from SQLite (`xlsx_baseline`), and
    the PDF at the most people it takes (no baseline: its time and peak). One run each at full size
    (minutes each; the note says so), 5 interleaved pairs with --quick."""
    runs = ctx.runs if ctx.quick else 1
    folder = Path(tempfile.mkdtemp(prefix="arena-bench-report-"))
    out = []
    try:
        path = _copy(ctx, folder)
        queries = report_rows_sql("2026-11-01", "2026-11-30")
        for fmt in ("csv", "xlsx"):
            target = folder / f"alla.{fmt}"
            ours = [sys.executable, "-c", REPORT, str(path), fmt, str(target)]
            if fmt == "csv":
                base = [sqlite3_shell(), "-csv", f"file:{path}?mode=ro", "; ".join(queries) + ";"]
                against = "sqlite3 -csv of its rows"
            else:
                base = [sys.executable, "-c", XLSX_BASE, str(path), str(folder / "base.xlsx"), *queries]
                against = "openpyxl write-only of its rows"
            pair = _pair(ours, base, folder, runs)
            out.append(result(f"report_all {fmt}", pair.ours, pair.base, f"s, whole programme, one month vs {against}",
                              Goal(f"≤ 1.5× and < {MB} MB", ratio=1.5), extra_ok=pair.peak < MB,
                              note=f"{target.stat().st_size // 2**20} MB file; {pair.note('baseline', runs)}"))
        from store import report

        target = folder / "first.pdf"
        seconds, peaks = [], []
        for _ in range(runs):
            s, mb, _, _ = run([sys.executable, "-c", PDF, str(path), str(target)])
            seconds.append(s)
            peaks.append(mb)
        out.append(result("report_pdf", seconds, None, f"s, the first {report.PDF_MAX_PEOPLE} people by name as PDF",
                          Goal(f"< {MB} MB"), extra_ok=max(peaks) < MB,
                          note=f"{PEAK} {max(peaks):.0f} MB, {target.stat().st_size // 2**20} MB file;"
                               f" more people are refused (rep.pdf_too_many); {runs} run{'s' * (runs > 1)}"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out
