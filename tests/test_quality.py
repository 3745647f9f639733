"""Quality evidence (issue 14 part 2): an eval file, per request or per task, gives a route its
quality before and after with a 95 % interval, and a confidence saying how the figure was made.

Log: tests/data/levers/mixed.csv (prices as in test_levers: Sonnet 4.5 3/15 $/MTok, Haiku 4.5
1/5). `--route classify=haiku` moves s1..s3 (Sonnet, 4000 in / 10 out) to claude-haiku-4-5 and
saves 3 × 8100 µ$; m1 (OpenAI) has no Haiku and stays. Interval values below are the textbook
95 % Wilson intervals (z = 1.96), worked out by hand:
  centre = (p + z²/2n) / (1 + z²/n),  half = z √(p(1−p)/n + z²/4n²) / (1 + z²/n).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DATA

MIXED = str(DATA / "levers" / "mixed.csv")


def close(a: float | None, b: float, tol: float = 1e-9) -> bool:
    return a is not None and abs(a - b) < tol


def route(cli, *args: str) -> dict:
    r = cli("simulate", MIXED, "--route", "classify=haiku", "--format", "json", *args)
    assert r.exit_code == 0, r.stderr
    return r.json()["levers"][0]


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_per_request_scores_measure_the_route_with_a_wilson_interval(cli, tmp_path: Path):
    ev = write(tmp_path, "ev.csv", "call_id,model,score\n"
               "s1,claude-sonnet-4-5,1\ns2,claude-sonnet-4-5,1\ns3,claude-sonnet-4-5,1\n"
               "s1,claude-haiku-4-5,1\ns2,claude-haiku-4-5,0\ns3,claude-haiku-4-5,1\n")
    lv = route(cli, "--eval", ev)
    assert close(lv["savings_usd"], 3 * 8100e-6)  # quality never changes the money
    # every moved call (s1..s3) has a score on both models: measured; 3/3 before, 2/3 after
    assert lv["confidence"] == "measured" and lv["quality_confidence"] == "measured"
    assert close(lv["quality_before"], 1.0) and close(lv["quality_after"], 2 / 3)
    # Wilson 2/3, n = 3: z²/n = 1.28049; centre = (0.66667 + 0.64024) / 2.28049 = 0.57309;
    # half = 1.96 √(0.074074 + 0.106710) / 2.28049 = 0.36543 -> [0.2077, 0.9385]
    low, high = lv["quality_after_ci95"]
    assert close(low, 0.2077, 1e-4) and close(high, 0.9385, 1e-4)
    assert "Wilson" in lv["quality_interval"] and "n = 3" in lv["quality_interval"]
    assert lv["quality_by_task_type"]["classify"]["quality_after"] == pytest.approx(2 / 3)
    assert any("100.0 %" in a and "66.7 %" in a and "measured" in a for a in lv["assumptions"])
    assert not any("NOT measured" in a for a in lv["assumptions"])  # the warning gives way to figures


def test_per_task_samples_estimate_the_route(cli, tmp_path: Path):
    ev = write(tmp_path, "ev.csv", "task_type,model,score,n\n"
               "classify,claude-sonnet-4-5,0.9,100\nclassify,claude-haiku-4-5,0.8,100\n")
    lv = route(cli, "--eval", ev)
    assert lv["confidence"] == "estimated"
    assert close(lv["quality_before"], 0.9) and close(lv["quality_after"], 0.8)
    # Wilson 0.8, n = 100: z²/n = 0.038415; centre = (0.8 + 0.019207) / 1.038415 = 0.78891;
    # half = 1.96 √(0.0016 + 0.00000960) / 1.038415 = 0.07574 -> [0.7112, 0.8666]
    low, high = lv["quality_after_ci95"]
    assert close(low, 0.7112, 1e-4) and close(high, 0.8666, 1e-4)


def test_graded_scores_use_the_normal_interval_with_the_sample_deviation(cli, tmp_path: Path):
    ev = write(tmp_path, "ev.jsonl",  # JSON Lines reads like the CSV
               "\n".join(f'{{"call_id": "{c}", "model": "{m}", "score": {v}}}' for c, m, v in (
                   ("s1", "claude-sonnet-4-5", "0.9"), ("s2", "claude-sonnet-4-5", "0.9"),
                   ("s3", "claude-sonnet-4-5", "0.9"), ("s1", "claude-haiku-4-5", "0.5"),
                   ("s2", "claude-haiku-4-5", "0.7"), ("s3", "claude-haiku-4-5", "0.9"))) + "\n")
    lv = route(cli, "--eval", ev)
    # after: mean 0.7, sample sd 0.2, n = 3: 0.7 ± 1.96 × 0.2 / √3 = 0.7 ± 0.22632
    assert close(lv["quality_after"], 0.7)
    low, high = lv["quality_after_ci95"]
    assert close(low, 0.47368, 1e-4) and close(high, 0.92632, 1e-4)
    assert "normal" in lv["quality_interval"]


def test_without_a_score_on_the_target_quality_is_unknown_not_zero(cli, tmp_path: Path):
    ev = write(tmp_path, "ev.csv", "task_type,model,score,n\nclassify,claude-sonnet-4-5,0.9,100\n")
    lv = route(cli, "--eval", ev)
    assert lv["confidence"] == "assumed" and lv["quality_after"] is None and lv["quality_before"] is None
    assert any("quality not known for 3 calls" in a and "claude-haiku-4-5" in a for a in lv["assumptions"])


def test_the_logs_quality_column_is_task_evidence(cli, tmp_path: Path):
    log = write(tmp_path, "q.csv", "call_id,ts,model,task_type,input_tokens,output_tokens,quality\n"
                "q1,2026-10-01T09:00:00Z,claude-sonnet-4-5,classify,4000,10,1\n"
                "q2,2026-10-01T09:10:00Z,claude-sonnet-4-5,classify,4000,10,0\n")
    ev = write(tmp_path, "ev.csv", "task_type,model,score,n\nclassify,claude-haiku-4-5,0.8,100\n")
    r = cli("simulate", log, "--route", "classify=haiku", "--eval", ev, "--format", "json")
    lv = r.json()["levers"][0]
    # before: the log's quality of the Sonnet calls, (1 + 0) / 2; after: the eval's Haiku sample
    assert lv["confidence"] == "estimated"
    assert close(lv["quality_before"], 0.5) and close(lv["quality_after"], 0.8)


def test_recommend_does_not_route_below_the_floor_and_says_why(cli, tmp_path: Path):
    write(tmp_path, "evals.csv", "task_type,model,score,n\nclassify,claude-haiku-4-5,0.71,200\n")
    cfg = write(tmp_path, "llmcost.yaml", "tasks:\n  classify: {quality_floor: 0.9}\nquality_eval: evals.csv\n")
    d = cli("recommend", MIXED, "--config", cfg, "--format", "json").json()
    assert "route" not in {x["lever"] for x in d["recommendations"]}
    assert any("quality below its floor" in r and "claude-haiku-4-5 scores 0.71" in r and "0.9" in r
               and "n = 200" in r for r in d["rules"])
    # --eval gives the same file without a config
    d2 = cli("recommend", MIXED, "--eval", str(tmp_path / "evals.csv"), "--format", "json").json()
    route_rec = next(x for x in d2["recommendations"] if x["lever"] == "route")
    assert any("claude-haiku-4-5 0.71 (n = 200)" in a for a in route_rec["assumptions"])


# -------------------------------------------------------------------------- a bad eval file

BAD_EVALS = [
    ("missing-score", "ev.csv", "call_id,model\ns1,claude-haiku-4-5\n", ("no column score",)),
    ("no-key", "ev.csv", "model,score\nclaude-haiku-4-5,1\n", ("no column prompt_hash (or call_id",)),
    ("score-above-1", "ev.csv", "call_id,model,score\ns1,claude-haiku-4-5,1\ns2,claude-haiku-4-5,1.5\n",
     ("line 3", "'1.5'", "from 0 to 1")),
    ("score-negative-jsonl", "ev.jsonl", '{"call_id": "s1", "model": "m", "score": 1}\n\n'
     '{"call_id": "s2", "model": "m", "score": -0.1}\n', ("line 3", "'-0.1'")),
    ("bad-json", "ev.jsonl", '{"call_id": "s1", "model": "m", "score": 1}\n{"call_id": \n', ("line 2", "JSON")),
    ("not-csv-or-jsonl", "ev.txt", "scores are in the wiki\n", ("neither CSV", "JSON Lines")),
    ("too-many-fields", "ev.csv", "call_id,model,score\ns1,m,1,extra\n", ("line 2", "4 fields")),
    ("n-not-whole", "ev.csv", "task_type,model,score,n\nclassify,m,0.5,2.5\n", ("line 2", "'2.5'", "whole")),
    ("no-rows", "ev.csv", "task_type,model,score\n", ("no rows",)),
    ("no-such-file", None, "", ("no such file",)),
]


@pytest.mark.parametrize(("name", "text", "phrases"), [(n, t, p) for _, n, t, p in BAD_EVALS],
                         ids=[i for i, *_ in BAD_EVALS])
def test_a_bad_eval_file_is_one_clear_paragraph_naming_file_and_line(cli, tmp_path: Path, name: str | None,
                                                                    text: str, phrases: tuple[str, ...]):
    path = write(tmp_path, name, text) if name else str(tmp_path / "missing.csv")
    r = cli("simulate", MIXED, "--route", "classify=haiku", "--eval", path)
    assert r.exit_code == 1, (r.exit_code, r.stderr)
    lines = r.stderr.rstrip("\n").split("\n")
    assert lines[0].startswith("Error: --eval ") and Path(path).name in lines[0], r.stderr
    assert len(lines) == 2 and lines[1].startswith("  "), r.stderr
    for phrase in phrases:
        assert phrase in r.stderr, (phrase, r.stderr)
    assert "Traceback" not in r.stderr
