"""`llmcost check`: hold the calls to the rules of llmcost.yaml's `check:` block (budgets, spikes,
the unpriced and rejected shares) and list every breach (issue 16, item 3).

One DuckDB aggregate brings back the figures per day × scope (`day_rows`: calls, priced cost,
prompt tokens, unpriced calls per day for the total and for each task, feature, tenant and
model); `evaluate` is pure given those rows: it compares them to the rules.

- a budget per day: each day's priced spend in the scope against `usd`; per month: each
  calendar month's spend (month to date for the last month) against `usd`, reported on the day
  the month went over (or on the month's first day checked, when it went over before it);
- a spike: the day's figure (spend, or prompt tokens per call: input + cache read + cache write
  tokens over the calls) at least `above_pct` % above the median of the same figure over the
  `baseline_days` days before it, counting the days with calls in the scope; a day is only
  compared when at least half of those days had calls and their median is above zero;
- the unpriced share: each day's calls on models the price book does not know, over its calls;
- the rejected share: the records rejected over the records read, for the files the calls come
  from (rejected records carry no time: one figure, reported on the last day).

A budget or share is breached strictly above its limit; a spike at its limit counts ("at least
above_pct % above"). `since` checks only the days from it on; the days before it still
make the baselines and the months' spend.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from llmcost.check_rules import CheckRules, RuleScope

if TYPE_CHECKING:
    from llmcost.pricing.book import PriceBook
    from llmcost.store import Store

# the rule names of the breaches (the JSON `rule`)
RULE_NAMES = {("budget", "day"): "budget_per_day", ("budget", "month"): "budget_per_month",
              ("spike", "cost"): "spike_cost", ("spike", "input_tokens_per_call"): "spike_input_tokens_per_call"}
UNPRICED_RULE = "max_unpriced_share"
REJECTED_RULE = "max_rejected_share"
_KEYS = {"task": "task_type", "feature": "feature", "tenant": "tenant", "model": "_model"}


@dataclass(frozen=True)
class DayRow:
    """One day's figures for the total (`kind` None) or one task, feature, tenant or model."""

    day: date
    kind: str | None
    key: str | None
    calls: int
    cost: Decimal  # the priced calls' spend
    prompt_tokens: int  # input + cache read + cache write tokens
    unpriced: int  # calls on models the price book does not know


@dataclass(frozen=True)
class Breach:
    rule: str
    scope: str  # total, task:NAME … (each task of `task:*` on its own)
    day: date
    value: Decimal
    limit: Decimal
    unit: str  # usd | tokens | share
    detail: str  # how the limit was reached, in words
    baseline: Decimal | None = None  # a spike's median of the days before


@dataclass
class CheckResult:
    breaches: list[Breach]
    rules: int
    first_day: date | None  # the days checked
    last_day: date | None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches


def day_rows(store: Store, relation: str, kinds: set[str] | None = None) -> list[DayRow]:
    """The figures per day for the total and per task, feature, tenant or model (`kinds`: those
    the rules name; all when None), in one grouped pass over the priced calls; the calls without
    a time are left out."""
    keys = [(k, col) for k, col in _KEYS.items() if kinds is None or k in kinds]
    kind = "CASE " + " ".join(f"WHEN grouping({col}) = 0 THEN '{k}'" for k, col in keys) + " END" if keys else "NULL"
    key = ("CASE " + " ".join(f"WHEN grouping({col}) = 0 THEN CAST({col} AS VARCHAR)" for k, col in keys) + " END"
           if keys else "NULL")
    sets = ", ".join(["(_day)"] + [f"(_day, {col})" for _, col in keys])
    rows = store.query(f"""
        SELECT _day, {kind}, {key}, count(*), coalesce(sum(cost_usd), 0),
               coalesce(sum(coalesce(input_tokens, 0) + coalesce(cache_read_tokens, 0)
                            + coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0)), 0),
               count(*) FILTER (WHERE cost_input IS NULL)
        FROM (SELECT *, CAST(ts AS DATE) AS _day, coalesce(model_id, model) AS _model
              FROM {relation} WHERE ts IS NOT NULL)
        GROUP BY GROUPING SETS ({sets})""")
    return [DayRow(d, k, v, int(n), Decimal(str(c)), int(t), int(u)) for d, k, v, n, c, t, u in rows
            if k is None or v is not None]


def rejected_counts(store: Store, source_hashes: tuple[str, ...] | None) -> tuple[int, int]:
    """(records rejected, records read) of the stored files (those given, or all), each file
    counted once, as last loaded."""
    where = "true"
    params: list[str] = []
    if source_hashes is not None:
        where = f"source_hash IN ({', '.join('?' for _ in source_hashes)})" if source_hashes else "false"
        params = list(source_hashes)
    row = store.query(f"""
        SELECT coalesce(sum(rej), 0), coalesce(sum(rd), 0) FROM (
          SELECT arg_max(rows_rejected, ingested_at) AS rej, arg_max(rows_read, ingested_at) AS rd
          FROM sources WHERE {where} GROUP BY source_hash)""", params)[0]
    return int(row[0]), int(row[1])


