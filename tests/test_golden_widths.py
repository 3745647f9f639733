"""Golden renderings at 80 and 120 columns (issue 15, item 1): analyze with every --by, sources,
rejects, pricing list and pricing show. Each fails on a value cut to `…`, on a line wider than the
terminal, and on a value of the same command's JSON (model ids, prices, file names, counts) that
is not printed whole. Rich's width is pinned through COLUMNS, as a terminal sets it.

Log: tests/data/widths/calls_with_long_labels_for_width_tests.csv, written by hand for this test:
4 calls with labels too long for a narrow column (a 53-character tenant with no space, a 52-character
feature with spaces) and 3 rows that cannot be calls (lines 6 to 8; line 8 holds Markdown's `|`,
backticks and asterisks). Prices from the price book
(Anthropic and OpenAI list prices, provider-facts A1): claude-haiku-4-5 $1 in / $5 out per MTok,
gpt-4o-mini $0.15 / $0.60.

  call 1 haiku       100,000 in  10,000 out: 0.1 + 0.05  = $0.15  10-01 northwind-…
  call 2 haiku       200,000 in  20,000 out: 0.2 + 0.10  = $0.30  10-01 acme
  call 3 4o-mini   1,000,000 in 100,000 out: 0.15 + 0.06 = $0.21  10-02 acme
  call 4 4o-mini   2,000,000 in 200,000 out: 0.30 + 0.12 = $0.42  10-02 northwind-…
  total $1.08; haiku (classify…, support feature, anthropic, 10-01) $0.45 = 41.7 %;
  4o-mini (summarize, weekly digest, openai, 10-02) $0.63 = 58.3 %;
  northwind $0.15 + $0.42 = $0.57 = 52.8 %, acme $0.30 + $0.21 = $0.51 = 47.2 %.
  averages: haiku (100,000 + 200,000) / 2 = 150,000 in, 15,000 out; 4o-mini 1,500,000 / 150,000;
  northwind (100,000 + 2,000,000) / 2 = 1,050,000 / 105,000; acme 600,000 / 60,000.
"""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
LOG = "tests/data/widths/calls_with_long_labels_for_width_tests.csv"  # relative to ROOT, as typed
NORTHWIND = "northwind-traders-international-holdings-limited-emea"
SUPPORT = "customer support escalations for enterprise accounts"
CLASSIFY = "classify incoming support tickets"
WIDTHS = [80, 120]


@cache
def store() -> str:
    """A store holding the log, loaded once (from ROOT, so its path is shown relative)."""
    db = str(Path(tempfile.mkdtemp(prefix="llmcost-golden-")) / "store.duckdb")
    _invoke(200, "ingest", LOG, "--db", db)
    return db


def _invoke(columns: int, *args: str) -> str:
    from llmcost.cli import app

    here = os.getcwd()
    os.chdir(ROOT)
    try:
        r = CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns)})
    finally:
        os.chdir(here)
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    assert r.exit_code == 0, r.stdout + r.stderr
    return r.stdout


@cache
def run(columns: int, *args: str) -> str:
    """A command on the store (a `pricing` command reads no store)."""
    return _invoke(columns, *args, *([] if args[0] == "pricing" else ["--db", store()]))


def readable(out: str, columns: int, *, allow_ellipsis_in: tuple[str, ...] = ()) -> list[str]:
    """The lines of `out`, none wider than `columns`, none with a value cut to `…` (the lines
    holding one of `allow_ellipsis_in` are prose quoted from the price book)."""
    lines = [line.rstrip() for line in out.splitlines()]
    too_long = [line for line in lines if len(line) > columns]
    assert not too_long, "\n".join(too_long)
    cut = [line for line in lines if "…" in line and not any(a in line for a in allow_ellipsis_in)]
    assert not cut, "\n".join(cut)
    return lines


