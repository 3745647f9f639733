"""The local store: one DuckDB file holding `calls`, `sources`, `rejects` and the schema version.

- Which file holds a call: every stored file version (`sources.source_hash`) holds the calls it
  contains. `calls` has one row per call id, the copy the duplicate rule picks among the stored
  files holding it (`COPY_ORDER`); every other file's copy is kept in `call_copies`. So a call
  stays stored while any stored file holds it: forgetting or replacing a file removes only the
  calls no other stored file holds, and where another file's copy remains, the best of those
  takes the call's place (`remove_source`). `source_changes` names the file versions whose set
  of calls in `calls` changed after they were loaded (a copy promoted into or moved out of
  them), for caches kept per file version (`pricing.stored`).

- Default path `./llmcost.duckdb`; `--db PATH` or env `LLMCOST_DB` override it; `:memory:` gives a
  one-shot store that vanishes with the process.
- Every connection runs in UTC, never installs extensions from the network, and keeps DuckDB's
  memory to `LLMCOST_MEMORY_LIMIT` (default 1GB; it spills to a temp folder beyond that).
- A second process on the same file gets `StoreInUseError` (DuckDB holds a file lock).
- Numbered migrations bring an older store up to `schema.SCHEMA_VERSION`; a newer store than this
  llmcost understands is refused rather than damaged.
- Only llmcost's own store forms are opened: a file path or `:memory:` (never a DuckDB connection
  string such as `md:…` or `sqlite:…`, which would load an extension), and never a DuckDB file of
  another application (it has tables but no `llmcost_meta`): llmcost adds nothing to it.
- A store that cannot be written (permissions, a full disk) or is damaged is one clear error
  saying which, and how to recover (`explain_failure`), never "a bug".
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from llmcost.errors import StoreDamagedError, StoreError, StoreInUseError, StoreWriteError
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

COPIES = "call_copies"
CHANGES = "source_changes"
CHANGES_DDL = f"CREATE TABLE {CHANGES} (source_hash VARCHAR NOT NULL)"

# The duplicate rule across files: of the copies of one call id held by stored files, the one
# kept in `calls` has the most output tokens, then the most input tokens (a streamed or partial
# copy carries less, and a bill is never under-counted), then comes from the file whose content
# hash sorts first, then the earlier record. It depends on the copies only, never on the order
# in which the files were loaded or forgotten. (Within one file the adapter's `keep_order`
# picks the file's own copy first.)
COPY_ORDER = ("output_tokens DESC NULLS LAST, input_tokens DESC NULLS LAST, source_hash, "
              "source_line NULLS LAST")

# Each migration brings the store from version N-1 to N. Never edit a released one: add the next.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (calls_ddl(), SOURCES_DDL, REJECTS_DDL),
    2: (calls_ddl(COPIES), CHANGES_DDL),
    # prompt text for near-duplicate matching; the priced calls kept (a cache holding every
    # column of `calls`) are priced again on the next run
    3: (*(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} VARCHAR"
          for table in ("calls", COPIES) for column in ("prompt_text", "prompt_context")),
        "DROP TABLE IF EXISTS priced_calls"),
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
    calls_stored: int  # the calls whose kept copy (in `calls`) is this file's
    calls_held: int = 0  # every call the file holds: calls_stored + calls_kept_from_other_files
    calls_kept_from_other_files: int = 0  # held, but the copy kept is another file's


@dataclass(frozen=True)
class StoreTotals:
    """What the store holds as a whole: each call counted once, however many files hold it."""
    files: int
    calls: int
    calls_in_several_files: int


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
        """All or nothing: a crash or Ctrl-C inside leaves the store as it was. A store that
        cannot be written (permissions, full disk) or is damaged is a `StoreError` saying so."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException as e:
            with suppress(duckdb.Error):  # a failed write may have closed the transaction
                self.con.execute("ROLLBACK")
            failure = explain_failure(e, self.path) if isinstance(e, duckdb.Error) else None
            if failure is not None:
                raise failure from e
            raise
        try:
            self.con.execute("COMMIT")
        except duckdb.Error as e:
            failure = explain_failure(e, self.path)
            if failure is None:
                raise
            raise failure from e

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or []).fetchall()

    def schema_version(self) -> int:
        return _schema_version(self.con, self.path)

    def sources(self) -> list[SourceRow]:
        """Each stored file with its counts and the calls it holds: those whose kept copy is its
        own (`calls`) and those it holds whose kept copy is another file's (`call_copies`)."""
        rows = self.query(
            f"""
            WITH own AS (SELECT source_hash, count(*) AS n FROM calls GROUP BY 1),
                 copies AS (SELECT source_hash, count(*) AS n FROM {COPIES} GROUP BY 1)
            SELECT s.source_file, s.source_hash, s.adapter, s.rows_read, s.rows_loaded,
                   s.rows_rejected, s.rows_duplicate, s.rows_skipped, s.rows_conflicting,
                   strftime(s.ingested_at, '%Y-%m-%dT%H:%M:%SZ'),
                   coalesce(own.n, 0), coalesce(own.n, 0) + coalesce(copies.n, 0),
                   coalesce(copies.n, 0)
            FROM sources s LEFT JOIN own USING (source_hash) LEFT JOIN copies USING (source_hash)
            ORDER BY s.ingested_at, s.source_file
            """
        )
        return [SourceRow(*r) for r in rows]

    def totals(self) -> StoreTotals:
        """The files stored and the calls they hold, each call once (`calls` has one row per
        call id); `calls_in_several_files`: those more than one stored file holds (another
        file version keeps a copy, or another path has the same content)."""
        files, calls, several = self.query(
            f"""SELECT (SELECT count(*) FROM sources), (SELECT count(*) FROM calls),
                       (SELECT count(*) FROM calls WHERE call_id IN (SELECT call_id FROM {COPIES})
                          OR source_hash IN (SELECT source_hash FROM sources
                                             GROUP BY 1 HAVING count(*) > 1))""")[0]
        return StoreTotals(int(files), int(calls), int(several))

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

        Calls belong to content hashes: when another stored path has the same content, its calls
        stay (they belong to that path too) and are re-labelled with that path. Otherwise the
        version's calls that another stored file holds stay, as the copy the duplicate rule picks
        among those files (`COPY_ORDER`); only the others are removed.
        """
        others = self.query(
            "SELECT min(source_file) FROM sources WHERE source_hash = ? AND source_file <> ?",
            [source_hash, source_file],
        )[0][0]
        calls_removed = 0
        if others is not None:
            for table in ("calls", COPIES):
                self.con.execute(
                    f"UPDATE {table} SET source_file = ? WHERE source_hash = ? AND source_file = ?",
                    [others, source_hash, source_file])
        else:
            calls_removed = self._remove_calls_of(source_hash)
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

    def _remove_calls_of(self, source_hash: str) -> int:
        """Drop a file version's calls: its copies that were not kept, and its kept copies, each
        replaced by the best copy another stored file holds, if any. Returns the number of calls
        no longer stored."""
        held = int(self.query("SELECT count(*) FROM calls WHERE source_hash = ?", [source_hash])[0][0])
        self.con.execute(f"DELETE FROM {COPIES} WHERE source_hash = ?", [source_hash])
        promoted = 0
        if held and self.query(f"SELECT count(*) FROM {COPIES}")[0][0]:
            promote = "llmcost_promote"
            self.con.execute(f"""CREATE OR REPLACE TEMP TABLE {promote} AS
                SELECT * FROM {COPIES} SEMI JOIN (SELECT call_id FROM calls WHERE source_hash = ?)
                    USING (call_id)
                QUALIFY row_number() OVER (PARTITION BY call_id ORDER BY {COPY_ORDER}) = 1""",
                             [source_hash])
            promoted = int(self.query(f"SELECT count(*) FROM {promote}")[0][0])
            if promoted:
                self.con.execute("DELETE FROM calls WHERE source_hash = ?", [source_hash])
                self.con.execute(f"INSERT INTO calls SELECT * FROM {promote}")
                self.con.execute(f"""DELETE FROM {COPIES} c USING {promote} p
                    WHERE c.call_id = p.call_id AND c.source_hash = p.source_hash""")
                self.con.execute(f"INSERT INTO {CHANGES} SELECT DISTINCT source_hash FROM {promote}")
            self.con.execute(f"DROP TABLE {promote}")
        if not promoted:
            self.con.execute("DELETE FROM calls WHERE source_hash = ?", [source_hash])
        return held - promoted

    def holds_copies(self, source_hashes: tuple[str, ...] | list[str]) -> bool:
        """True when any of these file versions holds a call whose kept copy is another file's."""
        if not source_hashes:
            return False
        marks = ", ".join("?" for _ in source_hashes)
        return bool(self.query(
            f"SELECT count(*) FROM (SELECT 1 FROM {COPIES} WHERE source_hash IN ({marks}) LIMIT 1)",
            list(source_hashes))[0][0])


