"""From written directives to the IR the cost model sees, for a whole family at once.

The ordinary pipeline lowers one written dataflow (docs/passes.md N3-N10). Here a
family's members are lowered as arrays with the passes' own rules: the structure
(which loops each level ends up with, in which order) is the pipeline's output for
the family's first member, and the sizes follow from
:func:`maestroc.passes.inherit.inherited_positions` (N5),
:func:`maestroc.passes.stride.strided` (N7) and
:func:`maestroc.passes.size_levels.sub_cluster_counts` (N9), applied to columns of
numbers. Families are written in input-centric form (``Y``/``X`` with the window, so N4
has nothing to do) and map every input/weight dimension at the top level (so N6 adds
nothing); N8 (level dims) is done by :func:`maestroc.batch.member`.
tests/test_mapping.py checks that ``member(batch, i)`` is the IR the pipeline builds
from member ``i``'s written directives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from maestroc import ast
from maestroc.batch import MappingBatch, MappingGrid
from maestroc.diagnostics import Diagnostics
from maestroc.hardware import HardwareSpec
from maestroc.ir import ClusterMark, LayerIR, Loop, NetworkIR
from maestroc.layertypes import SLIDING
from maestroc.mapping.space import Family, WrittenLoop
from maestroc.passes import PIPELINE
from maestroc.passes.inherit import inherited_positions
from maestroc.passes.size_levels import sub_cluster_counts
from maestroc.passes.stride import strided
from maestroc.pipeline import PassContext, run_pipeline

TABLE_PASSES = PIPELINE[:2]  # resolve, tables: the layer without its dataflow
LOWERING_PASSES = PIPELINE[2:]  # split-levels .. legality: what a written dataflow goes through

Column = tuple[str, bool, Any, Any]  # (dim, spatial, sizes, offsets) of one loop over a family: ints or arrays


def base_layers(tree: ast.MappingFile, hardware: HardwareSpec) -> NetworkIR:
    """The network after resolve and tables: dims, strides and tensors of every layer (N1, N2)."""
    result = run_pipeline(tree, TABLE_PASSES, PassContext(Diagnostics(), hardware))
    assert isinstance(result.ir, NetworkIR)
    return result.ir


def lower_directives(layer: LayerIR, directives: tuple[Loop | ClusterMark, ...],
                     hardware: HardwareSpec) -> tuple[LayerIR, Diagnostics]:
    """The layer with these written directives through the rest of the pipeline, and its diagnostics.

    The diagnostics hold the error lint rules' findings (N10): a layer with an error is not legal.
    """
    diagnostics = Diagnostics()
    network = NetworkIR(name="", path="", layers=(replace(layer, directives=directives, levels=()),),
                        hardware=hardware)
    result = run_pipeline(network, LOWERING_PASSES, PassContext(diagnostics, hardware))  # type: ignore[arg-type]
    assert isinstance(result.ir, NetworkIR)
    return result.ir.layers[0], diagnostics


def loop_values(layer: LayerIR, loop: WrittenLoop, columns: Sequence[Any]) -> tuple[Any, Any]:
    """A written loop's (sizes, offsets) over many members (``columns``: each choice column's values,
    as a table's columns or a grid's)."""
    dims = layer.dim_table()
    if loop.form == "whole":
        return dims[loop.dim], dims[loop.dim]
    if loop.form == "reuse":
        return 1, 1
    tile = columns[loop.column]
    if loop.form == "window":
        return tile + dims[SLIDING[loop.dim]] - 1, tile
    return tile, tile


def written_levels(family: Family, layer: LayerIR, columns: Sequence[Any]) -> list[list[Column]]:
    """The written loops of every member, level by level, as columns."""
    return [[(loop.dim, loop.spatial, *loop_values(layer, loop, columns)) for loop in level]
            for level in family.structure.levels]


def written_directives(family: Family, layer: LayerIR, row: np.ndarray) -> tuple[Loop | ClusterMark, ...]:
    """One member's directives, as ``maestroc.passes.resolve`` would produce them from its text."""
    levels = written_levels(family, layer, [int(value) for value in row])
    clusters = [int(row[c]) for c in family.cluster_columns]
    out: list[Loop | ClusterMark] = []
    for index, level in enumerate(levels):
        if index:
            out.append(ClusterMark(clusters[index - 1], None))
        out += [Loop(dim, spatial, int(size), int(offset)) for dim, spatial, size, offset in level]
    return tuple(out)


