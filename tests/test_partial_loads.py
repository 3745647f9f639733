"""Folders and globs are never all-or-nothing (issue 15, point 7), and long work shows one
transient progress display that is absent when piped (point 8).

Broken files are made here in tmp_path: a gzip cut short, bytes that are no text, a file that
cannot be opened, a file that vanishes between being listed and being read. The good logs are
written by hand; every expected count is worked out in the test."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from llmcost.ingest import IngestOptions, ingest_files
from tests.conftest import ROOT

HEADER = "timestamp,model,input_tokens,output_tokens\n"


def good_csv(path: Path, calls: int, first_input: int = 1000) -> Path:
    """`calls` gpt-4o calls, a minute apart, input first_input, first_input + 1, …; 100 out."""
    rows = "".join(f"2026-10-01T10:{i:02d}:00Z,gpt-4o,{first_input + i},100\n" for i in range(calls))
    path.write_text(HEADER + rows)
    return path


def cut_gzip(path: Path, rows: int = 60_000) -> Path:
    """A gzip CSV cut in the middle of its compressed stream (an interrupted download)."""
    body = "".join(f"2026-10-02T00:00:{i % 60:02d}Z,gpt-4o,{i},1\n" for i in range(rows))
    data = gzip.compress((HEADER + body).encode())
    path.write_bytes(data[: len(data) // 2])
    return path


def broken_folder(tmp_path: Path) -> Path:
    """Two good logs (3 + 2 calls), a truncated .gz, binary bytes named .csv, an empty file and
    a README: 2 load, 2 fail, 2 are no call logs."""
    folder = tmp_path / "logs"
    folder.mkdir()
    good_csv(folder / "calls-01.csv", 3)
    good_csv(folder / "calls-02.csv", 2, first_input=5000)
    cut_gzip(folder / "calls-07.csv.gz")
    (folder / "calls-08.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (folder / "empty.csv").write_text("")
    (folder / "README.md").write_text("# exports\n")
    return folder


def llmcost(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """llmcost with stdout and stderr piped (as a script runs it)."""
    return subprocess.run([sys.executable, "-m", "llmcost", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "100", **(env or {})}, cwd=cwd, timeout=300)


def test_a_folder_with_broken_files_loads_the_others_names_them_and_exits_1(cli, tmp_path):
    folder = broken_folder(tmp_path)
    r = cli("ingest", str(folder))
    assert r.exit_code == 1, r.stdout + r.stderr
    out = r.stdout
    assert "2 files loaded, 2 failed in " in out
    assert "calls-07.csv.gz — cannot be read as CSV: the gzip data ends early or is damaged" in out
    assert "calls-08.csv — holds binary data, not a text log" in out
    # not call logs: named, but no failure
    assert "2 files left alone (not read as call logs)" in out
    assert "empty.csv — empty file" in out and "README.md — not a log file name (.md)" in out
    assert "Traceback" not in r.stdout + r.stderr
    # the good files are stored whole: 3 + 2 = 5 calls, input 1000+1001+1002 + 5000+5001 = 13,004
    doc = cli("analyze", "--format", "json").json()
    assert doc["totals"]["calls"] == 5
    assert doc["totals"]["input_tokens"] == 13_004

    doc = cli("ingest", str(folder), "--format", "json").json()
    failed = {Path(x["file"]).name: x["reason"] for x in doc["ingest"]["failed"]}
    assert set(failed) == {"calls-07.csv.gz", "calls-08.csv"}
    assert "gzip data ends early" in failed["calls-07.csv.gz"]
    assert {Path(x["file"]).name for x in doc["ingest"]["not_call_logs"]} == {"empty.csv", "README.md"}
    # read again, the two good files are already stored: still named, still exit 1
    assert [f["status"] for f in doc["ingest"]["files"]] == ["unchanged", "unchanged"]


def test_files_that_are_no_call_logs_do_not_fail_the_run(cli, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    good_csv(folder / "a.csv", 2)
    (folder / "empty.jsonl").write_text("")
    (folder / "notes.md").write_text("notes\n")
    r = cli("ingest", str(folder))
    assert r.exit_code == 0, r.stdout
    assert "failed" not in r.stdout and "2 files left alone" in r.stdout
    assert cli("ingest", str(folder), "--format", "json").json()["ingest"]["failed"] == []


def test_a_shell_glob_of_named_files_skips_the_broken_one(cli, tmp_path):
    """`llmcost ingest logs/*.csv*` reaches llmcost as several named files: one corrupt file
    fails alone. A single named file that is broken stays the run's one clear error."""
    a = good_csv(tmp_path / "a.csv", 4)
    cut = cut_gzip(tmp_path / "b.csv.gz")
    r = cli("ingest", str(a), str(cut))
    assert r.exit_code == 1
    assert re.search(r"1 file loaded, 1 failed: \S*b\.csv\.gz — cannot be read as CSV: the gzip data", r.stdout)
    assert cli("analyze", "--format", "json").json()["totals"]["calls"] == 4
    alone = cli("ingest", str(cut))
    assert alone.exit_code == 1 and alone.stderr.startswith("Error: ") and "gzip data ends early" in alone.stderr


