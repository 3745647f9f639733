"""`llmcost init`: a commented llmcost.yaml drafted from the store's task types and traffic.

One entry per task type seen in scope, its traffic as comments (calls, cost, average tokens, the
models it runs on) and the settings a team usually decides for it left as commented examples:
nothing is switched on by the draft, so `recommend` gives the same plan with it as without it
until someone uncomments a line. The text is checked against `llmcost.config.SCHEMA` before it
is handed back, so a draft `recommend` would refuse is a bug caught here, never a user's problem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import yaml

from llmcost.config import DOCS, SCHEMA
from llmcost.errors import ConfigError, LlmcostError
from llmcost.simulate.levers import SIMPLE_TASK, SMALL_FAMILY
from llmcost.store import Store
from llmcost.yaml_schema import validate

MODELS_SHOWN = 3  # models named per task (the busiest); the rest counted


@dataclass
class TaskTraffic:
    """One task type's calls in scope, as the draft comments on them."""

    task_type: str
    calls: int
    cost_usd: Decimal | None  # None: no call of the task is priced
    unpriced_calls: int
    avg_input_tokens: float
    avg_output_tokens: float
    models: list[str]  # busiest first
    providers: list[str]
    median_output_tokens: float


@dataclass
class StarterConfig:
    text: str
    tasks: list[TaskTraffic]
    scope: ScopeTraffic


@dataclass
class ScopeTraffic:
    """All the calls in scope: how many, those without a task type, their cost, first and last."""

    calls: int
    without_task: int
    cost_usd: Decimal  # of the priced calls
    start: datetime | None
    end: datetime | None


def task_traffic(store: Store, relation: str) -> tuple[list[TaskTraffic], ScopeTraffic]:
    """Per task type in `relation` (the priced calls in scope): its traffic, costliest first;
    and the traffic of all the calls in scope."""
    rows = store.query(f"""
        WITH per_model AS (
            SELECT task_type, coalesce(model_id, model) AS model, count(*) AS n, sum(cost_usd) AS cost,
                   count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced, sum(input_tokens) AS tin,
                   sum(output_tokens) AS tout, any_value(provider) AS provider
            FROM {relation} WHERE task_type IS NOT NULL GROUP BY ALL),
        medians AS (SELECT task_type, median(output_tokens) AS median_out FROM {relation}
                    WHERE task_type IS NOT NULL GROUP BY task_type)
        SELECT task_type, sum(n), sum(cost), sum(unpriced), sum(tin) / sum(n), sum(tout) / sum(n),
               list(model ORDER BY n DESC, model), list(DISTINCT provider) FILTER (WHERE provider IS NOT NULL),
               any_value(median_out)
        FROM per_model JOIN medians USING (task_type) GROUP BY task_type
        ORDER BY sum(cost) DESC NULLS LAST, sum(n) DESC, task_type""")
    calls, without, cost, start, end = store.query(f"""
        SELECT count(*), count(*) FILTER (WHERE task_type IS NULL), sum(cost_usd), min(ts), max(ts)
        FROM {relation}""")[0]
    tasks = [TaskTraffic(task_type=str(t), calls=int(n), cost_usd=cost, unpriced_calls=int(unpriced),
                         avg_input_tokens=float(avg_in or 0), avg_output_tokens=float(avg_out or 0),
                         models=[str(m) for m in models or []], providers=sorted(str(p) for p in providers or []),
                         median_output_tokens=float(median_out or 0))
             for t, n, cost, unpriced, avg_in, avg_out, models, providers, median_out in rows]
    return tasks, ScopeTraffic(int(calls), int(without), Decimal(cost or 0), start, end)


def draft_config(store: Store, relation: str, scope_words: str) -> StarterConfig:
    """The commented llmcost.yaml for the calls in `relation`; `scope_words` says which calls
    (the store, files, a date range) in its header. No calls at all is an error: there is
    nothing to draft from."""
    tasks, scope = task_traffic(store, relation)
    if scope.calls == 0:
        raise LlmcostError("No calls in scope: there are no task types to draft llmcost.yaml from.",
                           "Load your logs first (llmcost ingest logs/), or give them: llmcost init logs/.")
    text = starter_yaml(tasks, scope, scope_words)
    check_draft(text)
    return StarterConfig(text, tasks, scope)


def check_draft(text: str) -> None:
    """The draft must pass the schema `recommend` checks llmcost.yaml with (a bug otherwise)."""
    validate(yaml.safe_load(text), SCHEMA, "the drafted llmcost.yaml", ConfigError, DOCS)


