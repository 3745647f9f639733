"""`recommend` and `simulate` as GitHub-flavoured Markdown (`--format markdown`), fit for a pull
request comment: the ranked levers, the stacked plan step by step, the `llmcost simulate` options
that reproduce it, the steps left out, and every assumption the figures rest on.

Every text that comes from a log, a config or the price book goes through `md_escape`."""

from __future__ import annotations

import shlex
from decimal import Decimal

from llmcost.render import words
from llmcost.render.markdown import md_escape, usd
from llmcost.report.model import LEVER_LABELS
from llmcost.run_rate import span_text
from llmcost.simulate.recommend import RecommendResult
from llmcost.simulate.run import LeverResult, Simulation


def _label(r: LeverResult) -> str:
    return md_escape(LEVER_LABELS.get(r.lever, r.lever))


def _per_month(sim: Simulation, v: Decimal) -> str:
    """`$x / 30 days` (the 30-day run rate); where the calls span less than a day, the period's
    figure, said so."""
    m = sim.monthly(v)
    return f"{usd(m)} / 30 days" if m is not None else f"{usd(v)} in the period"


def _span(sim: Simulation) -> str:
    return f"{sim.calls:,} call{'' if sim.calls == 1 else 's'} over {span_text(sim.days * 86400)}"


def _pct(sim: Simulation) -> str:
    return f"{-sim.savings_pct + 0.0:+.1f} %".replace("-", "−")


def _nothing_priced(sim: Simulation, title: str) -> str | None:
    if not sim.calls or sim.unpriced_calls < sim.calls:
        return None
    return "\n".join([f"## {title}", "",
                      f"**{md_escape(words.nothing_priced(sim.unpriced_calls, []))}**: no call in scope is on "
                      "a model the price book knows, so there is no baseline to save on. `llmcost analyze` "
                      "names the models; docs/pricing-format.md shows how to price them.", ""])


def _extra(r: LeverResult) -> str:
    """The lever's own figures (hit ratio, calls cut, quality before → after), as in the terminal."""
    from llmcost.render.terminal import _lever_extra

    return md_escape(_lever_extra(r))


def stack_table(sim: Simulation) -> list[str]:
    """The levers in stack order, each saving marginal on top of the ones before (no double
    counting), with the bill after each step; the first row is the baseline."""
    lines = ["| step | lever | scope | calls affected | saves | bill after | details |",
             "|---:|---|---|---:|---:|---:|---|",
             f"| 0 | baseline | {_span(sim)} | | | {_per_month(sim, sim.baseline_usd)} | |"]
    for i, r in enumerate(sim.levers, 1):
        lines.append(f"| {i} | {_label(r)} | {md_escape(r.scope)} | {r.calls_affected:,} | "
                     f"{_per_month(sim, r.savings_usd)} | {_per_month(sim, r.cost_after)} | {_extra(r)} |")
    return lines


def _chain(sim: Simulation) -> str:
    steps = [_per_month(sim, sim.baseline_usd)]
    steps += [f"{_label(r)} {_per_month(sim, r.cost_after)}" for r in sim.levers]
    return " → ".join(steps)


def _headline(sim: Simulation) -> str:
    return (f"**Before {_per_month(sim, sim.baseline_usd)} → after {_per_month(sim, sim.scenario_usd)} "
            f"({_pct(sim)})**")


def simulate_command(args: list[str]) -> list[str]:
    """The `llmcost simulate` command line in a fenced block (shell-quoted, one option a line)."""
    options: list[str] = []
    for a in args:
        if a.startswith("--") or not options:
            options.append(shlex.quote(a))
        else:
            options[-1] += " " + shlex.quote(a)
    body = " \\\n  ".join(["llmcost simulate", *options]).replace("```", "` ` `")
    return ["```sh", body, "```"]


def _notes(notes: list[str]) -> list[str]:
    return [f"> ⚠ {md_escape(n)}" for n in notes] + ([""] if notes else [])


def recommend_page(res: RecommendResult) -> str:
    """`llmcost recommend --format markdown`."""
    sim = res.simulation
    unknown = _nothing_priced(sim, "Savings plan")
    if unknown is not None:
        return unknown
    lines = ["## Savings plan", "", f"Baseline {_per_month(sim, sim.baseline_usd)} ({_span(sim)}).", ""]
    if not res.recommendations:
        lines += ["Nothing to recommend: no lever saves money on this traffic.", ""]
    else:
        lines += ["### Levers, ranked by what each saves alone", "",
                  "| # | lever | scope | calls affected | saves alone | % of spend | confidence | risk | effort |",
                  "|---:|---|---|---:|---:|---:|---|---|---|"]
        for rec in res.recommendations:
            r = rec.result
            risk = r.risk if r.lever != "cap_output" else \
                f"{100 * (r.metrics.get('truncated_share') or 0):.1f} % of calls cut"
            lines.append(f"| {rec.rank} | {_label(r)} | {md_escape(r.scope)} | {r.calls_affected:,} | "
                         f"{_per_month(sim, r.savings_usd)} | {rec.savings_pct:.1f} % | {md_escape(r.confidence)} | "
                         f"{md_escape(risk)} | {md_escape(r.effort)} |")
        lines += ["", "### Stacked plan", "",
                  "Each step on top of the ones before, so nothing is counted twice:", "",
                  *stack_table(sim), "", _chain(sim), "", _headline(sim), ""]
        if res.dropped:
            lines += ["Left out of the plan:", ""]
            lines += [f"- {md_escape(why)}" for why in res.dropped]
            lines.append("")
        if res.simulate_args:
            lines += ["The same plan, step by step:", "", *simulate_command(res.simulate_args), ""]
    lines += _assumptions(res)
    lines += _notes(sim.notes)
    return "\n".join(lines)


def _assumptions(res: RecommendResult) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    for rec in res.recommendations:
        for a in rec.result.assumptions:
            if a not in seen:
                seen.add(a)
                lines.append(f"- {_label(rec.result)}: {md_escape(a)}")
    lines += [f"- {md_escape(rule)}" for rule in res.rules if rule not in seen]
    out = ["### Assumptions", "", *lines, ""] if lines else []
    if res.not_evaluated:
        out += ["### Not evaluated", "", *[f"- {md_escape(s)}" for s in res.not_evaluated], ""]
    return out


def simulation_page(sim: Simulation) -> str:
    """`llmcost simulate --format markdown`: before → after, the levers in stack order with their
    marginal savings, their assumptions."""
    unknown = _nothing_priced(sim, "What if")
    if unknown is not None:
        return unknown
    lines = ["## What if", "", f"{_headline(sim)} · {_span(sim)}", "",
             "### Levers, in stack order", "",
             "Each saving is on top of the levers before it, so nothing is counted twice:", "",
             *stack_table(sim), ""]
    assumptions = [f"- {_label(r)}: {md_escape(a)}" for r in sim.levers for a in r.assumptions]
    if assumptions:
        lines += ["### Assumptions", "", *assumptions, ""]
    lines += _notes(sim.notes)
    return "\n".join(lines)
