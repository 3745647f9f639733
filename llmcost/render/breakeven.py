"""`llmcost breakeven` rendered: the terminal table (rich), `--format json` and `--format markdown`.
Renderers only format; every figure comes from `BreakevenResult`. rich is imported only by the
terminal rendering."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmcost import __version__
from llmcost.render.json_out import iso, money
from llmcost.render.markdown import md_escape
from llmcost.run_rate import span_text

if TYPE_CHECKING:
    from rich.console import RenderableType

    from llmcost.simulate.breakeven import Assumption, BreakevenResult, FineTuneCase, SelfHostCase, TaskBreakeven


def usd(v: Decimal | None) -> str:
    """Money as people read it: `$1,234.56`, `-$2.10`, four decimals below a cent, `–` for none."""
    if v is None:
        return "–"
    sign = "-" if v < 0 else ""
    a = abs(v)
    return f"{sign}${a:,.4f}" if 0 < a < Decimal("0.01") else f"{sign}${a:,.2f}"


def days(v: Decimal | None, saving: Decimal | None) -> str:
    """A payback: `32 days`, `at once` (nothing to pay back), `never` (nothing saved), `–`."""
    if saving is None:
        return "–"
    if v is None:
        return "never"
    if v == 0:
        return "at once"
    return f"{v:,.0f} day{'s' if round(v) != 1 else ''}" if v >= 1 else "< 1 day"


def tokens(v: Decimal | None) -> str:
    """Token counts a month: `3.0M`, `300k`, `950`."""
    if v is None:
        return "–"
    if v >= 1_000_000_000:
        return f"{v / 1_000_000_000:,.1f}B"
    if v >= 1_000_000:
        return f"{v / 1_000_000:,.1f}M"
    if v >= 10_000:
        return f"{v / 1000:,.0f}k"
    return f"{v:,.0f}"


def task_label(b: TaskBreakeven) -> str:
    return b.traffic.task if b.traffic.task is not None else "(no task type)"


def _period_line(r: BreakevenResult) -> str:
    if r.start is None or r.end is None:
        return "no call times logged"
    span = span_text(r.days * 86400)  # `7 s`, `3.2 hours`, not "0.0 days"
    return f"{span} ({r.start:%Y-%m-%d} → {r.end:%Y-%m-%d})"


MONTH_RULE = "a month = the 30-day run rate: the period's figure × 30 / its days"


def _unpriced(b: TaskBreakeven) -> bool:
    """No billed call of the task is on a priced model: its cost (and training size) is unknown."""
    return not b.traffic.calls


def _training(b: TaskBreakeven) -> str:
    return "–" if _unpriced(b) else usd(b.fine_tuning.training_usd)


def _traffic_line(b: TaskBreakeven) -> str:
    t = b.traffic
    if _unpriced(b) and t.unpriced_calls:
        return (f"{t.unpriced_calls:,} call{'' if t.unpriced_calls == 1 else 's'}, unpriced: none on a model "
                "the price book knows")
    models = ", ".join(t.models[:3]) + (f" and {len(t.models) - 3} more" if len(t.models) > 3 else "")
    n = f"{b.calls_monthly:,.0f}" if b.calls_monthly is not None else f"{t.calls:,}"
    calls = f"{n} call{'' if n == '1' else 's'}" + (" a month" if b.calls_monthly is not None else "")
    toks = (f"{tokens(b.input_tokens_monthly)} input + {tokens(b.output_tokens_monthly)} output tokens a month"
            if b.input_tokens_monthly is not None else
            f"{t.input_tokens:,} input + {t.output_tokens:,} output tokens")
    return f"{calls} on {models or 'no priced model'} · {toks}"


# --------------------------------------------------------------------------- terminal

def breakeven_table(r: BreakevenResult) -> RenderableType:
    from rich.console import Group
    from rich.table import Table

    from llmcost.render.rich_safe import add_row, plain
    from llmcost.render.terminal import hang

    parts: list[RenderableType] = []
    if not r.tasks:
        return Group(plain(" No calls in scope.", style="bold yellow"),
                     plain(f"  Filters: {r.filters}" if r.filters else
                           "  Give log files: llmcost breakeven FILES (see llmcost breakeven --help)", style="dim"))
    head = f"Break-even per task · {r.calls:,} call{'s' if r.calls != 1 else ''} over {_period_line(r)}"
    parts.append(hang(head, indent=1, style="bold"))
    parts.append(hang(MONTH_RULE + "; fine-tuning and self-hosting each against the API", indent=1,
                      style="dim"))
    for b in r.tasks:
        parts.append(plain(""))
        parts.append(hang(f"{task_label(b)} · {_traffic_line(b)}", indent=1, style="bold cyan"))
        ft, sh = b.fine_tuning, b.self_hosting
        table = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
        table.add_column("", no_wrap=True)
        for col in ("a month", "one-time", "saves a month", "payback"):
            table.add_column(col, justify="right", no_wrap=True)
        api = "unpriced" if _unpriced(b) and b.traffic.unpriced_calls else usd(b.api_monthly_usd)
        add_row(table, "   API today", api, "–", "–", "–")
        add_row(table, "   fine-tuned", usd(ft.monthly_usd), _training(b), usd(ft.savings_monthly_usd),
                days(ft.payback_days, ft.savings_monthly_usd))
        add_row(table, "   self-hosted", usd(sh.monthly_usd) if b.api_monthly_usd is not None else "–",
                usd(sh.setup_usd), usd(sh.savings_monthly_usd), days(sh.payback_days, sh.savings_monthly_usd))
        parts.append(table)
        # an unpriced task's sizing rests on no priced call (0 tokens): its arithmetic is left out
        shown = not (_unpriced(b) and b.traffic.unpriced_calls)
        parts.append(_verdict(f"Fine-tuned {ft.model}", ft))
        parts += [hang(_fold(x), indent=5, marker="· ", style="dim") for x in ft.assumptions if shown]
        gpus = f"{sh.gpus} GPU{'s' if sh.gpus != 1 else ''}"
        parts.append(_verdict(f"Self-hosted ({gpus})", sh))
        parts += [hang(_fold(x), indent=5, marker="· ", style="dim") for x in sh.assumptions if shown]
    parts.append(plain(""))
    parts.append(plain("  Assumptions (every figure above rests on these):", style="bold"))
    for a in r.assumptions:
        parts.append(hang(_fold(_assumption_text(a)), indent=3, marker="· ", style="dim"))
    for note in r.notes:
        parts.append(hang(_fold(note, "yellow"), marker="⚠ ", style="yellow"))
    parts.append(plain("  Change any figure: llmcost breakeven --help · --format json lists every one",
                       style="dim"))
    return Group(*parts)


def _fold(text: str, style: str = "dim") -> Any:
    """Text whose long words (a URL) break across lines rather than being cut with an ellipsis."""
    from llmcost.render.rich_safe import plain

    t = plain(text, style=style)
    t.overflow = "fold"
    return t


def _verdict(title: str, case: FineTuneCase | SelfHostCase) -> RenderableType:
    from llmcost.render.rich_safe import plain
    from llmcost.render.terminal import hang

    style = {"cheaper": "green", "not_cheaper": "yellow", "never": "yellow"}.get(case.verdict, "dim")
    text = plain(f"{title}: ", style="bold")
    text.append(case.verdict_text, style=style)
    text.overflow = "fold"
    return hang(text, indent=3)


def _assumption_text(a: Assumption) -> str:
    text = f"{a.label}: {a.shown} — {a.source}"
    return text + (f"; {a.note}" if a.note else "")


# --------------------------------------------------------------------------- JSON

def _num(v: Decimal | int | None) -> float | int | None:
    if v is None:
        return None
    return v if isinstance(v, int) else float(v)


def _case_common(case: FineTuneCase | SelfHostCase) -> dict[str, Any]:
    return {"savings_monthly_usd": money(case.savings_monthly_usd), "payback_days": _num(case.payback_days),
            "break_even_calls_monthly": _num(case.break_even_calls_monthly), "cheaper": case.cheaper,
            "verdict": case.verdict, "verdict_text": case.verdict_text, "assumptions": case.assumptions}


def _task_dict(b: TaskBreakeven, r: BreakevenResult) -> dict[str, Any]:
    t, ft, sh = b.traffic, b.fine_tuning, b.self_hosting
    billed = t.calls
    return {
        "task_type": t.task, "calls": t.calls, "errored_calls": t.errored_calls, "unpriced_calls": t.unpriced_calls,
        "models": t.models, "calls_monthly": _num(b.calls_monthly),
        "api": {"cost_usd": money(t.api_usd) if b.api_monthly_usd is not None or t.calls or t.errored_calls
                else None, "monthly_usd": money(b.api_monthly_usd),
                "input_tokens": t.input_tokens, "output_tokens": t.output_tokens,
                "input_tokens_monthly": _num(b.input_tokens_monthly),
                "output_tokens_monthly": _num(b.output_tokens_monthly),
                "avg_tokens_per_call": (t.input_tokens + t.output_tokens) / billed if billed else None,
                "peak_hour_tokens": t.peak_hour_tokens},
        "fine_tuning": {"model": ft.model, "fine_tuned_model": ft.fine_tuned_model,
                        "training_tokens": ft.training_tokens,
                        "training_usd": None if _unpriced(b) else money(ft.training_usd),
                        "cost_usd": money(t.ft_usd), "monthly_usd": money(ft.monthly_usd)} | _case_common(ft),
        "self_hosting": {"sizing": sh.sizing, "peak_tokens_per_second": _num(sh.peak_tokens_per_second),
                         "average_tokens_per_second": _num(sh.average_tokens_per_second),
                         "capacity_tokens_per_second_per_gpu": _num(sh.capacity_per_gpu),
                         "gpus_needed": sh.gpus_needed, "gpus": sh.gpus,
                         "gpu_monthly_usd": money(sh.gpu_monthly_usd),
                         "monthly_usd": money(sh.monthly_usd) if b.api_monthly_usd is not None else None,
                         "setup_usd": money(sh.setup_usd)} | _case_common(sh),
    }


def _assumption_dict(a: Assumption) -> dict[str, Any]:
    value = a.value if isinstance(a.value, int | str) else float(a.value)
    return {"name": a.name, "label": a.label, "value": value, "shown": a.shown, "source": a.source,
            "note": a.note, "option": a.option, "overridden": a.overridden}


def breakeven_dict(r: BreakevenResult) -> dict[str, Any]:
    return {
        "llmcost_version": __version__,
        "command": "breakeven",
        "period": {"start": iso(r.start), "end": iso(r.end), "days": r.days}
        | ({"run_rate": r.run_rate.as_dict()} if r.run_rate is not None else {}),
        "calls": r.calls,
        "unpriced_calls": r.unpriced_calls,
        "tasks": [_task_dict(b, r) for b in r.tasks],
        "assumptions": [_assumption_dict(a) for a in r.assumptions],
        "notes": r.notes,
        "filters": r.filters or None,
    }


# --------------------------------------------------------------------------- Markdown

def breakeven_markdown(r: BreakevenResult) -> str:
    lines = ["## Break-even: fine-tuning and self-hosting", ""]
    if not r.tasks:
        return "\n".join([*lines, "No calls in scope." + (f" Filters: {md_escape(r.filters)}" if r.filters else ""),
                           ""])
    lines += [f"{r.calls:,} calls over {md_escape(_period_line(r))}; {MONTH_RULE}.", "",
              "| task | calls a month | API a month | fine-tuned a month | training | payback | "
              "self-hosted a month | GPUs | setup | payback |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for b in r.tasks:
        ft, sh = b.fine_tuning, b.self_hosting
        calls = f"{b.calls_monthly:,.0f}" if b.calls_monthly is not None else "–"
        lines.append(f"| {md_escape(task_label(b))} | {calls} | {usd(b.api_monthly_usd)} | {usd(ft.monthly_usd)} | "
                     f"{_training(b)} | {days(ft.payback_days, ft.savings_monthly_usd)} | "
                     f"{usd(sh.monthly_usd) if b.api_monthly_usd is not None else '–'} | {sh.gpus} | "
                     f"{usd(sh.setup_usd)} | {days(sh.payback_days, sh.savings_monthly_usd)} |")
    lines.append("")
    for b in r.tasks:
        ft, sh = b.fine_tuning, b.self_hosting
        lines += [f"### {md_escape(task_label(b))}", "", md_escape(_traffic_line(b)), "",
                  f"- **Fine-tuned {md_escape(ft.model)}**: {md_escape(ft.verdict_text)}"]
        lines += [f"  - {md_escape(x)}" for x in ft.assumptions]
        lines.append(f"- **Self-hosted ({sh.gpus} GPU{'s' if sh.gpus != 1 else ''})**: {md_escape(sh.verdict_text)}")
        lines += [f"  - {md_escape(x)}" for x in sh.assumptions]
        lines.append("")
    lines += ["### Assumptions", "", "| figure | value | source | note |", "|---|---|---|---|"]
    lines += [f"| {md_escape(a.label)} | {md_escape(a.shown)} | {md_escape(a.source)} | {md_escape(a.note or '')} |"
              for a in r.assumptions]
    lines.append("")
    lines += [f"> ⚠ {md_escape(n)}" for n in r.notes]
    return "\n".join(lines) + "\n"
