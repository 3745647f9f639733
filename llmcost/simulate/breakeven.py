"""Break-even of fine-tuning and self-hosting, per task type (articles 003 and 004).

For each task type in scope: what its traffic costs on the API a month, what it would cost on a
fine-tuned small model (training once, then the fine-tuned model's per-token prices from the price
book, applied to the task's own calls by the one pricing engine), and what it would cost on rented
GPUs serving an open 7-8B model (GPUs counted for the task's busiest hour). Each option gets a
monthly cost, a payback in days for its one-time cost, the monthly volume from which it breaks
even, and a verdict.

The traffic is gathered in DuckDB (three aggregate passes over the priced calls in scope: figures
per task, models per task, tokens per task and clock hour); the rest is arithmetic on a few
numbers per task (`fine_tune_case`, `self_host_case`), pure and hand-checkable. Every default
comes from `pricing/breakeven/breakeven.yaml` with its source; every one can be overridden, and
every figure a number rests on is listed (`BreakevenResult.assumptions`, each case's
`assumptions`).

Monthly figures follow the rest of llmcost: period figure × 30 days / the span between the first
and last call in scope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from llmcost.errors import PricingError, UsageError
from llmcost.pricing.book import PriceBook
from llmcost.pricing.breakeven_defaults import BreakevenDefaults, Figure, FineTunable
from llmcost.pricing.engine import MODEL_MAP, load_model_map, priced_sql
from llmcost.run_rate import MIN_DAYS, RUN_RATE_LABEL, RunRate, call_days_sql, find_run_rate, span_text
from llmcost.schema import COLUMN_NAMES
from llmcost.sql_quoting import sql_str
from llmcost.store import Store

ZERO = Decimal(0)
MILLION = Decimal(1_000_000)
DAYS_PER_MONTH = Decimal(30)  # a month is the 30-day run rate (llmcost.run_rate)
SIZINGS = ("peak", "average")


# --------------------------------------------------------------------------- options and parameters

@dataclass
class BreakevenOptions:
    """What the user set on the command line; None = the default from the data file."""

    ft_model: str | None = None
    ft_examples: int | None = None
    ft_epochs: int | None = None
    ft_training_tokens: int | None = None
    ft_training_price: float | None = None
    gpu_hourly: float | None = None
    gpu_tokens_per_second: float | None = None
    gpu_utilisation: float | None = None
    gpus: int | None = None
    gpu_sizing: str | None = None
    gpu_overhead: float | None = None
    ops_monthly: float | None = None
    selfhost_setup: float | None = None
    horizon_months: float | None = None


@dataclass(frozen=True)
class Assumption:
    """One figure the numbers rest on: a machine name, what it is, its value as shown, and where
    it comes from (a URL, an article, `assumed`, or the option that set it)."""

    name: str
    label: str
    value: Decimal | int | str
    shown: str
    source: str
    note: str | None = None
    option: str | None = None  # the option that overrides it
    overridden: bool = False


@dataclass(frozen=True)
class Parameters:
    ft: FineTunable
    training_price: Decimal  # USD per million training tokens
    examples: int
    epochs: int
    training_tokens: int | None  # a user-given total (replaces examples × tokens × epochs)
    gpu_hourly: Decimal
    tokens_per_second: Decimal
    utilisation: Decimal
    gpus: int | None  # a fixed fleet (else counted from the traffic)
    sizing: str
    overhead: Decimal
    ops_monthly: Decimal
    setup: Decimal
    hours_per_month: Decimal
    horizon_months: Decimal

    @property
    def capacity_per_gpu(self) -> Decimal:
        """Tokens per second one GPU is planned to carry: throughput × utilisation."""
        return self.tokens_per_second * self.utilisation

    @property
    def gpu_monthly(self) -> Decimal:
        """One GPU for a month: $/h × hours × (1 + overhead)."""
        return self.gpu_hourly * self.hours_per_month * (1 + self.overhead)


def _number(value: float | int, option: str, example: str, *, low: float = 0, above_low: bool = False,
            high: float | None = None, unit: str = "a number", integer: bool = False) -> Decimal:
    """A checked option value as an exact Decimal (UsageError with an example otherwise)."""
    bad = not math.isfinite(float(value)) or (integer and float(value) != int(value)) \
        or float(value) < low or (above_low and float(value) == low) or (high is not None and float(value) > high)
    if bad:
        bound = f"{'above' if above_low else 'at least'} {low:g}" + (
            f" and at most {high:g}" if high is not None else "")
        raise UsageError(f"{option} {value:g}: expected {unit} {bound}.", f"For example {option} {example}.")
    return Decimal(str(int(value))) if integer else Decimal(repr(float(value)))


@dataclass(frozen=True)
class _Checked:
    """The option values checked (each given value, else its default), and which were given."""

    examples: Decimal
    epochs: Decimal
    training_tokens: int | None
    training_price: Decimal | None
    hourly: Decimal
    tps: Decimal
    util: Decimal
    gpus: int | None
    sizing: str
    overhead: Decimal
    ops: Decimal
    setup: Decimal
    horizon: Decimal
    given: frozenset[str]


def check_options(defaults: BreakevenDefaults, o: BreakevenOptions) -> _Checked:
    """Every number the user gave, checked (a UsageError with an example for a bad one): run
    before any file is read."""
    given: set[str] = set()

    def chosen(value: float | int | None, option: str, example: str, fig: Figure, **kw: Any) -> Decimal:
        if value is None:
            return fig.value
        given.add(option)
        return _number(value, option, example, **kw)

    examples = chosen(o.ft_examples, "--ft-examples", "500", defaults.ft_examples, low=1, high=100_000_000,
                      unit="a whole number of examples", integer=True)
    epochs = chosen(o.ft_epochs, "--ft-epochs", "3", defaults.ft_epochs, low=1, high=1000,
                    unit="a whole number of epochs", integer=True)
    training_tokens = None
    if o.ft_training_tokens is not None:
        training_tokens = int(_number(o.ft_training_tokens, "--ft-training-tokens", "5000000", low=1,
                                      high=1e13, unit="a whole number of tokens", integer=True))
    training_price = None if o.ft_training_price is None else _number(
        o.ft_training_price, "--ft-training-price", "3.00", unit="a price in USD per million tokens", high=1e6)
    hourly = chosen(o.gpu_hourly, "--gpu-hourly", "2.50", defaults.gpu_hourly, above_low=True, high=10_000,
                    unit="a price in USD per GPU-hour")
    tps = chosen(o.gpu_tokens_per_second, "--gpu-tokens-per-second", "5000", defaults.tokens_per_second,
                 above_low=True, high=1e9, unit="a number of tokens per second")
    util = chosen(o.gpu_utilisation, "--gpu-utilisation", "0.6 (60 % of the throughput)", defaults.utilisation,
                  above_low=True, high=1, unit="a fraction")
    gpus = None if o.gpus is None else int(_number(o.gpus, "--gpus", "2", low=1, high=100_000,
                                                   unit="a whole number of GPUs", integer=True))
    sizing = o.gpu_sizing or defaults.sizing
    if sizing not in SIZINGS:
        raise UsageError(f"--gpu-sizing {sizing}: expected peak or average.",
                         "peak counts GPUs for the busiest hour of the log; average for the mean rate.")
    overhead = chosen(o.gpu_overhead, "--gpu-overhead", "0.3", defaults.overhead, high=100,
                      unit="a fraction of the GPU rent")
    ops = chosen(o.ops_monthly, "--ops-monthly", "2000", defaults.ops_monthly, high=1e9, unit="USD a month")
    setup = chosen(o.selfhost_setup, "--selfhost-setup", "200", defaults.setup, high=1e9, unit="USD")
    horizon = chosen(o.horizon_months, "--horizon-months", "12", defaults.horizon_months, above_low=True,
                     high=1200, unit="a number of months")
    return _Checked(examples, epochs, training_tokens, training_price, hourly, tps, util, gpus, sizing, overhead,
                    ops, setup, horizon, frozenset(given))


def resolve_parameters(defaults: BreakevenDefaults, book: PriceBook,
                       o: BreakevenOptions) -> tuple[Parameters, list[Assumption]]:
    """The figures to use: each option given, else its default; every one listed with its source."""
    c = check_options(defaults, o)
    ft_name = o.ft_model or defaults.ft_default_model
    resolved = book.resolve(ft_name)
    ft = defaults.fine_tunable(resolved[0] if resolved else ft_name.strip()) or defaults.fine_tunable(ft_name.strip())
    choices = ", ".join(m.model for m in defaults.ft_models)
    if ft is None:
        raise UsageError(f"--ft-model {ft_name}: no fine-tuning price is known for that model.",
                         f"Choose one of: {choices} (training prices in {defaults.file}).")
    for mid in (ft.model, ft.fine_tuned_model):
        if mid not in book.models:
            raise PricingError(f"The break-even defaults name {mid}, which is not in the price book.",
                               "Add it to the book (docs/pricing-format.md) or remove it from the defaults.")
    price = ft.latest
    examples, epochs, training_tokens = c.examples, c.epochs, c.training_tokens
    training_price = price.per_mtok if c.training_price is None else c.training_price
    hourly, tps, util, gpus, sizing = c.hourly, c.tps, c.util, c.gpus, c.sizing
    overhead, ops, setup, horizon = c.overhead, c.ops, c.setup, c.horizon
    ex_set, ep_set = "--ft-examples" in c.given, "--ft-epochs" in c.given
    hourly_set, tps_set = "--gpu-hourly" in c.given, "--gpu-tokens-per-second" in c.given
    util_set, oh_set = "--gpu-utilisation" in c.given, "--gpu-overhead" in c.given
    ops_set, setup_set, hz_set = "--ops-monthly" in c.given, "--selfhost-setup" in c.given, \
        "--horizon-months" in c.given
    p = Parameters(ft, training_price, int(examples), int(epochs), training_tokens, hourly, tps, util, gpus, sizing,
                   overhead, ops, setup, defaults.hours_per_month.value, horizon)

    def yours(option: str) -> str:
        return f"{option} (yours)"

    def src(fig: Figure) -> str:
        return fig.source + (f" (checked {fig.checked})" if fig.checked else "")

    d = defaults
    ft_book = book.models[ft.fine_tuned_model]
    last = book.models[ft.fine_tuned_model].periods[-1].prices
    a = [
        Assumption("ft_model", "fine-tuned model", ft.model,
                   f"{ft.model} → {ft.fine_tuned_model} (${last['input']:,.2f} in / ${last['output']:,.2f} out "
                   "per M tokens)",
                   yours("--ft-model") if o.ft_model else "default (pricing/breakeven/breakeven.yaml)",
                   f"per-token prices from the price book ({ft_book.file}, {ft_book.periods[-1].source}, "
                   f"checked {ft_book.periods[-1].checked})", "--ft-model", bool(o.ft_model)),
        Assumption("ft_training_price_per_mtok", "training price", training_price,
                   f"${training_price:,.2f} per M training tokens",
                   yours("--ft-training-price") if o.ft_training_price is not None
                   else f"{price.source} (checked {price.checked}, in force from {price.effective_from:%Y-%m-%d})",
                   price.note, "--ft-training-price", o.ft_training_price is not None),
    ]
    if training_tokens is None:
        a += [Assumption("ft_examples", "training examples", int(examples), f"{int(examples):,} examples",
                         yours("--ft-examples") if ex_set else src(d.ft_examples), d.ft_examples.note,
                         "--ft-examples", ex_set),
              Assumption("ft_epochs", "training epochs", int(epochs), f"{int(epochs)} epochs",
                         yours("--ft-epochs") if ep_set else src(d.ft_epochs), d.ft_epochs.note, "--ft-epochs",
                         ep_set),
              Assumption("ft_tokens_per_example", "tokens per example", "task average",
                         "the task's average input + output tokens per call", "the log",
                         "the fine-tuned model is sent the same prompts as today (a fine-tune often lets the "
                         "prompt shrink: not assumed here)")]
    else:
        a.append(Assumption("ft_training_tokens", "training tokens", training_tokens, f"{training_tokens:,} tokens",
                            yours("--ft-training-tokens"), "tokens in the training file × epochs",
                            "--ft-training-tokens", True))
    if d.ft_availability:
        av = d.ft_availability
        a.append(Assumption("ft_availability", "fine-tuning availability", av.value, av.value,
                            av.source + (f" (checked {av.checked})" if av.checked else ""), av.note))
    a += [
        Assumption("gpu_hourly_usd", "GPU price", hourly,
                   f"${hourly:,.2f} per GPU-hour" + (f" ({d.gpu_hourly.label})" if d.gpu_hourly.label and not
                                                     hourly_set else ""),
                   yours("--gpu-hourly") if hourly_set else src(d.gpu_hourly), d.gpu_hourly.note, "--gpu-hourly",
                   hourly_set),
        Assumption("gpu_tokens_per_second", "GPU throughput", tps,
                   f"{tps:,.0f} tokens/s per GPU, input + output"
                   + (f" ({d.tokens_per_second.label})" if d.tokens_per_second.label and not tps_set else ""),
                   yours("--gpu-tokens-per-second") if tps_set else src(d.tokens_per_second),
                   d.tokens_per_second.note, "--gpu-tokens-per-second", tps_set),
        Assumption("gpu_utilisation", "GPU utilisation", util, f"{_pct(util)} of that throughput at the "
                   f"{'busiest hour' if sizing == 'peak' else 'average rate'}",
                   yours("--gpu-utilisation") if util_set else src(d.utilisation), d.utilisation.note,
                   "--gpu-utilisation", util_set),
        Assumption("gpu_sizing", "GPU sizing", sizing,
                   "GPUs for the busiest clock hour" if sizing == "peak" else "GPUs for the average rate",
                   yours("--gpu-sizing") if o.gpu_sizing else "assumed", d.sizing_note if sizing == "peak" else
                   "traffic above the average queues or is dropped", "--gpu-sizing", bool(o.gpu_sizing)),
    ]
    if gpus is not None:
        a.append(Assumption("gpus", "GPUs", gpus, f"{gpus} GPU{'s' if gpus != 1 else ''} for every task",
                            yours("--gpus"), None, "--gpus", True))
    a += [
        Assumption("gpu_overhead", "overhead on GPU rent", overhead, f"+{_pct(overhead)}",
                   yours("--gpu-overhead") if oh_set else src(d.overhead), d.overhead.note, "--gpu-overhead", oh_set),
        Assumption("ops_monthly_usd", "operations", ops, f"${ops:,.2f} a month",
                   yours("--ops-monthly") if ops_set else src(d.ops_monthly), d.ops_monthly.note, "--ops-monthly",
                   ops_set),
        Assumption("selfhost_setup_usd", "self-hosting setup", setup, f"${setup:,.2f} once",
                   yours("--selfhost-setup") if setup_set else src(d.setup), d.setup.note, "--selfhost-setup",
                   setup_set),
        Assumption("hours_per_month", "hours a month", p.hours_per_month, f"{p.hours_per_month:,.0f} h",
                   src(d.hours_per_month), d.hours_per_month.note),
        Assumption("horizon_months", "horizon", horizon, f"{horizon:g} months",
                   yours("--horizon-months") if hz_set else src(d.horizon_months), d.horizon_months.note,
                   "--horizon-months", hz_set),
        Assumption("quality", "quality", "assumed", "the cheaper option answers as well as the logged model",
                   "assumed", "not measured here: validate the fine-tuned or open model on an eval set of the "
                   "task (100-200 examples) before moving traffic"),
    ]
    return p, a


# --------------------------------------------------------------------------- the arithmetic

@dataclass
class FineTuneCase:
    model: str
    fine_tuned_model: str
    training_tokens: int
    training_usd: Decimal
    monthly_usd: Decimal | None  # inference on the fine-tuned model
    savings_monthly_usd: Decimal | None
    payback_days: Decimal | None
    break_even_calls_monthly: Decimal | None
    cheaper: bool | None
    verdict: str  # cheaper | not_cheaper | never | unknown
    verdict_text: str
    assumptions: list[str] = field(default_factory=list)


@dataclass
class SelfHostCase:
    sizing: str
    peak_tokens_per_second: Decimal
    average_tokens_per_second: Decimal
    capacity_per_gpu: Decimal
    gpus_needed: int
    gpus: int
    gpu_monthly_usd: Decimal
    monthly_usd: Decimal
    setup_usd: Decimal
    savings_monthly_usd: Decimal | None
    payback_days: Decimal | None
    break_even_calls_monthly: Decimal | None
    cheaper: bool | None
    verdict: str
    verdict_text: str
    assumptions: list[str] = field(default_factory=list)


def usd(v: Decimal) -> str:
    return f"-${-v:,.2f}" if v < 0 else f"${v:,.2f}"


def _count(v: Decimal) -> str:
    return f"{v:,.0f}"


def _times(k: Decimal) -> str:
    """`×250` / `×0.09` today's volume."""
    return f"×{k:,.0f}" if k >= 10 else f"×{k:.2g}"


