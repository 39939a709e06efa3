"""The cost model's case walk over a batch of mappings: the same formulas, with arrays of tile sizes.

maestroc.costmodel walks one mapping's iteration cases: each loop of a level has
an Init, a Steady and an Edge state (M3), a case is one state per loop, and the
level's counts and delays are sums over the cases (M7-M15). For a batch of
mappings that share a structure (maestroc.batch) the loops' sizes, the level
dims, the mapping tables (M4-M6) and the occurrence counts become int64 arrays,
one element per mapping; the volume formulas (``LayerAnalysis.ingress``,
``egress``, ``macs``, ``partial_sums``, ``sub_dimensions``, the buffer needs) and
the case delay (``timing.case_delay``) are the model's own functions, run on those
arrays.

What stays per-mapping control flow in those functions, the *flags* of a state
(unrolled, Init beyond the dimension, a partly filled edge sub-cluster) and
whether a level's spatial edge has one active sub-cluster, splits the batch into
groups with equal flags. A state a mapping does not have (no Steady iterations,
no Edge) has occurrence count 0 there, so mappings with different sets of states
share a group and one walk of its cases. A lower level is walked once per
distinct chunk a case hands down (M13), for the whole group at once.

Mappings with a case that computes nothing (M15), which the walk does not mirror,
are reported as irregular; maestroc.batch evaluates them one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from math import prod
from typing import TYPE_CHECKING, Any

import numpy as np

from maestroc.algebra import INT64_SAFE
from maestroc.costmodel import (EDGE, INIT, STEADY, TENSORS, LayerAnalysis, LevelResult, State, Tables,
                                spatial_facts, tables_of, temporal_facts)
from maestroc.engine import ArrayAlgebra
from maestroc.hardware import HardwareSpec
from maestroc.passes.level_dims import lower_level_dims, top_level_dims
from maestroc.timing import case_delay, offchip_floors

if TYPE_CHECKING:  # maestroc.batch imports this module
    from maestroc.batch import MappingBatch

# A margin for the sums the walk forms: a batch whose layer has more than INT64_SAFE / 2**20 MACs
# per unit of NoC latency goes one by one (exact Python ints) instead.
_MARGIN = 2**20


@dataclass
class LevelArrays:
    """A level's results for the mappings it was walked for (ints or arrays of their number)."""

    runtime: Any = 0
    macs: Any = 0
    l1_read: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(TENSORS, 0))
    l1_write: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(TENSORS, 0))
    l2_read: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(TENSORS, 0))
    l2_write: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(TENSORS, 0))
    l2_req: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(TENSORS, 0))
    first_l1_req: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(TENSORS, 0))

    def fields(self) -> list[tuple[str, str | None]]:
        """(attribute, tensor) of every value, for gathering group results into one."""
        scalars: list[tuple[str, str | None]] = [("runtime", None), ("macs", None)]
        return scalars + [(name, t) for name in ("l1_read", "l1_write", "l2_read", "l2_write", "l2_req",
                                                 "first_l1_req") for t in TENSORS]


