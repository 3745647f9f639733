"""Two levers that answer a request without a model call: a near-duplicate response cache
(`simulate --similar-cache THRESHOLD`), and FAQ deflection (`simulate --deflect [SCOPE=]SHARE`).

Near-duplicate response cache (articles 001, 003 and 004 call it semantic caching). A request is
answered from the cache when an earlier request is similar enough. Similar means the same words
in nearly the same order. It is NOT similar meaning:
- Similarity is the Jaccard index of the two requests' sets of word pairs (2-word shingles,
  SHINGLE_WORDS) in their prompt text: the request's last user message, its first 2,000
  characters (`llmcost.ingest.prompt_text`), lower-cased and split into words at every run of
  characters that are neither letters nor digits (WORDS). A message of one word is that word.
  Two questions of 20 words that differ in one word in the middle share 17 of their 21 distinct
  pairs: Jaccard 17 / 21 = 0.81. Text written without spaces between words (Chinese, Japanese)
  makes a few long "words": near-duplicates there are found only when the same but for
  punctuation.
- A cache entry answers a later request only when both have the same model, the same task type
  and the same `prompt_context`. That context is the system prompt and the earlier turns,
  compared exactly. So an answer is never reused under another system prompt, in another
  conversation, or for another task.
- Replay in time order. A request is a hit when a cache entry of its key, made at most WINDOW
  before it (`<=`), has Jaccard >= THRESHOLD. The hit is answered from that entry and costs
  nothing. A miss calls the model as logged and becomes an entry. Only misses are stored, as a
  semantic cache does, so a chain of small changes does not drift away from the answer served.
  An entry lives for WINDOW from when it was made; a hit does not refresh it. A key holds at
  most MAX_ENTRIES entries; beyond that the oldest is dropped, like a real cache's size limit.
- Calls without prompt text, errored calls, calls without a time and calls that earlier levers
  made free (dedupe's exact repeats) are neither looked up nor stored. The lever's
  `calls_without_prompt_text` says how many calls in the relation had no prompt text.
- How candidates are found: DuckDB splits the words and hashes each request's word pairs
  (`hash()`, only within one run), and the calls come back in batches, one key after another.
  The same words as a live entry are a hit at once (Jaccard 1). Otherwise datasketch's MinHash
  (NUM_PERM 128 permutations, seed 1) and MinHashLSH find the candidates. The LSH bands are chosen
  so that a pair exactly at the threshold is found with probability >= 99.5 % (`lsh_bands`).
  Every candidate is then checked with the EXACT Jaccard of the two hash sets. So a reported hit
  is at or above the threshold; only a few pairs right at it may be missed. Measured against a
  brute-force replay (every live entry compared exactly), on 200,000 synthetic FAQ requests at
  0.9: the same 6,147 hits; with 64 permutations 2 near-duplicates were missed, and it was no
  faster.
- Bounds: memory holds one key's live entries (at most MAX_ENTRIES, about 10 KB each) and
  one batch of BATCH_ROWS calls; the hits go back to DuckDB as a table of row numbers. Measured
  on those 200,000 requests: 33–39 s of CPU (about 0.2 ms a call: the index does the work), a
  peak of 29 MB in Python with a 1 h window, and 100 MB with 24 h, where the 10,000-entry limit
  holds (about 14,000 would be live). A simulation refuses more than MAX_CALLS calls with prompt
  text in scope (some 3 minutes), asking for a narrower scope.
- This is a LOWER BOUND of what a semantic (embedding) cache would find: paraphrases ("how do I
  reset my password" / "I forgot my password") share few word pairs. The risk is the other way
  too: at 0.9, two long requests that differ only in an order number, a date or a "not" match,
  and the cached answer is WRONG for the second. Confidence `estimated`.

FAQ deflection (article 004: an FAQ filter and simple rules answered 35 % of its requests
without an LLM call). An assumed SHARE of the calls in scope is answered without a model call,
at no cost. The calls are picked so that the choice is the same on every run and spread evenly.
Within each scope and task type, the calls go in time order (ties by file line, then call id),
and call number r is deflected when floor(r × SHARE) > floor((r − 1) × SHARE). The arithmetic is
in whole numbers, from SHARE as a fraction. At 35 % (7/20) that is calls 3, 6, 9, 12, 15, 18
and 20 of every 20. So each task type gives up its share exactly, and the deflected calls cost
what an average call of the task costs. Article 004's 35 % of requests saved about $4K of a $15K
monthly bill (27 %), which hints that deflected requests are cheaper than average. Confidence
`assumed`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from llmcost.errors import UsageError
from llmcost.simulate.levers import LeverPlan, Scope, _select, parse_scope

SHINGLE_WORDS = 2
# the words of a prompt text: lower case, split at every run of characters that are neither
# letters nor digits (punctuation, spaces)
WORDS = ("list_filter(string_split_regex(lower(prompt_text), '[^\\p{L}\\p{N}]+'), "
         "lambda w: w <> '')")
NUM_PERM = 128
SEED = 1
MAX_ENTRIES = 10_000
MAX_CALLS = 1_000_000
BATCH_ROWS = 10_000
MIN_THRESHOLD = 0.5
LSH_RECALL = 0.995  # chance that a pair exactly at the threshold becomes a candidate


def _calls(count: int) -> str:
    return f"{count:,} call" + ("" if count == 1 else "s")


def _window_words(window_s: int) -> str:
    if window_s % 3600 == 0:
        return f"{window_s // 3600} h"
    if window_s % 60 == 0:
        return f"{window_s // 60} min"
    return f"{window_s} s"


def lsh_bands(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows per band) for MinHashLSH: the most rows per band (fewest false candidates) for
    which a pair of Jaccard exactly `threshold` is a candidate with probability >= LSH_RECALL:
    1 − (1 − threshold^rows)^bands. datasketch needs 2 bands or more."""
    for rows in range(num_perm // 2, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold ** rows) ** bands >= LSH_RECALL:
            return bands, rows
    return num_perm, 1


def similar_cache(threshold: float, window_s: int, known: tuple[str, str] | None = None) -> LeverPlan:
    """The near-duplicate response cache lever (see the module docstring). `known`: (relation,
    decisions table) already replayed with these settings, reused when the lever applies to that
    relation (recommend replays the baseline once)."""
    if not MIN_THRESHOLD <= threshold <= 1:
        raise UsageError(
            f"--similar-cache {threshold:g}: the threshold is a Jaccard similarity from {MIN_THRESHOLD} to 1.",
            "For example --similar-cache 0.9. Below 0.5, two prompts of the same length share less than "
            "two thirds of their word pairs: not near-duplicates.")
    if window_s <= 0:
        raise UsageError(f"--similar-window: the window must be longer than 0 s ({window_s} s given).",
                         "For example --similar-window 1h.")
    eligible = "prompt_text IS NOT NULL AND status = 'ok' AND billed AND ts IS NOT NULL"
    sql = _select("{prev}", {"billed": "CASE WHEN hit.call_id IS NOT NULL THEN false ELSE billed END"},
                  "hit.call_id IS NOT NULL", "similar_cache",
                  "LEFT JOIN {decisions} hit USING (call_id)")
    window = _window_words(window_s)
    assumptions = [
        f"a request is answered at no cost from a cached answer to an earlier one made at most {window} "
        f"before it, when their prompt texts (the last user message) share at least {100 * threshold:g} % of "
        "their word pairs (Jaccard), on the same model, task type and system prompt and earlier turns; "
        "only answers to misses are cached, each for the window",
        "a LOWER BOUND of semantic caching: only requests worded alike match (paraphrases do not); "
        f"and a false-hit risk: at {threshold:g}, two requests that differ only in a number, a name, a "
        "date or a 'not' can match, and the cached answer is then wrong for the second",
        "calls without prompt text in the log are left as they are",
    ]
    return LeverPlan(
        "similar_cache", {"threshold": threshold, "window_s": window_s}, sql, assumptions,
        scope="calls with prompt text",
        metrics={"hit_share": f"count(*) FILTER (WHERE t_similar_cache) * 1.0 "
                              f"/ nullif(count(*) FILTER (WHERE t_similar_cache OR ({eligible})), 0)",
                 "calls_without_prompt_text": "count(*) FILTER (WHERE prompt_text IS NULL)"},
        confidence="estimated", risk="false hits (wrong answers)", effort="a week",
        prepare=lambda store, prev, table: _decide(store, prev, table, threshold, window_s, known))


def _decide(store: Any, rel: str, table: str, threshold: float, window_s: int,
            known: tuple[str, str] | None) -> None:
    if known is not None and known[0] == rel:
        store.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {known[1]}")
    else:
        find_hits(store, rel, table, threshold, window_s)


class _Cache:
    """The live entries of one (model, task type, context), in the order they were made: their
    times, word hashes and word-pair sets, with the LSH index over their MinHashes and the entry
    holding each exact text."""

    def __init__(self, key: int, lsh: Any) -> None:
        self.key = key
        self.lsh = lsh
        self.live: dict[int, tuple[float, int, frozenset[int]]] = {}  # rn -> (time, words hash, pairs)
        self.exact: dict[int, int] = {}  # words hash -> rn

    def drop_oldest(self) -> None:
        rn = next(iter(self.live))
        _, th, _ = self.live.pop(rn)
        if self.exact.get(th) == rn:
            del self.exact[th]
        self.lsh.remove(rn)

    def expire(self, before: float) -> None:
        """Drop the entries made before `before` (past the window)."""
        while self.live and self.live[next(iter(self.live))][0] < before:
            self.drop_oldest()

    def add(self, rn: int, t: float, th: int, pairs: frozenset[int], minhash: Any) -> None:
        if len(self.live) >= MAX_ENTRIES:  # full: the oldest entry makes room
            self.drop_oldest()
        self.live[rn] = (t, th, pairs)
        self.exact[th] = rn
        self.lsh.insert(rn, minhash)


def find_hits(store: Any, rel: str, table: str, threshold: float, window_s: int) -> dict[str, int]:
    """Replay the near-duplicate cache over the calls of `rel` and write the call ids it answers,
    with the Jaccard of the entry that answered each, to the TEMP table `table`
    (call_id, jaccard). Returns {"calls": looked up, "hits": …, "near_hits": hits whose text
    differs from the entry's}."""
    import numpy as np
    import pyarrow as pa
    from datasketch import MinHash, MinHashLSH

    con = store.con
    rows = f"{table}_rows"
    eligible = "prompt_text IS NOT NULL AND status = 'ok' AND billed AND ts IS NOT NULL"
    n = int(store.query(f"SELECT count(*) FROM {rel} WHERE {eligible}")[0][0])  # an upper bound
    if n > MAX_CALLS:
        raise UsageError(
            f"--similar-cache: {n:,} calls with prompt text in scope; the near-duplicate replay handles "
            f"at most {MAX_CALLS:,} in one run (it runs in Python, about 50 µs a call).",
            "Narrow the scope with --since / --until, --task or --model and add up the runs.")
    pairs = (f"(CASE WHEN len(_w) < {SHINGLE_WORDS} THEN _w ELSE list_transform(range(1, len(_w)), "
             "lambda i: _w[i] || ' ' || _w[i + 1]) END)")
    # one row per call in replay order: key id, time, word-pair hashes (and the words' hash, to
    # tell an exact repeat from a near-duplicate)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {rows} AS
        SELECT row_number() OVER (ORDER BY _k, ts, source_line, call_id) AS rn, call_id, _k,
               epoch(ts) AS t, hash(_w) AS th,
               list_distinct(list_transform({pairs}, lambda s: hash(s))) AS sh
        FROM (SELECT call_id, ts, source_line, {WORDS} AS _w,
                     dense_rank() OVER (ORDER BY model, task_type, prompt_context) AS _k
              FROM {rel} WHERE {eligible})
        WHERE len(_w) > 0""")
    looked_up = int(store.query(f"SELECT count(*) FROM {rows}")[0][0])
    bands, per_band = lsh_bands(threshold)
    m = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int, scheme="affine64")  # one, cleared per call
    hit_rn: list[int] = []
    hit_j: list[float] = []
    near = 0
    cache: _Cache | None = None
    reader = con.sql(f"SELECT rn, _k, t, th, sh FROM {rows} ORDER BY rn").to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        rn_a = batch.column(0).to_pylist()
        k_a = batch.column(1).to_pylist()
        t_a = batch.column(2).to_pylist()
        th_a = batch.column(3).to_pylist()
        sh_col = batch.column(4)
        values = sh_col.values.to_numpy().tolist()
        offsets = sh_col.offsets.to_numpy()
        for j in range(len(rn_a)):
            if cache is None or k_a[j] != cache.key:  # a new (model, task type, context): its own cache
                cache = _Cache(k_a[j], MinHashLSH(num_perm=NUM_PERM, params=(bands, per_band)))
            rn, t, th = rn_a[j], t_a[j], th_a[j]
            cache.expire(t - window_s)
            same = cache.exact.get(th)
            if same is not None:  # the same words as a live entry: Jaccard 1, no index needed
                hit_rn.append(rn)
                hit_j.append(1.0)
                continue
            shingles = values[offsets[j]:offsets[j + 1]]
            m.clear()  # the index keeps only band hashes of what it is given: one MinHash serves all
            m.update_batch(shingles)
            mine = frozenset(shingles)
            best, best_rn = 0.0, None
            for cand in cache.lsh.query(m):
                theirs = cache.live[cand][2]
                jac = len(mine & theirs) / len(mine | theirs)
                if jac > best:
                    best, best_rn = jac, cand
            if best_rn is not None and best >= threshold:
                hit_rn.append(rn)
                hit_j.append(best)
                near += 1
            else:
                cache.add(rn, t, th, mine, m)
    hits = pa.table({"rn": pa.array(np.array(hit_rn, dtype=np.int64)),
                     "jaccard": pa.array(np.array(hit_j, dtype=np.float64))})
    con.register("llmcost_similar_hits", hits)
    try:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT r.call_id, h.jaccard FROM {rows} r JOIN llmcost_similar_hits h USING (rn)""")
    finally:
        con.unregister("llmcost_similar_hits")
        con.execute(f"DROP TABLE IF EXISTS {rows}")
    return {"calls": looked_up, "hits": len(hit_rn), "near_hits": near}