def days_text(d: Decimal) -> str:
    """`32 days`, `1 day`, `< 1 day`."""
    if d < 1:
        return "< 1 day"
    n = d.to_integral_value(ROUND_HALF_UP)
    return f"{n:,} day{'s' if n != 1 else ''}"


def _pct(fraction: Decimal) -> str:
    return f"{float(fraction) * 100:g} %"


def _payback(one_time: Decimal, saving_monthly: Decimal) -> Decimal | None:
    """Days for a monthly saving to pay a one-time cost back (None when nothing is saved)."""
    if saving_monthly <= 0:
        return None
    return one_time / (saving_monthly / DAYS_PER_MONTH)


def fine_tune_case(api_monthly: Decimal | None, ft_monthly: Decimal | None, calls_monthly: Decimal | None,
                   tokens_per_call: Decimal, p: Parameters) -> FineTuneCase:
    """Training once (tokens × the training price), then the fine-tuned model's monthly cost on
    the task's traffic. Cheaper when the fine-tuned month plus the training spread over the
    horizon costs less than the API month; it breaks even from the monthly volume where the two
    are equal (the saving per call pays the training back within the horizon)."""
    if p.training_tokens is not None:
        tokens = p.training_tokens
        rule = f"{tokens:,} training tokens (given)"
    else:
        tokens = int((p.examples * tokens_per_call * p.epochs).to_integral_value(ROUND_HALF_UP))
        rule = (f"{p.examples:,} examples × {tokens_per_call:,.0f} tokens × {p.epochs} epochs = "
                f"{tokens:,} training tokens")
    training = Decimal(tokens) * p.training_price / MILLION
    assumptions = [rule, f"{tokens:,} × ${p.training_price:,.2f} per M = {usd(training)} once"]
    case = FineTuneCase(p.ft.model, p.ft.fine_tuned_model, tokens, training, ft_monthly, None, None, None, None,
                        "unknown", "", assumptions)
    if api_monthly is None or ft_monthly is None or calls_monthly is None:
        case.verdict_text = "no monthly figures (see the notes)"
        return case
    saving = api_monthly - ft_monthly
    case.savings_monthly_usd = saving
    case.payback_days = _payback(training, saving)
    case.cheaper = ft_monthly + training / p.horizon_months < api_monthly
    if saving > 0:
        k = training / (p.horizon_months * saving)  # volume multiple where month + training/horizon = API
        case.break_even_calls_monthly = k * calls_monthly
    if case.cheaper:
        case.verdict = "cheaper"
        case.verdict_text = (f"cheaper: saves {usd(saving)} a month; the training pays back in "
                             f"{days_text(case.payback_days)}" if case.payback_days else
                             f"cheaper: saves {usd(saving)} a month")
    elif saving > 0:
        assert case.break_even_calls_monthly is not None
        case.verdict = "not_cheaper"
        case.verdict_text = (f"not cheaper at this volume: breaks even from "
                             f"{_count(case.break_even_calls_monthly)} calls a month ({_times(k)} today), "
                             f"the training spread over {p.horizon_months:g} months")
    else:
        case.verdict = "never"
        case.verdict_text = ("never: the fine-tuned model costs as much or more per call than the logged "
                             "model(s)")
    return case


