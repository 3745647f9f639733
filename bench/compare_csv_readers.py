"""DuckDB's CSV reader (llmcost as shipped) against polars' (bench/polars_csv.py), same machine,
same run, interleaved: whole `analyze FILE --db :memory:`, the load step alone
(`ingest FILE --db :memory:`), and the bare read (every record as text with its record number,
counted). Prints a Markdown table of the runs and medians (seconds; peak RSS in MB).

    python bench/generate.py --rows 2000000 --out /tmp/logs_2m.csv
    python bench/compare_csv_readers.py /tmp/logs_2m.csv --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

READ_DUCKDB = """
import duckdb, sys
con = duckdb.connect()
print(con.execute("SELECT count(*), max(_pos) FROM (SELECT row_number() OVER () AS _pos, * FROM "
                  "read_csv(?, all_varchar=true, header=true, store_rejects=true))", [sys.argv[1]]).fetchall())
"""
READ_POLARS = """
import duckdb, polars as pl, sys
con = duckdb.connect()
df = pl.read_csv(sys.argv[1], infer_schema=False).with_row_index("_pos", offset=1)
arrow = df.to_arrow(compat_level=pl.CompatLevel.newest())  # string views: no copy
con.register("t", arrow)
print(con.execute("SELECT count(*), max(_pos) FROM t").fetchall())
"""


def timed(cmd: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one process (os.wait4 gives that child's own rusage)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{cmd} failed: {proc.stderr.read() if proc.stderr else ''}")
    return elapsed, usage.ru_maxrss / 1024  # kB on Linux


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    py = sys.executable
    cases = {
        "analyze FILE --db :memory:": ([py, "-m", "llmcost"], [py, str(HERE / "polars_csv.py")],
                                       ["analyze", a.file, "--db", ":memory:", "--format", "json"]),
        "ingest FILE --db :memory: (load step)": ([py, "-m", "llmcost"], [py, str(HERE / "polars_csv.py")],
                                                  ["ingest", a.file, "--db", ":memory:", "--format", "json"]),
        "read + number + count": ([py, "-c", READ_DUCKDB], [py, "-c", READ_POLARS], [a.file]),
    }
    print("| step | reader | runs (s) | median (s) | peak RSS (MB) |")
    print("|---|---|---|---:|---:|")
    for label, (duck, polars, args) in cases.items():
        timed(duck + args)  # warm-up: file cache, imports
        times: dict[str, list[float]] = {"duckdb": [], "polars": []}
        peaks: dict[str, float] = {"duckdb": 0.0, "polars": 0.0}
        for _ in range(a.runs):
            for name, cmd in (("duckdb", duck), ("polars", polars)):
                seconds, peak = timed(cmd + args)
                times[name].append(seconds)
                peaks[name] = max(peaks[name], peak)
        for name, ts in times.items():
            runs = ", ".join(f"{t:.2f}" for t in ts)
            print(f"| {label} | {name} | {runs} | {statistics.median(ts):.2f} | {peaks[name]:,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
