"""Prompt text kept for near-duplicate matching (`simulate --similar-cache`): SQL over a request
as a log carries it, giving the two columns `prompt_text` and `prompt_context`.

What is kept, and why:
- `prompt_text` is the request's LAST USER MESSAGE, its first PROMPT_CHARS (2,000) characters as
  written (spaces at the ends trimmed). It is the question a response cache would be asked. The
  whole prompt is not used: with a shared system prompt of a few thousand tokens, every two
  questions would look 99 % alike. Lower-casing and splitting into words happen when a simulation
  uses the text (`llmcost.simulate.similar`), so loading pays for neither.
- `prompt_context` is the first 16 hex digits of the MD5 of everything before that message:
  the system prompt (Anthropic `system`, Responses `instructions`, Gemini `systemInstruction`)
  and the earlier turns. Two requests are near-duplicates only when it is equal, so a cached
  answer is never reused in another conversation or under another system prompt. It is NULL
  when the request has neither. Tools and sampling settings are not part of it.
- A request whose last message is not the user's (a tool result fed back, an assistant
  prefill), or whose last message has no text (an image only, Anthropic `tool_result` blocks),
  has no prompt text: a response cache has no question to match there.

Why text, not a signature (measured on 200,000 prompts of 8–60 words, 2 shared cores, DuckDB 2.0):
- The text of 227-character prompts takes 17 MB in the store (86 bytes a call, compressed) and
  0.5 s to write. A sketch of the 128 smallest hashes of the word pairs takes 31 MB (157 bytes a
  call: hashes do not compress) and 3.3 s with DuckDB's `hash()`, which is not guaranteed to stay
  the same across DuckDB versions, so a store could not keep it; with MD5, which does, 27 s. A
  MinHash signature of 64 permutations would take 256 bytes a call.
- Reading the prompt text of JSON records that carry a 1.4 KB system prompt and a question adds
  about 15–30 µs a record to loading (200,000 records: 11 s instead of 5–9 s; the store grows
  by 48 bytes a call). Each JSON value is parsed once, taking all the paths it needs in one call.
So the text is kept, and word pairs, hashes and MinHash are made when a simulation asks for
them, from the calls in its scope; the shingle size or the word split can change without
loading the logs again.

Privacy: the store then holds the first 2,000 characters of each user message of such logs. It
is a copy of part of what the logs already hold; nothing else reads it or shows it.

Where a log has it (each adapter says so in its docstring): generic logs with a `prompt`,
`messages`, `question`, `query`, `user_message` or `request_body` column (or `--map
COL=prompt_text`), LiteLLM (`messages`) and Langfuse (`input`). The request shapes read are:
a plain string; a list of chat messages (OpenAI `{role, content}` with text or content parts,
Anthropic content blocks, Gemini `{role, parts}`); an OpenAI Chat Completions, Responses
(`input`, `instructions`) or legacy completions (`prompt`) request body; an Anthropic Messages
body (`system`, `messages`); a Gemini body (`contents`, `systemInstruction`); and a batch
request line, whose `body` (OpenAI) or `params` (Anthropic) is the request. Response objects,
batch output files and provider usage exports hold no request, so they have no prompt text.

Limits: JSON lines longer than 64 KB are read with each string cut at 200 characters
(`SourceContext.json_lines`), so their prompt text is the first 200 characters of the message,
and their context is that of the cut strings.
"""

from __future__ import annotations

PROMPT_CHARS = 2000  # characters of the message kept
QUOTE = '"'


def kept(text: str) -> str:
    """SQL: the message as kept: its first PROMPT_CHARS characters, spaces trimmed; NULL when
    empty. Lower-casing and splitting into words wait for a simulation that uses them
    (`llmcost.simulate.similar.WORDS`), so loading pays for neither."""
    return f"NULLIF(trim(left(ltrim({text}), {PROMPT_CHARS})), '')"


def json_value(text: str) -> str:
    """SQL: a text cell as a JSON value. Text that is a JSON array or object (a CSV cell holding
    a list of messages) becomes that value. Any other text becomes a JSON string."""
    return (f"(CASE WHEN left(ltrim({text}), 1) IN ('[', '{{') AND json_valid({text}) "
            f"THEN CAST({text} AS JSON) WHEN {text} IS NOT NULL THEN to_json({text}) END)")


