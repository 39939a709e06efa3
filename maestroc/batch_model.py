"""The cost model's case walk over a batch of mappings: the same formulas, with arrays of tile sizes.

maestroc.costmodel walks one mapping's iteration cases: each loop of a level has
an Init, a Steady and an Edge state (M3), a case is one state per loop, and the
level's counts and delays are sums over the cases (M7-M15). For a grid of
mappings that share a structure (maestroc.batch.MappingGrid) the loops' sizes, the
level dims, the mapping tables (M4-M6) and the occurrence counts become int64
arrays over the grid's axes, each varying only along the axes it depends on (a
value that depends on the K tile alone has one element per K tile, whatever the
grid's other axes); the volume formulas (``LayerAnalysis.ingress``,
``egress``, ``macs``, ``partial_sums``, ``sub_dimensions``, the buffer needs) and
the case delay (``timing.case_delay``) are the model's own functions, run on those
arrays.

What stays per-mapping control flow in those functions, the *flags* of a state
(unrolled, Init beyond the dimension, a partly filled edge sub-cluster) and
whether a level's spatial edge has one active sub-cluster, runs once per
combination of the flags a formula reads (maestroc.batch_flags). A state a mapping
does not have (no Steady iterations, no Edge) has occurrence count 0 there, so
mappings with different sets of states share one walk of the cases. A lower level
is walked once per distinct chunk a case hands down (M13), for the whole grid at
once.

A case that computes nothing (M15) adds only its outputs, as in the model; a
mapping whose *first* case computes nothing takes its buffer needs from a later
case, which the walk does not mirror: it is reported as irregular, and
maestroc.batch evaluates it one by one.
"""

from __future__ import annotations

from itertools import product
from math import prod
from typing import TYPE_CHECKING, Any

import numpy as np

from maestroc.algebra import INT64_SAFE
from maestroc.batch_flags import Combinations, combinations, for_each_combination
from maestroc.costmodel import (EDGE, INIT, STEADY, TENSORS, LayerAnalysis, LevelResult, State, Tables,
                                spatial_facts, tables_of, temporal_facts)
from maestroc.engine import ArrayAlgebra
from maestroc.hardware import HardwareSpec
from maestroc.passes.level_dims import lower_level_dims, top_level_dims
from maestroc.systolic import SystolicArray, stationary_flags
from maestroc.timing import case_delay, offchip_floors

if TYPE_CHECKING:  # maestroc.batch imports this module
    from maestroc.batch import MappingGrid

# What a walk computes (maestroc.batch.evaluate_batch's ``mode``).
EXACT = "exact"  # every figure of every mapping
BOUND = "bound"  # the top level's ingress left out after its first case (and the lower levels' where they
# read the order): a lower bound, the same for every order of the top level's loops (docs/mapping.md "Pruning")
NEEDS = "needs"  # each level's first case only: the buffer needs (L1, L2), nothing else

# A margin for the sums the walk forms: a batch whose layer has more than INT64_SAFE / 2**20 MACs
# per unit of NoC latency goes one by one (exact Python ints) instead.
_MARGIN = 2**20


