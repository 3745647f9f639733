"""Prompt text kept for near-duplicate matching (`simulate --similar-cache`): SQL over a request
as a log carries it, giving the two columns `prompt_text` and `prompt_context`.

What is kept, and why:
- `prompt_text` is the request's LAST USER MESSAGE, lower-cased, every run of characters that
  are neither letters nor digits made one space, and cut at PROMPT_CHARS (2,000) characters.
  Only at most RAW_CHARS (8,000) characters of the message are read to make it. It is the
  question a response cache would be asked. The whole prompt is not used: with a shared system
  prompt of a few thousand tokens, every two questions would look 99 % alike.
- `prompt_context` is the first 16 hex digits of the MD5 of everything before that message:
  the system prompt (Anthropic `system`, Responses `instructions`, Gemini `systemInstruction`)
  and the earlier turns. Two requests are near-duplicates only when it is equal, so a cached
  answer is never reused in another conversation or under another system prompt. It is NULL
  when the request has neither. Tools and sampling settings are not part of it.
- A request whose last message is not the user's (a tool result fed back, an assistant
  prefill), or whose last message has no text (an image only, Anthropic `tool_result` blocks),
  has no prompt text: a response cache has no question to match there.

Why text, not a signature. We measured 200,000 prompts of 20–60 words each (227 characters on
average), on 2 cores with DuckDB 2.0:
- The normalised text takes 17 MB in the store (86 bytes a call, compressed) and 0.5 s to
  write.
- A bottom-128 sketch of hashed word pairs takes 31 MB (157 bytes a call: hashes do not
  compress) and 3.3 s with DuckDB's `hash()`, which is not guaranteed to stay the same across
  DuckDB versions, so a store could not keep it. With MD5, which does stay the same, it takes
  27 s.
- A MinHash signature of 64 permutations would take 256 bytes a call, and 64 hashes of every
  word pair.
So the text is kept, and word pairs, hashes and MinHash are made when a simulation asks for
them (`llmcost.simulate.similar`), from the calls in its scope. Keeping the text lets the
shingle size or the normalisation change without loading the logs again.

Privacy: the store then holds the first 2,000 characters (normalised) of each user message of
such logs. It is a copy of what the logs already hold, and nothing else reads it or shows it.

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
(`SourceContext.json_lines`), so their prompt text is the first 200 characters of the
message. Text written without spaces between words (Chinese, Japanese) becomes a few long
"words", so near-duplicates there are found only when the text is the same apart from
punctuation.
"""

from __future__ import annotations

PROMPT_CHARS = 2000  # characters of the normalised message kept
RAW_CHARS = 8000  # characters of the raw message read to make them


def normalised(text: str) -> str:
    """SQL: the text as kept: lower case, each run of characters that are not letters or digits
    made one space, at most PROMPT_CHARS characters, NULL when nothing is left."""
    squeezed = f"regexp_replace(lower(left({text}, {RAW_CHARS})), '[^\\p{{L}}\\p{{N}}]+', ' ', 'g')"
    return f"NULLIF(trim(left(trim({squeezed}), {PROMPT_CHARS})), '')"


def json_value(text: str) -> str:
    """SQL: a text cell as a JSON value. Text that is a JSON array or object (a CSV cell holding
    a list of messages) becomes that value. Any other text becomes a JSON string."""
    return (f"(CASE WHEN left(ltrim({text}), 1) IN ('[', '{{') AND json_valid({text}) "
            f"THEN CAST({text} AS JSON) WHEN {text} IS NOT NULL THEN to_json({text}) END)")


def wrap_source(source: str, request: str) -> str:
    """`source` with the columns `__p_text` and `__p_context` added, read from the JSON value
    `request` (an expression over `source`'s columns).

    The steps are in nested subqueries, so that DuckDB reads each part of the request once:
    the request (unwrapped from a batch line), then its messages, then the last one."""
    req = (f"(CASE WHEN json_type({request}, '$.body') = 'OBJECT' THEN json_extract({request}, '$.body') "
           f"WHEN json_type({request}, '$.params') = 'OBJECT' THEN json_extract({request}, '$.params') "
           f"ELSE {request} END)")
    step1 = f"(SELECT *, {req} AS __p_req FROM {source})"

    def when_array(path: str) -> str:
        return f"CASE WHEN json_type(__p_req, '{path}') = 'ARRAY' THEN json_extract(__p_req, '{path}') END"

    msgs = (f"(CASE json_type(__p_req) WHEN 'ARRAY' THEN __p_req WHEN 'OBJECT' THEN coalesce("
            f"{when_array('$.messages')}, {when_array('$.input')}, {when_array('$.contents')}) END)")
    system = ("coalesce(json_extract(__p_req, '$.system'), json_extract(__p_req, '$.instructions'), "
              "json_extract(__p_req, '$.systemInstruction'), json_extract(__p_req, '$.system_instruction'))")
    plain = ("(CASE WHEN json_type(__p_req) = 'VARCHAR' THEN json_extract_string(__p_req, '$') "
             "WHEN json_type(__p_req, '$.input') = 'VARCHAR' THEN json_extract_string(__p_req, '$.input') "
             "WHEN json_type(__p_req, '$.prompt') = 'VARCHAR' THEN json_extract_string(__p_req, '$.prompt') END)")
    step2 = (f"(SELECT *, {msgs} AS __p_msgs, "
             f"(CASE WHEN json_type(__p_req) = 'OBJECT' THEN {system} END) AS __p_sys, "
             f"{plain} AS __p_plain FROM {step1})")
    step3 = ("(SELECT *, json_extract(__p_msgs, '$[#-1]') AS __p_last, "
             "list_slice(json_extract(__p_msgs, '$[*]'), 1, json_array_length(__p_msgs) - 1) AS __p_before "
             f"FROM {step2})")
    content = ("(CASE WHEN json_type(__p_last) = 'VARCHAR' THEN __p_last "
               "ELSE coalesce(json_extract(__p_last, '$.content'), json_extract(__p_last, '$.parts')) END)")
    step4 = (f"(SELECT *, {content} AS __p_content, "
             f"lower(json_extract_string(__p_last, '$.role')) AS __p_role FROM {step3})")
    message = ("(CASE json_type(__p_content) WHEN 'VARCHAR' THEN json_extract_string(__p_content, '$') "
               "WHEN 'ARRAY' THEN NULLIF(array_to_string(json_extract_string(__p_content, '$[*].text'), ' '), '') "
               "END)")
    text = (f"(CASE WHEN __p_msgs IS NOT NULL THEN (CASE WHEN coalesce(__p_role, 'user') = 'user' "
            f"THEN {message} END) ELSE __p_plain END)")
    context = ("(CASE WHEN __p_sys IS NOT NULL OR coalesce(len(__p_before), 0) > 0 "
               "THEN left(md5(coalesce(CAST(__p_sys AS VARCHAR), '') || chr(30) || "
               "coalesce(CAST(to_json(__p_before) AS VARCHAR), '[]')), 16) END)")
    return f"(SELECT *, {normalised(text)} AS __p_text, {context} AS __p_context FROM {step4})"


COLUMNS = {"prompt_text": "__p_text", "prompt_context": "__p_context"}
