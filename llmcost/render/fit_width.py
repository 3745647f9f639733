"""Terminal layouts that adapt to the width they are given: a table while it fits with every
wrapping column wide enough to read, one block per row below that; lines of items that wrap
between items (an item longer than a line wraps between its words). Nothing is cut to `…`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from llmcost.render.rich_safe import add_row, plain
from llmcost.render.safe_text import visible


class WrappedItems:
    """`lead`, then `items` joined by `sep`, as many to a line as the width holds; the next line
    starts `indent` spaces in. An item that no line could hold wraps at its spaces (a single word
    wider than a whole line is the only thing ever folded, never cut)."""

    def __init__(self, items: Sequence[Text | str], lead: Text | str = "", indent: int = 0,
                 sep: str = " · ", style: str = "") -> None:
        self.items = [i if isinstance(i, Text) else plain(i, style=style) for i in items if i]
        self.lead = lead if isinstance(lead, Text) else plain(lead, style=style)
        self.indent = indent
        self.sep = sep
        self.style = style

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        words = [cell_len(w) for i in self.items for w in i.plain.split()] or [0]
        longest = self.lead.cell_len + sum(i.cell_len for i in self.items) \
            + cell_len(self.sep) * max(len(self.items) - 1, 0)
        return Measurement(min(self.indent + max(words), longest), longest)

    def _new_line(self) -> Text:
        return Text(" " * self.indent, style=self.style)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width, self.indent + 1)
        line = self.lead.copy()
        on_line = False  # whether the line holds an item yet (the lead and the indent do not count)
        for item in self.items:
            joint = self.sep if on_line else ""
            if line.cell_len + cell_len(joint) + item.cell_len <= width:
                line.append(joint, style=self.style)
                line.append_text(item)
                on_line = True
                continue
            if on_line:
                yield line
                line, on_line = self._new_line(), False
                if line.cell_len + item.cell_len <= width:
                    line.append_text(item)
                    on_line = True
                    continue
            # the item is wider than a line: its words, as many to a line as fit
            first = True
            for word in item.split(" "):
                if not word.cell_len:
                    continue
                space = 0 if first and not on_line else 1
                if on_line and line.cell_len + space + word.cell_len > width:
                    yield line
                    line, on_line, space = self._new_line(), False, 0
                while line.cell_len + space + word.cell_len > width:  # one word wider than a line
                    room = width - line.cell_len - space
                    line.append(" " * space)
                    line.append_text(word[:room])
                    yield line
                    line, on_line, space = self._new_line(), False, 0
                    word = word[room:]
                line.append(" " * space)
                line.append_text(word)
                on_line, first = True, False
        if line.cell_len:
            yield line


def _first_word_indented(line: str) -> int:
    """The widest word of a line, its first word counted with the spaces before it."""
    words = [cell_len(w) for w in line.split()]
    if not words:
        return 0
    words[0] += cell_len(line) - cell_len(line.lstrip(" "))
    return max(words)


@dataclass(frozen=True)
class Col:
    """A column of a `TableOrBlocks`: `floor` None keeps its cells on one line; a number lets them
    wrap between words, never narrower than that (nor than the column's longest word), and wrap
    beyond `most` even where there is room."""

    header: str
    justify: str = "left"
    floor: int | None = None
    most: int | None = None  # a wrapping column wraps beyond this width even where there is room
    fold: bool = False  # a wrapping column whose cells may break anywhere (raw log text), not only between words


class TableOrBlocks:
    """`rows` as a table where the width holds it with each wrapping column at least its floor;
    on a narrower terminal `blocks` (one renderable per row, carrying every value of the row)."""

    def __init__(self, columns: Sequence[Col], rows: Sequence[Sequence[str]],
                 blocks: Sequence[RenderableType]) -> None:
        self.columns = list(columns)
        self.rows = [[visible(c) for c in r] for r in rows]  # measured as printed
        self.blocks = list(blocks)

    def _cells(self, i: int) -> list[str]:
        return [self.columns[i].header, *(r[i] for r in self.rows)]

    def _longest_word(self, i: int) -> int:
        """The narrowest the column can be without breaking a word (a cell's leading spaces count
        with its first word); 1 for a column that folds."""
        if self.columns[i].fold:
            return 1
        return max((_first_word_indented(line) for c in self._cells(i) for line in c.split("\n")), default=1)

    def _natural(self, i: int) -> int:
        """The column's width given room: its widest cell, or `most` for a wrapping column."""
        widest = max(cell_len(line) for c in self._cells(i) for line in c.split("\n"))
        most = self.columns[i].most
        return widest if most is None else max(min(widest, most), self._longest_word(i))

    def _floor(self, i: int) -> int:
        floor = self.columns[i].floor or 0
        return max(min(floor, self._natural(i)), self._longest_word(i))

    def _widths(self, width: int) -> list[int] | None:
        """Each column's width without padding, or None where the table does not fit."""
        natural = [self._natural(i) for i in range(len(self.columns))]
        room = width - 2 * (len(self.columns) - 1)  # cells are 2 apart (no edge padding)
        if sum(natural) <= room:
            return natural
        wrapping = [i for i, c in enumerate(self.columns) if c.floor is not None]
        fixed = sum(natural[i] for i in range(len(natural)) if i not in wrapping)
        floors = {i: self._floor(i) for i in wrapping}
        if fixed + sum(floors.values()) > room:
            return None
        # the widest wrapping columns give way first, down to a common level, none below its floor
        level = max(natural[i] for i in wrapping)
        while level > 0 and fixed + sum(max(floors[i], min(natural[i], level)) for i in wrapping) > room:
            level -= 1
        widths = natural[:]
        for i in wrapping:
            widths[i] = max(floors[i], min(natural[i], level))
        return widths

    def _table(self, widths: list[int]) -> Table:
        table = Table(box=None, header_style="bold", pad_edge=False)
        for col, w in zip(self.columns, widths, strict=True):
            table.add_column(col.header, justify=col.justify,  # type: ignore[arg-type]
                             no_wrap=col.floor is None, overflow="fold", width=w)
        for row in self.rows:
            add_row(table, *row)
        return table

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        gaps = 2 * (len(self.columns) - 1)
        narrow = max(Measurement.get(console, options, b).minimum for b in self.blocks) if self.blocks else 0
        return Measurement(narrow, sum(self._natural(i) for i in range(len(self.columns))) + gaps)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = self._widths(options.max_width)
        yield self._table(widths) if widths is not None else Group(*self.blocks)
