"""The cascade on real evaluation data (issue 14 part 7): RouteLLM's GSM8K results
(tests/data/evals/routellm: 1,319 grade-school maths questions, each answered by Mixtral-8x7B and
by GPT-4 Turbo, marked right or wrong; Apache-2.0, source in the README there).

The test builds, from that file only:
- a log of the GPT-4 calls: one call per question, on `gpt-4-1106-preview`, task `gsm8k`,
  30 minutes apart; `prompt_hash` = the first 16 hex digits of the question's sha256;
- an eval file scoring both models per request (by prompt_hash): 1 right, 0 wrong, with each
  answer's length as `output_tokens`.
The file has no token counts, so tokens are estimated the same way for every call (a stated
assumption): ceil(characters / 4) for the question (input; the 8 few-shot examples RouteLLM sent
before it are left out) and for each model's answer (output).

Prices ($/MTok): gpt-4-1106-preview 10 in / 30 out (the book); Mixtral-8x7B is not in the book,
so an overlay gives it 0.70 / 0.70 (Mistral's `open-mixtral-8x7b` in LiteLLM's price table).

Hand computation (sums counted from the file below, then checked by the test):
  all 1,319 questions:          input 79,595   GPT-4 output 138,493   Mixtral output 99,785
  the 477 Mixtral gets wrong:   input 31,585   GPT-4 output  59,490
  baseline (GPT-4 only): 79,595 × 10 + 138,493 × 30 = 795,950 + 4,154,790 = 4,950,740 µ$
  cascade: every question on Mixtral first, (79,595 + 99,785) × 0.70 = 125,566 µ$,
           + the 477 escalated to GPT-4: 31,585 × 10 + 59,490 × 30 = 315,850 + 1,784,700 = 2,100,550 µ$
           = 2,226,116 µ$  (45.0 % of the baseline; saves 2,724,624 µ$)
  quality: GPT-4 alone 1,130 / 1,319 = 85.67 %; with a perfect check a question escalates exactly
           when Mixtral is wrong and then counts GPT-4's answer: right = Mixtral right (842) +
           Mixtral wrong but GPT-4 right (383) = 1,225 / 1,319 = 92.87 % — the oracle.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
from pathlib import Path

from tests.conftest import DATA

SOURCE = DATA / "evals" / "routellm" / "gsm8k_responses.csv.gz"
SHA256 = "1f38ed03db354a020f71e92022383dc3cf37bbf2694dea4daaeea7b6c43fe57b"
MIXTRAL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
GPT4 = "gpt-4-1106-preview"
OVERLAY = """provider: mistral
name: Mistral
models:
  - id: mixtral-8x7b-instruct-v0.1
    name: Mixtral 8x7B Instruct v0.1
    family: mixtral
    released: 2023-12-11
    aliases: [mistralai/Mixtral-8x7B-Instruct-v0.1, open-mixtral-8x7b]
    periods:
      - effective_from: 2023-12-11
        input: 0.70
        output: 0.70
        source: https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json
        note: LiteLLM's mistral/open-mixtral-8x7b entry
        checked: 2026-07-24
"""


def tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def rows() -> list[dict[str, str]]:
    data = gzip.decompress(SOURCE.read_bytes())
    assert hashlib.sha256(data).hexdigest() == SHA256  # the published file, byte for byte
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_the_cascade_on_routellm_gsm8k_reaches_the_oracle_at_the_hand_computed_cost(cli, tmp_path: Path):
    qs = rows()
    right = {m: [r[m] == "True" for r in qs] for m in (MIXTRAL, GPT4)}
    assert {r[MIXTRAL] for r in qs} | {r[GPT4] for r in qs} == {"True", "False"}
    wrong = [r for r, ok in zip(qs, right[MIXTRAL], strict=True) if not ok]
    # the counts of the docstring, from the file
    assert len(qs) == 1319 and sum(right[MIXTRAL]) == 842 and sum(right[GPT4]) == 1130 and len(wrong) == 477
    assert sum(a or b for a, b in zip(right[MIXTRAL], right[GPT4], strict=True)) == 1225
    assert sum(tokens(r["prompt"]) for r in qs) == 79595
    assert sum(tokens(r[GPT4 + "_response"]) for r in qs) == 138493
    assert sum(tokens(r[MIXTRAL + "_response"]) for r in qs) == 99785
    assert sum(tokens(r["prompt"]) for r in wrong) == 31585
    assert sum(tokens(r[GPT4 + "_response"]) for r in wrong) == 59490

    def key(r: dict[str, str]) -> str:
        return hashlib.sha256(r["prompt"].encode()).hexdigest()[:16]

    assert len({key(r) for r in qs}) == 1319  # one eval row per call and model
    log = tmp_path / "gpt4_calls.csv"
    with log.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["call_id", "ts", "model", "task_type", "input_tokens", "output_tokens", "prompt_hash"])
        for i, r in enumerate(qs):
            minutes = 30 * i
            ts = f"2024-06-{1 + minutes // 1440:02d}T{minutes % 1440 // 60:02d}:{minutes % 60:02d}:00Z"
            w.writerow([f"q{i + 1}", ts, GPT4, "gsm8k", tokens(r["prompt"]), tokens(r[GPT4 + "_response"]), key(r)])
    ev = tmp_path / "gsm8k_eval.csv"
    with ev.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["prompt_hash", "model", "score", "output_tokens"])
        for r in qs:
            for m in (MIXTRAL, GPT4):
                w.writerow([key(r), m, 1 if r[m] == "True" else 0, tokens(r[m + "_response"])])
    overlay = tmp_path / "mixtral.yaml"
    overlay.write_text(OVERLAY)

    res = cli("simulate", str(log), "--cascade", MIXTRAL, "--eval", str(ev), "--pricing", str(overlay),
              "--format", "json")
    assert res.exit_code == 0, res.stderr
    d = res.json()
    lv = d["levers"][0]
    assert d["calls"] == 1319 and d["unpriced_calls"] == 0
    assert abs(d["baseline"]["cost_usd"] - 4.950740) < 1e-9
    assert abs(d["scenario"]["cost_usd"] - 2.226116) < 1e-9
    assert abs(lv["savings_usd"] - 2.724624) < 1e-9
    assert lv["lever"] == "cascade" and lv["calls_affected"] == 1319
    assert lv["escalated_calls"] == 477 and abs(lv["escalated_share"] - 477 / 1319) < 1e-12
    assert lv["confidence"] == "measured" and lv["quality_confidence"] == "measured"
    # quality to the count: 1,130 and 1,225 right answers of 1,319
    assert round(lv["quality_before"] * 1319) == 1130 and abs(lv["quality_before"] - 1130 / 1319) < 1e-12
    assert round(lv["quality_after"] * 1319) == 1225 and abs(lv["quality_after"] - 1225 / 1319) < 1e-12
    assert f"{100 * lv['quality_before']:.1f}" == "85.7" and f"{100 * lv['quality_after']:.1f}" == "92.9"
    # 95 % Wilson interval of 1,225 / 1,319: z²/n = 0.0029125; centre = (0.928734 + 0.0014562)
    # / 1.0029125 = 0.927489; half = 1.96 × √(0.00005019 + 0.00000055) / 1.0029125 = 0.013921
    # -> [0.91357, 0.94141]
    low, high = lv["quality_after_ci95"]
    assert abs(low - 0.91357) < 1e-4 and abs(high - 0.94141) < 1e-4
