"""Repricing (`analyze --as-of DATE`): every call in scope priced at the book's prices in force on
DATE ("what would this period cost at today's prices"), beside its call-time cost.

The calls are priced once more by the same join with a constant in place of the call's time
(`pricing.engine.priced_sql(as_of=…)`); the call-time cost is one aggregate per model over the
usual priced calls. Off-peak windows still follow each call's time of day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from llmcost.errors import UsageError
from llmcost.pricing.book import PriceBook
from llmcost.pricing.engine import prepare_pricing, priced_sql
from llmcost.scope import Scope
from llmcost.store import Store

AS_OF = "llmcost_priced_as_of"
_DATE_OR_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def parse_as_of(value: str, option: str = "--as-of") -> datetime:
    """A naive UTC instant from a date (its midnight, UTC) or an ISO date and time (offsets
    converted to UTC)."""
    text = value.strip()
    dt = None
    if _DATE_OR_TIME.match(text):
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            dt = None
    if dt is None:
        raise UsageError(f"{option} {value}: not a date or a date and time.",
                         f"Write a day (UTC), e.g. {option} 2025-07-01, or an instant, e.g. "
                         f"{option} 2025-07-01T12:00:00Z.")
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo is not None else dt


@dataclass
class Repricing:
    """The call-time cost beside the repriced one: in total and per model (None: no call of the
    model could be priced at its own time)."""

    as_of: datetime
    call_time_cost_usd: Decimal
    call_time_unpriced_calls: int
    call_time_by_model: dict[str | None, Decimal | None] = field(default_factory=dict)


def reprice_scope(store: Store, book: PriceBook, scope: Scope, call_time: str,
                  as_of: datetime) -> tuple[str, Repricing]:
    """The call-time figures from `call_time` (the priced calls in scope, one aggregate), and a
    TEMP VIEW of the same calls priced at `as_of`: returns its name and the call-time figures."""
    repricing = call_time_figures(store, call_time, as_of)
    prepare_pricing(store.con, book, "calls")
    store.con.execute(f"CREATE OR REPLACE TEMP VIEW {AS_OF} AS SELECT * FROM ({priced_sql('calls', as_of)}) "
                      f"WHERE {scope.where_literal()}")
    return AS_OF, repricing


def call_time_figures(store: Store, call_time: str, as_of: datetime) -> Repricing:
    """The call-time cost of the priced calls `call_time`, in total and per model (one aggregate)."""
    by_model: dict[str | None, Decimal | None] = {}
    unpriced = 0
    for model, cost, n_unpriced in store.query(
            f"SELECT coalesce(model_id, model), sum(cost_usd), count(*) FILTER (WHERE cost_input IS NULL) "
            f"FROM {call_time} GROUP BY 1"):
        by_model[model] = None if cost is None else Decimal(cost)
        unpriced += int(n_unpriced)
    total = sum((c for c in by_model.values() if c is not None), Decimal(0))
    return Repricing(as_of, total, unpriced, by_model)