def deflect(specs: list[tuple[Scope, str]]) -> LeverPlan:
    """FAQ deflection: an assumed share of the calls in each scope answered without a model call
    (see the module docstring). `specs` are (scope, share as written)."""
    shares: list[tuple[Scope, Fraction]] = []
    for scope, text in specs:
        try:
            share = Fraction(text.strip())
        except (ValueError, ZeroDivisionError) as e:
            raise UsageError(f"--deflect {text}: the share must be a number between 0 and 1.",
                             "For example --deflect 0.35 (article 004: 35 % of requests handled "
                             "without an LLM call), or --deflect faq=0.5.") from e
        if not 0 < share <= 1 or share.denominator > 10**9:
            raise UsageError(f"--deflect {text}: the share must be more than 0 and at most 1.",
                             "For example --deflect 0.35, or --deflect faq=0.5.")
        shares.append((scope, share))
    num = " ".join(f"WHEN {s.sql()} THEN {f.numerator}" for s, f in shares)
    den = " ".join(f"WHEN {s.sql()} THEN {f.denominator}" for s, f in shares)
    idx = " ".join(f"WHEN {s.sql()} THEN {i}" for i, (s, _) in enumerate(shares))
    sql = f"""
        WITH d AS (SELECT call_id, _p, _q, row_number() OVER (PARTITION BY _i, task_type
                                                             ORDER BY ts NULLS LAST, source_line, call_id) AS _r
                   FROM (SELECT call_id, ts, source_line, task_type, status, (CASE {idx} END) AS _i,
                                CAST((CASE {num} END) AS HUGEINT) AS _p, CAST((CASE {den} END) AS HUGEINT) AS _q
                         FROM {{prev}})
                   WHERE _i IS NOT NULL AND status = 'ok'),
        pick AS (SELECT call_id FROM d WHERE (_r * _p) // _q > ((_r - 1) * _p) // _q)
        {_select('{prev}', {'billed': 'CASE WHEN pick.call_id IS NOT NULL THEN false ELSE billed END'},
                 'pick.call_id IS NOT NULL AND billed', 'deflect', 'LEFT JOIN pick USING (call_id)')}
    """
    scope_words = ", ".join(f"{100 * float(f):g} % of {s.text}" for s, f in shares)
    examples = "; ".join(f"{s.text}: {f.numerator} of every {f.denominator} calls" for s, f in shares
                         if f.denominator <= 1000)
    assumptions = [
        f"an ASSUMED share of the calls is answered without an LLM call, at no cost ({scope_words}): an FAQ "
        "lookup or a rule answers them (article 004: 35 % of its requests); not measured from the log",
        "the deflected calls are spread evenly over time in each task type"
        + (f" ({examples})" if examples else "")
        + ", so they cost what an average call costs; article 004's 35 % saved about $4K of a $15K monthly "
        "bill (27 %): deflected requests may be cheaper than average",
        "a deflected request is answered as well without the model (the filter must be right)",
    ]
    return LeverPlan("deflect", {"shares": [{"scope": s.text, "share": float(f)} for s, f in shares]}, sql,
                     assumptions, scope=scope_words, confidence="assumed",
                     risk="canned answers", effort="weeks")



