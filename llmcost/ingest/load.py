"""Loading files into the store: one transaction per file, every record accounted for.

For each file: `rows_read` (records in the file, counted whatever becomes of them) =
`rows_loaded` + `rows_rejected` (broken: reason and raw text kept in `rejects`) +
`rows_duplicate` (a call id already seen, in this file or the store) + `rows_skipped` (records that
are not calls by definition). `rows_conflicting` counts the duplicates whose token counts differ
from the copy kept.

- The same content (by SHA-256) is never loaded twice, under any path.
- A path stored before with other content is a new version of that file: the old version's calls
  are replaced, in the same transaction (also when the new content is already stored under
  another path).
- A call held by several files: each file's own copy is kept (the adapter's `keep_order` within
  the file), then the duplicate rule across files (`store.COPY_ORDER`, whatever the order of
  loading) picks the copy in `calls`; the others go to `call_copies` (`_store_copies`).
- A crash or kill mid-file rolls the whole file back.
- Small JSON-lines files that read alike (one adapter, the same projection) are read a few
  hundred at a time in one statement and one transaction (`_batches`, `load_batch`): a folder of
  thousands of tiny files costs one statement per batch, not per file.
- One file never costs the others: a file found in a folder or glob (or one of several named)
  that cannot be read, is corrupt or vanishes is skipped and listed in `failed` with the reason;
  a batch that fails is loaded again one file at a time, so only the bad file fails. Only when
  the run names a single file is its problem the run's error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import duckdb

from llmcost.errors import InputFileError, LlmcostError, NotACallLogError
from llmcost.ingest import json_values
from llmcost.ingest.base import (
    CSV_REJECTS_TABLE,
    CSV_SCANS_TABLE,
    Adapter,
    FileSample,
    IngestOptions,
    Projection,
    SourceContext,
    duckdb_reason,
    first_reason,
    sql_str,
)
from llmcost.ingest.files import (
    MAX_SAMPLE_BYTES,
    SAMPLE_BYTES,
    check_expanded_size,
    content_hash,
    expand_paths,
    file_kind,
    take_sample,
    unwrap_sample,
)
from llmcost.ingest.registry import detect_adapter
from llmcost.schema import CALL_COLUMNS, TOKEN_COLUMNS
from llmcost.store import CHANGES, COPIES, COPY_ORDER, NO_SPACE, Store, explain_failure

MAX_TOKENS = 1_000_000_000  # more than this in one call is a broken record, not a call
CACHE_EXCEEDS_INPUT = "cache tokens exceed input tokens"

STAGE = "llmcost_stage"
KEPT = "llmcost_kept"
BATCH = "llmcost_batch_files"
NEW = "llmcost_new"
CONTEST = "llmcost_contest"
CONTESTED = "llmcost_contested"
# a batch of small files read in one statement: at most this many files and bytes
BATCH_FILES = 400
BATCH_BYTES = 64 * 1024 * 1024
# a file of an adapter without `batch_files` joins a batch up to this size (the batch saves the
# per-file cost of a statement, which only matters for small files)
SMALL_FILE_BYTES = 4 * 1024 * 1024


@dataclass
class StoredCounts:
    """A file's accounting as the store recorded it when the file was loaded."""

    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_duplicate: int
    rows_skipped: int


@dataclass
class FileResult:
    file: str
    adapter: str
    content_hash: str
    status: str  # loaded | unchanged | replaced
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    rows_skipped: int = 0
    rows_conflicting: int = 0
    notes: list[str] = field(default_factory=list)
    stored: StoredCounts | None = None  # content stored already: its counts as recorded then

    def balanced(self) -> bool:
        return self.rows_read == (
            self.rows_loaded + self.rows_rejected + self.rows_duplicate + self.rows_skipped)


@dataclass
class NotCallLog:
    """A file found in a folder or glob that the run left alone, and why."""

    file: str
    reason: str


@dataclass
class FailedFile:
    """A file the run could not load (unreadable, corrupt, refused, gone), and why: the others
    load, and the command exits 1."""

    file: str
    reason: str


@dataclass
class IngestResult:
    files: list[FileResult]
    not_logs: list[NotCallLog] = field(default_factory=list)  # files found but left alone
    failed: list[FailedFile] = field(default_factory=list)  # files that could not be loaded

    @property
    def hashes(self) -> list[str]:
        return [f.content_hash for f in self.files]

    def total(self, key: str) -> int:
        return sum(int(getattr(f, key)) for f in self.files)


@dataclass
class PlannedFile:
    path: Path
    content_hash: str
    adapter: Adapter
    ctx: SourceContext
    size: int = 0  # bytes on disk when planned (a file may vanish before it is loaded)


@dataclass
class Plan:
    """The files of a run, sorted before anything is written."""

    files: list[PlannedFile]
    not_logs: list[NotCallLog]
    failed: list[FailedFile]
    # the run names exactly one file: its problem is the run's error (one clear paragraph), not
    # a line in a list
    single: bool


