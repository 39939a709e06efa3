"""split-levels: cut the flat directive list into cluster levels at each ``Cluster``.

docs/passes.md N3: ``Cluster(n, P|L)`` closes the current level; the directives
after the last Cluster form the innermost level (MAESTRO appends an implicit
Cluster to close it). Levels are stored outermost first.
"""

from __future__ import annotations

from dataclasses import replace

from maestroc.ir import ClusterMark, LayerIR, Level, Loop, NetworkIR
from maestroc.pipeline import PassContext


class SplitLevels:
    name = "split-levels"
    summary = "split the directive list into cluster levels at each Cluster, plus the implicit innermost level"

    def run(self, network: NetworkIR, context: PassContext) -> NetworkIR:
        return network.with_layers([self._layer(layer) for layer in network.layers])

    @staticmethod
    def _layer(layer: LayerIR) -> LayerIR:
        if not layer.directives:
            return layer
        levels: list[Level] = []
        loops: list[Loop] = []
        for item in layer.directives:
            if isinstance(item, ClusterMark):
                levels.append(Level(loops=tuple(loops), cluster=item))
                loops = []
            else:
                loops.append(item)
        levels.append(Level(loops=tuple(loops)))
        return replace(layer, directives=(), levels=tuple(levels))
