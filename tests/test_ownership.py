"""Which stored file holds a call (issue 13): a call stays stored while any stored file holds it.

Every file here is generic JSON lines with a `request_id` (the call id), so two files can hold
the same call. Each test reproduces an attack of the issue; the expected values are worked out by
hand in the comments.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcost.ingest import IngestOptions, ingest_files
from llmcost.store import Store, open_store
from tests.conftest import token_totals


def write_log(path: Path, calls: list[tuple[int, int]] | range, broken: int = 0) -> Path:
    """A generic JSONL log: one record per (call number, output tokens); a bare range gives
    output 10 each. Input is 100 + the call number. `broken` adds lines that are rejected."""
    items = [(n, 10) for n in calls] if isinstance(calls, range) else calls
    lines = [json.dumps({"request_id": f"req-{n:04d}", "timestamp": "2026-10-01T10:00:00Z",
                         "model": "gpt-4o", "input_tokens": 100 + n, "output_tokens": out})
             for n, out in items]
    lines += ["{not json"] * broken
    path.write_text("\n".join(lines) + "\n")
    return path


def ingest(store: Store, *paths: Path) -> list[Any]:
    return ingest_files(store, [str(p) for p in paths], IngestOptions()).files


def stored(store: Store) -> dict[str, int]:
    """call id -> output tokens of the copy in `calls`."""
    return dict(store.query("SELECT call_id, output_tokens FROM calls ORDER BY call_id"))


def test_forgetting_the_shorter_export_keeps_the_calls_the_longer_one_holds(store, tmp_path: Path):
    first = write_log(tmp_path / "export-1.jsonl", range(100))   # calls 0..99
    second = write_log(tmp_path / "export-2.jsonl", range(200))  # calls 0..199 (extends the first)
    a, b = ingest(store, first, second)
    assert (a.rows_loaded, b.rows_loaded, b.rows_duplicate) == (100, 100, 100)
    store.forget(str(first))
    # before the fix: the 100 calls kept as the first file's copies went with it, 100 left
    assert token_totals(store)["calls"] == 200
    assert store.query("SELECT DISTINCT source_hash FROM calls") == [(b.content_hash,)]
    assert store.query("SELECT count(*) FROM call_copies")[0][0] == 0


def test_replacing_the_first_export_by_a_shorter_version_keeps_the_second_files_calls(
        store, tmp_path: Path):
    first = write_log(tmp_path / "export-1.jsonl", range(100))
    second = write_log(tmp_path / "export-2.jsonl", range(200))
    ingest(store, first, second)
    write_log(first, range(50))  # the first file rewritten with calls 0..49
    r = ingest(store, first)[0]
    assert r.status == "replaced"
    # every one of calls 0..199 is still held by the second file: 200, none lost, none twice
    assert token_totals(store)["calls"] == 200
    # the first file's version holds 0..49 (kept or as a copy): removing the second leaves 50
    store.forget(str(second))
    assert token_totals(store)["calls"] == 50


def test_analyze_of_a_file_shows_every_call_it_holds(tmp_path: Path, cli):
    first = write_log(tmp_path / "export-1.jsonl", range(100))
    second = write_log(tmp_path / "export-2.jsonl", range(200))
    assert cli("ingest", str(first), str(second)).exit_code == 0
    # analyze of the second file: its 200 calls, 100 of them kept as the first file's copies
    doc = cli("analyze", str(second), "--format", "json").json()
    assert doc["totals"]["calls"] == 200
    doc = cli("analyze", str(first), "--format", "json").json()
    assert doc["totals"]["calls"] == 100
    assert cli("forget", str(first)).exit_code == 0
    doc = cli("analyze", str(second), "--format", "json").json()
    assert doc["totals"]["calls"] == 200  # before the fix: 100
    whole = cli("analyze", "--format", "json").json()
    assert whole["totals"]["calls"] == 200


def test_priced_calls_follow_calls_that_move_between_files(tmp_path: Path, cli):
    """The priced calls kept per file version stay equal to pricing the store afresh when calls
    move between files (a copy promoted on forget, a better copy taking over on load)."""
    first = write_log(tmp_path / "a.jsonl", [(n, 10) for n in range(10)])
    # the second holds calls 5..14, with more output for 5..9: its copies of those are kept
    second = write_log(tmp_path / "b.jsonl", [(n, 20) for n in range(5, 15)])
    db = tmp_path / "store.duckdb"

    def cost(*files: Path) -> tuple[int, float]:
        doc = cli("analyze", *map(str, files), "--format", "json").json()
        return doc["totals"]["calls"], doc["totals"]["cost_usd"]

    def fresh(*files: Path) -> tuple[int, float]:
        store2 = tmp_path / "fresh.duckdb"
        if store2.exists():
            store2.unlink()
        from typer.testing import CliRunner

        from llmcost.cli import app

        r = CliRunner().invoke(app, ["analyze", *map(str, files), "--db", str(store2), "--format", "json"])
        doc = json.loads(r.stdout)
        return doc["totals"]["calls"], doc["totals"]["cost_usd"]

    assert cost(first)[0] == 10
    # b loaded after a was priced: calls 5..9 move from a's copies to b's
    assert cli("ingest", str(second)).exit_code == 0
    assert cost() == fresh(first, second)
    assert cost()[0] == 15
    # a holds 0..9, five of them as b's kept copies (output 20 for 10): 5 x 10 more output
    # tokens at gpt-4o's $10 / M than a alone = $0.0005 more
    calls, usd = cost(first)
    assert (calls, round(usd - fresh(first)[1], 9)) == (10, 0.0005)
    cli("forget", str(second))
    assert cost() == fresh(first)  # a's copies of 5..9 back, priced
    assert db.exists()


def test_the_copy_kept_does_not_depend_on_the_order_of_loading(tmp_path: Path):
    # both files hold call 1 with other output: 10 in a, 30 in b; the rule keeps the larger (30)
    a = write_log(tmp_path / "a.jsonl", [(1, 10), (2, 10)])
    b = write_log(tmp_path / "b.jsonl", [(1, 30), (3, 10)])
    for order in ((a, b), (b, a)):
        with open_store(":memory:") as s:
            ingest(s, *order)
            assert stored(s) == {"req-0001": 30, "req-0002": 10, "req-0003": 10}
            s.forget(str(b))
            # only a holds call 1 now: its copy (10) takes the call's place
            assert stored(s) == {"req-0001": 10, "req-0002": 10}


def test_a_path_rewritten_with_content_already_stored_drops_its_old_version(store, tmp_path: Path):
    one = write_log(tmp_path / "one.jsonl", range(1))   # call 0
    two = write_log(tmp_path / "two.jsonl", range(10, 12))  # calls 10, 11
    ingest(store, one, two)
    assert token_totals(store)["calls"] == 3
    two.write_bytes(one.read_bytes())  # two now holds exactly what one holds
    r = ingest(store, two)[0]
    assert (r.status, r.rows_loaded, r.rows_duplicate) == ("replaced", 0, 1)
    # both files hold call 0 only: 1 call (before the fix: 3, two's old version kept)
    assert token_totals(store)["calls"] == 1
    # re-ingesting the second path adds no source row (before the fix: one more each time)
    ingest(store, two)
    ingest(store, two)
    assert sorted(s.source_file for s in store.sources()) == [str(one), str(two)]


def test_the_second_path_of_the_same_content_keeps_its_rejects(store, tmp_path: Path):
    one = write_log(tmp_path / "one.jsonl", range(2), broken=1)  # 2 calls, line 3 rejected
    two = tmp_path / "two.jsonl"
    two.write_bytes(one.read_bytes())
    ingest(store, one, two)
    assert len(store.rejects(str(two))) == 1
    store.forget(str(one))
    # two still holds its 2 calls and its 1 rejected line (before the fix: 0 rejects)
    assert token_totals(store)["calls"] == 2
    assert [(r.source_file, r.line) for r in store.rejects(str(two))] == [(str(two), 3)]
    assert store.query("SELECT DISTINCT source_file FROM calls") == [(str(two),)]


def test_a_batch_of_files_sharing_calls_keeps_every_copy(store, tmp_path: Path):
    folder = tmp_path / "logs"
    folder.mkdir()
    # read in one batch (small JSON lines of one shape): f0 holds 0..9, f1 5..14, f2 10..19
    for i in range(3):
        write_log(folder / f"f{i}.jsonl", [(n, 10 + i) for n in range(5 * i, 5 * i + 10)])
    r = ingest(store, folder)
    assert [f.rows_loaded for f in r] == [10, 5, 5]
    # 20 calls; 5..9 held by f0 (10) and f1 (11): 11 kept; 10..14 by f1 (11) and f2 (12): 12 kept
    assert token_totals(store)["calls"] == 20
    assert token_totals(store)["output"] == 5 * 10 + 5 * 11 + 10 * 12
    store.forget(str(folder / "f1.jsonl"))
    # 5..9 back to f0's copy (10), 10..14 stay f2's (12): 5*10 + 5*10 + 10*12
    assert token_totals(store)["calls"] == 20
    assert token_totals(store)["output"] == 10 * 10 + 10 * 12


# --- the property: whatever happens, the store holds the union of the stored files' calls ----

FILES = ("a.jsonl", "b.jsonl", "c.jsonl")
# a file's content: a few calls out of 6 ids, each with one of two outputs (conflicting copies)
content = st.lists(st.tuples(st.integers(0, 5), st.sampled_from((10, 20))), min_size=0, max_size=5,
                   unique_by=lambda t: t[0])
operation = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(FILES), content),  # (re)write a file, then ingest it
    st.tuples(st.just("ingest"), st.sampled_from(FILES), st.none()),  # re-ingest (same content)
    st.tuples(st.just("forget"), st.sampled_from(FILES), st.none()),
    st.tuples(st.just("copy"), st.sampled_from(FILES), st.sampled_from(FILES)),  # same content
)


def expected(files: dict[str, list[tuple[int, int]]]) -> dict[str, int]:
    """The union of the stored files' calls; a call held with several outputs keeps the largest
    (the duplicate rule: most output, then most input, which is the same here)."""
    out: dict[str, int] = {}
    for calls in files.values():
        for n, tokens in calls:
            key = f"req-{n:04d}"
            out[key] = max(out.get(key, 0), tokens)
    return out


@settings(max_examples=40 * int(os.environ.get("LLMCOST_FUZZ", "1")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, min_size=1, max_size=8))
def test_any_sequence_of_operations_stores_the_union_of_the_stored_files(tmp_path_factory, ops):
    folder = tmp_path_factory.mktemp("logs")
    on_disk: dict[str, list[tuple[int, int]]] = {}  # what each file holds now
    in_store: dict[str, list[tuple[int, int]]] = {}  # what each stored file held when ingested
    with open_store(":memory:") as s:
        for op, name, arg in ops:
            path = folder / name
            if op == "write":
                on_disk[name] = list(arg)
            elif op == "copy":
                if arg not in on_disk:
                    continue
                on_disk[name] = list(on_disk[arg])
            elif op == "forget":
                s.forget(str(path))
                in_store.pop(name, None)
                continue
            if name not in on_disk:
                continue
            calls = on_disk[name]
            write_log(path, calls) if calls else path.write_text("\n")
            if not calls:  # an empty file is refused: the store keeps its earlier version
                continue
            ingest(s, path)
            in_store[name] = calls
            for r in ingest(s, path):  # re-ingesting adds nothing
                assert r.rows_loaded == 0
        assert stored(s) == expected(in_store)
        assert sorted(f.source_file for f in s.sources()) == sorted(str(folder / n) for n in in_store)
        # every (file, call) pair it holds is stored once: as the kept copy or as a copy
        pairs = s.query("""SELECT count(*), count(DISTINCT (call_id, source_hash)) FROM (
            SELECT call_id, source_hash FROM calls UNION ALL SELECT call_id, source_hash FROM call_copies)""")
        assert pairs[0][0] == pairs[0][1]


@pytest.mark.parametrize("n", [3])
def test_files_holding_one_call_each_with_the_same_id_keep_the_largest(store, tmp_path: Path, n: int):
    # three files, each holding call 7 with output 10, 30, 20: 30 kept; forget it: 20; then 10
    paths = [write_log(tmp_path / f"f{i}.jsonl", [(7, out)]) for i, out in enumerate((10, 30, 20))]
    ingest(store, *paths)
    assert stored(store) == {"req-0007": 30}
    store.forget(str(paths[1]))
    assert stored(store) == {"req-0007": 20}
    store.forget(str(paths[2]))
    assert stored(store) == {"req-0007": 10}
    assert len(paths) == n


# --- `llmcost sources`: the calls each file holds, the total counted once ----------------------

def test_sources_shows_the_calls_each_file_holds_and_counts_the_total_once(tmp_path: Path, cli):
    # a holds 0..99: output 30 for 0..49, 10 for 50..99; b holds 0..199, output 20 each.
    # The duplicate rule keeps the larger output: 0..49 a's copy (30 > 20), 50..99 b's (20 > 10),
    # 100..199 only b's. c is a byte copy of a (the same content under another path).
    a = write_log(tmp_path / "a.jsonl", [(n, 30) for n in range(50)] + [(n, 10) for n in range(50, 100)])
    b = write_log(tmp_path / "b.jsonl", [(n, 20) for n in range(200)])
    c = tmp_path / "c.jsonl"
    c.write_bytes(a.read_bytes())
    assert cli("ingest", str(a), str(b), str(c)).exit_code == 0
    doc = cli("sources", "--format", "json").json()
    rows = {Path(r["source_file"]).name: r for r in doc["sources"]}
    got = {k: (r["calls_stored"], r["calls_held"], r["calls_kept_from_other_files"])
           for k, r in rows.items()}
    # a: 50 kept copies of its own (0..49), 100 held, 50 (50..99) kept as b's copy.
    # b: 50..199 = 150 own, 200 held, 50 (0..49) kept as a's copy. c: the same as a.
    # (before: only calls_stored existed, so a showed 50 of the 100 calls it holds)
    assert got == {"a.jsonl": (50, 100, 50), "b.jsonl": (150, 200, 50), "c.jsonl": (50, 100, 50)}
    # the total: 200 distinct calls (0..199), not 100 + 200 + 100 = 400; 0..99 are in several files
    assert doc["totals"] == {"files": 3, "calls": 200, "calls_in_several_files": 100}
    assert doc["totals"]["calls"] == token_totals_of(cli)
    out = cli("sources").stdout
    assert "200 calls stored" in out and "400" not in out
    line_a = next(line for line in out.splitlines() if "a.jsonl" in line)
    assert line_a.split()[-2:] == ["100", "50"]  # calls held, of them kept as another file's copy


def token_totals_of(cli) -> int:
    return cli("analyze", "--format", "json").json()["totals"]["calls"]


def test_sources_at_80_columns_cuts_no_path_or_figure(tmp_path: Path):
    from typer.testing import CliRunner

    from llmcost.cli import app

    deep = tmp_path / ("a-folder-with-a-rather-long-name" * 2)
    deep.mkdir()
    a = write_log(deep / "export-1.jsonl", [(n, 10) for n in range(100)])
    b = write_log(deep / "export-2.jsonl", [(n, 20) for n in range(200)])
    env = {"LLMCOST_DB": str(tmp_path / "s.duckdb"), "COLUMNS": "80"}
    assert CliRunner().invoke(app, ["ingest", str(a), str(b)], env=env).exit_code == 0
    out = CliRunner().invoke(app, ["sources"], env=env).stdout
    # before: an 80-column table cut every path and header to '/tmp/…', 'rejec…'
    assert "…" not in out
    joined = "".join(line.strip() for line in out.splitlines())  # a long path wraps, whole
    assert str(a) in joined and str(b) in joined
    assert max(len(line) for line in out.splitlines()) <= 80
    # b's copies (output 20 > 10) are kept for 0..99: a holds 100 calls, all kept from b
    assert "holds 100 calls, 100 kept from another file" in out
    assert "holds 200 calls" in out
    assert "Total: 2 files · 200 calls stored, each counted once (100 of them held by more than one file)" \
        in " ".join(out.split())
