"""Offline guarantee: no command opens a network connection, and DuckDB can never fetch an
extension from the network on its own.

Two layers: in-process, every command runs with Python's sockets refused (and a record of any
attempt, even one that was caught); then the CLI runs in a process with no network at all (a
fresh network namespace, which also covers DuckDB's own C++ HTTP client) where the system allows
it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from llmcost.store import connect, open_store
from tests.conftest import DATA, ROOT

G = DATA / "generic"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Refuse every socket; return the list of attempts (empty when the code stayed offline)."""
    attempts: list[tuple[Any, ...]] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network access attempted while offline (tests/test_offline.py)")

    class RefusedSocket(socket.socket):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            refuse(*args)

    monkeypatch.setattr(socket, "socket", RefusedSocket)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_socket_guard_works(no_network):
    with pytest.raises(OSError, match="offline"):
        socket.create_connection(("example.com", 443))
    with pytest.raises(OSError, match="offline"):
        socket.socket()
    assert len(no_network) == 2
    no_network.clear()


def test_every_command_runs_with_sockets_disabled(cli, tmp_path: Path, no_network):
    tracker, anthropic = str(G / "tracker.csv"), str(G / "anthropic_usage.csv")
    runs = [
        ("ingest", tracker, str(G / "bad_lines.csv")),
        ("analyze", anthropic, "--format", "json"),
        ("analyze", "--format", "markdown"),
        ("sources", "--format", "json"),
        ("rejects",),
        ("simulate", "--cache", "auto", "--format", "json"),
        ("simulate", "--route", "mini", "--batch", "classify", "--cap-output", "500"),
        ("recommend", "--format", "json"),
        ("report", "-o", str(tmp_path / "report.html")),
        ("pricing", "list"),
        ("pricing", "show", "gpt-4o"),
        ("pricing", "check"),
        ("pricing", "check", "--against", str(DATA / "litellm_excerpt.json")),
        ("forget", str(G / "bad_lines.csv")),
    ]
    for args in runs:
        r = cli(*args)
        assert r.exit_code == 0, (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert no_network == [], f"network attempted: {no_network}"
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script src=\"http" not in html and "<link href=\"http" not in html


def test_urls_are_never_fetched(cli, no_network):
    """A URL given as a log, an overlay or a config is a missing file, never a download (DuckDB
    would read https:// and s3:// paths if it were handed them)."""
    for url in ("https://example.com/calls.csv", "s3://bucket/calls.parquet"):
        r = cli("ingest", url)
        assert r.exit_code == 1 and "does not exist" in r.stderr
    r = cli("analyze", str(G / "tracker.csv"), "--pricing", "https://example.com/prices.yaml")
    assert r.exit_code == 1 and "no such file" in r.stderr
    r = cli("simulate", "--cache", "auto", "--config", "https://example.com/llmcost.yaml")
    assert r.exit_code == 2 and "no such file" in r.stderr  # a configuration error
    assert no_network == []


@pytest.mark.parametrize("where", ["file", ":memory:", "connect"])
def test_duckdb_never_installs_or_loads_extensions_on_its_own(tmp_path: Path, where: str):
    if where == "connect":
        con = connect()
        rows = con.execute(
            "SELECT current_setting('autoinstall_known_extensions'), "
            "current_setting('autoload_known_extensions')").fetchall()
        loaded = con.execute("SELECT list(extension_name) FROM duckdb_extensions() "
                             "WHERE loaded AND extension_name IN ('httpfs', 'aws', 'azure')").fetchall()
        con.close()
    else:
        db = str(tmp_path / "s.duckdb") if where == "file" else ":memory:"
        with open_store(db) as s:
            rows = s.query("SELECT current_setting('autoinstall_known_extensions'), "
                           "current_setting('autoload_known_extensions')")
            loaded = s.query("SELECT list(extension_name) FROM duckdb_extensions() "
                             "WHERE loaded AND extension_name IN ('httpfs', 'aws', 'azure')")
    assert rows == [(False, False)]
    assert loaded[0][0] in (None, [])


def test_reading_a_url_through_duckdb_fails_instead_of_autoloading(store):
    """Even handed a URL directly, a store connection refuses: httpfs is not loaded and may not be
    fetched."""
    import duckdb

    with pytest.raises(duckdb.Error):
        store.query("SELECT * FROM read_csv('https://example.com/calls.csv')")
    assert store.query("SELECT count(*) FROM duckdb_extensions() WHERE loaded AND "
                       "extension_name = 'httpfs'")[0][0] == 0


def _netns_prefix() -> list[str] | None:
    """A command prefix running a process with no network at all, if the system allows it."""
    unshare = shutil.which("unshare")
    if not unshare:
        return None
    for prefix in ([unshare, "-n"], [unshare, "-rn"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


@pytest.mark.slow
def test_the_cli_works_in_a_process_with_no_network(tmp_path: Path):
    prefix = _netns_prefix()
    if prefix is None:
        pytest.skip("cannot create a network namespace here (unshare -n)")
    db = str(tmp_path / "store.duckdb")
    sample = str(ROOT / "sample_logs" / "saas_multi.csv.gz")
    for args in (["analyze", sample, "--format", "json"], ["recommend", "--format", "json"],
                 ["simulate", "--cache", "auto", "--format", "json"],
                 ["report", "-o", str(tmp_path / "r.html")]):
        r = subprocess.run([*prefix, sys.executable, "-m", "llmcost", *args, "--db", db],
                           capture_output=True, text=True, cwd=tmp_path, timeout=300)
        assert r.returncode == 0, (args, r.stderr)
        assert "Traceback" not in r.stderr
