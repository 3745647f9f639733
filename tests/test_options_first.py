"""Options are judged before any work (issue 15, item 2): a format the command does not write, a
breakdown that does not exist, a lever value that cannot be read, a model the price book does not
know — each a usage error (exit 2) given before the store is opened or a call priced. Nothing is
timed: the store is a path that must still not exist afterwards, and opening any store fails the
test."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
MIXED = str(ROOT / "tests" / "data" / "levers" / "mixed.csv")

CASES = [
    (["forget", "x.csv", "-f", "markdown"], "llmcost forget has no markdown output"),
    (["simulate", MIXED], "simulate needs at least one lever"),
    (["simulate", MIXED, "--cap-output", "summarize=lots"], "--cap-output summarize=lots"),
    (["simulate", MIXED, "--trim-prompt", "1.5"], "--trim-prompt 1.5"),
    (["simulate", MIXED, "--cache", "sometimes"], "--cache sometimes"),
    (["simulate", MIXED, "--cache", "auto", "--cache-ttl", "2h"], "--cache-ttl 2h"),
    (["simulate", MIXED, "--dedupe", "soon"], "--dedupe soon"),
    (["simulate", MIXED, "--deflect", "2"], "--deflect 2"),
    (["simulate", MIXED, "--history-window", "2000", "--summary-tokens", "5"], "--summarize"),
    (["simulate", MIXED, "--similar-cache", "0.2"], "--similar-cache 0.2"),
    (["simulate", MIXED, "--route", "classify=no-such-model-xyz"], "--route classify=no-such-model-xyz"),
    (["simulate", MIXED, "--cascade", "classify=no-such-model-xyz"], "--cascade classify=no-such-model-xyz"),
    (["simulate", MIXED, "--cache", "auto", "--escalate-rate", "1.5"], "--escalate-rate 1.5"),
    (["simulate", MIXED, "--cache", "auto", "--since", "garbage"], "--since garbage"),
    (["recommend", MIXED, "--until", "garbage"], "--until garbage"),
    (["analyze", MIXED, "--by", "colour"], "--by colour"),
]


@pytest.mark.parametrize(("args", "said"), CASES, ids=[" ".join(a[:1] + a[2:])[:60] for a, _ in CASES])
def test_refused_before_the_store_is_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            args: list[str], said: str):
    import llmcost.store
    from llmcost.cli import app

    def no_store(*_a: object, **_k: object) -> None:
        raise AssertionError("the store was opened before the options were checked")

    monkeypatch.setattr(llmcost.store, "open_store", no_store)
    db = tmp_path / "never.duckdb"
    r = CliRunner().invoke(app, [*args, "--db", str(db)], env={"COLUMNS": "200"})
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    assert r.exit_code == 2, r.stdout + r.stderr
    assert said in " ".join(r.stderr.split()), r.stderr
    assert not db.exists()