def test_analyze_recommend_simulate_report_print_what_loaded_and_exit_1(cli, tmp_path):
    folder = broken_folder(tmp_path)
    # input 13,004 tokens at $2.50/M + output 5 × 100 at $10/M = 0.03251 + 0.005 = 0.03751
    r = cli("analyze", str(folder), "--format", "json")
    assert r.exit_code == 1
    doc = r.json()
    assert doc["totals"]["calls"] == 5
    assert doc["totals"]["cost_usd"] == pytest.approx(0.03751, abs=1e-12)
    assert {Path(x["file"]).name for x in doc["ingest"]["failed"]} == {"calls-07.csv.gz", "calls-08.csv"}
    assert "Warning: 2 files loaded, 2 failed in " in r.stderr and "calls-07.csv.gz —" in r.stderr
    # as a table, analyze lists the failed files in its output: named once, not again on stderr
    table = cli("analyze", str(folder))
    assert table.exit_code == 1 and "calls-07.csv.gz —" in table.stdout and "calls-07.csv.gz" not in table.stderr

    rec = cli("recommend", str(folder), "--format", "json")
    assert rec.exit_code == 1 and "calls-08.csv — holds binary data" in rec.stderr
    assert rec.json()["baseline"]["cost_usd"] == pytest.approx(0.03751, abs=1e-12)
    sim = cli("simulate", str(folder), "--cap-output", "50")
    assert sim.exit_code == 1 and "calls-07.csv.gz —" in sim.stderr
    out = tmp_path / "r.json"
    rep = cli("report", str(folder), "-o", str(out))
    assert rep.exit_code == 1 and rep.stdout.startswith(f"Wrote {out}")
    doc = json.loads(out.read_text())
    assert doc["headline"]["calls"] == 5
    # the report itself names the files it could not load, with why (not only the terminal)
    assert {Path(x["file"]).name for x in doc["files_failed"]} == {"calls-07.csv.gz", "calls-08.csv"}
    md = tmp_path / "r.md"
    assert cli("report", str(folder), "-o", str(md)).exit_code == 1
    assert "2 files this run could not load" in md.read_text() and "calls-08.csv — holds binary data" in md.read_text()
    html = tmp_path / "r.html"
    assert cli("report", str(folder), "-o", str(html)).exit_code == 1
    assert "2 files this run could not load" in html.read_text() and "calls-07.csv.gz" in html.read_text()


