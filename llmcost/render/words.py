"""Phrases every human renderer (terminal, Markdown, HTML) words the same way, as plain text:
errored calls beside the call count, unpriced calls beside (or instead of) the spend, and the
files a run left alone grouped by why. They only word figures the result objects hold."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmcost.ingest.load import IngestResult, NotCallLog
    from llmcost.report.analysis import UnpricedModel

ADD_PRICES = "add prices with --pricing"


def calls_phrase(calls: int, errored: int) -> str:
    """`29 calls (23 errored, not billed)`; `29 calls` when none errored."""
    out = f"{calls:,} call{'s' if calls != 1 else ''}"
    return out + (f" ({errored:,} errored, not billed)" if errored else "")


NAME_MODELS = "name the model with --model NAME"


def model_label(name: str | None) -> str:
    """A model as people read it: the logged name, or `(no model named)` for calls whose log
    named none."""
    return name if name is not None else "(no model named)"


def unpriced_hint(models: list[UnpricedModel]) -> str:
    """What to do about unpriced calls: add prices, and/or name the model a log left out."""
    unnamed = any(u.model is None for u in models)
    named = any(u.model is not None for u in models)
    if unnamed and not named:
        return NAME_MODELS
    return f"{ADD_PRICES}; {NAME_MODELS} for calls that name none" if unnamed else ADD_PRICES


def suggested(u: UnpricedModel) -> str:
    """`; did you mean gpt-4o?` after an unknown model name close to a price-book id."""
    return f"; did you mean {u.suggestion}?" if u.suggestion else ""


def models_phrase(models: list[UnpricedModel], limit: int = 3) -> str:
    """`qwen3.5:27b` or `a (9), b (3) and 2 more models`."""
    if len(models) == 1:
        return model_label(models[0].model)
    shown = ", ".join(f"{model_label(u.model)} ({u.calls:,})" for u in models[:limit])
    rest = len(models) - limit
    return shown + (f" and {rest} more model{'s' if rest != 1 else ''}" if rest > 0 else "")


def unpriced_calls_of(unpriced_calls: int, models: list[UnpricedModel]) -> str:
    """`9 calls of qwen3.5:27b`."""
    of = f" of {models_phrase(models)}" if models else ""
    return f"{unpriced_calls:,} call{'s' if unpriced_calls != 1 else ''}{of}"


def nothing_priced(unpriced_calls: int, models: list[UnpricedModel]) -> str:
    """The headline when no call in scope could be priced: the spend is unknown, not $0."""
    return f"unpriced: {unpriced_calls_of(unpriced_calls, models)} — {unpriced_hint(models)}"


def unpriced_beside(unpriced_calls: int, models: list[UnpricedModel]) -> str:
    """Beside a priced figure when some calls could not be priced."""
    of = f" of {models_phrase(models, 2)}" if models else ""
    return f"+ {unpriced_calls:,} unpriced call{'s' if unpriced_calls != 1 else ''}{of}, not in these figures"


@dataclass
class LeftAlone:
    """Files left alone for one reason: the first names (relative to `folder`) and how many more."""

    reason: str
    names: list[str]
    more: int

    @property
    def count(self) -> int:
        return len(self.names) + self.more


def common_folder(files: list[str]) -> str | None:
    """The folder every file is in, when there is one worth naming (not the root)."""
    if not files:
        return None
    try:
        folder = os.path.commonpath([os.path.dirname(f) or "." for f in files])
    except ValueError:  # absolute and relative paths, or different drives
        return None
    return folder if folder not in ("", ".", os.sep) else None


def left_alone(not_logs: list[NotCallLog], names_per_reason: int = 10,
               reasons: int = 10) -> tuple[str | None, list[LeftAlone], int]:
    """The files a run left alone, grouped by reason (most files first, then in the order met):
    (their common folder, the groups shown, how many files are in the groups not shown)."""
    folder = common_folder([x.file for x in not_logs])
    groups: dict[str, list[str]] = {}
    for x in not_logs:
        name = os.path.relpath(x.file, folder) if folder else x.file
        groups.setdefault(x.reason, []).append(name)
    ordered = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    shown = [LeftAlone(reason, sorted(names, key=_natural)[:names_per_reason],
                       max(0, len(names) - names_per_reason))
             for reason, names in ordered[:reasons]]
    hidden = sum(len(names) for _, names in ordered[reasons:])
    return folder, shown, hidden


def _natural(name: str) -> list[tuple[int, int | str]]:
    """note2 before note10."""
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", name)]


def names_phrase(group: LeftAlone) -> str:
    """`a.md, b.md and 3 more`."""
    return ", ".join(group.names) + (f" and {group.more:,} more" if group.more else "")


def failed_files(result: IngestResult, shown: int = 10) -> tuple[str, list[str]]:
    """The files a run could not load: a head line (`3 files loaded, 1 failed: …`, the one
    failure on the head line itself) and a line per failed file (`name — reason`, the first
    `shown`, then how many more), names relative to their common folder."""
    failed = result.failed
    loaded = len(result.files)
    folder = common_folder([x.file for x in failed]) if len(failed) > 1 else None
    lines = [f"{os.path.relpath(x.file, folder) if folder else _from_here(x.file)} — {x.reason}"
             for x in sorted(failed, key=lambda x: _natural(x.file))]
    head = f"{loaded:,} file{'s' if loaded != 1 else ''} loaded, {len(failed):,} failed"
    if len(lines) == 1:
        return f"{head}: {lines[0]}", []
    more = [f"… and {len(lines) - shown:,} more (--format json lists every one)"] if len(lines) > shown else []
    return head + (f" in {folder}:" if folder else ":"), lines[:shown] + more


def _from_here(path: str) -> str:
    """A path relative to the working directory when it is below it, else as it is."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
