"""Tables that fit the console's width without cutting a number.

Rich shortens a cell to `…` when a table is wider than the console, which loses digits.
A :class:`FittedTable` instead packs its columns into as few stacked parts as fit the
width at render time (the key columns, e.g. the layer name, repeat in every part), wraps
headers at spaces, and folds a key column's text only when a single column would not
fit beside it. Every cell keeps all of its characters at any width that holds the widest
column beside a key column folded to MIN_KEY_WIDTH characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # rich is imported when a table is drawn: a CSV or JSON run never needs it
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.measure import Measurement
    from rich.table import Table

# Columns are parted by a space of padding and a blank divider (two spaces); the outer edge has neither.
COLUMN_OVERHEAD = 2
TABLE_OVERHEAD = -2
MIN_KEY_WIDTH = 6


@dataclass(frozen=True)
class Column:
    """A column: its header (wrapped at spaces or at explicit newlines), alignment, and whether it repeats."""

    header: str
    justify: Literal["left", "right"] = "right"
    key: bool = False  # shown in every part when the table is split (names the row)
    wrap: bool = False  # text cells may wrap at spaces (a list of names); numbers never wrap
    group: str = ""  # neighbouring columns of one group stay in one part when they fit (a variant's metrics)


class FittedTable:
    """Rows of text cells under :class:`Column` headers, rendered as one table or as stacked parts."""

    def __init__(self, columns: list[Column], title: str = "", notes: list[str] | None = None) -> None:
        self.columns = columns
        self.title = title
        self.notes = notes or []
        self.rows: list[tuple[str, ...]] = []
        self.sections: set[int] = set()  # row indices that start a new section (a rule above them)

    def add_row(self, *cells: str) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"a row needs {len(self.columns)} cells, got {len(cells)}")
        self.rows.append(tuple(cells))

    def add_section(self) -> None:
        self.sections.add(len(self.rows))

    def _cell_width(self, index: int) -> int:
        return max((len(row[index]) for row in self.rows), default=0)

    def _widths(self, index: int) -> tuple[int, int]:
        """(narrowest, natural) width of a column: headers may wrap at spaces, cells never shrink."""
        lines = self.columns[index].header.split("\n")
        words = [word for line in lines for word in line.split()] or [""]
        cells = self._cell_width(index)
        narrow_cells = max((len(word) for row in self.rows for word in row[index].split()), default=0) \
            if self.columns[index].wrap else cells
        return max(narrow_cells, max(map(len, words))), max(cells, max(map(len, lines)))

    def parts(self, width: int) -> list[list[tuple[int, int]]]:
        """The columns of each stacked part as (column index, width) so that every part fits ``width``."""
        keys = [i for i, c in enumerate(self.columns) if c.key]
        others = [i for i, c in enumerate(self.columns) if not c.key]
        narrow = {i: self._widths(i)[0] for i in range(len(self.columns))}
        natural = {i: self._widths(i)[1] for i in range(len(self.columns))}

        def span(indices: list[int], widths: dict[int, int]) -> int:
            return sum(widths[i] + COLUMN_OVERHEAD for i in indices) + TABLE_OVERHEAD

        groups: list[list[int]] = []
        for bundle in self._bundles(others):
            if groups and span(keys + groups[-1] + bundle, narrow) <= width:
                groups[-1].extend(bundle)
            elif span(keys + bundle, narrow) <= width:
                groups.append(list(bundle))
            else:  # the bundle does not fit a part of its own: column by column
                for index in bundle:
                    if groups and span(keys + groups[-1] + [index], narrow) <= width:
                        groups[-1].append(index)
                    else:
                        groups.append([index])
        if not groups:
            groups = [[]]
        result = []
        for group in groups:
            widths = {i: narrow[i] for i in keys + group}
            spare = width - span(keys + group, widths)
            if spare < 0:  # one column beside the keys is too wide: fold the key text (never a number)
                for i in keys:
                    cut = min(-spare, widths[i] - MIN_KEY_WIDTH)
                    if cut > 0:
                        widths[i] -= cut
                        spare += cut
            for i in sorted(keys + group, key=lambda i: natural[i] - widths[i]):  # unwrap the cheapest headers first
                grow = min(max(spare, 0), natural[i] - widths[i])
                widths[i] += grow
                spare -= grow
            result.append([(i, widths[i]) for i in sorted(keys + group)])
        return result

    def _bundles(self, indices: list[int]) -> list[list[int]]:
        """Runs of neighbouring columns of one group (a column without a group is a run of its own)."""
        bundles: list[list[int]] = []
        for index in indices:
            group = self.columns[index].group
            if bundles and group and self.columns[bundles[-1][-1]].group == group:
                bundles[-1].append(index)
            else:
                bundles.append([index])
        return bundles

    def _table(self, part: list[tuple[int, int]], title: str) -> Table:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title or None, title_justify="left", box=box.HORIZONTALS,
                      show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
        for index, width in part:
            column = self.columns[index]
            table.add_column(Text(column.header), justify=column.justify, width=width, overflow="fold")
        for number, row in enumerate(self.rows):
            if number in self.sections and number:
                table.add_section()
            table.add_row(*(Text(row[index]) for index, _ in part))  # Text: a `[` in a name is not markup
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text

        parts = self.parts(options.max_width)
        if self.title:
            yield Text(self.title, style="italic")
        for number, part in enumerate(parts):
            label = f"part {number + 1} of {len(parts)}" if len(parts) > 1 else ""
            yield self._table(part, label)
        for note in self.notes:
            yield Text(note)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.measure import Measurement

        full = sum(self._widths(i)[1] + COLUMN_OVERHEAD for i in range(len(self.columns))) + TABLE_OVERHEAD
        return Measurement(min(full, options.max_width), min(full, options.max_width))
