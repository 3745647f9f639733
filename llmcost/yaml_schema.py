"""One schema check for the YAML files a user writes: price overlays (`--pricing`, and the shipped
book itself) and `llmcost.yaml`.

A schema is a small declarative description of what each key may hold (`Map`, `Dict`, `List`,
`Num`, `Str`, `Bool`, `Date`, `Enum`, `Anything`), checked by one function, `validate`. A
mistake stops at the first problem found with one paragraph naming the file, the key path
(`models[acme-7b].periods[0].input`), what was expected and what was found; an unknown key gets
a "did you mean" hint when a known key is close. The loaders (`llmcost.pricing.book`,
`llmcost.config`) then convert the checked document and keep only the checks that relate keys
to each other (periods that overlap, an override of a model the book lacks).

`read_yaml` reads a file the same way for both: UTF-8 (with or without a BOM) or UTF-16 with a
BOM, a clear error for binary or other encodings, the safe YAML loader, and a date that is not
a real date (`2026-02-30`) left as text so that the schema names its key. A key written twice in
one mapping (YAML readers keep the last silently) and a tagged value that cannot be made
(`!!int x`) are errors naming the line and the key path.

This module sits in the lowest layer: it imports nothing of llmcost but `llmcost.errors`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

import yaml

from llmcost.errors import LlmcostError

ErrorType = Callable[[str, str | None], LlmcostError]


# ---------------------------------------------------------------- the schema vocabulary

@dataclass(frozen=True)
class Spec:
    """What one value may be. Each kind has a `what` field saying it in words, for the message
    (the first field of scalars, after the parts of containers)."""

    def describe(self) -> str:
        return str(getattr(self, "what", "a value"))

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


@dataclass(frozen=True)
class Anything(Spec):
    """Anything (a block the loader ignores, such as `imported_from:`)."""

    what: str = "anything"

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        return None


@dataclass(frozen=True)
class Str(Spec):
    """Text; `pattern` (a full match) when given; never empty."""

    what: str = "text"
    pattern: str | None = None
    nonempty: bool = True

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        if not isinstance(value, str) or (self.nonempty and not value.strip()):
            ctx.fail(path, self.what, value)
        if self.pattern is not None and not re.fullmatch(self.pattern, value.strip()):
            ctx.fail(path, self.what, value)


@dataclass(frozen=True)
class Enum(Spec):
    choices: tuple[str, ...] = ()
    what: str = "one of a few words"

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        if not isinstance(value, str) or value not in self.choices:
            close = difflib.get_close_matches(str(value), self.choices, n=1, cutoff=0.6) \
                if isinstance(value, str) else []
            ctx.fail(path, "one of " + ", ".join(self.choices), value,
                     f"Did you mean `{close[0]}`?" if close else None)


@dataclass(frozen=True)
class Bool(Spec):
    what: str = "true or false"

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        if not isinstance(value, bool):
            ctx.fail(path, self.what, value)


_NUMBER_TEXT = re.compile(r"[-+]?(\.\d+|\d+(\.\d*)?)([eE][-+]?\d+)?")


def as_number(value: Any) -> Decimal | None:
    """A YAML number as an exact Decimal: an int or float, or text written as a plain decimal
    number (`1e-7` is text to PyYAML, a number to YAML 1.2); None for anything else, booleans,
    NaN and infinities included."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        text = str(value)
    elif isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        text = value.strip()
    else:
        return None
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _fmt_bound(x: float) -> str:
    return f"{x:,.0f}" if x == int(x) else f"{x:g}"


@dataclass(frozen=True)
class Num(Spec):
    """A finite number in [low, high] (`above_low`: strictly above low); `integer`: a whole
    number."""

    what: str = "a number"
    low: float | None = 0
    high: float | None = None
    above_low: bool = False
    integer: bool = False

    def describe(self) -> str:
        word = self.what
        if self.low is not None and self.high is not None:
            return f"{word} {'>' if self.above_low else '≥'} {_fmt_bound(self.low)} and ≤ {_fmt_bound(self.high)}"
        if self.low is not None:
            return f"{word} {'>' if self.above_low else '≥'} {_fmt_bound(self.low)}"
        if self.high is not None:
            return f"{word} ≤ {_fmt_bound(self.high)}"
        return word

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        d = as_number(value)
        if d is None or (self.integer and d != d.to_integral_value()):
            ctx.fail(path, self.describe(), value)
            return
        if self.low is not None and (d < Decimal(str(self.low)) or (self.above_low and d == Decimal(str(self.low)))):
            ctx.fail(path, self.describe(), value)
        if self.high is not None and d > Decimal(str(self.high)):
            ctx.fail(path, self.describe(), value)


