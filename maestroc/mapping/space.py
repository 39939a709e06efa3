"""The mapping space of one layer: families of written dataflows (docs/mapping.md).

A :class:`Structure` is what the directives of a family share: per cluster level the
written dimensions in order and which are SpatialMaps. Its members differ in the
tile sizes and the Cluster size. Members are never Python objects: a family is a
list of *choice columns* (one candidate array per free value), and rows of the
mixed-radix product of those columns are made in chunks, as numpy arrays, so the
memory stays bounded whatever the space's size.

Every written loop's (size, offset) is a function of one choice column:

* ``R``/``S`` temporal: the whole filter, ``(R, R)`` (MAESTRO maps a window whole);
* ``Y``/``X``: the sliding-window form of an output tile ``t``, ``(t + R - 1, t)``;
* any other dimension: a tile ``t``, ``(t, t)``;
* the row-stationary reuse map (a second SpatialMap of ``R`` or ``S`` beside ``Y``/``X``): ``(1, 1)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import permutations
from math import prod
from typing import Any

import numpy as np

from maestroc.ir import LayerIR
from maestroc.layertypes import SLIDING
from maestroc.passes.stride import strided
from maestroc.passes.unroll import input_variables

WINDOWS = frozenset(SLIDING.values())  # R, S
COUNT_CHUNK = 1 << 16  # rows made at once when a family's members are counted
REUSE = {"Y": "R", "X": "S"}  # a level-1 SpatialMap of Y may be paired with one of R (row-stationary)


def tile_candidates(extent: int, forms: tuple[str, ...] = ("divisors", "pow2", "full")) -> tuple[int, ...]:
    """Tile sizes of a dimension of ``extent``: its divisors, the powers of two below it and itself."""
    values = set()
    if "divisors" in forms:
        values |= {d for d in range(1, extent + 1) if extent % d == 0}
    if "pow2" in forms:
        values |= {1 << k for k in range(extent.bit_length()) if 1 << k <= extent}
    if "full" in forms or not values:
        values.add(extent)
    return tuple(sorted(values))


def cluster_candidates(num_pes: int, windows: tuple[int, ...] = ()) -> tuple[int, ...]:
    """Cluster sizes: the powers of two up to ``num_pes`` (>= 2), ``num_pes`` itself and the filter sizes."""
    values = set(tile_candidates(num_pes, ("pow2", "full"))) | {w for w in windows if w <= num_pes}
    return tuple(sorted(v for v in values if 2 <= v <= num_pes))


@dataclass(frozen=True)
class WrittenLoop:
    """One written directive of a family: its dimension, kind and which choice column sizes it."""

    dim: str
    spatial: bool
    column: int | None  # None: a constant loop (the whole filter, or the reuse map (1, 1))
    form: str  # "tile", "window" (Y/X sliding form), "whole" (R/S) or "reuse" (1, 1)


@dataclass(frozen=True)
class Structure:
    """What every member of a family shares: the written loops per level (outer level first)."""

    levels: tuple[tuple[WrittenLoop, ...], ...]

    @property
    def cluster_levels(self) -> int:
        return len(self.levels) - 1

    def label(self) -> str:
        """A short name: per level the order, spatial dims in capitals marked with ``*``."""
        return " | ".join(" ".join(loop.dim + ("*" if loop.spatial else "") for loop in level)
                          for level in self.levels)


@dataclass(frozen=True)
class Family:
    """A structure and its choice columns; member ``i`` is row ``i`` of the columns' mixed-radix product.

    Column ``j`` is ``choices[j]``; ``tiles[j]`` names what it sizes (a written loop's column, or
    ``"cluster"``). ``limits`` are pairs (inner column, outer column): a member whose inner tile
    exceeds its outer tile is not in the space (the level-1 tile lies within the level-0 chunk).
    """

    structure: Structure
    choices: tuple[tuple[int, ...], ...]
    tiles: tuple[str, ...]
    limits: tuple[tuple[int, int], ...] = ()
    cluster_columns: tuple[int, ...] = field(default=())

    @property
    def size(self) -> int:
        """Rows of the product (members before the ``limits`` filter)."""
        return prod(len(c) for c in self.choices)

    def count(self) -> int:
        """Members (rows of the product that pass the ``limits``).

        Limits on disjoint pairs of columns (the space's case) are counted pair by pair, the other
        columns multiplying; otherwise the rows are made and counted in bounded chunks.
        """
        columns = [c for pair in self.limits for c in pair]
        if len(set(columns)) == len(columns):
            total = prod(len(values) for index, values in enumerate(self.choices) if index not in columns)
            for inner, outer in self.limits:
                total *= sum(a <= b for a in self.choices[inner] for b in self.choices[outer])
            return total
        return sum(len(self.rows(start, min(self.size, start + COUNT_CHUNK)))
                   for start in range(0, self.size, COUNT_CHUNK))

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Choice values of product rows ``start..stop-1`` (int64, one column per choice), limits applied."""
        table = self.table(start, stop)
        return table[self.within_limits(table)]

    def table(self, start: int, stop: int) -> np.ndarray:
        """Choice values of product rows ``start..stop-1``, limits not applied."""
        index = np.arange(start, stop, dtype=np.int64)
        columns = []
        for values in reversed(self.choices):
            radix = len(values)
            columns.append(np.asarray(values, dtype=np.int64)[index % radix])
            index //= radix
        return np.stack(columns[::-1], axis=1) if columns else np.zeros((stop - start, 0), dtype=np.int64)

    def within_limits(self, table: np.ndarray) -> np.ndarray:
        """Which rows of a table of choice values are members (their inner tiles within their outer ones)."""
        keep = np.ones(len(table), dtype=bool)
        for inner, outer in self.limits:
            keep &= table[:, inner] <= table[:, outer]
        return keep

    def blocks(self, most: int, start: int = 0, stop: int | None = None) -> Iterator[Block]:
        """Rows ``start..stop-1`` (the whole product, or a block of it) in order, as blocks of at most ``most``
        rows (or one run of the last column) that are sub-products: the leading choices fixed, every
        combination of the others."""
        lengths = [len(values) for values in self.choices]
        count = len(lengths)
        first_free = next((k for k in range(count + 1) if prod(lengths[k:]) <= most), max(count - 1, 0))
        rows = prod(lengths[first_free:])
        for begin in range(start, self.size if stop is None else stop, rows):
            table = self.table(begin, begin + rows)
            columns: list[Any] = [int(table[0, j]) for j in range(first_free)]
            columns += [np.asarray(self.choices[j], dtype=np.int64).reshape(
                [1] * (j - first_free) + [-1] + [1] * (count - 1 - j)) for j in range(first_free, count)]
            yield Block(begin, table, self.within_limits(table), tuple(columns), tuple(lengths[first_free:]))


@dataclass(frozen=True)
class Block:
    """Rows ``start..`` of a family's product that form a sub-product (Family.blocks).

    As a grid (maestroc.batch.MappingGrid) each free choice column is an axis: ``columns[j]`` is the
    fixed value of choice ``j`` or its values along its axis, ``shape`` the free columns' lengths.
    """

    start: int
    table: np.ndarray  # (rows, choices): every row of the block, limits not applied
    in_space: np.ndarray  # (rows,) bool: the rows that are members (Family.within_limits)
    columns: tuple[Any, ...]
    shape: tuple[int, ...]

    def grid_columns(self, leading: int = 0) -> list[Any]:
        """The choice columns as grid columns with ``leading`` axes of length 1 in front (an orders axis)."""
        return [column.reshape((1,) * leading + column.shape) if isinstance(column, np.ndarray) else column
                for column in self.columns]


@dataclass(frozen=True)
class SpaceSettings:
    """What the space contains (docs/mapping.md); ``maestroc map --space FILE.toml`` changes it."""

    levels: tuple[int, ...] = (1, 2)
    orders: str = "tiled"  # "tiled": every order of the tiled dims, R/S innermost; "all": every order
    fixed_orders: tuple[tuple[str, ...], ...] = ()  # orders to use instead, for the layers whose tiled dims
    # they permute
    spatial: tuple[str, ...] = ()  # level-0 spatial dims allowed (empty: every tiled dim)
    inner_spatial: tuple[str, ...] = ()  # level-1 spatial dims allowed (empty: every tiled dim)
    tile_forms: tuple[str, ...] = ("pow2", "full")  # add "divisors" to widen
    inner_tiles: tuple[int, ...] = (1,)  # level-1 spatial tiles (empty: the same candidates as level 0)
    same_spatial: bool = False  # whether level 1 may map spatially the dim level 0 maps spatially
    tile_ranges: tuple[tuple[str, int, int], ...] = ()  # (dim, min, max) bounds on tiles of a dim
    clusters: tuple[int, ...] = ()  # Cluster sizes (empty: cluster_candidates)
    reuse: bool = True  # the row-stationary pair (SpatialMap Y with SpatialMap R) at level 1
    templates: bool = True  # the sample dataflows legal for the layer are points of the space


def tiled_dims(layer: LayerIR) -> tuple[str, ...]:
    """The dims a dataflow tiles: the input and weight variables other than the filter windows."""
    windows = WINDOWS if layer.layer_type != "GEMM" else frozenset()
    return tuple(d for d in input_variables(layer) if d not in windows)


def _tile_extent(layer: LayerIR, dim: str) -> int:
    """What a tile of ``dim`` counts: outputs for Y/X (``Y' = Y - R + 1``), elements otherwise."""
    dims = layer.dim_table()
    if dim in SLIDING and layer.layer_type != "GEMM":
        return dims[dim] - dims[SLIDING[dim]] + 1
    return dims[dim]


def _tiles(layer: LayerIR, dim: str, settings: SpaceSettings) -> tuple[int, ...]:
    values = tile_candidates(_tile_extent(layer, dim), settings.tile_forms)
    for name, low, high in settings.tile_ranges:
        if name == dim:
            values = tuple(v for v in values if low <= v <= high)
    return values


def _orders(layer: LayerIR, settings: SpaceSettings) -> list[tuple[str, ...]]:
    tiled = tiled_dims(layer)
    windows = tuple(d for d in input_variables(layer) if d not in tiled)
    fixed = [order for order in settings.fixed_orders if sorted(order) == sorted(tiled)]
    if fixed:  # the fixed orders that fit the layer (a permutation of its tiled dims); others are for other layers
        return [order + windows for order in fixed]
    if settings.orders == "all":
        return list(permutations(tiled + windows))
    return [order + windows for order in permutations(tiled)]


def _loop(layer: LayerIR, dim: str, spatial: bool, column: int | None) -> WrittenLoop:
    if dim in WINDOWS and layer.layer_type != "GEMM":
        return WrittenLoop(dim, spatial, None, "whole")
    return WrittenLoop(dim, spatial, column, "window" if dim in SLIDING and layer.layer_type != "GEMM" else "tile")


def layer_clusters(layer: LayerIR, num_pes: int, settings: SpaceSettings) -> tuple[int, ...]:
    """The Cluster sizes of a layer's two-level families: the settings' or :func:`cluster_candidates` with
    the layer's filter sizes, within ``2..num_pes``."""
    dims = layer.dim_table()
    clusters = settings.clusters or cluster_candidates(
        num_pes, tuple(dims[w] for w in sorted(WINDOWS) if w in dims and layer.layer_type != "GEMM"))
    return tuple(c for c in clusters if 2 <= c <= num_pes)


def families(layer: LayerIR, num_pes: int, settings: SpaceSettings) -> Iterator[Family]:
    """Every family of the space, in a fixed order (one level first, then two)."""
    tiled = tiled_dims(layer)
    outer_spatial = [d for d in tiled if not settings.spatial or d in settings.spatial]
    inner_spatial = [d for d in tiled if not settings.inner_spatial or d in settings.inner_spatial]
    clusters = layer_clusters(layer, num_pes, settings)
    for count in settings.levels:
        for order in _orders(layer, settings):
            tiles: list[str] = []
            choices: list[tuple[int, ...]] = []
            columns: dict[str, int] = {}
            for dim in order:
                if dim in tiled:
                    columns[dim] = len(choices)
                    tiles.append(dim)
                    choices.append(_tiles(layer, dim, settings))
            for spatial in outer_spatial:
                top = tuple(_loop(layer, d, d == spatial, columns.get(d)) for d in order)
                if count == 1:
                    yield Family(Structure((top,)), _distinct_windows(layer, choices, columns), tuple(tiles))
                    continue
                if not clusters:
                    continue
                for inner in inner_spatial:
                    if inner == spatial and not settings.same_spatial:
                        continue
                    yield from _two_levels(layer, top, inner, _distinct_windows(layer, choices, columns, inner),
                                           tuple(tiles), columns, clusters, settings)


def _distinct_windows(layer: LayerIR, choices: list[tuple[int, ...]], columns: dict[str, int],
                      keep: str | None = None) -> tuple[tuple[int, ...], ...]:
    """The choices without the strided ``Y``/``X`` output tiles that lower to the loop of a smaller tile.

    With a stride ``s``, the stride rule (docs/passes.md N7) maps several written forms ``(t + R - 1, t)``
    to one loop; level 1 inherits that loop, so the members differ only in text: their IR, hence every
    figure, is the same. Only the first tile of each such group is kept. A column bounded by a limit
    (``keep``: the level-0 tile of level 1's spatial dim) is left whole, since the limit reads the tile.
    """
    out = list(choices)
    dims = layer.dim_table()
    for dim, window in SLIDING.items():
        stride = layer.stride_of(dim)
        if dim not in columns or dim == keep or stride == 1 or layer.layer_type == "GEMM":
            continue
        seen: set[tuple[int, int]] = set()
        kept = []
        for tile in out[columns[dim]]:
            loop = strided(tile + dims[window] - 1, tile, stride, dims[window], True)
            if loop not in seen:
                seen.add(loop)
                kept.append(tile)
        out[columns[dim]] = tuple(kept)
    return tuple(out)


def _two_levels(layer: LayerIR, top: tuple[WrittenLoop, ...], inner: str, choices: tuple[tuple[int, ...], ...],
                tiles: tuple[str, ...], columns: dict[str, int], clusters: tuple[int, ...],
                settings: SpaceSettings) -> Iterator[Family]:
    """The two-level families whose level 1 maps ``inner`` spatially (alone, or with its reuse window)."""
    inner_column = len(choices)
    cluster_column = inner_column + 1
    inner_tiles = _tiles(layer, inner, settings)
    if settings.inner_tiles:
        inner_tiles = tuple(t for t in inner_tiles if t in settings.inner_tiles) or (1,)
    all_choices = choices + (inner_tiles, clusters)
    all_tiles = tiles + (f"{inner}@1", "cluster")
    limits = ((inner_column, columns[inner]),)
    variants = [(_loop(layer, inner, True, inner_column),)]
    window = REUSE.get(inner)
    dims = layer.dim_table()
    if settings.reuse and layer.layer_type != "GEMM" and window in dims and dims[window] > 1:
        variants.append((_loop(layer, inner, True, inner_column), WrittenLoop(window, True, None, "reuse")))
    for level in variants:
        yield Family(Structure((top, level)), all_choices, all_tiles, limits, (cluster_column,))


def space_size(layer: LayerIR, num_pes: int, settings: SpaceSettings) -> tuple[int, int]:
    """(families, members) of the generated part of the space (the template points not included)."""
    count = rows = 0
    for family in families(layer, num_pes, settings):
        count += 1
        rows += family.count()
    return count, rows


@dataclass(frozen=True)
class OrderGroup:
    """Families that differ only in the order of the top level's loops, over one table of rows.

    ``families[0]`` numbers the rows; family ``i`` reads them through ``columns[i]`` (its choice
    columns, as columns of the first family's). Every figure but the top level's ingress is the same
    for all of them on the same row, which the search's pruning uses (docs/mapping.md "Pruning").
    """

    families: tuple[Family, ...]
    columns: tuple[tuple[int, ...], ...]

    @property
    def rows_table(self) -> Family:
        return self.families[0]


def _group_key(family: Family) -> tuple:
    names = family.tiles
    top = frozenset((loop.dim, loop.spatial, loop.form) for loop in family.structure.levels[0])
    lower = tuple((loop.dim, loop.spatial, loop.form, None if loop.column is None else names[loop.column])
                  for level in family.structure.levels[1:] for loop in level)
    return (len(family.structure.levels), top, lower, tuple(sorted(zip(names, family.choices))),
            frozenset((names[a], names[b]) for a, b in family.limits),
            tuple(names[c] for c in family.cluster_columns))


def order_groups(all_families: Iterator[Family]) -> list[OrderGroup]:
    """The families in groups of equal structure but for the top level's order, in the order they come."""
    grouped: dict[tuple, list[Family]] = {}
    for family in all_families:
        grouped.setdefault(_group_key(family), []).append(family)
    return [OrderGroup(tuple(members), tuple(tuple(members[0].tiles.index(name) for name in family.tiles)
                                             for family in members))
            for members in grouped.values()]
