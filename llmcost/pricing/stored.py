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
  A file version whose calls changed since it was priced (a call it holds moved to or from
  another file's copy: `store.CHANGES`) is priced again the same way, and the mark cleared.
  The whole refresh is one transaction: a kill leaves the previous, consistent cache.
- Price overlays (`--pricing`) are per-run what-ifs of the price book, and a `:memory:` store has
  no next run: those runs price on the fly (a view) and leave the cache untouched.
- The cache is checked against `calls` by count; any disagreement rebuilds it, so it can never
  drift from the calls it prices.
- `priced_rollup` sums the priced calls per file, day and label (not the tenant), rebuilt in the
  same transaction whenever they change: `analyze` reads its totals and most breakdowns there.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import duckdb

from llmcost.pricing.book import PriceBook
from llmcost.pricing.engine import MULTS, PERIODS, ROWS, prepare_pricing, priced_sql
from llmcost.sql_quoting import sql_str
from llmcost.store import CHANGES, Store, explain_failure

PRICED_CALLS = "priced_calls"
PRICED_SOURCES = "priced_sources"
STALE = "llmcost_stale_sources"
ROLLUP = "priced_rollup"
# the price tables the calls were priced with (TEMP table -> its copy kept in the store)
BOOK_TABLES = {PERIODS: "priced_book_periods", ROWS: "priced_book_rows", MULTS: "priced_book_multipliers"}


def book_fingerprint(book: PriceBook) -> str:
    """SHA-256 of the pricing SQL, the rollup's figures and every file of the book, in load
    order (a change to any of them rebuilds what is kept)."""
    h = hashlib.sha256(priced_sql("calls").encode())
    h.update(repr(sorted(ROLLUP_FIGURES.items())).encode())
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
    up-to-date cache costs no pricing work at all). Returns the table's name. A store that
    cannot be written (permissions, a full disk) or is damaged is a `StoreError` saying so."""
    try:
        return _refresh(store, book)
    except (duckdb.OutOfMemoryException, duckdb.InterruptException):
        raise
    except duckdb.Error as e:
        failure = explain_failure(e, store.path)
        if failure is None:
            raise
        raise failure from e


def _refresh(store: Store, book: PriceBook) -> str:
    con = store.con
    fp = book_fingerprint(book)
    has_table = _table_exists(store, PRICED_CALLS)
    if not _table_exists(store, PRICED_SOURCES):
        con.execute(f"CREATE TABLE {PRICED_SOURCES} (source_hash VARCHAR, loaded_at TIMESTAMP, "
                    "book VARCHAR)")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {STALE} AS
        (SELECT source_hash, min(ingested_at) AS loaded_at FROM sources GROUP BY source_hash
         EXCEPT SELECT source_hash, loaded_at FROM {PRICED_SOURCES} WHERE book = {sql_str(fp)})
        UNION SELECT source_hash, min(ingested_at) FROM sources
              WHERE source_hash IN (SELECT source_hash FROM {CHANGES}) GROUP BY source_hash""")
    stale = int(store.query(f"SELECT count(*) FROM {STALE}")[0][0])
    gone = int(store.query(f"""SELECT count(*) FROM {PRICED_SOURCES} WHERE book <> {sql_str(fp)}
        OR source_hash NOT IN (SELECT source_hash FROM sources)""")[0][0])
    in_sync = has_table and not stale and not gone and _counts_agree(store)
    if in_sync and all(_table_exists(store, copy) for copy in BOOK_TABLES.values()):
        for temp, copy in BOOK_TABLES.items():  # the book's tables as priced with, not rebuilt
            con.execute(f"CREATE OR REPLACE TEMP TABLE {temp} AS SELECT * FROM {copy}")
        con.execute(f"DROP TABLE IF EXISTS {STALE}")
        if not _table_exists(store, ROLLUP):
            with store.transaction():
                _build_rollup(store)
        return PRICED_CALLS
    prepare_pricing(con, book, "calls")
    with store.transaction():
        for temp, copy in BOOK_TABLES.items():
            con.execute(f"CREATE OR REPLACE TABLE {copy} AS SELECT * FROM {temp}")
        still_priced = int(store.query(f"""SELECT count(*) FROM {PRICED_SOURCES} WHERE book = {sql_str(fp)}
            AND source_hash IN (SELECT source_hash FROM sources)""")[0][0])
        if not has_table or not still_priced or (not stale and not gone):
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
        con.execute(f"DELETE FROM {CHANGES}")
        _build_rollup(store)
    con.execute(f"DROP TABLE IF EXISTS {STALE}")
    return PRICED_CALLS


