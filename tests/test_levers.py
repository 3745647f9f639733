"""Levers on hand-built logs: every saving worked out by hand (µ$ = tokens × $/MTok).

Book prices used ($/MTok): Sonnet 4.5 in 3 / out 15 / read 0.30 / 5m write 3.75 / 1h write 6;
Haiku 4.5 1 / 5; gpt-4o-mini 0.15 / 0.60 / read 0.075; DeepSeek V4 Flash (from 2026-09-10)
0.30 / 1.20, half off-peak (all weekend).
"""

from __future__ import annotations

from tests.conftest import DATA

LV = DATA / "levers"
MIXED = str(LV / "mixed.csv")
CACHE = str(LV / "cache_replay.csv")


def sim(cli, *args: str) -> dict:
    r = cli("simulate", *args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return r.json()


def close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-9


# mixed.csv baseline: s1..s3 4000*3 + 10*15 = 12150 each = 36450; s4 5000*3 + 100*15 = 16500;
# s5 15000 + 500*15 = 22500; s6 15000 + 1000*15 = 30000; d1 (Saturday, off-peak) 1000*0.15 +
# 100*0.6 = 210; m1 1000*0.15 + 10*0.6 = 156  -> 105816 µ$
MIXED_BASE = 105816e-6


def test_route_scoped_moves_every_call_in_scope(cli):
    d = sim(cli, MIXED, "--route", "classify=haiku")
    assert close(d["baseline"]["cost_usd"], MIXED_BASE)
    lever = d["levers"][0]
    # s1..s3 on Haiku: 4000*1 + 10*5 = 4050 -> saves 8100 each; m1 (OpenAI) has no haiku: stays
    assert lever["lever"] == "route" and lever["calls_affected"] == 3
    assert close(lever["savings_usd"], 3 * 8100e-6)
    assert any("tokenizer" in a for a in lever["assumptions"])


def test_route_unscoped_moves_only_cheaper_calls(cli):
    d = sim(cli, MIXED, "--route", "haiku")
    # every Sonnet call is cheaper on Haiku: s1-3 24300; s4 16500-(5000+500) = 11000;
    # s5 22500-(5000+2500) = 15000; s6 30000-(5000+5000) = 20000  -> 70300
    assert d["levers"][0]["calls_affected"] == 6
    assert close(d["savings"]["usd"], 70300e-6)


def test_cap_output_and_truncated_share(cli):
    d = sim(cli, MIXED, "--cap-output", "summarize=400")
    lever = d["levers"][0]
    # s5 cut by 100, s6 by 600 -> (100+600)*15 = 10500; 2 of the 4 summarize calls cut
    assert close(lever["savings_usd"], 10500e-6)
    assert lever["calls_affected"] == 2
    assert close(lever["truncated_share"], 0.5)
    assert close(lever["truncated_share_by_task_type"]["summarize"], 0.5)


def test_batch_halves_and_skips_providers_without_batch(cli):
    d = sim(cli, MIXED, "--batch", "summarize")
    lever = d["levers"][0]
    # s4+s5+s6 = 69000 at half price -> saves 34500; d1 (DeepSeek: no batch tier) untouched
    assert lever["calls_affected"] == 3
    assert close(lever["savings_usd"], 34500e-6)


def test_dedupe_window(cli):
    d = sim(cli, MIXED, "--dedupe", "1h")
    # h1: s1 09:00 paid, s2 09:10 within 1 h -> free (12150), s3 11:10 two hours after s2 -> paid
    assert d["levers"][0]["calls_affected"] == 1
    assert close(d["savings"]["usd"], 12150e-6)


def test_trim_prompt(cli):
    d = sim(cli, MIXED, "--trim-prompt", "0.25")
    # 25 % of the 2000-token prefix = 500 tokens less on s1..s6: 6 * 500 * 3 = 9000
    assert d["levers"][0]["calls_affected"] == 6
    assert close(d["savings"]["usd"], 9000e-6)


def test_stacked_levers_price_once_and_add_up(cli):
    d = sim(cli, MIXED, "--batch", "summarize", "--cap-output", "summarize=400", "--route", "classify=haiku")
    assert [x["lever"] for x in d["levers"]] == ["route", "cap_output", "batch"]  # stack order
    # route 24300; cap (still Sonnet) 10500; batch after the cap: s4 16500/2 = 8250,
    # s5 (15000 + 400*15)/2 = 10500, s6 (15000 + 400*15)/2 = 10500 -> 29250
    marg = [x["savings_usd"] for x in d["levers"]]
    assert close(marg[0], 24300e-6) and close(marg[1], 10500e-6) and close(marg[2], 29250e-6)
    assert close(d["scenario"]["cost_usd"], (105816 - 64050) * 1e-6)
    assert close(d["savings"]["usd"], sum(marg))
    assert close(d["savings"]["pct"], 100 * 64050 / 105816)


# cache_replay.csv, Sonnet 4.5 (minimum 1,024): prefix A 2000 tokens at 00:00, 00:04, 00:08:30,
# 00:13:30, 00:18:31; prefix B 800 tokens (below the minimum); prefix C 3000 tokens used once.
# A write costs +0.75 µ$/token (3.75-3) at 5 min, +3 (6-3) at 1 h; a read -2.7 (0.30-3).


def test_cache_5m_ttl_refresh_minimum_and_a_write_that_never_pays(cli):
    d = sim(cli, CACHE, "--cache", "auto", "--cache-ttl", "5m")
    lever = d["levers"][0]
    # a1 miss +1500; a2 (4 min) hit -5400; a3 (4.5 min after a2: the hit refreshed it) hit -5400;
    # a4 exactly 5 min after a3 (<= TTL) hit -5400; a5 5m01s after a4: miss +1500;
    # B below the minimum: unchanged; c1 written, never read: +2250  -> -10950
    assert close(lever["savings_usd"], 10950e-6)
    assert lever["calls_affected"] == 6
    # cached input / input in scope: 3*2000 / (5*3000 + 2*1000 + 3500)
    assert close(lever["hit_ratio"], 6000 / 20500)


def test_cache_1h(cli):
    d = sim(cli, CACHE, "--cache", "auto", "--cache-ttl", "1h")
    # a1 write +3*2000 = 6000; a2..a5 hits -2.7*2000*4 = -21600; c1 write +3*3000 = 9000 -> -6600
    assert close(d["levers"][0]["savings_usd"], 6600e-6)


def test_cache_ttl_auto_picks_the_cheaper_per_prefix(cli):
    d = sim(cli, CACHE, "--cache", "auto", "--cache-ttl", "auto")
    # A: 5m -13200 vs 1h -15600 -> 1h; C: 5m +2250 vs 1h +9000 -> 5m  => -13350
    assert close(d["levers"][0]["savings_usd"], 13350e-6)


def test_recommend_caches_only_where_it_pays(cli):
    r = cli("recommend", CACHE, "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    cache = next(x for x in d["recommendations"] if x["lever"] == "cache")
    # A on 1 h (-15600); C not cached (its write never pays off); B below the minimum
    assert close(cache["savings_usd"], 15600e-6)
    assert cache["confidence"] == "measured"
    assert close(d["plan"]["cost_usd"], d["baseline"]["cost_usd"] - d["plan"]["savings_usd"])


def test_block_replay_on_a_serving_trace(cli):
    base = [str(LV / "blocks.jsonl"), "--model", "gpt-4o-mini", "--start", "2026-10-01T00:00:00Z",
            "--cache", "auto"]
    # r2 (1 min after r1) shares blocks 1,2 -> 1024 cached tokens; r3 6m40s after r2: at 5 min
    # nothing; at 1 h blocks 1,2,3 -> 1536. gpt-4o-mini saves 0.15-0.075 = 0.075 µ$ a cached token
    five = sim(cli, *base, "--cache-ttl", "5m")
    assert close(five["savings"]["usd"], 1024 * 0.075e-6)
    hour = sim(cli, *base, "--cache-ttl", "1h")
    assert close(hour["savings"]["usd"], (1024 + 1536) * 0.075e-6)


def test_mooncake_replay_reproduces_the_independent_figures(cli):
    """Block replay of the real Mooncake traces, TTL refreshed on each use, on a model whose
    minimum cacheable length (Opus 5: 512) does not bite: the independent replay's cached-token
    shares are 0.2934 / 0.3736 (conversation, 5 min / 1 h) and 0.5951 / 0.6512 (synthetic)."""
    traces = DATA / "traces"
    expected = {("conversation", "5m"): 0.2934, ("conversation", "1h"): 0.3736,
                ("synthetic", "5m"): 0.5951, ("synthetic", "1h"): 0.6512}
    for (name, ttl), share in expected.items():
        d = sim(cli, str(traces / f"mooncake_{name}_trace.jsonl.gz"), "--model", "claude-opus-5",
                "--cache", "auto", "--cache-ttl", ttl)
        assert abs(d["levers"][0]["hit_ratio"] - share) < 0.0005, (name, ttl, d["levers"][0]["hit_ratio"])


def test_simulate_needs_a_lever(cli):
    r = cli("simulate", MIXED)
    assert r.exit_code == 2 and "at least one lever" in r.stderr


def test_dedupe_pairs_repeats_of_one_model_only_and_calls_with_no_model():
    """The lever SQL on a hand-built relation. Its window runs only over hashes seen more than once
    (a semi-join on the hash): a repeat still needs the same model, and calls with no model (loaded
    unpriced) still pair with each other."""
    import duckdb

    from llmcost.schema import COLUMN_NAMES
    from llmcost.simulate import levers as L

    con = duckdb.connect()
    flags = ", ".join(f"false AS t_{f}" for f in L.STACK_ORDER)
    rows = [  # call_id, model, prompt_hash, minutes after 09:00, status
        ("a1", "m1", "h1", 0, "ok"), ("a2", "m1", "h1", 10, "ok"),  # a2 repeats a1 within 1 h
        ("b1", "m2", "h1", 20, "ok"),  # same hash, other model: not a repeat
        ("c1", None, "h2", 0, "ok"), ("c2", None, "h2", 5, "ok"),  # no model: c2 repeats c1
        ("d1", "m1", "h3", 0, "ok"), ("d2", "m1", "h3", 90, "ok"),  # 90 min apart: outside 1 h
        ("e1", "m1", "h4", 0, "error"), ("e2", "m1", "h4", 1, "ok"),  # an error answers nothing
        ("f1", "m1", "h5", 0, "ok"),  # unique hash
    ]
    values = ", ".join(f"('{c}', {repr(m) if m else 'NULL'}, '{h}', "
                       f"TIMESTAMP '2026-07-01 09:00:00' + INTERVAL {t} MINUTE, '{s}', {i})"
                       for i, (c, m, h, t, s) in enumerate(rows))
    con.execute(f"CREATE TABLE raw (call_id VARCHAR, model VARCHAR, prompt_hash VARCHAR, ts TIMESTAMP, "
                f"status VARCHAR, source_line BIGINT); INSERT INTO raw VALUES {values}")
    cols = ", ".join(c if c in ("call_id", "model", "prompt_hash", "ts", "status", "source_line")
                     else ("true AS billed" if c == "billed" else f"NULL AS {c}") for c in COLUMN_NAMES)
    con.execute(f"CREATE TABLE prev AS SELECT {cols}, {flags} FROM raw")
    out = con.execute(f"SELECT call_id FROM ({L.dedupe(3600).sql.replace('{prev}', 'prev')}) "
                      "WHERE t_dedupe AND NOT billed ORDER BY call_id").fetchall()
    assert out == [("a2",), ("c2",)]
