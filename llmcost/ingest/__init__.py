"""Reading call logs into the store: adapters (one module per format), the registry that picks
one per file, and the loader that accounts for every record."""

from llmcost.ingest.base import IngestOptions
from llmcost.ingest.load import FileResult, IngestResult, ingest_files

__all__ = ["FileResult", "IngestOptions", "IngestResult", "ingest_files"]
