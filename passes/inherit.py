"""inherit: give each level the loops of the level above that it does not map itself.

docs/passes.md N5 (MAESTRO's ``InheritMissingDirectives``): every dimension mapped at
the upper level but absent here is prepended as ``TemporalMap(upper size, upper
offset)``. MAESTRO normalises one level completely before the next, so the copy
includes the upper level's unrolled loops and is taken *after* that level's
stride adjustment; this pass builds that view of the upper level with the unroll
and stride passes' own functions. The stride pass later adjusts a copied ``Y``/``X``
loop once more at its own level, exactly as MAESTRO does.
"""

from __future__ import annotations

from dataclasses import replace

from maestroc.ir import LayerIR, Loop, NetworkIR
from maestroc.pipeline import PassContext
from maestroc.passes.stride import adjust_level
from maestroc.passes.unroll import unroll_level


class InheritMissing:
    name = "inherit"
    summary = "prepend TemporalMap(upper size, upper offset) for every dim mapped above but not at this level"

    def run(self, network: NetworkIR, context: PassContext) -> NetworkIR:
        return network.with_layers([self._layer(layer) for layer in network.layers])

    @staticmethod
    def _layer(layer: LayerIR) -> LayerIR:
        levels = list(layer.levels)
        for index in range(1, len(levels)):
            upper = adjust_level(layer, unroll_level(layer, levels[index - 1], index - 1), index == 1)
            own = {loop.dim for loop in levels[index].loops}
            inherited: list[Loop] = []
            for loop in upper.loops:
                if loop.dim not in own:
                    inherited.insert(0, Loop(loop.dim, False, loop.size, loop.offset,
                                             origin=f"inherited from level {index - 1}"))
                    own.add(loop.dim)
            levels[index] = replace(levels[index], loops=tuple(inherited) + levels[index].loops)
        return layer.with_levels(levels)
