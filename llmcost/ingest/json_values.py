"""JSON files DuckDB cannot read whole: a pretty-printed file or array with a broken or truncated
record, or one in another encoding than UTF-8.

DuckDB reads an array or a file of pretty-printed values in one pass, but one malformed value
anywhere fails the whole file ("Malformed JSON … unexpected end of data"), and its JSON reader
knows only UTF-8. Logs are often cut short (a process killed while writing, a partial copy), so
before loading such a file llmcost checks that DuckDB reads it; when it does not, the file is
rewritten, in a temporary folder, as one record per line:

- every value that parses is written on one line (its raw newlines become spaces, which changes
  nothing: a JSON string cannot hold a raw newline), so ids, counts and text stay as they were;
- a stretch that does not parse becomes one line of its own (still not valid JSON), which the
  adapter rejects with its record number and text, and reading resumes at the next line that
  starts a record at the indentation of the first one;
- the loader then reads the rewritten file as JSON lines, so record numbers count records.

This is the only place llmcost walks a file's records in Python; it runs only for a file DuckDB
refused, never for JSON lines, CSV or Parquet.
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
from pathlib import Path

import duckdb

from llmcost.ingest.base import SourceContext, find_wrapper

_DECODER = json.JSONDecoder()


def prepare(ctx: SourceContext, con: duckdb.DuckDBPyConnection) -> None:
    """Make sure the loader can read `ctx`'s file: an array or values file that DuckDB cannot read
    whole is rewritten as JSON lines (`ctx.normalised`). Nothing to do for other layouts."""
    sample = ctx.sample
    if sample.kind not in ("json", "jsonl") or sample.layout not in ("array", "values", "wrapped"):
        return
    if ctx.normalised is not None:
        return
    if sample.encoding == "utf-8":
        try:
            con.execute(f"SELECT count(*) FROM {ctx.json_records()}").fetchall()
            return
        except (duckdb.OutOfMemoryException, duckdb.InterruptException):
            raise
        except duckdb.Error:
            pass  # a malformed value somewhere: rewrite below
    ctx.normalised = rewrite_as_lines(sample.read_path or ctx.path, sample.compressed and not sample.read_path,
                                      sample.encoding, sample.layout)


def rewrite_as_lines(path: Path, compressed: bool, encoding: str, layout: str) -> Path:
    """The file's records, one per line, in a new temporary file (deleted by `cleanup`)."""
    opener = gzip.open if compressed else open
    with opener(path, "rb") as f:
        text = f.read().decode(encoding, errors="replace").lstrip("\ufeff")
    if layout == "wrapped":  # the records are the list's elements: read from its `[` on
        found = find_wrapper(text, scan=len(text))
        text = text[found[1]:] if found else text
        layout = "array"
    folder = Path(tempfile.mkdtemp(prefix="llmcost-json-"))
    out = folder / (path.name.removesuffix(".gz") + ".lines.jsonl")
    with out.open("w", encoding="utf-8") as w:
        for record in split_records(text, layout):
            w.write(record.replace("\r", " ").replace("\n", " ") + "\n")
    return out


def cleanup(ctx: SourceContext) -> None:
    if ctx.normalised is not None:
        folder = ctx.normalised.parent
        ctx.normalised.unlink(missing_ok=True)
        folder.rmdir()
        ctx.normalised = None


def split_records(text: str, layout: str) -> list[str]:
    """The text of each record of an array or values file, broken stretches included as records
    of their own (see the module docstring). For an array, text after its closing `]` is not
    read (in a wrapped file, the wrapping object's other keys)."""
    pos = 0
    n = len(text)
    if layout == "array":
        pos = text.index("[") + 1 if "[" in text else 0
    records: list[str] = []
    start_at: re.Pattern[str] | None = None
    while True:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n or (layout == "array" and text[pos] == "]"):
            return records
        if start_at is None:
            # records start at the indentation of the first one ("{" at column 0 for `jq .`)
            line_start = text.rfind("\n", 0, pos) + 1
            indent = re.escape(text[line_start:pos]) if text[line_start:pos].isspace() else ""
            start_at = re.compile(r"\n" + indent + r"[\{\[]")
        try:
            _, end = _DECODER.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError):
            resume = _resume_point(text, pos, start_at)
            records.append(text[pos:resume].strip())
            pos = resume
            continue
        records.append(text[pos:end])
        pos = end


def _resume_point(text: str, pos: int, start_at: re.Pattern[str]) -> int:
    """Where reading resumes after a broken record: the next record start that parses."""
    for m in start_at.finditer(text, pos + 1):
        candidate = m.start() + len(m.group(0)) - 1
        try:
            _DECODER.raw_decode(text, candidate)
            return candidate
        except (json.JSONDecodeError, RecursionError):
            continue
    return len(text)
