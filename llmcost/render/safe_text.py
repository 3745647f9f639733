"""The one rule for text that came from outside llmcost (a log's labels and model names, file and
folder names, a price overlay's ids and notes) on its way to a terminal or a Markdown page:
`visible(text)` — every character that would act on the terminal instead of showing is replaced
by a visible stand-in, so what is printed is what the log holds, and nothing else.

- C0 controls (ESC, BEL, CR, NUL …) become their Unicode control pictures (`\\x1b` → `␛`,
  `\\x07` → `␇`), DEL `␡`: an ANSI colour, a cursor move, an OSC 8 hyperlink or a terminal
  title sequence is shown as its characters, never run.
- C1 controls (U+0080–U+009F: CSI `\\x9b`, OSC `\\x9d` …), the bidirectional overrides and
  isolates (Trojan-source reordering), the line and paragraph separators and lone surrogates (a
  file name that is not UTF-8) become a written escape: `\\x9b`, `\\u202e`, `\\xff`.

Rich markup (`[link=…]`, `[/x]`) is not this module's concern: the terminal renderers build `Text`
objects, which never parse markup (`llmcost.render.rich_safe`).

For output streams that cannot encode every character (`PYTHONIOENCODING=ascii`, a C locale
without UTF-8 mode), `ascii_fallback` words the typographic characters llmcost prints in ASCII
(`→` as `->`) and `install_stream_fallback` makes stdout and stderr use it instead of failing.
"""

from __future__ import annotations

import codecs
import re
import sys
import unicodedata
from typing import IO, Any

# C0, DEL, C1; Arabic letter mark, LRM/RLM, line/paragraph separators, bidi embeddings,
# overrides and isolates; lone surrogates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_EXCEPT_LAYOUT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def _stand_in(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object, keep_newlines: bool = False) -> str:
    """Outside text as plain, visible characters: control characters and the like replaced by a
    stand-in (see the module). `keep_newlines` keeps line feeds and tabs, for messages that are
    laid out on several lines; everything else is replaced either way."""
    s = text if isinstance(text, str) else str(text)
    pattern = _UNSAFE_EXCEPT_LAYOUT if keep_newlines else _UNSAFE
    return pattern.sub(lambda m: _stand_in(m.group()), s) if pattern.search(s) else s


# ---------------------------------------------------------------- streams that are not UTF-8

ASCII_WORDS = {
    "→": "->", "←": "<-", "↑": "^", "↓": "v", "·": "-", "…": "...", "–": "-", "—": "--", "−": "-",
    "×": "x", "÷": "/", "≈": "~", "≥": ">=", "≤": "<=", "≠": "!=", "±": "+/-", "⚠": "!", "✓": "ok",
    "✗": "x", "•": "*", "‘": "'", "’": "'", "“": '"', "”": '"', "«": '"', "»": '"', "€": "EUR",
    "£": "GBP", "¥": "JPY", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "│": "|", "─": "-",
    "━": "-", "╭": "+", "╮": "+", "╰": "+", "╯": "+", "┌": "+", "┐": "+", "└": "+", "┘": "+",
    "µ": "u", "°": " deg", "²": "^2", "✔": "ok", "❯": ">",
}
# the same in one character, where a terminal layout counts cells
ASCII_CELL = {
    "→": ">", "←": "<", "·": ".", "…": ".", "–": "-", "—": "-", "−": "-", "×": "x", "≈": "~",
    "≥": ">", "≤": "<", "⚠": "!", "✓": "+", "✗": "x", "•": "*", "‘": "'", "’": "'", "“": '"',
    "”": '"', "\u00a0": " ", "\u2009": " ", "\u202f": " ", "│": "|", "─": "-", "━": "-",
    "╭": "+", "╮": "+", "╰": "+", "╯": "+", "µ": "u", "❯": ">",
}