def gpus_for(rate: Decimal, capacity: Decimal) -> int:
    """GPUs needed to carry `rate` tokens/s at `capacity` tokens/s each (at least one)."""
    return max(1, int((rate / capacity).to_integral_value(ROUND_CEILING)))


def self_host_case(api_monthly: Decimal | None, calls_monthly: Decimal | None, peak_tps: Decimal,
                   avg_tps: Decimal, p: Parameters) -> SelfHostCase:
    """Rented GPUs serving the task: GPUs = ⌈rate / (throughput × utilisation)⌉ for the busiest
    hour (or the average rate), each costing $/h × hours a month × (1 + overhead), plus operations.
    Cheaper when that month plus the setup spread over the horizon costs less than the API month.
    It breaks even from the smallest volume (today's traffic scaled, its shape kept) at which the
    GPUs that volume needs cost no more than the API for it; never when even a fully planned GPU
    costs more than the API for the tokens it carries."""
    rate = peak_tps if p.sizing == "peak" else avg_tps
    cap = p.capacity_per_gpu
    needed = gpus_for(rate, cap)
    gpus = p.gpus if p.gpus is not None else needed
    gm = p.gpu_monthly
    monthly = gpus * gm + p.ops_monthly
    assumptions = [
        f"{'busiest hour' if p.sizing == 'peak' else 'average'} {rate:,.2f} tokens/s; one GPU carries "
        f"{p.tokens_per_second:,.0f} × {_pct(p.utilisation)} = {cap:,.0f} tokens/s → {needed} GPU"
        f"{'s' if needed != 1 else ''} needed",
        f"{gpus} × ${p.gpu_hourly:,.2f}/h × {p.hours_per_month:,.0f} h × (1 + {_pct(p.overhead)} overhead)"
        + (f" + {usd(p.ops_monthly)} operations" if p.ops_monthly else "") + f" = {usd(monthly)} a month",
        f"setup {usd(p.setup)} once",
    ]
    case = SelfHostCase(p.sizing, peak_tps, avg_tps, cap, needed, gpus, gm, monthly, p.setup, None, None, None,
                        None, "unknown", "", assumptions)
    if p.gpus is not None and gpus < needed:
        assumptions.append(f"{gpus} GPU{'s' if gpus != 1 else ''} cannot carry this rate: {needed} are needed")
    if api_monthly is None or calls_monthly is None:
        case.verdict_text = "no monthly figures (see the notes)"
        return case
    saving = api_monthly - monthly
    case.savings_monthly_usd = saving
    case.payback_days = _payback(p.setup, saving)
    fixed = p.ops_monthly + p.setup / p.horizon_months
    case.cheaper = monthly + p.setup / p.horizon_months < api_monthly and gpus >= needed
    k: Decimal | None = None
    if rate > 0 and api_monthly > 0:
        per_gpu_api = api_monthly * cap / rate  # the API month of the traffic one GPU can carry
        if p.gpus is not None:
            k = (gpus * gm + fixed) / api_monthly
            if k * rate > gpus * cap:
                k = None
        elif per_gpu_api > gm:
            n = max(1, int((fixed / (per_gpu_api - gm)).to_integral_value(ROUND_CEILING)))
            k = max((n - 1) * cap / rate, (n * gm + fixed) / api_monthly)
    if k is not None:
        case.break_even_calls_monthly = k * calls_monthly
    if case.cheaper:
        case.verdict = "cheaper"
        case.verdict_text = f"cheaper: saves {usd(saving)} a month" + (
            f"; the setup pays back in {days_text(case.payback_days)}" if case.payback_days else "")
    elif k is not None:
        assert case.break_even_calls_monthly is not None
        case.verdict = "not_cheaper"
        case.verdict_text = (f"not cheaper at this volume: breaks even from "
                             f"{_count(case.break_even_calls_monthly)} calls a month ({_times(k)} today)"
                             + (f", the setup spread over {p.horizon_months:g} months" if p.setup else ""))
    else:
        case.verdict = "never"
        case.verdict_text = ("never: at its planned load a GPU costs more than the API for the same tokens"
                             if p.gpus is None else
                             f"never on {gpus} GPU{'s' if gpus != 1 else ''}: they cannot carry the volume that "
                             "would pay for them")
    return case


