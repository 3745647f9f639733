"""`llmcost init`: a commented llmcost.yaml drafted from the store's task types and traffic
(issue 15 point 9). The calls below are written by hand; every figure in the expected comments
is worked out here from the list prices (gpt-4o $2.50 / $10 per million input / output tokens,
Claude Sonnet 4.5 $3 / $15)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from llmcost.cli import app
from llmcost.config import TaskPolicy, load_config

CALLS = """call_id,ts,model,task_type,input_tokens,output_tokens
a1,2026-10-05T09:00:00Z,gpt-4o,classify,1000,10
a2,2026-10-05T10:00:00Z,gpt-4o,classify,3000,30
b1,2026-10-05T09:00:00Z,claude-sonnet-4-5,summarize,2000,100
b2,2026-10-05T09:30:00Z,claude-sonnet-4-5,summarize,2000,300
c1,2026-10-06T09:00:00Z,claude-sonnet-4-5,yes,1000,2000
d1,2026-10-06T09:00:00Z,claude-sonnet-4-5,"weird: name #1",100,100
e1,2026-10-06T10:00:00Z,claude-sonnet-4-5,,500,5
f1,2026-10-07T09:00:00Z,acme-secret-7b,mystery,100,100
"""
# cost per task (input × price + output × price):
#   classify  gpt-4o: a1 1000×2.5e-6 + 10×10e-6 = 0.0026; a2 3000×2.5e-6 + 30×10e-6 = 0.0078 → $0.0104
#   summarize sonnet: b1 2000×3e-6 + 100×15e-6 = 0.0075;  b2 0.006 + 300×15e-6 = 0.0105    → $0.018
#   yes       sonnet: 1000×3e-6 + 2000×15e-6 = 0.003 + 0.03                                  → $0.033
#   weird     sonnet: 100×3e-6 + 100×15e-6 = 0.0003 + 0.0015                                → $0.0018
#   (no task) sonnet: 500×3e-6 + 5×15e-6 = 0.0015 + 0.000075                                 → $0.001575
#   mystery: acme-secret-7b is in no price book → unpriced
# all priced: 0.0104 + 0.018 + 0.033 + 0.0018 + 0.001575 = 0.064775
# shares: yes 0.033/0.064775 = 50.9 %; summarize 27.8 %; classify 16.1 %; weird 2.8 %


def run(tmp: Path, *args: str) -> object:
    r = CliRunner().invoke(app, list(args), env={"LLMCOST_DB": str(tmp / "store.duckdb"), "COLUMNS": "100"})
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "calls.csv").write_text(CALLS, encoding="utf-8")
    assert run(tmp_path, "ingest", "calls.csv").exit_code == 0
    return tmp_path


def test_one_entry_per_task_type_with_its_traffic_and_nothing_switched_on(folder: Path):
    r = run(folder, "init")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Wrote llmcost.yaml: 5 task types from 8 calls, every setting commented out.")
    text = (folder / "llmcost.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    # costliest first; the unpriced task last; `yes` (a YAML boolean) and `weird: name #1` quoted
    keys = [line for line in lines if line.startswith("  ") and not line.startswith("   ")]
    assert keys == ['  "yes":', "  summarize:", "  classify:", '  "weird: name #1":', "  mystery:"]
    at = {line: i for i, line in enumerate(lines)}
    assert lines[at['  "yes":'] + 1] == ("    # 1 call · $0.03 (51 % of the cost) · avg 1,000 input / 2,000 "
                                          "output tokens")
    # (2000 + 2000) / 2 = 2,000 input; (100 + 300) / 2 = 200 output, also the median: under 250
    assert lines[at["  summarize:"] + 1: at["  summarize:"] + 4] == [
        "    # 2 calls · $0.02 (28 % of the cost) · avg 2,000 input / 200 output tokens",
        "    # on claude-sonnet-4-5",
        "    # recommend may route it (short summaries: median output 200 tokens); routes: [] forbids it"]
    # (1000 + 3000) / 2 = 2,000 input, (10 + 30) / 2 = 20 output; a simple task by its name
    assert lines[at["  classify:"] + 1: at["  classify:"] + 5] == [
        "    # 2 calls · $0.01 (16 % of the cost) · avg 2,000 input / 20 output tokens",
        "    # on gpt-4o",
        "    # recommend may route it (a simple task by its name); routes: [] forbids it",
        "    # routes: [mini]"]
    assert lines[at["  mystery:"] + 1] == "    # 1 call · unpriced · avg 100 input / 100 output tokens"
    assert "# Calls in scope without a task type: 1 (llmcost.yaml cannot set policies for them)." in lines
    assert "# the store " in text and str(folder) not in text  # the store as named, never an absolute path
    # valid for the loader recommend uses, and every policy left to the built-in rules
    cfg = load_config("llmcost.yaml")
    assert set(cfg.tasks) == {"yes", "summarize", "classify", "weird: name #1", "mystery"}
    assert all(policy == TaskPolicy() for policy in cfg.tasks.values())
    r = run(folder, "recommend", "--format", "json")
    assert r.exit_code == 0, r.stderr


def test_uncommented_examples_are_valid_settings(folder: Path):
    """A user uncomments the example lines of one task: the file stays valid and says it."""
    assert run(folder, "init").exit_code == 0
    lines = (folder / "llmcost.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("  classify:")
    for i in range(start + 1, start + 8):
        for setting in ("# routes:", "# quality_floor:", "# batchable:"):
            if lines[i].startswith("    " + setting):
                lines[i] = lines[i].replace("# ", "", 1)
    (folder / "llmcost.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    policy = load_config("llmcost.yaml").tasks["classify"]
    assert (policy.routes, policy.quality_floor, policy.batchable) == (["mini"], 0.9, True)


def test_an_existing_file_is_kept_without_force(folder: Path):
    (folder / "llmcost.yaml").write_text("tasks:\n  classify:\n    routes: []\n", encoding="utf-8")
    r = run(folder, "init")
    assert r.exit_code == 2
    assert "llmcost.yaml already exists; nothing was written." in r.stderr and "--force" in r.stderr
    assert (folder / "llmcost.yaml").read_text(encoding="utf-8") == "tasks:\n  classify:\n    routes: []\n"
    assert run(folder, "init", "--force").exit_code == 0
    assert "  summarize:" in (folder / "llmcost.yaml").read_text(encoding="utf-8")


def test_dash_prints_the_draft_and_writes_nothing(folder: Path):
    r = run(folder, "init", "-o", "-", "--since", "2026-10-06")
    assert r.exit_code == 0
    doc = yaml.safe_load(r.stdout)
    # since 2026-10-06: c1 (yes), d1 (weird), e1 (no task), f1 (mystery)
    assert list(doc["tasks"]) == ["yes", "weird: name #1", "mystery"]
    assert "3 calls" not in r.stdout and ": 4 calls, 2026-10-06 to 2026-10-07." in r.stdout
    assert not (folder / "llmcost.yaml").exists()


def test_an_empty_store_is_said_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    r = run(tmp_path, "init")
    assert r.exit_code == 1
    assert "holds no calls yet" in r.stderr and "Load log files first" in r.stderr
    assert not (tmp_path / "llmcost.yaml").exists()
