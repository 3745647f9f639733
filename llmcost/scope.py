"""Which calls a command works on (DESIGN §1).

With FILES, a command works on the calls of those files only (by content hash); with none, on the
whole store. Filters narrow either. Every value reaches SQL as a bound parameter, never as text.

- `--since DATE` includes that day; `--until DATE` includes that whole day (a full time, e.g.
  `2026-10-31T12:00`, is an exclusive upper bound). A month (`2026-10`) or a year (`2026`) is the
  whole month or year.
- Relative dates count back from the last call in the files (or the store), never from the wall
  clock: `today` is the day of the last call, `yesterday` the day before, `7d` the last 7 days
  (that day and the 6 before; `--until 7d` is everything before them), `2w` the last 14 days,
  `12h` the 12 hours up to the last call.
- `--model` matches the logged model name or the resolved price-book id.
- Each filter takes a comma list or may be repeated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from llmcost.errors import UsageError
from llmcost.sql_quoting import sql_str

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_time(value: str, option: str, end_of_day: bool = False) -> datetime:
    """A naive UTC datetime from ISO text (offsets converted to UTC)."""
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as e:
        raise UsageError(
            f"{option} {value}: not a date or time.",
            "Write dates as 2026-10-31, months as 2026-10, times as 2026-10-31T12:00:00Z, or count "
            "back from the last call: today, yesterday, 7d, 2w, 12h.",
        ) from e
    try:
        if dt.tzinfo is not None:
            dt = dt.astimezone(UTC).replace(tzinfo=None)
        if end_of_day and _DATE_ONLY.match(value.strip()):
            dt += timedelta(days=1)
    except OverflowError as e:  # e.g. --until 9999-12-31 (its end is past year 9999)
        raise UsageError(f"{option} {value}: out of range.", "Use a date between 0001-01-02 and 9999-12-30.") from e
    return dt


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_RELATIVE = re.compile(r"^(\d+)\s*([dwh])$")
RELATIVE_WORDS = ("today", "yesterday")


def is_relative(value: str) -> bool:
    v = value.strip().lower()
    return v in RELATIVE_WORDS or bool(_RELATIVE.match(v))


def parse_bound(value: str, option: str, upper: bool, last_call: datetime | None) -> datetime:
    """A `--since` (`upper` False: inclusive) or `--until` (`upper` True: exclusive) bound from a
    date, a time, a month, a year, or a date relative to `last_call` (the module docstring)."""
    v = value.strip().lower()
    rel = _RELATIVE.match(v)
    if v in RELATIVE_WORDS or rel:
        if last_call is None:
            raise UsageError(f"{option} {value}: there is no call to count back from.",
                             "Relative dates count back from the last call; give a date, e.g. 2026-10-01.")
        day = datetime(last_call.year, last_call.month, last_call.day)
        if v == "today":
            return day + timedelta(days=1) if upper else day
        if v == "yesterday":
            return day if upper else day - timedelta(days=1)
        assert rel is not None
        n, unit = int(rel.group(1)), rel.group(2)
        if n < 1 or n > 100_000:
            raise UsageError(f"{option} {value}: expected 1 or more {'hours' if unit == 'h' else 'days'}.",
                             f"For example {option} 7d (the last 7 days of calls).")
        if unit == "h":
            return last_call - timedelta(hours=n)
        return day + timedelta(days=1) - timedelta(days=n * (7 if unit == "w" else 1))
    month, year = _MONTH.match(v), _YEAR.match(v)
    if month or year:
        y, m = (int(month.group(1)), int(month.group(2))) if month else (int(v), 1)
        if not 1 <= m <= 12 or y < 1:
            raise UsageError(f"{option} {value}: not a month.", "Write a month as 2026-10.")
        if upper:
            y, m = (y + 1, m) if year else (y + (m == 12), m % 12 + 1)
            if y > 9999:
                raise UsageError(f"{option} {value}: out of range.", "Use a date before 9999-12-30.")
        return datetime(y, m, 1)
    return parse_time(value, option, end_of_day=upper)


def split_values(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for v in values or []:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return tuple(out)


@dataclass(frozen=True)
class Scope:
    source_hashes: tuple[str, ...] | None = None  # None: the whole store
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    models: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    tenants: tuple[str, ...] = ()

    def where(self, alias: str = "", held: bool = True) -> tuple[str, list[Any]]:
        """A SQL condition (with `?` parameters) selecting the calls in scope. A file's calls are
        those it holds: the ones kept as its copy, and (`held`) those it holds whose kept copy is
        another file's (`store.COPIES`); without `held`, for a relation with no `call_id`."""
        p = f"{alias}." if alias else ""
        conds: list[str] = []
        params: list[Any] = []
        if self.source_hashes is not None:
            if not self.source_hashes:
                return "false", []
            marks = ", ".join("?" for _ in self.source_hashes)
            if held:
                conds.append(f"({p}source_hash IN ({marks}) OR {p}call_id IN "
                             f"(SELECT call_id FROM call_copies WHERE source_hash IN ({marks})))")
                params.extend(self.source_hashes)
            else:
                conds.append(f"{p}source_hash IN ({marks})")
            params.extend(self.source_hashes)
        if self.since is not None:
            conds.append(f"{p}ts >= ?")
            params.append(self.since)
        if self.until is not None:
            conds.append(f"{p}ts < ?")
            params.append(self.until)

        def any_of(columns: list[str], values: tuple[str, ...]) -> None:
            if values:
                marks = ", ".join("?" for _ in values)
                conds.append("(" + " OR ".join(f"{p}{c} IN ({marks})" for c in columns) + ")")
                for _ in columns:
                    params.extend(values)

        any_of(["model", "model_id"], self.models)
        any_of(["provider"], tuple(v.lower() for v in self.providers))
        any_of(["feature"], self.features)
        any_of(["task_type"], self.tasks)
        any_of(["tenant"], self.tenants)
        return (" AND ".join(conds) or "true"), params

    def where_literal(self, alias: str = "", held: bool = True) -> str:
        """The same condition with every value inlined as a quoted literal (for a VIEW, which
        cannot hold parameters). Values are quoted by `sql_str`, never pasted raw."""
        sql, params = self.where(alias, held)
        parts = sql.split("?")
        out = [parts[0]]
        for value, rest in zip(params, parts[1:], strict=True):
            if isinstance(value, datetime):
                out.append(f"TIMESTAMP {sql_str(value.isoformat(sep=' '))}")
            else:
                out.append(sql_str(str(value)))
            out.append(rest)
        return "".join(out)

    def describe(self) -> str:
        parts = []
        if self.since:
            parts.append(f"since {self.since:%Y-%m-%d %H:%M}")
        if self.until:
            parts.append(f"until {self.until:%Y-%m-%d %H:%M} (exclusive)")
        for name, vals in (("model", self.models), ("provider", self.providers),
                           ("feature", self.features), ("task", self.tasks),
                           ("tenant", self.tenants)):
            if vals:
                parts.append(f"{name} {', '.join(vals)}")
        return "; ".join(parts)


def make_scope(source_hashes: list[str] | None, since: str | None = None,
               until: str | None = None, models: list[str] | None = None,
               providers: list[str] | None = None, features: list[str] | None = None,
               tasks: list[str] | None = None, tenants: list[str] | None = None,
               last_call: datetime | None = None) -> Scope:
    """`last_call`: the time relative dates count back from (the last call in the files or the
    store)."""
    return Scope(
        source_hashes=tuple(source_hashes) if source_hashes is not None else None,
        since=parse_bound(since, "--since", False, last_call) if since else None,
        until=parse_bound(until, "--until", True, last_call) if until else None,
        models=split_values(models),
        providers=split_values(providers),
        features=split_values(features),
        tasks=split_values(tasks),
        tenants=split_values(tenants),
    )
