"""The priced calls kept in the store (`pricing.stored`): priced once per file and price book,
kept in step with `calls` as files come and go, never used for a run with a price overlay.

Costs are the hand-worked ones of tests/test_pricing.py (EXPECTED, arithmetic beside each)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from llmcost.ingest import IngestOptions, ingest_files
from llmcost.pricing.book import load_book
from llmcost.report.analysis import analyze_calls, prepare_priced_scope
from llmcost.scope import Scope
from llmcost.store import open_store
from tests.test_pricing import CASES, EPS, EXPECTED

HEADER, *ROWS = CASES.read_text().splitlines()


def _write(path: Path, prefixes: tuple[str, ...]) -> Path:
    path.write_text("\n".join([HEADER, *[r for r in ROWS if r.startswith(prefixes)]]) + "\n")
    return path


def _total(store, book=None) -> Decimal:
    book = book or load_book()
    scope = Scope()
    rel = prepare_priced_scope(store, book, scope)
    return analyze_calls(store, book, scope, None, relation=rel).totals.cost_usd


def _cached(store) -> dict[str, Decimal]:
    return {k: v for k, v in store.query(
        "SELECT call_id, cost_input + cost_cache_read + cost_cache_write + cost_output + cost_other "
        "FROM priced_calls")}


@contextmanager
def _o3_store(tmp_path: Path) -> Iterator[Any]:
    """A store holding the two o3 calls (0.285 + 0.057 = $0.342), analyzed once (so priced)."""
    a = _write(tmp_path / "a.csv", ("o3-",))
    with open_store(str(tmp_path / "store.duckdb")) as store:
        ingest_files(store, [str(a)], IngestOptions())
        _total(store)
        yield store


def test_priced_once_then_kept_in_step_with_the_files(tmp_path: Path):
    a = _write(tmp_path / "a.csv", ("o3-",))  # 0.285 + 0.057
    b = _write(tmp_path / "b.csv", ("deepseek-",))  # 0.001353 + 0.0006765 + 0.0006765
    db = str(tmp_path / "store.duckdb")
    with open_store(db) as store:
        ingest_files(store, [str(a)], IngestOptions())
        assert abs(_total(store) - Decimal("0.342")) < EPS
        assert set(_cached(store)) == {"o3-before-cut", "o3-after-cut"}
        # mark a cached cost: a later run that re-priced a.csv would lose the mark
        store.con.execute("UPDATE priced_calls SET cost_other = 1 WHERE call_id = 'o3-after-cut'")
    with open_store(db) as store:
        ingest_files(store, [str(b)], IngestOptions())
        # a.csv is read from the cache (its mark, +$1, is still there); b.csv priced and added:
        # 0.342 + 1 + 0.001353 + 2 * 0.0006765 = 1.344706
        assert abs(_total(store) - Decimal("1.344706")) < EPS
        cached = _cached(store)
        assert abs(cached["deepseek-weekend"] - EXPECTED["deepseek-weekend"]) < EPS
        assert store.query("SELECT count(*) FROM priced_calls")[0][0] == 5
        # a.csv forgotten: its priced calls go with it
        store.forget(str(a))
        assert abs(_total(store) - Decimal("0.002706")) < EPS
        assert set(_cached(store)) == {"deepseek-peak", "deepseek-offpeak", "deepseek-weekend"}
        # loaded again, it is priced again (the mark is gone)
        ingest_files(store, [str(a)], IngestOptions())
        assert abs(_total(store) - Decimal("0.344706")) < EPS


def test_another_price_book_reprices_everything(tmp_path: Path):
    with _o3_store(tmp_path) as store:
        store.con.execute("UPDATE priced_calls SET cost_other = 1")
        store.con.execute("UPDATE priced_sources SET book = 'an older book'")
        assert abs(_total(store) - Decimal("0.342")) < EPS
        assert store.query("SELECT DISTINCT book <> 'an older book' FROM priced_sources") == [(True,)]


def test_a_price_overlay_prices_on_the_fly_and_leaves_the_cache(tmp_path: Path):
    overlay = tmp_path / "half.yaml"
    overlay.write_text("discounts: [{provider: openai, percent: 50}]\n")
    with _o3_store(tmp_path) as store:
        before = store.query("SELECT * FROM priced_sources")
        # 50 % off OpenAI: 0.342 / 2
        assert abs(_total(store, load_book([str(overlay)])) - Decimal("0.171")) < EPS
        assert store.query("SELECT * FROM priced_sources") == before
        assert abs(_total(store) - Decimal("0.342")) < EPS


def test_calls_the_cache_does_not_know_rebuild_it(tmp_path: Path):
    with _o3_store(tmp_path) as store:
        # a call written behind llmcost's back (no sources row): the counts disagree -> re-priced
        store.con.execute("INSERT INTO calls SELECT * REPLACE ('o3-copy' AS call_id) FROM calls "
                          "WHERE call_id = 'o3-after-cut'")
        assert abs(_total(store) - Decimal("0.399")) < EPS  # 0.342 + 0.057


def test_the_daily_rollup_gives_the_same_analysis_as_every_call(tmp_path: Path, monkeypatch):
    """`analyze` sums totals and most breakdowns from the per-file, per-day rollup kept with the
    priced calls when the scope allows (no tenant filter, times on midnights): for every such
    scope the result is the one computed from every priced call."""
    from datetime import datetime as dt

    import llmcost.report.analysis as analysis
    from llmcost.render.json_out import analysis_dict

    saas = Path(__file__).resolve().parents[1] / "sample_logs" / "saas_multi.csv.gz"
    with open_store(str(tmp_path / "store.duckdb")) as store:
        ingested = ingest_files(store, [str(saas), str(CASES)], IngestOptions())
        book = load_book()
        first = store.query("SELECT CAST(min(ts) AS DATE) + 3, CAST(min(ts) AS DATE) + 10 FROM calls")[0]
        since, until = (dt(d.year, d.month, d.day) for d in first)
        model, provider, feature, task = store.query(
            "SELECT model, provider, feature, task_type FROM calls WHERE feature IS NOT NULL "
            "AND task_type IS NOT NULL LIMIT 1")[0]
        scopes = [Scope(), Scope(since=since, until=until), Scope(models=(model,)),
                  Scope(providers=(provider,), features=(feature,)), Scope(tasks=(task,), since=since),
                  Scope(source_hashes=(ingested.files[1].content_hash,))]
        used: list[bool] = []
        real = analysis.rollup_serves

        def spy(*args):
            used.append(real(*args))
            return used[-1]

        for scope in scopes:
            rel = prepare_priced_scope(store, book, scope)
            monkeypatch.setattr(analysis, "rollup_serves", spy)
            from_rollup = analysis_dict(analyze_calls(store, book, scope, None, relation=rel))
            monkeypatch.setattr(analysis, "rollup_serves", lambda *a: False)
            from_calls = analysis_dict(analyze_calls(store, book, scope, None, relation=rel))
            assert from_rollup == from_calls, scope
        assert used == [True] * len(scopes)
        assert store.query("SELECT sum(calls) FROM priced_rollup")[0][0] == store.query(
            "SELECT count(*) FROM calls")[0][0]
