"""The defaults of `llmcost breakeven`, read from `pricing/breakeven/breakeven.yaml`: what
fine-tuning costs to train (USD per million training tokens, dated, per model one can fine-tune)
and what a rented GPU costs and carries (price per GPU-hour, throughput, utilisation, overhead,
setup). Every figure is data with its source, never code (docs/breakeven.md); the per-token prices
of the fine-tuned models are in the price book itself (`ft:` ids).

The folder is not a price book: `load_book` reads `pricing/*.yaml` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from llmcost.errors import PricingError
from llmcost.pricing.book import book_dir, to_datetime
from llmcost.yaml_schema import Date, Enum, List, Map, Num, Spec, Str, as_number, read_yaml, validate

DOCS = "docs/breakeven.md"
FILE_NAME = "breakeven.yaml"


def defaults_path() -> Path:
    """Where the shipped defaults live: beside the price book (inside the wheel, or the tree)."""
    return book_dir() / "breakeven" / FILE_NAME


def _figure(what: str, low: float, high: float, above_low: bool = False, integer: bool = False) -> Map:
    return Map({"value": Num(what, low, high, above_low=above_low, integer=integer),
                "source": Str("text (a URL, an article, or `assumed`)"), "checked": Date(),
                "note": Str(nonempty=False), "gpu": Str(), "model": Str()},
               what="a mapping with value and source", required=("value", "source"))


_TEXT_FIGURE = Map({"value": Enum(choices=("peak", "average")), "source": Str(), "note": Str(nonempty=False)},
                   what="a mapping with value and source", required=("value", "source"))
_TRAINING = Map({"effective_from": Date(), "training": Num("a price in USD per million training tokens", 0, 1_000_000),
                 "source": Str("text (the URL the price came from)"), "checked": Date(),
                 "note": Str(nonempty=False)},
                what="a mapping (a training price period)",
                required=("effective_from", "training", "source", "checked"))
_FINE_TUNABLE = Map({"model": Str("a price-book model id"), "fine_tuned_model": Str("a price-book model id"),
                     "periods": List(_TRAINING, what="a list of training price periods", min_len=1)},
                    what="a mapping (a model one can fine-tune)", required=("model", "fine_tuned_model", "periods"))
SCHEMA: Spec = Map({
    "fine_tuning": Map({
        "default_model": Str("a model id of `models`"),
        "examples": _figure("a whole number of examples", 1, 100_000_000, integer=True),
        "epochs": _figure("a whole number of epochs", 1, 1000, integer=True),
        "models": List(_FINE_TUNABLE, what="a list of models one can fine-tune", min_len=1, label="model"),
        "availability": Map({"value": Str("text"), "source": Str(), "checked": Date(), "note": Str(nonempty=False)},
                            what="a mapping with value and source", required=("value", "source")),
    }, what="a mapping", required=("default_model", "examples", "epochs", "models")),
    "self_hosting": Map({
        "gpu_hourly": _figure("a price in USD per GPU-hour", 0, 10_000, above_low=True),
        "tokens_per_second": _figure("a number of tokens per second", 0, 1e9, above_low=True),
        "utilisation": _figure("a fraction", 0, 1, above_low=True),
        "sizing": _TEXT_FIGURE,
        "overhead": _figure("a fraction of the GPU rent", 0, 100),
        "ops_monthly": _figure("USD a month", 0, 1e9),
        "setup": _figure("USD", 0, 1e9),
        "hours_per_month": _figure("hours", 0, 744, above_low=True),
    }, what="a mapping", required=("gpu_hourly", "tokens_per_second", "utilisation", "sizing", "overhead",
                                   "ops_monthly", "setup", "hours_per_month")),
    "horizon_months": _figure("a number of months", 0, 1200, above_low=True),
}, what="a mapping with fine_tuning, self_hosting and horizon_months",
   required=("fine_tuning", "self_hosting", "horizon_months"))


@dataclass(frozen=True)
class Figure:
    """One default: its value, where it comes from (a URL, `article 003`, or `assumed`), when
    that was checked, and a note saying what it is."""

    value: Decimal
    source: str
    checked: str | None = None
    note: str | None = None
    label: str | None = None  # what the figure is of (the GPU, the benchmark's model)


@dataclass(frozen=True)
class TextFigure:
    """A fact in words (not a number), with its source."""

    value: str
    source: str
    checked: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class TrainingPrice:
    effective_from: datetime
    per_mtok: Decimal
    source: str
    checked: str
    note: str | None


@dataclass(frozen=True)
class FineTunable:
    """A model one can fine-tune: its price-book id, the price-book id of the fine-tuned model,
    and the training price periods."""

    model: str
    fine_tuned_model: str
    periods: tuple[TrainingPrice, ...]

    @property
    def latest(self) -> TrainingPrice:
        return self.periods[-1]


@dataclass(frozen=True)
class BreakevenDefaults:
    ft_default_model: str
    ft_examples: Figure
    ft_epochs: Figure
    ft_models: tuple[FineTunable, ...]
    ft_availability: TextFigure | None
    gpu_hourly: Figure
    tokens_per_second: Figure
    utilisation: Figure
    sizing: str
    sizing_note: str | None
    overhead: Figure
    ops_monthly: Figure
    setup: Figure
    hours_per_month: Figure
    horizon_months: Figure
    file: str

    def fine_tunable(self, model_id: str) -> FineTunable | None:
        return next((m for m in self.ft_models if model_id in (m.model, m.fine_tuned_model)), None)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return " ".join(str(value).split())


def _fig(raw: dict[str, Any]) -> Figure:
    number = as_number(raw["value"])
    assert number is not None  # checked by the schema
    return Figure(number, _text(raw["source"]) or "", _text(raw.get("checked")), _text(raw.get("note")),
                  _text(raw.get("gpu") or raw.get("model")))


def _text_fig(raw: dict[str, Any] | None) -> TextFigure | None:
    if not raw:
        return None
    return TextFigure(_text(raw["value"]) or "", _text(raw["source"]) or "", _text(raw.get("checked")),
                      _text(raw.get("note")))


def load_breakeven_defaults(path: Path | None = None) -> BreakevenDefaults:
    """The defaults file, checked against its schema (one clear error naming the key)."""
    path = path or defaults_path()
    shown = path.name if path == defaults_path() else str(path)
    if not path.is_file():
        raise PricingError(f"The break-even defaults ({path}) are missing.",
                           "Reinstall llmcost; they ship beside the price book.")
    doc = read_yaml(path, shown, PricingError, DOCS, "Check the file.")
    validate(doc, SCHEMA, shown, PricingError, DOCS)
    ft, sh = doc["fine_tuning"], doc["self_hosting"]
    models = []
    for raw in ft["models"]:
        where = f"{shown}: fine_tuning.models[{raw['model']}]"
        periods = sorted((TrainingPrice(to_datetime(p["effective_from"], "effective_from", where),
                                        as_number(p["training"]) or Decimal(0), _text(p["source"]) or "",
                                        _text(p["checked"]) or "", _text(p.get("note")))
                          for p in raw["periods"]), key=lambda p: p.effective_from)
        models.append(FineTunable(str(raw["model"]), str(raw["fine_tuned_model"]), tuple(periods)))
    defaults = BreakevenDefaults(
        ft_default_model=str(ft["default_model"]), ft_examples=_fig(ft["examples"]), ft_epochs=_fig(ft["epochs"]),
        ft_models=tuple(models), ft_availability=_text_fig(ft.get("availability")),
        gpu_hourly=_fig(sh["gpu_hourly"]), tokens_per_second=_fig(sh["tokens_per_second"]),
        utilisation=_fig(sh["utilisation"]), sizing=str(sh["sizing"]["value"]),
        sizing_note=_text(sh["sizing"].get("note")), overhead=_fig(sh["overhead"]),
        ops_monthly=_fig(sh["ops_monthly"]), setup=_fig(sh["setup"]), hours_per_month=_fig(sh["hours_per_month"]),
        horizon_months=_fig(doc["horizon_months"]), file=str(path))
    if defaults.fine_tunable(defaults.ft_default_model) is None:
        raise PricingError(f"{shown}: fine_tuning.default_model {defaults.ft_default_model!r} is not one of "
                           "fine_tuning.models.", f"See {DOCS}.")
    return defaults