class BatchModel:
    """The walk of one batch on one hardware design."""

    def __init__(self, batch: "MappingBatch", hardware: HardwareSpec) -> None:
        self.batch = batch
        self.layer = batch.template
        self.analysis = LayerAnalysis(batch.template)
        self.algebra = ArrayAlgebra(hardware.noc_bw, hardware.noc_latency, hardware.offchip_bw,
                                    hardware.num_simd_lanes)
        self.noc_latency = hardware.noc_latency
        # The columns of each level's loops in the batch's size and offset arrays.
        self.columns: list[list[int]] = []
        position = 0
        for level in self.layer.levels:
            self.columns.append(list(range(position, position + len(level.loops))))
            position += len(level.loops)
        # A column equal for the whole batch is an int: the formulas then compute it once, not per mapping.
        self.sizes = _columns(batch.sizes)
        self.offsets = _columns(batch.offsets)
        self.sub_clusters = _columns(batch.sub_clusters)
        # Each level's static dims (N8), over the whole batch.
        dims: dict[str, Any] = top_level_dims(self.layer)
        self.static_dims = [dims]
        for index in range(1, len(self.layer.levels)):
            upper = self.layer.levels[index - 1]
            dims = lower_level_dims(self.layer, upper, [self.sizes[c] for c in self.columns[index - 1]], dims)
            self.static_dims.append(dims)
        self.irregular = np.zeros(len(batch), dtype=bool)

    def int64_safe(self) -> bool:
        """Whether every count and cycle of the walk stays below int64's range, with a wide margin."""
        dims = self.layer.dim_table()
        # The dense MAC count: output rows and columns (Y', X') stand for the input's where both are given.
        volume = prod(size for dim, size in dims.items() if not (dim in ("Y", "X") and dim + "'" in dims))
        return volume * (self.noc_latency + 1) * _MARGIN < INT64_SAFE

    def evaluate(self) -> tuple[LevelArrays, np.ndarray]:
        """The top level's results for every mapping, and which mappings are irregular."""
        everyone = np.arange(len(self.batch))
        top = self._level(0, everyone, dict(self.analysis.top_dims))
        return top, self.irregular

    # ---- one level, for some of the batch's mappings ----------------------------------------------
    def _level(self, level: int, members: np.ndarray, chunk: dict[str, Any]) -> LevelArrays:
        spec = self.layer.levels[level]
        everyone = len(members) == len(self.batch)  # members is then the whole batch, in order
        pick = (lambda value: value) if everyone else (lambda value: _take(value, members))
        sizes = [pick(self.sizes[c]) for c in self.columns[level]]
        offsets = [pick(self.offsets[c]) for c in self.columns[level]]
        parts = pick(self.sub_clusters[level])
        static = {d: pick(v) for d, v in self.static_dims[level].items()}
        tables = tables_of(spec.loops, sizes, offsets, static, parts)
        facts = []
        for loop, size, offset in zip(spec.loops, sizes, offsets):
            extent = chunk.get(loop.dim, size)
            facts.append(spatial_facts(size, offset, extent, parts) if loop.spatial
                         else temporal_facts(size, offset, extent))
        # The flags that the model's formulas branch on: equal within a group.
        flags = [np.broadcast_to(np.asarray(tables.n_edge) == 1, (len(members),))]
        for loop, fact in zip(spec.loops, facts):
            flags += [fact[0], fact[1]]
            if loop.spatial:
                flags.append(fact[4] & fact[5])
        signature = np.zeros(len(members), dtype=np.int64)
        for bit, flag in enumerate(flags):
            signature |= np.broadcast_to(flag, (len(members),)).astype(np.int64) << bit
        kinds, group_of = np.unique(signature, return_inverse=True)
        if len(kinds) == 1:
            return self._group(level, members, chunk, tables, facts, parts, slice(None))
        result = LevelArrays()
        for attribute, tensor in result.fields():
            _store(result, attribute, tensor, np.zeros(len(members), dtype=np.int64))
        for kind in range(len(kinds)):
            rows = np.flatnonzero(group_of == kind)
            part = self._group(level, members[rows], {d: _take(v, rows) for d, v in chunk.items()},
                               _tables_rows(tables, rows), [tuple(_take(v, rows) for v in f) for f in facts],
                               _take(parts, rows), rows)
            for attribute, tensor in result.fields():
                _load(result, attribute, tensor)[rows] = _load(part, attribute, tensor)
        return result

    def _group(self, level: int, members: np.ndarray, chunk: dict[str, Any], tables: Any, facts: list[tuple],
               parts: np.ndarray, _rows: Any) -> LevelArrays:
        """Walk the cases of a level for a group of mappings with equal flags."""
        analysis, alg = self.analysis, self.algebra
        spec = self.layer.levels[level]
        innermost = level == len(self.layer.levels) - 1
        tables.single_edge = bool(np.all(np.asarray(tables.n_edge) == 1))
        analysis.tables[level], analysis.parts[level] = tables, parts
        slots = [self._slots(loop.spatial, fact) for loop, fact in zip(spec.loops, facts)]
        first_spatial = next(i for i, loop in enumerate(spec.loops) if loop.spatial)
        result, counts = LevelArrays(), LevelResult()
        floors = None
        sub_results: dict[tuple, LevelArrays] = {}
        first = True
        for states in product(*slots):
            occurrences = prod(state.occurrences for state in states)
            if not first and not np.any(occurrences):
                continue
            analysis.tables[level], analysis.parts[level] = tables, parts
            egress = analysis.egress(level, states)
            macs = analysis.macs(level, states)
            psum = analysis.partial_sums(level, states)
            if first:
                analysis._update_buffers(level, states, chunk, counts)
                if level == 0:
                    floors = offchip_floors(alg, counts.l2_req)
            result.l2_write["output"] += occurrences * egress
            result.l1_write["output"] += occurrences * macs
            result.l1_read["output"] += occurrences * macs
            skipped = (np.asarray(occurrences) > 0) & (np.asarray(psum) <= 0)
            if np.any(skipped):  # M15: not mirrored here; these mappings go one by one
                self.irregular[members[np.broadcast_to(skipped, (len(members),))]] = True
            ingress = 0
            for tensor in ("input", "weight"):
                volume = analysis.ingress(level, states, tensor)
                ingress = ingress + volume
                result.l2_read[tensor] += occurrences * volume
                result.l1_read[tensor] += occurrences * macs
            if innermost:
                compute = alg.cdiv(psum, alg.num_simd_lanes)
            else:
                chunks = self._sub_chunks(level, states, first_spatial, tables)
                runtimes = []
                for key, sub_chunk in chunks:
                    if key not in sub_results:
                        sub_results[key] = self._level(level + 1, members, sub_chunk)
                        analysis.tables[level], analysis.parts[level] = tables, parts
                    runtimes.append(sub_results[key].runtime)
                compute = alg.vmax(*runtimes)
                if first:
                    result.first_l1_req = dict(sub_results[chunks[0][0]].first_l1_req)
            delay, _, _ = case_delay(alg, compute, ingress, egress, all(s.position == INIT for s in states),
                                     floors if level == 0 else None)
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

    def _sub_chunks(self, level: int, states: tuple[State, ...], first_spatial: int,
                    tables: Any) -> list[tuple[tuple, dict[str, Any]]]:
        """M13: the chunks this case hands to the lower level, each with a key naming it within the group."""
        analysis = self.analysis
        spatial_state = states[first_spatial]
        loop_states = tuple((s.position, s.is_edge) for s in analysis._loop_states(level, states))
        ee_flags = [False]
        if spatial_state.is_edge and spatial_state.edge_edge:
            ee_flags = [True] + ([False] if not tables.single_edge else [])
        return [((loop_states, ee), dict(analysis.sub_dimensions(level, states, ee))) for ee in ee_flags]

    @staticmethod
    def _slots(spatial: bool, fact: tuple) -> list[State]:
        """A loop's states for a group: Init, and Steady/Edge where some mapping of the group has them."""
        unrolled, init_edge, steady, has_steady, has_edge = (_flag(fact[0]), _flag(fact[1]), fact[2], fact[3],
                                                             fact[4])
        slots = [State(INIT, 1, unrolled, init_edge, edge_edge=init_edge and spatial)]
        if np.any(has_steady):
            slots.append(State(STEADY, np.where(has_steady, steady, 0)))
        if np.any(has_edge):
            edge_edge = spatial and _flag(np.asarray(fact[5])[np.asarray(has_edge, dtype=bool)]
                                          if np.ndim(has_edge) else fact[5])
            slots.append(State(EDGE, np.asarray(has_edge, dtype=np.int64), edge_edge=edge_edge))
        return slots