def parse_date(value: Any) -> datetime | None:
    """A YAML date, datetime or ISO text (`2026-03-13`, `2026-03-13T10:00:00Z`) as a datetime
    (aware ones kept aware); None when it is not one."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Date(Spec):
    what: str = "a date (YYYY-MM-DD) or an ISO time (2026-03-13T10:00:00Z)"

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        if parse_date(value) is None:
            ctx.fail(path, self.what, value)


@dataclass(frozen=True)
class List(Spec):
    """A list of `item`s (never null items); `label`: the key whose text names an item in a key
    path (`models[gpt-4o]` rather than `models[12]`)."""

    item: Spec = field(default_factory=Anything)
    what: str = "a list"
    min_len: int = 0
    label: str | None = None

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        if not isinstance(value, list):
            ctx.fail(path, self.what, value)
        if len(value) < self.min_len:
            ctx.fail(path, f"{self.what} with at least {self.min_len} item{'s' * (self.min_len > 1)}", value)
        for i, v in enumerate(value):
            name = str(i)
            if self.label and isinstance(v, Mapping) and isinstance(v.get(self.label), str):
                name = v[self.label]
            ctx.check(self.item, v, f"{path}[{name}]")


@dataclass(frozen=True)
class Dict(Spec):
    """A mapping with free keys (task names, multiplier columns): every key text (or in `keys`
    when given), every value a `values`; `nullable`: a null value is allowed."""

    values: Spec = field(default_factory=Anything)
    what: str = "a mapping"
    keys: tuple[str, ...] | None = None
    nullable: bool = False

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        if not isinstance(value, Mapping):
            ctx.fail(path, self.what, value)
        for k, v in value.items():
            if self.keys is not None and k not in self.keys:
                ctx.unknown(path, k, self.keys)
            if not isinstance(k, str | int) or isinstance(k, bool):
                ctx.fail(path, "names as keys", k)
            if v is None and self.nullable:
                continue
            ctx.check(self.values, v, _join(path, str(k)))


@dataclass(frozen=True)
class Map(Spec):
    """A mapping with known keys: `fields` (key -> spec), `required` keys; a null value counts as
    the key left out. Unknown keys are an error. `at_least_one`: groups of keys of which one at
    least must be given."""

    fields: Mapping[str, Spec] = field(default_factory=dict)
    what: str = "a mapping"
    required: tuple[str, ...] = ()
    at_least_one: tuple[tuple[str, ...], ...] = ()

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        if not isinstance(value, Mapping):
            ctx.fail(path, self.what, value)
        for k in value:
            if k not in self.fields:
                ctx.unknown(path, k, tuple(self.fields))
        for k in self.required:
            if value.get(k) is None:
                ctx.fail(_join(path, k), self.fields[k].describe(), _MISSING)
        for group in self.at_least_one:
            if all(value.get(k) is None for k in group):
                ctx.fail(path, "at least one of " + ", ".join(f"`{k}`" for k in group), _MISSING_ALL)
        for k, v in value.items():
            if v is not None:
                ctx.check(self.fields[k], v, _join(path, k))

    def extend(self, fields: Mapping[str, Spec] | None = None, **changes: Any) -> Map:
        return Map(**{"fields": {**self.fields, **(fields or {})}, "what": self.what, "required": self.required,
                      "at_least_one": self.at_least_one, **changes})


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Missing:
    pass


_MISSING = _Missing()
_MISSING_ALL = _Missing()


# ---------------------------------------------------------------- checking

class SchemaViolation(Exception):
    """Raised inside `validate`, turned into the caller's error type there."""

    def __init__(self, message: str, hint: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def describe_value(value: Any) -> str:
    """How a found value is shown: short, on one line, with its kind."""
    if value is _MISSING:
        return "nothing (the key is missing or null)"
    if value is _MISSING_ALL:
        return "none of them"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, Mapping):
        keys = ", ".join(str(k) for k in list(value)[:4]) + (", …" if len(value) > 4 else "")
        return f"a mapping ({keys})" if value else "an empty mapping"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' * (len(value) != 1)}" if value else "an empty list"
    if isinstance(value, int | float | Decimal):
        text = repr(value) if isinstance(value, float) else str(value)
        return text if len(text) <= 40 else text[:37] + "…"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "…"
        return "the text " + repr(shown) if shown.strip() else "empty text"
    return type(value).__name__


