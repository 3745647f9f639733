"""Mistakes caught before anything is priced (issue 15): a filter value, a date range or a lever
scope that matches no call, a route or cascade model the price book does not know, a task in
llmcost.yaml the store has never seen, and a run with no call at all.

One aggregate query reads the distinct values of the calls the command works on (the files given,
or the whole store); every value the user typed is checked against them. Task, feature and model
values ignore case: `--task Classify` works on the `classify` calls (the scope is rewritten with
the stored spelling). A value that matches nothing is a `UsageError` (exit 2) naming the nearest
values; no call at all is an `LlmcostError` (exit 1, a data problem).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from llmcost.errors import LlmcostError, UsageError
from llmcost.scope import Scope, is_relative, make_scope, split_values

if TYPE_CHECKING:
    from llmcost.config import Config
    from llmcost.ingest import IngestResult
    from llmcost.pricing.book import PriceBook
    from llmcost.simulate import levers as L
    from llmcost.simulate.options import LeverOptions
    from llmcost.store import Store

DATES_HINT = ("Dates: 2026-10-31, a month (2026-10), or counted back from the last call: today, "
              "yesterday, 7d, 2w, 12h.")
SHOWN_VALUES = 12  # existing values listed in a hint before "… and N more"

# filter -> (option, the column, what its values are called in a hint)
_FILTERS = {
    "tasks": ("--task", "task_type", "Task types"),
    "features": ("--feature", "feature", "Features"),
    "models": ("--model", "model", "Models"),
    "tenants": ("--tenant", "tenant", "Tenants"),
    "providers": ("--provider", "provider", "Providers"),
}
# a lever scope's kind (`feature:NAME`…) -> the filter its values are checked like
_SCOPE_KINDS = {"task": "tasks", "feature": "features", "model": "models", "tenant": "tenants",
                "provider": "providers"}
# lever options written [SCOPE=]VALUE
_SCOPED_LEVERS = (("--route", "route"), ("--cascade", "cascade"), ("--trim-prompt", "trim_prompt"),
                  ("--history-window", "history_window"), ("--cap-input", "cap_input"),
                  ("--cap-output", "cap_output"), ("--deflect", "deflect"))


@dataclass(frozen=True)
class ScopeRequest:
    """What the command line asked to work on, as typed."""

    source_hashes: list[str] | None  # the files given (None: the whole store)
    since: str | None = None
    until: str | None = None
    models: list[str] | None = None
    providers: list[str] | None = None
    features: list[str] | None = None
    tasks: list[str] | None = None
    tenants: list[str] | None = None


@dataclass
class StoredValues:
    """The distinct values of the calls a command works on (`where`: "in the store" or "in the
    files given"), and the task types of the whole store."""

    where: str
    calls: int
    store_calls: int
    first: datetime | None
    last: datetime | None
    values: dict[str, list[str]]  # filter name -> distinct values (those asked for)
    store_tasks: list[str]
    store_where: str = "in the store"  # where store_tasks are (a ClickHouse table: "in the table NAME")


@dataclass
class CheckedScope:
    scope: Scope
    values: StoredValues
    levers: LeverOptions | None = None  # with scope values in their stored spelling
    lever_scopes: list[tuple[str, L.Scope]] = field(default_factory=list)  # (as shown, scope)
    notes: list[str] = field(default_factory=list)  # said, not errors
    narrowed: bool = False  # any filter or date given


class Problems:
    """Every mistake found, raised together as one `UsageError` (messages, then their hints)."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.hints: list[str] = []

    def add(self, message: str, hint: str | None = None) -> None:
        self.messages.append(message)
        if hint and hint not in self.hints:
            self.hints.append(hint)

    def __len__(self) -> int:
        return len(self.messages)

    def raise_any(self) -> None:
        if self.messages:
            raise UsageError("\n".join(self.messages), "\n".join(self.hints) or None)


def nearest(value: str, choices: list[str] | set[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The choices closest to `value`, ignoring case (difflib), the closest first."""
    by_lower: dict[str, str] = {}
    for c in sorted(choices):
        by_lower.setdefault(c.lower(), c)
    hits = difflib.get_close_matches(value.lower(), list(by_lower), n=n, cutoff=cutoff)
    return [by_lower[h] for h in hits]


def did_you_mean(suggestions: list[str]) -> str:
    if not suggestions:
        return "."
    if len(suggestions) == 1:
        return f"; did you mean {suggestions[0]}?"
    return f"; did you mean {', '.join(suggestions[:-1])} or {suggestions[-1]}?"


def listing(label: str, values: list[str], where: str) -> str:
    shown = sorted(values)[:SHOWN_VALUES]
    more = f" … and {len(values) - len(shown):,} more" if len(values) > len(shown) else ""
    return f"{label} {where}: {', '.join(shown)}{more}." if values else f"No call {where} has one."


def book_suggestions(book: PriceBook, name: str | None, n: int = 2) -> list[str]:
    """The price-book ids nearest to a model name (`gpt4o` -> gpt-4o), for an unknown model."""
    if not name:
        return []
    return nearest(name.rsplit("/", 1)[-1], set(book.models), n=n, cutoff=0.75)


def stored_values(store: Store, source_hashes: list[str] | None, wanted: set[str],
                  calls: str = "calls") -> StoredValues:
    """One aggregate pass over the stored calls (`calls`: the store's table, or a ClickHouse
    table's calls): counts, first and last call, and the distinct values of the `wanted` filters,
    for the calls in the files given (or the whole store)."""
    inside = Scope(source_hashes=tuple(source_hashes) if source_hashes is not None else None).where_literal()
    names = sorted(wanted)
    lists = "".join(f", list(DISTINCT {_FILTERS[w][1]}) FILTER (WHERE {inside} AND {_FILTERS[w][1]} IS NOT NULL)"
                    for w in names)
    row = store.query(f"""SELECT count(*) FILTER (WHERE {inside}), count(*),
                                 min(ts) FILTER (WHERE {inside}), max(ts) FILTER (WHERE {inside}),
                                 list(DISTINCT task_type) FILTER (WHERE task_type IS NOT NULL){lists}
                          FROM {calls}""")[0]
    return StoredValues("in the files given" if source_hashes is not None else "in the store",
                        int(row[0] or 0), int(row[1] or 0), row[2], row[3],
                        {w: list(v or []) for w, v in zip(names, row[5:], strict=True)}, list(row[4] or []))


def _no_calls(store: Store, v: StoredValues, ingest: IngestResult | None, needs_calls: bool,
              table: str | None = None) -> str | None:
    """The empty states: an error (exit 1) when the command needs calls, else a note. `table`:
    the calls are a ClickHouse table (named so), not the store's."""
    if table is not None:
        raise LlmcostError(f"The table {table} holds no calls.",
                           "Point --table at the table of LLM calls in that database (docs/scale.md), or "
                           "analyze log files with a DuckDB store (--db PATH).")
    if ingest is None:
        name = f" ({store.path})" if store.path and store.path != ":memory:" else ""
        raise LlmcostError(f"The store{name} holds no calls yet.",
                           "Load log files first (llmcost analyze LOGS: a file, folder or glob), give them "
                           "to this command, or point --db (LLMCOST_DB) at the store that holds them.")
    read, rejected = ingest.total("rows_read"), ingest.total("rows_rejected")
    files = len(ingest.files) + len(ingest.not_logs)
    what, hold = ("The file given", "holds") if files == 1 else (f"The {files:,} files given", "hold")
    if rejected and rejected == read:
        reasons = store.query(
            f"""SELECT reason, count(*) FROM rejects WHERE source_hash IN ({', '.join('?' for _ in ingest.hashes)})
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3""", ingest.hashes) if ingest.hashes else []
        why = "; ".join(f"{r} ({c:,})" for r, c in reasons)
        raise LlmcostError(f"{what} {hold} no call llmcost could read: all {read:,} records were rejected"
                           + (f" ({why})." if why else "."),
                           "llmcost rejects FILE lists each with its line and raw text (with a stored --db).")
    message = (f"{what} {hold} no call: {read:,} records read, none of them a call." if read
               else f"{what} {hold} no call.")
    if needs_calls:
        raise LlmcostError(message, "Give log files that hold LLM API calls (docs/formats.md).")
    return None  # the command says so itself (analyze: its ingest summary)


def _match(name: str, typed: tuple[str, ...], v: StoredValues, book: PriceBook,
           problems: Problems, option: str | None = None) -> list[str]:
    """The stored values `typed` means (case ignored but for tenants); a problem per value that
    means none."""
    option = option or _FILTERS[name][0]
    stored = v.values.get(name, [])
    by_lower: dict[str, list[str]] = {}
    for s in stored:
        by_lower.setdefault(s.lower(), []).append(s)
    ids: dict[str, list[str]] = {}  # book id -> the stored model names it prices
    if name == "models":
        for s in stored:
            found = book.resolve(s)
            if found:
                ids.setdefault(found[0], []).append(s)
    out: list[str] = []
    for value in typed:
        if name == "tenants":
            hits = [value] if value in stored else []
        elif name == "models":
            hits = list(by_lower.get(value.lower(), []))
            found = book.resolve(value)
            if found and found[0] in ids:
                # the filter matches the book id; a lever scope matches the logged names
                hits += [found[0]] if option == "--model" else ids[found[0]]
        else:
            hits = list(by_lower.get(value.lower(), []))
        if hits:
            out.extend(h for h in hits if h not in out)
            continue
        choices = stored + (sorted(ids) if name == "models" and option == "--model" else [])
        label = _FILTERS[name][2]
        problems.add(f"{option} {value} matches no call {v.where}{did_you_mean(nearest(value, choices))}",
                     listing(label, stored, v.where))
    return out


def check_request(store: Store, book: PriceBook, req: ScopeRequest, *, config: Config | None = None,
                  ingest: IngestResult | None = None, needs_calls: bool = True,
                  levers: LeverOptions | None = None, calls: str = "calls",
                  table: str | None = None) -> CheckedScope:
    """The scope the command works on, every value the user typed checked against the calls
    (`calls`: the store's table, or a ClickHouse table's calls, named `table` in messages)."""
    typed = {name: split_values(getattr(req, name)) for name in _FILTERS}
    lever_kinds = _lever_kinds(levers) if levers is not None else set()
    wanted = {n for n, vals in typed.items() if vals} | lever_kinds | ({"tasks"} if config and config.tasks else set())
    v = stored_values(store, req.source_hashes, wanted, calls)
    if table is not None:
        v.where = v.store_where = f"in the table {table}"
    notes: list[str] = []
    if v.calls == 0:
        note = _no_calls(store, v, ingest, needs_calls, table)
        if note:
            notes.append(note)
        scope = make_scope(req.source_hashes, _absolute(req.since), _absolute(req.until),
                           models=req.models, providers=req.providers, features=req.features, tasks=req.tasks,
                           tenants=req.tenants)
        return CheckedScope(scope, v, levers, notes=notes)
    problems = Problems()
    matched = {name: _match(name, vals, v, book, problems) if vals else [] for name, vals in typed.items()}
    scope = make_scope(req.source_hashes, req.since, req.until, last_call=v.last,
                       models=matched["models"], providers=matched["providers"], features=matched["features"],
                       tasks=matched["tasks"], tenants=matched["tenants"])
    _check_dates(req, scope, v, problems)
    checked_levers, lever_scopes = (_check_levers(levers, v, book, problems) if levers is not None
                                    else (None, []))
    if config is not None:
        notes += _check_config(config, v, matched["tasks"], problems)
    problems.raise_any()
    narrowed = bool(req.since or req.until or any(typed.values()))
    return CheckedScope(scope, v, checked_levers, lever_scopes, notes, narrowed)


def _absolute(value: str | None) -> str | None:
    """A date to parse with no call to count back from: a relative one is left out (nothing is in
    scope anyway)."""
    return None if value is None or is_relative(value) else value


def _check_dates(req: ScopeRequest, scope: Scope, v: StoredValues, problems: Problems) -> None:
    if not (req.since or req.until):
        return
    asked = " ".join(f"{o} {t}" for o, t in (("--since", req.since), ("--until", req.until)) if t)
    if scope.since is not None and scope.until is not None and scope.until <= scope.since:
        problems.add(f"{asked}: the range is empty (from {scope.since:%Y-%m-%d %H:%M} to before "
                     f"{scope.until:%Y-%m-%d %H:%M}).", DATES_HINT)
        return
    if v.first is None or v.last is None:
        return  # calls without timestamps: the filters say so later if nothing is left
    if (scope.since is not None and scope.since > v.last) or (scope.until is not None and scope.until <= v.first):
        problems.add(f"{asked} matches no call: the calls {v.where} run from {v.first:%Y-%m-%d %H:%M} to "
                     f"{v.last:%Y-%m-%d %H:%M} UTC.", DATES_HINT)


def _lever_kinds(o: LeverOptions) -> set[str]:
    kinds: set[str] = set()
    for text in (t for _, _, t in _lever_scope_texts(o)):
        for part in (p.strip() for p in text.split(",") if p.strip()):
            kind, _, value = part.partition(":")
            kinds.add(_SCOPE_KINDS[kind] if value and kind in _SCOPE_KINDS else "tasks")
    return kinds


def _lever_scope_texts(o: LeverOptions) -> list[tuple[str, int, str]]:
    """(field, index, scope text) of every lever option given with a scope."""
    out = []
    for _, name in _SCOPED_LEVERS:
        for i, spec in enumerate(getattr(o, name)):
            if "=" in spec:
                out.append((name, i, spec.rpartition("=")[0]))
    if o.batch and o.batch.strip().lower() != "auto":
        out.append(("batch", 0, o.batch))
    return [(n, i, t) for n, i, t in out if t.strip() not in ("", "all", "*")]


def _check_levers(o: LeverOptions, v: StoredValues, book: PriceBook,
                  problems: Problems) -> tuple[LeverOptions, list[tuple[str, L.Scope]]]:
    """Each lever scope's values checked (and written in the stored spelling); route and cascade
    models checked against the price book."""
    from llmcost.simulate import levers as L

    options = dict(_SCOPED_LEVERS)
    by_field = {name: opt for opt, name in _SCOPED_LEVERS} | {"batch": "--batch"}
    changed: dict[str, list[str] | str] = {name: list(getattr(o, name)) for name in options.values()}
    changed["batch"] = o.batch or ""
    scopes: list[tuple[str, L.Scope]] = []
    for name, i, text in _lever_scope_texts(o):
        option = by_field[name]
        shown = f"{option} {o.batch}" if name == "batch" else f"{option} {getattr(o, name)[i]}"
        parts = []
        for part in (p.strip() for p in text.split(",") if p.strip()):
            kind, _, value = part.partition(":")
            filt = _SCOPE_KINDS[kind] if value and kind in _SCOPE_KINDS else "tasks"
            raw = value if value and kind in _SCOPE_KINDS else part
            hits = _match(filt, (raw,), v, book, problems, option=f"{shown}:")
            prefix = f"{kind}:" if value and kind in _SCOPE_KINDS else ""
            parts += [prefix + h for h in hits] or [part]
        fixed = ",".join(parts)
        if name == "batch":
            changed["batch"] = fixed
        else:
            specs = changed[name]
            assert isinstance(specs, list)
            specs[i] = f"{fixed}={specs[i].rpartition('=')[2]}"
        scopes.append((f"{option} {fixed if name == 'batch' else changed[name][i]}", L.parse_scope(fixed)))
    check_models(o, book, problems)
    batch = changed.pop("batch")
    assert isinstance(batch, str)
    return replace(o, batch=batch or o.batch, **changed), scopes  # type: ignore[arg-type]


def check_models(o: LeverOptions, book: PriceBook, problems: Problems) -> None:
    """Every model a lever names (route targets, cascade models, the summary model): one the
    price book knows, else a problem with the nearest book ids."""
    from llmcost.simulate import levers as L

    for spec in o.route:
        check_model("--route", spec, L.split_scoped(spec)[1], book, problems, families=True)
    for spec in o.cascade:
        check_model("--cascade", spec, L.split_scoped(spec)[1], book, problems, families=False)
    if o.summary_model:
        check_model("--summary-model", o.summary_model, o.summary_model, book, problems, families=False)


def check_model(option: str, spec: str, target: str, book: PriceBook, problems: Problems, families: bool) -> None:
    """A route target (a model or a family word) or a cascade model the price book knows."""
    from llmcost.simulate import levers as L

    if book.resolve(target):
        return
    words: set[str] = set()
    if families:
        try:
            L.route_targets(book, target)
            return
        except UsageError:
            words = {m.family for m in book.models.values() if m.family} | {"small"}
    close = nearest(target, set(book.models) | words, n=3, cutoff=0.6) if target else []
    what = "neither a model in the price book nor a family word" if families else "not a model in the price book"
    problems.add(f"{option} {spec}: {target or '(nothing)'} is {what}{did_you_mean(close)}",
                 "Model ids: llmcost pricing list (add a model with --pricing)"
                 + ("; families: haiku, sonnet, mini, nano, flash, flash-lite, pro, small …" if families else "."))


def _check_config(cfg: Config, v: StoredValues, task_filter: list[str], problems: Problems) -> list[str]:
    """llmcost.yaml's task names: unknown to the whole store is a problem; a task the scope does
    not reach is a note."""
    if not cfg.tasks:
        return []
    name = cfg.path or "llmcost.yaml"
    for task in cfg.tasks:
        if task not in v.store_tasks:
            problems.add(f"{name}: task {task} is not the task type of any call {v.store_where}"
                         f"{did_you_mean(nearest(task, v.store_tasks))}",
                         listing("Task types", v.store_tasks, v.store_where) + " A policy applies to the calls "
                         "whose task_type is its name, spelt exactly.")
    reached = set(v.values["tasks"])
    if task_filter:
        reached &= set(task_filter)
    unreached = sorted(t for t in cfg.tasks if t in v.store_tasks and t not in reached)
    if unreached:
        return [f"{name}: no call in this scope is of task {', '.join(unreached)}; "
                f"{'that policy is' if len(unreached) == 1 else 'those policies are'} not used here."]
    return []


def confirm_in_scope(store: Store, relation: str, checked: CheckedScope) -> None:
    """After pricing: the filters together, and each lever scope within them, reach a call (one
    pass; only when a filter, a date or a lever scope was given)."""
    if checked.values.calls == 0 or not (checked.narrowed or checked.lever_scopes):
        return
    exprs = ["count(*) > 0"] + [f"coalesce(bool_or({s.sql()}), false)" for _, s in checked.lever_scopes]
    row = store.query(f"SELECT {', '.join(exprs)} FROM {relation}")[0]
    if not row[0]:
        raise UsageError(f"No call {checked.values.where} matches the filters together "
                         f"({checked.scope.describe()}), though each matches calls on its own.",
                         "Widen or drop one of them; llmcost analyze --by task,model,day shows what the "
                         "calls are.")
    empty = [shown for (shown, _), hit in zip(checked.lever_scopes, row[1:], strict=True) if not hit]
    if empty:
        raise UsageError(f"{'; '.join(empty)}: no call in scope is in "
                         f"{'that lever scope' if len(empty) == 1 else 'those lever scopes'}"
                         + (f" ({checked.scope.describe()})." if checked.scope.describe() else "."),
                         "A lever scope names task types (or feature:NAME, model:NAME, tenant:NAME, "
                         "provider:NAME) of the calls in scope.")


def forget_target(store: Store, file_or_hash: str, command: str = "forget") -> None:
    """`forget` (or `rejects`) of a file the store does not hold is a `UsageError` naming the
    stored files nearest to it (by name, then by path)."""
    from pathlib import Path

    if store.find_sources(file_or_hash):
        return
    stored = [f for (f,) in store.query("SELECT DISTINCT source_file FROM sources ORDER BY 1")]
    if not stored:
        raise UsageError(f"{file_or_hash} is not in the store: the store holds no files.",
                         "llmcost sources lists the stored files.")
    by_name: dict[str, list[str]] = {}
    for f in stored:
        by_name.setdefault(Path(f).name, []).append(f)
    close = [f for name in nearest(Path(file_or_hash).name, set(by_name)) for f in by_name[name]]
    close = close or nearest(file_or_hash, set(stored))
    raise UsageError(f"{file_or_hash} is not in the store{did_you_mean(close[:3])}",
                     f"llmcost sources lists the stored files; {command} takes a stored path (as listed) or "
                     "a content-hash prefix of 8 characters or more.")