def plan_files(store: Store, args: list[str], options: IngestOptions) -> Plan:
    """Find, hash, sample and detect every file before anything is written, so a bad argument
    stops the run before it changes the store. When the run is one named file, a problem with it
    stops the run; otherwise a file that holds no calls is left alone with the reason, and one
    that cannot be read (corrupt, unreadable, gone, refused) fails with the reason (one bad file
    never costs the others)."""
    explicit = {Path(a).expanduser().resolve() for a in args if Path(a).expanduser().is_file()}
    planned: list[PlannedFile] = []
    found_alone: list[tuple[Path, str]] = []
    unreadable: list[tuple[Path, str]] = []
    not_logs: list[NotCallLog] = []
    failed: list[FailedFile] = []
    stored = {h for (h,) in store.query("SELECT DISTINCT source_hash FROM sources")}
    paths = expand_paths(args, found_alone, unreadable)
    single = len(paths) == 1 and paths[0] in explicit and not (found_alone or unreadable)
    for path in paths:
        try:
            try:
                size = path.stat().st_size
                if size == 0:
                    raise NotACallLogError(f"{path} is empty.", "Point llmcost at a file with call records.",
                                           reason="empty file")
                digest = content_hash(path)
            except OSError as e:
                raise file_os_error(path, e) from e
            if path.suffix.lower() == ".gz" and digest not in stored:
                check_expanded_size(path, options.max_expanded)  # before anything decompresses it
            sample, adapter = sample_and_detect(store, path, options)
        except InputFileError as e:
            if single:
                raise
            if isinstance(e, NotACallLogError):
                not_logs.append(NotCallLog(str(path), e.reason))
            else:
                failed.append(FailedFile(str(path), failure_reason(path, e)))
            continue
        planned.append(PlannedFile(path, digest, adapter, SourceContext(path, digest, sample, options), size))
    not_logs.extend(NotCallLog(str(p), r) for p, r in found_alone)
    failed.extend(FailedFile(str(p), r) for p, r in unreadable)
    return Plan(planned, not_logs, failed, single)


def file_os_error(path: Path, e: OSError) -> InputFileError:
    """A file that cannot be opened or read (no permission, gone since it was listed, an I/O
    error), said in words."""
    if isinstance(e, FileNotFoundError):
        return InputFileError(f"{path} is gone: it was removed or renamed after it was listed.",
                              "Load it again once it is back in place.")
    if isinstance(e, PermissionError):
        return InputFileError(f"{path} cannot be read: permission denied.",
                              "Make it readable for you (chmod u+r), or copy it somewhere you can read.")
    return InputFileError(f"{path} cannot be read: {e.strerror or e}.", "Check the file and its disk.")


def failure_reason(path: Path | str, e: LlmcostError) -> str:
    """The reason of a failed file, for a list that names it already: the error's message
    without its leading path."""
    reason = e.message
    for shown in (str(path), Path(path).name):
        if reason.startswith(shown):
            reason = reason[len(shown):].lstrip(":, ")
            break
    return reason.rstrip(".")


def sample_and_detect(store: Store, path: Path, options: IngestOptions) -> tuple[FileSample, Adapter]:
    """Sample a file and find its adapter, reading further (8x at a time, up to
    MAX_SAMPLE_BYTES) while a JSON file's records do not decide: a first record longer than the
    sample, or first records that could belong to anything."""
    size = SAMPLE_BYTES
    while True:
        sample = take_sample(path, store.con, size)
        try:
            return sample, detect_adapter(sample, options.source, options.column_map, options.model)
        except NotACallLogError:
            wrapped = unwrap_sample(sample)
            if wrapped is not None:
                try:
                    return wrapped, detect_adapter(wrapped, options.source, options.column_map, options.model)
                except NotACallLogError:
                    pass
            if sample.layout == "prefixed" and file_kind(path) is None:
                # text lines ending in JSON that is no call: maybe a CSV / TSV with a JSON column
                try:
                    as_csv = take_sample(path, store.con, size, kind="csv")
                    return as_csv, detect_adapter(as_csv, options.source, options.column_map, options.model)
                except InputFileError:
                    pass
            if sample.kind == "csv" or not sample.cut or size >= MAX_SAMPLE_BYTES:
                raise
            size = min(size * 8, MAX_SAMPLE_BYTES)


class IngestProgress(Protocol):
    """What a caller may show while files load (the CLI's progress display): the files found,
    each file as it starts, each file done (loaded, left alone or failed) with its records read."""

    def begin(self, files: int) -> None: ...

    def start(self, path: Path) -> None: ...

    def done(self, path: Path, rows: int) -> None: ...


def ingest_files(store: Store, args: list[str], options: IngestOptions,
                 progress: IngestProgress | None = None) -> IngestResult:
    plan = plan_files(store, args, options)
    # the files stored under their path with this content, found once (a query per file made
    # re-reading a folder of 20,000 small files take minutes)
    recorded = {(f, h): counts for f, h, *counts in store.query(
        """SELECT source_file, source_hash, rows_read, rows_loaded, rows_rejected, rows_duplicate,
                  rows_skipped FROM sources""")}
    result = IngestResult([], plan.not_logs, plan.failed)
    if progress:
        progress.begin(len(plan.files))
    for group in _batches(store, plan.files):
        if len(group) > 1:
            for item in group:
                if progress:
                    progress.start(item.path)
            try:
                batch = load_batch(store, group)
            except (_RetryAlone, InputFileError, duckdb.IOException):
                pass  # one file spoils the batch: each loads alone, only the bad one fails
            else:
                result.files.extend(batch)
                for r in batch:
                    if progress:
                        progress.done(Path(r.file), r.rows_read)
                continue
        for item in group:
            if progress:
                progress.start(item.path)
            rows = _load_alone(store, item, recorded, result, plan.single)
            if progress:
                progress.done(item.path, rows)
    return result


