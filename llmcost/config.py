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
  answer_with_docs:
    max_input_tokens: 3000   # cap input beyond the static prefix (RAG top-k), an assumed lever
  faq:
    deflect: 0.35            # your estimate: 35 % answered without an LLM call (FAQ filter, rules)
quality_eval: evals.csv      # optional: scores (0-1) from your own evals, per request or per task
```
Read with the safe YAML loader and checked against `SCHEMA` (`llmcost.yaml_schema`): a mistake is
one error naming the key; unknown keys are an error (a typo must not silently do nothing).
`load_config` is for the commands that use the policies (recommend, simulate, report);
`try_load_config` for those that do not (analyze), which run on with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from llmcost import check_rules
from llmcost.errors import ConfigError
from llmcost.yaml_schema import Bool, Dict, List, Map, Num, Str, as_number, read_yaml, validate

DEFAULT_CONFIG = "llmcost.yaml"
DOCS = "docs/config.md"
TASK_KEYS = {"batchable", "interactive", "routes", "quality_floor", "trim_prompt", "max_input_tokens",
             "deflect"}

# The schema of llmcost.yaml (checked by `llmcost.yaml_schema.validate`; docs/config.md).
_TASK = Map({"batchable": Bool(), "interactive": Bool(),
             "routes": List(Str("a model id or family"), what="a list of models or families ([] forbids routing)"),
             "quality_floor": Num("a score", 0, 1), "trim_prompt": Num("a fraction", 0, 1),
             "max_input_tokens": Num("a whole number of tokens", 1, 1_000_000_000, integer=True),

             "deflect": Num("a share of the calls", 0, 1, above_low=True)},
            what="a mapping of settings (" + ", ".join(sorted(TASK_KEYS)) + ")")
SCHEMA = Map({"tasks": Dict(_TASK, what="a mapping of task types to their settings", nullable=True),
              "quality_eval": Str("the path of an eval file (CSV or JSON Lines of scores)"),
              "check": check_rules.SCHEMA},
             what="a mapping with tasks: (and quality_eval:, check:)")


@dataclass
class TaskPolicy:
    batchable: bool | None = None
    interactive: bool | None = None
    routes: list[str] | None = None  # None: the built-in rule; []: never route
    quality_floor: float | None = None
    trim_prompt: float | None = None
    max_input_tokens: int | None = None  # cap input beyond the static prefix (assumed lever)
    deflect: float | None = None  # assumed share answered without an LLM call (llmcost.simulate.similar)


@dataclass
class Config:
    tasks: dict[str, TaskPolicy] = field(default_factory=dict)
    path: str | None = None
    quality_eval: str | None = None  # the eval file (llmcost.simulate.quality reads it)
    quality_eval_origin: str = "quality_eval"  # how messages name where it was given
    check: check_rules.CheckRules | None = None  # the `check:` block (llmcost check)

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
    lines: dict[str, int] = {}
    doc = read_yaml(p, str(path), ConfigError, DOCS, "Check the file's permissions, or leave --config out.",
                    SCHEMA, lines)
    if doc is None:
        doc = {}
    validate(doc, SCHEMA, str(path), ConfigError, DOCS, lines)
    cfg = Config(path=str(p), check=check_rules.parse_rules(doc.get("check")))
    for task, raw in (doc.get("tasks") or {}).items():
        raw = raw or {}
        cfg.tasks[str(task)] = TaskPolicy(
            batchable=raw.get("batchable"),
            interactive=raw.get("interactive"),
            routes=[str(r) for r in raw["routes"]] if raw.get("routes") is not None else None,
            quality_floor=_opt_float(raw.get("quality_floor")),
            trim_prompt=_opt_float(raw.get("trim_prompt")),
            max_input_tokens=int(raw["max_input_tokens"]) if raw.get("max_input_tokens") is not None else None,
            deflect=_opt_float(raw.get("deflect")),
        )
    if doc.get("quality_eval"):
        # read by the commands that use it (llmcost.simulate.quality); a missing file stops here
        cfg.quality_eval_origin = f"{path}: quality_eval"
        eval_path = p.parent / str(doc["quality_eval"])
        if not eval_path.is_file():
            raise ConfigError(f"{cfg.quality_eval_origin}: {eval_path}: no such file.",
                              "Give an eval file (CSV or JSON Lines) relative to the config file; see docs/config.md.")
        cfg.quality_eval = str(eval_path)
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