def yaml_key(name: str) -> str:
    """A task type as a YAML key: as written when YAML reads it back as the same text, else
    double-quoted (JSON's quoting is valid YAML)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_./-]*", name) and yaml.safe_load(f"{name}: 1") == {name: 1}:
        return name
    return json.dumps(name, ensure_ascii=False)


def _usd(cost: Decimal | None) -> str:
    if cost is None:
        return "unpriced"
    return f"${cost:,.2f}" if cost >= Decimal("0.01") or cost == 0 else f"${cost:.6f}".rstrip("0")


def _traffic_line(t: TaskTraffic, total_cost: Decimal) -> str:
    cost = _usd(t.cost_usd)
    if t.cost_usd is not None and total_cost > 0:
        cost += f" ({t.cost_usd / total_cost * 100:.0f} % of the cost)"
    if t.unpriced_calls and t.cost_usd is not None:
        cost += f", {t.unpriced_calls:,} calls unpriced"
    return (f"{t.calls:,} call{'s' if t.calls != 1 else ''} · {cost} · avg {t.avg_input_tokens:,.0f} "
            f"input / {t.avg_output_tokens:,.0f} output tokens")


def _models_line(t: TaskTraffic) -> str:
    shown = ", ".join(t.models[:MODELS_SHOWN])
    more = len(t.models) - MODELS_SHOWN
    return f"on {shown}" + (f" and {more} more model{'s' if more != 1 else ''}" if more > 0 else "")


def _route_example(t: TaskTraffic) -> tuple[str, str]:
    """The commented `routes:` line (each provider's small family) and what `recommend`'s
    built-in rule does with the task without one (`llmcost.simulate.recommend`: a simple task by
    its name, or a summary whose median output is under 250 tokens, may be routed)."""
    families = [SMALL_FAMILY[p] for p in t.providers if p in SMALL_FAMILY] or ["haiku", "mini"]
    targets = "[" + ", ".join(dict.fromkeys(families)) + "]"
    if SIMPLE_TASK.search(t.task_type):
        return f"# routes: {targets}", "recommend may route it (a simple task by its name); routes: [] forbids it"
    if t.task_type.startswith("summar") and t.median_output_tokens < 250:
        return (f"# routes: {targets}", "recommend may route it (short summaries: median output "
                f"{t.median_output_tokens:,.0f} tokens); routes: [] forbids it")
    return f"# routes: {targets}", "recommend does not route it unless routes: allows it"


def starter_yaml(tasks: list[TaskTraffic], scope: ScopeTraffic, scope_words: str) -> str:
    """The commented YAML (shares are of the cost of every priced call in scope)."""
    start, end, calls, without = scope.start, scope.end, scope.calls, scope.without_task
    period = f"{start:%Y-%m-%d} to {end:%Y-%m-%d}" if start is not None and end is not None else "no call times"
    total_cost = scope.cost_usd
    lines = [
        "# llmcost.yaml: what your team knows that the logs cannot say (docs/config.md).",
        "# recommend, simulate and report read it. Drafted by `llmcost init` from",
        f"# {scope_words}: {calls:,} call{'s' if calls != 1 else ''}, {period}.",
        "# Nothing below is switched on: uncomment a setting to use it. The settings a task may have:",
        "#   batchable: true          needs no live answer: the batch lever may take it",
        "#   interactive: true        an end user waits: never batched",
        "#   routes: [haiku, mini]    routing allowed to these models or families; [] forbids it",
        "#   quality_floor: 0.9       route only where measured quality stays at or above this",
        "#   trim_prompt: 0.3         your estimate: the static prompt could shrink by 30 %",
        "#   max_input_tokens: 3000   cap input beyond the static prefix (e.g. RAG top-k)",
        "#   deflect: 0.35            your estimate: share answered without an LLM call",
    ]
    if without:
        lines.append(f"# Calls in scope without a task type: {without:,} (llmcost.yaml cannot set policies "
                     "for them).")
    if not tasks:
        lines += ["# No call in scope names a task type (a task_type column, or --map COLUMN=task_type),",
                  "# so there is no task to set policies for yet.", "tasks:"]
    else:
        lines.append("tasks:")
    for t in tasks:
        route, rule = _route_example(t)
        lines += [
            f"  {yaml_key(t.task_type)}:",
            f"    # {_traffic_line(t, total_cost)}",
            f"    # {_models_line(t)}",
            f"    # {rule}",
            f"    {route}",
            "    # quality_floor: 0.9",
            "    # batchable: true",
        ]
    lines += ["# Scores from your own evaluations (CSV or JSON Lines, relative to this file):",
              "# quality_eval: evals.csv"]
    return "\n".join(lines) + "\n"