def _load_alone(store: Store, item: PlannedFile, recorded: dict[tuple[str, str], list[int]],
                result: IngestResult, single: bool) -> int:
    """Load one file into `result`: its counts, or (unless it is the run's only file) the reason
    it could not be loaded. A problem of the store (full disk, no permission, damaged), running
    out of memory and Ctrl-C stop the run: they are not the file's. Returns the records read."""
    try:
        if (row := recorded.get((str(item.path), item.content_hash))) is not None:
            loaded = _unchanged(item, row)
        else:
            loaded = load_file(store, item)
        result.files.append(loaded)
        return loaded.rows_read
    except InputFileError as e:
        if single:
            raise
        if isinstance(e, NotACallLogError):
            result.not_logs.append(NotCallLog(str(item.path), e.reason))
        else:
            result.failed.append(FailedFile(str(item.path), failure_reason(item.path, e)))
    except OSError as e:
        if single:
            raise file_os_error(item.path, e) from e
        result.failed.append(FailedFile(str(item.path), failure_reason(item.path, file_os_error(item.path, e))))
    except (duckdb.OutOfMemoryException, duckdb.InterruptException):
        raise
    except duckdb.IOException as e:  # the file could not be read (gone, no permission)
        if single or explain_failure(e, store.path) is not None:
            raise
        result.failed.append(FailedFile(str(item.path), duckdb_reason(e)))
    return 0


def _batches(store: Store, planned: list[PlannedFile]) -> list[list[PlannedFile]]:
    """Consecutive new JSON-lines files that read alike go together (in order, so the result is
    the same as loading them one by one): files of a `batch_files` format, or small files of any
    adapter whose projection is the same but for the file's path (the same columns found, the same
    notes); every other file goes alone."""
    stored = {h for (h,) in store.query("SELECT DISTINCT source_hash FROM sources")}
    shapes: dict[int, str | None] = {}

    def shape(item: PlannedFile) -> str | None:
        sample = item.ctx.sample
        if not (sample.kind == "jsonl" and sample.layout == "lines" and sample.encoding == "utf-8"
                and not sample.compressed and item.content_hash not in stored):
            return None
        if getattr(item.adapter, "batch_files", False):
            return item.adapter.name
        if item.size > SMALL_FILE_BYTES:
            return None
        try:
            proj = item.adapter.project(item.ctx)
        except LlmcostError:
            return None  # it fails alone, with its own message
        text = json.dumps(asdict(proj), default=str, sort_keys=True)
        return item.adapter.name + "\0" + text.replace(json.dumps(item.ctx.path_sql)[1:-1], "\0")

    def fits(item: PlannedFile) -> str | None:
        if id(item) not in shapes:
            shapes[id(item)] = shape(item)
        return shapes[id(item)]

    groups: list[list[PlannedFile]] = []
    size = 0
    held: set[str] = set()  # the content hashes and paths of the last group (no file twice)
    for item in planned:
        last = groups[-1] if groups else None
        key = fits(item)
        if (last and key is not None and fits(last[0]) == key
                and len(last) < BATCH_FILES and size + item.size <= BATCH_BYTES
                and item.content_hash not in held and str(item.path) not in held):
            last.append(item)
            size += item.size
        else:
            groups.append([item])
            size = item.size
            held = set()
        held |= {item.content_hash, str(item.path)}
    return groups


def load_file(store: Store, item: PlannedFile) -> FileResult:
    path = str(item.path)
    stored = store.query(
        """SELECT source_file, rows_read, rows_loaded, rows_rejected, rows_duplicate,
                  rows_skipped FROM sources WHERE source_hash = ? ORDER BY ingested_at LIMIT 1""",
        [item.content_hash])
    if stored:
        return _already_stored(store, item, stored[0])
    json_values.prepare(item.ctx, store.con)  # before the transaction: it may read the file whole
    try:
        with store.transaction():
            older = store.query(
                "SELECT source_hash FROM sources WHERE source_file = ? AND source_hash <> ?",
                [path, item.content_hash])
            for (old_hash,) in older:
                store.remove_source(path, old_hash)
            result = _load_new(store, item)
            if older:
                result.status = "replaced"
                result.notes.append("an earlier version of this file was replaced")
            if item.ctx.normalised is not None:
                result.notes.append(
                    "DuckDB could not read this JSON file whole (a broken or cut-off record, or "
                    "not UTF-8): its records were read one by one, positions are record numbers")
            _record_source(store, item, result)
    finally:
        json_values.cleanup(item.ctx)
        _keep_insertion_order(store)
    return result


def _already_stored(store: Store, item: PlannedFile, row: tuple) -> FileResult:
    """Content already stored (under this path or another): nothing is read. A path not yet
    recorded with this content gets its `sources` row and a copy of the content's rejects (so
    each path keeps them when the other is forgotten); its earlier version, if any, is removed."""
    first_path, *counts = row
    path = str(item.path)
    result = _unchanged(item, counts)
    if store.query("SELECT count(*) FROM sources WHERE source_file = ? AND source_hash = ?",
                   [path, item.content_hash])[0][0]:
        return result
    result.notes.append(f"same content as {first_path}, already stored")
    with store.transaction():
        older = store.query("SELECT source_hash FROM sources WHERE source_file = ? AND source_hash <> ?",
                            [path, item.content_hash])
        for (old_hash,) in older:
            store.remove_source(path, old_hash)
        if older:
            result.status = "replaced"
            result.notes.append("an earlier version of this file was replaced")
        store.con.execute(
            """INSERT INTO rejects SELECT ?, source_hash, line, reason, raw FROM rejects
               WHERE source_file = ? AND source_hash = ?""", [path, first_path, item.content_hash])
        _record_source(store, item, result)
    return result