# The priced calls summed per file, day and every label but the tenant (thousands of rows for
# millions of calls): the totals and most breakdowns of `analyze` read it instead of every call.
# Its `ts` is the day's midnight, so a scope's filters apply to it unchanged when its times fall
# on midnights (`rollup_serves`).
ROLLUP_KEYS = ("source_hash", "model", "model_id", "provider", "feature", "task_type", "period_key")
ROLLUP_FIGURES = {
    "calls": "count(*)", "inp": "sum(input_tokens)", "cr": "sum(cache_read_tokens)",
    "cw": "sum(cache_write_5m_tokens + cache_write_1h_tokens)", "out": "sum(output_tokens)",
    "reas": "sum(reasoning_tokens)", "errs": "count(*) FILTER (WHERE status = 'error')",
    "no_ts": "count(*) FILTER (WHERE ts IS NULL)", "t0": "min(ts)", "t1": "max(ts)",
    "unpriced": "count(*) FILTER (WHERE cost_input IS NULL)", "c_in": "sum(cost_input)",
    "c_cr": "sum(cost_cache_read)", "c_cw": "sum(cost_cache_write)", "c_out": "sum(cost_output)",
    "c_oth": "sum(cost_other)", "cost": "sum(cost_usd)",
    "log_n": "count(*) FILTER (WHERE logged_cost_usd IS NOT NULL AND cost_usd IS NOT NULL)",
    "ws": "sum(web_search_requests) FILTER (WHERE web_search_unpriced)",
    "tmiss": "count(*) FILTER (WHERE tier_priced = false)",
    # errored calls' tokens and those on models the book lacks: per-call figures leave them out
    "e_inp": "sum(input_tokens) FILTER (WHERE status = 'error')",
    "e_out": "sum(output_tokens) FILTER (WHERE status = 'error')",
    "e_unp": "count(*) FILTER (WHERE status = 'error' AND cost_input IS NULL)",
}
# how the figures of several rollup rows add up
ROLLUP_SUMS = {k: ("min" if k == "t0" else "max" if k == "t1" else "sum") for k in ROLLUP_FIGURES}


def _build_rollup(store: Store) -> None:
    figures = ", ".join(f"{e} AS {k}" for k, e in ROLLUP_FIGURES.items())
    store.con.execute(f"""CREATE OR REPLACE TABLE {ROLLUP} AS
        SELECT {", ".join(ROLLUP_KEYS)}, CAST(CAST(ts AS DATE) AS TIMESTAMP) AS ts, {figures}
        FROM {PRICED_CALLS} GROUP BY ALL""")


def rollup_serves(scope_since: datetime | None, scope_until: datetime | None, tenants: tuple[str, ...],
                  store: Store | None = None, source_hashes: tuple[str, ...] | None = None) -> bool:
    """The rollup answers exactly for a scope with no tenant filter and times on midnights, over
    files that hold no call kept as another file's copy (the rollup sums each call once, under
    the file whose copy is kept)."""
    def midnight(t: datetime | None) -> bool:
        return t is None or t == datetime(t.year, t.month, t.day)

    if source_hashes and store is not None and store.holds_copies(source_hashes):
        return False
    return not tenants and midnight(scope_since) and midnight(scope_until)


def _counts_agree(store: Store) -> bool:
    a, b = store.query(f"SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM {PRICED_CALLS})")[0]
    return bool(a == b)

