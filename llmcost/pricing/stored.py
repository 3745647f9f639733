"""Priced calls kept in the store, so that a second `analyze` does not price every call again.

Pricing 10M calls takes seconds; aggregating already priced calls a fraction of that. Each stored
file's calls are therefore priced once per price book and kept in the table `priced_calls` (every
column of `calls`, plus the prices and costs of `engine.priced_sql`), with `priced_sources`
saying which file version was priced with which book:

- A file version is its content hash plus the time it was first loaded (`sources.ingested_at`):
  a file forgotten and loaded again may have another set of calls (duplicates are decided against
  what the store held at the time), so it is priced again.
- The book's fingerprint covers every book file's bytes and the pricing SQL itself: editing the
  book, upgrading llmcost or changing a pricing rule re-prices everything, once.
- Files loaded since the last run are priced alone and added; forgotten or replaced ones removed.
  The whole refresh is one transaction: a kill leaves the previous, consistent cache.
- Price overlays (`--pricing`) are per-run what-ifs of the price book, and a `:memory:` store has
  no next run: those runs price on the fly (a view) and leave the cache untouched.
- The cache is checked against `calls` by count; any disagreement rebuilds it, so it can never
  drift from the calls it prices.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from llmcost.pricing.book import PriceBook
from llmcost.pricing.engine import MULTS, PERIODS, ROWS, prepare_pricing, priced_sql
from llmcost.sql_quoting import sql_str
from llmcost.store import Store

PRICED_CALLS = "priced_calls"
PRICED_SOURCES = "priced_sources"
STALE = "llmcost_stale_sources"
# the price tables the calls were priced with (TEMP table -> its copy kept in the store)
BOOK_TABLES = {PERIODS: "priced_book_periods", ROWS: "priced_book_rows", MULTS: "priced_book_multipliers"}


def book_fingerprint(book: PriceBook) -> str:
    """SHA-256 of the pricing SQL and of every file of the book, in load order."""
    h = hashlib.sha256(priced_sql("calls").encode())
    for f in book.files:
        h.update(b"\0" + f.encode() + b"\0")
        h.update(Path(f).read_bytes())
    return h.hexdigest()


def keeps_priced_calls(store: Store, book: PriceBook) -> bool:
    """True when this run reads the priced calls kept in the store (the shipped book, a store on
    disk); False when it prices on the fly (price overlays, a `:memory:` store)."""
    return not book.overlays and store.path != ":memory:"


def _table_exists(store: Store, name: str) -> bool:
    return bool(store.query(
        "SELECT 1 FROM duckdb_tables() WHERE table_name = ? AND NOT temporary "
        "AND database_name = current_database()", [name]))


def refresh_priced_calls(store: Store, book: PriceBook) -> str:
    """Bring `priced_calls` up to date with `calls` and `book`, and load the book's price tables
    on the connection (`engine.prepare_pricing`; kept in the store with the priced calls, so an
    up-to-date cache costs no pricing work at all). Returns the table's name."""
    con = store.con
    fp = book_fingerprint(book)
    has_table = _table_exists(store, PRICED_CALLS)
    if not _table_exists(store, PRICED_SOURCES):
        con.execute(f"CREATE TABLE {PRICED_SOURCES} (source_hash VARCHAR, loaded_at TIMESTAMP, "
                    "book VARCHAR)")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {STALE} AS
        SELECT source_hash, min(ingested_at) AS loaded_at FROM sources GROUP BY source_hash
        EXCEPT SELECT source_hash, loaded_at FROM {PRICED_SOURCES} WHERE book = {sql_str(fp)}""")
    stale = int(store.query(f"SELECT count(*) FROM {STALE}")[0][0])
    gone = int(store.query(f"""SELECT count(*) FROM {PRICED_SOURCES} WHERE book <> {sql_str(fp)}
        OR source_hash NOT IN (SELECT source_hash FROM sources)""")[0][0])
    in_sync = has_table and not stale and not gone and _counts_agree(store)
    if in_sync and all(_table_exists(store, copy) for copy in BOOK_TABLES.values()):
        for temp, copy in BOOK_TABLES.items():  # the book's tables as priced with, not rebuilt
            con.execute(f"CREATE OR REPLACE TEMP TABLE {temp} AS SELECT * FROM {copy}")
        con.execute(f"DROP TABLE IF EXISTS {STALE}")
        return PRICED_CALLS
    prepare_pricing(con, book, "calls")
    with store.transaction():
        for temp, copy in BOOK_TABLES.items():
            con.execute(f"CREATE OR REPLACE TABLE {copy} AS SELECT * FROM {temp}")
        kept = int(store.query(f"SELECT count(*) FROM {PRICED_SOURCES} WHERE book = {sql_str(fp)}")[0][0])
        if not has_table or kept - gone <= 0 or (not stale and not gone):
            # first run, a new book, or a cache that disagrees with calls: price everything
            con.execute(f"CREATE OR REPLACE TABLE {PRICED_CALLS} AS SELECT * FROM ({priced_sql('calls')})")
            con.execute(f"DELETE FROM {PRICED_SOURCES}")
            con.execute(f"""INSERT INTO {PRICED_SOURCES} SELECT source_hash, min(ingested_at), {sql_str(fp)}
                            FROM sources GROUP BY source_hash""")
        else:
            con.execute(f"""DELETE FROM {PRICED_CALLS} WHERE source_hash IN (SELECT source_hash FROM {STALE})
                OR source_hash NOT IN (SELECT source_hash FROM sources)""")
            con.execute(f"""DELETE FROM {PRICED_SOURCES} WHERE book <> {sql_str(fp)}
                OR source_hash IN (SELECT source_hash FROM {STALE})
                OR source_hash NOT IN (SELECT source_hash FROM sources)""")
            new_calls = f"(SELECT * FROM calls WHERE source_hash IN (SELECT source_hash FROM {STALE}))"
            con.execute(f"INSERT INTO {PRICED_CALLS} SELECT * FROM ({priced_sql(new_calls)})")
            con.execute(f"INSERT INTO {PRICED_SOURCES} SELECT source_hash, loaded_at, {sql_str(fp)} FROM {STALE}")
        if not _counts_agree(store):  # calls without a sources row (never made by llmcost)
            con.execute(f"CREATE OR REPLACE TABLE {PRICED_CALLS} AS SELECT * FROM ({priced_sql('calls')})")
    con.execute(f"DROP TABLE IF EXISTS {STALE}")
    return PRICED_CALLS


def _counts_agree(store: Store) -> bool:
    a, b = store.query(f"SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM {PRICED_CALLS})")[0]
    return bool(a == b)