@dataclass
class _Ctx:
    file: str
    docs: str
    lines: Mapping[str, int] | None = None  # key path -> line (`read_yaml`'s `lines`)

    def _line(self, path: str) -> str:
        """` (line N)` for the key path (or its nearest enclosing key) when lines are known."""
        if not self.lines:
            return ""
        p = path
        while p:
            if p in self.lines:
                return f" (line {self.lines[p]})"
            p = re.sub(r"(\.[^.\[\]]*|\[[^\]]*\])$", "", p) if re.search(r"[.\[]", p) else ""
        return ""

    def fail(self, path: str, expected: str, found: Any, hint: str | None = None) -> NoReturn:
        where = f"{self.file}: {path or 'the top level'}"
        raise SchemaViolation(f"{where}: expected {expected}, found {describe_value(found)}{self._line(path)}.",
                              (hint + " " if hint else "") + f"See {self.docs}.")

    def unknown(self, path: str, key: Any, known: tuple[str, ...]) -> NoReturn:
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        where = f"{self.file}: {_join(path, str(key)) if path else str(key)}"
        hint = f"Did you mean `{close[0]}`? " if close else ""
        raise SchemaViolation(f"{where}: unknown key `{key}`{self._line(_join(path, str(key)))}.",
                              hint + "Known keys here: " + ", ".join(known) + f" (see {self.docs}).")

    def check(self, spec: Spec, value: Any, path: str) -> None:
        spec.check(value, path, self)


def validate(doc: Any, spec: Spec, file: str, error: ErrorType, docs: str,
             lines: Mapping[str, int] | None = None) -> None:
    """Check `doc` against `spec`; the first problem raises `error(message, hint)`: the file, the
    key path, what was expected and what was found (or the unknown key and the closest known);
    with `lines` (filled by `read_yaml`) the line of the key as well."""
    try:
        spec.check(doc, "", _Ctx(file, docs, lines))
    except SchemaViolation as e:
        raise error(e.message, e.hint) from None
    except RecursionError:
        raise error(f"{file}: nested too deeply to be read.", f"See {docs}.") from None


# ---------------------------------------------------------------- reading

class _SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (the C one when available, 5x faster), with two changes: a value that
    looks like a date but is none (`2026-02-30`) stays text, so the schema names its key; a
    tagged value that cannot be made (`!!int x`) raises `_Unconstructable` with its node, so
    the message names its line and key path (`paths`, filled by `read_yaml`)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.paths: dict[int, str] = {}

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as e:
            raise _Unconstructable(node, e) from None


