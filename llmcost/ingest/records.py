"""Field access shared by the provider-export adapters that read either a CSV file or JSON
records (lines or an array) with the same field names: LiteLLM spend logs and Helicone request
exports.

`RecordFields` hides the difference: `text(name)` is a field as VARCHAR (NULL when the column is
missing, empty or JSON null), `json(name)` a field holding JSON (an object in a JSON record, or
JSON text in a CSV cell or a JSON string), with a check that rejects the one record whose JSON
text is broken instead of failing the file.
"""

from __future__ import annotations

from llmcost.ingest.base import SourceContext, int_value, json_path, normalize_name, sql_ident, user_column


class RecordFields:
    """How one CSV-or-JSON file's fields read as SQL over its source rows."""

    def __init__(self, ctx: SourceContext) -> None:
        self.kind = ctx.sample.kind
        self.columns = ctx.sample.columns
        if self.kind == "csv":
            self.source = ctx.csv_rows()
            self.raw = "concat_ws(',', " + ", ".join(
                f"coalesce({sql_ident(user_column(c))}, '')" for c in self.columns) + ")"
            self.line_offset = 1
        else:
            self.source = ctx.json_records()
            self.raw = "_raw"
            self.line_offset = 0
        self._csv_by_norm: dict[str, str] = {}
        for c in self.columns:
            self._csv_by_norm.setdefault(normalize_name(c), c)

    def text(self, name: str) -> str:
        """The field as trimmed VARCHAR; NULL when absent, empty or JSON null."""
        if self.kind == "csv":
            col = self._csv_by_norm.get(normalize_name(name))
            if col is None:
                return "CAST(NULL AS VARCHAR)"
            return f"NULLIF(trim({sql_ident(user_column(col))}), '')"
        return f"NULLIF(trim(json_extract_string(_json, {json_path(name)})), '')"

    def json(self, name: str) -> str:
        """The field as JSON: an object as is, JSON text parsed; NULL when absent or broken."""
        text = self.text(name)
        parsed = f"(CASE WHEN json_valid({text}) THEN CAST({text} AS JSON) END)"
        if self.kind == "csv":
            return parsed
        node = f"json_extract(_json, {json_path(name)})"
        return f"(CASE WHEN json_type({node}) = 'VARCHAR' THEN {parsed} ELSE {node} END)"

    def json_check(self, name: str) -> tuple[str, str]:
        """Rejects a record whose field holds text that is not valid JSON."""
        text = self.text(name)
        if self.kind == "csv":
            cond = f"{text} IS NOT NULL AND NOT json_valid({text})"
        else:
            node = f"json_extract(_json, {json_path(name)})"
            cond = f"json_type({node}) = 'VARCHAR' AND {text} IS NOT NULL AND NOT json_valid({text})"
        return (f"coalesce({cond}, false)", f"'{name} is not valid JSON: ' || left({text}, 40)")

    def record_checks(self) -> list[tuple[str, str]]:
        """Checks every JSON record needs first (CSV parse errors go to DuckDB's rejects)."""
        if self.kind == "csv":
            return []
        return [("_json IS NULL", "'not valid JSON'"),
                ("json_type(_json) <> 'OBJECT'", "'not a JSON object'")]


def json_int(json_sql: str, key_path: str) -> str:
    """SQL: a whole number at `key_path` (dotted) inside a JSON value; NULL when absent."""
    return int_value(f"json_extract_string({json_sql}, {json_path(key_path)})")