def _starts(json_value: str, char: str) -> str:
    """SQL: the JSON value's text starts with `char` (`{` object, `[` array, `"` string): a type
    test that reads one character instead of parsing the value again."""
    return f"starts_with(CAST({json_value} AS VARCHAR), '{char}')"


def wrap_source(source: str, request: str) -> str:
    """`source` with the columns `__p_text` and `__p_context` added, read from the JSON value
    `request` (an expression over `source`'s columns).

    Each step parses one JSON value once, extracting all the paths it needs in one call (a request
    with a long system prompt is several KB, and DuckDB parses a JSON value at each function):
    the request (unwrapped from a batch line), its fields, its messages, the last message."""
    step1 = (f"(SELECT *, (CASE WHEN {_starts('__p_in', '{')} THEN json_extract(__p_in, ['$.body', '$.params']) "
             f"END) AS __p_wrap FROM (SELECT *, {request} AS __p_in FROM {source}))")
    req = (f"(CASE WHEN {_starts('__p_wrap[1]', '{')} THEN __p_wrap[1] "
           f"WHEN {_starts('__p_wrap[2]', '{')} THEN __p_wrap[2] ELSE __p_in END)")
    fields = ("json_extract(__p_req, ['$.messages', '$.input', '$.contents', '$.system', '$.instructions', "
              "'$.systemInstruction', '$.system_instruction', '$.prompt'])")
    step2 = (f"(SELECT *, (CASE WHEN {_starts('__p_req', '{')} THEN {fields} END) AS __p_f "
             f"FROM (SELECT *, {req} AS __p_req FROM {step1}))")
    msgs = (f"(CASE WHEN {_starts('__p_req', '[')} THEN __p_req WHEN {_starts('__p_f[1]', '[')} THEN __p_f[1] "
            f"WHEN {_starts('__p_f[2]', '[')} THEN __p_f[2] WHEN {_starts('__p_f[3]', '[')} THEN __p_f[3] END)")
    system = (f"(CASE WHEN {_starts('__p_req', '{')} "
              "THEN coalesce(__p_f[4], __p_f[5], __p_f[6], __p_f[7]) END)")
    plain = (f"(CASE WHEN {_starts('__p_req', QUOTE)} THEN __p_req WHEN {_starts('__p_f[2]', QUOTE)} THEN __p_f[2] "
             f"WHEN {_starts('__p_f[8]', QUOTE)} THEN __p_f[8] END)")
    step3 = (f"(SELECT *, json_extract(__p_msgs, '$[*]') AS __p_all FROM "
             f"(SELECT *, {msgs} AS __p_msgs, {system} AS __p_sys, {plain} AS __p_plain FROM {step2}))")
    step4 = ("(SELECT *, json_extract(__p_last, ['$.role', '$.content', '$.parts']) AS __p_lf FROM "
             "(SELECT *, (CASE WHEN __p_msgs IS NOT NULL THEN __p_all[-1] END) AS __p_last, "
             "list_slice(__p_all, 1, len(__p_all) - 1) AS __p_before "
             f"FROM {step3}))")
    content = (f"(CASE WHEN {_starts('__p_last', QUOTE)} THEN __p_last ELSE coalesce(__p_lf[2], __p_lf[3]) END)")
    step5 = (f"(SELECT *, {content} AS __p_content, lower(json_extract_string(__p_lf[1], '$')) AS __p_role "
             f"FROM {step4})")
    message = (f"(CASE WHEN {_starts('__p_content', QUOTE)} THEN json_extract_string(__p_content, '$') "
               f"WHEN {_starts('__p_content', '[')} "
               "THEN NULLIF(array_to_string(json_extract_string(__p_content, '$[*].text'), ' '), '') END)")
    text = (f"(CASE WHEN __p_msgs IS NOT NULL THEN (CASE WHEN coalesce(__p_role, 'user') = 'user' "
            f"THEN {message} END) ELSE json_extract_string(__p_plain, '$') END)")
    context = ("(CASE WHEN __p_sys IS NOT NULL OR coalesce(len(__p_before), 0) > 0 "
               "THEN left(md5(coalesce(CAST(__p_sys AS VARCHAR), '') || chr(30) || "
               "coalesce(array_to_string(__p_before, chr(31)), '')), 16) END)")
    return f"(SELECT *, {kept(text)} AS __p_text, {context} AS __p_context FROM {step5})"


COLUMNS = {"prompt_text": "__p_text", "prompt_context": "__p_context"}
