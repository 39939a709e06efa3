"""Variants side by side (`maestroc compare`): which layer of one variant is which layer of another.

Layers are matched by name and, among layers of one name, by position: the second layer called
``conv`` in one variant is the second layer called ``conv`` in the other. Every layer of every
variant gets a row (a layer only some variants have shows ``-`` for the others, in the place it
has in the first variant that has it). The fastest of a row is every variant with the least
runtime (ties name them all); the total's fastest is chosen only among variants that have every
row, so a variant missing layers (or with none) is never the fastest network.
"""

from __future__ import annotations

from dataclasses import dataclass

from maestroc.metrics import LayerMetrics

Cell = tuple[LayerMetrics, ...]  # a layer row: the variant's one layer; the total row: all its layers


@dataclass(frozen=True)
class Row:
    layer: str  # the layer's name, or "total"
    cells: tuple[Cell | None, ...]  # one per variant; None where the variant has no such layer
    fastest: tuple[int, ...]  # the variants (indices) with the least runtime

    @property
    def is_total(self) -> bool:
        return self.layer == "total"


def compare_rows(variants: list[list[LayerMetrics]]) -> list[Row]:
    """One row per matched layer, in order, then the total row."""
    order: list[tuple[str, int]] = []  # (name, occurrence of that name) in row order
    cells: dict[tuple[str, int], list[Cell | None]] = {}
    for index, layers in enumerate(variants):
        seen: dict[str, int] = {}
        position = 0  # rows of layers new to this variant go after the last row it matched
        for m in layers:
            key = (m.name, seen.get(m.name, 0))
            seen[m.name] = key[1] + 1
            if key not in cells:
                cells[key] = [None] * len(variants)
                order.insert(position, key)
            position = order.index(key) + 1
            cells[key][index] = (m,)
    rows = [Row(name, tuple(cells[(name, n)]), _fastest(cells[(name, n)])) for name, n in order]
    complete = [all(row.cells[i] is not None for row in rows) and bool(rows) for i in range(len(variants))]
    totals = tuple(tuple(layers) for layers in variants)
    total_fastest = _fastest([cell if complete[i] else None for i, cell in enumerate(totals)])
    return rows + [Row("total", totals, total_fastest)]


def runtime(cell: Cell) -> int:
    return sum(m.runtime for m in cell)


def _fastest(cells: list[Cell | None]) -> tuple[int, ...]:
    runtimes = [runtime(cell) for cell in cells if cell is not None]
    if not runtimes:
        return ()
    least = min(runtimes)
    return tuple(i for i, cell in enumerate(cells) if cell is not None and runtime(cell) == least)
