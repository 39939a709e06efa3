"""level-dims: each level's static dimension table.

docs/passes.md N8 and docs/costmodel.md M6: the top level sees the layer's
full dimensions; a lower level sees, for each input/weight variable, the smaller
of the upper level's loop size and the upper level's dimension
(``ConstructLowerClusterDimensionTable``). These static tables, not the per-case
chunk sizes, drive the mapping-size tables and the spatial edge count.
"""

from __future__ import annotations

from dataclasses import replace

from maestroc.ir import LayerIR, NetworkIR
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
        dims = {d: s for d, s in layer.dims if d not in ("Y'", "X'")}
        levels[0] = replace(levels[0], dims=tuple(dims.items()))
        for index in range(1, len(levels)):
            upper = levels[index - 1]
            lower = {}
            for var in input_variables(layer):
                loop = upper.find(var)
                if loop is not None and var in dims:
                    lower[var] = min(loop.size, dims[var])
            dims = lower
            levels[index] = replace(levels[index], dims=tuple(dims.items()))
        return layer.with_levels(levels)