def _fallback_one(ch: str, one_cell: bool) -> str:
    code = ord(ch)
    if 0x2400 <= code <= 0x2421:  # a control picture from `visible`: the escape it stands for
        return "?" if one_cell else f"\\x{0x7F if code == 0x2421 else code - 0x2400:02x}"
    table = ASCII_CELL if one_cell else ASCII_WORDS
    if ch in table:
        return table[ch]
    base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
    if len(base) == 1 or (base and not one_cell):  # é → e; ﬁ → fi where cells do not count
        return base
    if one_cell:
        return "?" * (2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1)
    return "?"


def ascii_fallback(text: str, encoding: str = "ascii", one_cell: bool = False) -> str:
    """`text` with every character `encoding` cannot encode worded in ASCII (`→` `->`, `é` `e`,
    else `?`); with `one_cell`, in as many characters as the terminal cells it took."""
    try:
        text.encode(encoding)
        return text
    except (UnicodeEncodeError, LookupError):
        pass
    out = []
    for ch in text:
        try:
            ch.encode(encoding)
            out.append(ch)
        except (UnicodeEncodeError, LookupError):
            out.append(_fallback_one(ch, one_cell))
    return "".join(out)


def can_encode(text: str, stream: IO[str] | Any) -> bool:
    """Whether `stream` (a text stream) can write `text` as it is."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


ERRORS = "llmcost-ascii"


def _handler(e: UnicodeError) -> tuple[str, int]:
    if not isinstance(e, UnicodeEncodeError):
        raise e
    bad = e.object[e.start:e.end]
    words = []
    for ch in bad:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF or 0xD800 <= code < 0xDC80 or 0xDD00 <= code <= 0xDFFF:
            words.append(_stand_in(ch))
        else:
            words.append(ascii_fallback(ch, e.encoding or "ascii"))
    out = "".join(words)
    try:  # the stand-in itself must be writable (e.g. `->` in any ASCII-compatible encoding)
        out.encode(e.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        out = "?" * len(bad)
    return out, e.end


codecs.register_error(ERRORS, _handler)


# ASCII under another name. click (help, usage errors) takes a stream whose encoding is named
# ASCII for a misconfigured locale and writes UTF-8 bytes to its buffer instead, mojibake on an
# ASCII terminal; under this name it writes to the stream, through `ERRORS`, like the rest.
ASCII_STREAM = "llmcost-ascii-stream"


def _ascii_stream_codec(name: str) -> codecs.CodecInfo | None:
    if name.replace("_", "-") != ASCII_STREAM:
        return None
    ascii_codec = codecs.lookup("ascii")
    return codecs.CodecInfo(ascii_codec.encode, ascii_codec.decode, name=ASCII_STREAM,
                            incrementalencoder=ascii_codec.incrementalencoder,
                            incrementaldecoder=ascii_codec.incrementaldecoder,
                            streamwriter=ascii_codec.streamwriter, streamreader=ascii_codec.streamreader)


codecs.register(_ascii_stream_codec)


def _is_ascii(encoding: str | None) -> bool:
    try:
        return codecs.lookup(encoding or "ascii").name == "ascii"
    except LookupError:
        return False


def install_stream_fallback() -> None:
    """Make stdout and stderr word what they cannot encode (see `ascii_fallback`) instead of
    raising UnicodeEncodeError: a non-UTF-8 locale or PYTHONIOENCODING=ascii, and lone surrogates
    (a file name that is not UTF-8) on any stream. An ASCII stream gets the same codec under
    another name (`ASCII_STREAM`), so that click's help and usage errors are worded too."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or getattr(stream, "errors", None) == ERRORS:
            continue
        changes = {"errors": ERRORS}
        if _is_ascii(getattr(stream, "encoding", None)):
            changes["encoding"] = ASCII_STREAM
        try:
            reconfigure(**changes)
        except (ValueError, OSError, AttributeError, LookupError):  # a stream that cannot be
            continue                                                 # reconfigured