# --------------------------------------------------------------------------- the traffic (SQL)

@dataclass
class TaskTraffic:
    """One task type's priced traffic in scope (a few numbers from DuckDB)."""

    task: str | None
    calls: int  # priced calls that got an answer (billed)
    errored_calls: int  # priced calls that errored (not billed, left out)
    unpriced_calls: int  # calls on models the book does not know (left out)
    input_tokens: int
    output_tokens: int
    api_usd: Decimal
    ft_usd: Decimal | None  # the same calls on the fine-tuned model; None when some cannot be priced there
    ft_unpriced_calls: int
    ft_latest_price_calls: int  # calls logged before the fine-tuned model existed, priced at its latest price
    peak_hour_tokens: int
    models: list[str]


@dataclass
class TaskBreakeven:
    traffic: TaskTraffic
    calls_monthly: Decimal | None
    api_monthly_usd: Decimal | None
    input_tokens_monthly: Decimal | None
    output_tokens_monthly: Decimal | None
    fine_tuning: FineTuneCase
    self_hosting: SelfHostCase


@dataclass
class BreakevenResult:
    start: datetime | None
    end: datetime | None
    calls: int
    unpriced_calls: int
    tasks: list[TaskBreakeven]
    assumptions: list[Assumption]
    notes: list[str] = field(default_factory=list)
    filters: str = ""  # the scope's filters in words (for "no calls in scope")
    run_rate: RunRate | None = None  # the main period (stray calls far outside it are left out)

    @property
    def days(self) -> float:
        if self.start is None or self.end is None:
            return 0.0
        return (self.end - self.start).total_seconds() / 86400

    def monthly(self, amount: Decimal | int) -> Decimal | None:
        """amount × 30 / days: the 30-day run rate (None when the calls span less than a day)."""
        if self.start is None or self.end is None or self.days < MIN_DAYS:
            return None
        seconds = Decimal(repr((self.end - self.start).total_seconds()))
        return Decimal(amount) * DAYS_PER_MONTH * Decimal(86400) / seconds


