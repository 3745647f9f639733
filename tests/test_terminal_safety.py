"""Text from a log or a path is only ever text on the terminal (issue 13): rich markup in a label
(`[/x]`, `[link=…]`) is shown, never parsed; escape sequences (ANSI colours, OSC 8 hyperlinks,
C1 CSI, bidi overrides) are shown as visible stand-ins (`␛`), never sent; Markdown and HTML escape
them too. Output streams that are not UTF-8 work (ASCII stand-ins, JSON `\\u` escapes). Ctrl-C
says a file was rolled back only when a file was being loaded.

Each test reproduces an attack that used to give a traceback, a live hyperlink or raw escapes.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

MARKUP_CLOSE = "[/x]"
MARKUP_LINK = "[link=http://evil]click[/link]"
OSC8_LINK = "\x1b]8;;http://evil\x07x\x1b]8;;\x07"
OSC8_SHOWN = "␛]8;;http://evil␇x␛]8;;␇"
CSI_C1 = "\x1b[2J\x9b31m"
BIDI = "\u202egnp.exe"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")  # none of these may reach the terminal


def hostile_csv(path: Path) -> Path:
    """Labels, a model name and a rejected row that carry markup and escape sequences."""
    rows: list[list[Any]] = [
        ["timestamp", "model", "feature", "task_type", "tenant", "input_tokens", "output_tokens"],
        ["2026-10-01T10:00:00Z", "gpt-4o", MARKUP_CLOSE, "[bold]summarize", "café 日本", 1000, 100],
        ["2026-10-01T10:01:00Z", "gpt-4o", MARKUP_LINK, "extract", BIDI, 2000, 200],
        ["2026-10-01T10:02:00Z", "gpt-4o", OSC8_LINK, CSI_C1, "t", 3000, 300],
        ["2026-10-01T10:03:00Z", "gpt-4o-mini", "pipe|`tick`", "classify", "t", 4000, 400],
        ["2026-10-01T10:04:00Z", "evil-model\x1b[31m", "plain", "classify", "t", 10, 1],
        ["2026-10-01T10:05:00Z", "gpt-4o", "plain", "classify", "t", "lots\x1b[31m", 1],
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def assert_safe(out: str) -> None:
    assert "Traceback" not in out and "MarkupError" not in out, out
    for ch in RAW:
        assert ch not in out, (ch, out)


def _llmcost(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    full = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "LC_ALL", "LANG", "PYTHONUTF8")}
    full |= {"COLUMNS": "200"} | (env or {})
    return subprocess.run([sys.executable, "-m", "llmcost", *args], capture_output=True, env=full,
                          cwd=cwd, timeout=300)


# ---------------------------------------------------------------- the rule itself

def test_visible_replaces_every_control_character_and_keeps_the_rest():
    from llmcost.render.safe_text import visible

    assert visible(OSC8_LINK) == OSC8_SHOWN
    assert visible("a\x00b\x7fc") == "a␀b␡c"
    assert visible(CSI_C1) == "␛[2J\\x9b31m"
    assert visible(BIDI) == "\\u202egnp.exe"
    assert visible("\u2028\u2066") == "\\u2028\\u2066"
    assert visible("caf\udce9") == "caf\\xe9"  # a file-name byte that was not UTF-8
    assert visible("a\nb\tc\r") == "a␊b␉c␍"
    assert visible("a\nb\tc\r", keep_newlines=True) == "a\nb\tc␍"
    for text in (MARKUP_CLOSE, MARKUP_LINK, "café 日本 👨‍👩‍👧 →", ""):
        assert visible(text) == text
    assert visible(None) == "None" and visible(12) == "12"


def test_ascii_fallback_keeps_cells_and_words():
    from llmcost.render.safe_text import ascii_fallback

    assert ascii_fallback("a → b · c…") == "a -> b - c..."
    assert ascii_fallback("a → b · c…", one_cell=True) == "a > b . c."
    assert ascii_fallback("café 日本", one_cell=True) == "cafe ????"
    assert ascii_fallback("␛[31m") == "\\x1b[31m"
    assert ascii_fallback("plain ascii") == "plain ascii"
    assert ascii_fallback("→ ·", "latin-1") == "-> ·"


# ---------------------------------------------------------------- terminal (in process)

@pytest.fixture
def hostile(cli, tmp_path: Path) -> Path:
    f = hostile_csv(tmp_path / MARKUP_CLOSE / "calls\x1b[31m.csv")
    r = cli("ingest", "--format", "json", str(f.parent))
    assert r.exit_code == 0, r.stdout + r.stderr
    return f


@pytest.mark.parametrize("args", [
    ("analyze", "--by", "feature"), ("analyze", "--by", "task,tenant,model"), ("analyze",), ("sources",),
    ("rejects",),
])
def test_log_text_is_printed_as_text(cli, hostile: Path, args: tuple[str, ...]):
    """A feature named `[/x]` used to crash analyze/sources/recommend with a MarkupError; a
    `[link=…]` label rendered as a live hyperlink; ESC/BEL/CSI/bidi characters reached the
    terminal."""
    r = cli(*args)
    assert r.exit_code == 0, r.stdout + r.stderr
    assert_safe(r.stdout + r.stderr)
    if args == ("analyze", "--by", "feature"):
        for shown in (MARKUP_CLOSE, MARKUP_LINK, OSC8_SHOWN):
            assert shown in r.stdout
    if "task,tenant,model" in args:
        for shown in ("[bold]summarize", "␛[2J\\x9b31m", "\\u202egnp.exe", "evil-model␛[31m", "café 日本"):
            assert shown in r.stdout
    if args == ("sources",):
        assert f"{MARKUP_CLOSE}/calls␛[31m.csv" in r.stdout
    if args == ("rejects",):
        assert "lots␛[31m" in r.stdout and "calls␛[31m.csv" in r.stdout


def test_recommend_and_simulate_scopes_named_by_log_text(cli, tmp_path: Path):
    """Task types named `[/x]` and `[link=…]` become lever scopes (routing, batch, output caps):
    `recommend` and `simulate` crashed with a MarkupError."""
    rows: list[list[Any]] = [["timestamp", "model", "task_type", "input_tokens", "output_tokens"]]
    rows += [[f"2026-10-{1 + i % 20:02d}T10:{i:02d}:00Z", "gpt-4o", MARKUP_CLOSE if i % 2 else MARKUP_LINK,
              1000 + i, 100 + (i * 37) % 400] for i in range(40)]
    log = tmp_path / "calls.csv"
    with open(log, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    config = tmp_path / "policies.yaml"
    config.write_text(f'tasks:\n  "{MARKUP_CLOSE}":\n    batchable: true\n  "{MARKUP_LINK}":\n'
                      "    routes: [gpt-4o-mini]\n", encoding="utf-8")
    r = cli("recommend", str(log), "--config", str(config))
    assert r.exit_code == 0, r.stdout + r.stderr
    assert_safe(r.stdout)
    assert "route" in r.stdout and "batch API" in r.stdout
    assert MARKUP_LINK in r.stdout and MARKUP_CLOSE in r.stdout
    r = cli("simulate", "--cap-output", f"{MARKUP_CLOSE}=100", "--cache", "auto")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert_safe(r.stdout)
    assert f"{MARKUP_CLOSE} at 100" in r.stdout


def test_ingest_and_forget_print_hostile_file_names_as_text(cli, tmp_path: Path):
    folder = "[link=file:evil]click[/link]"  # a path cannot hold `//`
    f = hostile_csv(tmp_path / folder / "x\x1b]8;;file:evil\x07.csv")
    r = cli("ingest", str(f.parent))
    assert r.exit_code == 0, r.stdout + r.stderr
    assert_safe(r.stdout)
    assert f"{folder}/x␛]8;;file:evil␇.csv" in r.stdout
    r = cli("forget", str(f))
    assert r.exit_code == 0 and "Forgot" in r.stdout and folder in r.stdout
    assert_safe(r.stdout)
    r = cli("forget", "nothing\x1b[31m[/x]")  # not stored: a usage error, the name shown as text
    assert r.exit_code == 2 and "nothing␛[31m[/x] is not in the store" in r.stderr


def test_json_keeps_the_text_exactly_and_escapes_terminal_controls(cli, hostile: Path):
    r = cli("analyze", "--format", "json")
    assert r.exit_code == 0
    for ch in RAW:
        assert ch not in r.stdout
    doc = r.json()
    features = {row["feature"] for row in doc["by_feature"]}
    assert {MARKUP_CLOSE, MARKUP_LINK, OSC8_LINK} <= features
    assert CSI_C1 in {row["task_type"] for row in doc["by_task_type"]}
    assert BIDI in {row["tenant"] for row in doc["by_tenant"]}


def test_markdown_escapes_pipes_backticks_and_controls(cli, hostile: Path):
    r = cli("analyze", "--format", "markdown", "--by", "feature")
    assert r.exit_code == 0
    assert_safe(r.stdout)
    assert "pipe\\|\\`tick\\`" in r.stdout
    assert "\\[link=http://evil\\]click\\[/link\\]" in r.stdout
    assert "␛\\]8;;http://evil␇x␛\\]8;;␇" in r.stdout
    for line in r.stdout.splitlines():  # no cell spills into another column
        if line.startswith("| "):
            cells = line.replace("\\|", "").count("|")
            assert cells in (8, 9), line
    report = hostile.parent.parent / "r.md"
    r = cli("report", "-o", str(report))
    assert r.exit_code == 0, r.stderr
    assert_safe(r.stdout + report.read_text(encoding="utf-8"))


def test_html_report_escapes_log_text(cli, hostile: Path, tmp_path: Path):
    """The HTML renderer escaped already (no markup there); a label never becomes a link or a tag,
    and control characters are shown as in the terminal."""
    out = tmp_path / "r.html"
    r = cli("report", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert_safe(r.stdout)
    page = out.read_text(encoding="utf-8")
    assert "\x1b" not in page and "\x07" not in page
    assert 'href="http://evil' not in page and "href='http://evil" not in page
    assert MARKUP_LINK in page and MARKUP_CLOSE in page
    assert "␛]8;;http://evil␇x␛]8;;␇" in page


def test_a_price_overlay_with_markup_and_escapes_is_text(cli, tmp_path: Path):
    overlay = tmp_path / "evil.yaml"
    overlay.write_text(
        'models:\n  - id: "[/x]"\n    name: "[link=http://evil]click[/link]"\n    provider: "acme\\e[31m"\n'
        '    family: "[bold]fam"\n    aliases: ["\\e]8;;http://evil\\ax\\e]8;;\\a"]\n    periods:\n'
        '      - {effective_from: 2026-01-01, input: 0.50, output: 1.00, checked: 2026-01-05,\n'
        '         source: "[link=http://evil]src[/link]\\e[2J", note: "[/y] note\\e[31m"}\n', encoding="utf-8")
    for args in (("list",), ("show", "[/x]"), ("check",), ("diff", "--from", "2025-06-01", "--to", "2026-06-01")):
        r = cli("pricing", *args, "--pricing", str(overlay))
        assert r.exit_code in (0, 1), r.stdout + r.stderr
        assert_safe(r.stdout + r.stderr)
        if args[0] != "check":
            assert "[/x]" in r.stdout and "acme␛[31m" in r.stdout
    r = cli("pricing", "show", "[/x]", "--pricing", str(overlay))
    assert MARKUP_LINK in r.stdout and "[link=http://evil]src[/link]␛[2J" in r.stdout
    assert "[/y] note␛[31m" in r.stdout and OSC8_SHOWN in r.stdout


# ---------------------------------------------------------------- error messages

def test_error_messages_quote_paths_and_log_text_as_text(cli, tmp_path: Path):
    missing = tmp_path / "no\x1b]8;;file:evil\x07such[/x].csv"  # a path cannot hold `//`
    r = cli("analyze", str(missing))
    assert r.exit_code in (1, 2)
    assert_safe(r.stdout + r.stderr)
    assert r.stderr.startswith("Error:") and "␛]8;;file:evil␇such[/x].csv" in r.stderr
    junk = tmp_path / "junk\x1b]8;;file:evil\x07.csv"
    junk.write_text("date,user,amount\n2026-10-01,a,1\n", encoding="utf-8")
    r = cli("analyze", str(junk))
    assert r.exit_code == 1
    assert_safe(r.stderr)
    assert "junk␛]8;;file:evil␇.csv" in r.stderr


def test_print_error_shows_markup_and_escapes_and_indents_lines(capsys):
    from llmcost.cli.common import print_error
    from llmcost.errors import LlmcostError

    print_error(LlmcostError(f"cannot read {MARKUP_CLOSE}{OSC8_LINK}\nError: forged line", f"hint {MARKUP_LINK}"))
    err = capsys.readouterr().err
    assert_safe(err)
    assert f"Error: cannot read {MARKUP_CLOSE}{OSC8_SHOWN}" in err
    assert "\n  Error: forged line" in err and f"\n  hint {MARKUP_LINK}" in err


def test_a_console_never_parses_markup_or_sends_escapes():
    """The last guard: whatever a renderer hands the console, markup is text and control
    characters are visible (a str is not parsed, a Text's controls are replaced on the way out)."""
    import io

    from rich.table import Table
    from rich.text import Text

    from llmcost.render.rich_safe import make_console

    buf = io.StringIO()
    console = make_console(file=buf, width=120)
    table = Table()
    table.add_row(MARKUP_CLOSE, Text(OSC8_LINK))
    console.print(MARKUP_LINK, Text("a\x1b[31mb"), table)
    out = buf.getvalue()
    assert_safe(out)
    assert MARKUP_LINK in out and MARKUP_CLOSE in out and "a␛[31mb" in out


# ---------------------------------------------------------------- streams that are not UTF-8

NOT_UTF8 = [{"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C", "PYTHONUTF8": "0"}, {"LC_ALL": "C"},
            {"PYTHONIOENCODING": "latin-1"}]


@pytest.fixture(scope="module")
def ascii_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("ascii")
    f = hostile_csv(tmp / "logs" / "calls.csv")
    db = tmp / "store.duckdb"
    r = _llmcost("ingest", str(f.parent), "--db", str(db))
    assert r.returncode == 0, r.stderr
    return f, db


@pytest.mark.parametrize("env", NOT_UTF8, ids=lambda e: " ".join(f"{k}={v}" for k, v in e.items()))
def test_every_command_works_on_a_stream_that_is_not_utf8(ascii_store: tuple[Path, Path], env: dict[str, str],
                                                          tmp_path: Path):
    """`analyze` (even --format json) died with UnicodeEncodeError on an ASCII stdout."""
    f, db = ascii_store
    ascii_only = env.get("PYTHONIOENCODING") == "ascii" or env.get("PYTHONUTF8") == "0"
    commands = [
        ("analyze", "--db", str(db)), ("analyze", "--db", str(db), "--by", "feature,tenant"),
        ("analyze", "--db", str(db), "-f", "markdown"), ("recommend", "--db", str(db)),
        ("simulate", "--db", str(db), "--cache", "auto"), ("sources", "--db", str(db)),
        ("rejects", "--db", str(db)), ("ingest", str(f), "--db", str(db)),
        ("report", "--db", str(db), "-o", str(tmp_path / "r.html")),
        ("pricing", "show", "claude-sonnet-4-5"), ("pricing", "list"), ("pricing", "check"),
        ("analyze", str(tmp_path / "missing→.csv"), "--db", str(db)),
    ]
    if env != NOT_UTF8[0]:  # the whole list once (ASCII); the other locales the commands that differ
        commands = [c for c in commands if c[0] in ("analyze", "pricing") and c[1] != "list"][:4] + commands[-1:]
    for args in commands:
        r = _llmcost(*args, env=env)
        out, err = r.stdout, r.stderr
        assert b"Traceback" not in err and b"UnicodeEncodeError" not in err, (args, err)
        assert r.returncode == (1 if "missing→.csv" in args[1] else 0), (args, err)
        assert b"\x1b" not in out + err and b"\x07" not in out + err, args
        if ascii_only:
            assert max(out + err, default=0) < 128, (args, out + err)
    r = _llmcost("analyze", "--db", str(db), "-f", "json", env=env)
    assert r.returncode == 0, r.stderr
    if ascii_only:
        assert max(r.stdout) < 128
    doc = json.loads(r.stdout)
    assert "café 日本" in {row["tenant"] for row in doc["by_tenant"]}
    assert OSC8_LINK in {row["feature"] for row in doc["by_feature"]}
    assert doc == json.loads(_llmcost("analyze", "--db", str(db), "-f", "json").stdout)


def test_ascii_terminal_keeps_the_layout_and_the_literal_text(ascii_store: tuple[Path, Path]):
    _, db = ascii_store
    r = _llmcost("analyze", "--db", str(db), "--by", "feature", env={"PYTHONIOENCODING": "ascii"})
    out = r.stdout.decode("ascii")
    assert "+- LLM spend . 2026-10-01 > 2026-10-01" in out  # box drawing and arrows in ASCII
    assert MARKUP_CLOSE in out and MARKUP_LINK in out and "?]8;;http://evil?x?]8;;?" in out
    box = [line for line in out.splitlines() if line.startswith(("+", "|"))]
    assert len({len(line) for line in box}) == 1, box  # every line of the panel as wide


def test_help_and_usage_errors_on_a_stream_that_is_not_utf8():
    """click writes help and usage errors to an ASCII stream as UTF-8 bytes (it takes ASCII for a
    misconfigured locale): `simulate --help` sent `…` and `→` as mojibake to an ASCII terminal."""
    import typer.main

    from llmcost.cli import app

    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    pricing = group.commands["pricing"]
    assert isinstance(pricing, typer.core.TyperGroup)
    helps = [(), *[(name,) for name in group.commands], *[("pricing", name) for name in pricing.commands]]
    for env in NOT_UTF8[:2]:  # PYTHONIOENCODING=ascii; LC_ALL=C without UTF-8 mode
        for args in helps if env is NOT_UTF8[0] else [(), ("simulate",)]:
            r = _llmcost(*args, "--help", env=env)
            assert r.returncode == 0 and b"Traceback" not in r.stderr, (args, r.stderr)
            assert b"Usage:" in r.stdout and max(r.stdout + r.stderr) < 128, (args, r.stdout)
            # worded before click wraps it: `→` as `->` pushed a line of `simulate --help` to 82
            assert max(len(line) for line in r.stdout.splitlines()) <= 80, (args, r.stdout)
        words = " ".join(_llmcost("simulate", "--help", env=env).stdout.decode("ascii").split())
        # the docstring's `if…` and `route → cascade → trim prompt`, worded in ASCII
        assert "What would the bill be if... Levers stack" in words
        assert "route -> cascade -> trim prompt" in words
        r = _llmcost("nosuch→", env=env)  # a usage error quoting a word from the command line
        assert r.returncode == 2 and max(r.stdout + r.stderr) < 128, r.stderr
        # on an ASCII locale the argument's bytes were not text to Python: click quotes their escapes
        assert (b"No such command 'nosuch->'" if env is NOT_UTF8[0] else
                b"No such command 'nosuch\\udce2\\udc86\\udc92'") in r.stderr, r.stderr


# ---------------------------------------------------------------- Ctrl-C

def test_ctrl_c_when_nothing_is_loading_says_only_interrupted(cli, hostile: Path, monkeypatch):
    """Ctrl-C while the calls were being summarised said "the file being loaded was rolled back"."""
    import llmcost.report.analysis as analysis

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(analysis, "analyze_calls", interrupted)
    r = cli("analyze")
    assert r.exit_code == 130
    assert r.stderr.strip() == "Error: Interrupted."
    r = cli("analyze", str(hostile))  # the file is already stored: nothing loads, then Ctrl-C
    assert r.exit_code == 130 and r.stderr.strip() == "Error: Interrupted."


def test_ctrl_c_while_a_file_loads_says_it_was_rolled_back(cli, tmp_path: Path, monkeypatch):
    import llmcost.ingest as ingest

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest, "ingest_files", interrupted)
    r = cli("analyze", str(hostile_csv(tmp_path / "calls.csv")))
    assert r.exit_code == 130
    assert r.stderr.startswith("Error: Interrupted; the file being loaded was rolled back")


def test_duckdb_query_interrupted_outside_a_load_is_plain():
    from llmcost.cli.common import wrap_unexpected
    from llmcost.errors import Interrupted

    for e in (KeyboardInterrupt(), RuntimeError("Query interrupted")):
        wrapped = wrap_unexpected(e)
        assert isinstance(wrapped, Interrupted) and wrapped.message == "Interrupted."
        assert wrapped.exit_code == 130