def _columns(values: np.ndarray) -> list[Any]:
    """Each column of a (mappings, columns) array: an int where it is equal for every mapping."""
    return [int(column[0]) if (column == column[0]).all() else column for column in values.T]


def _flag(values: Any) -> bool:
    """A flag that is equal for every mapping of a group, as a bool."""
    return bool(np.all(values))


def _take(value: Any, rows: Any) -> Any:
    """The rows of a per-mapping array (an int is the same for every mapping)."""
    return value[rows] if isinstance(value, np.ndarray) and value.ndim else value


def _tables_rows(tables: Tables, rows: np.ndarray) -> Tables:
    def part(values: dict[str, Any]) -> dict[str, Any]:
        return {d: _take(v, rows) for d, v in values.items()}

    return Tables(part(tables.mapped), part(tables.unique), part(tables.mapped_edge), part(tables.unique_edge),
                  _take(tables.n_edge, rows), None)


def _load(result: LevelArrays, attribute: str, tensor: str | None) -> Any:
    return getattr(result, attribute) if tensor is None else getattr(result, attribute)[tensor]


def _store(result: LevelArrays, attribute: str, tensor: str | None, value: Any) -> None:
    if tensor is None:
        setattr(result, attribute, value)
    else:
        getattr(result, attribute)[tensor] = value