def flat(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


def whole(lines: list[str], *values: str) -> None:
    """Each value printed whole on one line."""
    for value in values:
        assert any(value in line for line in lines), f"{value!r} not whole on a line:\n" + "\n".join(lines)


def words_in_order(lines: list[str], value: str) -> None:
    """Each word of `value` printed whole, in order (a cell may wrap between words)."""
    text, at = flat(lines), 0
    for word in value.split():
        at = text.find(word, at)
        assert at >= 0, f"{word!r} of {value!r} missing"
        at += len(word)


def dollars(v: float | str) -> str:
    """A JSON price as the terminal prints it: `$0.00875`, `$3.00`, `$1,250.00`."""
    d = Decimal(str(v)).normalize()
    whole_part, _, frac = format(d, "f").partition(".")
    return f"${int(whole_part):,}.{frac.ljust(2, '0')}"


# ---------------------------------------------------------------- analyze

@pytest.mark.parametrize("columns", WIDTHS)
def test_analyze_every_breakdown(columns: int):
    out = run(columns, "analyze", "--by", "task,model,feature,tenant,day,provider,conversation")
    lines = readable(out, columns)
    whole(lines, "$1.08 in period", "4 calls")
    expected = {  # key: cost, share, avg in / out (worked out in the module's docstring)
        "claude-haiku-4-5": ("$0.45", "41.7 %", "150,000 / 15,000"),
        "gpt-4o-mini": ("$0.63", "58.3 %", "1,500,000 / 150,000"),
        "summarize": ("$0.63", "58.3 %", "1,500,000 / 150,000"),
        "weekly digest": ("$0.63", "58.3 %", "1,500,000 / 150,000"),
        NORTHWIND: ("$0.57", "52.8 %", "1,050,000 / 105,000"),
        "acme": ("$0.51", "47.2 %", "600,000 / 60,000"),
        "2026-10-01": ("$0.45", "41.7 %", "150,000 / 15,000"),
        "2026-10-02": ("$0.63", "58.3 %", "1,500,000 / 150,000"),
        "anthropic": ("$0.45", "41.7 %", "150,000 / 15,000"),
        "openai": ("$0.63", "58.3 %", "1,500,000 / 150,000"),
    }
    for key, (cost, share, avg) in expected.items():
        row = row_of(lines, key)
        for value in (cost, share, avg):
            assert value in row, f"{key}: {value} not beside it:\n{row}"
    for label in (CLASSIFY, SUPPORT):  # labels with spaces: whole, or wrapped between words
        words_in_order(lines, label)
    whole(lines, NORTHWIND)  # no space to wrap at: printed whole (the table becomes blocks)
    for head in ("By task type", "By model", "By feature", "By tenant", "By day", "By provider"):
        whole(lines, head)
    if columns == 120:  # every breakdown still a table
        assert row_of(lines, NORTHWIND).split()[:8] == [NORTHWIND, "2", "$0.57", "52.8", "%", "1,050,000", "/",
                                                        "105,000"]
        whole(lines, SUPPORT)
    d = json.loads(run(columns, "analyze", "--format", "json"))
    assert d["totals"]["calls"] == 4
    for dim in ("model", "task_type", "feature", "tenant", "day", "provider"):
        for r in d[f"by_{dim}"]:
            words_in_order(lines, r[dim])
            assert f" {r['calls']:,} " in f" {row_of(lines, r[dim].split()[0])} "


def row_of(lines: list[str], key: str) -> str:
    """The text of the row a label starts: a table row, or a block (the label, then its figures)."""
    at = next(i for i, line in enumerate(lines) if line.strip() == key or line.strip().startswith(key + " "))
    return " ".join(lines[at:at + 3])


# ---------------------------------------------------------------- sources and rejects

@pytest.mark.parametrize("columns", WIDTHS)
def test_sources(columns: int):
    lines = readable(run(columns, "sources"), columns)
    # the path as typed, relative to the working directory, whole; 7 rows read, 4 loaded, 3 rejected
    whole(lines, LOG)
    assert not any(str(ROOT) in line for line in lines)
    d = json.loads(run(columns, "sources", "--format", "json"))
    (f,) = d["sources"]
    assert Path(f["source_file"]) == ROOT / LOG  # the JSON keeps the stored path
    assert (f["rows_read"], f["rows_loaded"], f["rows_rejected"], f["calls_held"]) == (7, 4, 3, 4)
    # the path (61 characters) and the counts do not fit a line of 120: a block, the counts named
    whole(lines, "7 read  4 loaded  3 rejected  0 duplicate  0 skipped", "holds 4 calls")
    whole(lines, f["source_hash"][:12], "Total: 1 file · 4 calls stored")


@pytest.mark.parametrize("columns", WIDTHS)
def test_rejects(columns: int):
    lines = readable(run(columns, "rejects"), columns)
    whole(lines, LOG, "3 rejected rows")  # before: `/tmp/…` in every row
    raw6 = "2026-10-02T11:00:00Z,gpt-4o-mini,summarize,weekly digest,acme,twelve,100"
    raw7 = "2026-10-02T12:00:00Z,,summarize,weekly digest,acme,1000,100"
    whole(lines, raw6, raw7)  # the raw records, whole
    words_in_order(lines, "6 input_tokens is not a whole number: twelve")
    words_in_order(lines, "7 no model name")
    d = json.loads(run(columns, "rejects", "--format", "json"))
    for r in d["rejects"]:
        words_in_order(lines, r["reason"])
        whole(lines, str(r["line"]))


# ---------------------------------------------------------------- pricing

@pytest.mark.parametrize("columns", WIDTHS)
def test_pricing_list(columns: int):
    lines = readable(run(columns, "pricing", "list"), columns)
    d = json.loads(run(columns, "pricing", "list", "--format", "json"))
    assert len(lines) < len(d["models"]) * 1.3  # about a line a model (before: 2,066 lines at 140)
    shown = ["input", "output", "cache_read"] + (["cache_write_5m", "cache_write_1h"] if columns >= 120 else [])
    for m in d["models"]:
        row = next((line for line in lines if line.split()[:1] == [m["id"]]), None)
        assert row is not None, f"{m['id']} not whole at the start of a line"
        prices = [dollars(m["prices"][k]) if m["prices"][k] is not None else "–" for k in shown]
        cells = [c for c in row.split()[1:] if c != m["provider"]]  # 120: the provider column
        assert cells[:len(prices)] == prices, (m["id"], row)
    whole(lines, "claude-haiku-4-5")
    haiku = next(line for line in lines if line.split()[:1] == ["claude-haiku-4-5"])
    assert [c for c in haiku.split() if c.startswith("$")][:3] == ["$1.00", "$5.00", "$0.10"]  # list prices
    # what the narrower table leaves out, and where to see it
    words_in_order(lines, f"Not shown at {columns} columns:")
    words_in_order(lines, "llmcost pricing show MODEL has them, as do --format json and --format markdown")


def test_pricing_list_full_at_200():
    lines = readable(run(200, "pricing", "list"), 200)
    whole(lines, " model", "provider", "family", "write 5m", "write 1h", "periods", "in force")
    assert not any("Not shown" in line for line in lines)
    haiku = next(line for line in lines if line.split()[:1] == ["claude-haiku-4-5"])
    assert haiku.split()[:8] == ["claude-haiku-4-5", "anthropic", "haiku", "$1.00", "$5.00", "$0.10", "$1.25",
                                 "$2.00"]


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "gpt-4o"])
def test_pricing_show(columns: int, model: str):
    # notes quote the book's prose, which may hold a literal `…`
    lines = readable(run(columns, "pricing", "show", model), columns, allow_ellipsis_in=("Note:",))
    d = json.loads(run(columns, "pricing", "show", model, "--format", "json"))
    whole(lines, d["model"]["id"])
    for alias in d["model"]["aliases"]:
        whole(lines, alias)
    for pa in d["model"]["platform_aliases"]:
        whole(lines, pa["id"])
    for i, p in enumerate(d["periods"], 1):
        whole(lines, f"Period {i}:")
        row = next(line for line in lines if line.split()[:1] == ["standard"] and
                   dollars(p["prices"]["input"]) in line.split())
        expected = [dollars(v) if v is not None else "–" for v in p["prices"].values()]
        assert row.split()[1:] == expected, row
        # a URL longer than a line (80) is folded, not cut: whole once the lines are joined
        assert p["source"] in "".join(line.strip() for line in lines)
    if model == "claude-sonnet-4-5":  # Anthropic's list prices: $3 / $15, cache read $0.30, writes $3.75 / $6
        whole(lines, "standard               $3.00  $15.00       $0.30     $3.75     $6.00")


