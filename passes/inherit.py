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

from collections.abc import Sequence
from dataclasses import replace

from maestroc.ir import LayerIR, Loop, NetworkIR
from maestroc.passes.stride import adjust_level
from maestroc.passes.unroll import unroll_level
from maestroc.pipeline import PassContext


def inherited_positions(upper_dims: Sequence[str], own_dims: Sequence[str]) -> list[int]:
    """Which loops of the upper level (by position) a level prepends, in the order they end up in.

    Every dimension mapped above but not here, once: the first upper loop over it, and each
    new one goes in front of those already inherited.
    """
    own = set(own_dims)
    positions: list[int] = []
    for index, dim in enumerate(upper_dims):
        if dim not in own:
            positions.insert(0, index)
            own.add(dim)
    return positions


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
            positions = inherited_positions([loop.dim for loop in upper.loops],
                                            [loop.dim for loop in levels[index].loops])
            inherited = [Loop(upper.loops[i].dim, False, upper.loops[i].size, upper.loops[i].offset,
                              origin=f"inherited from level {index - 1}") for i in positions]
            levels[index] = replace(levels[index], loops=tuple(inherited) + levels[index].loops)
        return layer.with_levels(levels)
