"""Nothing injected: YAML is loaded safely, user text never reaches SQL unquoted, and what a log
contains is only ever text (never a path opened, a command run, or markup rendered).

The "nothing executed / opened" checks use a Python audit hook (PEP 578) that records every file
open and process start made while a command runs.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmcost.store import open_store
from tests.conftest import DATA

G = DATA / "generic"
BAD = DATA / "bad"
HOSTILE = BAD / "hostile_text.csv"

# ---------------------------------------------------------------------------------------------
# an audit hook recording file opens and process starts (hooks cannot be removed: it is inert
# unless a test switches it on)

_AUDIT: dict[str, Any] = {"on": False, "events": []}
_WATCHED = ("open", "os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn",
            "os.startfile", "pty.spawn")


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _AUDIT["on"] and event in _WATCHED:
        _AUDIT["events"].append((event, args[0] if args else None))


sys.addaudithook(_hook)


@pytest.fixture
def audit() -> Iterator[list[tuple[str, Any]]]:
    _AUDIT["events"] = []
    _AUDIT["on"] = True
    try:
        yield _AUDIT["events"]
    finally:
        _AUDIT["on"] = False


def _store(tmp_path: Path) -> Any:
    return open_store(str(tmp_path / "store.duckdb"))


def _tables(tmp_path: Path) -> set[str]:
    with _store(tmp_path) as s:
        return {r[0] for r in s.query("SELECT table_name FROM duckdb_tables() WHERE NOT temporary")}


STORE_TABLES = {"calls", "sources", "rejects", "llmcost_meta"}

# ---------------------------------------------------------------------------------------------
# YAML

EVIL_TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/name:os.system",
    "!!python/object/apply:subprocess.check_output [['touch', '{marker}']]",
]


@pytest.mark.parametrize("tag", EVIL_TAGS)
def test_yaml_tags_in_a_price_overlay_are_refused(cli, tmp_path: Path, tag: str, audit):
    marker = tmp_path / "pwned"
    overlay = tmp_path / "evil.yaml"
    overlay.write_text("provider: openai\nmodels:\n  - id: gpt-evil\n    periods: "
                       + tag.format(marker=marker) + "\n")
    r = cli("analyze", str(G / "tracker.csv"), "--pricing", str(overlay))
    assert r.exit_code == 1 and r.stderr.startswith("Error: ")
    assert "not valid YAML" in r.stderr and "Traceback" not in r.stderr
    assert not marker.exists()
    assert not [e for e in audit if e[0] != "open"], audit


@pytest.mark.parametrize("tag", EVIL_TAGS)
@pytest.mark.parametrize("how", ["--config", "./llmcost.yaml"])
def test_yaml_tags_in_llmcost_yaml_are_refused(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               tag: str, how: str, audit):
    marker = tmp_path / "pwned"
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "llmcost.yaml"
    config.write_text("tasks:\n  summarize:\n    batchable: " + tag.format(marker=marker) + "\n")
    args = ["recommend", str(G / "tracker.csv")]
    if how == "--config":
        args += ["--config", str(config)]
    r = cli(*args)
    assert r.exit_code == 2 and r.stderr.startswith("Error: ")  # a configuration error
    assert "not valid YAML" in r.stderr and "Traceback" not in r.stderr
    assert not marker.exists()
    assert not [e for e in audit if e[0] != "open"], audit


def test_the_loaders_are_safe_loaders():
    """Belt and braces: the code paths use yaml.safe_load / SafeLoader, never yaml.load(Loader=…
    unsafe) or yaml.unsafe_load."""
    root = Path(__file__).resolve().parents[1] / "llmcost"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for bad in ("unsafe_load", "yaml.Loader", "FullLoader", "UnsafeLoader", "full_load"):
            assert bad not in text, f"{path}: {bad}"


# ---------------------------------------------------------------------------------------------
# SQL: column names, --map, filters, scopes, forget

NASTY = [
    "'; DROP TABLE calls; --",
    'tok"ens',
    "back\\slash\\",
    "入力トークン",
    "a'b\"c`d",
    "$(rm -rf /)",
]


def _csv(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@pytest.mark.parametrize("name", NASTY)
def test_map_column_names_reach_sql_quoted(cli, tmp_path: Path, name: str):
    """A header made of quotes, SQL and shell text, mapped with --map, is just a column name."""
    log = tmp_path / "odd_columns.csv"
    log.write_text(_csv([["timestamp", "model", name, name + " out"],
                         ["2026-10-01T10:00:00Z", "gpt-4o", 1000, 100],
                         ["2026-10-01T10:01:00Z", "gpt-4o", 2000, 200]]), encoding="utf-8")
    r = cli("analyze", str(log), "--map", f"{name}=input_tokens", "--map", f"{name} out=output_tokens",
            "--format", "json")
    assert r.exit_code == 0, r.stderr
    t = r.json()["totals"]
    assert (t["calls"], t["input_tokens"], t["output_tokens"]) == (2, 3000, 300)
    assert _tables(tmp_path) >= STORE_TABLES


@pytest.mark.parametrize("value", NASTY)
def test_filter_values_are_literals(cli, tmp_path: Path, value: str):
    log = tmp_path / "labels.csv"
    log.write_text(_csv([["timestamp", "model", "feature", "tenant", "task_type", "input_tokens",
                          "output_tokens"],
                         ["2026-10-01T10:00:00Z", "gpt-4o", value, value, value, 1000, 100],
                         ["2026-10-01T10:01:00Z", "gpt-4o", "plain", "plain", "plain", 2000, 200]]),
                   encoding="utf-8")
    assert cli("ingest", str(log)).exit_code == 0
    for opt in ("--feature", "--tenant", "--task"):
        r = cli("analyze", opt, value, "--format", "json")
        assert r.exit_code == 0, r.stderr
        assert r.json()["totals"]["calls"] == 1, (opt, value)
    # a value that only looks like a condition matches nothing: a usage error quoting it
    r = cli("analyze", "--feature", "x' OR '1'='1", "--model", "gpt-4o' --", "--format", "json")
    assert r.exit_code == 2 and "matches no call" in r.stderr and "x' OR '1'='1" in r.stderr
    # lever scopes take the same text
    for args in (("--batch", f"feature:{value}"), ("--cap-output", f"feature:{value}=10"),
                 ("--route", f"tenant:{value}=mini")):
        r = cli("simulate", *args, "--format", "json")
        assert r.exit_code == 0, (args, r.stderr)
        assert r.json()["levers"][0]["calls_affected"] == 1, args
    # forget / rejects with hostile names match nothing and drop nothing (forget: a usage error)
    assert cli("forget", value).exit_code == 2
    assert cli("rejects", value).exit_code == 2
    assert _tables(tmp_path) >= STORE_TABLES
    assert cli("analyze", "--format", "json").json()["totals"]["calls"] == 2


def test_source_and_by_options_are_checked_not_interpolated(cli, tmp_path: Path):
    r = cli("ingest", str(G / "tracker.csv"), "--source", "generic'; DROP TABLE calls; --")
    assert r.exit_code == 2 and "no such log format" in r.stderr
    r = cli("analyze", "--by", "model; DROP TABLE calls")
    assert r.exit_code == 2 and "not a breakdown" in r.stderr
    assert _tables(tmp_path) >= STORE_TABLES


# ---------------------------------------------------------------------------------------------
# what a log contains is text


def test_log_text_is_never_opened_or_run(cli, tmp_path: Path, audit):
    """Paths, shell, SQL and markup in a log's labels and model names load as text: no file of
    that name is opened, no process started, and the text comes back verbatim."""
    pwned = Path("/tmp/llmcost-pwned")
    existed = pwned.exists()
    outputs = []
    for args in (("analyze", str(HOSTILE), "--by", "feature,task_type,model", "--format", "json"),
                 ("analyze", "--by", "feature,task_type"),
                 ("analyze", "--format", "markdown"),
                 ("recommend",),
                 ("simulate", "--cache", "auto", "--batch", "feature:/etc/passwd"),
                 ("report", "-o", str(tmp_path / "r.html")),
                 ("report", "-o", str(tmp_path / "r.csv"))):
        r = cli(*args)
        assert r.exit_code == 0, (args, r.stderr)
        outputs.append(r.stdout)
    spawned = [e for e in audit if e[0] != "open"]
    assert spawned == [], spawned
    opened = [str(e[1]) for e in audit if e[0] == "open"]
    for target in ("/etc/passwd", "/etc/shadow", "/etc/hosts", "pwned", "server"):
        assert not [o for o in opened if target in o], (target, opened)
    assert pwned.exists() == existed
    doc = __import__("json").loads(outputs[0])
    features = {row["feature"] for row in doc["by_feature"]}
    assert {"/etc/passwd", "'; DROP TABLE calls; --", "file:///etc/hosts",
            "<script>alert(1)</script>", '=HYPERLINK("http://evil.example","x")'} <= features
    assert {row["task_type"] for row in doc["by_task_type"]} >= {
        "$(rm -rf /)", "`touch /tmp/llmcost-pwned`", "\\\\server\\share", "{{7*7}}", "@SUM(1)"}
    # the path-like model is an unknown model: unpriced, listed
    assert [u["model"] for u in doc["unpriced_models"]] == ["../../../../etc/shadow"]
    assert _tables(tmp_path) >= STORE_TABLES
    # markup is escaped in the HTML report, formulas neutralised in the CSV
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    csv_text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert "\n=HYPERLINK" not in csv_text and ",=HYPERLINK" not in csv_text and ',"=HYPERLINK' not in csv_text


def test_a_file_named_like_sql_or_shell_is_just_a_file(cli, tmp_path: Path, audit):
    weird = tmp_path / "calls'; DROP TABLE calls; --$(touch pwned).csv"
    weird.write_text((G / "tracker.csv").read_text())
    r = cli("ingest", str(weird), "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["ingest"]["rows_loaded"] == 5
    assert cli("forget", str(weird)).exit_code == 0
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    assert [e for e in audit if e[0] != "open"] == []
    assert _tables(tmp_path) >= STORE_TABLES
