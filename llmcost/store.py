"""The local store: one DuckDB file holding `calls`, `sources`, `rejects` and the schema version.

- Default path `./llmcost.duckdb`; `--db PATH` or env `LLMCOST_DB` override it; `:memory:` gives a
  one-shot store that vanishes with the process.
- Every connection runs in UTC, never installs extensions from the network, and keeps DuckDB's
  memory to `LLMCOST_MEMORY_LIMIT` (default 1GB; it spills to a temp folder beyond that).
- A second process on the same file gets `StoreInUseError` (DuckDB holds a file lock).
- Numbered migrations bring an older store up to `schema.SCHEMA_VERSION`; a newer store than this
  llmcost understands is refused rather than damaged.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from llmcost.errors import StoreError, StoreInUseError
from llmcost.schema import SCHEMA_VERSION, calls_ddl
from llmcost.sql_quoting import sql_str

DEFAULT_DB = "llmcost.duckdb"
DB_ENV = "LLMCOST_DB"
MEMORY_ENV = "LLMCOST_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1GB"

SOURCES_DDL = """
CREATE TABLE sources (
  source_file VARCHAR NOT NULL,
  source_hash VARCHAR NOT NULL,
  adapter VARCHAR NOT NULL,
  rows_read BIGINT NOT NULL,
  rows_loaded BIGINT NOT NULL,
  rows_rejected BIGINT NOT NULL,
  rows_duplicate BIGINT NOT NULL,
  rows_skipped BIGINT NOT NULL,
  rows_conflicting BIGINT NOT NULL,
  ingested_at TIMESTAMP NOT NULL
)"""

REJECTS_DDL = """
CREATE TABLE rejects (
  source_file VARCHAR NOT NULL,
  source_hash VARCHAR NOT NULL,
  line BIGINT,
  reason VARCHAR NOT NULL,
  raw VARCHAR
)"""

# Each migration brings the store from version N-1 to N. Never edit a released one: add the next.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (calls_ddl(), SOURCES_DDL, REJECTS_DDL),
}


@dataclass(frozen=True)
class SourceRow:
    source_file: str
    source_hash: str
    adapter: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_duplicate: int
    rows_skipped: int
    rows_conflicting: int
    ingested_at: str
    calls_stored: int


@dataclass(frozen=True)
class RejectRow:
    source_file: str
    line: int | None
    reason: str
    raw: str | None


@dataclass(frozen=True)
class ForgetResult:
    source_file: str
    calls_removed: int
    rejects_removed: int


def resolve_db_path(db: str | None) -> str:
    """`--db` wins, then `LLMCOST_DB`, then `./llmcost.duckdb`."""
    return db or os.environ.get(DB_ENV) or DEFAULT_DB


def connect(database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with llmcost's invariants: UTC, no network extension installs."""
    con = duckdb.connect(
        database,
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    con.execute("SET TimeZone='UTC'")
    # bounded memory: DuckDB spills to disk past this (months of logs on a laptop)
    limit = os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_LIMIT)
    try:
        con.execute(f"SET memory_limit = {sql_str(limit)}")
    except duckdb.Error as e:
        raise StoreError(f"{MEMORY_ENV}={limit} is not a memory size DuckDB understands.",
                         "Write it like 1GB, 4GB or 75%.") from e
    con.execute(f"SET temp_directory = {sql_str(str(Path(tempfile.gettempdir()) / 'llmcost-spill'))}")
    return con