def test_an_unreadable_file_fails_alone(tmp_path, store, monkeypatch):
    """No permission to read one file. The tests run as root, who reads anything: the refusal
    is made by hand where llmcost first opens the file (hashing it)."""
    import llmcost.ingest.load as loader

    folder = tmp_path / "logs"
    folder.mkdir()
    good_csv(folder / "a.csv", 2)
    locked = good_csv(folder / "locked.csv", 3)
    real_hash = loader.content_hash

    def refuse(path: Path) -> str:
        if path.name == "locked.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real_hash(path)

    monkeypatch.setattr(loader, "content_hash", refuse)
    r = ingest_files(store, [str(folder)], IngestOptions())
    assert [Path(f.file).name for f in r.files] == ["a.csv"]
    assert [(Path(f.file).name, f.reason) for f in r.failed] == [("locked.csv", "cannot be read: permission denied")]
    assert locked.exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_a_chmod_000_file_fails_alone(cli, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    good_csv(folder / "a.csv", 2)
    locked = good_csv(folder / "locked.csv", 3)
    locked.chmod(0)
    try:
        r = cli("ingest", str(folder))
    finally:
        locked.chmod(0o644)
    assert r.exit_code == 1 and "locked.csv — cannot be read: permission denied" in r.stdout


def test_a_file_that_vanishes_after_listing_fails_alone(tmp_path, store, monkeypatch):
    import llmcost.ingest.load as loader

    folder = tmp_path / "logs"
    folder.mkdir()
    good_csv(folder / "a.csv", 2)
    good_csv(folder / "b.csv", 3)
    real_expand = loader.expand_paths

    def expand_then_remove(*args, **kwargs):
        found = real_expand(*args, **kwargs)
        (folder / "b.csv").unlink()  # removed by another program between listing and reading
        return found

    monkeypatch.setattr(loader, "expand_paths", expand_then_remove)
    r = ingest_files(store, [str(folder)], IngestOptions())
    assert [Path(f.file).name for f in r.files] == ["a.csv"]
    [gone] = r.failed
    assert Path(gone.file).name == "b.csv" and gone.reason.startswith("is gone: it was removed or renamed")


def test_a_file_that_vanishes_while_others_load_fails_alone(tmp_path, store, monkeypatch):
    """Gone after it was sampled and planned, before its turn to load: the load fails for that
    file only, and what loaded before and after it is kept (2 + 4 calls)."""
    import llmcost.ingest.load as loader

    folder = tmp_path / "logs"
    folder.mkdir()
    good_csv(folder / "a.csv", 2)
    good_csv(folder / "b.csv", 3)
    good_csv(folder / "c.csv", 4, first_input=7000)
    real_plan = loader.plan_files

    def plan_then_remove(*args, **kwargs):
        plan = real_plan(*args, **kwargs)
        (folder / "b.csv").unlink()
        return plan

    monkeypatch.setattr(loader, "plan_files", plan_then_remove)
    r = ingest_files(store, [str(folder)], IngestOptions())
    assert [Path(f.file).name for f in r.files] == ["a.csv", "c.csv"]
    assert [Path(f.file).name for f in r.failed] == ["b.csv"]
    assert store.query("SELECT count(*) FROM calls")[0][0] == 6


def test_many_files_print_a_total_and_only_the_files_with_something_to_say(cli, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    for i in range(12):
        good_csv(folder / f"day-{i:02d}.csv", 2, first_input=1000 * (i + 1))
    # one file with a record that is no call: a token count that is not a number
    (folder / "day-12.csv").write_text(HEADER + "2026-10-02T00:00:00Z,gpt-4o,lots,1\n"
                                       "2026-10-02T00:01:00Z,gpt-4o,10,1\n")
    out = cli("ingest", str(folder)).stdout
    # 13 files: 12 × 2 + 2 = 26 rows read, 25 loaded, 1 rejected
    assert "Total: 13 files · 26 rows read · 25 loaded · 1 rejected · 0 duplicate · 0 skipped" in out
    assert out.count("Ingested ") == 1 and "day-12.csv" in out
    assert "day-03.csv" not in out
    # a few files: a line each
    few = cli("ingest", *[str(folder / f"day-{i:02d}.csv") for i in range(3)]).stdout
    assert few.count("Already stored ") == 3


# ---------------------------------------------------------------------------------------------
# feedback on long work: on a terminal only

PROGRESS = re.compile(r"\d+/\d+ files|reading \S+ …|pricing [\d,]+ calls…|judging routes|simulating|"
                      r"writing (HTML|JSON|Markdown)")


@pytest.mark.slow
def test_ingest_shows_one_progress_display_on_a_terminal_and_none_when_piped(tmp_path):
    from tests.pty_session import PtySession

    folder = tmp_path / "logs"
    folder.mkdir()
    for i in range(15):
        good_csv(folder / f"day-{i:02d}.csv", 3, first_input=100 * i)
    run = PtySession("ingest", str(folder), "--db", str(tmp_path / "a.duckdb"))
    assert run.finish() == 0
    screen = run.text
    # one display across the files (files done / total, rows so far), not a line per file
    assert re.search(r"15/15 files · 45 rows", screen), screen
    assert "reading day-14.csv …" in screen
    assert "\x1b[2K" in run.raw  # the display is erased when done (transient)
    assert "Total: 15 files · 45 rows read · 45 loaded" in screen
    # piped, with --quiet, or as JSON: no progress text at all
    piped = llmcost("ingest", str(folder), "--db", str(tmp_path / "b.duckdb"))
    assert piped.returncode == 0 and not PROGRESS.search(piped.stdout + piped.stderr), piped.stderr
    quiet = PtySession("ingest", str(folder), "--db", str(tmp_path / "c.duckdb"), "--quiet")
    assert quiet.finish() == 0 and not PROGRESS.search(quiet.text), quiet.text
    as_json = PtySession("ingest", str(folder), "--db", str(tmp_path / "d.duckdb"), "--format", "json")
    assert as_json.finish() == 0 and not PROGRESS.search(as_json.text)
    assert json.loads(as_json.text)["ingest"]["rows_read"] == 45


@pytest.mark.slow
def test_recommend_and_report_name_their_steps_on_a_terminal_only(tmp_path):
    from tests.pty_session import PtySession

    log = good_csv(tmp_path / "calls.csv", 40)
    db = str(tmp_path / "s.duckdb")
    run = PtySession("recommend", str(log), "--db", db)
    assert run.finish() == 0
    screen = run.text
    for step in ("pricing 40 calls…", "judging routes and levers for 40 calls…", "stacking the plan…"):
        assert step in screen, (step, screen)
    report = PtySession("report", "--db", db, "-o", str(tmp_path / "r.html"))
    assert report.finish() == 0
    assert "writing HTML report…" in report.text and "Wrote " in report.text
    sim = PtySession("simulate", "--db", db, "--cap-output", "50")
    assert sim.finish() == 0 and "simulating cap output…" in sim.text
    for args in (("recommend", "--db", db), ("report", "--db", db, "-o", str(tmp_path / "p.html")),
                 ("simulate", "--db", db, "--cap-output", "50")):
        piped = llmcost(*args)
        assert piped.returncode == 0 and not PROGRESS.search(piped.stderr), (args, piped.stderr)
        assert not PROGRESS.search(piped.stdout)
    quiet = PtySession("recommend", "--db", db, "--quiet")
    assert quiet.finish() == 0 and not PROGRESS.search(quiet.text)
