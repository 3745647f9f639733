"""The DuckDB floor for loading: a plain CREATE TABLE AS SELECT * FROM read_csv into a fresh file.
    python bench/floor_load.py LOG.csv STORE.duckdb"""

import os
import sys

import duckdb

log, db = sys.argv[1], sys.argv[2]
if os.path.exists(db):
    os.remove(db)
con = duckdb.connect(db)
con.execute(f"CREATE TABLE calls AS SELECT * FROM read_csv('{log}')")
print(con.execute("SELECT count(*) FROM calls").fetchone())
