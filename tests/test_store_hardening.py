"""The store under attack (issue 13): a store that cannot be written or is damaged, a
schema_version that is not a number, another application's DuckDB file, DuckDB connection strings
as `--db`. Each is one clear error saying what it is and how to recover, never "a bug"."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from llmcost.errors import StoreDamagedError, StoreError, StoreWriteError
from llmcost.store import open_store
from tests.conftest import DATA, ROOT

TRACKER = DATA / "generic" / "tracker.csv"
BAD_LINES = DATA / "generic" / "bad_lines.csv"


def llmcost(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LLMCOST_DEBUG", "LLMCOST_DB")}
    kw.setdefault("cwd", ROOT)
    return subprocess.run([sys.executable, "-m", "llmcost", *args], capture_output=True, text=True,
                          env=env, **kw)  # type: ignore[call-overload]


def one_clear_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("Error: ") and "Traceback" not in r.stderr, r.stderr
    assert "likely a bug" not in r.stderr
    return r.stderr


@pytest.mark.parametrize("db", ["md:foo", "motherduck:foo", "sqlite:calls.db", "postgres:dbname=x",
                                "s3://bucket/s.duckdb", ":memory:other"])
def test_connection_strings_are_not_store_forms(db: str):
    # before: DuckDB tried to load the MotherDuck / SQLite extension ("Extension … not found")
    with pytest.raises(StoreError, match="never a DuckDB connection string") as e:
        open_store(db)
    assert "Extension" not in str(e.value)
    err = one_clear_error(llmcost("sources", "--db", db))
    assert "connection string" in err


def test_a_file_name_with_a_colon_is_a_path_when_written_as_one(tmp_path: Path):
    r = llmcost("ingest", str(TRACKER), "--db", "./md:store.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "md:store.duckdb").is_file()


def test_another_applications_duckdb_file_is_refused_and_left_as_it_is(tmp_path: Path):
    other = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE orders AS SELECT 1 AS id, 9.5 AS amount")
    con.close()
    # before: llmcost added llmcost_meta, calls, sources and rejects to it silently
    with pytest.raises(StoreError, match="another application"):
        open_store(str(other))
    err = one_clear_error(llmcost("ingest", str(TRACKER), "--db", str(other)))
    assert "not an llmcost store" in err
    con = duckdb.connect(str(other), read_only=True)
    assert con.execute("SELECT table_name FROM duckdb_tables()").fetchall() == [("orders",)]
    con.close()


def test_an_empty_duckdb_file_becomes_a_store(tmp_path: Path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()  # no tables: nothing of anyone's to damage
    with open_store(str(empty)) as s:
        assert s.schema_version() >= 2


def test_a_schema_version_that_is_not_a_number_is_a_damaged_store(tmp_path: Path):
    db = tmp_path / "s.duckdb"
    with open_store(str(db)) as s:
        s.con.execute("UPDATE llmcost_meta SET value = 'two' WHERE key = 'schema_version'")
    # before: ValueError: invalid literal for int() with base 10: 'two' (a traceback)
    with pytest.raises(StoreDamagedError, match="'two', not a number"):
        open_store(str(db))
    err = one_clear_error(llmcost("sources", "--db", str(db)))
    assert "is damaged" in err and f"mv {db} {db}.damaged" in err


def test_a_corrupt_store_block_says_damaged_and_how_to_rebuild(tmp_path: Path):
    db = tmp_path / "s.duckdb"
    assert llmcost("analyze", str(TRACKER), "--db", str(db)).returncode == 0
    size = db.stat().st_size
    assert size > 600_000  # calls, sources and the priced calls: several blocks
    with db.open("r+b") as f:  # overwrite 2 KB in every 256 KB block past the header
        for offset in range(300_000, size, 262_144):
            f.seek(offset)
            f.write(b"\xa5" * 2000)
    # before: "could not be prepared as an llmcost store: Corrupt database file … Pass --db
    # with another path" (nothing about rebuilding it)
    err = one_clear_error(llmcost("analyze", "--db", str(db)))
    assert "is damaged" in err and "rebuilt from the logs" in err and "llmcost sources" in err


def _limit_file_size(limit: int):  # type: ignore[no-untyped-def]
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


def test_a_full_disk_at_commit_says_disk_space_and_leaves_the_store_as_it_was(tmp_path: Path):
    db = tmp_path / "s.duckdb"
    assert llmcost("ingest", str(TRACKER), "--db", str(db)).returncode == 0
    # every file may grow to 2 KB only: the write-ahead log of the next load fails at commit
    # (as on a full disk: "Failed to commit: Could not write file …wal")
    r = llmcost("ingest", str(BAD_LINES), "--db", str(db), preexec_fn=_limit_file_size(2_000))
    # before: "DuckDB failed: TransactionContext Error: Failed to commit … likely a bug in llmcost"
    err = one_clear_error(r)
    assert "No space left to write the store" in err and "Free some disk space" in err
    with open_store(str(db)) as s:  # the tracker's 5 calls and one source, nothing of bad_lines
        assert s.query("SELECT count(*) FROM calls")[0][0] == 5
        assert [x.source_file for x in s.sources()] == [str(TRACKER)]


def test_a_full_disk_mid_load_blames_the_disk_not_the_log(tmp_path: Path):
    db = tmp_path / "s.duckdb"
    assert llmcost("ingest", str(TRACKER), "--db", str(db)).returncode == 0
    big = ROOT / "sample_logs" / "invoice_pipeline.csv.gz"
    r = llmcost("ingest", str(big), "--db", str(db), preexec_fn=_limit_file_size(db.stat().st_size + 50_000))
    # before: "… could not be read as generic: IO Error: Could not write file …" (the log blamed)
    err = one_clear_error(r)
    assert "No space left to write the store" in err and "could not be read as" not in err


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can enter (pytest's tmp_path is private to this user)."""
    d = Path(tempfile.mkdtemp(prefix="llmcost-ro-"))
    d.chmod(0o755)
    yield d
    d.chmod(0o755)
    shutil.rmtree(d, ignore_errors=True)