def _with_stride(layer: LayerIR, loops: list[Column], top_level: bool) -> list[Column]:
    """N7 on columns: the first Y and X loop of the level get the stride rule."""
    dims = layer.dim_table()
    loops = list(loops)
    for dim, window in SLIDING.items():
        stride = layer.stride_of(dim)
        index = next((i for i, loop in enumerate(loops) if loop[0] == dim), None)
        if index is not None and stride != 1:
            name, spatial, sizes, offsets = loops[index]
            loops[index] = (name, spatial, *strided(sizes, offsets, stride, dims.get(window, 1), top_level))
    return loops


def lowered_levels(family: Family, layer: LayerIR, columns: Sequence[Any]) -> list[list[Column]]:
    """Every level's final loops over the members: inherit (N5), then the stride (N7), level by level."""
    out: list[list[Column]] = []
    for index, own in enumerate(written_levels(family, layer, columns)):
        if index:
            upper = out[-1]
            positions = inherited_positions([loop[0] for loop in upper], [loop[0] for loop in own])
            own = [(upper[i][0], False, upper[i][2], upper[i][3]) for i in positions] + own
        out.append(_with_stride(layer, own, index == 0))
    return out


def _lowered(family: Family, layer: LayerIR, template: LayerIR, columns: Sequence[Any],
             hardware: HardwareSpec) -> tuple[list[Any], list[Any], list[Any]]:
    """Every final loop's sizes and offsets (all levels, outer to inner) and every level's sub-cluster count."""
    levels = lowered_levels(family, layer, columns)
    expected = [[(loop.dim, loop.spatial) for loop in level.loops] for level in template.levels]
    got = [[(dim, spatial) for dim, spatial, _, _ in level] for level in levels]
    if got != expected:
        raise AssertionError(f"lowering of {family.structure.label()} disagrees with the pipeline: {got} != {expected}")
    counts = sub_cluster_counts(hardware.num_pes, [columns[c] for c in family.cluster_columns])
    return ([column[2] for level in levels for column in level], [column[3] for level in levels for column in level],
            counts)


def lower_family(family: Family, layer: LayerIR, template: LayerIR, values: np.ndarray,
                 hardware: HardwareSpec) -> MappingBatch:
    """The family's rows ``values`` as a MappingBatch on ``template`` (the pipeline's IR of one member,
    as :func:`maestroc.costmodel.shape_key` gives it: one object for all the family's batches)."""
    grid = lower_grid(family, layer, template, list(values.T), (len(values),), hardware)
    return grid.rows(np.arange(len(values)))


def lower_grid(family: Family, layer: LayerIR, template: LayerIR, columns: Sequence[Any], shape: tuple[int, ...],
               hardware: HardwareSpec, ranks: np.ndarray | None = None) -> MappingGrid:
    """The family's members over a grid (``columns``: each choice column as a grid column, Block.grid_columns)
    as a MappingGrid of ``shape`` on ``template``; with ``ranks`` (orders, top-level loops), the first axis
    is the orders (MappingBatch.ranks, one row per order)."""
    sizes, offsets, counts = _lowered(family, layer, template, columns, hardware)
    order_ranks = None
    if ranks is not None:
        order_ranks = tuple(ranks[:, i].reshape((-1,) + (1,) * (len(shape) - 1)) for i in range(ranks.shape[1]))

    def grid(values: list[Any]) -> tuple[Any, ...]:
        return tuple(v.astype(np.int64) if isinstance(v, np.ndarray) else int(v) for v in values)

    return MappingGrid(template, shape, grid(sizes), grid(offsets), grid(counts), order_ranks)


def directive_lines(directives: tuple[Loop | ClusterMark, ...]) -> list[str]:
    """The written directives as text lines of a Dataflow block."""
    lines = []
    for item in directives:
        if isinstance(item, ClusterMark):
            lines.append(f"Cluster({item.size}, P);")
        else:
            kind = "SpatialMap" if item.spatial else "TemporalMap"
            lines.append(f"{kind}({item.size},{item.offset}) {item.dim};")
    return lines
