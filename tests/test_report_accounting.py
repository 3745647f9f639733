"""A report made after its files were loaded (issue 15, item 3): `analyze FILE` then `report FILE`
shows the store's accounting of FILE — the rows read, loaded, rejected and duplicate recorded when
it was loaded — not this run's "every row duplicate"; and no report names the user's absolute
paths: a file is shown relative to where the command ran.

Log: tests/data/levers/mixed.csv (8 calls written by hand for tests/test_levers.py), copied into
the test's folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

DATA = Path(__file__).resolve().parent / "data"


def run(*args: str) -> str:
    from llmcost.cli import app

    r = CliRunner().invoke(app, list(args), env={"COLUMNS": "100"})
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    assert r.exit_code == 0, r.stdout + r.stderr
    return r.stdout


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, dict[str, int]]:
    """The log copied under tmp_path/logs, loaded once by `analyze` run from tmp_path."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "logs").mkdir()
    log = tmp_path / "logs" / "calls.csv"
    shutil.copy(DATA / "levers" / "mixed.csv", log)
    db = tmp_path / "store.duckdb"
    first = json.loads(run("analyze", str(log), "--db", str(db), "-f", "json"))["ingest"]["files"][0]
    # mixed.csv: 8 calls, each line well formed, no call id twice: 8 read, 8 loaded
    counts = {k: first[k] for k in ("rows_read", "rows_loaded", "rows_rejected", "rows_duplicate")}
    assert counts == {"rows_read": 8, "rows_loaded": 8, "rows_rejected": 0, "rows_duplicate": 0}
    return log, db, counts


def test_analyze_again_shows_the_stored_accounting(loaded: tuple[Path, Path, dict[str, int]]):
    log, db, counts = loaded
    again = json.loads(run("analyze", str(log), "--db", str(db), "-f", "json"))["ingest"]["files"][0]
    # this run read nothing new (the JSON contract: this run's figures) …
    assert again["status"] == "unchanged" and again["rows_loaded"] == 0
    # … and says what the store recorded when the file was loaded
    assert again["stored"] == counts | {"rows_skipped": 0}
    table = run("analyze", str(log), "--db", str(db))
    assert "8 rows read · 8 loaded · 0 rejected · 0 duplicate when it was loaded" in " ".join(table.split())
    md = run("analyze", str(log), "--db", str(db), "-f", "markdown")
    assert "| logs/calls.csv (already stored; counts as loaded then) | generic | 8 | 8 | 0 | 0 | 0 |" in md


@pytest.mark.parametrize("name", ["report.json", "report.md", "report.html"])
def test_report_after_analyze(loaded: tuple[Path, Path, dict[str, int]], tmp_path: Path, name: str):
    log, db, _ = loaded
    out = tmp_path / "out" / name
    out.parent.mkdir()
    run("report", str(log), "--db", str(db), "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert str(tmp_path) not in text and str(tmp_path.resolve()) not in text  # no absolute path
    if name == "report.json":
        d = json.loads(text)
        f = d["files"][0]
        assert f["file"] == "logs/calls.csv" and f["stored_earlier"] is True
        assert (f["rows_read"], f["rows_loaded"], f["rows_rejected"], f["rows_duplicate"]) == (8, 8, 0, 0)
        assert d["analyze"]["ingest"]["files"][0]["file"] == "logs/calls.csv"
        assert "logs/calls.csv -o out/report.json --db store.duckdb" in d["command_line"]
    elif name == "report.md":
        assert "| logs/calls.csv (stored earlier: counts as loaded then) | generic | 8 | 8 | 0 | 0 | 0 |" in text
    else:
        assert "logs/calls.csv (stored earlier: counts as loaded then)" in text


def test_report_of_the_store_names_files_relative(loaded: tuple[Path, Path, dict[str, int]], tmp_path: Path):
    _, db, _ = loaded
    run("report", "--db", str(db), "-o", "store.json")
    d = json.loads((tmp_path / "store.json").read_text(encoding="utf-8"))
    assert [(f["file"], f["rows_loaded"]) for f in d["files"]] == [("logs/calls.csv", 8)]
    assert str(tmp_path) not in json.dumps(d)
