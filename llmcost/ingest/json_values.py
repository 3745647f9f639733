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

from llmcost.ingest.base import KEPT_RAW, MAX_LINE_BYTES, SourceContext, find_wrapper

_DECODER = json.JSONDecoder()


def prepare(ctx: SourceContext, con: duckdb.DuckDBPyConnection) -> None:
    """Make sure the loader can read `ctx`'s file: an array or values file that DuckDB cannot read
    whole is rewritten as JSON lines (`ctx.normalised`). Nothing to do for other layouts."""
    sample = ctx.sample
    if sample.kind in ("json", "jsonl") and sample.layout in ("lines", "sse", "prefixed"):
        _cut_oversized_last_line(ctx)
        return
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


def _cut_oversized_last_line(ctx: SourceContext) -> None:
    """DuckDB's line reader drops a last line longer than MAX_LINE_BYTES that has no line end,
    without a word. Such a file is read from a copy whose last line is cut to its first
    KEPT_RAW characters (no longer valid JSON), so the record is rejected with its line number
    instead of lost. Only the file's tail is read to find out (plain files; a gzip file cannot
    be read from its end)."""
    path = ctx.sample.read_path or ctx.path
    if ctx.sample.compressed or ctx.normalised is not None or ctx.lines_copy is not None:
        return
    size = path.stat().st_size
    if size <= MAX_LINE_BYTES:
        return
    with path.open("rb") as f:
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        f.seek(size - MAX_LINE_BYTES - 1)
        if b"\n" in f.read(MAX_LINE_BYTES + 1):
            return
    folder = Path(tempfile.mkdtemp(prefix="llmcost-json-"))
    copy = folder / path.name
    with path.open("rb") as src, copy.open("wb") as out:
        last = 0
        while True:  # copy up to the last line end, in blocks
            block = src.read(8 * 1024 * 1024)
            if not block:
                break
            at = block.rfind(b"\n")
            if at >= 0:
                last = src.tell() - len(block) + at + 1
        src.seek(0)
        remaining = last
        while remaining:
            block = src.read(min(remaining, 8 * 1024 * 1024))
            out.write(block)
            remaining -= len(block)
        head = src.read(KEPT_RAW).replace(b"\n", b" ")
        out.write(head + f" … [a record of {size - last:,} bytes, longer than the {MAX_LINE_BYTES // 2**20} MB "
                  "llmcost reads in one record]\n".encode())
    ctx.lines_copy = copy


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
    for copy in (ctx.normalised, ctx.lines_copy):
        if copy is not None:
            copy.unlink(missing_ok=True)
            copy.parent.rmdir()
    ctx.normalised = ctx.lines_copy = None


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
