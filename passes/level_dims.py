"""level-dims: each level's static dimension table.

docs/passes.md N8 and docs/costmodel.md M6: the top level sees the layer's
full dimensions; a lower level sees, for each input/weight variable, the smaller
of the upper level's loop size and the upper level's dimension
(``ConstructLowerClusterDimensionTable``). These static tables, not the per-case
chunk sizes, drive the mapping-size tables and the spatial edge count.
"""

from __future__ import annotations

from dataclasses import replace

from typing import Any

from maestroc.algebra import smaller
from maestroc.ir import LayerIR, Level, NetworkIR
from maestroc.passes.unroll import input_variables
from maestroc.pipeline import PassContext


class LevelDims:
    name = "level-dims"
    summary = "give each level its static dims: full dims at the top, min(upper loop size, upper dim) below"

    def run(self, network: NetworkIR, context: PassContext) -> NetworkIR:
        return network.with_layers([self._layer(layer) for layer in network.layers])

    @staticmethod
    def _layer(layer: LayerIR) -> LayerIR:
        if not layer.levels:
            return layer
        levels = list(layer.levels)
        dims: dict[str, Any] = top_level_dims(layer)
        levels[0] = replace(levels[0], dims=tuple(dims.items()))
        for index in range(1, len(levels)):
            upper = levels[index - 1]
            dims = lower_level_dims(layer, upper, [loop.size for loop in upper.loops], dims)
            levels[index] = replace(levels[index], dims=tuple(dims.items()))
        return layer.with_levels(levels)


def top_level_dims(layer: LayerIR) -> dict[str, int]:
    """The top level's static dims: the layer's, without the output rows."""
    return {d: s for d, s in layer.dims if d not in ("Y'", "X'")}


def lower_level_dims(layer: LayerIR, upper: Level, upper_sizes: list[Any], dims: dict[str, Any]) -> dict[str, Any]:
    """N8 for the level below ``upper`` (whose loops have ``upper_sizes``: ints, or arrays of a batch)."""
    lower = {}
    for var in input_variables(layer):
        index = next((i for i, loop in enumerate(upper.loops) if loop.dim == var), None)
        if index is not None and var in dims:
            lower[var] = smaller(upper_sizes[index], dims[var])
    return lower
