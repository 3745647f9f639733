"""`llmcost pricing list | show | diff | check | import-litellm`, and the functions behind them.

LiteLLM data comes from tests/data/litellm_excerpt.json (17 keys of the 2026-07-24 snapshot, see
litellm_excerpt.md), never from the shared reference folder. Prices are $/MTok.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from llmcost.ingest import IngestOptions, ingest_files
from llmcost.pricing.book import Model, Period, PriceBook, book_dir, load_book
from llmcost.pricing.check import ERROR, WARNING, check_book, compare_with_litellm, diff_book
from llmcost.pricing.engine import cost_total_sql, prepare_pricing, priced_sql
from llmcost.pricing.litellm import LITELLM_URL, import_litellm, mtok, write_overlay
from tests.conftest import DATA, ROOT

EXCERPT = DATA / "litellm_excerpt.json"
EPS = Decimal("1e-9")
SNAPSHOT = date(2026, 7, 24)


def _overlay(tmp_path: Path, text: str, name: str = "overlay.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# ---------------------------------------------------------------- check

def test_check_passes_on_the_shipped_book(cli):
    r = cli("pricing", "check")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "passes" in r.stdout
    doc = cli("pricing", "check", "--format", "json").json()
    assert doc["command"] == "pricing check"
    assert doc["ok"] is True and doc["errors"] == 0
    assert doc["models_checked"] == len(load_book().models)
    # the documented-but-unmarked cache exceptions (Fable/Mythos 5.1, Opus 5.5) are warnings
    assert {f["model"] for f in doc["findings"]} <= {"claude-fable-5-1", "claude-mythos-5-1", "claude-opus-5-5"}
    assert all(f["severity"] == "warning" for f in doc["findings"])


BAD_ANTHROPIC = """\
models:
  - id: claude-test-1
    provider: anthropic
    periods:
      - {effective_from: 2026-01-01, input: 3.0, output: 15.0, cache_read: 0.3,
         cache_write_5m: 6.0, cache_write_1h: 6.0, checked: 2026-01-02}