def _unchanged(item: PlannedFile, counts: list[int]) -> FileResult:
    """The result for content stored already: its counts, every call it holds a duplicate
    (`counts`: rows read, loaded, rejected, duplicate, skipped of a stored row of it)."""
    read, loaded, rejected, duplicate, skipped = counts
    return FileResult(str(item.path), item.adapter.name, item.content_hash, "unchanged",
                      rows_read=read, rows_loaded=0, rows_rejected=rejected,
                      rows_duplicate=loaded + duplicate, rows_skipped=skipped,
                      stored=StoredCounts(read, loaded, rejected, duplicate, skipped))


def _record_source(store: Store, item: PlannedFile, r: FileResult) -> None:
    _record_sources(store, [(item, r)])


def _record_sources(store: Store, loaded: list[tuple[PlannedFile, FileResult]]) -> None:
    """The `sources` rows of files just loaded, in one statement (one per file cost a batch of
    small files more than reading them)."""
    if not loaded:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    params: list[object] = []
    for item, r in loaded:
        params += [str(item.path), item.content_hash, item.adapter.name, r.rows_read, r.rows_loaded,
                   r.rows_rejected, r.rows_duplicate, r.rows_skipped, r.rows_conflicting, now]
    row = "(" + ", ".join(["?"] * 10) + ")"
    store.con.execute(f"INSERT INTO sources VALUES {', '.join([row] * len(loaded))}", params)


def stage_sql(item: PlannedFile, proj: Projection, batch: bool = False) -> str:
    """SELECT producing every canonical column plus `__skip`, `__reason`, `__raw`; with `batch`,
    the source's rows carry `__filename` and the file's own values come from the BATCH table
    (plus `__b_file`, the file's place in the batch)."""
    c = proj.columns
    inner = [f"({expr}) AS {sql_col(name)}" for name, expr in c.items()]
    inner += [f"({proj.skip}) AS __skip", f"({proj.reason}) AS __areason"]
    prefix = "__b_prefix" if batch else sql_str(item.content_hash[:16] + ":")

    def col(name: str) -> str:
        return sql_col(name) if name in c else "NULL"

    status = f"coalesce({col('status')}, 'ok')"
    exprs: dict[str, str] = {}
    for column in CALL_COLUMNS:
        name = column.name
        typ = column.sql_type.replace(" NOT NULL", "")
        if name == "call_id":
            expr = f"{prefix} || __pos" if name not in c else f"coalesce({col(name)}, {prefix} || __pos)"
        elif name == "source_file":
            expr = "__b_source_file" if batch else sql_str(str(item.path))
        elif name == "source_hash":
            expr = "__b_source_hash" if batch else sql_str(item.content_hash)
        elif name == "source_line":
            expr = f"__pos + {proj.line_offset}"
        elif name == "status":
            expr = status
        elif name == "billed":
            expr = f"coalesce({col('billed')}, {status} = 'ok')"
        elif name == "model" and item.ctx.options.model:
            expr = f"coalesce({col('model')}, {sql_str(item.ctx.options.model)})"
        elif name == "service_tier":
            expr = f"coalesce({col('service_tier')}, 'standard')"
        elif name in ("cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens"):
            expr = f"coalesce({col(name)}, 0)"
        else:
            expr = col(name)
        exprs[name] = f"CAST({expr} AS {typ})"
    # typed values are computed once (level 2), the reason once from them (level 3), and the
    # raw text only for the rejected records (level 4)
    t = {n: f"__t_{n}" for n in exprs}
    inp, out = t["input_tokens"], t["output_tokens"]
    cache = " + ".join(t[n] for n in ("cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens"))
    checks = [("__areason IS NOT NULL", "__areason"),
              *([] if proj.model_optional else [(f"{t['model']} IS NULL", "'no model name'")]),
              (f"{inp} IS NULL", "'no input token count'"),
              (f"{out} IS NULL", "'no output token count'")]
    for tc in TOKEN_COLUMNS:
        checks.append((f"{t[tc]} < 0", f"'negative {tc}'"))
        checks.append((f"{t[tc]} > {MAX_TOKENS}", f"'implausible {tc} (over {MAX_TOKENS:,})'"))
    checks.append((f"{cache} > {inp}", sql_str(CACHE_EXCEEDS_INPUT)))
    checks.append((f"{t['reasoning_tokens']} > {out}", "'reasoning tokens exceed output tokens'"))
    sources = proj.source
    inner, extracted = _extract_once(inner)
    if extracted:
        sources = f"(SELECT *, {extracted} FROM {sources})"
    if batch:
        sources = f"(SELECT s.*, b.* EXCLUDE (filename) FROM {sources} s JOIN {BATCH} b ON b.filename = s.__filename)"
    level1 = f"SELECT *, _pos AS __pos, {', '.join(inner)} FROM {sources} AS src"
    level2 = f"SELECT *, {', '.join(f'{e} AS {t[n]}' for n, e in exprs.items())} FROM ({level1})"
    level3 = (f"SELECT *, CASE WHEN __skip THEN NULL ELSE {first_reason(checks)} END AS __reason "
              f"FROM ({level2})")
    final = [f"{t[n]} AS {n}" for n in exprs]
    final += ["__b_file"] if batch else []
    final += ["__skip", "__reason",
              f"CASE WHEN __reason IS NULL THEN NULL ELSE CAST(({proj.raw}) AS VARCHAR) END AS __raw"]
    return f"SELECT {', '.join(final)} FROM ({level3})"


