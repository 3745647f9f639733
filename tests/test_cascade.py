"""The cascade lever (issue 14 part 3, article 004): try the cheap model first, escalate when its
answer fails. Every figure worked out by hand (µ$ = tokens × $/MTok).

The log (written below): 4 `answer` calls a1..a4 on Claude Sonnet 4.5, 1,000 in / 100 out, and
4 `draft` calls b1..b4 on Sonnet, 2,000 in / 100 × i out (so which b-call escalates shows in the
cost), one a minute. Book prices ($/MTok): Sonnet 4.5 3 / 15; Haiku 4.5 1 / 5; Anthropic batch =
0.5 × standard.
  a-call on Sonnet: 1000×3 + 100×15 = 4,500 µ$;  on Haiku: 1000×1 + 100×5 = 1,500 µ$
  b_i on Sonnet: 6,000 + 1,500 i -> 7,500 / 9,000 / 10,500 / 12,000 (sum 39,000) µ$
  b_i on Haiku: 2,000 + 500 i -> 2,500 / 3,000 / 3,500 / 4,000 (sum 13,000) µ$
  baseline: 4 × 4,500 + 39,000 = 57,000 µ$
"""

from __future__ import annotations

from pathlib import Path

import pytest

HAIKU = "claude-haiku-4-5"
SONNET = "claude-sonnet-4-5"
BASELINE = 57000e-6


def close(a: float | None, b: float, tol: float = 1e-9) -> bool:
    return a is not None and abs(a - b) < tol


