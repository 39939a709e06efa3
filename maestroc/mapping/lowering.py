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

from dataclasses import replace

import numpy as np

from maestroc import ast
from maestroc.batch import MappingBatch
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

Column = tuple[str, bool, np.ndarray, np.ndarray]  # (dim, spatial, sizes, offsets) of one loop over a family


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


def loop_values(layer: LayerIR, loop: WrittenLoop, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A written loop's (sizes, offsets) over the family's rows (``values``: the choice table)."""
    dims = layer.dim_table()
    rows = len(values)
    if loop.form == "whole":
        full = np.full(rows, dims[loop.dim], dtype=np.int64)
        return full, full.copy()
    if loop.form == "reuse":
        one = np.ones(rows, dtype=np.int64)
        return one, one.copy()
    tile = values[:, loop.column]
    if loop.form == "window":
        return tile + dims[SLIDING[loop.dim]] - 1, tile.copy()
    return tile.copy(), tile.copy()


def written_levels(family: Family, layer: LayerIR, values: np.ndarray) -> list[list[Column]]:
    """The written loops of every row, level by level, as columns."""
    return [[(loop.dim, loop.spatial, *loop_values(layer, loop, values)) for loop in level]
            for level in family.structure.levels]


def written_directives(family: Family, layer: LayerIR, row: np.ndarray) -> tuple[Loop | ClusterMark, ...]:
    """One member's directives, as ``maestroc.passes.resolve`` would produce them from its text."""
    levels = written_levels(family, layer, row[None, :])
    clusters = [int(row[c]) for c in family.cluster_columns]
    out: list[Loop | ClusterMark] = []
    for index, level in enumerate(levels):
        if index:
            out.append(ClusterMark(clusters[index - 1], None))
        out += [Loop(dim, spatial, int(sizes[0]), int(offsets[0])) for dim, spatial, sizes, offsets in level]
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


def lowered_levels(family: Family, layer: LayerIR, values: np.ndarray) -> list[list[Column]]:
    """Every level's final loops over the rows: inherit (N5), then the stride (N7), level by level."""
    out: list[list[Column]] = []
    for index, own in enumerate(written_levels(family, layer, values)):
        if index:
            upper = out[-1]
            positions = inherited_positions([loop[0] for loop in upper], [loop[0] for loop in own])
            own = [(upper[i][0], False, upper[i][2], upper[i][3]) for i in positions] + own
        out.append(_with_stride(layer, own, index == 0))
    return out


def lower_family(family: Family, layer: LayerIR, template: LayerIR, values: np.ndarray,
                 hardware: HardwareSpec) -> MappingBatch:
    """The family's rows ``values`` as a MappingBatch on ``template`` (the pipeline's IR of one member,
    as :func:`maestroc.costmodel.shape_key` gives it: one object for all the family's batches)."""
    levels = lowered_levels(family, layer, values)
    expected = [[(loop.dim, loop.spatial) for loop in level.loops] for level in template.levels]
    got = [[(dim, spatial) for dim, spatial, _, _ in level] for level in levels]
    if got != expected:
        raise AssertionError(f"lowering of {family.structure.label()} disagrees with the pipeline: {got} != {expected}")
    sizes = np.stack([column[2] for level in levels for column in level], axis=1)
    offsets = np.stack([column[3] for level in levels for column in level], axis=1)
    counts = sub_cluster_counts(hardware.num_pes, [values[:, c] for c in family.cluster_columns])
    sub_clusters = np.stack([np.broadcast_to(np.asarray(c, dtype=np.int64), (len(values),)) for c in counts], axis=1)
    return MappingBatch(template, sizes.astype(np.int64), offsets.astype(np.int64), sub_clusters)


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
