"""MAESTRO's data-centric cost model: iteration cases, reuse, traffic, delays, buffers.

This module and maestroc.timing are the one implementation of the model
(specified in docs/costmodel.md, whose rules are cited here as M1-M22). It runs on one layer of the normalised IR for one top-level sub-cluster
count. This half yields what the layer and the dataflow fix, as exact ints: each
level's counts (MACs, accesses, buffer needs, active PEs) and its processed
iteration cases (:class:`LevelCases`), cached per layer shape. maestroc.timing
folds the cases into the delays, runtime and bandwidth needs, which depend on the
NoC bandwidth and latency, the off-chip bandwidth and the SIMD lanes, over an
algebra (maestroc.algebra): ints for one design, int64 arrays for a grid,
sympy expressions for ``--emit reuse``. Nothing else computes a cost.

Vocabulary: a *level* is a cluster level of the IR; each loop ("directive") of a
level has iteration *states* (Init, Steady, Edge) and a *case* is one state per
directive, occurring ``occ`` times. ``P`` is the level's sub-cluster count and
``n_edge`` the number of active sub-clusters at a spatial edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from collections import OrderedDict
from functools import lru_cache
from math import prod
from typing import Any, Callable, Iterator

from maestroc.algebra import at_least, larger, negate, nonzero_or_one, select, smaller, tdiv
from maestroc.ir import LayerIR, Level, Loop
from maestroc.layertypes import OUTPUT_DIMS, SLIDING

Value = Any  # an int, or a value of the algebra (an int64 array, a sympy expression)
Dims = tuple[tuple[str, int], ...]

INIT, STEADY, EDGE = "Init", "Steady", "Edge"
TENSORS = ("input", "weight", "output")
# MAESTRO names the output's spatial coordinates by the input dims (Y, X) and maps them to Y', X'.
_INPUT_NAME = {o: i for o, i in OUTPUT_DIMS.items()}
_OUTPUT_NAME = {i: o for o, i in OUTPUT_DIMS.items()}


@dataclass(frozen=True)
class State:
    """One iteration state of a directive (DFA_iteration-analysis)."""

    position: str
    occurrences: int
    unrolled: bool = False
    init_edge: bool = False
    edge_edge: bool = False  # a spatial state with one partially filled sub-cluster

    @property
    def is_edge(self) -> bool:
        """M10: the Edge position, or an Init state whose tile exceeds the dimension."""
        return self.position == EDGE or self.init_edge


@dataclass
class Tables:
    """Mapping-size tables of a level (M4-M6: from its static dims), plus n_edge (M6)."""

    mapped: dict[str, int]
    unique: dict[str, int]
    mapped_edge: dict[str, int]
    unique_edge: dict[str, int]
    n_edge: Any  # an int, or an array of a batch
    single_edge: Any  # n_edge == 1: a bool (a batch is split so that it is one bool for all its mappings)


@dataclass
class LevelResult:
    """What one analysis of a level yields (MAESTRO's CostAnalyisResults)."""

    runtime: Value = 0
    macs: int = 0
    l1_read: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TENSORS, 0))
    l1_write: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TENSORS, 0))
    l2_read: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TENSORS, 0))
    l2_write: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TENSORS, 0))
    l2_req: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TENSORS, 0))
    l1_req: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TENSORS, 0))
    peak_bw: Value = 0
    avg_bw_sum: Value = 0  # divided by total_occurrences for the average
    total_occurrences: int = 0
    offchip_bw: Value = 0
    offchip_floor: Value = 0  # top level: the per-case delay floor set by the off-chip bandwidth
    delay_min: dict[str, Value] = field(default_factory=dict)
    delay_max: dict[str, Value] = field(default_factory=dict)
    delay_sum: dict[str, Value] = field(default_factory=dict)
    active_sum: int | Fraction = 0  # exact: an int unless a sub-level's average is fractional
    arithmetic_intensity: float = 0.0
    # Results MAESTRO pushes for this subtree, and the L1 requirement of the first one (M20).
    results_pushed: int = 1
    first_l1_req: dict[str, int] = field(default_factory=dict)

    @property
    def avg_active(self) -> Fraction:
        return Fraction(self.active_sum, self.total_occurrences or 1)


