"""IR invariants, checked after every pass with ``--verify-each`` (and by the tests).

An invariant that fails is a bug in a pass, never a user error: the CLI reports it
as an internal error. Which invariants hold depends on the passes that have run.
"""

from __future__ import annotations

from maestroc.ir import LayerIR, NetworkIR
from maestroc.layertypes import OUTPUT_DIMS, SLIDING
from maestroc.passes.unroll import input_variables


def verify(network: NetworkIR, completed: list[str]) -> list[str]:
    """Problems with the IR after the ``completed`` passes; empty when all invariants hold."""
    done = set(completed)
    problems: list[str] = []
    for layer in network.layers:
        problems.extend(f"layer {layer.name}: {p}" for p in _verify_layer(layer, done, network))
    return problems


def _verify_layer(layer: LayerIR, done: set[str], network: NetworkIR) -> list[str]:
    problems = []
    loops = [item for item in layer.directives if hasattr(item, "dim")] + \
        [loop for level in layer.levels for loop in level.loops]
    for loop in loops:
        if loop.size < 1 or loop.offset < 1:  # type: ignore[union-attr]
            problems.append(f"loop {loop} has a size or offset below 1")
    if "tables" in done and layer.dims:
        dims = layer.dim_table()
        for tensor in layer.tensors:
            missing = [d for d in tensor.dims if d not in dims and d != "N"]
            if missing:
                problems.append(f"tensor {tensor.name} is coupled to undeclared {missing}")
    if "split-levels" in done:
        if layer.directives:
            problems.append("the flat directive list survived split-levels")
        for index, level in enumerate(layer.levels):
            last = index == len(layer.levels) - 1
            if last != (level.cluster is None):
                problems.append(f"level {index}: only the innermost level lacks a closing Cluster")
    if "input-centric" in done:
        for index, level in enumerate(layer.levels):
            for output, input_ in OUTPUT_DIMS.items():
                if level.find(output) and level.find(SLIDING[input_]) and not level.find(input_):
                    problems.append(f"level {index}: {output} left unconverted although {SLIDING[input_]} is mapped")
    if "inherit" in done:
        for index in range(1, len(layer.levels)):
            above = {loop.dim for loop in layer.levels[index - 1].loops}
            here = {loop.dim for loop in layer.levels[index].loops}
            if not above <= here:
                problems.append(f"level {index} does not map {sorted(above - here)} mapped above")
    if "unroll" in done and layer.levels and layer.dims:
        dims = layer.dim_table()
        top = {loop.dim for loop in layer.levels[0].loops}
        missing = [v for v in input_variables(layer) if v in dims and v not in top]
        if missing:
            problems.append(f"top level leaves {missing} unmapped after unroll")
    if "level-dims" in done:
        previous: dict[str, int] | None = None
        for index, level in enumerate(layer.levels):
            dims = level.dim_table()
            if not dims:
                problems.append(f"level {index} has no dimension table")
            if previous is not None and any(v > previous.get(k, v) for k, v in dims.items()):
                problems.append(f"level {index} has a dimension larger than the level above")
            previous = dims
    if "size-levels" in done and network.hardware is not None:
        for index, level in enumerate(layer.levels):
            if level.sub_clusters is None or level.sub_clusters < 0:
                problems.append(f"level {index} has no sub-cluster count")
            elif index > 0 and level.sub_clusters != layer.levels[index - 1].cluster.size:  # type: ignore[union-attr]
                problems.append(f"level {index}: sub-clusters differ from the Cluster size above")
    return problems
