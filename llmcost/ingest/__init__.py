"""Reading call logs into the store: adapters (one module per format), the registry that picks
one per file, and the loader that accounts for every record.

The names below load on first use: a command that reads no file (`analyze` on the store) does
not import the dozen adapters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcost.ingest.base import IngestOptions
    from llmcost.ingest.load import FileResult, IngestResult, ingest_files

__all__ = ["FileResult", "IngestOptions", "IngestResult", "ingest_files"]


def __getattr__(name: str) -> Any:
    if name == "IngestOptions":
        from llmcost.ingest import base

        return base.IngestOptions
    if name in ("FileResult", "IngestResult", "ingest_files"):
        from llmcost.ingest import load

        return getattr(load, name)
    raise AttributeError(f"module 'llmcost.ingest' has no attribute {name!r}")