# `json_extract_string(doc, 'path')` on a document column of the source (not a wildcard path)
_EXTRACT = re.compile(r"json_extract_string\((_json|_msg|_body), ('(?:[^'*]|'')*')\)")


def _extract_once(exprs: list[str]) -> tuple[list[str], str]:
    """Parse each JSON document once: every `json_extract_string(doc, 'path')` in `exprs` becomes
    an element of ONE multi-path extraction per document (DuckDB parses the document once for all
    paths, instead of once per call: a transcript line is read for ~20 fields, many of them
    several times by the checks). Returns the rewritten expressions and the extraction columns."""
    paths: dict[str, dict[str, int]] = {}
    for e in exprs:
        for doc, path in _EXTRACT.findall(e):
            paths.setdefault(doc, {}).setdefault(path, len(paths.get(doc, {})) + 1)

    def sub(m: re.Match[str]) -> str:
        return f"__jx{m.group(1)}[{paths[m.group(1)][m.group(2)]}]"

    columns = ", ".join(f"json_extract_string({doc}, [{', '.join(ps)}]) AS __jx{doc}"
                        for doc, ps in paths.items())
    return [_EXTRACT.sub(sub, e) for e in exprs], columns


def sql_col(name: str) -> str:
    return f"__c_{name}"


def _count(store: Store, sql: str) -> int:
    return int(store.query(sql)[0][0])


