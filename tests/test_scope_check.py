"""Mistakes caught (issue 15, points 5 and 6): filter values, dates and lever scopes that match no
call, unknown models and llmcost.yaml tasks, and the empty states, each with its message, its
suggestion and its exit code (0 done, 1 a data problem, 2 a usage or configuration error).

The store holds two hand-written fixtures (tests/data/levers/mixed.csv and
tests/data/generic/llm_calls.csv, see their READMEs):
- mixed.csv: 8 calls, 2026-10-01 09:00 to 2026-10-03 13:00 UTC; task classify (s1, s2, s3 on
  claude-sonnet-4-5, m1 on gpt-4o-mini) and summarize (s4, s5, s6 on claude-sonnet-4-5, d1 on
  deepseek-v4-flash); feature inbox.
- llm_calls.csv: 4 calls on 2026-10-02 (08:00, 08:00:01, 09:30) and 2026-10-03 10:00; features
  search (2 × gpt-4o) and chat (2 × claude-sonnet-4-5); tenants cust_1, cust_2 and one none.
So 12 calls; the last is m1 at 2026-10-03 13:00.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from llmcost.errors import UsageError
from llmcost.scope import parse_bound
from tests.conftest import DATA

MIXED = str(DATA / "levers" / "mixed.csv")
CALLS = str(DATA / "generic" / "llm_calls.csv")


@pytest.fixture
def loaded(cli):
    r = cli("ingest", MIXED, CALLS)
    assert r.exit_code == 0, r.stderr
    return cli


def calls(r) -> int:
    assert r.exit_code == 0, r.stderr
    return r.json()["totals"]["calls"]


def usage_error(r, *phrases: str) -> None:
    assert r.exit_code == 2, (r.exit_code, r.stderr)
    assert r.stderr.startswith("Error: ") and "Traceback" not in r.stderr and r.stdout == ""
    for p in phrases:
        assert p in r.stderr, (p, r.stderr)


# --- filters -------------------------------------------------------------------------------------

def test_a_filter_value_that_matches_nothing_names_the_nearest(loaded):
    usage_error(loaded("analyze", "--task", "Clasify"),
                "--task Clasify matches no call in the store; did you mean classify?",
                "Task types in the store: classify, summarize.")
    usage_error(loaded("analyze", "--model", "gpt4o"),
                "--model gpt4o matches no call in the store; did you mean gpt-4o")
    usage_error(loaded("analyze", "--feature", "serch"), "did you mean search?",
                "Features in the store: chat, inbox, search.")
    usage_error(loaded("analyze", "--tenant", "cust1"), "--tenant cust1 matches no call", "did you mean cust_1")
    usage_error(loaded("analyze", "--provider", "antropic"), "did you mean anthropic?")
    # recommend and simulate stop the same way, before computing
    usage_error(loaded("recommend", "--task", "Clasify"), "did you mean classify?")
    usage_error(loaded("simulate", "--cache", "auto", "--model", "gpt4o"), "did you mean gpt-4o")


def test_task_feature_and_model_filters_ignore_case(loaded):
    assert calls(loaded("analyze", "--task", "CLASSIFY", "-f", "json")) == 4  # s1, s2, s3, m1
    assert calls(loaded("analyze", "--feature", "Inbox", "-f", "json")) == 8  # all of mixed.csv
    assert calls(loaded("analyze", "--model", "GPT-4O", "-f", "json")) == 2  # the two search calls
    # a price-book id matches the logged names it prices: s1–s6 + 2 chat calls = 8
    assert calls(loaded("analyze", "--model", "Claude-Sonnet-4-5", "-f", "json")) == 8


def test_filters_that_each_match_but_not_together(loaded):
    usage_error(loaded("analyze", "--task", "summarize", "--model", "gpt-4o-mini"),
                "No call in the store matches the filters together (model gpt-4o-mini; task summarize)")


# --- dates ---------------------------------------------------------------------------------------

def test_relative_dates_count_back_from_the_last_call():
    last = datetime(2026, 10, 31, 15, 30)
    assert parse_bound("7d", "--since", False, last) == datetime(2026, 10, 25)  # the 31st and the 6 days before
    assert parse_bound("7d", "--until", True, last) == datetime(2026, 10, 25)  # everything before them
    assert parse_bound("today", "--since", False, last) == datetime(2026, 10, 31)
    assert parse_bound("today", "--until", True, last) == datetime(2026, 11, 1)  # the whole day
    assert parse_bound("yesterday", "--until", True, last) == datetime(2026, 10, 31)
    assert parse_bound("2w", "--since", False, last) == datetime(2026, 10, 18)  # 14 days: 18th..31st
    assert parse_bound("12h", "--since", False, last) == datetime(2026, 10, 31, 3, 30)
    assert parse_bound("2026-10", "--since", False, last) == datetime(2026, 10, 1)
    assert parse_bound("2026-12", "--until", True, last) == datetime(2027, 1, 1)
    assert parse_bound("2026-10-15", "--until", True, last) == datetime(2026, 10, 16)
    with pytest.raises(UsageError, match="no call to count back from"):
        parse_bound("7d", "--since", False, None)
    with pytest.raises(UsageError, match="not a date"):
        parse_bound("last tuesday", "--since", False, last)


def test_dates_on_the_cli(loaded):
    # the wall clock is long past October 2026 in no test: --since 7d keeps all 12 calls because it
    # counts back from the last call (2026-10-03 13:00), from 2026-09-27 00:00
    assert calls(loaded("analyze", "--since", "7d", "-f", "json")) == 12
    # before 2026-10-03: s1–s4 and s5 of mixed.csv + the three 2026-10-02 calls = 8
    assert calls(loaded("analyze", "--until", "yesterday", "-f", "json")) == 8
    # 2026-10-03 only: s6, d1, m1 + the 10:00 chat call = 4
    assert calls(loaded("analyze", "--since", "today", "-f", "json")) == 4
    # 2026-10-02 only: s5 + 3 = 4
    assert calls(loaded("analyze", "--since", "2d", "--until", "yesterday", "-f", "json")) == 4
    assert calls(loaded("analyze", "--since", "2026-10", "--until", "2026-10", "-f", "json")) == 12
    usage_error(loaded("report", "--since", "2027-01"),
                "--since 2027-01 matches no call: the calls in the store run from 2026-10-01 09:00 to "
                "2026-10-03 13:00 UTC.", "7d")
    usage_error(loaded("analyze", "--since", "2026-10-03", "--until", "2026-10-02"), "the range is empty")


def test_help_says_relative_dates_count_from_the_last_call(cli):
    r = cli("analyze", "--help")
    assert "counted back from" in r.stdout and "7d" in r.stdout and "never from" in r.stdout


# --- lever scopes and models ------------------------------------------------------------------

def test_a_lever_scope_that_matches_nothing(loaded):
    usage_error(loaded("simulate", "--route", "nosuchtask=haiku"),
                "--route nosuchtask=haiku: nosuchtask matches no call in the store.",
                "Task types in the store: classify, summarize.")
    usage_error(loaded("simulate", "--route", "clasify=haiku"), "did you mean classify?")
    usage_error(loaded("simulate", "--batch", "Sumarize"), "--batch Sumarize: Sumarize matches no call",
                "did you mean summarize?")
    usage_error(loaded("simulate", "--cap-output", "model:gpt4o=100"), "did you mean gpt-4o")
    usage_error(loaded("simulate", "--trim-prompt", "feature:serch=0.3"), "did you mean search?")
    # known to the store, but outside the filters
    usage_error(loaded("simulate", "--task", "classify", "--route", "summarize=haiku"),
                "--route summarize=haiku: no call in scope is in that lever scope (task classify).")


def test_a_lever_scope_ignores_case(loaded):
    r = loaded("simulate", "--route", "Classify=haiku", "-f", "json")
    assert r.exit_code == 0, r.stderr
    route = r.json()["levers"][0]
    # s1, s2, s3 move (m1 is on gpt-4o-mini, cheaper than haiku: calls that would cost more stay)
    assert route["scope"] == "classify → claude-haiku-4-5" and route["calls_affected"] == 3


def test_an_unknown_route_or_cascade_model_names_the_nearest_book_ids(loaded):
    usage_error(loaded("simulate", "--route", "classify=haikoo"),
                "haikoo is neither a model in the price book nor a family word; did you mean haiku?",
                "llmcost pricing list")
    usage_error(loaded("simulate", "--cascade", "classify=gpt4omini"),
                "gpt4omini is not a model in the price book; did you mean gpt-4o-mini")


# --- llmcost.yaml --------------------------------------------------------------------------------

def test_a_config_task_unknown_to_the_store_is_an_error(loaded, tmp_path: Path):
    cfg = tmp_path / "llmcost.yaml"
    cfg.write_text("tasks:\n  clasify: {batchable: true}\n")
    usage_error(loaded("recommend", "--config", str(cfg)),
                "task clasify is not the task type of any call in the store; did you mean classify?",
                "Task types in the store: classify, summarize.")


def test_a_config_task_the_scope_does_not_reach_is_only_noted(loaded, tmp_path: Path):
    cfg = tmp_path / "llmcost.yaml"
    cfg.write_text("tasks:\n  summarize: {batchable: true}\n")
    r = loaded("simulate", "--config", str(cfg), "--task", "classify", "--cache", "auto", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert "no call in this scope is of task summarize; that policy is not used here" in r.stderr
    assert r.json()["calls"] == 4


# --- unpriced models -----------------------------------------------------------------------------

def test_an_unknown_model_comes_with_the_nearest_book_id(cli, tmp_path: Path):
    log = tmp_path / "typo.csv"  # written here: one known model, a typo of it, and a local model
    log.write_text("ts,model,input_tokens,output_tokens\n2026-10-01T00:00:00Z,gpt4o,10,1\n"
                   "2026-10-01T00:00:00Z,gpt-4o,10,1\n2026-10-01T00:00:00Z,my-local-llama,10,1\n")
    doc = cli("analyze", str(log), "-f", "json").json()
    assert [(u["model"], u["suggestion"]) for u in doc["unpriced_models"]] == [
        ("gpt4o", "gpt-4o"), ("my-local-llama", None)]
    md = cli("analyze", str(log), "-f", "markdown").stdout
    assert "gpt4o (1 calls): model not in the price book; did you mean gpt-4o?" in md
    table = cli("analyze", str(log)).stdout
    assert "gpt4o (1): model not in the price book; did you mean gpt-4o?" in table


# --- empty and partial states ----------------------------------------------------------------

def test_an_empty_store(cli, tmp_path: Path):
    out = tmp_path / "report.html"
    for args in (("recommend",), ("simulate", "--cache", "auto"), ("report", "-o", str(out)), ("analyze",)):
        r = cli(*args)
        assert r.exit_code == 1, (args, r.stderr)
        assert "holds no calls yet" in r.stderr and "llmcost analyze LOGS" in r.stderr
    assert not out.exists()


def test_files_that_hold_no_call(cli, tmp_path: Path):
    header_only = str(DATA / "bad" / "header_only.csv")
    r = cli("analyze", header_only)
    assert r.exit_code == 0 and "The files given hold no call." in r.stdout
    out = tmp_path / "report.html"
    for args in (("recommend", header_only), ("report", header_only, "-o", str(out))):
        r = cli(*args)
        assert r.exit_code == 1 and "The file given holds no call." in r.stderr, r.stderr
    assert not out.exists()


def test_every_record_rejected(cli, tmp_path: Path):
    log = tmp_path / "broken.csv"  # written here: both token counts unreadable
    log.write_text("ts,model,input_tokens,output_tokens\n2026-10-01T00:00:00Z,gpt-4o,abc,1\n"
                   "2026-10-01T00:00:00Z,gpt-4o,-5,1\n")
    r = cli("analyze", str(log))
    assert r.exit_code == 1
    assert "The file given holds no call llmcost could read: all 2 records were rejected" in r.stderr
    assert "llmcost rejects" in r.stderr


def test_forget_of_a_file_not_stored(loaded):
    usage_error(loaded("forget", "mixd.csv"), "mixd.csv is not in the store; did you mean", "mixed.csv?",
                "llmcost sources")


def test_rejects_of_a_file_not_stored(loaded):
    usage_error(loaded("rejects", "mixd.csv"), "mixd.csv is not in the store; did you mean", "mixed.csv?",
                "rejects takes a stored path")
    r = loaded("rejects", MIXED, "--format", "json")  # the stored file: its rejects (none)
    assert r.exit_code == 0 and r.json()["total"] == 0


def test_forget_on_an_empty_store(cli):
    usage_error(cli("forget", "mixed.csv"), "mixed.csv is not in the store: the store holds no files.")