def _targets(scope: RuleScope, series: dict[tuple[str | None, str | None], dict[date, DayRow]]
             ) -> list[tuple[str, dict[date, DayRow]]]:
    """(scope as shown, its rows by day): the total, one value, or each value of a kind."""
    if scope.kind is None:
        return [("total", series.get((None, None), {}))]
    if scope.name is not None:
        return [(scope.text, series.get((scope.kind, scope.name), {}))]
    return [(f"{scope.kind}:{k}", rows) for (kind, k), rows in sorted(series.items(), key=lambda x: str(x[0]))
            if kind == scope.kind and k is not None]


def _median_text(n: int, days: int) -> str:
    if n == days:
        return f"median of the {days} days before"
    return f"median of the {n} days with calls of the {days} before"


def evaluate(rules: CheckRules, rows: list[DayRow], since: date | None = None,
             rejected: tuple[int, int] | None = None) -> CheckResult:
    """Every breach of `rules` on the days from `since` on (all days when None), given the day
    rows; `rejected` is (records rejected, records read)."""
    series: dict[tuple[str | None, str | None], dict[date, DayRow]] = {}
    for r in rows:
        series.setdefault((r.kind, r.key), {})[r.day] = r
    total = series.get((None, None), {})
    days = sorted(d for d in total if since is None or d >= since)
    first, last = (days[0], days[-1]) if days else (None, None)
    checked = set(days)
    breaches: list[Breach] = []
    for b in rules.budgets:
        rule = RULE_NAMES[("budget", b.per)]
        for shown, by_day in _targets(b.scope, series):
            if b.per == "day":
                breaches += [Breach(rule, shown, d, r.cost, b.usd, "usd", "the day's spend")
                             for d, r in sorted(by_day.items()) if d in checked and r.cost > b.usd]
                continue
            months: dict[tuple[int, int], list[DayRow]] = {}
            for d, r in sorted(by_day.items()):
                months.setdefault((d.year, d.month), []).append(r)
            for (y, m), month_rows in months.items():
                spent = sum((r.cost for r in month_rows), Decimal(0))
                if spent <= b.usd or not any(r.day in checked for r in month_rows):
                    continue
                running, over = Decimal(0), month_rows[-1].day
                for r in month_rows:
                    running += r.cost
                    if running > b.usd:
                        over = r.day
                        break
                to_date = " to date" if last is not None and (y, m) == (last.year, last.month) else ""
                # reported on the day it went over, or the first day checked when that is before it
                shown_day = over if over in checked else min(r.day for r in month_rows if r.day in checked)
                breaches.append(Breach(rule, shown, shown_day, spent, b.usd, "usd",
                                       f"{y}-{m:02d} spend{to_date}; over the budget from {over}"))
    for s in rules.spikes:
        rule = RULE_NAMES[("spike", s.metric)]
        factor = 1 + s.above_pct / 100
        needed = math.ceil(s.baseline_days / 2)
        for shown, by_day in _targets(s.scope, series):
            def figure(r: DayRow, metric: str = s.metric) -> Decimal:
                return r.cost if metric == "cost" else Decimal(r.prompt_tokens) / Decimal(r.calls)

            for d, r in sorted(by_day.items()):
                if d not in checked:
                    continue
                before = [figure(by_day[d - timedelta(days=i)]) for i in range(1, s.baseline_days + 1)
                          if d - timedelta(days=i) in by_day]
                if len(before) < needed:
                    continue
                baseline = statistics.median(before)
                limit = baseline * factor
                if baseline > 0 and figure(r) >= limit:
                    unit = "usd" if s.metric == "cost" else "tokens"
                    base = f"${baseline:,.4f}" if unit == "usd" else f"{baseline:,.0f} tokens per call"
                    breaches.append(Breach(rule, shown, d, figure(r), limit, unit,
                                           f"+{s.above_pct} % over {base}, the "
                                           f"{_median_text(len(before), s.baseline_days)}", baseline))
    if rules.max_unpriced_share is not None:
        for d in days:
            r = total[d]
            share = Decimal(r.unpriced) / Decimal(r.calls)
            if share > rules.max_unpriced_share:
                breaches.append(Breach(UNPRICED_RULE, "total", d, share, rules.max_unpriced_share, "share",
                                       f"{r.unpriced:,} of {r.calls:,} calls unpriced"))
    if rules.max_rejected_share is not None and rejected is not None and rejected[1] and last is not None:
        share = Decimal(rejected[0]) / Decimal(rejected[1])
        if share > rules.max_rejected_share:
            breaches.append(Breach(REJECTED_RULE, "total", last, share, rules.max_rejected_share, "share",
                                   f"{rejected[0]:,} of {rejected[1]:,} records rejected (all days)"))
    order = {name: i for i, name in enumerate([*RULE_NAMES.values(), UNPRICED_RULE, REJECTED_RULE])}
    breaches.sort(key=lambda b: (b.day, order[b.rule], b.scope))
    return CheckResult(breaches, rules.count(), first, last)


