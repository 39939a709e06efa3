"""unroll: map every input-tensor dimension the dataflow leaves out, fully, in one step.

docs/passes.md N6 (MAESTRO's ``UnrollMissingDirectives``): each variable of the input
and weight tensors (their sorted union) that the level does not map is appended
as ``TemporalMap(dim, dim)``: one iteration covering the whole dimension. This is
MAESTRO's rule for unspecified dimensions. Output-only dimensions (``K`` of a
DSCONV) are not added. Only the top level can lack a variable: every lower level
inherits all of its upper level's loops first (the inherit pass), and the upper
level maps every input variable once unrolled.
"""

from __future__ import annotations

from dataclasses import replace

from maestroc.ir import LayerIR, Level, Loop, NetworkIR
from maestroc.pipeline import PassContext


def input_variables(layer: LayerIR) -> list[str]:
    """The sorted union of the input and weight tensors' dimensions (MAESTRO's order)."""
    names = {d for t in layer.tensors if t.name in ("input", "weight") for d in t.dims}
    return sorted(names)


def unroll_level(layer: LayerIR, level: Level, index: int) -> Level:
    """``level`` with its missing input variables appended as full unrolls (top level only)."""
    if index != 0:
        return level
    dims = layer.dim_table()
    mapped = {loop.dim for loop in level.loops}
    added = tuple(Loop(var, False, dims[var], dims[var], origin="unrolled: not in the dataflow")
                  for var in input_variables(layer) if var not in mapped and var in dims)
    return replace(level, loops=level.loops + added) if added else level


class UnrollMissing:
    name = "unroll"
    summary = "append TemporalMap(dim, dim) for every input/weight dim the top level does not map"

    def run(self, network: NetworkIR, context: PassContext) -> NetworkIR:
        return network.with_layers([
            layer.with_levels([unroll_level(layer, level, i) for i, level in enumerate(layer.levels)])
            for layer in network.layers])