def gather_traffic(store: Store, book: PriceBook, relation: str,
                   fine_tuned_model: str) -> tuple[list[TaskTraffic], datetime | None, datetime | None]:
    """Per task type: the priced calls' tokens and API cost, and the same calls priced on the
    fine-tuned model (one pass over `relation`, the priced calls in scope); the models by cost
    and the busiest clock hour's tokens (two more passes). Calls logged before the fine-tuned
    model existed are priced at its latest price (a call without a time takes the latest period)."""
    ft = book.models[fine_tuned_model]
    if not store.query("SELECT 1 FROM duckdb_tables() WHERE table_name = ? AND temporary", [MODEL_MAP]):
        # priced calls read from the store bring the price tables, not the model map (every logged
        # name and every book id, so a call can be priced on any model of the book)
        load_model_map(store.con, book, "calls")
    first_price = ft.periods[0].effective_from
    since = f"TIMESTAMP '{first_price.isoformat(sep=' ')}'"
    replace = {"model": f"{sql_str(ft.id)} AS model", "provider": f"{sql_str(ft.provider)} AS provider",
               "model_id": "CAST(NULL AS VARCHAR) AS model_id",
               "ts": f"CASE WHEN ts < {since} THEN NULL ELSE ts END AS ts"}
    cols = ", ".join(replace.get(c, c) for c in COLUMN_NAMES)
    moved = (f"(SELECT {cols}, cost_usd AS _api_cost, cost_input IS NULL AS _api_unpriced, ts AS _ts, "
             f"coalesce(ts < {since}, false) AS _early FROM {relation})")
    ok = "NOT _api_unpriced AND billed"
    rows = store.query(f"""
        SELECT task_type, count(*) FILTER (WHERE _api_unpriced),
               count(*) FILTER (WHERE NOT _api_unpriced AND NOT billed), count(*) FILTER (WHERE {ok}),
               coalesce(sum(input_tokens) FILTER (WHERE {ok}), 0), coalesce(sum(output_tokens) FILTER (WHERE {ok}), 0),
               coalesce(sum(_api_cost) FILTER (WHERE NOT _api_unpriced), 0),
               sum(cost_usd) FILTER (WHERE NOT _api_unpriced),
               count(*) FILTER (WHERE NOT _api_unpriced AND cost_input IS NULL),
               count(*) FILTER (WHERE NOT _api_unpriced AND _early), min(_ts), max(_ts)
        FROM ({priced_sql(moved)}) GROUP BY task_type""")
    peaks = dict(store.query(f"""
        SELECT task_type, max(tok) FROM (
            SELECT task_type, date_trunc('hour', ts) AS h, sum(input_tokens + output_tokens) AS tok
            FROM {relation} WHERE cost_input IS NOT NULL AND billed AND ts IS NOT NULL GROUP BY ALL)
        GROUP BY task_type"""))
    models: dict[str | None, list[str]] = {}
    for task, model, _cost in store.query(f"""
            SELECT task_type, coalesce(model_id, model), sum(cost_usd) FROM {relation}
            WHERE cost_input IS NOT NULL GROUP BY ALL ORDER BY 3 DESC, 2"""):
        models.setdefault(task, []).append(model)
    out = []
    starts = [r[10] for r in rows if r[10] is not None]
    ends = [r[11] for r in rows if r[11] is not None]
    for task, unpriced, errored, calls, inp, outp, api, ft_cost, ft_unpriced, early, _a, _b in rows:
        out.append(TaskTraffic(task, int(calls), int(errored), int(unpriced), int(inp), int(outp), Decimal(api),
                               None if ft_unpriced or ft_cost is None else Decimal(ft_cost), int(ft_unpriced),
                               int(early), int(peaks.get(task) or 0), models.get(task, [])))
    return out, (min(starts) if starts else None), (max(ends) if ends else None)


