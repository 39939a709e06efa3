"""Print the iteration cases of one layer's top level, as docs/costmodel-traces.md shows them.

Usage: python docs/examples/cases.py MAPPING.m HARDWARE.m [LAYER]

For every case of the top level, in MAESTRO's order: the state of each loop
(I Init, S Steady, E Edge; ``*`` marks a spatial state with a partly filled
sub-cluster), how often the case occurs, the loop that advanced (chg), the
ingress of the input and weight tensors, the output egress, the partial sums of
the first sub-cluster and the MACs over all sub-clusters. Then every analysis
the layer needed (the top level once, a lower level once per distinct chunk) with
its runtime on the given hardware. It only reads maestroc's cost model.
"""

from __future__ import annotations

import sys
from math import prod

import maestroc
from maestroc.algebra import IntegerAlgebra
from maestroc.costmodel import INIT, LayerAnalysis, case_order, shape_key, spatial_states, temporal_states
from maestroc.timing import folded


def main(mapping: str, hardware: str, name: str | None = None) -> None:
    result = maestroc.compile(mapping, hw=hardware)
    layer = next(layer for layer in result.network.layers if name in (None, layer.name))
    analysis = LayerAnalysis(layer)
    level = layer.levels[0]
    dims = {**level.dim_table(), **dict(layer.dims)}
    states = [spatial_states(loop.size, loop.offset, dims[loop.dim], level.sub_clusters) if loop.spatial
              else temporal_states(loop.size, loop.offset, dims[loop.dim]) for loop in level.loops]
    loops = " ".join(loop.dim for loop in level.loops)
    print(f"level 0 loops: {loops}  (P={level.sub_clusters})")
    print(f"{'case':>4}  {'states':<{2 * len(states)}} {'occ':>4} {'chg':>3} {'in':>4} {'w':>4} {'out':>4} "
          f"{'psum':>4} {'MACs':>5}")
    for number, case in enumerate(case_order(states)):
        tags = " ".join(s.position[0] + ("*" if s.edge_edge else "") for s in case).ljust(2 * len(case))
        changed = [loop.dim for loop, s in zip(level.loops, case) if s.position != INIT]
        chg = changed[-1] if changed else "-"
        print(f"{number:>4}  {tags}{prod(s.occurrences for s in case):>4} {chg:>3} "
              f"{analysis.ingress(0, case, 'input'):>4} {analysis.ingress(0, case, 'weight'):>4} "
              f"{analysis.egress(0, case):>4} {analysis.partial_sums(0, case):>4} {analysis.macs(0, case):>5}")
    fold = folded(shape_key(layer), IntegerAlgebra.of(result.hardware))  # the cost model on this design
    fold.top()
    for (index, chunk), level_result in fold.results.items():  # sub-levels first, as they are analysed
        sizes = " ".join(f"{dim}={size}" for dim, size in chunk)
        print(f"analysis of level {index} on {sizes}: runtime {level_result.runtime}, MACs {level_result.macs}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
