"""Help for people (issue 15 point 9): every command's help shows examples that work, option
values named by what they are (FILE, MODEL, DATE…) instead of Python types, summaries that fit
80 columns, `--version`, and shell completion."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from llmcost.cli import app

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def commands() -> list[tuple[tuple[str, ...], Any]]:
    """(path, click command) for the root, every command and every pricing subcommand."""
    group = typer.main.get_command(app)
    out: list[tuple[tuple[str, ...], Any]] = [((), group)]
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        out.append(((name,), cmd))
        for sub, subcmd in getattr(cmd, "commands", {}).items():
            out.append(((name, sub), subcmd))
    return out


def example_lines(epilog: str) -> list[str]:
    """The command lines of an "Examples:" epilog (a line ending in `\\` continues)."""
    lines, current = [], ""
    for raw in epilog.split("\b", 1)[1].splitlines():
        text = raw.strip()
        if not text:
            continue
        current = f"{current} {text}".strip()
        if current.endswith("\\"):
            current = current[:-1].strip()
            continue
        lines.append(current)
        current = ""
    return lines


def run(args: list[str], columns: int = 80) -> Any:
    r = CliRunner().invoke(app, args, env={"LLMCOST_DB": None, "COLUMNS": str(columns)})
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r


def test_every_command_has_two_to_four_examples():
    for path, cmd in commands():
        assert cmd.epilog and cmd.epilog.startswith("Examples:"), path
        lines = example_lines(cmd.epilog)
        assert 2 <= len(lines) <= 4, (path, lines)
        for line in lines:
            assert line.startswith("llmcost "), (path, line)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the examples name: logs/app.csv (the generic tracker fixture), calls.csv (10 gpt-4o
    classify calls), trace.csv (three rows of Azure's public trace, which names no model),
    team.yaml (task policies), budgets.yaml (check rules), invoice.csv (reconcile), LiteLLM's price
    file (an excerpt), daily.csv and price-cut.yaml (forecast), in a folder of their own."""
    d = tmp_path_factory.mktemp("examples")
    (d / "logs").mkdir()
    shutil.copy(DATA / "generic" / "tracker.csv", d / "logs" / "app.csv")
    shutil.copy(DATA / "plan" / "gpt4o_classify.csv", d / "calls.csv")
    shutil.copy(DATA / "generic" / "azure_trace_head.csv", d / "trace.csv")
    shutil.copy(DATA / "litellm_excerpt.json", d / "model_prices_and_context_window.json")
    (d / "team.yaml").write_text("tasks:\n  classify:\n    routes: [haiku, mini]\n", encoding="utf-8")
    (d / "budgets.yaml").write_text("check:\n  budgets:\n    - {scope: total, per: day, usd: 100}\n"
                                    "  max_unpriced_share: 0.01\n", encoding="utf-8")  # llmcost check
    # llmcost forecast: a month of calls by hand (gpt-4o-mini at noon, 200,000 in / 2,000 out a
    # day) and an overlay announcing a price cut
    (d / "daily.csv").write_text("timestamp,model,task_type,input_tokens,output_tokens\n" + "".join(
        f"2026-{m:02d}-{day:02d}T12:00:00Z,gpt-4o-mini,summarize,200000,2000\n"
        for m, first, last in ((9, 15, 30), (10, 1, 14)) for day in range(first, last + 1)), encoding="utf-8")
    (d / "price-cut.yaml").write_text("overrides:\n  - {model: gpt-4o-mini, effective_from: 2026-10-20, "
                                      "input: 0.075, output: 0.30}\n", encoding="utf-8")
    # llmcost reconcile: calls.csv's 10 gpt-4o calls of 1,000 input and 10 output tokens cost
    # 10 x (1,000 x $2.50 + 10 x $10) / 1M = $0.026; invoiced $0.03 is within the $1.00 tolerance
    (d / "invoice.csv").write_text("date,provider,model,amount_usd\n2026-10-05,openai,gpt-4o,0.03\n",
                                   encoding="utf-8")
    return d