@dataclass(frozen=True)
class Case:
    """One processed iteration case of a level: what its delays are made of (maestroc.timing)."""

    occurrences: int
    ingress: int  # input and weight ingress of the case
    egress: int
    partial_sums: int  # the innermost level's compute, in MACs
    all_init: bool
    subs: tuple[tuple[int, Dims], ...]  # the sub-level chunks whose slowest runtime is the compute delay
    # Of ``ingress``, the weight's part: the systolic timing (maestroc.systolic) loads a stationary operand apart.
    weight_ingress: int


@dataclass(frozen=True)
class LevelCases:
    """A level's hardware-independent counts (``counts``: a LevelResult whose delays are unset) and cases."""

    counts: LevelResult
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class LayerCost:
    """A layer's cost for one top-level ``P``: ints, and values of the algebra it was analysed in."""

    top: LevelResult
    declared: tuple[tuple[str, int], ...]
    tensor_dims: dict[str, tuple[str, ...]]


def _by_dim(level: Level) -> dict[str, int]:
    """Index of the first loop over each dim (MAESTRO's FindDirective)."""
    first: dict[str, int] = {}
    for index, loop in enumerate(level.loops):
        first.setdefault(loop.dim, index)
    return first


def temporal_facts(size: Any, offset: Any, extent: Any) -> tuple[Any, Any, Any, Any, Any]:
    """A temporal loop's states (M3): (unrolled, init_edge, steady count, has Steady, has Edge).

    Ints for one loop, or arrays of a batch (then every state exists with a possibly zero count).
    """
    unrolled, init_edge = extent <= size, extent < size
    steady = tdiv(extent - size, offset)
    has_steady = (size < extent) & (steady > 0)
    has_edge = negate(init_edge) & (steady * offset + size < extent)
    return unrolled, init_edge, steady, has_steady, has_edge


def spatial_facts(size: Any, offset: Any, extent: Any, parts: Any) -> tuple[Any, ...]:
    """A spatial loop's states: :func:`temporal_facts`'s five, and whether its Edge has a partial sub-cluster."""
    coverage = size + offset * (parts - 1)
    unrolled, init_edge = extent <= coverage, extent < coverage
    steady = tdiv(tdiv(extent - size, offset) + 1, parts) - 1
    has_edge = (negate(unrolled) & ((steady + 1) * offset * parts + coverage > extent)
                & (steady * offset * parts + coverage != extent))
    has_steady = (coverage < extent) & (steady > 0)
    remaining = extent - (steady + 1) * offset * parts
    active = select(remaining < size, 1, tdiv(remaining - size, offset) + 1)
    edge_edge = (active - 1) * offset + size < remaining
    return unrolled, init_edge, steady, has_steady, has_edge, edge_edge


def temporal_states(size: int, offset: int, extent: int) -> list[State]:
    unrolled, init_edge, steady, has_steady, has_edge = temporal_facts(size, offset, extent)
    states = [State(INIT, 1, unrolled, init_edge)]
    if has_steady:
        states.append(State(STEADY, steady))
    if has_edge:
        states.append(State(EDGE, 1))
    return states


def spatial_states(size: int, offset: int, extent: int, parts: int) -> list[State]:
    unrolled, init_edge, steady, has_steady, has_edge, edge_edge = spatial_facts(size, offset, extent, parts)
    states = [State(INIT, 1, unrolled, init_edge, edge_edge=init_edge)]
    if has_steady:
        states.append(State(STEADY, steady))
    if has_edge:
        states.append(State(EDGE, 1, edge_edge=edge_edge))
    return states


def edge_sub_clusters(size: Any, offset: Any, extent: Any, parts: Any) -> Any:
    """M6: active sub-clusters at a spatial edge, from the static dims."""
    coverage = offset * (parts - 1) + size
    steady = tdiv(tdiv(extent - size, offset) + 1, parts) - 1
    remaining = extent - (steady + 1) * offset * parts
    beyond = select(remaining < size, 1, tdiv(remaining - size, offset) + 1)
    n = tdiv(extent - size, offset) + 1
    within = select(offset * (n - 1) + size < extent, n + 1, n)
    return select(extent > coverage, beyond, select(extent > size, within, 1))