def _load_new(store: Store, item: PlannedFile) -> FileResult:
    con = store.con
    proj = item.adapter.project(item.ctx)
    result = FileResult(str(item.path), item.adapter.name, item.content_hash, "loaded",
                        notes=list(proj.notes))
    for t in (CSV_REJECTS_TABLE, CSV_SCANS_TABLE):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    if "call_id" not in proj.columns:
        loaded, proj = _load_direct(store, item, proj, result)
        if loaded:
            return result
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS {stage_sql(item, proj)}")
        alternative = _alternative(proj, _count(
            store, f"SELECT count(*) FROM {STAGE} WHERE __reason = {sql_str(CACHE_EXCEEDS_INPUT)}"))
        if alternative is not None:
            proj = alternative
            result.notes = list(proj.notes)
            for t in (CSV_REJECTS_TABLE, CSV_SCANS_TABLE):
                con.execute(f"DROP TABLE IF EXISTS {t}")
            con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS {stage_sql(item, proj)}")
    except (duckdb.OutOfMemoryException, duckdb.InterruptException):
        raise  # not the file's fault: the CLI says so (cli.common.wrap_unexpected)
    except duckdb.Error as e:
        raise _unreadable(store, item, e) from e
    if item.ctx.uses_csv_rejects and _table_exists(store, CSV_REJECTS_TABLE):
        _renumber_past_csv_rejects(store, proj.line_offset)
    read, skipped, rejected = store.query(
        f"""SELECT count(*), count(*) FILTER (WHERE __skip),
                   count(*) FILTER (WHERE NOT __skip AND __reason IS NOT NULL) FROM {STAGE}""")[0]
    cols = ", ".join(c.name for c in CALL_COLUMNS)
    fpath, fhash = sql_str(str(item.path)), sql_str(item.content_hash)
    con.execute(
        f"""INSERT INTO rejects SELECT {fpath}, {fhash}, source_line, __reason, __raw
            FROM {STAGE} WHERE NOT __skip AND __reason IS NOT NULL""")
    if item.ctx.uses_csv_rejects and _table_exists(store, CSV_REJECTS_TABLE):
        parse_rejects = _count(store, f"SELECT count(DISTINCT line) FROM {CSV_REJECTS_TABLE}")
        con.execute(
            f"""INSERT INTO rejects SELECT {fpath}, {fhash}, line,
                   'unreadable CSV record: ' || min(error_type) || ' (' || min(error_message) || ')',
                   min(csv_line)
                FROM {CSV_REJECTS_TABLE} GROUP BY line""")
        read += parse_rejects
        rejected += parse_rejects
    ok = "NOT __skip AND __reason IS NULL"
    if "call_id" in proj.columns:
        keep = f"{proj.keep_order}, source_line" if proj.keep_order else "source_line"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {KEPT} AS SELECT * FROM {STAGE} WHERE {ok}
                QUALIFY row_number() OVER (PARTITION BY call_id ORDER BY {keep}) = 1""")
        ok_rows = _count(store, f"SELECT count(*) FROM {STAGE} WHERE {ok}")
        kept = _count(store, f"SELECT count(*) FROM {KEPT}")
        conflicting = 0
        if ok_rows > kept and not proj.variants_expected:
            conflicting = _count(store, f"""
                SELECT count(*) FROM {STAGE} s JOIN {KEPT} k USING (call_id)
                WHERE {ok.replace('__', 's.__')} AND s.source_line <> k.source_line
                  AND ({', '.join('s.' + t for t in TOKEN_COLUMNS)})
                      IS DISTINCT FROM ({', '.join('k.' + t for t in TOKEN_COLUMNS)})""")
        in_store = _count(store, f"SELECT count(*) FROM {KEPT} k SEMI JOIN calls c USING (call_id)")
        if in_store:
            conflicting += _count(store, f"""
                SELECT count(*) FROM {KEPT} k JOIN calls c USING (call_id)
                WHERE ({', '.join('k.' + t for t in TOKEN_COLUMNS)})
                      IS DISTINCT FROM ({', '.join('c.' + t for t in TOKEN_COLUMNS)})""")
        if in_store:
            _store_copies(store, KEPT, unique=True)
        else:
            with _unordered_append(store):
                con.execute(f"INSERT INTO calls SELECT {cols} FROM {KEPT}")
        result.rows_duplicate = (ok_rows - kept) + in_store
        result.rows_loaded = kept - in_store
        result.rows_conflicting = conflicting
        con.execute(f"DROP TABLE {KEPT}")
    else:
        with _unordered_append(store):
            con.execute(f"INSERT INTO calls SELECT {cols} FROM {STAGE} WHERE {ok}")
        result.rows_loaded = read - skipped - rejected
    con.execute(f"DROP TABLE {STAGE}")
    result.rows_read, result.rows_skipped, result.rows_rejected = int(read), int(skipped), int(rejected)
    _finish(item, result)
    return result


def load_batch(store: Store, items: list[PlannedFile]) -> list[FileResult]:
    """Load several new files of one format in ONE read and one transaction, with the same
    outcome as loading them one by one in order: per file, a `sources` row with its own counts;
    within a file the adapter's `keep_order` picks among copies of a call; across files (and
    against the store) the copy read first is kept and later ones are duplicates."""
    con = store.con
    first = items[0]
    ctx = SourceContext(first.path, first.content_hash, first.ctx.sample, first.ctx.options,
                        batch=[i.path for i in items])
    proj = first.adapter.project(ctx)
    if ctx.uses_csv_rejects:
        raise _RetryAlone  # the CSV reader's rejects are counted per file
    names = list(ctx.file_values)
    extra = "".join(f", __file_{n} VARCHAR" for n in names)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {BATCH} (filename VARCHAR, __b_file INTEGER,
        __b_source_file VARCHAR, __b_source_hash VARCHAR, __b_prefix VARCHAR{extra})""")
    rows = []
    for n, i in enumerate(items):
        values: list[str | None] = [str(i.path), str(i.path), i.content_hash, i.content_hash[:16] + ":"]
        values += [ctx.file_values[name](i.path) for name in names]
        rows.append(f"({sql_str(str(i.path))}, {n}, " + ", ".join(
            sql_str(v) if v is not None else "NULL" for v in values[1:]) + ")")
    con.execute(f"INSERT INTO {BATCH} VALUES {', '.join(rows)}")
    results = [FileResult(str(i.path), i.adapter.name, i.content_hash, "loaded", notes=list(proj.notes))
               for i in items]
    with store.transaction():
        # the earlier versions of these paths, found in one query (one per file cost more than
        # reading a small file)
        for n, old_hash in store.query(f"""
                SELECT b.__b_file, s.source_hash FROM sources s JOIN {BATCH} b
                ON s.source_file = b.__b_source_file AND s.source_hash <> b.__b_source_hash
                ORDER BY 1, s.ingested_at, 2"""):
            store.remove_source(str(items[n].path), old_hash)
            if results[n].status != "replaced":
                results[n].status = "replaced"
                results[n].notes.append("an earlier version of this file was replaced")
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS {stage_sql(first, proj, batch=True)}")
        except (duckdb.OutOfMemoryException, duckdb.InterruptException):
            raise
        except duckdb.Error:
            # a file unreadable as a whole: the batch rolls back, and its files load one by one
            # (so the error names the file)
            raise _RetryAlone from None
        if proj.alternative is not None and _count(
                store, f"SELECT count(*) FROM {STAGE} WHERE __reason = {sql_str(CACHE_EXCEEDS_INPUT)}"):
            raise _RetryAlone  # a file read the other way: each file decides alone
        ok = "NOT __skip AND __reason IS NULL"
        counts = {f: (r, sk, rej, okn) for f, r, sk, rej, okn in store.query(f"""
            SELECT __b_file, count(*), count(*) FILTER (WHERE __skip),
                   count(*) FILTER (WHERE NOT __skip AND __reason IS NOT NULL),
                   count(*) FILTER (WHERE {ok}) FROM {STAGE} GROUP BY 1""")}
        con.execute(f"""INSERT INTO rejects SELECT source_file, source_hash, source_line, __reason, __raw
                        FROM {STAGE} WHERE NOT __skip AND __reason IS NOT NULL""")
        keep = f"{proj.keep_order}, source_line" if proj.keep_order else "source_line"
        # the copy each file keeps of each call, then the first file's copy of each new call
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {KEPT} AS SELECT * FROM {STAGE} WHERE {ok}
            QUALIFY row_number() OVER (PARTITION BY __b_file, call_id ORDER BY {keep}) = 1""")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {NEW} AS SELECT * FROM {KEPT} k
            ANTI JOIN calls c USING (call_id)
            QUALIFY row_number() OVER (PARTITION BY call_id ORDER BY __b_file) = 1""")
        loaded = dict(store.query(f"SELECT __b_file, count(*) FROM {NEW} GROUP BY 1"))
        tokens = ", ".join(TOKEN_COLUMNS)
        differs = (f"({', '.join('k.' + t for t in TOKEN_COLUMNS)}) "
                   f"IS DISTINCT FROM ({', '.join('f.' + t for t in TOKEN_COLUMNS)})")
        conflicting: dict[int, int] = dict(store.query(f"""
            SELECT k.__b_file, count(*) FROM {KEPT} k JOIN (
                SELECT call_id, __b_file, source_line, {tokens} FROM {NEW}
                UNION ALL SELECT call_id, -1, source_line, {tokens} FROM calls SEMI JOIN {KEPT} USING (call_id)
            ) f USING (call_id)
            WHERE (k.__b_file, k.source_line) <> (f.__b_file, f.source_line) AND {differs}
            GROUP BY 1"""))
        if not proj.variants_expected:
            for f, n in store.query(f"""
                    SELECT s.__b_file, count(*) FROM {STAGE} s JOIN {KEPT} k USING (__b_file, call_id)
                    WHERE {ok.replace('__', 's.__')} AND s.source_line <> k.source_line
                      AND ({', '.join('s.' + t for t in TOKEN_COLUMNS)})
                          IS DISTINCT FROM ({', '.join('k.' + t for t in TOKEN_COLUMNS)})
                    GROUP BY 1"""):
                conflicting[f] = conflicting.get(f, 0) + n
        _store_copies(store, KEPT, unique=False)
        for n, (item, r) in enumerate(zip(items, results, strict=True)):
            read, skipped, rejected, ok_rows = counts.get(n, (0, 0, 0, 0))
            r.rows_read, r.rows_skipped, r.rows_rejected = int(read), int(skipped), int(rejected)
            r.rows_loaded = int(loaded.get(n, 0))
            r.rows_duplicate = int(ok_rows) - r.rows_loaded
            r.rows_conflicting = int(conflicting.get(n, 0))
            _finish(item, r)
        _record_sources(store, list(zip(items, results, strict=True)))
        for t in (STAGE, KEPT, NEW, BATCH):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return results


