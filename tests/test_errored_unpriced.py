"""Errored calls in plain sight, nothing priced is not $0, and every file a run leaves alone is
named with its reason (issue 12, items 5, 7 and the output side of 2), in every output format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

HEADER = "ts,model,input_tokens,output_tokens,status"


def bedrock_like(folder: Path) -> Path:
    """6 answered calls and 23 throttled ones of claude-sonnet-4-5 (two of the errors logged the
    400 input tokens of the request, not billed)."""
    rows = [HEADER]
    # ok calls: input 1000, 1100 … 1500 (sum 7,500, average 1,250); output 200 … 250 (sum 1,350,
    # average 225)
    for i in range(6):
        rows.append(f"2026-10-01T0{i}:00:00Z,claude-sonnet-4-5,{1000 + 100 * i},{200 + 10 * i},ok")
    for i in range(23):
        tokens = 400 if i < 2 else 0
        rows.append(f"2026-10-01T0{i % 10}:{10 + i}:00Z,claude-sonnet-4-5,{tokens},0,ThrottlingException")
    path = folder / "bedrock.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def unknown_model(folder: Path) -> Path:
    """9 calls of a model no price book knows."""
    rows = [HEADER] + [f"2026-10-0{i + 1}T00:00:00Z,qwen3.5:27b,{500 + i},{50 + i},ok" for i in range(9)]
    path = folder / "qwen.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def run80(tmp_path: Path, *args: str, columns: int = 80) -> str:
    """The command as a person sees it piped at COLUMNS=80: no line wider than the terminal."""
    from llmcost.cli import app

    r = CliRunner().invoke(app, list(args), env={"LLMCOST_DB": str(tmp_path / "store80.duckdb"),
                                                  "COLUMNS": str(columns)})
    assert r.exit_code == 0, r.output
    for line in r.stdout.splitlines():
        assert len(line.rstrip()) <= columns, line
    return r.stdout


# --- item 5: errored calls ------------------------------------------------------------------------

# Sonnet 4.5: $3 / MTok in, $15 / MTok out; errored calls are not billed.
# 7,500 × 3 + 1,350 × 15 = 22,500 + 20,250 = 42,750 µ$ = $0.04275, over 6 billed calls = $0.007125
COST = 0.04275


def test_errored_calls_in_the_terminal(cli, tmp_path):
    log = bedrock_like(tmp_path)
    r = cli("analyze", str(log))
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "29 calls (23 errored, not billed)" in out
    assert "$0.04 in period" in out
    assert "$0.0071 / billed call" in out  # $0.007125, over the 6 billed calls, not 29
    # the breakdown: 29 calls, 23 errored; averages over the 6 billed calls (the 800 input tokens
    # logged on two errors left out): 1,250 in / 225 out, not 8,300 / 29 = 286 and 1,350 / 29 = 47
    row = next(line for line in out.splitlines() if line.strip().startswith("claude-sonnet-4-5"))
    assert row.split()[:3] == ["claude-sonnet-4-5", "29", "23"]
    assert row.rstrip().endswith("1,250 / 225")
    # at 80 columns the headline breaks between figures, never inside one
    narrow = run80(tmp_path, "analyze", str(log))
    assert "29 calls (23 errored, not billed)" in narrow


def test_errored_calls_in_json_and_markdown(cli, tmp_path):
    log = bedrock_like(tmp_path)
    doc = cli("analyze", str(log), "--format", "json").json()
    t = doc["totals"]
    assert t["calls"] == 29  # every call (DESIGN contract)
    assert t["errored_calls"] == 23 and t["error_calls"] == 23  # the old key kept
    assert t["billed_calls"] == 6
    assert t["priced_calls"] + t["unpriced_calls"] == 29
    assert t["input_tokens"] == 7500 + 800 and t["output_tokens"] == 1350
    assert t["avg_input_tokens"] == 1250 and t["avg_output_tokens"] == 225
    assert t["cost_usd"] == pytest.approx(COST, abs=1e-12)
    assert t["cost_per_call_usd"] == pytest.approx(COST / 6, abs=1e-12)
    row = doc["by_model"][0]
    assert (row["model"], row["calls"], row["errored_calls"], row["billed_calls"]) == ("claude-sonnet-4-5", 29, 23, 6)
    assert (row["avg_input_tokens"], row["avg_output_tokens"]) == (1250, 225)
    assert row["cost_per_call_usd"] == pytest.approx(COST / 6, abs=1e-12)
    day = doc["by_day"][0]
    assert (day["day"], day["errored_calls"]) == ("2026-10-01", 23)

    md = cli("analyze", str(log), "--format", "markdown").stdout
    assert "29 calls (23 errored, not billed)" in md
    assert "Per billed call: $0.0071; avg in / out tokens 1,250 / 225" in md
    assert "| claude-sonnet-4-5 | 29 | 23 | $0.04 | 100.0 % | 8,300 | 1,350 | 1,250 / 225 |" in md


def test_errored_calls_in_the_report(cli, tmp_path):
    log = bedrock_like(tmp_path)
    for name in ("r.md", "r.json", "r.html"):
        r = cli("report", str(log), "-o", str(tmp_path / name))
        assert r.exit_code == 0, r.stderr
        assert "29 calls (23 errored, not billed)" in r.stdout
    assert "29 calls (23 errored, not billed)" in (tmp_path / "r.md").read_text()
    assert "29 calls (23 errored, not billed)" in (tmp_path / "r.html").read_text()
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["headline"]["calls"] == 29 and doc["headline"]["errored_calls"] == 23
    assert doc["analyze"]["totals"]["billed_calls"] == 6


# --- item 7: nothing priced is not $0 ---------------------------------------------------------------

def test_nothing_priced_is_not_zero(cli, tmp_path):
    log = unknown_model(tmp_path)
    out = cli("analyze", str(log)).stdout
    assert "unpriced: 9 calls of qwen3.5:27b — add prices with --pricing" in out
    assert "$0.00" not in out and "$0 " not in out
    narrow = run80(tmp_path, "analyze", str(log))
    assert "unpriced: 9 calls of qwen3.5:27b — add prices with --pricing" in narrow
    assert "$0.00" not in narrow

    doc = cli("analyze", str(log), "--format", "json").json()
    t = doc["totals"]
    # the spend is unknown: null, not 0 (a number again as soon as one call is priced)
    assert (t["calls"], t["priced_calls"], t["unpriced_calls"]) == (9, 0, 9)
    assert t["nothing_priced"] is True
    assert t["cost_usd"] is None and t["monthly_usd"] is None and t["cost_per_call_usd"] is None
    assert doc["unpriced_models"] == [{"model": "qwen3.5:27b", "calls": 9, "reason": "model not in the price book",
                                     "suggestion": None}]
    assert doc["by_model"][0]["cost_usd"] is None
    # tokens are known: 500 … 508 in (average 504), 50 … 58 out (average 54)
    assert (t["avg_input_tokens"], t["avg_output_tokens"]) == (504, 54)

    md = cli("analyze", str(log), "--format", "markdown").stdout
    assert "unpriced: 9 calls of qwen3.5:27b — add prices with --pricing" in md
    assert "$0.00" not in md

    rec = cli("recommend", str(log)).stdout
    assert "unpriced: 9 calls" in rec and "$0.00" not in rec
    rdoc = cli("recommend", str(log), "--format", "json").json()
    assert rdoc["nothing_priced"] is True and rdoc["baseline"]["cost_usd"] is None


def test_nothing_priced_in_the_report(cli, tmp_path):
    log = unknown_model(tmp_path)
    r = cli("report", str(log), "-o", str(tmp_path / "r.md"))
    assert "unpriced: 9 calls of qwen3.5:27b" in r.stdout and "$0.00" not in r.stdout
    md = (tmp_path / "r.md").read_text()
    assert "| unpriced | unpriced | 9 calls | – | – |" in md
    assert "$0.00" not in md
    assert cli("report", str(log), "-o", str(tmp_path / "r.html")).exit_code == 0
    page = (tmp_path / "r.html").read_text()
    assert '<span class="warn">unpriced</span>' in page
    assert "9 calls of qwen3.5:27b — add prices with --pricing" in page
    assert 'data-figure="analyze.totals.cost_usd"' not in page  # no $0.00 headline figure
    assert cli("report", str(log), "-o", str(tmp_path / "r.json")).exit_code == 0
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["headline"]["spend_usd"] is None and doc["headline"]["monthly_usd"] is None


def test_some_calls_unpriced_the_priced_figure_stands(cli, tmp_path):
    bedrock_like(tmp_path)
    unknown_model(tmp_path)
    out = cli("analyze", str(tmp_path / "bedrock.csv"), str(tmp_path / "qwen.csv")).stdout
    # the priced spend as before ($0.04275), the 9 unpriced calls named beside it
    assert "$0.04 in period" in out
    assert "+ 9 unpriced calls of qwen3.5:27b, not in these figures" in out
    doc = cli("analyze", str(tmp_path / "bedrock.csv"), str(tmp_path / "qwen.csv"), "--format", "json").json()
    assert doc["totals"]["cost_usd"] == pytest.approx(COST, abs=1e-12)
    assert doc["totals"]["nothing_priced"] is False
    # 38 calls: 23 errored, so 15 billed; 6 of them priced
    assert doc["totals"]["billed_calls"] == 15
    assert doc["totals"]["cost_per_call_usd"] == pytest.approx(COST / 6, abs=1e-12)


# --- item 2, output side: files left alone -------------------------------------------------------

def folder_with_strays(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    bedrock_like(folder)
    (folder / "README.md").write_text("# what these logs are\n")
    (folder / "empty.jsonl").write_text("")
    return folder


def test_files_left_alone_named_with_reasons(cli, tmp_path):
    folder = folder_with_strays(tmp_path)
    out = cli("analyze", str(folder)).stdout
    assert "2 files left alone (not read as call logs)" in out
    assert "empty.jsonl — empty file" in out
    assert "README.md — not a log file name (.md)" in out
    narrow = run80(tmp_path, "analyze", str(folder))
    assert "empty.jsonl — empty file" in narrow and "README.md —" in narrow

    doc = cli("analyze", str(folder), "--format", "json").json()
    alone = {Path(x["file"]).name: x["reason"] for x in doc["ingest"]["not_call_logs"]}
    assert set(alone) == {"README.md", "empty.jsonl"}
    assert alone["empty.jsonl"] == "empty file"
    assert alone["README.md"].startswith("not a log file name (.md)")
    assert [Path(f["file"]).name for f in doc["ingest"]["files"]] == ["bedrock.csv"]

    md = cli("analyze", str(folder), "--format", "markdown").stdout
    assert "2 files left alone (not read as call logs)" in md
    assert "- empty.jsonl — empty file" in md
    assert "- README.md — not a log file name (.md)" in md


def test_files_left_alone_in_the_report(cli, tmp_path):
    folder = folder_with_strays(tmp_path)
    r = cli("report", str(folder), "-o", str(tmp_path / "r.json"))
    assert "2 files left alone" in r.stdout
    doc = json.loads((tmp_path / "r.json").read_text())
    assert {Path(x["file"]).name: x["reason"] for x in doc["files_left_alone"]}["empty.jsonl"] == "empty file"
    assert cli("report", str(folder), "-o", str(tmp_path / "r.md")).exit_code == 0
    md = (tmp_path / "r.md").read_text()
    assert "- empty.jsonl — empty file" in md and "- README.md — not a log file name (.md)" in md
    assert cli("report", str(folder), "-o", str(tmp_path / "r.html")).exit_code == 0
    page = (tmp_path / "r.html").read_text()
    assert "left alone" in page and "empty.jsonl" in page and "README.md" in page


def test_many_files_left_alone_are_grouped(tmp_path):
    folder = folder_with_strays(tmp_path)
    for i in range(1, 26):
        (folder / f"note{i}.md").write_text("notes\n")
    out = run80(tmp_path, "ingest", str(folder))
    # 27 files: 26 .md grouped under one reason, 10 names then the rest counted
    assert "27 files left alone" in out
    assert "note1.md, note2.md" in out and "and 16 more" in out
    assert "note25.md" not in out