def mapping_tables(level: Level, parts: int) -> Tables:
    """M4-M6: mapped / unique / edge sizes (and the Y'/X' rows) from the level's static dims."""
    return tables_of(level.loops, [loop.size for loop in level.loops], [loop.offset for loop in level.loops],
                     level.dim_table(), parts)


def tables_of(loops: tuple[Loop, ...], sizes: list[Any], offsets: list[Any], dims: dict[str, Any],
              parts: Any) -> Tables:
    """:func:`mapping_tables` with each loop's size and offset given apart: ints, or arrays of a batch."""
    mapped: dict[str, Any] = {}
    unique: dict[str, Any] = {}
    mapped_edge: dict[str, Any] = {}
    unique_edge: dict[str, Any] = {}
    for loop, m, o in zip(loops, sizes, offsets):
        d = dims.get(loop.dim, m)
        steady = at_least(tdiv(d - m, o), 0)
        has_edge = (steady * o + m < d) | (m > d)
        mapped[loop.dim] = m
        unique[loop.dim] = smaller(m, o) if loop.spatial else select(d <= m, 0, smaller(m, o))
        edge = d - (steady + 1) * o
        edge = select(edge < 0, d, edge)
        mapped_edge[loop.dim] = select(has_edge, edge, m)
        unique_edge[loop.dim] = at_least(o - (m - edge), 0)
    for loop, m, o in zip(loops, sizes, offsets):
        if loop.dim in SLIDING:
            window = SLIDING[loop.dim]
            out = _OUTPUT_NAME[loop.dim]
            mapped[out] = mapped[loop.dim] - mapped.get(window, 0) + 1
            unique[out] = smaller(o, m)
            mapped_edge[out] = mapped_edge[loop.dim] - mapped_edge.get(window, 0) + 1
            unique_edge[out] = smaller(o, mapped_edge[out])
    n_edge: Any = 1
    first = next((i for i, loop in enumerate(loops) if loop.spatial), None)
    if first is not None:
        loop = loops[first]
        n_edge = edge_sub_clusters(sizes[first], offsets[first], dims.get(loop.dim, sizes[first]), parts)
    return Tables(mapped, unique, mapped_edge, unique_edge, n_edge, n_edge == 1)


def case_order(state_lists: list[list[State]]) -> Iterator[tuple[State, ...]]:
    """MAESTRO's enumeration of the cases (M3): a shifted odometer, case 0 all-Init."""
    counts = [len(s) for s in state_lists]
    frequency = [prod(counts[i + 1:]) for i in range(len(counts))]
    counters = [0] * len(counts)
    for case in range(prod(counts)):
        states = []
        for i, options in enumerate(state_lists):
            states.append(options[counters[i]])
            if case % frequency[i] == 0:
                counters[i] = (counters[i] + 1) % counts[i]
        yield tuple(states)