"""


def test_check_fails_on_an_anthropic_write_at_twice_input(cli, tmp_path):
    bad = _overlay(tmp_path, BAD_ANTHROPIC)
    r = cli("pricing", "check", "--pricing", bad)
    assert r.exit_code == 1
    assert "claude-test-1" in r.stdout
    assert "cache_write_5m $6.00 is 2 × input $3.00; Anthropic's rule is 1.25 × = $3.75" in r.stdout
    assert "has problems" in r.stdout
    doc = cli("pricing", "check", "--pricing", bad, "--format", "json").json()
    assert doc["ok"] is False and doc["errors"] == 1
    [err] = [f for f in doc["findings"] if f["severity"] == "error"]
    assert (err["model"], err["code"], err["component"]) == ("claude-test-1", "cache-rule", "cache_write_5m")
    assert (err["price_usd_per_mtok"], err["expected_usd_per_mtok"]) == (6.0, 3.75)


def test_a_note_marking_an_exception_whitelists_it(cli, tmp_path):
    marked = BAD_ANTHROPIC.replace("checked: 2026-01-02}", "checked: 2026-01-02,\n"
                                   "         note: 'exception: launch promotion on writes'}")
    assert cli("pricing", "check", "--pricing", _overlay(tmp_path, marked)).exit_code == 0
    explained = BAD_ANTHROPIC.replace("checked: 2026-01-02}", "checked: 2026-01-02,\n"
                                      "         note: 'writes at 2x input'}")
    r = cli("pricing", "check", "--pricing", _overlay(tmp_path, explained), "--format", "json")
    assert r.exit_code == 0
    assert [f["severity"] for f in r.json()["findings"] if f["model"] == "claude-test-1"] == [WARNING]
    assert cli("pricing", "check", "--pricing", _overlay(tmp_path, explained), "--strict").exit_code == 1


def _book_dir(tmp_path: Path, periods: str) -> Path:
    d = tmp_path / "book"
    d.mkdir()
    (d / "acme.yaml").write_text(
        "provider: acme\nname: Acme\nmodels:\n"
        "  - id: acme-1\n    family: acme\n    released: 2026-01-01\n    periods:\n" + periods)
    return d


PERIOD = ("      - {{effective_from: {start}, {end}input: {inp}, output: 2.0, source: https://acme.example/prices, "
          "checked: 2026-01-01}}\n")


def test_check_reports_overlapping_periods_in_a_book_folder(cli, tmp_path):
    d = _book_dir(tmp_path, PERIOD.format(start="2026-01-01", end="effective_to: 2026-03-01, ", inp=1.0)
                  + PERIOD.format(start="2026-02-01", end="", inp=0.5))
    r = cli("pricing", "check", "--book", str(d))
    assert r.exit_code == 1
    assert "periods overlap" in r.stdout
    doc = cli("pricing", "check", "--book", str(d), "--format", "json").json()
    assert doc["ok"] is False and doc["findings"][0]["code"] == "schema"


def test_check_warns_about_periods_written_out_of_order(tmp_path):
    d = _book_dir(tmp_path, PERIOD.format(start="2026-02-01", end="", inp=0.5)
                  + PERIOD.format(start="2026-01-01", end="", inp=1.0))
    findings = check_book(load_book(directory=d))
    assert [(f.severity, f.code, f.model) for f in findings] == [(WARNING, "period-order", "acme-1")]


def _period(start: str, end: str | None, prices: dict[str, str], **kw) -> Period:
    return Period(datetime.fromisoformat(start), datetime.fromisoformat(end) if end else None,
                  {k: Decimal(v) for k, v in prices.items()}, kw.get("threshold"),
                  {k: Decimal(v) for k, v in kw.get("long_context", {}).items()}, {}, {}, None, {},
                  "https://example.com", "2026-01-01", kw.get("note"))


def _model(mid: str, provider: str, periods: list[Period], aliases: list[str] | None = None) -> Model:
    return Model(mid, provider, mid, mid, None, aliases or [], [], None, None, None, [], {}, periods, "test")


def test_check_book_rules_on_a_book_built_in_code():
    std = {"input": "2", "output": "8", "cache_read": "0.5"}
    book = PriceBook(models={m.id: m for m in [
        # overlapping and out-of-order periods (load_book would refuse or sort them)
        _model("overlap", "openai", [_period("2026-01-01", "2026-03-01", std), _period("2026-02-01", None, std)]),
        _model("order", "openai", [_period("2026-03-01", None, std), _period("2026-01-01", None, std)]),
        # OpenAI: read not below input; a write above input before gpt-5.6
        _model("gpt-4o-x", "openai", [_period("2026-01-01", None, {"input": "2", "output": "8",
                                                                    "cache_read": "2", "cache_write_5m": "2.5"})]),
        _model("gpt-5.6-x", "openai", [_period("2026-01-01", None, {"input": "2", "output": "8",
                                                                     "cache_read": "0.2", "cache_write_5m": "2.5"})]),
        # long context: threshold 0, a price below the standard one
        _model("lc", "google", [_period("2026-01-01", None, {"input": "2", "output": "8"}, threshold=0,
                                        long_context={"input": "1", "output": "12"})]),
        # two models claiming one alias
        _model("a", "acme", [_period("2026-01-01", None, std)], aliases=["shared"]),
        _model("b", "acme", [_period("2026-01-01", None, std)], aliases=["SHARED"]),
    ]})
    found = {(f.model, f.code, f.severity) for f in check_book(book)}
    assert ("overlap", "overlap", ERROR) in found
    assert ("order", "period-order", ERROR) in found
    msgs = [f.message for f in check_book(book) if f.model == "gpt-4o-x"]
    assert any("cache_read $2.00 is not below input $2.00" in m for m in msgs)
    assert any("cache_write_5m $2.50 is above input $2.00" in m for m in msgs)
    assert not [f for f in check_book(book) if f.model == "gpt-5.6-x"]
    lc = [f.message for f in check_book(book) if f.model == "lc"]
    assert any("threshold 0 must be > 0" in m for m in lc)
    assert any("long-context input $1.00 is below the standard $2.00" in m for m in lc)
    assert ("b", "alias", ERROR) in found


def test_check_against_litellm_lists_disagreements(cli):
    r = cli("pricing", "check", "--against", str(EXCERPT), "--format", "json")
    assert r.exit_code == 0  # disagreements are reported, never failures
    doc = r.json()
    assert doc["compared_at"] == "2026-07-24T00:00:00Z"  # the file's last_updated date
    found = [f for f in doc["findings"] if f["code"] == "litellm"]
    got = {(f["model"], f["tier"], f["long_context"], f["component"]):
           (f.get("book_usd_per_mtok"), f.get("litellm_usd_per_mtok"), f["litellm_key"]) for f in found}
    # LiteLLM's Haiku 3 1h write (6.0 = 24x input) is a data bug the book's note documents;
    # the book prices deepseek-chat as V4-Flash (0.14/0.28, hit 0.0028) since the V4 launch; LiteLLM
    # still lists V3.2's 0.28/0.42/0.028; LiteLLM lists a Gemini 2.5 Pro priority tier (equal to
    # standard, a known anomaly) that the book leaves out, below and above 200k
    assert got == {
        ("claude-3-haiku", "standard", False, "cache_write_1h"): (0.5, 6.0, "claude-3-haiku-20240307"),
        ("deepseek-chat", "standard", False, "input"): (0.14, 0.28, "deepseek/deepseek-chat"),
        ("deepseek-chat", "standard", False, "output"): (0.28, 0.42, "deepseek/deepseek-chat"),
        ("deepseek-chat", "standard", False, "cache_read"): (0.0028, 0.028, "deepseek/deepseek-chat"),
        ("gemini-2.5-pro", "priority", False, "tier"): (None, None, "gemini/gemini-2.5-pro"),
        ("gemini-2.5-pro", "priority", True, "tier"): (None, None, "gemini/gemini-2.5-pro"),
    }
    assert doc["litellm_disagreements"] == 6
    # they are not counted as the book's own warnings: --strict still passes
    assert doc["warnings"] == 0
    assert cli("pricing", "check", "--against", str(EXCERPT), "--strict").exit_code == 0


def test_compare_prefers_the_providers_own_key_and_skips_zero_writes():
    book = load_book()
    # gemini-2.5-pro is in the excerpt twice (Vertex key `gemini-2.5-pro`, Gemini API key
    # `gemini/gemini-2.5-pro`): the Gemini API one is compared, and both agree with the book
    findings = compare_with_litellm(book, EXCERPT)
    # (apart from LiteLLM's priority tier the book leaves out on purpose)
    assert not [f for f in findings if f.model in ("gemini-2.5-pro", "claude-sonnet-4-5", "gpt-4o")
                and f.data.get("component") != "tier"]
    # DeepSeek's cache_creation 0 means "no separate write charge", not a disagreement
    assert not [f for f in findings if f.data.get("component", "").startswith("cache_write")
                and f.model.startswith("deepseek")]


# ---------------------------------------------------------------- import-litellm

def test_per_token_to_per_million_is_exact():
    assert mtok(Decimal("3e-06")) == Decimal("3")
    assert mtok(3e-06) == Decimal("3")
    assert mtok(Decimal("2.8e-09")) == Decimal("0.0028")
    assert mtok(Decimal("2.125e-06")) == Decimal("2.125")
    assert mtok(Decimal("1.2e-05")) == Decimal("12")
    assert mtok(0) == Decimal(0)
    assert mtok("n/a") is None and mtok(None) is None and mtok(True) is None and mtok(-1) is None


def test_import_litellm_converts_every_component():
    doc = import_litellm(EXCERPT, SNAPSHOT)
    info = doc["imported_from"]
    assert info["keys_read"] == 17
    assert info["checked"] == "2026-07-24"  # the file's last_updated
    assert info["skipped"] == {
        "another LiteLLM key priced the same book model": 2,  # gpt-4o-2024-08-06, Vertex gemini-2.5-pro
        "no input/output price per token": 1,  # twelvelabs.pegasus
        "not a text model (mode embedding)": 1,
        "not a text model (mode image_generation)": 1,
        "platform alias the book prices by a multiplier": 1,  # us.anthropic… (+10 % in the book)
        "sample_spec (schema documentation)": 1,
    }
    over = {o["model"]: o for o in doc["overrides"]}
    assert sorted(over) == ["claude-3-haiku", "claude-sonnet-4-5", "deepseek-chat", "deepseek-v4-flash",
                            "gemini-2.5-pro", "gpt-4o", "gpt-5.4", "mistral-large-latest"]
    s = over["claude-sonnet-4-5"]
    # 3e-06 -> 3.0, 1.5e-05 -> 15.0, 3e-07 -> 0.3, 3.75e-06 -> 3.75, 6e-06 (above_1hr) -> 6.0
    assert (s["input"], s["output"], s["cache_read"], s["cache_write_5m"], s["cache_write_1h"]) == \
        (3.0, 15.0, 0.3, 3.75, 6.0)
    # *_above_200k_tokens: 6e-06, 2.25e-05, 6e-07, 7.5e-06, above_1hr_above_200k 1.2e-05
    assert s["long_context"] == {"threshold": 200000, "input": 6.0, "output": 22.5, "cache_read": 0.6,
                                 "cache_write_5m": 7.5, "cache_write_1h": 12.0}
    assert s["effective_from"] == SNAPSHOT and s["source"] == LITELLM_URL and s["checked"] == "2026-07-24"
    assert "tiers" not in s
    g = over["gpt-4o"]
    assert "LiteLLM gpt-4o (openai)" in g["note"]  # the key equal to our id beats gpt-4o-2024-08-06
    # *_batches 1.25e-06 / 5e-06; *_priority 4.25e-06 / 1.7e-05 / cached 2.125e-06
    assert g["tiers"] == {"batch": {"input": 1.25, "output": 5.0},
                          "priority": {"input": 4.25, "output": 17.0, "cache_read": 2.125}}
    assert over["gpt-5.4"]["long_context"]["threshold"] == 272000
    assert over["gpt-5.4"]["tiers"]["flex"] == {"input": 1.25, "output": 7.5, "cache_read": 0.13}
    gem = over["gemini-2.5-pro"]
    assert "gemini/gemini-2.5-pro" in gem["note"]
    assert gem["long_context"]["tiers"] == {"priority": {"input": 2.5, "output": 15.0}}
    # DeepSeek: cache hit 2.8e-09 -> 0.0028; cache_creation 0 left out (writes bill as input)
    v4 = over["deepseek-v4-flash"]
    assert (v4["input"], v4["output"], v4["cache_read"]) == (0.14, 0.28, 0.0028)
    assert "cache_write_5m" not in v4
    # deepseek-chat is withdrawn by the book on 2026-07-24 16:00 UTC: the override keeps that end
    assert over["deepseek-chat"]["effective_to"] == "2026-07-24T16:00:00Z"
    models = {m["id"]: m for m in doc["models"]}
    assert sorted(models) == ["azure/gpt-4o", "xai/grok-4"]
    assert models["xai/grok-4"]["provider"] == "xai"
    assert models["xai/grok-4"]["periods"][0]["input"] == 3.0


def test_import_litellm_provider_filter():
    doc = import_litellm(EXCERPT, SNAPSHOT, providers=["deepseek"])
    assert sorted(o["model"] for o in doc["overrides"]) == ["deepseek-chat", "deepseek-v4-flash"]
    assert doc["models"] == []
    google = import_litellm(EXCERPT, SNAPSHOT, providers=["google"])
    assert [o["model"] for o in google["overrides"]] == ["gemini-2.5-pro"]


def test_imported_overlay_loads_and_prices_calls(store, tmp_path):
    path = write_overlay(import_litellm(EXCERPT, SNAPSHOT), tmp_path / "litellm.yaml")
    book = load_book([str(path)])  # no alias collision with the shipped book
    assert book.resolve("xai/grok-4")[0] == "xai/grok-4"
    assert book.resolve("azure/gpt-4o")[0] == "azure/gpt-4o"
    assert book.resolve("gpt-4o")[0] == "gpt-4o"
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "call_id,ts,model,service_tier,status,input_tokens,cache_read_tokens,cache_write_5m_tokens,"
        "cache_write_1h_tokens,output_tokens\n"
        "grok,2026-08-01T12:00:00Z,xai/grok-4,,ok,1000,0,0,0,500\n"
        "ds-morning,2026-07-24T10:00:00Z,deepseek-chat,,ok,1000,200,0,0,1000\n"
        "ds-retired,2026-07-24T17:00:00Z,deepseek-chat,,ok,1000,200,0,0,1000\n"
        "sonnet-long,2026-08-01T12:00:00Z,claude-sonnet-4-5-20250929,,ok,250000,150000,20000,10000,2000\n"
        "azure,2026-08-01T12:00:00Z,azure/gpt-4o,,ok,10000,4000,0,0,1000\n")
    ingest_files(store, [str(calls)], IngestOptions())
    prepare_pricing(store.con, book, "calls")
    got = {r[0]: (r[1], r[2]) for r in store.query(
        f"SELECT call_id, {cost_total_sql()}, model_id FROM ({priced_sql('calls')})")}
    # grok 3 / 15: 1000*3 + 500*15 = 10500 µ$
    assert got["grok"][1] == "xai/grok-4" and abs(got["grok"][0] - Decimal("0.0105")) < EPS
    # the override (LiteLLM's 0.28 / 0.42 / hit 0.028) from 2026-07-24 00:00:
    # 800*0.28 + 200*0.028 + 1000*0.42 = 224 + 5.6 + 420 = 649.6 µ$ (the book alone: 392.56)
    assert abs(got["ds-morning"][0] - Decimal("0.0006496")) < EPS
    # … and the book's withdrawal at 16:00 still holds
    assert got["ds-retired"][0] is None
    # long context from the override: 70000*6 + 150000*0.6 + 20000*7.5 + 10000*12 + 2000*22.5 = 825000
    assert abs(got["sonnet-long"][0] - Decimal("0.825")) < EPS
    # azure/gpt-4o as its own model: 6000*2.5 + 4000*1.25 + 1000*10 = 30000
    assert got["azure"][1] == "azure/gpt-4o" and abs(got["azure"][0] - Decimal("0.03")) < EPS
    # without the overlay deepseek-chat costs the book's 0.14 / 0.28 / 0.0028
    prepare_pricing(store.con, load_book(), "calls")
    base = {r[0]: r[1] for r in store.query(f"SELECT call_id, {cost_total_sql()} FROM ({priced_sql('calls')})")}
    assert abs(base["ds-morning"] - Decimal("0.00039256")) < EPS


def test_import_litellm_command(cli, tmp_path):
    out = tmp_path / "ov.yaml"
    r = cli("pricing", "import-litellm", str(EXCERPT), "--effective-from", "2026-07-24", "-o", str(out))
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "2 new models and 8 overrides" in r.stdout
    assert load_book([str(out)]).resolve("xai/grok-4") is not None
    doc = cli("pricing", "import-litellm", str(EXCERPT), "--effective-from", "2026-07-24", "-o", str(out),
              "--provider", "openai", "--format", "json").json()
    assert doc["command"] == "pricing import-litellm"
    assert (doc["new_models"], doc["overrides"], doc["output"]) == (0, 2, str(out))
    assert doc["models_loaded"] == len(load_book().models)
    # without -o the overlay is printed as YAML
    r = cli("pricing", "import-litellm", str(EXCERPT), "--effective-from", "2026-07-24", "--provider", "xai")
    assert r.exit_code == 0
    printed = yaml.safe_load(r.stdout)
    assert [m["id"] for m in printed["models"]] == ["xai/grok-4"] and printed["overrides"] == []
    bad = cli("pricing", "import-litellm", str(EXCERPT), "--effective-from", "soon")
    assert bad.exit_code == 2 and "--effective-from soon" in bad.stderr


# ---------------------------------------------------------------- show, diff, list

def test_show_any_alias_with_its_long_context_tier(cli):
    r = cli("pricing", "show", "claude-sonnet-4-5@20250929")
    assert r.exit_code == 0, r.stderr
    assert "claude-sonnet-4-5@20250929 resolves to claude-sonnet-4-5" in r.stdout
    line = next(x for x in r.stdout.splitlines() if "long context >200,000" in x)
    assert re.findall(r"\$[\d.,]+", line) == ["$6.00", "$22.50", "$0.60", "$7.50", "$12.00"]
    doc = cli("pricing", "show", "claude-sonnet-4-5@20250929", "--format", "json").json()
    assert doc["command"] == "pricing show" and doc["model"]["id"] == "claude-sonnet-4-5"
    [p] = doc["periods"]
    assert p["prices"] == {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write_5m": 3.75,
                           "cache_write_1h": 6.0}
    assert p["long_context"]["threshold"] == 200000
    assert p["long_context"]["prices"]["output"] == 22.5
    assert p["source"].startswith("https://") and p["checked"]
    bedrock = cli("pricing", "show", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "--format", "json").json()
    assert bedrock["price_multiplier"] == 1.1


def test_show_unknown_model_suggests_names(cli):
    r = cli("pricing", "show", "gpt-4q")
    assert r.exit_code == 1
    assert "gpt-4q is not in the price book" in r.stderr and "gpt-4o" in r.stderr


def test_diff_lists_the_o3_cut(cli):
    r = cli("pricing", "diff", "--from", "2025-06-01", "--to", "2025-07-01")
    assert r.exit_code == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.split() and x.split()[0] == "o3")
    assert "$10.00 / $40.00 / $2.50" in line and "$2.00 / $8.00 / $0.50" in line and "-80 %" in line
    doc = cli("pricing", "diff", "--from", "2025-06-01", "--to", "2025-07-01", "--format", "json").json()
    assert doc["command"] == "pricing diff" and doc["from"] == "2025-06-01T00:00:00Z"
    o3 = next(c for c in doc["changes"] if c["model"] == "o3")
    assert o3["kind"] == "changed"
    assert (o3["before"]["input"], o3["before"]["output"]) == (10.0, 40.0)
    assert (o3["after"]["input"], o3["after"]["output"]) == (2.0, 8.0)
    assert o3["after_effective_from"] == "2025-06-10T00:00:00Z"
    added = {c["model"] for c in doc["changes"] if c["kind"] == "added"}
    assert "o3-pro" in added  # released 2025-06-10


def test_diff_counts_discounts_and_withdrawals(tmp_path):
    overlay = _overlay(tmp_path, "discounts: [{provider: anthropic, percent: 20, from: 2026-01-01}]\n")
    changes = {c.model: c for c in diff_book(load_book([overlay]), date(2025, 12, 1), date(2026, 2, 1))}
    c = changes["claude-sonnet-4-5"]
    assert c.kind == "changed" and c.other_changes == ["discount"]
    assert (c.before["input"], c.after["input"]) == (Decimal("3.0"), Decimal("2.40"))
    gone = diff_book(load_book(), date(2026, 7, 1), date(2026, 8, 1), providers=["deepseek"])
    assert {(c.model, c.kind) for c in gone} >= {("deepseek-chat", "withdrawn"), ("deepseek-reasoner", "withdrawn")}


def test_list_by_provider(cli):
    ids = sorted(m.id for m in load_book().models.values() if m.provider == "deepseek")
    r = cli("pricing", "list", "--provider", "deepseek")
    assert r.exit_code == 0, r.stderr
    for mid in ids:
        assert mid in r.stdout
    assert "gpt-4o" not in r.stdout
    doc = cli("pricing", "list", "--provider", "deepseek", "--at", "2026-10-01", "--format", "json").json()
    assert doc["command"] == "pricing list" and doc["at"] == "2026-10-01T00:00:00Z"
    assert sorted(m["id"] for m in doc["models"]) == ids
    row = next(m for m in doc["models"] if m["id"] == "deepseek-chat")
    assert row["status"] == "withdrawn"
    assert set(row["prices"]) == {"input", "output", "cache_read", "cache_write_5m", "cache_write_1h"}
    assert all(isinstance(m["periods"], int) and m["periods"] >= 1 for m in doc["models"])


# ---------------------------------------------------------------- docs

def test_overlay_examples_in_the_docs_load(tmp_path):
    text = (ROOT / "docs" / "pricing-format.md").read_text()
    section = text[text.index("## Overlay examples"):]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) == 4
    for i, block in enumerate(blocks):
        book = load_book([_overlay(tmp_path, block, f"example{i}.yaml")])
        assert not [f for f in check_book(book) if f.severity == ERROR]
    assert "acme-llm-7b" in load_book([str(tmp_path / "example0.yaml")]).models


def test_book_dir_copy_checks_clean(tmp_path):
    copy = tmp_path / "pricing"
    shutil.copytree(book_dir(), copy)
    assert not [f for f in check_book(load_book(directory=copy)) if f.severity == ERROR]


@pytest.mark.parametrize("args", [("pricing", "list", "--format", "json"),
                                  ("pricing", "check", "--format", "json")])
def test_json_documents_name_their_command(cli, args):
    assert cli(*args).json()["command"] == " ".join(args[:2])


def test_a_disagreement_with_litellm_is_not_printed_as_a_warning(cli):
    """The summary counts 0 warnings when the only findings are disagreements with --against's
    table: each such line is marked as a difference, never as a warning the summary denies."""
    r = cli("pricing", "check", "--against", str(Path(__file__).parent / "data" / "litellm_excerpt.json"))
    doc = cli("pricing", "check", "--against", str(Path(__file__).parent / "data" / "litellm_excerpt.json"),
              "--format", "json").json()
    litellm = [f for f in doc["findings"] if f["code"] == "litellm"]
    own = [f for f in doc["findings"] if f["code"] != "litellm" and f["severity"] == "warning"]
    assert litellm and r.stdout.count("≠ differs") == len(litellm)
    assert r.stdout.count("⚠ warning") == len(own) == doc["warnings"]
