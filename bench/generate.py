"""Deterministic generator of realistic call logs for the benchmarks (no randomness: every value
is a hash of the row number, so every run writes the same bytes).

    python bench/generate.py --rows 10000000 --format csv   -> bench/data/logs_10m.csv
    python bench/generate.py --rows 1000000 --format jsonl  -> bench/data/logs_1m.jsonl
    python bench/generate.py --claude-code 1000000          -> bench/data/claude_code/ (transcripts)

Shape: 90 days from 2026-07-01, 8 models over 4 providers, 6 task types, 5 features, 200 tenants
(skewed), conversations of ~6 calls, a system-prompt prefix per task type, some exact repeats.
Written by DuckDB's COPY, so 10M rows take seconds, not minutes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

DATA = Path(__file__).resolve().parent / "data"

MODELS = ["claude-sonnet-4-5-20250929", "claude-haiku-4-5", "gpt-4o-2024-08-06", "gpt-4o-mini",
          "gpt-5-mini", "gemini-2.5-flash", "gemini-2.5-pro", "deepseek-v4-flash"]
TASKS = ["answer", "summarize", "extract", "classify", "tag", "rewrite"]
FEATURES = ["chat", "search", "reports", "inbox", "autocomplete"]


def rows_sql(n: int) -> str:
    models = "[" + ", ".join(f"'{m}'" for m in MODELS) + "]"
    tasks = "[" + ", ".join(f"'{t}'" for t in TASKS) + "]"
    features = "[" + ", ".join(f"'{f}'" for f in FEATURES) + "]"
    return f"""
    SELECT
      strftime(TIMESTAMP '2026-07-01' + to_microseconds(CAST(i * (90 * 86400000000 // {n}) AS BIGINT)),
               '%Y-%m-%dT%H:%M:%SZ') AS timestamp,
      {models}[1 + CAST(hash(i, 1) % {len(MODELS)} AS INTEGER)] AS model,
      {tasks}[1 + CAST(hash(i, 2) % {len(TASKS)} AS INTEGER)] AS task_type,
      {features}[1 + CAST(hash(i, 3) % {len(FEATURES)} AS INTEGER)] AS feature,
      'tenant_' || CAST(floor(pow(CAST(hash(i, 4) % 1000000 AS DOUBLE) / 1e6, 3) * 200) AS INTEGER) AS tenant,
      'conv_' || CAST(i // 6 AS VARCHAR) AS conversation_id,
      CAST(800 + hash(i, 5) % 9000 AS BIGINT) AS input_tokens,
      CAST(5 + hash(i, 6) % 900 AS BIGINT) AS output_tokens,
      'sys_' || {tasks}[1 + CAST(hash(i, 2) % {len(TASKS)} AS INTEGER)] AS prefix_hash,
      CAST(600 AS BIGINT) AS prefix_tokens,
      CAST(hash(i // 3 * (hash(i, 7) % 5 = 0)::INT + i * (hash(i, 7) % 5 <> 0)::INT, 8) AS VARCHAR) AS prompt_hash,
      CAST(200 + hash(i, 9) % 4000 AS INTEGER) AS latency_ms,
      CASE WHEN hash(i, 10) % 300 = 0 THEN 'error' ELSE 'ok' END AS status
    FROM range({n}) t(i)"""


def write_logs(n: int, fmt: str, out: Path) -> None:
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    opts = "(HEADER, DELIMITER ',')" if fmt == "csv" else "(FORMAT json)"
    con.execute(f"COPY ({rows_sql(n)}) TO '{out}' {opts}")


def write_claude_code(lines: int, out: Path, files: int = 400) -> None:
    """Transcripts: per session file, user and assistant lines; every 4th assistant message is
    written twice (a streamed copy with smaller usage first), as Claude Code does."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    per_file = lines // files
    for f in range(files):
        path = out / f"project-{f % 20}" / f"session-{f:04d}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"""COPY (
          SELECT CASE WHEN i % 3 = 0 THEN
            '{{"type":"user","timestamp":"' || ts || '","sessionId":"s{f}","message":{{"role":"user","content":"hi"}}}}'
          ELSE
            '{{"type":"assistant","timestamp":"' || ts || '","sessionId":"s{f}","requestId":"req_{f}_' || (i // 2) ||
            '","message":{{"id":"msg_{f}_' || (i // 2) || '","role":"assistant","model":"' ||
            CASE WHEN hash(i, {f}) % 3 = 0 THEN 'claude-opus-4-6' ELSE 'claude-sonnet-4-5-20250929' END ||
            '","usage":{{"input_tokens":' || (10 + hash(i, 1) % 200) || ',"output_tokens":' ||
            (CASE WHEN i % 2 = 0 THEN 20 ELSE 20 + hash(i // 2, 2) % 800 END) ||
            ',"cache_creation_input_tokens":' || (hash(i, 3) % 3000) ||
            ',"cache_read_input_tokens":' || (hash(i, 4) % 40000) || '}}}},"version":"2.0.0"}}'
          END AS line
          FROM (SELECT i, strftime(TIMESTAMP '2026-10-01'
                                   + to_microseconds(CAST(({f} * {per_file} + i) * 1000000 AS BIGINT)),
                                   '%Y-%m-%dT%H:%M:%S.000Z') AS ts
                FROM range({per_file}) t(i))
        ) TO '{path}' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\\x01')""")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int)
    ap.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    ap.add_argument("--claude-code", type=int, metavar="LINES")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    DATA.mkdir(exist_ok=True)
    if a.claude_code:
        write_claude_code(a.claude_code, a.out or DATA / "claude_code")
    if a.rows:
        label = f"{a.rows // 1_000_000}m" if a.rows >= 1_000_000 else f"{a.rows // 1000}k"
        out = a.out or DATA / f"logs_{label}.{a.format}"
        write_logs(a.rows, a.format, out)
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
