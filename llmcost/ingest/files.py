"""Finding the files a command names and taking a first look at each one.

- Arguments may be files, directories (read recursively: every file with a log suffix) or globs.
- The content hash (SHA-256 of the bytes on disk) identifies a file version: the same content
  under any path is ingested once.
- The sample is the first 256 KB, decompressed when the name ends in `.gz`; when its records do
  not decide the format (a first record longer than the sample, or only records that say
  nothing), the caller reads 8x more, up to 64 MB.
- JSON files are read in any layout (`base.json_layout`): JSON lines, an array, pretty-printed
  values one after another, or an SSE dump.
- Encoding: UTF-8 (a BOM is fine); a UTF-16 BOM reads the file as UTF-16; a head that is not
  valid UTF-8 reads the file as Latin-1 (every byte is a character), with a note.
"""

from __future__ import annotations

import atexit
import codecs
import csv
import glob
import gzip
import hashlib
import io
import itertools
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import duckdb

from llmcost.errors import InputFileError
from llmcost.ingest.base import (
    FileKind,
    FileSample,
    duckdb_path,
    duckdb_reason,
    find_wrapper,
    flatten_keys,
    json_layout,
    parse_json_records,
    read_csv_sql,
)

LOG_SUFFIXES = {".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet"}
# text files whose content says what they hold (JSON records, SSE dumps or CSV)
TEXT_SUFFIXES = {".txt", ".log", ".sse"}
SAMPLE_BYTES = 256 * 1024
# how far detection reads when the first records do not decide (a pasted screenshot makes one
# transcript line 300 KB): the sample grows 8x at a time up to this
MAX_SAMPLE_BYTES = 64 * 1024 * 1024


NOT_REGULAR = "not a regular file (a pipe, device or socket): save the log to a file first"


