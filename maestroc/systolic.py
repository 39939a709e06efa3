"""The systolic timing rules (``noc_topology: systolic``): what a 2-D array of neighbour links costs.

MAESTRO's timing (docs/costmodel.md M12-M14) overlaps every case's transfers with its compute,
``max(ingress, compute, egress)``, and charges a nested level's first load in series with its
compute. A systolic array does neither: operands move one PE per cycle over neighbour links, so
a new stationary tile must be shifted in through the array's edge, and a stream that starts
fills the array and drains it (the skew of its rows and columns) before the last result leaves.
These rules replace the case delay of maestroc.timing.Fold at one place (``Fold._fold``); the
counts, the NoC delays of M12 and everything else of the model are unchanged. docs/systolic.md
states the rules (S1-S5) with a worked example.

The rules are written over the algebra (maestroc.algebra), so ints, int64 grids and sympy
expressions all follow them; the array's shape and its stationary tensors are plain ints and
names, fixed by the dataflow's structure (:func:`array_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

from maestroc.algebra import Algebra, negate, select
from maestroc.costmodel import LayerAnalysis, Value, shape_key, structure_of
from maestroc.diagnostics import Diagnostics
from maestroc.hardware import HardwareSpec
from maestroc.ir import NetworkIR
from maestroc.layertypes import OUTPUT_DIMS

_INPUT_NAME = dict(OUTPUT_DIMS)  # the output's Y'/X' are stepped under the input names Y/X


@dataclass(frozen=True)
class SystolicArray:
    """S1: the array a dataflow's cluster structure describes, and what stays in it while it streams.

    ``cols`` is the top level's sub-cluster count, ``rows`` the PEs under each of them (the product
    of the lower levels' sub-cluster counts; 1 for a one-level dataflow: a linear array).
    ``stationary`` holds the tensors no level below the top steps: their tile stays in the PEs for a
    whole top-level case while the other operands stream through.
    """

    rows: int
    cols: int
    stationary: frozenset[str]

    @property
    def skew(self) -> int:
        """S2: cycles for a stream to fill the array and drain it (one hop per cycle, rows + columns)."""
        return self.rows + self.cols - 2

    @property
    def load_depth(self) -> int:
        """S3: cycles to shift a stationary input tile in through the edge (one row per cycle), or 0."""
        return self.rows if self.stationary & {"input", "weight"} else 0


def array_of(analysis: LayerAnalysis) -> SystolicArray:
    """The array of a layer's analysed dataflow (S1)."""
    levels = analysis.levels
    stays = stationary_flags(analysis, [[loop.size for loop in level.loops] for level in levels],
                             [[loop.offset for loop in level.loops] for level in levels],
                             [level.sub_clusters or 1 for level in levels], [level.dim_table() for level in levels])
    stationary = frozenset(name for name, flag in stays.items() if flag)
    return SystolicArray(prod(level.sub_clusters or 1 for level in levels[1:]), levels[0].sub_clusters or 1,
                         stationary)


def stationary_flags(analysis: LayerAnalysis, sizes: list[list[Any]], offsets: list[list[Any]], parts: list[Any],
                     dims: list[dict[str, Any]]) -> dict[str, Any]:
    """S1 per tensor: whether it stays in the array, no level below the top stepping through its dims
    (a level steps through a dim when its loops cover less than its chunk).

    Per level the loops' sizes and offsets, the sub-cluster count and the static dims: ints for one
    dataflow, or arrays of a batch of mappings (maestroc.batch), whose flags are then arrays too.
    """
    stepped: dict[str, Any] = {}
    for index, level in enumerate(analysis.levels[1:], start=1):
        for loop, size, offset in zip(level.loops, sizes[index], offsets[index]):
            dim = _INPUT_NAME.get(loop.dim, loop.dim)
            extent = dims[index].get(loop.dim, dims[index].get(dim, size))
            covered = size + offset * (parts[index] - 1) if loop.spatial else size
            stepped[dim] = stepped.get(dim, False) | (covered < extent)
    flags = {}
    for tensor, tensor_dims in analysis.tensors.items():
        moving: Any = False
        for dim in tensor_dims:
            moving = moving | stepped.get(dim, False)
        flags[tensor] = negate(moving)
    return flags


def report_pipelines(network: NetworkIR, hardware: HardwareSpec, diagnostics: Diagnostics,
                     strict: bool = False) -> None:
    """C406: under the systolic rules, the layers whose dataflow keeps no tensor stationary (flagged, not validated)."""
    if hardware.noc_topology != "systolic":
        return
    flagged = [layer for layer in network.layers if layer.levels and layer.name not in network.illegal
               and not array_of(structure_of(shape_key(layer))).stationary]
    if not flagged:
        return
    more = f" ({len(flagged)} layers: the first is shown)" if len(flagged) > 1 else ""
    add = diagnostics.error if strict else diagnostics.warning
    add("C406", f"layer `{flagged[0].name}`: under noc_topology systolic its dataflow keeps no tensor stationary "
        f"below the top level{more}; the systolic rules time it as a pipeline filled once, which they were not "
        "validated on", flagged[0].span, notes=["docs/systolic.md#limits"])


def case_delay(alg: Algebra, array: SystolicArray, level: int, compute: Value, ingress: Value,
               weight_ingress: Value, egress: Value, first: bool) -> Value:
    """The delay of one case of ``level`` on ``array`` (S2-S5), in the algebra ``alg``.

    ``compute`` is the case's compute delay (M13: the sub-level's runtime, or the PE's MACs per
    lane); ``ingress`` (input and weight, of which ``weight_ingress`` is the weight's) and ``egress``
    its volumes: ints, or arrays of a batch of mappings (then ``array``'s sizes may be arrays too,
    and the choices below are made mapping by mapping); ``first`` whether it is the level's first case.
    """
    def noc(volume: Value) -> Value:  # M12
        return alg.noc_latency + alg.cdiv(volume, alg.noc_bw) - 1

    if level > 0:  # S4: a nested level's operands stream in while it computes, its first load included
        return alg.vmax(noc(ingress), compute, noc(egress))
    held = {"input": ingress - weight_ingress, "weight": weight_ingress}
    loaded = sum(volume for tensor, volume in held.items() if tensor in array.stationary)
    streamed = ingress - loaded
    stream = alg.vmax(noc(streamed), compute, noc(egress))
    some_loaded = loaded > 0
    # S5: without a new stationary tile the stream goes on without a fill.
    new_tile = True if first else some_loaded | ("output" in array.stationary and egress > 0)
    load = select(some_loaded, alg.vmax(array.load_depth, noc(loaded)), 0)
    return select(new_tile, load + stream + array.skew, stream)  # S2, S3: load, stream, fill and drain
