"""The 30-day run rate: what the calls in scope would cost over 30 days at the pace of their main
period, and the stray calls left out of it.

- The run rate is the main period's figure × 30 / the days its calls span (first to last call).
  It is given only when those calls span at least one day: a few calls seconds apart say nothing
  about a month (3 calls in 7 seconds would read as $32,021.61 a month). Otherwise there is no run
  rate ("—") and the reason is given; plans then state their figures for the period.
- Stray calls: calls far outside the main period would stretch the days it divides by (six
  January calls in an October store make its rate 10× low). The rule, in plain words: split the
  days with calls at the longest quiet gap between two of them; the side with fewer calls is a
  stray tail when it holds at most 5 % of all calls and the gap is at least 7 days and longer
  than the span of the other side (so keeping it would more than double the days the run rate
  divides by). Repeat on the rest while a tail qualifies. The stray calls stay in every period
  figure; they are named in the headline and left out of the run rate only.

The days come from one grouped SQL pass (`call_days_sql`); each step of the rule is one query over
those few rows (one per day with calls), never a loop over calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

RUN_RATE_LABEL = "30-day run rate"
DAYS = Decimal(30)
MIN_DAYS = 1.0  # a run rate needs calls spanning at least this many days
STRAY_MAX_SHARE = 0.05  # a stray tail holds at most this share of the calls (all tails together)
STRAY_MIN_GAP_DAYS = 7.0  # and lies at least this many days from the rest
RULE = ("stray calls: split the days with calls at the longest quiet gap; the side with fewer calls "
        f"is left out of the run rate when it holds at most {STRAY_MAX_SHARE:.0%} of the calls and the "
        f"gap is at least {STRAY_MIN_GAP_DAYS:.0f} days and longer than the rest's span; repeated while "
        "a side qualifies").replace("5%", "5 %")
DAYS_TABLE = "llmcost_call_days"


def span_text(seconds: float) -> str:
    """How long calls span, in the unit a person would use: `7 s`, `12 min`, `3.2 hours`, `30.0 days`."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def _gap_text(days: float) -> str:
    """A gap in words: `9 days`, `5 weeks`, `9 months`."""
    if days >= 60:
        return f"{days / 30.44:.0f} months"
    if days >= 14:
        return f"{days / 7:.0f} weeks"
    return f"{days:.0f} days"


@dataclass
class StrayTail:
    """Calls far from the main period, on one side of it."""

    side: str  # "before" or "after"
    first: datetime
    last: datetime
    calls: int
    gap_days: float  # from the tail's nearest call to the main period's nearest call

    def phrase(self) -> str:
        """`6 calls on 2026-01-03 lie 9 months before the rest`."""
        days = (f"on {self.first:%Y-%m-%d}" if self.first.date() == self.last.date()
                else f"from {self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}")
        return (f"{self.calls:,} call{'' if self.calls == 1 else 's'} {days} "
                f"li{'es' if self.calls == 1 else 'e'} {_gap_text(self.gap_days)} {self.side} the rest")


@dataclass
class RunRate:
    """The main period of the calls in scope and the run rate over it."""

    start: datetime | None  # first and last call of the main period (None: no call times)
    end: datetime | None
    calls: int = 0  # dated calls in the main period
    strays: list[StrayTail] = field(default_factory=list)
    stray_cost_usd: Decimal = Decimal(0)  # priced cost of the stray calls (set by the caller)

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds() if self.start and self.end else 0.0

    @property
    def days(self) -> float:
        return self.seconds / 86400

    @property
    def available(self) -> bool:
        return self.start is not None and self.days >= MIN_DAYS

    @property
    def stray_calls(self) -> int:
        return sum(t.calls for t in self.strays)

    @property
    def reason(self) -> str | None:
        """Why there is no run rate (None when there is one)."""
        if self.available:
            return None
        if self.start is None:
            return "no call times logged: no run rate"
        what = "the main period spans" if self.strays else "calls span"
        if self.seconds == 0:
            return ("a single call time: too short for a run rate" if not self.strays
                    else "the main period is a single call time: too short for a run rate")
        return f"{what} {span_text(self.seconds)}: too short for a run rate"

    def monthly(self, amount: Decimal | int | None) -> Decimal | None:
        """amount (of the main period) × 30 / its days; None when there is no run rate."""
        if amount is None or not self.available:
            return None
        return Decimal(amount) * DAYS * Decimal(86400) / Decimal(repr(self.seconds))

    def leave_out_options(self) -> list[str]:
        """The filters that leave the stray calls out: `--since 2026-10-01`, `--until 2026-10-31`."""
        opts = []
        if self.start and any(t.side == "before" for t in self.strays):
            opts.append(f"--since {self.start:%Y-%m-%d}")
        if self.end and any(t.side == "after" for t in self.strays):
            opts.append(f"--until {self.end:%Y-%m-%d}")
        return opts

    def stray_note(self) -> str | None:
        """`6 calls on 2026-01-03 lie 9 months before the rest; the run rate uses 2026-10-01 →
        2026-10-31; --since 2026-10-01 to leave them out` (None without strays)."""
        if not self.strays or self.start is None or self.end is None:
            return None
        tails = "; ".join(t.phrase() for t in self.strays)
        them = "it" if self.stray_calls == 1 else "them"
        return (f"{tails}; the run rate uses {self.start:%Y-%m-%d} → {self.end:%Y-%m-%d}; "
                f"{' '.join(self.leave_out_options())} to leave {them} out")

    def stray_sql(self, ts: str = "ts") -> str:
        """A SQL condition true for the stray calls (by their day), false for every other call."""
        if not self.strays or self.start is None or self.end is None:
            return "false"
        return (f"coalesce(CAST({ts} AS DATE) NOT BETWEEN DATE '{self.start:%Y-%m-%d}' "
                f"AND DATE '{self.end:%Y-%m-%d}', false)")

    def as_dict(self) -> dict[str, Any]:
        """`period.run_rate` in the JSON documents."""
        def iso(dt: datetime | None) -> str | None:
            return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")

        return {
            "label": RUN_RATE_LABEL, "available": self.available, "reason": self.reason,
            "start": iso(self.start), "end": iso(self.end), "days": self.days, "calls": self.calls,
            "rule": f"period figure × 30 / the main period's days, given from {MIN_DAYS:g} day; {RULE}",
            "stray_calls": self.stray_calls, "stray_cost_usd": float(self.stray_cost_usd),
            "strays": [{"side": t.side, "first": iso(t.first), "last": iso(t.last), "calls": t.calls,
                        "gap_days": t.gap_days} for t in self.strays],
            "note": self.stray_note(),
        }


