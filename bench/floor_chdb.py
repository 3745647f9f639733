"""`analyze` inside ClickHouse against a plain ClickHouse aggregate of the same table (issue 17,
item 4: ≤ 2×, whole processes, at 2M and 10M rows).

    python bench/floor_chdb.py CHDB_FOLDER [--runs 3] [--from-store STORE.duckdb]

The floor: a Python process that opens the chDB folder and sums the calls and their input, output
and cache-read tokens per model and day (`SELECT model, toDate(ts), count(), sum(…) … GROUP BY`).
llmcost: `analyze --db chdb://CHDB_FOLDER --table calls --format json`. Each round runs the two
back to back (`floor_ratio.run_pairs`: wall time, CPU time, peak RSS, load average). With
`--from-store`, the folder's table `calls` is first made from a DuckDB store's calls (through
Parquet, as docs/scale.md shows); the store is read, never written.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor_ratio import PY, run_pairs

FLOOR = """
import sys
from chdb import session
s = session.Session(sys.argv[1])
s.query("SELECT model, toDate(ts) AS d, count(), sum(input_tokens), sum(output_tokens), "
        "sum(cache_read_tokens) FROM calls GROUP BY model, d", "CSV")
"""


def build(folder: Path, store: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "calls.parquet"
        subprocess.run([PY, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True)"
                        ".execute(f\"COPY calls TO '{sys.argv[2]}'\")", str(store), str(parquet)], check=True)
        create = ("CREATE TABLE calls ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM file('{sys.argv[2]}')")
        subprocess.run([PY, "-c", "import sys; from chdb import session; session.Session(sys.argv[1])"
                        f".query(f\"{create}\")", str(folder), str(parquet)], check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--from-store", type=Path)
    a = ap.parse_args()
    if a.from_store:
        build(a.folder, a.from_store)
    run_pairs({"chdb": ([PY, "-c", FLOOR, str(a.folder)],
                        [PY, "-m", "llmcost", "analyze", "--db", f"chdb://{a.folder}", "--table", "calls",
                         "--format", "json"])}, a.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