# ---------------------------------------------------------------- ingest lines

@pytest.mark.parametrize("columns", WIDTHS)
def test_ingest_line_names_the_file_whole(columns: int):
    db = str(Path(tempfile.mkdtemp(prefix="llmcost-golden-")) / "store.duckdb")
    lines = readable(_invoke(columns, "ingest", LOG, "--db", db), columns)
    whole(lines, f"Ingested {LOG}", "7 rows read", "4 loaded", "3 rejected")
    assert not any(str(ROOT) in line for line in lines)


# ---------------------------------------------------------------- Markdown

def md_rows(out: str) -> list[list[str]]:
    """The cells of each table row of a Markdown page (an escaped `\\|` stays inside its cell)."""
    import re

    return [[c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            for line in out.splitlines() if line.startswith("|") and not line.startswith("|---")]


def test_markdown_sources_and_rejects():
    escaped = LOG.replace("_", "\\_")
    rows = md_rows(run(80, "sources", "--format", "markdown"))
    assert rows[0][:2] == ["file", "format"] and len(rows) == 2
    assert rows[1][0] == escaped and rows[1][4:10] == ["7", "4", "3", "0", "0", "4"]
    rows = md_rows(run(80, "rejects", "--format", "markdown"))
    assert rows[0] == ["file", "line", "reason", "raw text"]
    assert [r[1] for r in rows[1:]] == ["6", "7", "8"] and {r[0] for r in rows[1:]} == {escaped}
    # line 8's `|`, backticks and asterisks escaped: still four cells, the text whole
    assert rows[3][2:] == ["negative input\\_tokens: -5",
                           "2026-10-02T13:00:00Z,gpt-4o-mini,a\\|b \\`code\\` \\*x\\*,weekly digest,acme,-5,100"]


def test_markdown_pricing():
    d = json.loads(run(80, "pricing", "list", "--format", "json"))
    rows = md_rows(run(80, "pricing", "list", "--format", "markdown"))
    assert rows[0][:4] == ["model", "provider", "family", "input"] and len(rows) == len(d["models"]) + 1
    haiku = next(r for r in rows if r[0] == "claude-haiku-4-5")
    assert haiku[3:8] == ["$1.00", "$5.00", "$0.10", "$1.25", "$2.00"]  # Anthropic's list prices
    rows = md_rows(run(80, "pricing", "show", "claude-sonnet-4-5", "--format", "markdown"))
    assert ["standard", "$3.00", "$15.00", "$0.30", "$3.75", "$6.00"] in rows
    out = run(80, "pricing", "check", "--format", "markdown")
    assert "The price book passes." in out and "models checked" in out


# ---------------------------------------------------------------- the path rule

def test_shown_path_rule(tmp_path: Path):
    from llmcost.render.paths import fit_path, shown_path

    here = str(tmp_path)
    assert shown_path(f"{here}/logs/a.csv", cwd=here) == "logs/a.csv"  # under the working directory
    assert shown_path("/elsewhere/logs/a.csv", cwd=here) == "/elsewhere/logs/a.csv"  # as stored, whole
    assert shown_path(f"{here}-other/a.csv", cwd=here) == f"{here}-other/a.csv"  # a sibling is not under it
    assert shown_path("logs/a.csv", cwd=here) == "logs/a.csv"  # as given
    assert fit_path("/a/bb/ccc/file.csv", 40) == "/a/bb/ccc/file.csv"  # fits: whole
    assert fit_path("/a/bb/ccc/file.csv", 14) == "…/ccc/file.csv"  # leading folders go first
    assert fit_path("/a/bb/ccc/file.csv", 5) == "…/file.csv"  # the name is never cut