def _as_a_user_who_cannot_write(folder: Path) -> list[str]:
    """The command prefix running llmcost as someone who may not write `folder`: this user with
    the folder made read-only, or (for root, who may write anything) the user nobody."""
    if os.geteuid() != 0:
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        return []
    setpriv = shutil.which("setpriv")
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] if setpriv else []
    if not prefix or subprocess.run([*prefix, sys.executable, "-c", "import llmcost"], cwd=ROOT,
                                    capture_output=True).returncode:
        pytest.skip("cannot run llmcost as another user here")
    return prefix


def test_a_read_only_store_folder_says_permissions(shared_dir: Path):
    db = shared_dir / "s.duckdb"
    assert llmcost("ingest", str(TRACKER), "--db", str(db)).returncode == 0
    db.chmod(0o666)  # the file may be written, its folder not: DuckDB cannot create s.duckdb.wal
    log = shared_dir / "bad_lines.csv"
    shutil.copy(BAD_LINES, log)
    log.chmod(0o644)
    prefix = _as_a_user_who_cannot_write(shared_dir)
    env = {k: v for k, v in os.environ.items() if k not in ("LLMCOST_DEBUG", "LLMCOST_DB")}
    env["HOME"] = str(shared_dir)
    for args in (["ingest", str(log)], ["analyze"]):
        r = subprocess.run([*prefix, sys.executable, "-m", "llmcost", *args, "--db", str(db)],
                           capture_output=True, text=True, cwd=ROOT, env=env)
        # before: "DuckDB failed: TransactionContext Error: Failed to commit: Cannot open file
        # …wal: Permission denied … likely a bug in llmcost"
        err = one_clear_error(r)
        assert "cannot be written (no permission)" in err and "writable" in err
    shared_dir.chmod(0o755)
    with open_store(str(db)) as s:
        assert s.query("SELECT count(*) FROM calls")[0][0] == 5


def test_store_failures_inside_a_transaction_are_explained(tmp_path: Path):
    """The classification itself, on the messages DuckDB gives."""
    from llmcost.store import explain_failure

    cases = {
        'TransactionContext Error: Failed to commit: Could not write file "/x/s.duckdb.wal": '
        "No space left on device": StoreWriteError,
        'IO Error: Cannot open file "/x/s.duckdb.wal": Permission denied': StoreWriteError,
        "IO Error: Corrupt database file: computed checksum 1 does not match stored checksum 2 "
        "in block at location 798720": StoreDamagedError,
    }
    for text, kind in cases.items():
        assert isinstance(explain_failure(duckdb.IOException(text), "/x/s.duckdb"), kind)
    assert explain_failure(duckdb.BinderException("Referenced column x not found"), "/x") is None
    with open_store(str(tmp_path / "s.duckdb")) as s, pytest.raises(StoreWriteError), s.transaction():
        raise duckdb.IOException('Could not write file "/x": No space left on device')
