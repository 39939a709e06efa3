"""A brute-force walker over a layer's loop nest, iteration by iteration.

The cost model never simulates a loop: it groups iterations into Init/Steady/Edge
cases, counts how often each case occurs, builds expressions in the hardware
symbols and evaluates them. This walker checks that algebra independently. It
derives every loop's tiles from the loop's meaning (a tile starts every
``offset``; a spatial step hands one tile to each sub-cluster; a tile that runs
past the dimension, or a step that leaves sub-clusters without a full tile, is
an edge), walks all iterations of the nest in order, finds the loop that just
advanced, recurses into the sub-level for *every* iteration (no caching), and
adds up ingress, egress, MACs and cycles with plain integers for one design.

What it shares with the model is the per-state volume rules (which sub-cluster
gets how much of a tensor in a given state: MAESTRO's reuse rules, docs/costmodel.md M7-M11),
taken from ``LayerAnalysis``; everything that turns them into totals is its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from maestroc.costmodel import EDGE, INIT, STEADY, LayerAnalysis, State
from maestroc.hardware import HardwareSpec


@dataclass
class Totals:
    runtime: int = 0
    macs: int = 0
    ingress: dict[str, int] | None = None
    egress: int = 0

    def __post_init__(self) -> None:
        self.ingress = {"input": 0, "weight": 0}


def temporal_tiles(size: int, offset: int, extent: int) -> list[State]:
    """One State per temporal tile, in order."""
    if extent <= size:
        return [State(INIT, 1, unrolled=True, init_edge=extent < size)]
    starts = list(range(0, extent - size + 1, offset))  # tiles that fit completely
    tiles = [State(INIT if i == 0 else STEADY, 1) for i in range(len(starts))]
    if starts[-1] + size < extent:  # the last full tile stops short: one partial tile
        tiles.append(State(EDGE, 1))
    return tiles


def spatial_steps(size: int, offset: int, extent: int, parts: int) -> list[State]:
    """One State per spatial step (``parts`` tiles side by side), in order."""
    coverage = size + offset * (parts - 1)
    if extent <= coverage:
        return [State(INIT, 1, unrolled=True, init_edge=extent < coverage, edge_edge=extent < coverage)]
    full_tiles = (extent - size) // offset + 1
    full_steps = full_tiles // parts
    steps = [State(INIT if i == 0 else STEADY, 1) for i in range(full_steps)]
    covered = (full_steps - 1) * offset * parts + coverage
    if covered != extent:
        remaining = extent - full_steps * offset * parts
        active = 1 if remaining < size else (remaining - size) // offset + 1
        steps.append(State(EDGE, 1, edge_edge=(active - 1) * offset + size < remaining))
    return steps


def walk(analysis: LayerAnalysis, hardware: HardwareSpec, level: int = 0,
         dims: dict[str, int] | None = None) -> Totals:
    """Totals of one level (and everything below it) by visiting every iteration."""
    spec = analysis.levels[level]
    if dims is None:
        dims = dict(analysis.levels[0].dims) | {k: v for k, v in analysis.layer.dims if k in ("Y'", "X'")}
    parts = spec.sub_clusters or 1
    per_loop = [spatial_steps(loop.size, loop.offset, dims.get(loop.dim, loop.size), parts) if loop.spatial
                else temporal_tiles(loop.size, loop.offset, dims.get(loop.dim, loop.size)) for loop in spec.loops]
    innermost = level == len(analysis.levels) - 1
    totals = Totals()
    l2_need: dict[str, int] | None = None
    first_spatial = next(i for i, loop in enumerate(spec.loops) if loop.spatial)
    n_edge = analysis.tables[level].n_edge
    for states in product(*per_loop):  # the loop nest, outermost loop first
        egress = analysis.egress(level, states)
        totals.egress += egress
        psum = analysis.partial_sums(level, states)
        if psum <= 0:
            continue
        macs = analysis.macs(level, states)
        ingress = {t: analysis.ingress(level, states, t) for t in ("input", "weight")}
        if l2_need is None:
            l2_need = {"in": 2 * ingress["input"] + 2 * ingress["weight"], "out": 2 * egress}
        for tensor, volume in ingress.items():
            totals.ingress[tensor] += volume
        totals.macs += macs
        if innermost:
            compute = -(-psum // hardware.num_simd_lanes)
        else:
            spatial = states[first_spatial]
            subs = []
            if spatial.is_edge and spatial.edge_edge:
                subs.append(analysis.sub_dimensions(level, states, True))
                if n_edge > 1:
                    subs.append(analysis.sub_dimensions(level, states, False))
            else:
                subs.append(analysis.sub_dimensions(level, states, False))
            compute = max(walk(analysis, hardware, level + 1, dict(d)).runtime for d in subs)
        latency, bw = hardware.noc_latency, hardware.noc_bw
        in_delay = latency + -(-sum(ingress.values()) // bw) - 1
        eg_delay = latency + -(-egress // bw) - 1
        first_iteration = all(s.position == INIT for s in states)
        delay = compute + in_delay if first_iteration else max(in_delay, compute, eg_delay)
        if level == 0:
            floor_in = _trunc(_trunc(l2_need["in"], hardware.offchip_bw), 2)
            floor_out = _trunc(_trunc(l2_need["out"], hardware.offchip_bw), 2)
            delay = max(floor_in, delay, floor_out)
        totals.runtime += delay
    return totals


def _trunc(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q