# what DuckDB (and the OS) say when a store cannot be written or is damaged
_NO_PERMISSION = re.compile(r"permission denied|read-only file system|operation not permitted", re.I)
NO_SPACE = re.compile(r"no space left|disk quota exceeded|file too large|disk is full", re.I)
_DAMAGED = re.compile(r"corrupt|checksum|not a valid duckdb database|invalid database file|"
                      r"could not read enough bytes|unexpected end of file|malformed", re.I)


def _damaged(path: str, what: str) -> StoreDamagedError:
    aside = f"{path}.damaged"
    return StoreDamagedError(
        f"The store {path} is damaged: {what}",
        f"Its calls can be rebuilt from the logs: move it aside (mv {path} {aside}), then ingest the "
        f"logs again (llmcost sources --db {aside} lists them, if it still opens; else ingest the "
        "folders they came from). Nothing else is lost: the store only holds what was read from them.")


def explain_failure(e: BaseException, path: str) -> StoreError | None:
    """A DuckDB failure that is the store's (or its disk's), as a `StoreError` saying what it is
    and how to recover: no permission to write, no space left, a damaged file. None for anything
    else (the caller decides). For the CLI's last-resort handler too (`cli.common`)."""
    first = (str(e).strip().splitlines() or [type(e).__name__])[0]
    if NO_SPACE.search(first):
        spill = Path(tempfile.gettempdir()) / "llmcost-spill"
        return StoreWriteError(
            f"No space left to write the store {path} (or DuckDB's temp folder {spill}): {first}",
            "Free some disk space and run the command again: the step that failed was rolled back, "
            "the store is as it was before it.")
    if _NO_PERMISSION.search(first):
        return StoreWriteError(
            f"The store {path} cannot be written (no permission): {first}",
            f"Make the store and its folder writable for you (DuckDB writes {path}.wal beside it), "
            "or pass --db with a path in a folder you can write.")
    if _DAMAGED.search(first):
        return _damaged(path, first)
    return None