@pytest.fixture
def log(tmp_path: Path) -> str:
    rows = ["call_id,ts,model,task_type,input_tokens,output_tokens,prompt_hash"]
    for i in range(4):
        rows.append(f"a{i + 1},2026-10-01T09:0{i}:00Z,{SONNET},answer,1000,100,p{i + 1}")
    for i in range(4):
        rows.append(f"b{i + 1},2026-10-01T10:0{i}:00Z,{SONNET},draft,2000,{100 * (i + 1)},p{i + 5}")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def sim(cli, *args: str) -> dict:
    r = cli("simulate", *args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return r.json()


def test_per_request_scores_decide_each_escalation(cli, log: str, tmp_path: Path):
    ev = write(tmp_path, "ev.csv", "prompt_hash,model,score,output_tokens\n"
               f"p1,{HAIKU},1,50\np2,{HAIKU},0,\np3,{HAIKU},1,\np4,{HAIKU},0.4,\n"
               f"p1,{SONNET},1,\np2,{SONNET},1,\np3,{SONNET},0,\np4,{SONNET},1,\n")
    d = sim(cli, log, "--cascade", f"answer={HAIKU}", "--eval", ev)
    lv = d["levers"][0]
    # cheap attempts: a1 1000×1 + 50×5 (the eval's output_tokens) = 1,250; a2..a4 1,500 each -> 5,750
    # a2 (score 0) and a4 (0.4 < the pass score 0.5) escalate: + 2 × 4,500 = 9,000
    # answer: 18,000 -> 14,750, saves 3,250 µ$
    assert close(d["scenario"]["cost_usd"], BASELINE - 3250e-6)
    assert lv["lever"] == "cascade" and close(lv["savings_usd"], 3250e-6)
    assert lv["calls_affected"] == 4 and lv["escalated_calls"] == 2 and close(lv["escalated_share"], 0.5)
    assert lv["calls_by_request_score"] == 4 and lv["confidence"] == "measured"
    # quality before: Sonnet's own scores (1+1+0+1)/4 = 0.75; after (a perfect check): a1 Haiku 1,
    # a2 Sonnet 1, a3 Haiku 1, a4 Sonnet 1 -> 1.0
    assert close(lv["quality_before"], 0.75) and close(lv["quality_after"], 1.0)
    assert lv["quality_confidence"] == "measured"
    # Wilson 3/4, n = 4: z²/n = 0.96037; centre = (0.75 + 0.48018) / 1.96037 = 0.62753;
    # half = 1.96 √(0.046875 + 0.060023) / 1.96037 = 0.32689 -> [0.3006, 0.9544]; 4/4 -> [0.5101, 1]
    assert close(lv["quality_before_ci95"][0], 0.3006, 1e-4) and close(lv["quality_before_ci95"][1], 0.9544, 1e-4)
    assert close(lv["quality_after_ci95"][0], 0.5101, 1e-4) and close(lv["quality_after_ci95"][1], 1.0)
    assert lv["params"] == {"cascades": [{"scope": "answer", "cheap": HAIKU}], "pass_score": 0.5,
                            "escalate_rate": None}
    assert any("perfect check" in a for a in lv["assumptions"])


def test_a_higher_pass_score_escalates_more(cli, log: str, tmp_path: Path):
    ev = write(tmp_path, "ev.csv", "prompt_hash,model,score\n"
               f"p1,{HAIKU},1\np2,{HAIKU},0\np3,{HAIKU},0.8\np4,{HAIKU},0.4\n")
    lv = sim(cli, log, "--cascade", f"answer={HAIKU}", "--eval", ev, "--pass-score", "0.9")["levers"][0]
    # a2 (0), a3 (0.8), a4 (0.4) are below 0.9: cheap 4 × 1,500 + 3 × 4,500 = 19,500 > 18,000
    assert close(lv["savings_usd"], -1500e-6) and lv["escalated_calls"] == 3
    # no Sonnet scores: the quality is unknown (null), not zero
    assert lv["quality_before"] is None and lv["quality_after"] is None


def test_a_task_sample_escalates_at_its_failure_rate_evenly_in_time(cli, log: str, tmp_path: Path):
    ev = write(tmp_path, "ev.csv", f"task_type,model,score,n\ndraft,{HAIKU},0.75,40\ndraft,{SONNET},0.9,50\n")
    lv = sim(cli, log, "--cascade", f"draft={HAIKU}", "--eval", ev)["levers"][0]
    # failure rate 1 − 0.75 = 0.25; b1..b4 in time order, call i escalates when
    # floor(0.25 i) > floor(0.25 (i−1)): floor 0, 0, 0, 1 -> only b4
    # cheap 13,000 + b4 12,000 = 25,000 against 39,000: saves 14,000 µ$
    assert close(lv["savings_usd"], 14000e-6)
    assert lv["escalated_calls"] == 1 and close(lv["escalated_share"], 0.25)
    assert lv["calls_by_task_rate"] == 4 and lv["confidence"] == "estimated"
    # quality: before = Sonnet's sample 0.9; after = pass share 0.75 × 1 (a pass counts right)
    # + failure rate 0.25 × Sonnet's 0.9 = 0.975 (failures taken as independent)
    assert close(lv["quality_before"], 0.9) and close(lv["quality_after"], 0.975)
    assert lv["quality_confidence"] == "estimated"
    # Wilson 0.9, n = 50: z²/n = 0.076829; centre = (0.9 + 0.038415) / 1.076829 = 0.87146;
    # half = 1.96 √(0.0018 + 0.00038415) / 1.076829 = 0.08507 -> [0.7864, 0.9565]
    assert close(lv["quality_before_ci95"][0], 0.7864, 1e-4) and close(lv["quality_before_ci95"][1], 0.9565, 1e-4)


def test_an_assumed_rate_without_evidence_and_quality_unknown(cli, log: str):
    d = sim(cli, log, "--cascade", f"draft={HAIKU}", "--escalate-rate", "0.5")
    lv = d["levers"][0]
    # floor(0.5 i) for i = 1..4: 0, 1, 1, 2 -> b2 and b4 escalate
    # 13,000 + 9,000 + 12,000 = 34,000 against 39,000: saves 5,000 µ$
    assert close(lv["savings_usd"], 5000e-6) and lv["escalated_calls"] == 2
    assert lv["confidence"] == "assumed" and lv["calls_by_assumed_rate"] == 4
    assert lv["quality_before"] is None and lv["quality_after"] is None
    assert lv["quality_confidence"] == "assumed"
    assert any("assumed rate 0.5" in a for a in lv["assumptions"])


def test_without_evidence_or_rate_it_is_a_usage_error(cli, log: str):
    r = cli("simulate", log, "--cascade", f"draft={HAIKU}")
    assert r.exit_code == 2
    assert "draft on claude-haiku-4-5 (4 calls)" in r.stderr and "--escalate-rate" in r.stderr
    assert "Traceback" not in r.stderr


def test_an_unknown_cheap_model_is_a_usage_error(cli, log: str):
    r = cli("simulate", log, "--cascade", "draft=acme-tiny")
    assert r.exit_code == 2 and "acme-tiny is not a model in the price book" in r.stderr


def test_cascade_stacks_after_route_and_before_batch(cli, log: str):
    d = sim(cli, log, "--cascade", f"draft={HAIKU}", "--escalate-rate", "0.5", "--batch", "draft")
    assert [x["lever"] for x in d["levers"]] == ["cascade", "batch"]
    # the batch tier halves the cheap attempts and the escalated originals alike: the draft part
    # 34,000 -> 17,000 µ$; the 4 cheap attempts and 2 originals are 6 calls batched
    assert close(d["levers"][1]["savings_usd"], 17000e-6)
    assert d["levers"][1]["calls_affected"] == 6
    assert close(d["scenario"]["cost_usd"], (18000 + 17000) * 1e-6)


def test_a_call_already_on_the_cheap_model_is_left_alone(cli, tmp_path: Path):
    log = write(tmp_path, "h.csv", "call_id,ts,model,task_type,input_tokens,output_tokens\n"
                f"h1,2026-10-01T09:00:00Z,{HAIKU},draft,2000,200\n"
                f"h2,2026-10-01T09:01:00Z,{SONNET},draft,2000,200\n")
    lv = sim(cli, log, "--cascade", f"draft={HAIKU}", "--escalate-rate", "1")["levers"][0]
    # only h2 is cascaded; at rate 1 it always escalates: + 3,000 µ$ for nothing
    assert lv["calls_affected"] == 1 and close(lv["savings_usd"], -3000e-6)


def test_recommend_proposes_a_cascade_where_the_eval_file_makes_it_pay(cli, log: str, tmp_path: Path):
    ev = write(tmp_path, "ev.csv", f"task_type,model,score,n\ndraft,{HAIKU},0.75,40\ndraft,{SONNET},0.9,50\n")
    r = cli("recommend", log, "--eval", ev, "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    recs = {x["lever"]: x for x in d["recommendations"]}
    # draft via Haiku: expected 8,000×1 + 1,000×5 = 13,000 + 0.25 × 39,000 = 22,750 < 39,000:
    # proposed; it saves 14,000 µ$ as in simulate (the same lever); `answer` has no sample
    c = recs["cascade"]
    assert close(c["savings_usd"], 14000e-6) and c["confidence"] == "estimated"
    assert c["params"]["cascades"] == [{"scope": "draft", "cheap": HAIKU}]
    assert close(c["quality_after"], 0.975)
    assert any("draft: via claude-haiku-4-5, which fails 25% of its eval sample" in x for x in d["rules"])
    # the plan's step reproduces with simulate and the same flags
    s = sim(cli, log, "--cascade", f"draft={HAIKU}", "--eval", ev)
    assert close(s["scenario"]["cost_usd"], BASELINE - 14000e-6)
    # rendered in the terminal and in Markdown like the other levers
    table = cli("recommend", log, "--eval", ev)
    assert "cascade" in table.stdout and "draft via claude-haiku-4-5" in table.stdout
    cfg = write(tmp_path, "llmcost.yaml", "quality_eval: ev.csv\n")  # the report reads the config's
    assert cli("report", log, "--config", cfg, "-o", str(tmp_path / "r.md")).exit_code == 0
    md = (tmp_path / "r.md").read_text()
    assert "| cascade | draft via claude-haiku-4-5 | 4 |" in md and "perfect check" in md


def test_recommend_without_an_eval_file_says_why_no_cascade(cli, log: str):
    d = cli("recommend", log, "--format", "json").json()
    assert "cascade" not in {x["lever"] for x in d["recommendations"]}
    assert any(s.startswith("cascade: needs an eval file") for s in d["not_evaluated"])


def test_simulate_table_shows_escalations_and_quality(cli, log: str, tmp_path: Path):
    ev = write(tmp_path, "ev.csv", f"task_type,model,score,n\ndraft,{HAIKU},0.75,40\ndraft,{SONNET},0.9,50\n")
    out = cli("simulate", log, "--cascade", f"draft={HAIKU}", "--eval", ev).stdout
    assert "cascade" in out and "25.0 % escalate" in out and "quality 90.0 → 97.5 %" in out
