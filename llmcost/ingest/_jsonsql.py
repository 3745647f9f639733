"""Small SQL and sniffing helpers shared by the provider adapters that read raw API objects
(`openai`, `openai_batch`, `anthropic`, `anthropic_batch`, `gemini`).

Every helper returns SQL text over a JSON expression (`_json`, or a sub-document such as a batch
line's response body); nothing here touches rows in Python.
"""

from __future__ import annotations

from typing import Any

from llmcost.ingest.base import int_check, int_value, json_path


def jtext(doc: str, path: str) -> str:
    """SQL: the text of the value at dotted `path` in JSON `doc` (NULL when absent or null)."""
    return f"json_extract_string({doc}, {json_path(path)})"


def jfirst(doc: str, *paths: str) -> str:
    """SQL: the first of several dotted paths that is present (e.g. camelCase, then snake_case)."""
    if len(paths) == 1:
        return jtext(doc, paths[0])
    return "coalesce(" + ", ".join(jtext(doc, p) for p in paths) + ")"


def jlabel(raw: str) -> str:
    """SQL: a text label, blank taken as absent."""
    return f"NULLIF(trim({raw}), '')"


def jset(doc: str, path: str) -> str:
    """SQL boolean: the value at `path` is present and not JSON null."""
    return f"(coalesce(json_type(json_extract({doc}, {json_path(path)})), 'NULL') <> 'NULL')"


def never_null(cond: str) -> str:
    """A SQL condition that is false rather than NULL (the loader counts `skip` with FILTER)."""
    return f"coalesce(({cond}), false)"


def json_record_checks() -> list[tuple[str, str]]:
    """The reject checks every JSON-records adapter starts with."""
    return [("_json IS NULL", "'not valid JSON'"),
            ("json_type(_json) <> 'OBJECT'", "'not a JSON object'")]


def token_fields(raws: dict[str, str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """For each named raw token field: its BIGINT value and an int check (present but unreadable
    -> rejected, quoting the value)."""
    values = {name: int_value(raw) for name, raw in raws.items()}
    checks = [int_check(name, raw) for name, raw in raws.items()]
    return values, checks


def get(obj: Any, path: str) -> Any:
    """Python: the value at dotted `path` in a parsed record (None when absent)."""
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def any_record(records: list[dict[str, Any]], *preds: Any) -> bool:
    """Python: some sampled record satisfies every predicate."""
    return any(all(p(r) for p in preds) for r in records)


def no_time_note(records: list[dict[str, Any]], keys: tuple[str, ...], what: str) -> list[str]:
    """A note when none of the sampled records carries any of the time `keys`."""
    if any_record(records, lambda r: any(r.get(k) is not None for k in keys)):
        return []
    return [f"{what} carry no time (no {' / '.join(keys)} field): these calls have no ts"]