class Store:
    """An open llmcost store. Use as a context manager or call `close()`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self.con = con
        self.path = path

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a crash or Ctrl-C inside leaves the store as it was."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or []).fetchall()

    def schema_version(self) -> int:
        rows = self.query("SELECT value FROM llmcost_meta WHERE key = 'schema_version'")
        return int(rows[0][0]) if rows else 0

    def sources(self) -> list[SourceRow]:
        rows = self.query(
            """
            SELECT s.source_file, s.source_hash, s.adapter, s.rows_read, s.rows_loaded,
                   s.rows_rejected, s.rows_duplicate, s.rows_skipped, s.rows_conflicting,
                   strftime(s.ingested_at, '%Y-%m-%dT%H:%M:%SZ'),
                   (SELECT count(*) FROM calls c WHERE c.source_hash = s.source_hash)
            FROM sources s ORDER BY s.ingested_at, s.source_file
            """
        )
        return [SourceRow(*r) for r in rows]

    def rejects(self, source_file: str | None = None, limit: int | None = None) -> list[RejectRow]:
        sql = "SELECT source_file, line, reason, raw FROM rejects"
        params: list[Any] = []
        if source_file:
            sql += " WHERE source_file = ?"
            params.append(source_file)
        sql += " ORDER BY source_file, line"
        if limit and limit > 0:
            sql += f" LIMIT {min(int(limit), 2**62)}"
        return [RejectRow(*r) for r in self.query(sql, params)]

    def find_sources(self, file_or_hash: str) -> list[tuple[str, str]]:
        """(source_file, source_hash) rows matching a path (as given or resolved) or a hash prefix."""
        resolved = str(Path(file_or_hash).expanduser().resolve())
        return [
            (r[0], r[1])
            for r in self.query(
                """SELECT DISTINCT source_file, source_hash FROM sources
                   WHERE source_file IN (?, ?) OR (length(?) >= 8 AND starts_with(source_hash, ?))""",
                [file_or_hash, resolved, file_or_hash, file_or_hash],
            )
        ]

    def forget(self, file_or_hash: str) -> list[ForgetResult]:
        """Remove a file's calls, rejects and source record, in one transaction."""
        matches = self.find_sources(file_or_hash)
        results = []
        with self.transaction():
            for source_file, source_hash in matches:
                results.append(self.remove_source(source_file, source_hash))
        return results

    def remove_source(self, source_file: str, source_hash: str) -> ForgetResult:
        """Delete one stored file version (call inside a transaction).

        Calls are keyed by content hash; when another stored path has the same content, its calls
        stay (they belong to that path too).
        """
        shared = self.query(
            "SELECT count(*) FROM sources WHERE source_hash = ? AND source_file <> ?",
            [source_hash, source_file],
        )[0][0]
        calls_removed = 0
        if not shared:
            calls_removed = self.query(
                "SELECT count(*) FROM calls WHERE source_hash = ?", [source_hash]
            )[0][0]
            self.con.execute("DELETE FROM calls WHERE source_hash = ?", [source_hash])
        rejects_removed = self.query(
            "SELECT count(*) FROM rejects WHERE source_file = ? AND source_hash = ?",
            [source_file, source_hash],
        )[0][0]
        self.con.execute(
            "DELETE FROM rejects WHERE source_file = ? AND source_hash = ?",
            [source_file, source_hash],
        )
        self.con.execute(
            "DELETE FROM sources WHERE source_file = ? AND source_hash = ?",
            [source_file, source_hash],
        )
        return ForgetResult(source_file, int(calls_removed), int(rejects_removed))


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS llmcost_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    row = con.execute("SELECT value FROM llmcost_meta WHERE key = 'schema_version'").fetchall()
    current = int(row[0][0]) if row else 0
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"This store was written by a newer llmcost (schema version {current}; this llmcost "
            f"understands up to {SCHEMA_VERSION}).",
            "Upgrade llmcost, or point --db at another store.",
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        con.execute("BEGIN TRANSACTION")
        for statement in MIGRATIONS[version]:
            con.execute(statement)
        con.execute(
            "INSERT OR REPLACE INTO llmcost_meta VALUES ('schema_version', ?)", [str(version)]
        )
        con.execute("COMMIT")


LOG_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".parquet", ".gz", ".zst")


def _looks_like_a_log(path: str) -> bool:
    return Path(path).suffix.lower() in LOG_SUFFIXES


def open_store(db: str | None = None) -> Store:
    """Open (creating if needed) the store at `db` / `$LLMCOST_DB` / `./llmcost.duckdb`."""
    path = resolve_db_path(db)
    if path != ":memory:":
        parent = Path(path).expanduser().resolve().parent
        if not parent.is_dir():
            raise StoreError(
                f"The store {path} cannot be created: the folder {parent} does not exist.",
                "Create the folder, or pass --db with a path in an existing folder.",
            )
    if path != ":memory:" and _looks_like_a_log(path):
        raise StoreError(
            f"--db {path} names a log file, not a store (DuckDB would open it as a throw-away "
            "in-memory database, and nothing would be kept).",
            f"Pass the log as an argument (llmcost analyze {path}); the store is a file such as "
            "llmcost.duckdb.")
    try:
        con = connect(path)
    except duckdb.IOException as e:
        text = str(e)
        if "lock" in text.lower():
            raise StoreInUseError(
                f"The store {path} is in use by another llmcost (or DuckDB) process.",
                "Wait for it to finish, or use another store with --db PATH (or --db :memory: "
                "for a one-shot run).",
            ) from e
        raise StoreError(
            f"The store {path} cannot be opened: {text.splitlines()[0]}",
            "Check the path, or pass --db with another file (it is created if missing).",
        ) from e
    except duckdb.Error as e:
        raise StoreError(
            f"{path} is not an llmcost store DuckDB can open: {str(e).splitlines()[0]}",
            "Pass --db with another path (it is created if missing).",
        ) from e
    if path != ":memory:" and not con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]:
        con.close()  # DuckDB opened the file as something else than a database
        raise StoreError(f"The store {path} is not a DuckDB database file.",
                         "Pass --db with another path (it is created if missing).")
    try:
        migrate(con)
    except duckdb.OutOfMemoryException:
        con.close()
        raise  # not the store's fault: the CLI says so (cli.common.wrap_unexpected)
    except duckdb.Error as e:
        con.close()
        raise StoreError(
            f"{path} could not be prepared as an llmcost store: {str(e).splitlines()[0]}",
            "Pass --db with another path.",
        ) from e
    return Store(con, path)
