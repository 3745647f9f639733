"""Paths in shared artefacts (reports written to a file, sent on): never the user's absolute
paths, which name their home folder and machine; a path relative to where the command ran
instead, which is also what reproduces the run from there. (The terminal's rule, which keeps a
path outside the working directory absolute, is `render.paths.shown_path`.)"""

from __future__ import annotations

import os


def shared_path(path: str, cwd: str | None = None) -> str:
    """`path` relative to `cwd` (the working directory), as written when it is relative already;
    a path on another drive (Windows), where no relative path exists, by its file name."""
    if not path or not os.path.isabs(path):
        return path
    try:
        return os.path.relpath(path, cwd or os.getcwd())
    except ValueError:
        return os.path.basename(path)


def shown_in_text(text: str, paths: list[str], cwd: str | None = None) -> str:
    """A note that quotes some of `paths` (absolute), with each quoted as `shared_path` gives it."""
    for p in sorted({p for p in paths if os.path.isabs(p)}, key=len, reverse=True):
        if p in text:
            text = text.replace(p, shared_path(p, cwd))
    return text