class LayerAnalysis:
    """The hardware-independent analysis of one layer: levels top-down, sub-levels per case (M6, M13)."""

    def __init__(self, layer: LayerIR) -> None:
        self.layer = layer
        self.levels = layer.levels
        self.tensors = {t.name: tuple(_INPUT_NAME.get(d, d) for d in t.dims) for t in layer.tensors}
        self.parts = [level.sub_clusters or 1 for level in self.levels]
        self.tables = [mapping_tables(level, parts) for level, parts in zip(self.levels, self.parts)]
        self.first_index = [_by_dim(level) for level in self.levels]
        # For each loop, the index of the first loop over its dim: whose state the loop's dim is in.
        self.state_index = [tuple(first[loop.dim] for loop in level.loops)
                            for first, level in zip(self.first_index, self.levels)]
        # Each loop's rank in its level's order (outer first): its index, unless a batch of mappings of
        # several orders (maestroc.batch) gives ranks per mapping. Only the ingress reads the order (M7, M8).
        self.ranks: list[list[Any]] = [list(range(len(level.loops))) for level in self.levels]
        self._cache: dict[tuple[int, Dims], LevelCases] = {}

    @property
    def top_dims(self) -> Dims:
        """The chunk of the top level: its static dims and the layer's output rows ``Y'``/``X'``."""
        return self.levels[0].dims + tuple((k, v) for k, v in self.layer.dims if k in OUTPUT_DIMS)

    # ---- per-directive lookups -------------------------------------------------------------
    def _loop_states(self, level: int, states: tuple[State, ...]) -> list[State]:
        """The state of each loop's dim (its first loop's state: MAESTRO's FindDirective)."""
        return [states[j] for j in self.state_index[level]]

    def _spatial_coupling(self, level: int, states: tuple[State, ...], dims: tuple[str, ...],
                          all_spatial: bool = False) -> tuple[bool, bool, State | None]:
        """(is spatially mapped, is at a spatial edge, the spatial state) for a tensor's dims."""
        loops = self.levels[level].loops
        mapped = edge = False
        state: State | None = None
        for dim in dims:
            index = self.first_index[level].get(dim)
            if index is not None and loops[index].spatial:
                mapped, state = True, states[index]
                edge = edge or state.is_edge
        if all_spatial:
            for index, loop in enumerate(loops):
                if loop.spatial:
                    mapped, state = True, states[index]
                    edge = edge or state.is_edge
        return mapped, edge, state

    # ---- volumes (CA_reuse-analysis) ----------------------------------------------------------
    def _pe_mapped(self, level: int, states: tuple[State, ...], tensor: str, first: bool, ee: bool) -> int:
        t, volume = self.tables[level], 1
        coupled = self.tensors[tensor]
        for loop, state in zip(self.levels[level].loops, self._loop_states(level, states)):
            if loop.dim not in coupled:
                continue
            if not loop.spatial:
                volume = volume * (t.mapped_edge.get(loop.dim, 0) if state.is_edge else t.mapped.get(loop.dim, 0))
            elif state.is_edge:
                if t.single_edge and (first or ee):
                    volume = volume * t.mapped_edge.get(loop.dim, 0)
                elif not t.single_edge:
                    volume = volume * (t.mapped_edge.get(loop.dim, 0) if ee else t.mapped.get(loop.dim, 0))
            else:
                volume = volume * t.mapped.get(loop.dim, 0)
        return volume

    def _pe_ingress(self, level: int, states: tuple[State, ...], tensor: str, first: bool, ee: bool) -> int:
        """M7, M8: one sub-cluster's ingress of an input tensor in a case.

        The *changing* loop is the innermost loop not in Init; the loops inside it are all in Init.
        """
        loops = self.levels[level].loops
        loop_states = self._loop_states(level, states)
        moving = [i for i, state in enumerate(loop_states) if state.position != INIT]
        if not moving:
            return self._pe_mapped(level, states, tensor, first, ee)
        rank = self.ranks[level]
        last = rank[moving[0]]
        for i in moving[1:]:
            last = larger(last, rank[i])
        changing = {i: rank[i] == last for i in moving}  # bools, or arrays of a batch of several orders
        t, coupled = self.tables[level], self.tensors[tensor]
        inited: Any = False  # a coupled loop inside the changing one iterates (it restarts)
        for i, loop in enumerate(loops):
            if loop.dim in coupled and loop_states[i].position == INIT:
                inited = inited | ((rank[i] > last) & negate(loop_states[i].unrolled))
        volume, touched = 1, False
        for i, loop in enumerate(loops):
            if loop.dim not in coupled:
                continue
            state = loop_states[i]
            is_changing = changing.get(i, False)
            touched = touched | is_changing
            mapped = t.mapped_edge.get(loop.dim, 0) if ee else t.mapped.get(loop.dim, 0)
            unique = t.unique_edge.get(loop.dim, 0) if ee else t.unique.get(loop.dim, 0)
            if not loop.spatial:
                if state.position == INIT:
                    volume = volume * (t.mapped_edge.get(loop.dim, 0) if state.is_edge else t.mapped.get(loop.dim, 0))
                else:
                    volume = volume * select(is_changing & negate(inited), at_least(t.unique.get(loop.dim, 0), 1),
                                             t.mapped.get(loop.dim, 0))
            elif first:
                volume = volume * mapped
            elif state.position == INIT:
                volume = volume * select(rank[i] <= last, mapped, unique)
            else:
                volume = volume * select(negate(inited) & is_changing, unique, mapped)
        return select(touched, volume, 0)

    def _spread(self, level: int, states: tuple[State, ...], dims: tuple[str, ...], pe, all_spatial: bool = False,
                edge_pe=None) -> int:
        """Sum a per-sub-cluster volume over the active sub-clusters (spatial aggregation, M9)."""
        parts, t = self.parts[level], self.tables[level]
        mapped, edge, state = self._spatial_coupling(level, states, dims, all_spatial)
        if not mapped:
            return pe(True, False)
        if not edge:
            return pe(True, False) + (parts - 1) * pe(False, False)
        ee = state.edge_edge
        total = pe(True, True) if t.single_edge and ee else pe(True, False)
        if not t.single_edge:
            total = total + at_least(t.n_edge - ee - 1, 0) * pe(False, False) + ee * (edge_pe or pe)(False, True)
        return total

    def ingress(self, level: int, states: tuple[State, ...], tensor: str) -> int:
        return self._spread(level, states, self.tensors[tensor],
                            lambda first, ee: self._pe_ingress(level, states, tensor, first, ee))

    def _pe_egress(self, level: int, states: tuple[State, ...], psum: bool, first: bool, ee: bool,
                   reuse: bool = True) -> int:
        """M10: one sub-cluster's output tile (and, with ``psum``, its partial sums per output)."""
        t, out = self.tables[level], self.tensors["output"]
        loops, volume = self.levels[level].loops, 1
        single_edge = t.single_edge

        def spatial_factor(state: State, table_dim: str, edge_dim: str, init_edge_table: dict[str, int]) -> int:
            if state.position == INIT:
                if state.is_edge and ee:
                    if single_edge:
                        return t.mapped_edge.get(table_dim, 0)
                    return init_edge_table.get(table_dim, 0)
                if first:
                    return t.mapped.get(table_dim, 0)
                return nonzero_or_one(t.unique.get(table_dim, 0))
            if state.position == STEADY:
                return t.mapped.get(table_dim, 0) if first else nonzero_or_one(t.unique.get(table_dim, 0))
            if single_edge and (first or ee):
                return t.mapped_edge.get(edge_dim, 0)
            if not single_edge:
                if ee:
                    return t.unique_edge.get(table_dim, 0)
                return t.mapped.get(table_dim, 0) if first else nonzero_or_one(t.unique.get(table_dim, 0))
            return 1

        if psum:
            for loop, state in zip(loops, self._loop_states(level, states)):
                if loop.dim in out:
                    continue
                if not loop.spatial:
                    volume = volume * (t.mapped_edge.get(loop.dim, 0) if state.is_edge else t.mapped.get(loop.dim, 0))
                else:
                    volume = volume * spatial_factor(state, loop.dim, loop.dim, t.mapped_edge)
        for dim in out:
            index = self.first_index[level].get(dim)
            if index is None:
                continue
            state, actual = states[index], _OUTPUT_NAME.get(dim, dim)
            if not loops[index].spatial:
                if state.position == INIT:
                    volume = volume * (t.mapped_edge.get(actual, 0) if state.is_edge else t.mapped.get(actual, 0))
                elif state.position == STEADY:
                    volume = volume * t.mapped.get(actual, 0)
                else:
                    volume = volume * t.mapped_edge.get(actual, 0)
            else:
                # At a spatial Edge with one active sub-cluster MAESTRO reads the input name (M10).
                volume = volume * spatial_factor(state, actual, dim, t.unique_edge if reuse else t.mapped_edge)
        return volume

    def egress(self, level: int, states: tuple[State, ...]) -> int:
        return self._spread(level, states, self.tensors["output"],
                            lambda first, ee: self._pe_egress(level, states, False, first, ee))

    def partial_sums(self, level: int, states: tuple[State, ...]) -> int:
        mapped, edge, state = self._spatial_coupling(level, states, self.tensors["output"])
        ee = bool(mapped and edge and self.tables[level].single_edge and state.edge_edge)
        return self._pe_egress(level, states, True, True, ee)

    def macs(self, level: int, states: tuple[State, ...]) -> int:
        """M11: MACs of the case over the sub-clusters; full PEs count with the first PE's psums."""
        parts, t = self.parts[level], self.tables[level]
        mapped, edge, state = self._spatial_coupling(level, states, self.tensors["output"], all_spatial=True)
        if not mapped or not edge:
            return parts * self._pe_egress(level, states, True, True, False)
        ee = state.edge_edge
        total = self._pe_egress(level, states, True, True, t.single_edge and ee)
        if not t.single_edge:
            total = total + at_least(t.n_edge - ee - 1, 0) * self._pe_egress(level, states, True, True, False)
            total = total + ee * self._pe_egress(level, states, True, False, True, reuse=False)
        return total

    # ---- per-case sub-cluster dimensions --------------------------------------------------
    def sub_dimensions(self, level: int, states: tuple[State, ...], ee: bool) -> tuple[tuple[str, int], ...]:
        """ConstructSubClusterDimension: the chunk each sub-cluster gets in this case."""
        t, dims = self.tables[level], {}
        for loop, state in zip(self.levels[level].loops, self._loop_states(level, states)):
            if loop.dim in dims:
                continue
            if not loop.spatial:
                size = t.mapped_edge.get(loop.dim, 0) if state.is_edge else t.mapped.get(loop.dim, 0)
            elif state.position == STEADY or (state.position == INIT and not state.is_edge):
                size = t.mapped.get(loop.dim, 0)
            else:
                size = t.mapped_edge.get(loop.dim, 0) if (t.single_edge or ee) else t.mapped.get(loop.dim, 0)
            dims[loop.dim] = size
        for reference, window in SLIDING.items():
            if reference in dims:
                dims[_OUTPUT_NAME[reference]] = dims[reference] - dims.get(window, 0) + 1
        return tuple(dims.items())

    # ---- the cases of a level (AnalyzeClusterLevel_V2, its hardware-independent part) --------------
    def cases(self, level: int = 0, dims: Dims | None = None) -> LevelCases:
        """The level's counts and processed cases for the chunk ``dims`` (the whole layer at level 0)."""
        key = (level, self.top_dims if dims is None else dims)
        if key not in self._cache:
            if level == 0:
                self._cache[key] = self._cases(level, dict(key[1]))
            else:
                self._cache[key] = SUB_LEVELS.get(self.sub_level_key(*key),
                                                  lambda: self._cases(level, dict(key[1])))
        return self._cache[key]

    def sub_level_key(self, level: int, dims: Dims) -> tuple:
        """Everything a sub-level's cases depend on: layers of other shapes often share their sub-levels."""
        return (level, self.levels[level:], self.layer.tensors, self.layer.layer_type, dims)

    def _cases(self, level: int, dims: dict[str, int]) -> LevelCases:
        spec, t = self.levels[level], self.tables[level]
        parts = self.parts[level]
        innermost = level == len(self.levels) - 1
        state_lists = [
            spatial_states(loop.size, loop.offset, dims.get(loop.dim, loop.size), parts) if loop.spatial
            else temporal_states(loop.size, loop.offset, dims.get(loop.dim, loop.size))
            for loop in spec.loops]
        first_spatial = next(i for i, loop in enumerate(spec.loops) if loop.spatial)
        result = LevelResult()
        cases: list[Case] = []
        for states in case_order(state_lists):
            occ = prod(s.occurrences for s in states)
            if not cases:
                self._update_buffers(level, states, dims, result)
            egress = self.egress(level, states)
            macs = self.macs(level, states)
            psum = self.partial_sums(level, states)
            result.l2_write["output"] += occ * egress
            result.l1_write["output"] += occ * macs
            result.l1_read["output"] += occ * macs
            if psum <= 0:
                continue
            ingress_total = weight_ingress = 0
            for tensor in ("input", "weight"):
                ingress = self.ingress(level, states, tensor)
                ingress_total += ingress
                if tensor == "weight":
                    weight_ingress = ingress
                result.l2_read[tensor] += occ * ingress
                result.l1_write[tensor] = result.l2_read[tensor]
                result.l1_read[tensor] += occ * macs
            result.arithmetic_intensity = macs / ingress_total if ingress_total else \
                (float("inf") if macs else float("nan"))
            # The compute delay (maestroc.timing): the PE's MACs, or the slowest sub-cluster's runtime.
            spatial_state = states[first_spatial]
            active: int | Fraction = 0
            subs: list[tuple[tuple[int, Dims], int]] = []
            if not innermost:
                if spatial_state.is_edge:
                    if spatial_state.edge_edge:
                        subs.append(((level + 1, self.sub_dimensions(level, states, True)), 1))
                        if not t.single_edge:
                            subs.append(((level + 1, self.sub_dimensions(level, states, False)), t.n_edge - 1))
                    else:
                        subs.append(((level + 1, self.sub_dimensions(level, states, False)), t.n_edge))
                else:
                    subs.append(((level + 1, self.sub_dimensions(level, states, False)), parts))
                sub_counts = [(self.cases(*key).counts, count) for key, count in subs]
                if not cases:
                    result.first_l1_req = dict(sub_counts[0][0].first_l1_req)
                result.results_pushed += sum(sub.results_pushed for sub, _ in sub_counts)
                active = sum(sub.avg_active * count for sub, count in sub_counts)
            result.macs += occ * macs
            if active == 0:
                active = t.n_edge if spatial_state.is_edge else parts
            result.active_sum += active * occ
            result.total_occurrences += occ
            cases.append(Case(occ, ingress_total, egress, psum, all(s.position == INIT for s in states),
                              tuple(key for key, _ in subs), weight_ingress))
        if not cases or innermost:
            result.first_l1_req = dict(result.l1_req)
        return LevelCases(result, tuple(cases))

    def _update_buffers(self, level: int, states: tuple[State, ...], dims: dict[str, int],
                        result: LevelResult) -> None:
        """UpdateBufferSizeReq (M19, M15): double-buffered L2/L1 needs, L2 fills."""
        t = self.tables[level]
        for tensor in ("input", "weight"):
            coupled = self.tensors[tensor]
            result.l2_req[tensor] = result.l2_req[tensor] + 2 * self.ingress(level, states, tensor)
            result.l2_write[tensor] = prod(dims.get(d, 1) for d in coupled)
            result.l1_req[tensor] = result.l1_req[tensor] + 2 * prod(t.mapped[d] for d in coupled if d in t.mapped)
        coupled = self.tensors["output"]
        result.l2_req["output"] = 2 * self.egress(level, states)
        result.l2_read["output"] = prod(
            dims.get(d, 1) - dims.get(SLIDING[d], 1) + 1 if d in SLIDING and self.layer.layer_type != "GEMM"
            else dims.get(d, 1) for d in coupled)
        result.l1_req["output"] = 2 * prod(t.mapped[d] for d in coupled if d in t.mapped)


class BoundedCache:
    """A least-recently-used map of bounded size (results of sub-levels shared between layer shapes)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple, Any] = OrderedDict()

    def get(self, key: tuple, make: Callable[[], Any]) -> Any:
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = self.items[key] = make()
        if len(self.items) > self.size:
            self.items.popitem(last=False)
        return value

    def clear(self) -> None:
        self.items.clear()


SUB_LEVELS = BoundedCache(16384)


@lru_cache(maxsize=4096)
def structure_of(shape: LayerIR) -> LayerAnalysis:
    """The (cached) hardware-independent analysis of a layer shape; see :func:`shape_key`."""
    analysis = LayerAnalysis(shape)
    analysis.cases()
    return analysis


def shape_key(layer: LayerIR) -> LayerIR:
    """The layer without its name and source spans: equal for layers of one shape and dataflow."""
    levels = tuple(replace(level, loops=tuple(replace(loop, span=None, origin="") for loop in level.loops),
                           cluster=None) for level in layer.levels)
    return replace(layer, name="", span=None, levels=levels, maestro_name="", dataflow_from=None,  # type: ignore[arg-type]
                   declared=(), directives=())

