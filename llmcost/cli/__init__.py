"""The command line: thin commands that parse options, make one core call and hand the result
to a renderer. Errors are caught once, here (`LlmcostGroup.invoke`).

Heavy modules (duckdb, pyarrow, datasketch) are imported inside the commands, so `llmcost --help`
stays instant.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from llmcost import __version__
from llmcost.cli import common, progress
from llmcost.errors import LlmcostError


class LlmcostGroup(TyperGroup):
    """Catches every `LlmcostError` once: one paragraph, a hint, exit code 1 (2 for usage); DuckDB
    and OS errors that escaped their context likewise (`common.wrap_unexpected`), Ctrl-C with 130.
    `--debug` / LLMCOST_DEBUG=1 re-raise them for the traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # stdout/stderr that cannot encode a character (PYTHONIOENCODING=ascii, a C locale
        # without UTF-8 mode, a lone surrogate from a file name): ASCII words, never a traceback
        from llmcost.render.safe_text import ascii_fallback, can_encode, install_stream_fallback

        install_stream_fallback()
        _metavars_only(self)
        if not can_encode("→…", sys.stdout):  # help worded in ASCII before click wraps it
            encoding = getattr(sys.stdout, "encoding", None) or "ascii"
            _word_help(self, lambda text: ascii_fallback(text, encoding))
        return super().main(*args, **kwargs)

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        # Ctrl-C while the options are parsed (a slow start): said, not typer's silent exit 130
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt as e:
            wrapped = common.wrap_unexpected(e)
            if wrapped is None or common.debug_enabled():
                raise
            common.print_error(wrapped)
            sys.exit(wrapped.exit_code)

    def invoke(self, ctx: Any) -> Any:
        common.reset_failed_files()
        progress.set_quiet(False)  # each command sets it from its own --quiet
        try:
            result = super().invoke(ctx)
        except LlmcostError as e:
            if common.debug_enabled():
                raise
            common.print_error(e)
            sys.exit(e.exit_code)
        except (Exception, KeyboardInterrupt) as e:
            # DuckDB / OS failures that escaped their context, and Ctrl-C: one paragraph too
            wrapped = common.wrap_unexpected(e)
            if wrapped is None or common.debug_enabled():
                raise
            common.print_error(wrapped)
            sys.exit(wrapped.exit_code)
        if common.failed_files():  # the result is printed for the files that loaded
            sys.exit(1)
        return result


def _metavars_only(command: Any) -> None:
    """An argument given a metavar (FILE, MODEL) is shown by it alone, not followed by typer's
    Python type (`FILE <list[str]>`)."""
    for param in getattr(command, "params", []):
        if isinstance(param, typer.core.TyperArgument) and param.metavar is not None:
            setattr(param, "display_type_rich", lambda ctx: None)  # noqa: B010
    for sub in getattr(command, "commands", {}).values():
        _metavars_only(sub)


def _word_help(command: Any, word: Any) -> None:
    """Rewrite the help texts of `command`, its options and its subcommands with `word`."""
    for attr in ("help", "short_help", "epilog"):
        if isinstance(getattr(command, attr, None), str):
            setattr(command, attr, word(getattr(command, attr)))
    for param in getattr(command, "params", []):
        if isinstance(getattr(param, "help", None), str):
            param.help = word(param.help)
    for sub in getattr(command, "commands", {}).values():
        _word_help(sub, word)


app = typer.Typer(
    cls=LlmcostGroup,
    name="llmcost",
    help="Turn the logs of LLM API calls into answers: where the money goes, what it would "
    "cost if you changed X, and which changes save the most. Offline; nothing leaves this machine.",
    epilog=common.examples(
        "llmcost analyze logs/           # load logs, see where the money goes",
        "llmcost recommend               # ranked savings and the stacked plan",
        "llmcost report -o report.html   # the report for finance",
        "llmcost init                    # llmcost.yaml from your task types",
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"llmcost {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """llmcost: cost analysis of LLM API call logs."""


from llmcost.cli import analyze as _analyze  # noqa: E402,F401  (registers commands)
from llmcost.cli import breakeven as _breakeven  # noqa: E402,F401
from llmcost.cli import check as _check  # noqa: E402,F401
from llmcost.cli import diff as _diff  # noqa: E402,F401
from llmcost.cli import forecast as _forecast  # noqa: E402,F401
from llmcost.cli import ingest as _ingest  # noqa: E402,F401
from llmcost.cli import init as _init  # noqa: E402,F401
from llmcost.cli import pricing_commands as _pricing  # noqa: E402,F401
from llmcost.cli import reconcile as _reconcile  # noqa: E402,F401
from llmcost.cli import report as _report  # noqa: E402,F401
from llmcost.cli import store_commands as _store  # noqa: E402,F401
from llmcost.cli import whatif as _whatif  # noqa: E402,F401


def main() -> None:
    app()
