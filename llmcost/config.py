"""`llmcost.yaml`: what the team knows that the logs cannot say — task policies and quality.

```yaml
tasks:
  summarize:
    batchable: true          # needs no live answer: the batch lever may take it
  answer:
    interactive: true        # an end user waits: never batched
    routes: []               # never routed to another model
  classify:
    routes: [haiku, mini]    # routing allowed, to these targets only
    quality_floor: 0.9       # routing only where measured quality stays at or above this
    trim_prompt: 0.3         # your estimate: the static prompt could shrink by 30 %
quality_eval: evals.csv      # optional: task_type,model,score (0-1), from your own evals
```
Loaded with `yaml.safe_load`; unknown keys are an error (a typo must not silently do nothing).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from llmcost.errors import ConfigError

DEFAULT_CONFIG = "llmcost.yaml"
TASK_KEYS = {"batchable", "interactive", "routes", "quality_floor", "trim_prompt"}


@dataclass
class TaskPolicy:
    batchable: bool | None = None
    interactive: bool | None = None
    routes: list[str] | None = None  # None: the built-in rule; []: never route
    quality_floor: float | None = None
    trim_prompt: float | None = None


@dataclass
class Config:
    tasks: dict[str, TaskPolicy] = field(default_factory=dict)
    quality: dict[tuple[str, str], float] = field(default_factory=dict)  # (task, model) -> score
    path: str | None = None

    def batchable_tasks(self) -> list[str]:
        return sorted(t for t, p in self.tasks.items() if p.batchable and not p.interactive)

    def interactive_tasks(self) -> set[str]:
        return {t for t, p in self.tasks.items() if p.interactive}


def load_config(path: str | None) -> Config:
    """`--config PATH`, else ./llmcost.yaml when present, else no policies."""
    if path is None:
        if not Path(DEFAULT_CONFIG).is_file():
            return Config()
        path = DEFAULT_CONFIG
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"--config {path}: no such file.", "Write one like docs/config.md, or leave --config out.")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {str(e).splitlines()[0]}", "See docs/config.md.") from e
    if not isinstance(doc, dict):
        raise ConfigError(f"{path} must be a mapping with `tasks:`.", "See docs/config.md.")
    unknown = set(doc) - {"tasks", "quality_eval"}
    if unknown:
        raise ConfigError(f"{path}: unknown keys {', '.join(sorted(unknown))}.", "Known: tasks, quality_eval.")
    cfg = Config(path=str(p))
    for task, raw in (doc.get("tasks") or {}).items():
        raw = raw or {}
        if not isinstance(raw, dict) or set(raw) - TASK_KEYS:
            bad = sorted(set(raw) - TASK_KEYS) if isinstance(raw, dict) else [str(raw)]
            raise ConfigError(f"{path}: task {task}: unknown settings {', '.join(bad)}.",
                              "Known: " + ", ".join(sorted(TASK_KEYS)) + ".")
        cfg.tasks[str(task)] = TaskPolicy(
            batchable=_opt_bool(raw, "batchable", path, task),
            interactive=_opt_bool(raw, "interactive", path, task),
            routes=[str(r) for r in raw["routes"]] if "routes" in raw and raw["routes"] is not None else None,
            quality_floor=_opt_float(raw, "quality_floor", path, task),
            trim_prompt=_opt_float(raw, "trim_prompt", path, task),
        )
    if doc.get("quality_eval"):
        cfg.quality = load_eval(p.parent / str(doc["quality_eval"]))
    return cfg


def _opt_bool(raw: dict[str, Any], key: str, path: str, task: str) -> bool | None:
    if key not in raw:
        return None
    if not isinstance(raw[key], bool):
        raise ConfigError(f"{path}: task {task}: {key} must be true or false.", "See docs/config.md.")
    return bool(raw[key])


def _opt_float(raw: dict[str, Any], key: str, path: str, task: str) -> float | None:
    if key not in raw:
        return None
    try:
        value = float(raw[key])
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{path}: task {task}: {key} must be a number.", "See docs/config.md.") from e
    if not 0 <= value <= 1:
        raise ConfigError(f"{path}: task {task}: {key} must be between 0 and 1.", "See docs/config.md.")
    return value


def load_eval(path: Path) -> dict[tuple[str, str], float]:
    """task_type,model,score rows (a header line first)."""
    if not path.is_file():
        raise ConfigError(f"quality_eval {path}: no such file.", "Give a CSV with task_type,model,score.")
    out: dict[tuple[str, str], float] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f), 2):
            try:
                out[(row["task_type"], row["model"])] = float(row["score"])
            except (KeyError, TypeError, ValueError) as e:
                raise ConfigError(f"{path} line {i}: expected task_type,model,score.",
                                  "Scores are numbers from 0 to 1.") from e
    return out