def expand_paths(args: list[str], left_alone: list[tuple[Path, str]] | None = None,
                 unreadable: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Files named by `args`, in order, each once.

    - An argument that names an existing file or folder is that path, never a pattern: a file
      called `calls[1].csv` or `*.csv` is read as itself.
    - A folder is read recursively: every file with a log suffix (`LOG_SUFFIXES`, `.txt`, `.log`
      and `.sse` included, their content decides). When `left_alone` is given, every other file
      found is added to it with the reason (another suffix, not a regular file, a name that is
      not UTF-8, a subfolder that cannot be read); names starting with a dot are left out of
      that list. A subfolder that cannot be read goes to `unreadable` (its logs failed to load;
      to `left_alone` when no `unreadable` is given). A folder holding no file at all is an
      error.
    - Only an argument that names nothing is a glob pattern, expanded by llmcost (`**` reaches
      into subfolders); a pattern matching nothing is an error.
    - Standard input (`-`), pipes, devices and process substitutions are refused: llmcost reads
      a log twice (to detect its format, then to load it), which a stream cannot give."""
    found: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        r = p.resolve()
        if r not in seen:
            seen.add(r)
            found.append(r)

    for arg in args:
        p = Path(arg).expanduser()
        if arg == "-":
            raise InputFileError("llmcost reads log files, not standard input.",
                                 "Save the log to a file first, then give its path.")
        if p.is_dir():
            _scan_folder(p, add, left_alone, unreadable)
        elif p.is_file():
            _check_name(p)
            add(p)
        elif p.exists():
            raise InputFileError(f"{arg} is {NOT_REGULAR}.",
                                 "llmcost reads a log twice (to detect its format, then to load it).")
        elif any(ch in arg for ch in "*?["):
            matches = sorted(glob.glob(str(p), recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file()]
            if not files:
                raise InputFileError(
                    f"No file matches {arg}.", "Check the pattern; quote it so the shell passes it on."
                )
            for f in files:
                if _utf8_name(f):
                    add(f)
                elif left_alone is not None:
                    left_alone.append((f.resolve(), NOT_UTF8_NAME))
        else:
            raise InputFileError(
                f"{arg} does not exist.",
                "Check the path; llmcost reads files, directories (recursively) and globs.",
            )
    return found


NOT_UTF8_NAME = "its name is not valid UTF-8: rename it to load it"


def _utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_name(path: Path) -> None:
    if not _utf8_name(path):
        shown = str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise InputFileError(f"{shown}: {NOT_UTF8_NAME}.",
                             "llmcost stores file names as UTF-8 text (for `sources` and `forget`).")


def _scan_folder(folder: Path, add: Callable[[Path], None], left_alone: list[tuple[Path, str]] | None,
                 unreadable_folders: list[tuple[Path, str]] | None = None) -> None:
    """Every file under `folder` (sorted, recursive, symlinked folders not followed): log names
    to `add`, the others (and unreadable subfolders) to `left_alone` with the reason."""
    def alone(path: Path, reason: str, into: list[tuple[Path, str]] | None = None) -> None:
        into = into if into is not None else left_alone
        if into is not None and not any(
                part.startswith(".") for part in path.relative_to(folder).parts):
            into.append((path.absolute(), reason))

    def unreadable(err: OSError) -> None:
        if err.filename and Path(err.filename) != folder:
            alone(Path(err.filename), f"a folder llmcost cannot read ({err.strerror or err}): "
                                      "its logs were not loaded", unreadable_folders)
        elif err.filename:
            raise InputFileError(f"{folder} cannot be read: {err.strerror or err}.",
                                 "Check its permissions.")

    # every file first, then in path order (a folder's files and subfolders interleaved by name,
    # as a sorted recursive listing gives them)
    children = sorted(Path(root) / name for root, _, files in os.walk(folder, onerror=unreadable)
                      for name in files)
    for child in children:
        if not _utf8_name(child):
            alone(child, NOT_UTF8_NAME)
        elif not child.is_file():
            alone(child, NOT_REGULAR)
        elif is_log_name(child):
            add(child)
        else:
            alone(child, f"not a log file name ({_suffix(child) or 'no suffix'}): llmcost reads "
                         ".csv .tsv .jsonl .ndjson .json .txt .log .sse .parquet (.gz)")
    if not children:
        raise InputFileError(f"{folder} holds no files.",
                             "Point llmcost at the folder that holds the logs, or at the files.")


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def is_log_name(path: Path) -> bool:
    """A file name a folder scan reads: a log suffix, or `.txt` / `.log` (sniffed by content)."""
    return _suffix(path) in LOG_SUFFIXES or _suffix(path) in TEXT_SUFFIXES


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


MAX_EXPANDED_ENV = "LLMCOST_MAX_EXPANDED"
_SIZE_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
               "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}


def parse_byte_size(text: str, what: str) -> int | None:
    """`4GB`, `500MB`, `1.5GiB`, `123456` (bytes) -> bytes; `none`, `off` or `0` -> None (no cap)."""
    from llmcost.errors import UsageError

    t = text.strip().upper().replace(" ", "")
    if t in ("NONE", "OFF", "NO", "0", "UNLIMITED"):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]I?B|B)?", t)
    if not m:
        raise UsageError(f"{what} {text}: not a size.",
                         "Give a size such as 8GB, 500MB or 1.5GiB, or none to lift the cap.")
    return int(float(m.group(1)) * _SIZE_UNITS[m.group(2) or ""])


def show_bytes(n: int) -> str:
    for unit, size in (("TB", 1000**4), ("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def check_expanded_size(path: Path, limit: int | None) -> None:
    """Refuse a .gz file that expands past `limit` bytes, reading (and discarding) just past the
    limit: a gzip bomb is stopped in seconds instead of loading for minutes and running out of
    memory. The gzip trailer's size field cannot be trusted (it is the size modulo 4 GiB, and
    says nothing of concatenated members)."""
    if limit is None:
        return
    read = 0
    chunk = 4 * 1024 * 1024
    try:
        with gzip.open(path, "rb") as g:
            while data := g.read(chunk):
                read += len(data)
                if read > limit:
                    break
    except (OSError, EOFError, zlib.error):
        return  # damaged data is reported by the load, with the records before the damage
    if read > limit:
        raise InputFileError(
            f"{path} expands to more than {show_bytes(limit)} when decompressed "
            f"({show_bytes(path.stat().st_size)} on disk), past the cap on a compressed file's "
            "expanded size (it protects the store and memory from a file that expands without "
            "end).",
            "If the file is a genuine log, lift the cap: llmcost ingest FILE --max-expanded 20GB "
            f"(or none), or set {MAX_EXPANDED_ENV}=20GB; or decompress it yourself and load the "
            "plain file.")


def _read_head(path: Path, compressed: bool, size: int = SAMPLE_BYTES) -> bytes:
    try:
        if compressed:
            with gzip.open(path, "rb") as g:
                return g.read(size)
        with path.open("rb") as f:
            return f.read(size)
    except PermissionError as e:
        raise InputFileError(f"{path} cannot be read: permission denied.",
                             "Make it readable for you (chmod u+r), or copy it somewhere you can read.") from e
    except FileNotFoundError as e:
        raise InputFileError(f"{path} is gone: it was removed or renamed after it was listed.",
                             "Load it again once it is back in place.") from e
    except (OSError, EOFError, zlib.error) as e:
        what = (GZIP_DAMAGED if compressed and isinstance(e, (EOFError, zlib.error, gzip.BadGzipFile))
                else str(e))
        raise InputFileError(
            f"{path} cannot be read: {what}.",
            "If it is compressed, check that it is a complete gzip file.",
        ) from e


GZIP_DAMAGED = "the gzip data ends early or is damaged (an incomplete download or copy?)"


def sniff_kind(head: str) -> FileKind:
    """The kind of a file with no telling suffix, from its first characters."""
    s = head.lstrip("\ufeff \t\r\n")
    if s.startswith("["):
        return "json"
    if s.startswith("{") or json_layout(s) in ("sse", "prefixed"):
        return "jsonl"
    return "csv"


def take_sample(path: Path, con: duckdb.DuckDBPyConnection, size: int = SAMPLE_BYTES,
                kind: FileKind | None = None) -> FileSample:
    """The first `size` bytes of a file (decompressed), its kind, layout, columns and first
    records. `cut` says the file goes on past the sample (a caller that cannot decide may ask
    again with a larger size)."""
    compressed = path.suffix.lower() == ".gz"
    forced = kind is not None
    kind = kind or file_kind(path)
    if kind == "parquet":
        try:
            cols = [r[0] for r in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({duckdb_path(path)}, hive_partitioning=false)").fetchall()]
            first = con.execute(
                f"SELECT * FROM read_parquet({duckdb_path(path)}, hive_partitioning=false) LIMIT 20").fetchall()
        except duckdb.Error as e:
            raise InputFileError(
                f"{path} is not a Parquet file DuckDB can read: {duckdb_reason(e)}",
                "Check the file, or rename it if it is not Parquet.",
            ) from e
        records = [dict(zip(cols, row, strict=False)) for row in first]
        return FileSample(path, "parquet", compressed, cols, records, "")
    raw = _read_head(path, compressed, size)
    cut = len(raw) == size
    encoding = detect_encoding(raw, complete=not cut)
    if encoding == "utf-16":
        # DuckDB reads UTF-16 little-endian only, and names a big-endian file's columns in
        # mojibake: read a UTF-8 copy of either
        copy = utf8_copy(path, compressed)
        sample = take_sample(copy, con, size, kind or file_kind(path))
        return replace(sample, path=path, read_path=copy, compressed=False, file_encoding="utf-16")
    if encoding != "utf-16" and b"\x00" in raw:
        raise binary_file_error(path, raw)
    if encoding == "latin-1" and any(0x80 <= b <= 0x9F for b in raw):
        raise InputFileError(
            f"{path} is not UTF-8 text, nor Latin-1 (it has bytes 0x80-0x9F: Windows-1252, or "
            "not text at all).",
            f"Convert it to UTF-8, e.g. iconv -f cp1252 -t utf-8 {path.name} > {path.stem}.utf8{path.suffix}")
    head = raw.decode(encoding, errors="replace")
    if not forced and (kind is None or kind == "json"):
        # no telling suffix, or `.json` (which may hold one object per line): look inside
        kind = sniff_kind(head)
    if kind in ("jsonl", "json"):
        layout = json_layout(head)
        records = parse_json_records(head, limit=50 if size <= SAMPLE_BYTES else 400, layout=layout)
        if not records and cut and size >= MAX_SAMPLE_BYTES and layout == "lines" and b"\n" not in raw:
            raise InputFileError(
                f"{path}: its first record is longer than {MAX_SAMPLE_BYTES // (1024 * 1024)} MB, "
                "more than llmcost reads in one record.",
                "Drop the bulky fields (prompts, outputs) from the export; llmcost needs the "
                "model, times and token counts.")
        return FileSample(path, kind, compressed, record_keys(records), records, head, encoding,
                          layout=layout, cut=cut)
    delimiter = sniff_delimiter(head, complete=not cut)
    columns = _csv_columns(path, con, encoding, delimiter)
    return FileSample(path, "csv", compressed, columns, [], head, encoding, delimiter, cut=cut)


def unwrap_sample(sample: FileSample) -> FileSample | None:
    """A file that is one JSON object holding its records in a list (`{"data": [{…}, …]}`, as
    list APIs and some exporters write): the sample of those records, layout `wrapped`. None
    when the file is not such an object."""
    if (sample.kind not in ("json", "jsonl") or sample.layout not in ("values", "lines")
            or len(sample.records) > 1):
        return None
    found = find_wrapper(sample.head)
    if found is None:
        return None
    key, start = found
    records = parse_json_records(sample.head[start:], limit=50, layout="array")
    return replace(sample, layout="wrapped", wrapper_key=key, records=records, columns=record_keys(records))


def record_keys(records: list[dict]) -> list[str]:
    """The keys (dotted, three levels deep) of the sampled records, each once, in first-seen
    order (a dict keeps it linear: a record may have 100,000 keys)."""
    keys: dict[str, None] = {}
    for rec in records:
        keys.update(dict.fromkeys(flatten_keys(rec)))
    return list(keys)


DELIMITERS = (",", "\t", ";", "|")


def sniff_delimiter(head: str, complete: bool) -> str | None:
    """The delimiter that splits the header and (most of) the first records into the same number
    of fields, at least two; commas first. None leaves the choice to DuckDB's sniffer, which
    can be misled by a header whose names hold semicolons."""
    text = head.lstrip("\ufeff")
    if not complete and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # drop the record the sample cut in two
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter), 100) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        body = rows[1:]
        if sum(len(r) == len(rows[0]) for r in body) >= 0.8 * len(body):
            return delimiter
    return None


def binary_file_error(path: Path, raw: bytes) -> InputFileError:
    """A clear error for a file holding bytes no text log has (NUL), naming what it looks like."""
    if raw.startswith(b"\x1f\x8b"):
        return InputFileError(f"{path} is gzip-compressed but its name does not end in .gz.",
                              "Rename it with a .gz suffix (e.g. calls.jsonl.gz), or decompress it.")
    if raw.startswith(b"PAR1"):
        return InputFileError(f"{path} is a Parquet file but its name does not end in .parquet.",
                              "Rename it with a .parquet suffix.")
    return InputFileError(
        f"{path} holds binary data, not a text log: llmcost reads CSV, JSON lines, JSON arrays "
        "and Parquet (optionally gzip-compressed as .gz).",
        "Check the path; export the log as CSV or JSON lines, or name compressed files .gz.")


_COPIES: list[Path] = []


def _remove_copies() -> None:
    for folder in _COPIES:
        shutil.rmtree(folder, ignore_errors=True)


def utf8_copy(path: Path, compressed: bool) -> Path:
    """A UTF-8 copy of a UTF-16 file (either byte order, by its BOM) in a temporary folder,
    removed when the process ends."""
    opener = gzip.open if compressed else open
    with opener(path, "rb") as f:
        text = f.read().decode("utf-16", errors="replace")
    folder = Path(tempfile.mkdtemp(prefix="llmcost-utf8-"))
    if not _COPIES:
        atexit.register(_remove_copies)
    _COPIES.append(folder)
    copy = folder / path.name.removesuffix(".gz")
    copy.write_text(text, encoding="utf-8")
    return copy


def detect_encoding(raw: bytes, complete: bool) -> str:
    """utf-16 for a UTF-16 BOM; latin-1 when the head is not valid UTF-8; else utf-8."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        if not complete and e.start >= len(raw) - 3:
            return "utf-8"  # a character cut in two by the end of the sample
        return "latin-1"
    return "utf-8"


def _csv_columns(path: Path, con: duckdb.DuckDBPyConnection, encoding: str = "utf-8",
                 delimiter: str | None = None) -> list[str]:
    try:
        rows = con.execute(
            f"DESCRIBE SELECT * FROM {read_csv_sql(path, encoding, delimiter)}").fetchall()
    except duckdb.OutOfMemoryException:
        raise  # not the file's fault: the CLI says so (cli.common.wrap_unexpected)
    except duckdb.Error as e:
        raise InputFileError(
            f"{path} cannot be read as CSV: {duckdb_reason(e)}.",
            "Check that it is a CSV file with a header line (or JSON lines / Parquet).",
        ) from e
    return [r[0] for r in rows]