def _store_copies(store: Store, kept: str, unique: bool) -> None:
    """Store `kept`, each file's own copy of its calls (one row per file and call id; `unique`:
    no call id twice in it). A call id that is new and held by one of these files goes into
    `calls`. For the others (already stored, or in several of these files) the duplicate rule
    across files (`COPY_ORDER`) picks among the stored copy and the new ones: the pick is in
    `calls`, every other copy in `call_copies`, ready to take over when the pick's file is
    forgotten; a stored copy that loses moves there too, and its file is marked changed."""
    con = store.con
    cols = ", ".join(c.name for c in CALL_COLUMNS)
    several = "" if unique else f"SELECT call_id FROM {kept} GROUP BY call_id HAVING count(*) > 1 UNION "
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {CONTESTED} AS
        {several}SELECT call_id FROM {kept} SEMI JOIN calls USING (call_id)""")
    if not _count(store, f"SELECT count(*) FROM {CONTESTED}"):
        con.execute(f"INSERT INTO calls SELECT {cols} FROM {kept}")
        con.execute(f"DROP TABLE {CONTESTED}")
        return
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {CONTEST} AS
        SELECT *, row_number() OVER (PARTITION BY call_id ORDER BY {COPY_ORDER}) = 1 AS __win FROM (
            SELECT {cols}, false AS __new FROM calls SEMI JOIN {CONTESTED} USING (call_id)
            UNION ALL SELECT {cols}, true FROM {kept} SEMI JOIN {CONTESTED} USING (call_id))""")
    lost = f"{CONTEST} WHERE NOT __new AND NOT __win"
    con.execute(f"INSERT INTO {CHANGES} SELECT DISTINCT source_hash FROM {lost}")
    con.execute(f"DELETE FROM calls WHERE call_id IN (SELECT call_id FROM {lost})")
    con.execute(f"INSERT INTO {COPIES} SELECT {cols} FROM {CONTEST} WHERE NOT __win")
    con.execute(f"INSERT INTO calls SELECT {cols} FROM {CONTEST} WHERE __new AND __win")
    con.execute(f"INSERT INTO calls SELECT {cols} FROM {kept} ANTI JOIN {CONTESTED} USING (call_id)")
    for t in (CONTEST, CONTESTED):
        con.execute(f"DROP TABLE {t}")


class _RetryAlone(Exception):
    """A batch could not be read as a whole: its files are loaded one by one instead."""


def _finish(item: PlannedFile, result: FileResult) -> None:
    """The notes every loaded file gets, and the invariant that no row was lost."""
    if result.rows_conflicting:
        result.notes.append(
            f"{result.rows_conflicting} duplicate records carry other token counts than the copy "
            "kept under the same call id (counted as duplicates, not loaded)")
    if result.rows_read == 0:
        result.notes.append("the file holds no records")
    if not result.balanced():  # an internal invariant: never silently lose a row
        raise LlmcostError(
            f"Internal accounting error on {item.path}: {result}.",
            "Please report this with the file's first lines; nothing was stored.")


def _unreadable(store: Store, item: PlannedFile, e: duckdb.Error) -> LlmcostError:
    """The file could not be read, or the store could not be written while reading it (a full
    disk, no permission on the store: `store.explain_failure` says which, not the file)."""
    text = str(e)
    if store.path in text or NO_SPACE.search(text) or "Corrupt database" in text:
        failure = explain_failure(e, store.path)
        if failure is not None:
            return failure
    return InputFileError(
        f"{item.path} could not be read as {item.adapter.name}: {duckdb_reason(e)}",
        "Check the file; force another format with --source NAME, or see docs/formats.md.")


def _alternative(proj: Projection, exceeding: int) -> Projection | None:
    """The projection's other reading, when this one rejected records for cache tokens
    exceeding input tokens (the other reading never does), its note counting them."""
    if proj.alternative is None or not exceeding:
        return None
    alt = proj.alternative
    return replace(alt, notes=[n.replace("{n}", f"{exceeding:,}") for n in alt.notes])