def _timestamp(loader: Any, node: Any) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def decode_text(data: bytes, name: str, error: ErrorType, hint: str) -> str:
    """UTF-8 (a BOM is dropped) or UTF-16 with a BOM; binary data or another encoding is one
    clear error (`hint` says what the file should be)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise error(f"{name} starts like UTF-16 text but is not: byte {e.start}.", hint) from None
    if b"\x00" in data[:65536]:
        raise error(f"{name} holds binary data, not text.", hint)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise error(f"{name} is not UTF-8 text: byte 0x{data[e.start]:02x} on line {line}.",
                    f"Save it as UTF-8 (for example `iconv -f latin1 -t utf-8`). {hint}") from None


def read_yaml(path: Path, shown: str, error: ErrorType, docs: str, read_hint: str,
              spec: Spec | None = None, lines: dict[str, int] | None = None) -> Any:
    """The YAML document in `path` (`shown` is how messages name it), read safely. A key twice
    in one mapping (which YAML readers resolve silently, the last one winning) and a tagged value
    the loader cannot make (`!!int x`) are errors naming the line and the key path (`spec`, the
    file's schema, names list items as `validate` does: `models[gpt-4o]`); `lines`, when given,
    is filled with each key path's line, for `validate`."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise error(f"{shown} cannot be read: {e.strerror}.", read_hint) from None
    text = decode_text(data, shown, error, f"It should be a YAML file (see {docs}).")
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicate = _key_paths(node, spec, loader.paths, lines)
        if duplicate is not None:
            key, where, first, again = duplicate
            place = f"in {where}" if where else "at the top level"
            raise error(f"{shown}: line {again}: key `{key}` appears twice {place} (lines {first} and "
                        f"{again}).", f"Keep one of them (a YAML reader would silently use the last). "
                        f"See {docs}.")
        return loader.construct_document(node)
    except _Unconstructable as e:
        where = loader.paths.get(id(e.node)) or "the top level"
        raise error(f"{shown} is not valid YAML: line {e.node.start_mark.line + 1}, {where}: {e.shown} "
                    f"cannot be read as {e.tag}: {e.reason}.", f"See {docs}.") from None
    except yaml.YAMLError as e:
        raise error(f"{shown} is not valid YAML: {_yaml_problem(e)}", f"See {docs}.") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as e:
        # nesting too deep for the parser (a typed scalar that is not its type: `_Unconstructable`)
        raise error(f"{shown} is not valid YAML: {e or type(e).__name__}.", f"See {docs}.") from None
    finally:
        loader.dispose()


_MERGE = "tag:yaml.org,2002:merge"


def _key_paths(root: yaml.Node, spec: Spec | None, paths: dict[int, str],
               lines: dict[str, int] | None = None) -> tuple[str, str, int, int] | None:
    """Walk the composed document (no recursion: nesting may be deep), recording each node's key
    path in `paths` (by node id) the way `validate` names it; the first key found twice in one
    mapping as (key, the mapping's path, first line, second line), or None."""
    stack: list[tuple[yaml.Node, Spec | None, str]] = [(root, spec, "")]
    while stack:
        node, sp, path = stack.pop()
        paths[id(node)] = path
        if lines is not None and path:
            lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE:
                    continue
                line = key.start_mark.line + 1
                if (key.tag, key.value) in seen:
                    return key.value, path, seen[(key.tag, key.value)], line
                seen[(key.tag, key.value)] = line
                child = sp.fields.get(key.value) if isinstance(sp, Map) else (
                    sp.values if isinstance(sp, Dict) else None)
                stack.append((value, child, _join(path, key.value)))
        elif isinstance(node, yaml.SequenceNode):
            item = sp.item if isinstance(sp, List) else None
            label = sp.label if isinstance(sp, List) else None
            for i, value in enumerate(node.value):
                name = str(i)
                if label and isinstance(value, yaml.MappingNode):
                    name = next((v.value for k, v in value.value if isinstance(k, yaml.ScalarNode)
                                 and k.value == label and isinstance(v, yaml.ScalarNode)), name)
                stack.append((value, item, f"{path}[{name}]"))
    return None


class _Unconstructable(Exception):
    """A tagged value the loader cannot make (`!!int x`, `!!float lots`), with its node."""

    def __init__(self, node: yaml.Node, reason: BaseException) -> None:
        super().__init__(str(reason))
        self.node = node
        self.reason = str(reason) or type(reason).__name__
        self.tag = "!!" + node.tag.rsplit(":", 1)[-1] if node.tag.startswith("tag:yaml.org,2002:") else node.tag
        value = node.value if isinstance(node, yaml.ScalarNode) else "…"
        self.shown = f"`{self.tag} {value if len(value) <= 40 else value[:37] + '…'}`"


def _yaml_problem(e: yaml.YAMLError) -> str:
    """A YAML error on one line: what and where (line, column), without PyYAML's source dump."""
    if isinstance(e, yaml.MarkedYAMLError) and e.problem:
        mark = e.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        context = f"{e.context}: " if e.context else ""
        return " ".join(f"{context}{e.problem}{where}".split()) + "."
    return " ".join(str(e).split())
