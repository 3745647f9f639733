"""Malformed YAML inputs (issue 13): every shape of a broken `--pricing` overlay or `llmcost.yaml`
is one clear paragraph naming the file and the key (what was expected, what was found), exit
code 1, never a traceback. One schema per file, checked by `llmcost.yaml_schema.validate`.

Each row of the tables is (id, file content, phrases the error must contain). The runner below
checks that the CLI ended with SystemExit (no other exception escaped), the exit code, that
stderr is `Error: <one line>` then an indented hint line, and the phrases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmcost.config import Config, config_warning, load_config, try_load_config
from llmcost.errors import ConfigError, PricingError
from llmcost.pricing.book import MAX_PRICE, load_book
from tests.conftest import DATA

TRACKER = str(DATA / "generic" / "tracker.csv")
MIXED = str(DATA / "levers" / "mixed.csv")


def run(*args: str, cwd: Path | None = None, db: Path | None = None) -> Any:
    from llmcost.cli import app

    runner = CliRunner()
    env = {"COLUMNS": "200", "LLMCOST_DB": str(db) if db else ":memory:"}
    r = runner.invoke(app, list(args), env=env)
    # a traceback would be another exception than the SystemExit of the error handler
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r


def assert_one_clear_paragraph(r: Any, phrases: tuple[str, ...], code: int = 1) -> None:
    assert r.exit_code == code, (r.exit_code, r.stderr, r.stdout)
    assert "Traceback" not in r.stderr + r.stdout
    assert r.stderr.startswith("Error: "), r.stderr
    lines = r.stderr.rstrip("\n").split("\n")
    assert len(lines) == 2 and lines[1].startswith("  "), r.stderr
    for phrase in phrases:
        assert phrase in r.stderr, (phrase, r.stderr)


def model(extra: str = "", period: str = "") -> str:
    """An overlay with one model `acme-7b`; `extra` adds model keys, `period` period keys."""
    return ("models:\n  - id: acme-7b\n    provider: acme\n" + extra
            + "    periods:\n      - effective_from: 2026-01-01\n        input: 0.5\n        output: 1.0\n"
            + period)


P = "models[acme-7b].periods[0]"
BIG = "1.0e+300"

# (id, content, phrases)
OVERLAY_SHAPES: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    # the file as a whole
    ("binary", b"\x00\x01\x02models\x00\xff", ("binary data",)),
    ("utf16-no-bom", "models: []\n".encode("utf-16-le"), ("binary data",)),
    ("latin1", model("    name: Caf\xe9\n").encode("latin-1"), ("not UTF-8", "line 4")),
    ("not-yaml", "models: [ {id: x\n", ("not valid YAML", "line 2")),
    ("empty", "", ("is empty",)),
    ("top-level-list", "- id: acme-7b\n", ("the top level", "expected a mapping", "found a list")),
    ("top-level-text", "hello\n", ("the top level", "found the text 'hello'")),
    ("unknown-top-key", "model: []\n", ("unknown key `model`", "Did you mean `models`?")),
    ("bad-typed-scalar", "models: !!int x\n", ("not valid YAML", "line 1", "models: `!!int x`")),
    # a tag the loader cannot construct, deep inside: the line and the key path (lines: model()
    # is 7 lines, the period key comes 8th)
    ("typed-scalar-in-period", model(period="        cache_read: !!float lots\n"),
     ("not valid YAML", "line 8", f"{P}.cache_read: `!!float lots`")),
    # a key twice in one mapping: YAML readers keep the last silently (input 5 instead of 0.5)
    ("duplicate-period-key", model(period="        input: 5\n"),
     ("line 8: key `input` appears twice in models[acme-7b].periods[0] (lines 6 and 8)",)),
    ("duplicate-model-key", model("    provider: other\n"),
     ("line 4: key `provider` appears twice in models[acme-7b] (lines 3 and 4)",)),
    ("duplicate-top-key", "models: []\nmodels: []\n", ("line 2: key `models` appears twice at the top level",)),
    ("duplicate-override", "overrides:\n  - model: gpt-4o\n    effective_from: 2026-01-01\n    input: 1\n"
     "    output: 2\n    output: 3\n", ("line 6: key `output` appears twice in overrides[gpt-4o] (lines 5 and 6)",)),
    ("deep-nesting", "models: " + "[" * 3000 + "]" * 3000 + "\n", ("not valid YAML",)),
    # models
    ("models-number", "models: 5\n", ("models: expected a list of models, found 5",)),
    ("models-mapping", "models: {id: acme-7b}\n", ("models: expected a list", "a mapping (id)")),
    ("model-number", "models: [5]\n", ("models[0]: expected a mapping (a model), found 5",)),
    ("model-no-id", "models:\n  - {provider: acme, periods: []}\n", ("models[0].id", "nothing")),
    ("model-id-list", "models:\n  - {id: [a], provider: acme, periods: []}\n", ("models[0].id", "a model id")),
    ("no-provider", "models:\n  - {id: acme-7b, periods: [{effective_from: 2026-01-01, input: 1, output: 1}]}\n",
     ("models[acme-7b] has no provider",)),
    ("unknown-model-key", model("    familly: acme\n"), ("unknown key `familly`", "Did you mean `family`?")),
    ("aliases-number", model("    aliases: 5\n"), ("models[acme-7b].aliases", "a list of model names", "found 5")),
    ("aliases-null-item", model("    aliases: [null]\n"), ("models[acme-7b].aliases[0]", "found null")),
    ("released-bool", model("    released: yes\n"), ("models[acme-7b].released", "a date", "true")),
    ("cache-mode", model("    cache: {mode: sometimes}\n"), ("cache.mode", "one of explicit, automatic, implicit")),
    ("cache-number", model("    cache: 5\n"), ("models[acme-7b].cache", "found 5")),
    ("min-cacheable-text", model("    min_cacheable_tokens: lots\n"),
     ("min_cacheable_tokens", "a whole number of tokens", "'lots'")),
    ("platform-alias-number", model("    platform_aliases: [5]\n"), ("platform_aliases[0]", "found 5")),
    ("platform-alias-multiplier", model("    platform_aliases: [{id: us.acme, multiplier: abc}]\n"),
     ("platform_aliases[us.acme].multiplier", "a multiplier", "'abc'")),
    ("model-multipliers-number", model("    model_multipliers: {speed: 5}\n"),
     ("model_multipliers.speed", "found 5")),
    ("multiplier-column", model("    multipliers: [sped]\n"), ("multipliers[0]", "one of inference_geo, speed")),
    # periods
    ("periods-null-item", "models:\n  - {id: acme-7b, provider: acme, periods: [null]}\n",
     ("models[acme-7b].periods[0]", "found null")),
    ("periods-empty", "models:\n  - {id: acme-7b, provider: acme, periods: []}\n",
     ("models[acme-7b].periods", "at least 1 item")),
    ("periods-number", "models:\n  - {id: acme-7b, provider: acme, periods: 5}\n",
     ("models[acme-7b].periods", "found 5")),
    ("period-no-input", "models:\n  - {id: acme-7b, provider: acme, periods: [{effective_from: 2026-01-01,"
     " output: 1}]}\n", (f"{P}.input", "nothing")),
    ("unknown-period-key", model(period="        inptu: 3\n"), (f"{P}.inptu", "Did you mean `input`?")),
    ("negative-price", model(period="        cache_read: -1\n"), (f"{P}.cache_read", "≥ 0 and ≤ 1,000,000", "-1")),
    ("text-price", model(period="        cache_read: abc\n"), (f"{P}.cache_read", "a price", "'abc'")),
    ("bool-price", model(period="        cache_read: true\n"), (f"{P}.cache_read", "true")),
    ("nan-price", model(period="        cache_read: .nan\n"), (f"{P}.cache_read", "nan")),
    ("inf-price", model(period="        cache_read: .inf\n"), (f"{P}.cache_read", "inf")),
    ("huge-price", model(period=f"        cache_read: {BIG}\n"), (f"{P}.cache_read", "1,000,000", "1e+300")),
    ("huge-price-text", model(period="        cache_read: 1e300\n"), (f"{P}.cache_read", "1,000,000")),
    ("date-word", model(period="        effective_to: tomorrow\n"), (f"{P}.effective_to", "a date", "'tomorrow'")),
    ("date-impossible", model(period="        effective_to: 2026-02-30\n"), (f"{P}.effective_to", "'2026-02-30'")),
    ("date-number", model(period="        effective_to: 20260101\n"), (f"{P}.effective_to", "20260101")),
    ("checked-number", model(period="        checked: 5\n"), (f"{P}.checked", "a date")),
    ("source-list", model(period="        source: [a]\n"), (f"{P}.source", "a list")),
    ("long-context-number", model(period="        long_context: 5\n"), (f"{P}.long_context", "found 5")),
    ("long-context-threshold-text", model(period="        long_context: {threshold: abc, input: 6}\n"),
     (f"{P}.long_context.threshold", "a whole number of input tokens", "'abc'")),
    ("long-context-no-threshold", model(period="        long_context: {input: 6}\n"),
     (f"{P}.long_context.threshold", "nothing")),
    ("long-context-threshold-negative", model(period="        long_context: {threshold: -5, input: 6}\n"),
     (f"{P}.long_context.threshold", "≥ 1 and ≤ 1,000,000,000")),
    ("long-context-threshold-huge", model(period=f"        long_context: {{threshold: {BIG}, input: 6}}\n"),
     (f"{P}.long_context.threshold", "1,000,000,000")),
    ("tiers-number", model(period="        tiers: {batch: 5}\n"), (f"{P}.tiers.batch", "a mapping of prices")),
    ("tier-unknown", model(period="        tiers: {bath: {input: 1}}\n"),
     (f"{P}.tiers.bath", "Did you mean `batch`?")),
    ("off-peak-window", model(period="        off_peak: {multiplier: 0.5, windows_utc: ['25:00-26:00']}\n"),
     (f"{P}.off_peak.windows_utc[0]", "HH:MM-HH:MM", "'25:00-26:00'")),
    ("off-peak-windows-number", model(period="        off_peak: {multiplier: 0.5, windows_utc: 5}\n"),
     (f"{P}.off_peak.windows_utc", "found 5")),
    ("off-peak-no-price", model(period="        off_peak: {windows_utc: ['16:30-00:30']}\n"),
     (f"{P}.off_peak", "at least one of `multiplier`")),
    ("off-peak-weekday", model(period="        off_peak: {multiplier: 0.5, peak_windows_utc: ['01:00-04:00'],"
                                      " weekdays: [8]}\n"), (f"{P}.off_peak.weekdays[0]", "a weekday")),
    ("other-text", model(period="        other: {web_search_per_1k: abc}\n"),
     (f"{P}.other.web_search_per_1k", "'abc'")),
    # provider-level keys
    ("service-tier-text", "provider: acme\nservice_tiers: {batch: half}\n", ("service_tiers.batch", "a multiplier")),
    ("service-tiers-number", "provider: acme\nservice_tiers: 5\n", ("service_tiers", "found 5")),
    ("multiplier-huge", f"provider: acme\nmultipliers: {{speed: {{fast: {BIG}}}}}\n",
     ("multipliers.speed.fast", "≥ 0 and ≤ 100")),
    ("provider-list", "provider: [acme]\n", ("provider", "a provider key", "a list")),
    # overrides and discounts
    ("overrides-number", "overrides: 5\n", ("overrides", "found 5")),
    ("override-number", "overrides: [5]\n", ("overrides[0]", "found 5")),
    ("override-no-date", "overrides: [{model: gpt-4o, input: 1, output: 2}]\n",
     ("overrides[gpt-4o].effective_from", "nothing")),
    ("override-unknown-model", "overrides: [{model: gpt-9, effective_from: 2026-01-01, input: 1, output: 2}]\n",
     ("overrides[gpt-9]", "not in the price book")),
    ("override-huge-price", f"overrides: [{{model: gpt-4o, effective_from: 2026-01-01, input: {BIG}, output: 2}}]\n",
     ("overrides[gpt-4o].input", "1,000,000")),
    ("discount-number", "discounts: [5]\n", ("discounts[0]", "found 5")),
    ("discount-percent", "discounts: [{provider: openai, percent: 120}]\n", ("discounts[0].percent", "≥ 0 and ≤ 100")),
    ("discount-percent-text", "discounts: [{provider: openai, percent: lots}]\n", ("discounts[0].percent", "'lots'")),
    ("discount-no-scope", "discounts: [{percent: 20}]\n", ("discounts[0]", "at least one of `provider`, `model`")),
    ("discount-date", "discounts: [{provider: openai, percent: 20, from: soon}]\n", ("discounts[0].from", "a date")),
    ("discount-backwards", "discounts: [{provider: openai, percent: 20, from: 2026-06-01, to: 2026-01-01}]\n",
     ("discounts[0]", "not after")),
]


@pytest.mark.parametrize(("content", "phrases"), [(c, p) for _, c, p in OVERLAY_SHAPES],
                         ids=[i for i, _, _ in OVERLAY_SHAPES])
def test_a_malformed_overlay_is_one_clear_paragraph(tmp_path: Path, content: str | bytes,
                                                    phrases: tuple[str, ...]):
    overlay = tmp_path / "prices.yaml"
    if isinstance(content, bytes):
        overlay.write_bytes(content)
    else:
        overlay.write_text(content, encoding="utf-8")
    r = run("analyze", TRACKER, "--pricing", str(overlay))
    assert_one_clear_paragraph(r, (str(overlay), *phrases) if "binary" not in phrases[0] else phrases)
    # the loader's own error, for the other commands that read overlays
    with pytest.raises(PricingError):
        load_book([str(overlay)])


def test_a_utf16_overlay_with_a_bom_loads(tmp_path: Path):
    overlay = tmp_path / "prices.yaml"
    overlay.write_bytes(model("    name: Café 日本\n").encode("utf-16"))
    assert load_book([str(overlay)]).models["acme-7b"].name == "Café 日本"


def test_the_price_bound_is_inclusive(tmp_path: Path):
    overlay = tmp_path / "prices.yaml"
    overlay.write_text(model(period=f"        cache_read: {MAX_PRICE}\n"))
    assert load_book([str(overlay)]).models["acme-7b"].periods[0].prices["cache_read"] == MAX_PRICE


def test_keys_written_without_a_value_count_as_left_out(tmp_path: Path):
    overlay = tmp_path / "prices.yaml"
    overlay.write_text(model("    aliases:\n    cache:\n    platform_aliases: [{id: x.acme-7b, multiplier: null}]\n",
                             period="        cache_read:\n        note:\n"))
    book = load_book([str(overlay)])
    assert book.resolve("x.acme-7b") == ("acme-7b", 1, None)
    assert "cache_read" not in book.models["acme-7b"].periods[0].prices


def test_the_shipped_book_passes_the_strict_check():
    r = run("pricing", "check", "--strict")
    assert r.exit_code == 0, r.stdout + r.stderr


def test_pricing_check_reports_a_schema_error_as_a_finding(tmp_path: Path):
    overlay = tmp_path / "prices.yaml"
    overlay.write_text(model("    aliases: 5\n"))
    r = run("pricing", "check", "--pricing", str(overlay), "--format", "json")
    assert r.exit_code == 1 and "Traceback" not in r.stdout + r.stderr
    assert "models[acme-7b].aliases" in r.stdout


# ---------------------------------------------------------------------------------------------
# pricing import-litellm: a price no real model has is skipped with a reason

def test_import_litellm_skips_an_absurd_price_with_a_reason(tmp_path: Path):
    table = tmp_path / "litellm.json"
    table.write_text('{"last_updated": "2026-07-24",'
                     ' "huge": {"mode": "chat", "litellm_provider": "acme", "input_cost_per_token": 1e300,'
                     ' "output_cost_per_token": 1e-6},'
                     ' "huge-cache": {"mode": "chat", "litellm_provider": "acme", "input_cost_per_token": 1e-6,'
                     ' "output_cost_per_token": 2e-6, "cache_read_input_token_cost": 1e300},'
                     ' "fine": {"mode": "chat", "litellm_provider": "acme", "input_cost_per_token": 1e-6,'
                     ' "output_cost_per_token": 2e-6}}')
    out = tmp_path / "overlay.yaml"
    r = run("pricing", "import-litellm", str(table), "--effective-from", "2026-07-24", "-o", str(out),
            "--format", "json")
    assert r.exit_code == 0, r.stderr
    info = r.json() if hasattr(r, "json") and callable(r.json) else None
    import json

    doc = json.loads(r.stdout)
    skipped = doc.get("skipped") or doc.get("imported_from", {}).get("skipped") or {}
    assert any("above $1,000,000" in k and v == 2 for k, v in skipped.items()), doc
    assert [m.id for m in load_book([str(out)]).models.values() if m.provider == "acme"] == ["fine"]
    del info


# ---------------------------------------------------------------------------------------------
# llmcost.yaml

CONFIG_SHAPES: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("tasks-list", "tasks: [a, b]\n", ("tasks: expected a mapping of task types", "found a list")),
    ("tasks-number", "tasks: 5\n", ("tasks", "found 5")),
    ("routes-number", "tasks:\n  classify: {routes: 5}\n", ("tasks.classify.routes", "a list of models", "found 5")),
    ("routes-nested", "tasks:\n  classify: {routes: [haiku, [x]]}\n", ("tasks.classify.routes[1]", "a list")),
    ("task-number", "tasks:\n  classify: 5\n", ("tasks.classify", "a mapping of settings", "found 5")),
    ("task-list", "tasks:\n  classify: [batchable]\n", ("tasks.classify", "found a list")),
    ("unknown-task-key", "tasks:\n  summarize: {batchabel: true}\n",
     ("tasks.summarize.batchabel", "unknown key", "Did you mean `batchable`?")),
    ("unknown-top-key", "task:\n  summarize: {batchable: true}\n", ("unknown key `task`", "Did you mean `tasks`?")),
    ("batchable-text", "tasks:\n  summarize: {batchable: sure}\n", ("tasks.summarize.batchable", "true or false")),
    ("floor-above-1", "tasks:\n  classify: {quality_floor: 2}\n", ("tasks.classify.quality_floor", "≥ 0 and ≤ 1")),
    ("floor-text", "tasks:\n  classify: {quality_floor: high}\n", ("quality_floor", "'high'")),
    ("floor-nan", "tasks:\n  classify: {quality_floor: .nan}\n", ("quality_floor", "nan")),
    ("trim-negative", "tasks:\n  classify: {trim_prompt: -0.1}\n", ("tasks.classify.trim_prompt", "-0.1")),
    ("top-level-list", "- tasks\n", ("the top level", "found a list")),
    ("top-level-text", "just words\n", ("the top level", "found the text")),
    ("quality-eval-list", "quality_eval: [a.csv]\n", ("quality_eval", "the path of an eval file")),
    ("quality-eval-missing", "quality_eval: nosuch.csv\n", ("nosuch.csv", "no such file")),
    ("not-yaml", "tasks: {a: [\n", ("not valid YAML",)),
    ("binary", b"\x00tasks\x00", ("binary data",)),
    ("latin1", "tasks:\n  r\xe9sum\xe9: {batchable: true}\n".encode("latin-1"), ("not UTF-8", "line 2")),
    ("date-scalar", "tasks:\n  summarize: {batchable: 2026-02-30}\n", ("tasks.summarize.batchable", "'2026-02-30'")),
    ("duplicate-task-key", "tasks:\n  classify:\n    batchable: true\n    batchable: false\n",
     ("line 4: key `batchable` appears twice in tasks.classify (lines 3 and 4)",)),
    ("duplicate-task", "tasks:\n  classify: {batchable: true}\n  summarize: {}\n  classify: {routes: []}\n",
     ("line 4: key `classify` appears twice in tasks (lines 2 and 4)",)),
    ("typed-scalar", "tasks:\n  classify: {quality_floor: !!float high}\n",
     ("not valid YAML", "line 2", "tasks.classify.quality_floor: `!!float high`")),
]

EVAL_SHAPES: list[tuple[str, bytes, tuple[str, ...]]] = [
    ("eval-latin1", "task_type,model,score\nr\xe9sum\xe9,claude-haiku-4-5,0.9\n".encode("latin-1"),
     ("not UTF-8", "line 2")),
    ("eval-binary", b"\x00\x01\x02", ("binary data",)),
    ("eval-no-header", b"classify,claude-haiku-4-5,0.9\n", ("no column prompt_hash", "task_type", "model, score")),
    ("eval-score-text", b"task_type,model,score\nclassify,claude-haiku-4-5,good\n", ("line 2", "from 0 to 1")),
    ("eval-score-above-1", b"task_type,model,score\nclassify,claude-haiku-4-5,95\n", ("line 2", "from 0 to 1")),
    ("eval-score-nan", b"task_type,model,score\nclassify,claude-haiku-4-5,nan\n", ("line 2",)),
    ("eval-short-row", b"task_type,model,score\nclassify\n", ("line 2",)),
    ("eval-empty", b"", ("no column", "the file is empty")),
]


def _write(path: Path, content: str | bytes) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


@pytest.mark.parametrize("how", ["--config", "./llmcost.yaml"])
@pytest.mark.parametrize(("content", "phrases"), [(c, p) for _, c, p in CONFIG_SHAPES],
                         ids=[i for i, _, _ in CONFIG_SHAPES])
def test_a_malformed_config_is_one_clear_paragraph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   content: str | bytes, phrases: tuple[str, ...], how: str):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "llmcost.yaml"
    _write(config, content)
    args = ["recommend", MIXED] + (["--config", str(config)] if how == "--config" else [])
    r = run(*args)
    assert_one_clear_paragraph(r, phrases, code=2)  # a configuration error
    with pytest.raises(ConfigError):
        load_config(str(config))


@pytest.mark.parametrize(("content", "phrases"), [(c, p) for _, c, p in EVAL_SHAPES],
                         ids=[i for i, _, _ in EVAL_SHAPES])
def test_a_malformed_eval_file_is_one_clear_paragraph(tmp_path: Path, content: bytes, phrases: tuple[str, ...]):
    (tmp_path / "evals.csv").write_bytes(content)
    config = tmp_path / "llmcost.yaml"
    config.write_text("tasks:\n  classify: {quality_floor: 0.9}\nquality_eval: evals.csv\n")
    r = run("recommend", MIXED, "--config", str(config))
    assert_one_clear_paragraph(r, ("evals.csv", *phrases), code=2)  # raised as a ConfigError


def test_a_utf8_eval_file_with_a_bom_and_names_beyond_ascii_loads(tmp_path: Path):
    (tmp_path / "evals.csv").write_bytes("task_type,model,score\nrésumé,claude-haiku-4-5,0.9\n".encode("utf-8-sig"))
    config = tmp_path / "llmcost.yaml"
    config.write_text("quality_eval: evals.csv\n")
    cfg = load_config(str(config))
    from llmcost.simulate.quality import load_evidence
    from llmcost.store import open_store

    with open_store(":memory:") as store:  # the eval file is read into DuckDB when a lever needs it
        ev = load_evidence(store, load_book(), cfg.quality_eval, cfg.quality_eval_origin, "calls")
    assert ev is not None and ev.kind == "task"
    assert ev.samples[("résumé", "claude-haiku-4-5")].mean == 0.9


def test_empty_and_null_config_values_mean_no_policy(tmp_path: Path):
    config = tmp_path / "llmcost.yaml"
    config.write_text("tasks:\n  summarize:\n  classify: {routes: null, batchable: true}\n")
    cfg = load_config(str(config))
    assert cfg.tasks["summarize"].routes is None and cfg.tasks["classify"].batchable is True
    config.write_text("")
    assert load_config(str(config)).tasks == {}


# ---------------------------------------------------------------------------------------------
# a broken ./llmcost.yaml and the commands that do not use it

def test_try_load_config_gives_no_policies_and_the_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "llmcost.yaml").write_text("tasks: [a, b]\n")
    cfg, problem = try_load_config(None)
    assert cfg == Config() and isinstance(problem, ConfigError)
    line = config_warning(problem)
    assert "llmcost.yaml: tasks: expected a mapping" in line and "\n" not in line
    (tmp_path / "llmcost.yaml").write_text("tasks:\n  summarize: {batchable: true}\n")
    cfg, problem = try_load_config(None)
    assert problem is None and cfg.batchable_tasks() == ["summarize"]


def test_a_broken_llmcost_yaml_does_not_stop_analyze(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "llmcost.yaml").write_text("tasks: [a, b]\n")
    r = run("analyze", TRACKER, "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert "llmcost.yaml: tasks: expected a mapping" in r.stderr and "Traceback" not in r.stderr
    for command in (["recommend", TRACKER], ["simulate", TRACKER, "--batch", "auto"]):
        assert_one_clear_paragraph(run(*command), ("llmcost.yaml: tasks",), code=2)


def test_an_imported_overlay_header_cannot_be_given_yaml_lines_by_a_file_name():
    from llmcost.pricing.litellm import overlay_yaml

    text = overlay_yaml({"imported_from": {"file": "prices.json\nmodels: [injected]\n#",
                                           "litellm_last_updated": "2026-07-24\nx: 1"}})
    # every line of the header is still a comment, and the document has no key from the name
    import yaml

    header = text.split("imported_from")[0]
    assert all(line.startswith("#") for line in header.splitlines() if line)
    assert "models" not in yaml.safe_load(text)
