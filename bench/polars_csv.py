"""Measurement prototype for issue 15 point 11 (not used by llmcost): the llmcost CLI with single
CSV files read by polars' parallel reader (all columns text), numbered with `with_row_index`, and
handed to DuckDB as an Arrow table registered on the store's connection (no copy), instead of
DuckDB's `read_csv` + `row_number()`. It keeps no CSV-reject accounting (polars has no rejects
table): it is only for timing well-formed files.

    pip install polars   # not a dependency of llmcost (bench/RESULTS.md says why)
    python bench/polars_csv.py analyze FILE --db :memory: --format json
    python bench/compare_csv_readers.py FILE   # runs both readers 3 times each, interleaved
"""
import sys
import time

import llmcost.ingest.base as base
import llmcost.ingest.load as load

VIEW = "__polars_csv"
_orig_load_file = load.load_file
_orig_csv_rows = base.SourceContext.csv_rows
READ_S = []


def load_file(store, item):
    if item.ctx.sample.kind == "csv" and not item.ctx.batch:
        import polars as pl
        t0 = time.perf_counter()
        df = pl.read_csv(item.ctx.sample.read_path or item.path, infer_schema=False,
                         separator=item.ctx.sample.delimiter or ",")
        df = df.with_row_index("_pos", offset=1)
        arrow = df.to_arrow(compat_level=pl.CompatLevel.newest())  # string views: no copy
        store.con.register(VIEW, arrow)
        READ_S.append(time.perf_counter() - t0)
        try:
            return _orig_load_file(store, item)
        finally:
            store.con.unregister(VIEW)
    return _orig_load_file(store, item)


def csv_rows(self):
    if self.batch:
        return _orig_csv_rows(self)
    return f"(SELECT CAST(_pos AS BIGINT) AS _pos, *{base._renamed(self.sample.columns)} EXCLUDE (_pos) FROM {VIEW})"


load.load_file = load_file
base.SourceContext.csv_rows = csv_rows

from llmcost.cli import main  # noqa: E402

sys.argv[0] = "llmcost"
try:
    main()
finally:
    print(f"polars read+index+to_arrow: {sum(READ_S):.2f} s", file=sys.stderr)
