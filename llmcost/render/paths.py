"""How a file path is shown in the terminal and in Markdown: one rule for every place that
prints one (ingest lines, `sources`, `rejects`, the files left alone).

A path is shown relative to the working directory when the file is under it (`logs/a.csv`),
otherwise as stored (the store keeps absolute paths), and always whole. Only where a line cannot
hold it (`fit_path`) are leading directories dropped, one at a time (`…/logs/a.csv`); the file
name itself is never cut. JSON keeps the stored path.
"""

from __future__ import annotations

import os
from pathlib import Path

from llmcost.render.safe_text import visible

ELIDED = "…" + os.sep


def _under(path: str, folder: str) -> str | None:
    """`path` relative to `folder` when it is inside it, else None."""
    try:
        if os.path.commonpath([path, folder]) != folder:
            return None
    except ValueError:  # a relative and an absolute path, or two drives
        return None
    rel = os.path.relpath(path, folder)
    return None if rel == "." else rel


def shown_path(path: str, cwd: str | None = None) -> str:
    """`path` as people read it: relative to the working directory (`cwd`, default the process's)
    when the file is under it, else as given; control characters made visible."""
    if not path or not os.path.isabs(path):
        return visible(path)
    here = cwd if cwd is not None else os.getcwd()
    candidates = [here]
    try:
        real = str(Path(here).resolve())
        if real != here:
            candidates.append(real)  # the store keeps resolved paths; the shell may be in a link
    except OSError:
        pass
    for folder in candidates:
        rel = _under(path, folder)
        if rel is not None:
            return visible(rel)
    return visible(path)


def fit_path(shown: str, room: int) -> str:
    """A shown path in at most `room` characters where it can be: whole if it fits, else with
    leading directories replaced by `…/` until it does; the file name is kept whole even where
    `…/name` is wider than `room` (the line then wraps it)."""
    if len(shown) <= room:
        return shown
    parts = shown.split(os.sep)
    for i in range(1, len(parts)):
        short = ELIDED + os.sep.join(parts[i:])
        if len(short) <= room:
            return short
    return ELIDED + parts[-1] if len(parts) > 1 else shown
