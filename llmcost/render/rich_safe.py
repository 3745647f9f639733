"""Rich, used so that outside text is only ever text (`llmcost.render.safe_text` has the rule).

- `plain(text)` is the only way outside text becomes a rich `Text`: never parsed as markup
  (`[link=…]`, `[/x]` are characters), control characters made visible.
- `add_row` puts cells in a table the same way (rich parses a `str` cell as markup).
- `make_console` is the console every command prints with: markup and emoji codes off, and a
  render hook that, as the last step before the stream, makes visible any control character
  still in the text (whatever built it) and, on a stream that cannot encode a character, writes
  an ASCII stand-in of the same width (box drawing falls back to ASCII on its own there).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderableType, RenderHook, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from llmcost.render.safe_text import ascii_fallback, visible


def plain(text: object, style: str = "") -> Text:
    """Outside text (or any text) as a rich Text: literal characters, controls made visible."""
    return Text(visible(text), style=style)


def hang(text: str | Text, indent: int = 2, marker: str = "", style: str = "") -> RenderableType:
    """One line of text after `indent` spaces and a marker (`⚠ `, `· `); where it wraps, it wraps
    under its own start rather than at the left edge."""
    body = text if isinstance(text, Text) else plain(text, style=style)
    head = " " * indent + marker
    grid = Table.grid(padding=0)
    grid.add_column(width=len(head), no_wrap=True)
    grid.add_column()
    grid.add_row(plain(head, style=style), body)
    return grid


def cell(value: object) -> RenderableType:
    """A table cell: a string as plain text (never markup); a renderable as it is."""
    if isinstance(value, str):
        return plain(value)
    return value  # type: ignore[return-value]


def add_row(table: Table, *cells: object, style: str | None = None) -> None:
    table.add_row(*(cell(c) for c in cells), style=style)


class _Shown:
    """A renderable whose segments are checked on their way out (see the module)."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        encoding = console.encoding
        utf = encoding.replace("-", "").replace("_", "").startswith("utf")
        for seg in console.render(self.renderable, options):
            if seg.control:
                yield seg
                continue
            text = visible(seg.text, keep_newlines=True)
            if not utf:
                text = ascii_fallback(text, encoding, one_cell=True)
            yield seg if text is seg.text else Segment(text, seg.style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)


class _Guard(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Shown(r) for r in renderables]


def make_console(stderr: bool = False, **options: Any) -> Console:
    console = Console(stderr=stderr, highlight=False, soft_wrap=False, markup=False, emoji=False,
                      **options)
    console.push_render_hook(_Guard())
    return console