def _load_direct(store: Store, item: PlannedFile, proj: Projection,
                 result: FileResult) -> tuple[bool, Projection]:
    """A file without call ids has nothing to de-duplicate: count its records (a read that
    parses no value), then insert the good ones straight from a second read into `calls`, with
    no staged copy of the file. Only when fewer were inserted than counted are the rejected ones
    counted by reason and written to `rejects` (two more reads, for files with broken records).
    False (nothing written) when DuckDB's CSV reader rejected records: their line numbers need
    the staged path. Returns the projection used (the alternative reading when the first one
    asked for it)."""
    con = store.con
    sql = stage_sql(item, proj)
    fhash = sql_str(item.content_hash)
    try:
        read, skipped = store.query(f"SELECT count(*), count(*) FILTER (WHERE __skip) FROM ({sql})")[0]
        if _csv_rejected(store, item):
            return False, proj
        cols = ", ".join(c.name for c in CALL_COLUMNS)
        with _unordered_append(store):
            inserted = int(con.execute(f"INSERT INTO calls SELECT {cols} FROM ({sql}) "
                                       "WHERE NOT __skip AND __reason IS NULL").fetchall()[0][0])
        if _csv_rejected(store, item):  # found by the full read only: the staged path numbers them
            con.execute(f"DELETE FROM calls WHERE source_hash = {fhash}")
            return False, proj
        rejected = 0
        if inserted != read - skipped:
            read2, skipped, rejected, exceeding = store.query(
                f"""SELECT count(*), count(*) FILTER (WHERE __skip),
                           count(*) FILTER (WHERE NOT __skip AND __reason IS NOT NULL),
                           count(*) FILTER (WHERE __reason = {sql_str(CACHE_EXCEEDS_INPUT)}) FROM ({sql})""")[0]
            alternative = _alternative(proj, exceeding)
            if alternative is not None:
                con.execute(f"DELETE FROM calls WHERE source_hash = {fhash}")
                result.notes = list(alternative.notes)
                for t in (CSV_REJECTS_TABLE, CSV_SCANS_TABLE):
                    con.execute(f"DROP TABLE IF EXISTS {t}")
                return _load_direct(store, item, alternative, result)
            if read2 != read:
                raise _changed(item, read2 - skipped - rejected, inserted)
            if rejected:
                con.execute(f"""INSERT INTO rejects SELECT source_file, source_hash, source_line, __reason,
                                __raw FROM ({sql}) WHERE NOT __skip AND __reason IS NOT NULL""")
    except (duckdb.OutOfMemoryException, duckdb.InterruptException):
        raise
    except duckdb.Error as e:
        raise _unreadable(store, item, e) from e
    result.rows_read, result.rows_skipped, result.rows_rejected = int(read), int(skipped), int(rejected)
    result.rows_loaded = inserted
    if result.rows_loaded != read - skipped - rejected:
        raise _changed(item, read - skipped - rejected, result.rows_loaded)
    _finish(item, result)
    return True, proj


def _changed(item: PlannedFile, counted: int, inserted: int) -> InputFileError:
    return InputFileError(f"{item.path} changed while it was read ({counted:,} good records counted, "
                          f"{inserted:,} read again); nothing was stored.",
                          "Load it again once the program writing it has finished.")


def _csv_rejected(store: Store, item: PlannedFile) -> bool:
    """DuckDB's CSV reader rejected records of this file (ragged, badly quoted)."""
    return item.ctx.uses_csv_rejects and _table_exists(store, CSV_REJECTS_TABLE) and bool(_count(
        store, f"SELECT count(*) FROM {CSV_REJECTS_TABLE}"))


@contextmanager
def _unordered_append(store: Store) -> Iterator[None]:
    """An append to `calls` without keeping the statement's row order. Keeping it, DuckDB
    appends each batch of the reader as row groups of its own and leaves partial ones, which the
    next checkpoint merges: rewriting part of the table when the store is closed (6 s of a 2M-row
    load). The records are numbered before the append either way (`row_number() OVER ()` runs in
    file order whatever the setting), and nothing reads `calls` in its physical order."""
    store.con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        _keep_insertion_order(store)


def _keep_insertion_order(store: Store) -> None:
    """Back to DuckDB's default. Inside a transaction a failed statement aborted, no setting can
    change: `load_file` calls this again once the transaction is rolled back."""
    with suppress(duckdb.Error):
        store.con.execute("RESET preserve_insertion_order")


def _renumber_past_csv_rejects(store: Store, line_offset: int) -> None:
    """`row_number()` does not count the records DuckDB's CSV reader rejected: move every later
    record's line past them, so each line number points at its own record (DuckDB's reject
    `line` counts records the same way, the header being line 1)."""
    if not _count(store, f"SELECT count(*) FROM {CSV_REJECTS_TABLE}"):
        return
    # the i-th rejected line r (in order) has r - i - line_offset good records before it
    store.con.execute(f"""
        UPDATE {STAGE} s SET source_line = s.source_line + (
            SELECT count(*) FROM (SELECT line, row_number() OVER (ORDER BY line) AS i
                                  FROM (SELECT DISTINCT line FROM {CSV_REJECTS_TABLE})) r
            WHERE r.line - r.i - {line_offset} < s.source_line - {line_offset})""")


def _table_exists(store: Store, name: str) -> bool:
    return bool(store.query(
        "SELECT 1 FROM duckdb_tables() WHERE table_name = ? AND temporary", [name]))
