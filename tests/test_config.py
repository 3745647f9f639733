"""llmcost.yaml task policies change what `recommend` does (mixed.csv, prices as in test_levers)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import DATA

MIXED = str(DATA / "levers" / "mixed.csv")


def rec(cli, *args: str) -> dict:
    r = cli("recommend", MIXED, "--format", "json", *args)
    assert r.exit_code == 0, r.stderr
    return r.json()


def levers(doc: dict) -> dict[str, dict]:
    return {x["lever"]: x for x in doc["recommendations"]}


def test_without_config_simple_tasks_route_and_nothing_is_batched(cli):
    d = rec(cli)
    # classify looks simple: s1..s3 Sonnet -> Haiku saves 3 * 8100 µ$; m1 (gpt-4o-mini) has no
    # cheaper "mini" in the book, so it stays
    assert abs(levers(d)["route"]["savings_usd"] - 24300e-6) < 1e-9
    assert "batch" not in levers(d)  # summarize runs once a day at noon, 3 calls: no burst rule
    assert any("batch" in s for s in d["not_evaluated"])


def test_config_batchable_routes_and_trim(cli, tmp_path: Path):
    cfg = tmp_path / "llmcost.yaml"
    cfg.write_text("tasks:\n"
                   "  summarize: {batchable: true, trim_prompt: 0.25}\n"
                   "  classify: {routes: []}\n")
    d = rec(cli, "--config", str(cfg))
    lv = levers(d)
    assert "route" not in lv  # routes: [] forbids it
    # batch: s4 16500 + s5 22500 + s6 30000 at half price -> 34500 µ$ (d1: DeepSeek, no batch tier)
    assert abs(lv["batch"]["savings_usd"] - 34500e-6) < 1e-9
    assert lv["batch"]["confidence"] == "measured"
    # trim 25 % of the 2000-token prefix on s4..s6 only: 3 * 500 * 3 = 4500 µ$
    assert abs(lv["trim_prompt"]["savings_usd"] - 4500e-6) < 1e-9
    assert lv["trim_prompt"]["confidence"] == "assumed"


def test_interactive_task_is_never_batched(cli, tmp_path: Path):
    cfg = tmp_path / "llmcost.yaml"
    cfg.write_text("tasks:\n  summarize: {batchable: true, interactive: true}\n")
    assert "batch" not in levers(rec(cli, "--config", str(cfg)))


def test_quality_floor_from_an_eval_file_blocks_routing(cli, tmp_path: Path):
    (tmp_path / "evals.csv").write_text("task_type,model,score\nclassify,claude-haiku-4-5,0.71\n"
                                        "classify,claude-sonnet-4-5,0.93\n")
    cfg = tmp_path / "llmcost.yaml"
    cfg.write_text("tasks:\n  classify: {quality_floor: 0.9}\nquality_eval: evals.csv\n")
    d = rec(cli, "--config", str(cfg))
    assert "route" not in levers(d)
    assert any("quality below its floor" in r for r in d["rules"])


def test_measured_quality_is_reported_instead_of_a_warning(cli, tmp_path: Path):
    (tmp_path / "evals.csv").write_text("task_type,model,score\nclassify,claude-haiku-4-5,0.95\n")
    cfg = tmp_path / "llmcost.yaml"
    cfg.write_text("tasks:\n  classify: {quality_floor: 0.9}\nquality_eval: evals.csv\n")
    route = levers(rec(cli, "--config", str(cfg)))["route"]
    assert any("quality evidence" in a and "claude-haiku-4-5 0.95" in a for a in route["assumptions"])
    assert not any("NOT measured" in a for a in route["assumptions"])


def test_bad_config_is_a_clear_error(cli, tmp_path: Path):
    cfg = tmp_path / "llmcost.yaml"
    cfg.write_text("tasks:\n  summarize: {batchabel: true}\n")
    r = cli("recommend", MIXED, "--config", str(cfg))
    assert r.exit_code == 2 and "batchabel" in r.stderr and "Traceback" not in r.stderr