def resolve_scopes(rules: CheckRules, rows: list[DayRow], stored: dict[str, list[str]], where: str,
                   book: PriceBook, config_name: str) -> tuple[CheckRules, list[str]]:
    """The rules with each named scope in the spelling of the day rows (case ignored but for
    tenants; a model by its logged name or price-book id), and notes for the scopes the store
    holds but no call in scope reaches. A name the store lacks is a `UsageError` (exit 2) with
    the nearest names (`llmcost.scope_check`)."""
    from llmcost.scope_check import Problems, did_you_mean, listing, nearest

    problems, notes = Problems(), []
    keys: dict[str, set[str]] = {}
    for r in rows:
        if r.kind is not None and r.key is not None:
            keys.setdefault(r.kind, set()).add(r.key)
    fixed: dict[RuleScope, RuleScope] = {}
    for sc in rules.named_scopes():
        assert sc.kind is not None and sc.name is not None
        name, have = sc.name, keys.get(sc.kind, set())
        candidates = [name]
        if sc.kind == "model":
            found = book.resolve(name)
            candidates += [found[0]] if found else []
        hit = next((k for c in candidates for k in sorted(have)
                    if k == c or (sc.kind != "tenant" and k.lower() == c.lower())), None)
        if hit is not None:
            fixed[sc] = RuleScope(sc.kind, hit)
            continue
        in_store = stored.get(_STORED[sc.kind], [])
        if any(v == name or (sc.kind != "tenant" and v.lower() == name.lower()) for v in in_store) or (
                sc.kind == "model" and len(candidates) > 1):
            notes.append(f"{config_name}: check scope {sc.text}: no call in scope; its rules find nothing here.")
            continue
        label = {"task": "Task types", "feature": "Features", "tenant": "Tenants", "model": "Models"}[sc.kind]
        problems.add(f"{config_name}: check scope {sc.text} matches no call {where}"
                     f"{did_you_mean(nearest(name, in_store))}", listing(label, in_store, where))
    problems.raise_any()
    return replace(rules, budgets=[replace(b, scope=fixed.get(b.scope, b.scope)) for b in rules.budgets],
                   spikes=[replace(s, scope=fixed.get(s.scope, s.scope)) for s in rules.spikes]), notes


_STORED = {"task": "tasks", "feature": "features", "tenant": "tenants", "model": "models"}


def run_check(store: Store, book: PriceBook, relation: str, rules: CheckRules, *,
              source_hashes: tuple[str, ...] | None, since: str | None, config_name: str,
              calls: str = "calls", rejected_unknown: str | None = None) -> CheckResult:
    """Check the priced calls of `relation` (every day, whatever `since` says: the baselines and
    months need the days before it) against `rules`; `since` (as typed: a date, or counted back
    from the last call) limits the days whose breaches are reported. `calls` holds every stored
    call (the store's table, or a ClickHouse table's calls); where no record of rejected records
    exists (a ClickHouse table), `rejected_unknown` names it and the rejected share is not checked
    (said in a note, never taken as 0)."""
    from llmcost.errors import UsageError
    from llmcost.scope import parse_bound
    from llmcost.scope_check import DATES_HINT, stored_values

    rows = day_rows(store, relation, {sc.kind for sc in rules.scopes() if sc.kind is not None})
    stored = stored_values(store, list(source_hashes) if source_hashes is not None else None,
                           {"tasks", "features", "tenants", "models"}, calls)
    rules, notes = resolve_scopes(rules, rows, stored.values, stored.where, book, config_name)
    days = sorted(r.day for r in rows if r.kind is None)
    since_day = None
    if since and days:
        # counted back from the last call in the files or the store, as the filters' dates are
        since_day = parse_bound(since, "--since", False, stored.last).date()
        if since_day > days[-1]:
            raise UsageError(f"--since {since} matches no call: the calls in scope run from {days[0]} to "
                             f"{days[-1]}.", DATES_HINT)
    rejected = (rejected_counts(store, source_hashes)
                if rules.max_rejected_share is not None and rejected_unknown is None else None)
    result = evaluate(rules, rows, since_day, rejected)
    if rules.max_rejected_share is not None and rejected_unknown is not None:
        notes.append(f"max_rejected_share: not checked: {rejected_unknown} has no record of rejected "
                     "records (only llmcost's own store counts them as it loads files).")
    undated = store.query(f"SELECT count(*) FROM {relation} WHERE ts IS NULL")[0][0]
    if undated:
        notes.append(f"{undated:,} call{'s' * (undated != 1)} without a time: not in any day's figures.")
    unpriced = sum(r.unpriced for r in rows if r.kind is None and (since_day is None or r.day >= since_day))
    if unpriced and (rules.budgets or any(s.metric == "cost" for s in rules.spikes)):
        notes.append(f"{unpriced:,} call{'s' * (unpriced != 1)} on models the price book does not know: "
                     "not in the spend the budgets and spikes compare (llmcost pricing list).")
    result.notes = notes
    return result
