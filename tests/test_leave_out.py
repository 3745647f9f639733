"""Issue 17 (recommend on a 10M store): the cost of the plan with one step left out, re-run only on
the replay groups that can change (llmcost.simulate.leave_out), must be the cost of the plan
without that step run over every call, to the last digit.

The log: 6,000 calls a minute apart at OpenAI, Anthropic and Google, four task types with one
static prefix each (a cache group per model and task type), every fourth prompt (the Claude
Sonnet calls) one of a dozen repeated across task types within the hour (so leaving a route out
changes which calls of OTHER task types are answered from the response cache; dedupe's repeats
are in a quarter of the cache groups), outputs that an output cap cuts."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from llmcost.pricing.book import load_book
from llmcost.pricing.engine import cost_total_sql, priced_sql
from llmcost.simulate import leave_out as LO
from llmcost.simulate import levers as L
from llmcost.simulate import recommend as R
from llmcost.simulate import route_delta as RD
from llmcost.simulate.run import BASE, run_stack


def _log(path) -> str:
    con = duckdb.connect()
    con.execute(f"""COPY (
        SELECT strftime(TIMESTAMP '2026-07-01' + INTERVAL (i * 60) SECOND, '%Y-%m-%dT%H:%M:%SZ') AS timestamp,
               ['gpt-4o-2024-08-06', 'claude-sonnet-4-5-20250929', 'gemini-2.5-pro', 'gpt-4o-mini'][1 + i % 4]
                 AS model,
               ['classify', 'extract', 'tag', 'answer'][1 + (i // 4) % 4] AS task_type,
               1500 + (i * 37) % 3000 AS input_tokens, 10 + (i * 13) % 600 AS output_tokens,
               'sys_' || ['classify', 'extract', 'tag', 'answer'][1 + (i // 4) % 4] AS prefix_hash,
               1200 AS prefix_tokens,
               -- every 4th call's prompt (Claude Sonnet's) is one of a dozen seen within 45
               -- minutes, whatever its task type; the others are unique
               CAST(CASE WHEN i % 4 = 1 THEN (i // 45) * 100 + i % 12 ELSE 1000000 + i END AS VARCHAR)
                 AS prompt_hash,
               'ok' AS status
        FROM range(6000) t(i)) TO '{path}' (HEADER)""")
    return str(path)


@pytest.fixture
def checked(monkeypatch):
    """Every leave-one-out `select_plan` costs on the changed groups, checked against the stack
    without that step run over every call; -> the levers checked."""
    seen: list[str] = []

    def full_cost(store, units, i):
        rest = units[:i] + units[i + 1:]
        base = Decimal(store.query(f"SELECT sum({cost_total_sql()}) FROM ({priced_sql(BASE)})")[0][0])
        # every step materialised over every call (no route deltas, no restriction)
        block = RD.route_block
        RD.route_block = lambda s, p: 0
        try:
            return run_stack(store, rest, base, tag=f"ref{len(seen)}_")[0]
        finally:
            RD.route_block = block

    def install():
        without_route, without_dedupe = LO.without_route, LO.without_dedupe

        def route(store, units, i, *a, **k):
            got = without_route(store, units, i, *a, **k)
            assert got == full_cost(store, units, i), units[i].scope
            seen.append(units[i].lever)
            return got

        def dedupe(store, units, i, *a, **k):
            got = without_dedupe(store, units, i, *a, **k)
            if got is not None:  # None: the repeats' groups hold most calls, the caller's path
                assert got == full_cost(store, units, i)
                seen.append(units[i].lever)
            return got

        monkeypatch.setattr(LO, "without_route", route)
        monkeypatch.setattr(LO, "without_dedupe", dedupe)

    install()
    return seen


@pytest.mark.parametrize("named", [LO.NAMED_GROUPS, 0])  # the changed groups named as constants, or joined
def test_each_step_left_out_costs_what_the_stack_without_it_costs(cli, tmp_path, checked, monkeypatch, named):
    monkeypatch.setattr(LO, "NAMED_GROUPS", named)
    r = cli("recommend", _log(tmp_path / "calls.csv"), "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    # several routes, dedupe, cache and the output cap in the plan: each route and dedupe was
    # left out once through the changed groups and came out equal
    levers = [s["lever"] for s in d["plan"]["steps"]]
    assert {"route", "dedupe", "cache", "cap_output"} <= set(levers), levers
    assert checked.count("route") >= 2 and checked.count("dedupe") >= 1, checked


def test_the_recommendation_is_the_same_as_over_every_call(cli, tmp_path, monkeypatch):
    from tests.test_route_delta import recommend_doc

    fast = recommend_doc(cli, _log(tmp_path / "calls.csv"))
    monkeypatch.setattr(LO, "applies", lambda *a: False)
    assert recommend_doc(cli) == fast


def test_an_estimated_prefix_is_not_costed_by_group():
    # its size is the smallest prompt of the model's task type: a prefix key need not hold all of it
    book_note = "rules"
    keyed = L.cache(L.parse_scope(None), "auto", "auto", book_note)
    estimated = L.cache(L.parse_scope(None), "auto", "auto", book_note, estimated_prefix=R.ESTIMATED_PREFIX,
                        estimated_note=R.ESTIMATED_PREFIX_NOTE)
    assert LO._group_local_cache(keyed)
    assert not LO._group_local_cache(estimated)


def test_only_the_shapes_it_knows():
    book = load_book(None)
    route = L.route([(L.parse_scope("classify"), "gpt-4o-mini")], book)
    cache = L.cache(L.parse_scope(None), "auto", "auto", "rules")
    cap = L.cap_output([(L.parse_scope("classify"), 100)])
    store = type("S", (), {})()
    assert LO.applies(store, [route, L.dedupe(3600), cache, cap], 0, 1)
    assert LO.applies(store, [route, L.dedupe(3600), cache, cap], 1, 1)
    # a trimmed prompt between the route and the cache: not a shape it knows
    assert not LO.applies(store, [route, L.trim_prompt(0.2), cache], 0, 1)
    # nothing after the cache but per-call steps; no cache at all: the caller's path
    assert not LO.applies(store, [route, L.dedupe(3600), cap], 0, 1)
