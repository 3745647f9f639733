"""The adapter registry: every log format llmcost reads, and how a file finds its adapter.

A new format is one module with a class having `name`, `description`, `sniff(sample) -> int` and
`project(ctx) -> Projection`, added to `ADAPTERS` below. `sniff` returns 0 for "not mine" and a
higher score the more specific the match: provider formats (recognised by their own field names)
score 50 and up, the generic adapter 5–10, so a specific format always wins.
"""

from __future__ import annotations

from llmcost.errors import UsageError
from llmcost.ingest.anthropic import AnthropicAdapter
from llmcost.ingest.anthropic_batch import AnthropicBatchAdapter
from llmcost.ingest.base import Adapter, FileSample
from llmcost.ingest.bedrock import BedrockAdapter
from llmcost.ingest.bedrock_converse import BedrockConverseAdapter
from llmcost.ingest.claude_code import ClaudeCodeAdapter
from llmcost.ingest.gemini import GeminiAdapter
from llmcost.ingest.generic import GenericAdapter, match_columns, not_a_call_log
from llmcost.ingest.helicone import HeliconeAdapter
from llmcost.ingest.langfuse import LangfuseAdapter
from llmcost.ingest.litellm import LiteLLMAdapter
from llmcost.ingest.openai import OpenAIAdapter
from llmcost.ingest.openai_batch import OpenAIBatchAdapter
from llmcost.ingest.serving_trace import ServingTraceAdapter

ADAPTERS: list[Adapter] = [
    OpenAIAdapter(),
    OpenAIBatchAdapter(),
    AnthropicAdapter(),
    AnthropicBatchAdapter(),
    GeminiAdapter(),
    ClaudeCodeAdapter(),
    LiteLLMAdapter(),
    LangfuseAdapter(),
    HeliconeAdapter(),
    BedrockAdapter(),
    BedrockConverseAdapter(),
    ServingTraceAdapter(),
    GenericAdapter(),
]


def adapter_names() -> list[str]:
    return [a.name for a in ADAPTERS]


def get_adapter(name: str) -> Adapter:
    for adapter in ADAPTERS:
        if adapter.name == name:
            return adapter
    raise UsageError(
        f"--source {name}: no such log format.",
        "Formats: " + ", ".join(adapter_names()) + " (see docs/formats.md).",
    )


def detect_adapter(sample: FileSample, forced: str | None = None,
                   column_map: dict[str, str] | None = None,
                   model: str | None = None) -> Adapter:
    """The adapter for a file: the forced one, else the best sniff score.

    `--map` or `--model` make the generic adapter eligible for a file it would not pick alone
    (it then explains exactly what is still missing)."""
    if forced:
        return get_adapter(forced)
    scored = sorted(((a.sniff(sample), i, a) for i, a in enumerate(ADAPTERS)),
                    key=lambda t: (-t[0], t[1]))
    best_score, _, best = scored[0]
    if best_score > 0:
        return best
    if column_map or model:
        return get_adapter("generic")
    matched = match_columns(sample, {})
    missing = [f for f in ("model", "input_tokens", "output_tokens")
               if f not in matched and not (f == "input_tokens" and "uncached_input_tokens" in matched)]
    raise not_a_call_log(sample, missing or ["model"])
