"""A fresh `analyze` against its DuckDB floor, interleaved in one run (issue 17, item 4).

    python bench/floor_ratio.py LOG.csv [--runs 3] [--only fresh|memory]

Each round runs, one after the other: the plain load (`floor_load.py`) then `analyze LOG --db
NEW.duckdb --format json` (a store removed before each run), and the read-join-group floor
(`floor_query.py`) then `analyze LOG --db :memory: --format json`. On a shared machine the
absolute times move with the load of the other processes; a floor and its llmcost run taken back
to back see about the same load, so the ratio of each round is steadier than either time. Prints
every run (wall seconds, peak RSS, the 1-minute load average before it), the medians and the
ratio of the medians, and the median of the per-round ratios; and the same for CPU time (user +
system), which other processes disturb less than wall time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PY = sys.executable


def timed(cmd: list[str]) -> tuple[float, float, float, float]:
    """(wall seconds, peak RSS MB, 1-minute load average just before, CPU seconds: user +
    system) of one whole process."""
    load = os.getloadavg()[0]
    r = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr[-1500:]}")
    wall = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", r.stderr)
    mem = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    user = re.search(r"User time \(seconds\): ([\d.]+)", r.stderr)
    system = re.search(r"System time \(seconds\): ([\d.]+)", r.stderr)
    assert wall and mem and user and system, r.stderr[-500:]
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    return seconds, int(mem.group(1)) / 1024, load, float(user.group(1)) + float(system.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", choices=("fresh", "memory"))
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="llmcost-floor-"))
    store, floor_db = tmp / "store.duckdb", tmp / "floor.duckdb"
    pairs = {
        "fresh": ([PY, str(BENCH / "floor_load.py"), str(a.log), str(floor_db)],
                  [PY, "-m", "llmcost", "analyze", str(a.log), "--db", str(store), "--format", "json"]),
        "memory": ([PY, str(BENCH / "floor_query.py"), str(a.log)],
                   [PY, "-m", "llmcost", "analyze", str(a.log), "--db", ":memory:", "--format", "json"]),
    }
    if a.only:
        pairs = {a.only: pairs[a.only]}
    def remove_stores() -> None:
        for p in tmp.glob("*.duckdb*"):
            p.unlink()

    try:
        run_pairs(pairs, a.runs, before_each=remove_stores)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


Timing = tuple[float, float, float, float]


def run_pairs(pairs: dict[str, tuple[list[str], list[str]]], rounds: int,
              before_each: Callable[[], object] = lambda: None) -> dict[str, list[tuple[Timing, Timing]]]:
    """Each round, each pair: its floor then its llmcost command, back to back (`before_each`
    first); every run printed, then per pair the medians and ratios."""
    runs: dict[str, list[tuple[Timing, Timing]]] = {k: [] for k in pairs}
    for i in range(rounds):
        for name, (floor, ours) in pairs.items():
            before_each()
            f = timed(floor)
            o = timed(ours)
            runs[name].append((f, o))
            print(f"round {i + 1} {name}: floor {f[0]:.2f} s (CPU {f[3]:.2f} s, {f[1]:,.0f} MB, load {f[2]:.1f}), "
                  f"llmcost {o[0]:.2f} s (CPU {o[3]:.2f} s, {o[1]:,.0f} MB, load {o[2]:.1f}), "
                  f"ratio {o[0] / f[0]:.2f} (CPU {o[3] / f[3]:.2f})", flush=True)
    for name, rs in runs.items():
        fm = statistics.median(f[0] for f, _ in rs)
        om = statistics.median(o[0] for _, o in rs)
        rm = statistics.median(o[0] / f[0] for f, o in rs)
        fc = statistics.median(f[3] for f, _ in rs)
        oc = statistics.median(o[3] for _, o in rs)
        print(f"{name}: floor median {fm:.2f} s, llmcost median {om:.2f} s, ratio of medians {om / fm:.2f}, "
              f"median ratio {rm:.2f}; CPU medians {fc:.2f} s and {oc:.2f} s, ratio {oc / fc:.2f}; "
              f"peak RSS llmcost {max(o[1] for _, o in rs):,.0f} MB")
    return runs

if __name__ == "__main__":
    sys.exit(main())