def _schema_version(con: duckdb.DuckDBPyConnection, path: str) -> int:
    row = con.execute("SELECT value FROM llmcost_meta WHERE key = 'schema_version'").fetchall()
    if not row:
        return 0
    try:
        return int(str(row[0][0]).strip())
    except ValueError:
        raise _damaged(path, f"its schema_version is {str(row[0][0])[:40]!r}, not a number.") from None


def migrate(con: duckdb.DuckDBPyConnection, path: str = ":memory:") -> None:
    foreign = con.execute("""
        SELECT (SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()
                  AND NOT temporary AND table_name <> 'llmcost_meta')
             + (SELECT count(*) FROM duckdb_views() WHERE database_name = current_database()
                  AND NOT internal AND NOT temporary),
               (SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()
                  AND NOT temporary AND table_name = 'llmcost_meta')""").fetchall()[0]
    if foreign[0] and not foreign[1]:
        raise StoreError(
            f"{path} is a DuckDB database of another application, not an llmcost store (it holds "
            "tables, but no llmcost_meta); llmcost leaves it as it is.",
            "Pass --db with a path of its own for llmcost's store (it is created if missing).")
    con.execute("CREATE TABLE IF NOT EXISTS llmcost_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    current = _schema_version(con, path)
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


# a DuckDB connection string (`md:`, `motherduck:`, `sqlite:`, `s3://` …): not a store form
_CONNECTION_STRING = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def open_store(db: str | None = None) -> Store:
    """Open (creating if needed) the store at `db` / `$LLMCOST_DB` / `./llmcost.duckdb`."""
    path = resolve_db_path(db)
    if path != ":memory:" and (path.startswith(":") or _CONNECTION_STRING.match(path)):
        raise StoreError(
            f"--db {path} is not a store llmcost can use: the store is a file path (or :memory: "
            "for a one-shot run), never a DuckDB connection string (md:, sqlite:, …), which would "
            "load an extension.",
            f"Pass a file path, such as llmcost.duckdb (a file whose name holds a colon: ./{path}).")
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
        if "lock" in text.lower() and not _NO_PERMISSION.search(text):
            raise StoreInUseError(
                f"The store {path} is in use by another llmcost (or DuckDB) process.",
                "Wait for it to finish, or use another store with --db PATH (or --db :memory: "
                "for a one-shot run).",
            ) from e
        raise explain_failure(e, path) or StoreError(
            f"The store {path} cannot be opened: {text.splitlines()[0]}",
            "Check the path, or pass --db with another file (it is created if missing).",
        ) from e
    except duckdb.Error as e:
        raise explain_failure(e, path) or StoreError(
            f"{path} is not an llmcost store DuckDB can open: {str(e).splitlines()[0]}",
            "Pass --db with another path (it is created if missing).",
        ) from e
    if path != ":memory:" and not con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]:
        con.close()  # DuckDB opened the file as something else than a database
        raise StoreError(f"The store {path} is not a DuckDB database file.",
                         "Pass --db with another path (it is created if missing).")
    try:
        migrate(con, path)
    except duckdb.OutOfMemoryException:
        con.close()
        raise  # not the store's fault: the CLI says so (cli.common.wrap_unexpected)
    except StoreError:
        con.close()
        raise
    except duckdb.Error as e:
        con.close()
        raise explain_failure(e, path) or StoreError(
            f"{path} could not be prepared as an llmcost store: {str(e).splitlines()[0]}",
            "Pass --db with another path.",
        ) from e
    return Store(con, path)
