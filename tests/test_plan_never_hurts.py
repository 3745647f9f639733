"""Issue 14, part 1: recommend chooses each lever knowing the others. No plan step raises the
bill, removing a step never lowers the plan's cost, a route goes to the cheapest current model
that qualifies, and `simulate` with the plan's own options reproduces the plan.

Prices (pricing/*.yaml, $/MTok = µ$ a token): Claude Sonnet 4.5 input 3, output 15, cache read
0.30, write 3.75 (5 min) / 6 (1 h), minimum 1,024 cacheable tokens; Claude Haiku 4.5 input 1,
output 5, minimum 4,096; gpt-4o 2.50 / 10; gpt-4o-mini 0.15 / 0.60; gpt-4.1-mini 0.40 / 1.60."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DATA

PLAN = DATA / "plan"
CHATBOT = str(PLAN / "chatbot_2000_prompt.csv")
GPT4O = str(PLAN / "gpt4o_classify.csv")
SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"


def recommend(cli, *args: str) -> dict:
    r = cli("recommend", *args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return r.json()


def simulate_cost(cli, *args: str) -> float:
    r = cli("simulate", *args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return r.json()["scenario"]["cost_usd"]


def test_a_route_that_loses_the_prompt_cache_is_not_proposed(cli):
    d = recommend(cli, CHATBOT)
    # baseline: 100 x (2500 x 3 + 20 x 15) = 100 x 7800 = 780,000 µ$
    assert d["baseline"]["cost_usd"] == pytest.approx(0.78, abs=1e-9)
    # Sonnet cached (5 min wins: every call comes a minute after the last):
    #   c000 writes 2000 x 3.75 = 7500, + 500 x 3 + 20 x 15 = 1800 -> 9300
    #   c001..c099 read 2000 x 0.30 = 600 + 1800 -> 2400 each, 99 x 2400 = 237,600
    #   -> 246,900 µ$ (1 h: 2000 x 6 + 1800 = 13,800 + 237,600 = 251,400, dearer)
    # routed to Haiku 4.5: 2000 < 4,096, no caching: 100 x (2500 x 1 + 20 x 5) = 260,000 µ$,
    # 13,100 µ$ more than Sonnet with caching: the route is left out.
    assert [s["lever"] for s in d["plan"]["steps"]] == ["cache"]
    assert d["plan"]["cost_usd"] == pytest.approx(0.2469, abs=1e-9)
    assert any(n.startswith("routing classify_intent: no candidate costs less with prompt caching")
               for n in d["not_evaluated"])
    assert not any(r["lever"] == "route" for r in d["recommendations"])


def test_the_route_target_is_the_cheapest_current_model_that_qualifies(cli):
    d = recommend(cli, GPT4O)
    route = next(s for s in d["plan"]["steps"] if s["lever"] == "route")
    # OpenAI's mini family: gpt-4o-mini 1000 x 0.15 + 10 x 0.60 = 156 µ$ a call, gpt-4.1-mini
    # 1000 x 0.40 + 10 x 1.60 = 416; the gpt-5.x minis, o-minis and codex-mini are reasoning
    # models and classify does not reason. gpt-4o: 1000 x 2.50 + 10 x 10 = 2600 µ$ a call.
    assert route["params"]["routes"] == [{"scope": "classify", "target": "gpt-4o-mini",
                                         "models": {"*": "gpt-4o-mini"}}]
    assert route["scope"] == "classify → gpt-4o-mini"
    # 10 x (2600 - 156) = 24,440 µ$, -94.0 %
    assert route["savings_usd"] == pytest.approx(24440e-6, abs=1e-9)
    assert d["plan"]["savings_pct"] == pytest.approx(100 * 2444 / 2600)
    why = route["assumptions"][0]
    assert "gpt-4.1-mini" in why and "gpt-5.4-mini (a reasoning model" in why
    assert d["plan"]["simulate_args"] == ["--route", "classify=gpt-4o-mini"]


def test_a_reasoning_model_is_a_target_when_llmcost_yaml_names_it(cli, tmp_path):
    cfg = tmp_path / "llmcost.yaml"
    cfg.write_text("tasks:\n  classify: {routes: [gpt-5.4-mini]}\n")
    d = recommend(cli, GPT4O, "--config", str(cfg))
    route = next(s for s in d["plan"]["steps"] if s["lever"] == "route")
    assert route["params"]["routes"][0]["target"] == "gpt-5.4-mini"


def test_a_retired_model_is_never_a_target(cli, tmp_path):
    # the gpt-4o log's twin on Claude Sonnet 4.5: Claude 3 Haiku ($0.25 / $1.25) would be the
    # cheapest haiku, but it was retired on 2026-04-19; Claude 3.5 Haiku on 2026-02-19
    log = tmp_path / "sonnet.csv"
    log.write_text(Path(GPT4O).read_text().replace("gpt-4o", "claude-sonnet-4-5"))
    d = recommend(cli, str(log))
    route = next(s for s in d["plan"]["steps"] if s["lever"] == "route")
    assert route["params"]["routes"][0]["target"] == "claude-haiku-4-5"
    assert "claude-3-haiku (retired 2026-04-19)" in route["assumptions"][0]
    # 10 x ((1000 x 3 + 10 x 15) - (1000 x 1 + 10 x 5)) = 10 x (3150 - 1050) = 21,000 µ$
    assert route["savings_usd"] == pytest.approx(21000e-6, abs=1e-9)


def test_a_task_at_two_providers_routes_each_within_its_provider(cli):
    d = recommend(cli, str(DATA / "levers" / "mixed.csv"))
    route = next(s for s in d["plan"]["steps"] if s["lever"] == "route")
    # s1..s3 (Anthropic) -> Haiku: 3 x ((4000 x 3 + 10 x 15) - (4000 x 1 + 10 x 5)) = 3 x 8100;
    # m1 (gpt-4o-mini) stays: no cheaper current non-reasoning mini
    assert route["params"]["routes"][0]["scope"] == "classify,provider:anthropic"
    assert route["savings_usd"] == pytest.approx(24300e-6, abs=1e-9)
    assert any(n.startswith("routing classify,provider:openai") for n in d["not_evaluated"])


@pytest.mark.parametrize("log", [CHATBOT, GPT4O, str(DATA / "levers" / "mixed.csv"),
                                 str(SAMPLES / "support_chatbot.csv.gz"),
                                 str(SAMPLES / "saas_multi.csv.gz"),
                                 str(SAMPLES / "invoice_pipeline.csv.gz")])
def test_every_step_saves_and_the_plan_is_what_simulate_gives(cli, log):
    d = recommend(cli, log)
    steps = d["plan"]["steps"]
    assert all(s["savings_usd"] > 0 for s in steps), [(s["lever"], s["savings_usd"]) for s in steps]
    args = d["plan"]["simulate_args"]
    if not steps:
        assert args == []
        return
    # the plan's own options reproduce it
    plan_cost = d["plan"]["cost_usd"]
    assert simulate_cost(cli, log, *args) == pytest.approx(plan_cost, abs=1e-9)
    if "sample_logs" in log:
        return  # leave-one-out through simulate on the small logs (the samples take minutes)
    # leaving out any one step never makes the plan cheaper
    groups: list[list[str]] = []
    for i in range(0, len(args)):
        if args[i].startswith("--") and args[i] not in ("--cache-ttl", "--cacheable-tokens", "--similar-window",
                                                        "--eval"):
            groups.append([args[i]])
        else:
            groups[-1].append(args[i])
    levers = {"--route": "route", "--dedupe": "dedupe", "--cache": "cache", "--cap-output": "cap_output",
              "--batch": "batch", "--trim-prompt": "trim_prompt", "--history-window": "history_window",
              "--cap-input": "cap_input", "--cascade": "cascade", "--similar-cache": "similar_cache",
              "--deflect": "deflect", "--eval": "eval"}
    for lever in {levers[g[0]] for g in groups}:
        rest = [a for g in groups if levers[g[0]] != lever for a in g]
        if rest:
            assert simulate_cost(cli, log, *rest) >= plan_cost - 1e-9, lever


def test_two_routed_tasks_make_one_step_that_keeps_the_quality_evidence(cli, tmp_path):
    # classify and extract on gpt-4o, each routed to gpt-4o-mini: two route units in the choice,
    # one route step in the plan; the eval file scores both tasks on both models (per task)
    log = tmp_path / "two.csv"
    text = Path(GPT4O).read_text()
    log.write_text(text + "".join(line.replace("classify", "extract").replace("g", "e", 1) + "\n"
                                  for line in text.splitlines()[1:]))
    evals = tmp_path / "evals.csv"
    evals.write_text("task_type,model,score,n\nclassify,gpt-4o,0.95,100\nclassify,gpt-4o-mini,0.93,100\n"
                     "extract,gpt-4o,0.9,100\nextract,gpt-4o-mini,0.88,100\n")
    d = recommend(cli, str(log), "--eval", str(evals))
    routes = [s for s in d["plan"]["steps"] if s["lever"] == "route"]
    assert len(routes) == 1
    assert [r["target"] for r in routes[0]["params"]["routes"]] == ["gpt-4o-mini", "gpt-4o-mini"]
    # 20 calls x (2600 - 156) µ$ = 48,880 µ$
    assert routes[0]["savings_usd"] == pytest.approx(48880e-6, abs=1e-9)
    assert not any("NOT measured" in a for a in routes[0]["assumptions"])
    assert routes[0]["quality_confidence"] == "estimated"
    assert d["plan"]["simulate_args"][-2:] == ["--eval", str(evals)]
