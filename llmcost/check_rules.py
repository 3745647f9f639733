"""The `check:` block of llmcost.yaml: budgets, spike rules and limits on the unpriced and
rejected shares that `llmcost check` holds the calls to (docs/config.md).

```yaml
check:
  budgets:
    - {scope: total, per: month, usd: 5000}     # total | task:NAME | feature:NAME | tenant:NAME | model:NAME
    - {scope: "task:summarize", per: day, usd: 50}
  spikes:
    - {metric: cost, scope: "task:*", above_pct: 50, baseline_days: 7}   # "task:*": each task on its own
    - {metric: input_tokens_per_call, scope: "task:*", above_pct: 50, baseline_days: 7}
  max_unpriced_share: 0.01
  max_rejected_share: 0.01
```
`SCHEMA` is checked with the rest of llmcost.yaml (`llmcost.config`); `parse_rules` turns the
checked block into `CheckRules`. This module sits in the lowest layer (it imports only
`llmcost.yaml_schema`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from llmcost.yaml_schema import Enum, List, Map, Num, Str, as_number

SCOPE_KINDS = ("task", "feature", "tenant", "model")
# total, or KIND:NAME (NAME `*` in a spike: each value on its own)
_SCOPE = Str("a scope: total, task:NAME, feature:NAME, tenant:NAME or model:NAME",
             pattern=r"total|(task|feature|tenant|model):\S.*")
_BUDGET = Map({"scope": _SCOPE, "per": Enum(("day", "month")),
               "usd": Num("an amount in USD", 0, above_low=True)},
              what="a mapping (scope, per, usd)", required=("scope", "per", "usd"))
_SPIKE = Map({"metric": Enum(("cost", "input_tokens_per_call")), "scope": _SCOPE,
              "above_pct": Num("a percentage", 0, above_low=True),
              "baseline_days": Num("a whole number of days", 1, 366, integer=True)},
             what="a mapping (metric, scope, above_pct, baseline_days)", required=("metric", "scope", "above_pct"))
SCHEMA = Map({"budgets": List(_BUDGET, what="a list of budgets"),
              "spikes": List(_SPIKE, what="a list of spike rules"),
              "max_unpriced_share": Num("a share of the calls", 0, 1),
              "max_rejected_share": Num("a share of the records read", 0, 1)},
             what="a mapping (budgets, spikes, max_unpriced_share, max_rejected_share)")
DEFAULT_BASELINE_DAYS = 7


@dataclass(frozen=True)
class RuleScope:
    """total (kind None), one value (`task:summarize`), or each value of a kind (`task:*`)."""

    kind: str | None
    name: str | None  # None with a kind: each value on its own

    @property
    def text(self) -> str:
        return "total" if self.kind is None else f"{self.kind}:{self.name or '*'}"


@dataclass(frozen=True)
class Budget:
    scope: RuleScope
    per: str  # day | month
    usd: Decimal


@dataclass(frozen=True)
class Spike:
    metric: str  # cost | input_tokens_per_call
    scope: RuleScope
    above_pct: Decimal
    baseline_days: int


@dataclass
class CheckRules:
    budgets: list[Budget] = field(default_factory=list)
    spikes: list[Spike] = field(default_factory=list)
    max_unpriced_share: Decimal | None = None
    max_rejected_share: Decimal | None = None

    def count(self) -> int:
        return (len(self.budgets) + len(self.spikes) + (self.max_unpriced_share is not None)
                + (self.max_rejected_share is not None))

    def scopes(self) -> list[RuleScope]:
        """The scopes of the budgets and spikes, each once."""
        seen: list[RuleScope] = []
        for s in [b.scope for b in self.budgets] + [s.scope for s in self.spikes]:
            if s not in seen:
                seen.append(s)
        return seen

    def named_scopes(self) -> list[RuleScope]:
        """The scopes that name one value (to check against the calls)."""
        return [s for s in self.scopes() if s.kind is not None and s.name is not None]


def parse_scope(text: str) -> RuleScope:
    t = text.strip()
    if t == "total":
        return RuleScope(None, None)
    kind, _, name = t.partition(":")
    name = name.strip()
    return RuleScope(kind, None if name == "*" else name)


def _number(v: Any) -> Decimal:
    d = as_number(v)
    assert d is not None  # checked by SCHEMA
    return d


def parse_rules(raw: dict[str, Any] | None) -> CheckRules | None:
    """The checked `check:` block as rules (None when llmcost.yaml has none)."""
    if raw is None:
        return None
    rules = CheckRules()
    for b in raw.get("budgets") or []:
        rules.budgets.append(Budget(parse_scope(b["scope"]), b["per"], _number(b["usd"])))
    for s in raw.get("spikes") or []:
        days = s.get("baseline_days")
        rules.spikes.append(Spike(s["metric"], parse_scope(s["scope"]), _number(s["above_pct"]),
                                  int(_number(days)) if days is not None else DEFAULT_BASELINE_DAYS))
    for key in ("max_unpriced_share", "max_rejected_share"):
        if raw.get(key) is not None:
            setattr(rules, key, _number(raw[key]))
    return rules
