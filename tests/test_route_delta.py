"""Issue 17 (one machine near its floor): route steps as narrow deltas
(llmcost.simulate.route_delta). Routes that cannot reach each other's calls run from one relation,
and leaving one out of the plan re-runs the later steps only on the models it moves; the plan must
come out exactly as with every step materialised over every call.

Prices (pricing/*.yaml, $/MTok = µ$ a token): gpt-4o input 2.50, output 10; gpt-4o-mini 0.15 /
0.60; Claude Sonnet 4.5 3 / 15; Claude Haiku 4.5 1 / 5."""

from __future__ import annotations

import duckdb
import pytest

from llmcost.pricing.book import load_book
from llmcost.simulate import levers as L
from llmcost.simulate import route_delta as RD
from llmcost.store import Store


@pytest.fixture(scope="module")
def book():
    return load_book(None)


@pytest.fixture
def store():
    s = Store(duckdb.connect(), ":memory:")
    s.con.execute(f"CREATE TEMP TABLE {L.MODEL_CACHE} (model VARCHAR, provider VARCHAR)")
    s.con.execute(f"INSERT INTO {L.MODEL_CACHE} VALUES ('gpt-4o-mini', 'openai'), "
                  "('claude-haiku-4-5', 'anthropic')")
    return s


def _route(book, scope: str, target: str, only_cheaper: bool = False) -> L.LeverPlan:
    return L.route([(L.parse_scope(scope), target)], book, only_cheaper=only_cheaper)


def test_routes_of_different_task_types_run_from_one_relation(store, book):
    plans = [_route(book, "classify", "gpt-4o-mini"), _route(book, "extract", "claude-haiku-4-5")]
    assert RD.route_block(store, plans) == 2


def test_one_route_always_runs_as_a_delta(store, book):
    assert RD.route_block(store, [_route(book, "all", "gpt-4o-mini", only_cheaper=True)]) == 1


def test_a_route_of_all_calls_reaches_the_others(store, book):
    plans = [_route(book, "classify", "gpt-4o-mini"), _route(book, "all", "claude-haiku-4-5")]
    assert RD.route_block(store, plans) == 0


def test_a_feature_scope_is_not_judged(store, book):
    # a feature and a task type can name the same calls
    plans = [_route(book, "classify", "gpt-4o-mini"), _route(book, "feature:chat", "claude-haiku-4-5")]
    assert RD.route_block(store, plans) == 0


def test_one_task_at_two_providers_each_to_its_own_provider(store, book):
    plans = [_route(book, "tag,provider:openai", "gpt-4o-mini"),
             _route(book, "tag,provider:anthropic", "claude-haiku-4-5")]
    assert RD.route_block(store, plans) == 2


def test_a_route_that_moves_calls_into_the_other_scope(store, book):
    # OpenAI's tag calls moved to Haiku become Anthropic tag calls: the second route would see them
    plans = [_route(book, "tag,provider:openai", "claude-haiku-4-5"),
             _route(book, "tag,provider:anthropic", "gpt-4o-mini")]
    assert RD.route_block(store, plans) == 0


def _log(path) -> str:
    """4,000 calls over two days: classify, extract, tag and answer at OpenAI, Anthropic and
    Google, a static prefix per task type, every fifth prompt repeated (dedupe)."""
    con = duckdb.connect()
    con.execute(f"""COPY (
        SELECT strftime(TIMESTAMP '2026-07-01' + INTERVAL (i * 43) SECOND, '%Y-%m-%dT%H:%M:%SZ') AS timestamp,
               ['gpt-4o-2024-08-06', 'claude-sonnet-4-5-20250929', 'gemini-2.5-flash'][1 + i % 3] AS model,
               ['classify', 'extract', 'tag', 'answer'][1 + (i // 3) % 4] AS task_type,
               2000 + (i * 37) % 3000 AS input_tokens, 10 + (i * 13) % 400 AS output_tokens,
               'sys_' || ['classify', 'extract', 'tag', 'answer'][1 + (i // 3) % 4] AS prefix_hash,
               1500 AS prefix_tokens,
               CAST(CASE WHEN i % 5 = 0 THEN i // 60 ELSE 100000 + i END AS VARCHAR) AS prompt_hash,
               'ok' AS status
        FROM range(4000) t(i)) TO '{path}' (HEADER)""")
    return str(path)


def recommend_doc(cli, *args: str) -> dict:
    """`recommend --format json` on the store (and FILES), without its run time."""
    r = cli("recommend", *args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    doc.pop("generated_at", None)
    return doc


def test_the_plan_is_the_same_as_with_every_step_over_every_call(cli, tmp_path, monkeypatch):
    fast = recommend_doc(cli, _log(tmp_path / "calls.csv"))
    # several routes in the plan, so both the deltas and the leave-one-out shortcut ran
    assert len(fast["plan"]["steps"][0]["params"]["routes"]) >= 2
    monkeypatch.setattr(RD, "route_block", lambda store, plans: 0)
    assert recommend_doc(cli) == fast
