"""The lever options of `llmcost simulate`, checked before any file is read or any call priced:
every value that can be judged without the calls (numbers, durations, choices, option pairs,
model names in the price book). A typo costs the user nothing but the error.

The same parsers build the levers later (`llmcost.simulate.options.build_plans`), so the two
can never disagree; what needs the calls (a scope that matches nothing, prefix sizes) is checked
there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmcost.errors import UsageError

if TYPE_CHECKING:
    from llmcost.pricing.book import PriceBook
    from llmcost.simulate.options import LeverOptions

MAX_TOKENS = 1_000_000_000  # a token count option beyond this is a typo (as in the loader)


def cacheable_tokens(text: str | None) -> int | None:
    """--cacheable-tokens N -> N; None when not given or `estimate`."""
    if text is None or text.strip().lower() == "estimate":
        return None
    try:
        value = int(text.strip().replace(",", "").replace("_", ""))
    except ValueError:
        value = -1
    if not 1 <= value <= MAX_TOKENS:
        raise UsageError(f"--cacheable-tokens {text}: expected 1 to {MAX_TOKENS:,} tokens, or estimate.",
                         "For example --cacheable-tokens 2000.")
    return value


def trim_fraction(spec: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise UsageError(f"--trim-prompt {spec}: the fraction must be a number between 0 and 1.",
                         "For example --trim-prompt 0.3, or summarize=0.3 for one task type.") from None


def output_cap(spec: str, value: str) -> int:
    try:
        cap = int(value)
    except ValueError as e:
        raise UsageError(f"--cap-output {spec}: the cap must be a whole number of tokens.",
                         "For example --cap-output summarize=900.") from e
    if not 0 <= cap <= MAX_TOKENS:
        raise UsageError(f"--cap-output {spec}: the cap must be 0 to {MAX_TOKENS:,} tokens.",
                         "For example --cap-output summarize=900.")
    return cap


def check_cache(cache: str, ttl: str) -> None:
    if cache not in ("auto", "if-cheaper", "off"):
        raise UsageError(f"--cache {cache}: expected auto, if-cheaper or off.",
                         "For example --cache auto --cache-ttl 5m.")
    if ttl not in ("5m", "1h", "auto"):
        raise UsageError(f"--cache-ttl {ttl}: expected 5m, 1h or auto.", "auto picks the cheaper per prefix.")


def no_lever() -> UsageError:
    return UsageError("simulate needs at least one lever.",
                      "For example: llmcost simulate --cache auto --route classify=haiku --batch auto "
                      "(see llmcost simulate --help), or llmcost recommend for every lever.")


def check_summary(o: LeverOptions) -> None:
    """--summarize goes with --history-window, and its options with --summarize."""
    if (o.summary_tokens is not None or o.summary_model) and not o.summarize:
        raise UsageError("--summary-tokens and --summary-model apply with --summarize.",
                         "For example --history-window 2000 --summarize --summary-model gpt-4o-mini.")
    if o.summarize and not o.history_window:
        raise UsageError("--summarize applies with --history-window.",
                         "For example --history-window 2000 --summarize.")


def check_lever_options(o: LeverOptions, book: PriceBook | None = None) -> None:
    """Raise the UsageError the lever would raise, before the store is opened. With `book`, the
    route, cascade and summary models are looked up too."""
    from llmcost.simulate import context, similar
    from llmcost.simulate import levers as L

    if not o.any():
        raise no_lever()
    cacheable = cacheable_tokens(o.cacheable_tokens)
    for spec in o.trim_prompt:
        L.trim_prompt(trim_fraction(spec, L.split_scoped(spec)[1]), cacheable)
    if o.dedupe:
        L.parse_duration(o.dedupe, "--dedupe")
    if o.similar_window is not None and o.similar_cache is None:
        raise UsageError(f"--similar-window {o.similar_window}: it is the window of --similar-cache, "
                         "which is not given.", "For example --similar-cache 0.9 --similar-window 1h.")
    if o.similar_cache is not None:
        from llmcost.simulate.options import SIMILAR_WINDOW

        similar.similar_cache(o.similar_cache, L.parse_duration(o.similar_window or SIMILAR_WINDOW,
                                                                "--similar-window"))
    if o.deflect:
        similar.deflect([L.split_scoped(spec) for spec in o.deflect])
    check_cache(o.cache, o.cache_ttl)
    for spec in o.cap_output:
        output_cap(spec, L.split_scoped(spec)[1])
    check_summary(o)
    if o.history_window:
        context.parse_token_specs(o.history_window, "--history-window", "2000")
    if o.summarize and o.summary_tokens is not None and not 1 <= o.summary_tokens <= MAX_TOKENS:
        raise UsageError(f"--summary-tokens {o.summary_tokens}: expected 1 to {MAX_TOKENS:,} tokens.",
                         f"For example --summary-tokens {context.DEFAULT_SUMMARY_TOKENS}.")
    if o.cap_input:
        context.parse_token_specs(o.cap_input, "--cap-input", "answer=2000")
    if not 0 <= o.pass_score <= 1:
        raise UsageError(f"--pass-score {o.pass_score:g}: expected a score from 0 to 1.",
                         "A cheap answer passes when its eval score is at least this (default 0.5).")
    if o.escalate_rate is not None and not 0 <= o.escalate_rate <= 1:
        raise UsageError(f"--escalate-rate {o.escalate_rate:g}: expected a fraction from 0 to 1.",
                         "For example --escalate-rate 0.3: 30 % of the calls in scope escalate.")
    if book is None:
        return
    from llmcost.scope_check import Problems, check_models

    problems = Problems()  # every unknown model at once, each with the nearest book ids
    check_models(o, book, problems)
    problems.raise_any()
    if o.cascade:
        from llmcost.simulate.cascade import parse_targets

        parse_targets(o.cascade, book)