class BatchModel:
    """The walk of one batch on one hardware design."""

    def __init__(self, grid: "MappingGrid", hardware: HardwareSpec, mode: str = EXACT) -> None:
        self._structure(grid)
        self.mode = mode
        # A bound leaves out the lower levels' ingress too where they read the order (lower_orders_free).
        self.lower_orders_exact = mode != BOUND or self.lower_orders_free()
        self.algebra = ArrayAlgebra(hardware.noc_bw, hardware.noc_latency, hardware.offchip_bw,
                                    hardware.num_simd_lanes, hardware.noc_topology)
        self.noc_latency = hardware.noc_latency
        self.irregular = np.zeros(grid.shape, dtype=bool)
        self.array: SystolicArray | None = None
        if hardware.noc_topology == "systolic":
            stationary = self.stationary()
            if any(isinstance(flag, np.ndarray) for flag in stationary.values()):
                raise ValueError("a systolic batch must keep the same tensors stationary (systolic_groups)")
            self.array = SystolicArray(prod(self.sub_clusters[1:]), self.sub_clusters[0],
                                       frozenset(t for t, flag in stationary.items() if flag))

    def _structure(self, grid: "MappingGrid") -> None:
        """The grid's loops per level, their sizes and offsets, and each level's static dims (N8)."""
        self.grid = grid
        self.layer = grid.template
        self.analysis = LayerAnalysis(grid.template)
        # The columns of each level's loops in the grid's size and offset columns.
        self.columns: list[list[int]] = []
        position = 0
        for level in self.layer.levels:
            self.columns.append(list(range(position, position + len(level.loops))))
            position += len(level.loops)
        # A column equal for the whole grid is an int: the formulas then compute it once, not per mapping.
        self.sizes = [_collapsed(column) for column in grid.sizes]
        self.offsets = [_collapsed(column) for column in grid.offsets]
        self.sub_clusters = [_collapsed(column) for column in grid.sub_clusters]
        dims: dict[str, Any] = top_level_dims(self.layer)
        self.static_dims = [dims]
        for index in range(1, len(self.layer.levels)):
            upper = self.layer.levels[index - 1]
            dims = lower_level_dims(self.layer, upper, [self.sizes[c] for c in self.columns[index - 1]], dims)
            self.static_dims.append(dims)
        self.several_orders = False
        if grid.ranks is not None:
            ranks = [_collapsed(rank) for rank in grid.ranks]
            self.several_orders = any(isinstance(rank, np.ndarray) for rank in ranks)
            if self.several_orders or ranks != self.analysis.ranks[0]:
                if not self.lower_orders_free():
                    raise ValueError("a batch of several orders whose lower levels read the order: "
                                     "evaluate each order apart")
                self.analysis.ranks[0] = ranks

    def lower_orders_free(self) -> bool:
        """Whether every temporal loop below the top iterates once, for every mapping of the batch.

        Its tile then covers the level's dim, so it is an unrolled Init in every case and M7's ingress
        does not read its position: the lower levels' figures are the same whatever the order of the
        loops the template's top level hands down (docs/mapping.md "Pruning").
        """
        for index in range(1, len(self.layer.levels)):
            for loop, column in zip(self.layer.levels[index].loops, self.columns[index]):
                extent = self.static_dims[index].get(loop.dim, self.sizes[column])
                if not loop.spatial and not np.all(np.asarray(self.sizes[column]) >= extent):
                    return False
        return True

    def stationary(self) -> dict[str, Any]:
        """S1 per tensor: whether no level below the top steps through its dims (bools, or arrays)."""
        levels = range(len(self.layer.levels))
        flags = stationary_flags(self.analysis, [[self.sizes[c] for c in self.columns[i]] for i in levels],
                                 [[self.offsets[c] for c in self.columns[i]] for i in levels],
                                 list(self.sub_clusters), self.static_dims)
        return {tensor: _collapsed(flag, bool) for tensor, flag in flags.items()}

    def int64_safe(self) -> bool:
        """Whether every count and cycle of the walk stays below int64's range, with a wide margin."""
        dims = self.layer.dim_table()
        # The dense MAC count: output rows and columns (Y', X') stand for the input's where both are given.
        volume = prod(size for dim, size in dims.items() if not (dim in ("Y", "X") and dim + "'" in dims))
        return volume * (self.noc_latency + 1) * _MARGIN < INT64_SAFE

    def evaluate(self) -> tuple[LevelResult, np.ndarray]:
        """The top level's results for every mapping, and which mappings are irregular."""
        return self._level(0, dict(self.analysis.top_dims)), self.irregular

    # ---- one level, for every mapping of the batch -------------------------------------------------
    def _level(self, level: int, chunk: dict[str, Any], buffers: bool = True) -> LevelResult:
        """Walk the cases of a level, each mapping on its own chunk (``chunk``: ints or arrays).

        Without ``buffers`` the level's buffer needs and counts are left out (zero): a lower level's
        walk for any case of its parent but the first gives the parent only its runtime.
        """
        analysis, alg = self.analysis, self.algebra
        spec = self.layer.levels[level]
        innermost = level == len(self.layer.levels) - 1
        sizes = [self.sizes[c] for c in self.columns[level]]
        offsets = [self.offsets[c] for c in self.columns[level]]
        parts = self.sub_clusters[level]
        tables = tables_of(spec.loops, sizes, offsets, self.static_dims[level], parts)
        tables.single_edge = _collapsed(np.asarray(tables.n_edge) == 1, bool)
        slots = [self._slots(loop.spatial, spatial_facts(size, offset, chunk.get(loop.dim, size), parts)
                             if loop.spatial else temporal_facts(size, offset, chunk.get(loop.dim, size)))
                 for loop, size, offset in zip(spec.loops, sizes, offsets)]
        first_spatial = next(i for i, loop in enumerate(spec.loops) if loop.spatial)
        result, counts = LevelResult(), LevelResult()
        floors = None
        sub_results: dict[tuple, LevelResult] = {}
        volumes: dict[tuple, Any] = {}
        first = True
        for states in product(*slots):
            occurrences = prod(state.occurrences for state in states)
            if not first and not np.any(occurrences):
                continue
            combos = combinations(states, tables.single_edge, occurrences)

            def each(formula: Any) -> Any:
                return self._each(level, tables, parts, combos, formula)

            psum = each(lambda st: analysis.partial_sums(level, st))
            if first:  # M15 at the first case: the buffer needs come from a later one; these go one by one
                self.irregular = self.irregular | (np.asarray(psum) <= 0)
            if self.mode == NEEDS:  # M19 takes the buffer needs at the first case: nothing else is walked
                return self._first_needs(level, states, tables, parts, combos, chunk, first_spatial)
            egress = each(lambda st: self._volume(volumes, level, tables, st, "output",
                                                  lambda: analysis.egress(level, st)))
            macs = each(lambda st: analysis.macs(level, st))
            if first and buffers:
                counts = self._buffers(level, tables, parts, combos, chunk)
                if level == 0:
                    floors = offchip_floors(alg, counts.l2_req)
            result.l2_write["output"] = result.l2_write["output"] + occurrences * egress
            result.l1_write["output"] = result.l1_write["output"] + occurrences * macs
            result.l1_read["output"] = result.l1_read["output"] + occurrences * macs
            if not first:  # M15: a case that computes nothing adds no ingress, MACs or delay (its outputs are counted)
                occurrences = occurrences * (psum > 0)
                if not np.any(occurrences):
                    continue
            ingress = weight = 0
            all_init = all(s.position == INIT for s in states)
            exact_ingress = all_init or self.mode != BOUND or (level > 0 and self.lower_orders_exact)
            for tensor in ("input", "weight"):
                result.l1_read[tensor] = result.l1_read[tensor] + occurrences * macs
                if not exact_ingress:
                    continue
                volume = each(lambda st: self._volume(volumes, level, tables, st, tensor,
                                                      lambda: analysis.ingress(level, st, tensor)))
                ingress = ingress + volume
                weight = volume if tensor == "weight" else weight
                result.l2_read[tensor] = result.l2_read[tensor] + occurrences * volume
            if innermost:
                compute = alg.cdiv(psum, alg.num_simd_lanes)
            else:
                compute, first_l1 = self._compute(level, states, tables, parts, combos, first_spatial, first,
                                                  sub_results)
                if first:
                    result.first_l1_req = first_l1
            delay, _, _ = case_delay(alg, compute, ingress, weight, egress, all_init,
                                     floors if level == 0 else None, self.array, level)
            result.runtime = result.runtime + occurrences * delay
            result.macs = result.macs + occurrences * macs
            first = False
        for tensor in ("input", "weight"):
            result.l1_write[tensor] = result.l2_read[tensor]
            result.l2_write[tensor] = counts.l2_write[tensor]
        result.l2_read["output"] = counts.l2_read["output"]
        result.l2_req = dict(counts.l2_req)
        if innermost:
            result.first_l1_req = dict(counts.l1_req)
        return result

    def _first_needs(self, level: int, states: tuple[State, ...], tables: Tables, parts: Any, combos: Combinations,
                     chunk: dict[str, Any], first_spatial: int) -> LevelResult:
        """The level's buffer needs (``l2_req``, ``first_l1_req``) from its first case, as :meth:`_level` takes them
        (a mapping whose first case computes nothing is marked irregular there)."""
        counts = self._buffers(level, tables, parts, combos, chunk)
        result = LevelResult(l2_req=dict(counts.l2_req))
        if level == len(self.layer.levels) - 1:
            result.first_l1_req = dict(counts.l1_req)
        else:
            _, result.first_l1_req = self._compute(level, states, tables, parts, combos, first_spatial, True, {})
        return result

    def _volume(self, volumes: dict[tuple, Any], level: int, tables: Tables, states: tuple[State, ...],
                tensor: str, formula: Any) -> Any:
        """A tensor's ingress (input, weight) or egress (output) in a case, remembered for the level's walk.

        It depends only on the states of the loops over the tensor's dims and, for an ingress, on which
        loop is the innermost to leave Init (M7, M10): cases equal in those share the value. In a batch
        of several orders that loop is each mapping's own, a function of which loops leave Init.
        """
        loop_states = self.analysis._loop_states(level, states)
        coupled = self.analysis.tensors[tensor]
        moving = tuple(i for i, s in enumerate(loop_states) if s.position != INIT)
        # M7: the innermost moving loop; with several orders it differs by mapping, and the moving set decides it.
        rank = self.analysis.ranks[level]
        changing = None if tensor == "output" else moving if self.several_orders and level == 0 else \
            max(moving, key=lambda i: rank[i], default=-1)
        key = (tensor, changing, tables.single_edge,
               tuple((s.position, s.unrolled, s.init_edge, s.edge_edge)
                     for loop, s in zip(self.layer.levels[level].loops, loop_states) if loop.dim in coupled))
        if key not in volumes:
            volumes[key] = formula()
        return volumes[key]

    # ---- flags: the formulas branch on them (maestroc.batch_flags) ---------------------------------
    def _each(self, level: int, tables: Tables, parts: Any, combos: Combinations, formula: Any) -> Any:
        """A formula of the case for every mapping of the grid (once per combination of the flags it reads)."""
        self.analysis.tables[level], self.analysis.parts[level] = tables, parts
        return for_each_combination(combos, tables, formula)

    def _buffers(self, level: int, tables: Tables, parts: Any, combos: Combinations,
                 chunk: dict[str, Any]) -> LevelResult:
        """M19's buffer needs, taken at the first case."""
        def needs(states: tuple[State, ...]) -> dict[str, dict[str, Any]]:
            counts = LevelResult()
            self.analysis._update_buffers(level, states, chunk, counts)
            return {"l2_req": counts.l2_req, "l1_req": counts.l1_req, "l2_write": counts.l2_write,
                    "l2_read": counts.l2_read}

        counts = LevelResult()
        for name, values in self._each(level, tables, parts, combos, needs).items():
            setattr(counts, name, values)
        return counts

    def _compute(self, level: int, states: tuple[State, ...], tables: Tables, parts: Any, combos: Combinations,
                 first_spatial: int, first: bool, sub_results: dict[tuple, LevelResult]) -> tuple[Any, dict[str, Any]]:
        """M13: the slowest lower-level runtime of the chunks this case hands down, and, for the level's
        ``first`` case, the first chunk's L1 need (the lower walks of the other cases skip their buffers).

        At a spatial Edge with a partly filled sub-cluster the lower level runs on the edge-edge
        chunk, and also on the normal chunk when more than one sub-cluster is active.
        """
        spatial = states[first_spatial]
        edge_edge = spatial.is_edge & spatial.edge_edge  # bools, or arrays of the batch
        single = tables.single_edge
        # The chunk depends only on which loops are at an edge (sub_dimensions): Init and Steady hand down the same.
        edges = tuple((s.position == EDGE, s.init_edge if isinstance(s.init_edge, bool) else id(s.init_edge))
                      for s in self.analysis._loop_states(level, states))

        def lower(ee: bool) -> LevelResult:
            key = (edges, ee)
            if key not in sub_results:
                chunk = self._each(level, tables, parts, combos,
                                   lambda st: dict(self.analysis.sub_dimensions(level, st, ee)))
                sub_results[key] = self._level(level + 1, chunk, buffers=first)
            return sub_results[key]

        if not np.any(edge_edge):
            plain = lower(False)
            return plain.runtime, dict(plain.first_l1_req)
        at_edge = lower(True)
        if np.all(edge_edge) and np.all(single):
            return at_edge.runtime, dict(at_edge.first_l1_req)
        plain = lower(False)
        with_both = self.algebra.vmax(at_edge.runtime, plain.runtime)
        runtime = np.where(edge_edge, np.where(single, at_edge.runtime, with_both), plain.runtime)
        first_l1 = {t: np.where(edge_edge, at_edge.first_l1_req[t], plain.first_l1_req[t]) for t in TENSORS}
        return runtime, first_l1

    @staticmethod
    def _slots(spatial: bool, fact: tuple) -> list[State]:
        """A loop's states: Init, and Steady/Edge where some mapping has them (count 0 where one has not)."""
        unrolled, init_edge = _collapsed(fact[0], bool), _collapsed(fact[1], bool)
        steady, has_steady, has_edge = fact[2], fact[3], fact[4]
        slots = [State(INIT, 1, unrolled, init_edge, edge_edge=init_edge if spatial else False)]
        if np.any(has_steady):
            slots.append(State(STEADY, np.where(has_steady, steady, 0)))
        if np.any(has_edge):
            edge_edge: Any = False
            if spatial:  # only the mappings with an Edge decide its flag
                at_edge, flag = np.broadcast_arrays(np.asarray(has_edge, dtype=bool), np.asarray(fact[5]))
                edge_edge = _collapsed(np.where(at_edge, flag, flag.flat[np.argmax(at_edge)]), bool)
            slots.append(State(EDGE, np.asarray(has_edge, dtype=np.int64), edge_edge=edge_edge))
        return slots


def _collapsed(values: Any, kind: type = int) -> Any:
    """A grid's column (``kind`` int) or flag (bool) as one Python value where it is equal for every mapping,
    else its array: the formulas then compute it once, not per mapping."""
    if not isinstance(values, np.ndarray) or values.ndim == 0:
        return kind(values)
    first = values.flat[0]
    return kind(first) if (values == first).all() else values
