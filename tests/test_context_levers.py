"""The context levers (issue 14 part 4): conversation history window (with --summarize) and the
input cap, on a hand-built log; every figure worked out by hand (µ$ = tokens × $/MTok).

Book prices ($/MTok, pricing/openai.yaml and anthropic.yaml): gpt-4o input 2.50, cached read
1.25, output 10 (automatic caching, no write premium); gpt-4o-mini 0.15 / read 0.075 / 0.60;
claude-sonnet-4-5 input 3, read 0.30, 5-minute write 3.75, output 15.

tests/data/context/conversations.csv (input_tokens includes the cache tokens, OpenAI's
convention, so the tests pass --input-includes-cache):

    A  chat    gpt-4o    a1..a4 input 1000/1600/2200/2800, output 100, no cache, no prefix_tokens
    B  chat    gpt-4o    b1..b3 input 1200/2000/3000, cache reads 0/1024/1920, output 50,
                         prefix_tokens 800
    C  support sonnet    c1..c3 input 1500/2500/3500, reads 0/1500/2500, 5-min writes
                         1500/1000/1000, output 100, prefix_tokens 1000 (the conversation cached
                         turn after turn, as article 001's automatic caching does)
    n1 chat    gpt-4o    input 5000, output 10, no conversation_id

Bases (a call with no history: the conversation's first call of its task type, at least its
prefix_tokens): A 1000, B max(800, 1200) = 1200, C max(1000, 1500) = 1500.
History (input - base): A 0/600/1200/1800; B 0/800/1800; C 0/1000/2000.
Costs before (µ$): b2 = 976*2.5 + 1024*1.25 + 50*10 = 2440 + 1280 + 500 = 4220;
b3 = 1080*2.5 + 1920*1.25 + 500 = 2700 + 2400 + 500 = 5600;
c2 = 0 uncached + 1500*0.3 + 1000*3.75 + 100*15 = 450 + 3750 + 1500 = 5700;
c3 = 2500*0.3 + 1000*3.75 + 1500 = 750 + 3750 + 1500 = 6000.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA

CONV = str(DATA / "context" / "conversations.csv")
INC = "--input-includes-cache"


def sim(cli: Any, *args: str, path: str = CONV) -> dict:
    r = cli("simulate", path, *args, INC, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return r.json()


def close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-12


def rows(store: Any, path: str, **levers: Any) -> dict[str, tuple[int, int, int, int, int]]:
    """call_id -> (input, cache read, 5m write, 1h write, output) of the scenario after the levers."""
    from llmcost.config import Config
    from llmcost.ingest import IngestOptions, ingest_files
    from llmcost.pricing.book import load_book
    from llmcost.report.analysis import prepare_priced_scope
    from llmcost.scope import make_scope
    from llmcost.simulate.levers import STACK_ORDER
    from llmcost.simulate.options import LeverOptions, build_plans
    from llmcost.simulate.run import BASE, prepare_base

    ingest_files(store, [path], IngestOptions(input_excludes_cache=False))
    book = load_book()
    prepare_base(store, book, prepare_priced_scope(store, book, make_scope(None)))
    plans, _ = build_plans(store, book, Config(), LeverOptions(**levers))
    rel = BASE
    for p in sorted(plans, key=lambda p: STACK_ORDER.index(p.lever)):
        rel = f"({p.sql.replace('{prev}', rel)})"
    return {r[0]: tuple(r[1:]) for r in store.query(
        f"SELECT call_id, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, "
        f"output_tokens FROM {rel} ORDER BY call_id")}


def assert_invariants(scenario: dict, original: dict) -> None:
    """Cache reads and writes are a subset of input, none negative; a real call's input and output
    never grow (only summary calls are new)."""
    for cid, (inp, read, w5, w1, out) in scenario.items():
        assert min(inp, read, w5, w1, out) >= 0, cid
        assert read + w5 + w1 <= inp, cid
        if cid in original:
            assert inp <= original[cid][0] and out == original[cid][4], cid


ORIGINAL = {  # the log as written (input, read, 5m write, 1h write, output)
    "a1": (1000, 0, 0, 0, 100), "a2": (1600, 0, 0, 0, 100), "a3": (2200, 0, 0, 0, 100),
    "a4": (2800, 0, 0, 0, 100), "b1": (1200, 0, 0, 0, 50), "b2": (2000, 1024, 0, 0, 50),
    "b3": (3000, 1920, 0, 0, 50), "c1": (1500, 0, 1500, 0, 100), "c2": (2500, 1500, 1000, 0, 100),
    "c3": (3500, 2500, 1000, 0, 100), "n1": (5000, 0, 0, 0, 10)}


# --- history window ----------------------------------------------------------------------------

def test_history_window_hand_worked(cli):
    d = sim(cli, "--history-window", "1000")
    lever = d["levers"][0]
    # A (base 1000): a3 2200 -> 2000, a4 2800 -> 2000: 1000 tokens * 2.5 = 2500
    # B (base 1200): b3 history 1800 -> input 2200; its cached history no longer matches: reads
    #   min(1920, prefix 800) = 800 -> 1400*2.5 + 800*1.25 + 500 = 5000 (was 5600): saves 600
    # C (base 1500): c2 history 1000 is kept; c3 -> 2500, reads min(2500, 1000) = 1000, writes
    #   min(1000, 1000 - 1000) = 0 -> 1500*3 + 1000*0.3 + 1500 = 6300 (was 6000): costs 300 more
    # n1 has no conversation_id: untouched.  2500 + 600 - 300 = 2800
    assert lever["lever"] == "history_window" and lever["confidence"] == "estimated"
    assert close(lever["savings_usd"], 2800e-6)
    assert lever["calls_affected"] == 4  # a3, a4, b3, c3
    assert close(lever["history_cut_share"], 4 / 10)  # of the 10 calls with a conversation_id
    assert close(lever["history_cut_share_by_task_type"]["chat"], 3 / 7)
    assert lever["params"] == {"windows": [{"scope": "all calls", "max_history_tokens": 1000}],
                               "summarize": False}
    said = " ".join(lever["assumptions"])
    assert "1 of 11 calls in scope has no conversation_id" in said
    assert "older turns are dropped" in said and lever["risk"] == "quality (older turns dropped)"


def test_history_window_scoped_and_repeatable(cli):
    # chat=1000: A 2500 + B 600 = 3100; support=500: c2 history 1000 -> input 2000, reads
    # min(1500, 1000) = 1000, writes 0 -> 1000*3 + 1000*0.3 + 1500 = 4800 (was 5700): +900;
    # c3 -> 2000, reads 1000 -> 4800 (was 6000): +1200  => 3100 + 900 + 1200 = 5200
    d = sim(cli, "--history-window", "chat=1000", "--history-window", "support=500")
    assert close(d["levers"][0]["savings_usd"], 5200e-6)
    assert d["levers"][0]["calls_affected"] == 5


def test_history_window_keeps_the_cache_invariants(store):
    got = rows(store, CONV, history_window=["1000"])
    assert_invariants(got, ORIGINAL)
    assert got["b3"] == (2200, 800, 0, 0, 50)
    assert got["c3"] == (2500, 1000, 0, 0, 100)
    assert got["c2"] == ORIGINAL["c2"] and got["n1"] == ORIGINAL["n1"]  # not cut / no conversation


def test_window_zero_keeps_only_the_base(store):
    got = rows(store, CONV, history_window=["0"])
    assert_invariants(got, ORIGINAL)
    # every later turn shrinks to its conversation's base; cut calls read at most their static part
    assert [got[c][0] for c in ("a1", "a2", "a3", "a4")] == [1000] * 4
    assert got["b2"] == (1200, 800, 0, 0, 50)
    assert got["c2"] == (1500, 1000, 0, 0, 100)


def test_window_never_costs_more_on_uncached_conversations(cli):
    # chat scope, A has no cache tokens: the window only removes tokens. N=0: A 3600 tokens * 2.5
    # = 9000; B b2 -> 1200 with 800 read: 400*2.5 + 800*1.25 + 500 = 2500 (4220): 1720,
    # b3 -> 2500 (5600): 3100  => 13820
    assert close(sim(cli, "--history-window", "chat=0")["savings"]["usd"], 13820e-6)
    for n in ("300", "600", "1200", "1800"):
        assert sim(cli, "--history-window", f"chat={n}")["savings"]["usd"] >= 0
    none = sim(cli, "--history-window", "chat=5000")["levers"][0]
    assert none["calls_affected"] == 0 and none["savings_usd"] == 0


def test_summarize_hand_worked(cli, store):
    # N=1000, summary S=200 on the call's own model: a call is cut where history > 1200.
    # A: a4 (1800) -> 1000 + 1000 + 200 = 2200, saves 600*2.5 = 1500; its summary reads the 800
    #    dropped tokens and writes 200: 800*2.5 + 200*10 = 4000  -> -2500
    # B: b3 (1800) -> 1200 + 1200 = 2400, reads 800: 1600*2.5 + 1000 + 500 = 5500 (5600): +100;
    #    summary 800 in / 200 out = 4000  -> -3900
    # C: c3 (2000) -> 2700, reads 1000: 1700*3 + 300 + 1500 = 6900 (6000): -900; summary on
    #    Sonnet 1000*3 + 200*15 = 6000  -> -6900.   Total -13300: summarising every turn on the
    #    same model costs more than it saves on conversations this short
    d = sim(cli, "--history-window", "1000", "--summarize")
    lever = d["levers"][0]
    assert close(lever["savings_usd"], -13300e-6)
    assert lever["calls_affected"] == 3 and lever["summary_calls"] == 3
    assert lever["params"]["summary_tokens"] == 200 and lever["params"]["summary_model"] is None
    # the same summaries on gpt-4o-mini: A 800*0.15 + 200*0.6 = 240, B 240, C 1000*0.15 + 120 = 270
    # -> (1500 - 240) + (100 - 240) + (-900 - 270) = -50
    d = sim(cli, "--history-window", "1000", "--summarize", "--summary-model", "gpt-4o-mini")
    assert close(d["levers"][0]["savings_usd"], -50e-6)
    assert d["levers"][0]["params"]["summary_model"] == "gpt-4o-mini"
    assert any("gpt-4o-mini" in a and "estimated" in a for a in d["levers"][0]["assumptions"])


def test_summary_is_a_running_summary(cli, store):
    # chat=500, S=200: cut where history > 700. A: a3 (1200) -> 1700, its summary reads the 700
    # dropped tokens; a4 (1800) -> 1700, its summary reads the previous summary (200) and the
    # 600 tokens dropped since a3 (1300 - 700) = 800.
    got = rows(store, CONV, history_window=["chat=500"], summarize=True)
    assert_invariants(got, ORIGINAL)
    assert got["a3"][0] == 1700 and got["a4"][0] == 1700
    assert got["a3#history-summary"] == (700, 0, 0, 0, 200)
    assert got["a4#history-summary"] == (800, 0, 0, 0, 200)
    # B: b2 (800) -> 1900, reads min(1024, 800); b3 (1800) -> 1900; summaries 300 and
    # 200 + (1300 - 300) = 1200 tokens in
    assert got["b2"] == (1900, 800, 0, 0, 50) and got["b2#history-summary"] == (300, 0, 0, 0, 200)
    assert got["b3#history-summary"] == (1200, 0, 0, 0, 200)
    assert "c3#history-summary" not in got  # support is out of scope


def test_summarize_money_for_the_running_summary(cli):
    # from test_summary_is_a_running_summary: A saves (500 + 1100)*2.5 = 4000, summaries
    # 700*2.5 + 2000 = 3750 and 800*2.5 + 2000 = 4000 -> -3750; B b2 1100*2.5 + 1000 + 500 = 4250
    # (4220) -30, b3 4250 (5600) +1350, summaries 300*2.5 + 2000 = 2750 and 1200*2.5 + 2000 = 5000
    # -> -6430.  Total -10180
    d = sim(cli, "--history-window", "chat=500", "--summarize")
    assert close(d["levers"][0]["savings_usd"], -10180e-6)
    assert d["levers"][0]["summary_calls"] == 4


# --- cap input ---------------------------------------------------------------------------------

def test_cap_input_hand_worked(cli):
    d = sim(cli, "--cap-input", "chat=500")
    lever = d["levers"][0]
    # no prefix_tokens (a1..a4, n1): the whole input is capped at 500: A (500 + 1100 + 1700 +
    # 2300) * 2.5 = 14000, n1 4500 * 2.5 = 11250. B (prefix 800): capped at 1300; b1 (1200)
    # untouched; b2 -> 1300, reads 1024 stay: 276*2.5 + 1280 + 500 = 2470 (4220): 1750;
    # b3 -> 1300, reads min(1920, 1300): 1300*1.25 + 500 = 2125 (5600): 3475.  Total 30475
    assert close(lever["savings_usd"], 30475e-6)
    assert lever["calls_affected"] == 7 and close(lever["capped_share"], 7 / 8)
    assert lever["confidence"] == "assumed"
    assert lever["params"] == {"caps": [{"scope": "chat", "max_input_tokens": 500}]}
    assert any("5 of 8 calls in scope log no prefix_tokens" in a for a in lever["assumptions"])


def test_cap_input_keeps_cache_tokens_consistent(cli, store):
    # support=1000, prefix 1000 -> input at most 2000. c2 -> 2000: reads 1500 stay, writes
    # min(1000, 2000 - 1500) = 500: 1500*0.3 + 500*3.75 + 1500 = 3825 (5700): 1875;
    # c3 -> 2000: reads min(2500, 2000) = 2000, writes 0: 600 + 1500 = 2100 (6000): 3900
    d = sim(cli, "--cap-input", "support=1000")
    assert close(d["levers"][0]["savings_usd"], 5775e-6)
    got = rows(store, CONV, cap_input=["support=1000"])
    assert_invariants(got, ORIGINAL)
    assert got["c2"] == (2000, 1500, 500, 0, 100) and got["c3"] == (2000, 2000, 0, 0, 100)


def test_context_levers_stack_in_order(cli):
    d = sim(cli, "--cap-input", "chat=500", "--history-window", "1000", "--route", "support=claude-haiku-4-5")
    assert [x["lever"] for x in d["levers"]] == ["route", "history_window", "cap_input"]
    marg = {x["lever"]: x["savings_usd"] for x in d["levers"]}
    # the window on A and B: 2500 + 600 as alone; cap after the window: A 500 + 1100 + 1500
    # + 1500 = 4600 * 2.5 = 11500; b2 1750 as alone;
    # b3 (now 2200, 800 read, 5000) -> 1300: 500*2.5 + 800*1.25 + 500 = 2750: 2250; n1 11250
    #  -> 26750
    assert close(marg["cap_input"], 26750e-6)
    # C on Haiku 4.5 (input 1, read 0.10, 5m write 1.25, output 5): c3 before the window
    # 2500*0.1 + 1000*1.25 + 500 = 2000, after 1500*1 + 1000*0.1 + 500 = 2100: -100
    assert close(marg["history_window"], (2500 + 600 - 100) * 1e-6)
    assert close(d["savings"]["usd"], sum(marg.values()))


# --- recommend --------------------------------------------------------------------------------

def growing_log(path: Path, cached: bool) -> str:
    """25 conversations of 5 `chat` turns, one every 10 minutes on one day: turn k sends
    1000 + 500(k-1) input tokens and gets 100 out. `cached`: on Sonnet 4.5, each turn reads the
    previous turn's whole prompt from the cache and writes its 500 new tokens (the first writes
    1000); else on gpt-4o with no cache tokens."""
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["call_id", "ts", "model", "task_type", "conversation_id", "input_tokens",
                    "cache_read_tokens", "cache_write_5m_tokens", "output_tokens"])
        for c in range(25):
            for k in range(1, 6):
                inp = 1000 + 500 * (k - 1)
                read = inp - 500 if cached and k > 1 else 0
                write = (1000 if k == 1 else 500) if cached else 0
                w.writerow([f"c{c}t{k}", f"2026-10-01T{8 + c // 6:02d}:{(c % 6) * 10 + k:02d}:00Z",
                            "claude-sonnet-4-5" if cached else "gpt-4o", "chat", f"conv{c}", inp, read,
                            write, 100])
    return str(path)


def test_recommend_proposes_a_window_where_conversations_grow(cli, tmp_path):
    log = growing_log(tmp_path / "grow.csv", cached=False)
    r = cli("recommend", log, INC, "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    (rec,) = [x for x in d["recommendations"] if x["lever"] == "history_window"]
    # turn 1 median 1000; turns 4-5 median 2750 >= 1.5x; the 3rd turn carries 2000 - 1000 = 1000
    # tokens of history -> window 1000. Turn 4 (history 1500) cut by 500, turn 5 (2000) by 1000:
    # 1500 tokens * 2.5 = 3750 µ$ a conversation, * 25 = 93750 µ$
    assert rec["params"]["windows"] == [{"scope": "chat", "max_history_tokens": 1000}]
    assert close(rec["savings_usd"], 93750e-6) and rec["calls_affected"] == 50
    assert any("history window where conversations grow" in x and "window 1,000" in x for x in d["rules"])
    # no cap-input without max_input_tokens in llmcost.yaml
    assert not any(x["lever"] == "cap_input" for x in d["recommendations"])
    assert any(x.startswith("input cap") for x in d["not_evaluated"])


def test_recommend_leaves_out_a_window_that_breaks_a_conversation_cache(cli, tmp_path):
    log = growing_log(tmp_path / "cached.csv", cached=True)
    r = cli("recommend", log, INC, "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    # Sonnet turn 4: 2500 in, 2000 read, 500 written: 2000*0.3 + 500*3.75 = 2475 µ$ of input;
    # windowed to 2000 with only the 1000-token base still cached, nothing written:
    # 1000*0.3 + 1000*3 = 3300 (+825). Turn 5: 2500*0.3 + 1875 = 2625 -> 3300 (+675). The window
    # costs more, so it is not proposed and the plan says why
    assert not any(x["lever"] == "history_window" for x in d["recommendations"])
    assert not any(s["lever"] == "history_window" for s in d["plan"]["steps"])
    assert any(x.startswith("history window") and "saves nothing" in x for x in d["not_evaluated"])
    s = sim(cli, "--history-window", "chat=1000", path=log)
    assert close(s["savings"]["usd"], -25 * (825 + 675) * 1e-6)


def test_recommend_caps_input_only_where_the_config_asks(cli, tmp_path):
    cfg = tmp_path / "llmcost.yaml"
    cfg.write_text("tasks:\n  chat:\n    max_input_tokens: 500\n")
    r = cli("recommend", CONV, INC, "--config", str(cfg), "--format", "json")
    assert r.exit_code == 0, r.stderr
    (rec,) = [x for x in r.json()["recommendations"] if x["lever"] == "cap_input"]
    assert rec["params"] == {"caps": [{"scope": "chat", "max_input_tokens": 500}]}
    assert close(rec["savings_usd"], 30475e-6) and rec["confidence"] == "assumed"  # as hand-worked above


@pytest.mark.parametrize("value", ["2.5", "0", "many"])
def test_max_input_tokens_must_be_a_whole_number(cli, tmp_path, value):
    cfg = tmp_path / "llmcost.yaml"
    cfg.write_text(f"tasks:\n  chat:\n    max_input_tokens: {value}\n")
    r = cli("recommend", CONV, INC, "--config", str(cfg))
    assert r.exit_code != 0 and "tasks.chat.max_input_tokens" in r.stderr and "Traceback" not in r.stderr


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "says"), [
    (["--history-window", "lots"], "--history-window lots: the value must be a whole number"),
    (["--history-window", "chat=-5"], "--history-window chat=-5: expected 0 to"),
    (["--cap-input", "chat=1.5"], "--cap-input chat=1.5: the value must be a whole number"),
    (["--summarize"], "--summarize applies with --history-window"),
    (["--history-window", "1000", "--summary-tokens", "100"], "apply with --summarize"),
    (["--history-window", "1000", "--summarize", "--summary-tokens", "0"], "--summary-tokens 0"),
    (["--history-window", "1000", "--summarize", "--summary-model", "gpt-99"], "not a model in the price book"),
])
def test_bad_context_options_are_one_clear_error(cli, args, says):
    r = cli("simulate", CONV, INC, *args)
    assert r.exit_code == 2 and says in r.stderr.replace("\n", " ") and "Traceback" not in r.stderr


# --- the support chatbot sample ----------------------------------------------------------------

def test_support_chatbot_conversations_are_too_short_for_a_window(store):
    """sample_logs/README.md: article 001's chatbot, 1-3 turns a conversation (3,000 input / 800
    output tokens per conversation): no conversation reaches the 4th turn the rule needs, so no
    window is derived."""
    from llmcost.ingest import IngestOptions, ingest_files
    from llmcost.simulate.context import growing_conversations

    ingest_files(store, [str(Path(__file__).parents[1] / "sample_logs" / "support_chatbot.csv.gz")],
                 IngestOptions())
    assert store.query("SELECT max(n) FROM (SELECT count(*) AS n FROM calls GROUP BY conversation_id)")[0][0] <= 3
    assert growing_conversations(store, "calls") == []


def test_no_summary_call_for_an_errored_turn(store, tmp_path):
    log = tmp_path / "errored.csv"
    log.write_text("call_id,ts,model,task_type,conversation_id,input_tokens,output_tokens,status\n"
                   "d1,2026-10-01T09:00:00Z,gpt-4o,chat,D,1000,100,ok\n"
                   "d2,2026-10-01T09:01:00Z,gpt-4o,chat,D,2000,100,ok\n"
                   "d3,2026-10-01T09:02:00Z,gpt-4o,chat,D,3000,0,error\n")
    got = rows(store, str(log), history_window=["0"], summarize=True)
    # base 1000, S 200: d2 (history 1000) -> 1200 with a summary of its 1000 dropped tokens;
    # d3 errored: its input is cut (1200) but no summary call is added for it
    assert got["d2"][0] == 1200 and got["d3"][0] == 1200
    assert got["d2#history-summary"] == (1000, 0, 0, 0, 200)
    assert "d3#history-summary" not in got