def breakeven(store: Store, book: PriceBook, relation: str, defaults: BreakevenDefaults,
              options: BreakevenOptions, filters: str = "") -> BreakevenResult:
    """Fine-tuning and self-hosting against the API, per task type of the priced calls in scope."""
    p, assumptions = resolve_parameters(defaults, book, options)
    # the 30-day run rate's main period: calls far outside it would stretch every monthly figure
    rate = find_run_rate(store.con, call_days_sql(relation))
    if rate.strays:
        relation = f"(SELECT * FROM {relation} WHERE NOT ({rate.stray_sql()}))"
    traffic, start, end = gather_traffic(store, book, relation, p.ft.fine_tuned_model)
    result = BreakevenResult(start, end, sum(t.calls + t.errored_calls + t.unpriced_calls for t in traffic),
                             sum(t.unpriced_calls for t in traffic), [], assumptions, filters=filters,
                             run_rate=rate)
    seconds = Decimal(repr((end - start).total_seconds())) if start and end and end > start else None
    if rate.strays:
        result.notes.append(f"{rate.stray_note()}. Every figure here is over that main period")
    if result.days < MIN_DAYS and traffic:
        why = rate.reason or f"calls span {span_text(result.days * 86400)}: too short for a run rate"
        result.notes.append(f"no {RUN_RATE_LABEL} ({why}): break-even needs a rate, so no monthly figure is "
                            "given")
    for t in traffic:
        # a task whose every call is on a model the book does not know has an unknown cost, not $0
        known = bool(t.calls or t.errored_calls)
        api_monthly = result.monthly(t.api_usd) if known else None
        ft_monthly = result.monthly(t.ft_usd) if t.ft_usd is not None else None
        calls_monthly = result.monthly(t.calls)
        per_call = Decimal(t.input_tokens + t.output_tokens) / t.calls if t.calls else ZERO
        avg_tps = Decimal(t.input_tokens + t.output_tokens) / seconds if seconds else ZERO
        peak_tps = max(Decimal(t.peak_hour_tokens) / 3600, avg_tps)
        priced = t.calls > 0 and t.api_usd > 0
        ft = fine_tune_case(api_monthly if priced else None, ft_monthly, calls_monthly, per_call, p)
        sh = self_host_case(api_monthly if priced else None, calls_monthly, peak_tps, avg_tps, p)
        if t.ft_latest_price_calls:
            ft.assumptions.append(f"{t.ft_latest_price_calls:,} calls logged before {p.ft.fine_tuned_model} "
                                  "existed are priced at its latest price")
        if t.ft_unpriced_calls:
            ft.verdict_text = (f"no figure: {t.ft_unpriced_calls:,} calls have no price on "
                               f"{p.ft.fine_tuned_model} at their time")
        if not priced:
            reason = ("no call of this task is on a priced model" if not t.calls and t.unpriced_calls else
                      "every priced call of this task errored (not billed)" if not t.calls else
                      "its calls cost nothing on the API")
            ft.verdict_text = sh.verdict_text = f"no comparison: {reason}"
        result.tasks.append(TaskBreakeven(t, calls_monthly, api_monthly, result.monthly(t.input_tokens),
                                          result.monthly(t.output_tokens), ft, sh))
        label = t.task if t.task is not None else "(none)"
        if t.unpriced_calls and t.calls:
            result.notes.append(f"{label}: {t.unpriced_calls:,} calls on models not in the price book are left out")
        if t.errored_calls:
            result.notes.append(f"{label}: {t.errored_calls:,} errored calls (not billed) are left out")
    result.tasks.sort(key=lambda b: (-(b.traffic.api_usd), b.traffic.task is None, b.traffic.task or ""))
    if len(result.tasks) > 1:
        result.notes.append("each task is judged alone: tasks sharing GPUs (or one fine-tuned model) would "
                            "split the fixed costs")
    return result
