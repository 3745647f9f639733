"""The options the commands share, declared once: `@shared_options(...)` adds them to a command's
signature (typer reads `__signature__`) and hands the command one `ScopeOptions` instead of sixteen
parameters. `--debug` and `--quiet` are applied here, before the command's body runs.

    @app.command(...)
    @shared_options(without=("config",), after={"pricing": ("by",)})
    def analyze(o: common.ScopeOptions, by: ByOpt = None) -> None: ...

The command's own parameters before the `ScopeOptions` one come before the shared options in
`--help`, those after it after them (or right after the shared option `after` names).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from llmcost.cli import common, progress

Command = Callable[..., None]

# name → (declaration, default), in the order --help lists them
SHARED_OPTIONS: dict[str, tuple[Any, Any]] = {
    "files": (common.FilesArg, None),
    "db": (common.DbOpt, None),
    "fmt": (common.FormatOpt, common.OutputFormat.table),
    "since": (common.SinceOpt, None),
    "until": (common.UntilOpt, None),
    "model": (common.ModelOpt, None),
    "provider": (common.ProviderOpt, None),
    "feature": (common.FeatureOpt, None),
    "task": (common.TaskOpt, None),
    "tenant": (common.TenantOpt, None),
    "source": (common.SourceOpt, None),
    "mapping": (common.MapOpt, None),
    "start": (common.StartOpt, None),
    "input_excludes_cache": (common.ExcludesOpt, None),
    "pricing": (common.PricingOpt, None),
    "config": (common.ConfigOpt, None),
    "quiet": (progress.QuietOpt, False),
    "table": (common.TableOpt, None),
    "debug": (common.DebugOpt, False),
}
_APPLIED = ("quiet", "debug")  # set here for the command, not passed in ScopeOptions
_FIELD = {"input_excludes_cache": "excludes"}  # a shared option whose ScopeOptions field is named otherwise


def shared_options(*, only: Sequence[str] | None = None, without: Collection[str] = (),
                   after: Mapping[str, Sequence[str]] | None = None, replace: Mapping[str, Any] | None = None,
                   every_column: bool = False) -> Callable[[Command], Command]:
    """Give a command the shared options: all of them, `only` these (in this order) or all
    `without` these; `after` places some of the command's own options right after a shared one;
    `replace` declares a shared option differently for this command (its help text). The command
    takes one parameter annotated `common.ScopeOptions` (with `every_column` set as given)."""
    names = list(only) if only is not None else [n for n in SHARED_OPTIONS if n not in without]
    unknown = [n for n in [*names, *without, *(replace or {})] if n not in SHARED_OPTIONS]
    unknown += [n for n in (after or {}) if n not in names]
    if unknown:
        raise ValueError(f"not shared options: {unknown}")

    def decorate(func: Command) -> Command:
        hints = typing.get_type_hints(func, include_extras=True)
        own = [p.replace(annotation=hints.get(p.name, p.annotation))
               for p in inspect.signature(func).parameters.values()]
        marker = [i for i, p in enumerate(own) if p.annotation is common.ScopeOptions]
        if len(marker) != 1 or any(p.name in names for p in own):
            raise TypeError(f"{func.__name__}: one ScopeOptions parameter, and no own parameter named like a "
                            "shared option it takes")
        scope_name = own[marker[0]].name
        before, rest = own[:marker[0]], own[marker[0] + 1:]
        placed = {name for names_after in (after or {}).values() for name in names_after}
        by_name = {p.name: p for p in rest}
        params = list(before)
        for name in names:
            declared, default = SHARED_OPTIONS[name]
            annotation = (replace or {}).get(name, declared)
            params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                            annotation=annotation))
            params += [by_name[n] for n in (after or {}).get(name, ())]
        params += [p for p in rest if p.name not in placed]
        # keyword-only throughout: typer passes every value by name
        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params]

        @functools.wraps(func)
        def command(**kwargs: Any) -> None:
            shared = {name: kwargs.pop(name) for name in names}
            if "debug" in shared:
                common.set_debug(shared["debug"])
            if "quiet" in shared:
                progress.set_quiet(shared["quiet"])
            fields = {_FIELD.get(name, name): value for name, value in shared.items() if name not in _APPLIED}
            o = common.ScopeOptions(**fields, every_column=every_column)
            func(**kwargs, **{scope_name: o})

        command.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
        return command

    return decorate
