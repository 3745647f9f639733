"""Finding the files a command names and taking a first look at each one.

- Arguments may be files, directories (read recursively: every file with a log suffix) or globs.
- The content hash (SHA-256 of the bytes on disk) identifies a file version: the same content
  under any path is ingested once.
- The sample is the first 256 KB, decompressed when the name ends in `.gz`.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import zlib
from pathlib import Path

import duckdb

from llmcost.errors import InputFileError
from llmcost.ingest.base import (
    FileKind,
    FileSample,
    flatten_keys,
    parse_json_records,
    read_csv_sql,
    sql_str,
)

LOG_SUFFIXES = {".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet"}
SAMPLE_BYTES = 256 * 1024


def expand_paths(args: list[str]) -> list[Path]:
    """Files named by `args`, in order, each once. Missing paths are an error."""
    found: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        r = p.resolve()
        if r not in seen:
            seen.add(r)
            found.append(r)

    for arg in args:
        p = Path(arg).expanduser()
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if child.is_file() and file_kind(child) is not None:
                    add(child)
        elif p.is_file():
            add(p)
        elif any(ch in arg for ch in "*?["):
            matches = sorted(glob.glob(str(p), recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file()]
            if not files:
                raise InputFileError(
                    f"No file matches {arg}.", "Check the pattern; quote it so the shell passes it on."
                )
            for f in files:
                add(f)
        else:
            raise InputFileError(
                f"{arg} does not exist.",
                "Check the path; llmcost reads files, directories (recursively) and globs.",
            )
    return found


def file_kind(path: Path) -> FileKind | None:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in (".csv", ".tsv"):
        return "csv"
    if last in (".jsonl", ".ndjson"):
        return "jsonl"
    if last == ".json":
        return "json"
    if last == ".parquet":
        return "parquet"
    return None


def content_hash(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _read_head(path: Path, compressed: bool) -> bytes:
    try:
        if compressed:
            with gzip.open(path, "rb") as g:
                return g.read(SAMPLE_BYTES)
        with path.open("rb") as f:
            return f.read(SAMPLE_BYTES)
    except (OSError, EOFError, zlib.error) as e:
        raise InputFileError(
            f"{path} cannot be read: {e}.",
            "If it is compressed, check that it is a complete gzip file.",
        ) from e


def sniff_kind(head: str) -> FileKind:
    """The kind of a file with no telling suffix, from its first characters."""
    s = head.lstrip("\ufeff \t\r\n")
    if s.startswith("["):
        return "json"
    if s.startswith("{"):
        return "jsonl"
    return "csv"


def take_sample(path: Path, con: duckdb.DuckDBPyConnection) -> FileSample:
    compressed = path.suffix.lower() == ".gz"
    kind = file_kind(path)
    if kind == "parquet":
        try:
            cols = [r[0] for r in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({sql_str(str(path))}, hive_partitioning=true)").fetchall()]
            first = con.execute(
                f"SELECT * FROM read_parquet({sql_str(str(path))}, hive_partitioning=true) LIMIT 20").fetchall()
        except duckdb.Error as e:
            raise InputFileError(
                f"{path} is not a Parquet file DuckDB can read: {str(e).splitlines()[0]}",
                "Check the file, or rename it if it is not Parquet.",
            ) from e
        records = [dict(zip(cols, row, strict=False)) for row in first]
        return FileSample(path, "parquet", compressed, cols, records, "")
    raw = _read_head(path, compressed)
    head = raw.decode("utf-8", errors="replace")
    if kind is None or kind == "json":
        # no telling suffix, or `.json` (which may hold one object per line): look inside
        kind = sniff_kind(head)
    if kind in ("jsonl", "json"):
        records = parse_json_records(head)
        keys: list[str] = []
        for rec in records:
            for k in flatten_keys(rec):
                if k not in keys:
                    keys.append(k)
        return FileSample(path, kind, compressed, keys, records, head)
    columns = _csv_columns(path, con)
    return FileSample(path, "csv", compressed, columns, [], head)


def _csv_columns(path: Path, con: duckdb.DuckDBPyConnection) -> list[str]:
    try:
        rows = con.execute(
            f"DESCRIBE SELECT * FROM {read_csv_sql(path)}").fetchall()
    except duckdb.Error as e:
        raise InputFileError(
            f"{path} cannot be read as CSV: {str(e).splitlines()[0]}",
            "Check that it is a CSV file with a header line (or JSON lines / Parquet).",
        ) from e
    return [r[0] for r in rows]