def every_example() -> list[tuple[str, str]]:
    return [(" ".join(path) or "llmcost", line) for path, cmd in commands() for line in example_lines(cmd.epilog)]


@pytest.mark.parametrize(("command", "line"), every_example())
def test_every_example_runs(workdir: Path, monkeypatch: pytest.MonkeyPatch, command: str, line: str):
    """Each example line, run as written from the folder of the files it names, with the store
    holding logs/ and calls.csv (loaded again before each line: `forget` removes one); the draft
    an earlier `init` wrote is removed first, so `init` finds no llmcost.yaml."""
    monkeypatch.chdir(workdir)
    (workdir / "llmcost.yaml").unlink(missing_ok=True)
    assert run(["ingest", "logs/", "calls.csv"]).exit_code == 0
    if "litellm.yaml" in line and "-o litellm.yaml" not in line and not (workdir / "litellm.yaml").exists():
        # the overlay the example before it writes (with pytest -n, that one may run elsewhere)
        assert run(["pricing", "import-litellm", "model_prices_and_context_window.json",
                    "--effective-from", "2026-07-24", "-o", "litellm.yaml"]).exit_code == 0
    args = shlex.split(line, comments=True)
    assert args[0] == "llmcost"
    r = run(args[1:])
    assert r.exit_code == 0, (line, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr


def help_text(path: tuple[str, ...], columns: int = 80) -> str:
    r = run([*path, "--help"], columns)
    assert r.exit_code == 0, (path, r.stdout)
    return r.stdout


def test_help_names_values_not_python_types():
    """typer printed `--model <list[str]>`, `--db <str>`, `files... <list[str]>`."""
    for path, _ in commands():
        text = help_text(path)
        for python_type in ("<list[", "<str>", "<int>", "<float>", "<bool>", "<path>", "<datetime>"):
            assert python_type not in text, (path, python_type, text)
    text = help_text(("simulate",))
    for shown in ("--route [SCOPE=]TARGET", "--cap-output [SCOPE=]N", "--dedupe WINDOW", "--eval FILE",
                  "--since DATE", "--model MODEL", "--map COLUMN=FIELD", "-f, --format FORMAT",
                  "--cache auto|if-cheaper|off"):
        assert shown in text, shown
    assert "simulate [OPTIONS] [FILE]..." in text
    assert "\n  FILE  Log files" in help_text(("analyze",))


def test_summaries_fit_80_columns_whole():
    """click cut a long docstring's first sentence to fit: `Where the money goes: load FILES (if
    any) and price and...`. Every summary is whole, on one line of at most 80 columns."""
    for path in ((), ("pricing",)):
        text = help_text(path)
        listed = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
        assert len(listed) >= 5, text
        for row in listed:
            assert len(row) <= 80 and not row.rstrip().endswith("..."), row
        assert all(len(line) <= 80 for line in text.splitlines()), text


def test_version_and_completion():
    r = run(["--version"])
    assert r.exit_code == 0 and r.stdout.startswith("llmcost 0.")
    root = help_text(())
    assert "--install-completion" in root and "--show-completion" in root
    # the completion script, as the llmcost script would print it for bash
    r = subprocess.run([sys.executable, "-c", "import sys; sys.argv[0] = 'llmcost'; from llmcost.cli import main; "
                        "main()", "--show-completion", "bash"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "complete -o default -F _llmcost_completion llmcost" in r.stdout, r.stdout
    # completing a prefix only one command has ("rec" begins reconcile too)
    r = subprocess.run([sys.executable, "-c", "import sys; sys.argv[0] = 'llmcost'; from llmcost.cli import main; "
                        "main()"], capture_output=True, text=True, cwd=ROOT,
                       env={"_LLMCOST_COMPLETE": "complete_bash", "COMP_WORDS": "llmcost recom", "COMP_CWORD": "1",
                            "PATH": "/usr/bin:/bin"})
    assert r.stdout.split() == ["recommend"], (r.stdout, r.stderr)
