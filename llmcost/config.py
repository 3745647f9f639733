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
  faq:
    deflect: 0.35            # your estimate: 35 % answered without an LLM call (FAQ filter, rules)
quality_eval: evals.csv      # optional: task_type,model,score (0-1), from your own evals
```
Read with the safe YAML loader and checked against `SCHEMA` (`llmcost.yaml_schema`): a mistake is
one error naming the key; unknown keys are an error (a typo must not silently do nothing).
`load_config` is for the commands that use the policies (recommend, simulate, report);
`try_load_config` for those that do not (analyze), which run on with a warning.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from llmcost.errors import ConfigError
from llmcost.yaml_schema import Bool, Dict, List, Map, Num, Str, as_number, decode_text, read_yaml, validate

DEFAULT_CONFIG = "llmcost.yaml"
DOCS = "docs/config.md"
TASK_KEYS = {"batchable", "interactive", "routes", "quality_floor", "trim_prompt", "deflect"}

# The schema of llmcost.yaml (checked by `llmcost.yaml_schema.validate`; docs/config.md).
_TASK = Map({"batchable": Bool(), "interactive": Bool(),
             "routes": List(Str("a model id or family"), what="a list of models or families ([] forbids routing)"),
             "quality_floor": Num("a score", 0, 1), "trim_prompt": Num("a fraction", 0, 1),
             "deflect": Num("a share of the calls", 0, 1, above_low=True)},
            what="a mapping of settings (" + ", ".join(sorted(TASK_KEYS)) + ")")
SCHEMA = Map({"tasks": Dict(_TASK, what="a mapping of task types to their settings", nullable=True),
              "quality_eval": Str("the path of a CSV file (task_type,model,score)")},
             what="a mapping with tasks: (and quality_eval:)")


@dataclass
class TaskPolicy:
    batchable: bool | None = None
    interactive: bool | None = None
    routes: list[str] | None = None  # None: the built-in rule; []: never route
    quality_floor: float | None = None
    trim_prompt: float | None = None
    deflect: float | None = None  # assumed share answered without an LLM call (llmcost.simulate.similar)


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
    """`--config PATH`, else ./llmcost.yaml when present, else no policies. A file that breaks
    the schema is a `ConfigError` naming the key (for the commands that use the policies:
    recommend, simulate, report)."""
    if path is None:
        if not Path(DEFAULT_CONFIG).is_file():
            return Config()
        path = DEFAULT_CONFIG
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"--config {path}: no such file.", "Write one like docs/config.md, or leave --config out.")
    doc = read_yaml(p, str(path), ConfigError, DOCS, "Check the file's permissions, or leave --config out.")
    if doc is None:
        doc = {}
    validate(doc, SCHEMA, str(path), ConfigError, DOCS)
    cfg = Config(path=str(p))
    for task, raw in (doc.get("tasks") or {}).items():
        raw = raw or {}
        cfg.tasks[str(task)] = TaskPolicy(
            batchable=raw.get("batchable"),
            interactive=raw.get("interactive"),
            routes=[str(r) for r in raw["routes"]] if raw.get("routes") is not None else None,
            quality_floor=_opt_float(raw.get("quality_floor")),
            trim_prompt=_opt_float(raw.get("trim_prompt")),
            deflect=_opt_float(raw.get("deflect")),
        )
    if doc.get("quality_eval"):
        cfg.quality = load_eval(p.parent / str(doc["quality_eval"]), f"{path}: quality_eval")
    return cfg


def try_load_config(path: str | None) -> tuple[Config, ConfigError | None]:
    """For a command that does not use the task policies (`analyze`): the config when it is
    valid, else no policies and the error, for one warning line (`config_warning`). A broken
    llmcost.yaml must not stop a command that never reads it."""
    try:
        return load_config(path), None
    except ConfigError as e:
        return Config(), e


def config_warning(e: ConfigError) -> str:
    """The warning line for a broken config a command does not need."""
    return (f"{e.message} This command uses no task policies and runs without them; "
            "recommend, simulate and report stop until the file is fixed.")


def _opt_float(value: object) -> float | None:
    d = as_number(value)
    return float(d) if d is not None else None


def load_eval(path: Path, key: str = "quality_eval") -> dict[tuple[str, str], float]:
    """task_type,model,score rows (a header line first); scores are numbers from 0 to 1. `key`
    names the setting that gave the file, in messages."""
    if not path.is_file():
        raise ConfigError(f"{key}: {path}: no such file.", "Give a CSV with task_type,model,score.")
    hint = "The eval file is a CSV with a header task_type,model,score and scores from 0 to 1."
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"{key}: {path} cannot be read: {e.strerror}.", hint) from None
    text = decode_text(data, f"{key}: {path}", ConfigError, hint)
    out: dict[tuple[str, str], float] = {}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in ("task_type", "model", "score") if c not in (reader.fieldnames or [])]
    if missing:
        raise ConfigError(f"{key}: {path}: no column {', '.join(missing)} in the header "
                          f"({', '.join(reader.fieldnames or []) or 'empty'}).", hint)
    try:
        for i, row in enumerate(reader, 2):
            task, model, score = row.get("task_type"), row.get("model"), as_number(row.get("score"))
            if not task or not model or score is None or not 0 <= score <= 1:
                found = ",".join(str(v) for v in row.values() if v is not None)[:80]
                raise ConfigError(f"{key}: {path} line {i}: expected task_type,model,score with a "
                                  f"score from 0 to 1, found {found!r}.",
                                  hint)
            out[(task, model)] = float(score)
    except csv.Error as e:
        raise ConfigError(f"{key}: {path}: not a readable CSV: {e}.", hint) from None
    return out