def call_days_sql(relation: str) -> str:
    """(d, n, t0, t1) per day with calls, from calls (one grouped pass)."""
    return (f"SELECT CAST(ts AS DATE) AS d, count(*) AS n, min(ts) AS t0, max(ts) AS t1 "
            f"FROM {relation} WHERE ts IS NOT NULL GROUP BY 1")


def find_run_rate(con: Any, days_sql: str) -> RunRate:
    """The main period and the stray tails of the calls whose days `days_sql` gives as (d DATE,
    n calls, t0 first call, t1 last call), one row per day with calls."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {DAYS_TABLE} AS SELECT d, sum(n) AS n, min(t0) AS t0, "
                f"max(t1) AS t1 FROM ({days_sql}) WHERE d IS NOT NULL GROUP BY d")
    lo, hi, total = con.execute(f"SELECT min(d), max(d), coalesce(sum(n), 0) FROM {DAYS_TABLE}").fetchone()
    if lo is None:
        return RunRate(None, None)
    strays: list[StrayTail] = []
    stray_calls = 0
    while True:
        row = _longest_gap(con, lo, hi)
        if row is None:
            break
        left_last_day, right_first_day, gap_s, left_n, right_n, lt0, lt1, rt0, rt1 = row
        before = left_n <= right_n
        tail_n, (t0, t1), (b0, b1) = (left_n, (lt0, lt1), (rt0, rt1)) if before else \
            (right_n, (rt0, rt1), (lt0, lt1))
        gap_days = gap_s / 86400
        body_days = (b1 - b0).total_seconds() / 86400
        if not (stray_calls + tail_n <= STRAY_MAX_SHARE * total and gap_days >= STRAY_MIN_GAP_DAYS
                and gap_days > body_days):
            break
        strays.append(StrayTail("before" if before else "after", t0, t1, int(tail_n), gap_days))
        stray_calls += int(tail_n)
        lo, hi = (right_first_day, hi) if before else (lo, left_last_day)
    start, end, n = con.execute(
        f"SELECT min(t0), max(t1), sum(n) FROM {DAYS_TABLE} WHERE d BETWEEN ? AND ?", [lo, hi]).fetchone()
    strays.sort(key=lambda t: t.first)
    return RunRate(start, end, int(n), strays)


def _longest_gap(con: Any, lo: date, hi: date) -> tuple[Any, ...] | None:
    """The longest gap between two consecutive days with calls in [lo, hi]: the left side's last
    day, the right side's first day, the gap in seconds, each side's calls, first and last call."""
    return con.execute(f"""
        WITH b AS (SELECT d, n, t0, t1, lag(d) OVER w AS prev_d, lag(t1) OVER w AS prev_t1,
                          sum(n) OVER w - n AS before_n
                   FROM {DAYS_TABLE} WHERE d BETWEEN ? AND ? WINDOW w AS (ORDER BY d)),
             g AS (SELECT prev_d, d, epoch(t0) - epoch(prev_t1) AS gap_s, before_n FROM b
                   WHERE prev_d IS NOT NULL ORDER BY gap_s DESC, d LIMIT 1)
        SELECT g.prev_d, g.d, g.gap_s, g.before_n, (SELECT sum(n) FROM b) - g.before_n,
               (SELECT min(t0) FROM b WHERE b.d <= g.prev_d), (SELECT max(t1) FROM b WHERE b.d <= g.prev_d),
               (SELECT min(t0) FROM b WHERE b.d >= g.d), (SELECT max(t1) FROM b WHERE b.d >= g.d)
        FROM g""", [lo, hi]).fetchone()


def plan_run_rate(con: Any, relation: str) -> tuple[RunRate, Decimal, list[str]]:
    """For a plan (simulate, recommend) over the priced calls `relation`: the run rate, the share
    of the baseline spend in its main period (each plan figure is scaled by it before the run
    rate: the stray calls' part of a saving is assumed to be their part of the spend), and the
    notes to print beside the plan."""
    rr = find_run_rate(con, call_days_sql(relation))
    share = Decimal(1)
    notes: list[str] = []
    if rr.strays:
        total, stray = con.execute(f"SELECT sum(cost_usd), sum(cost_usd) FILTER (WHERE {rr.stray_sql()}) "
                                   f"FROM {relation}").fetchone()
        rr.stray_cost_usd = Decimal(stray or 0)
        if total:
            share = (Decimal(total) - rr.stray_cost_usd) / Decimal(total)
        notes.append(f"{rr.stray_note()}. The plan's 30-day figures count {float(100 * share):.2f} % of each "
                     "period figure (the main period's share of the baseline)")
    elif not rr.available:
        notes.append(f"no {RUN_RATE_LABEL} ({rr.reason}): every figure is for the period")
    return rr, share, notes
