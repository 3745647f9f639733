from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def store() -> Iterator[Any]:
    from llmcost.store import open_store

    s = open_store(":memory:")
    yield s
    s.close()


class CliResult:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., CliResult]:
    """Run llmcost in-process (typer's CliRunner) against a store in tmp_path."""
    from llmcost.cli import app

    db = tmp_path / "store.duckdb"

    def run(*args: str) -> CliResult:
        runner = CliRunner()
        r = runner.invoke(app, list(args), env={"LLMCOST_DB": str(db), "COLUMNS": "200"})
        if r.exception and not isinstance(r.exception, SystemExit):
            raise r.exception
        return CliResult(r.exit_code, r.stdout, r.stderr)

    return run


def token_totals(store: Any, where: str = "true") -> dict[str, int]:
    row = store.query(
        f"""SELECT count(*), sum(input_tokens), sum(cache_read_tokens),
                   sum(cache_write_5m_tokens + cache_write_1h_tokens), sum(output_tokens)
            FROM calls WHERE {where}""")[0]
    keys = ("calls", "input", "cache_read", "cache_write", "output")
    return {k: int(v or 0) for k, v in zip(keys, row, strict=True)}