RECOMMEND_THRESHOLD = 0.9
RECOMMEND_WINDOW_S = 3600


def recommended(store: Any, rel: str, deflect_shares: dict[str, float],
                exact_dedupe: bool) -> tuple[list[LeverPlan], list[str], list[str]]:
    """What `recommend` proposes of these two levers -> (plans, rules used, not evaluated).

    - The near-duplicate cache at Jaccard 0.9 within 1 h, only where the log carries prompt text and
      the replay finds hits that exact dedupe does not already give: hits whose text differs from
      the cached request's when the log has a prompt_hash (dedupe is proposed then), any hit when
      it has none.
    - FAQ deflection (assumed) only for the task types llmcost.yaml gives a `deflect:` share."""
    plans: list[LeverPlan] = []
    rules: list[str] = []
    skipped: list[str] = []
    with_text, calls = store.query(f"SELECT count(*) FILTER (WHERE prompt_text IS NOT NULL), count(*) FROM {rel}")[0]
    if not with_text:
        skipped.append("near-duplicate cache: the log carries no prompt text (a prompt or messages column, "
                       "Langfuse input, LiteLLM messages)")
    elif getattr(store, "is_clickhouse", False):  # issue 17: the texts would all come back
        skipped.append("near-duplicate cache: not run inside ClickHouse (it compares the prompt texts in "
                       "Python); run simulate --similar-cache 0.9 on an export of the table with a DuckDB store")
    elif with_text > MAX_CALLS:
        skipped.append(f"near-duplicate cache: {_calls(with_text)} with prompt text, more than the "
                       f"{MAX_CALLS:,} one replay handles; run simulate --similar-cache 0.9 on a narrower scope "
                       "(--since / --until, --task)")
    else:
        check = "llmcost_similar_recommend"  # kept: the plan reuses it on the same relation
        found = find_hits(store, rel, check, RECOMMEND_THRESHOLD, RECOMMEND_WINDOW_S)
        beyond = found["near_hits"] if exact_dedupe else found["hits"]
        what = (f"Jaccard ≥ {RECOMMEND_THRESHOLD:g} within {_window_words(RECOMMEND_WINDOW_S)}, same model, "
                "task type and context")
        if beyond:
            plans.append(similar_cache(RECOMMEND_THRESHOLD, RECOMMEND_WINDOW_S, known=(rel, check)))
            rules.append(f"near-duplicate cache considered: {beyond:,} of {_calls(found['calls'])} with prompt "
                         f"text {'has' if beyond == 1 else 'have'} an earlier near-duplicate ({what})"
                         + (" that is not an exact repeat" if exact_dedupe else "")
                         + (f"; {_calls(calls - with_text)} without prompt text left out" if calls > with_text
                            else ""))
        else:
            skipped.append(f"near-duplicate cache: no call with prompt text has an earlier near-duplicate ({what})"
                           + (" beyond exact repeats" if exact_dedupe else ""))
    specs = [(parse_scope(task), repr(share)) for task, share in sorted(deflect_shares.items())]
    if specs:
        plans.append(deflect(specs))
        rules.append("FAQ deflection from llmcost.yaml (assumed shares): "
                     + ", ".join(f"{t} {100 * s:g} %" for t, s in sorted(deflect_shares.items())))
    else:
        skipped.append("FAQ deflection: an assumed share, never proposed on its own (article 004: 35 % of "
                       "requests answered without an LLM call); give `deflect: SHARE` per task in llmcost.yaml")
    return plans, rules, skipped
