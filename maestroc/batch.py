"""Many mappings of one layer at once: the cost model over batches of tile sizes.

A :class:`MappingBatch` is a family of mappings of one layer that share a dataflow
*structure* (the levels, the order of their loops, which loops are spatial) and
differ in the loops' sizes and offsets and in the sub-cluster counts. Its
``template`` is one sized, normalised, legal layer of the family (the IR after the
pipeline); row ``i`` of ``sizes``/``offsets`` gives every loop of every level (in
level order, outer to inner) for mapping ``i``, and row ``i`` of ``sub_clusters``
each level's count. A level's static dims are not given: they follow from the
sizes by docs/passes.md N8.

:func:`evaluate_batch` returns what a mapper ranks and filters by (runtime, energy,
buffer needs, MACs) for every mapping, from the one cost model
(maestroc.costmodel and maestroc.timing); :func:`member` is mapping ``i`` as an
ordinary layer, which ``maestroc compile`` would evaluate the same.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod
from typing import Any

import numpy as np

from maestroc.algebra import IntegerAlgebra
from maestroc.batch_model import BOUND, EXACT, NEEDS, BatchModel
from maestroc.costmodel import TENSORS, LayerAnalysis, shape_key, spatial_facts, temporal_facts
from maestroc.hardware import HardwareSpec
from maestroc.ir import LayerIR
from maestroc.metrics import energy_breakdown, output_elements
from maestroc.passes.level_dims import LevelDims
from maestroc.timing import folded


@dataclass(frozen=True)
class MappingBatch:
    """Mappings of one layer sharing a structure: the template's loops with per-mapping sizes."""

    template: LayerIR
    sizes: np.ndarray  # (B, loops of all levels) int64
    offsets: np.ndarray  # (B, loops of all levels) int64
    sub_clusters: np.ndarray  # (B, levels) int64
    # (B, top-level loops) int64: each top-level loop's rank in mapping i's order (outer first), for a batch
    # of mappings of several orders; None: the template's order. Only the top level may differ in order,
    # and only where every lower level's temporal loops iterate once (then their order changes nothing).
    ranks: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.sizes)

    def grid(self) -> MappingGrid:
        """The batch as a grid of one axis (mapping ``i`` is cell ``i``)."""
        return MappingGrid(self.template, (len(self),), tuple(self.sizes.T), tuple(self.offsets.T),
                           tuple(self.sub_clusters.T), None if self.ranks is None else tuple(self.ranks.T))


@dataclass(frozen=True)
class MappingGrid:
    """Mappings of one layer sharing a structure, as a grid: mapping ``i`` is cell ``i`` (C order) of ``shape``.

    Every loop's sizes and offsets (all levels, outer to inner), every level's sub-cluster count and,
    for a grid of several orders, every top-level loop's rank (as MappingBatch.ranks) is an int or an
    int64 array of ``len(shape)`` dimensions broadcastable to ``shape``: it varies only along the axes it
    depends on. A mapper's family is such a grid (one axis per choice column, one for the orders), and
    the model's formulas then run on the axes they read only (docs/costmodel.md "Batches of mappings").
    """

    template: LayerIR
    shape: tuple[int, ...]
    sizes: tuple[Any, ...]
    offsets: tuple[Any, ...]
    sub_clusters: tuple[Any, ...]
    ranks: tuple[Any, ...] | None = None

    def __len__(self) -> int:
        return prod(self.shape)

    def rows(self, cells: np.ndarray) -> MappingBatch:
        """The mappings at ``cells`` (flat indices into the grid) as a batch of rows."""
        index = np.unravel_index(np.asarray(cells, dtype=np.int64), self.shape)

        def table(columns: tuple[Any, ...]) -> np.ndarray:
            return np.stack([_cells(column, index, len(cells)) for column in columns], axis=1).astype(np.int64)

        return MappingBatch(self.template, table(self.sizes), table(self.offsets), table(self.sub_clusters),
                            None if self.ranks is None else table(self.ranks))


def _cells(column: Any, index: tuple[np.ndarray, ...], count: int) -> np.ndarray:
    """A grid column's values at the cells ``index`` (one index array per axis)."""
    if not isinstance(column, np.ndarray) or column.ndim == 0:
        return np.full(count, int(column), dtype=np.int64)
    at = tuple(axis if length > 1 else 0 for axis, length in zip(index, column.shape))
    return np.broadcast_to(column[at], (count,))


@dataclass(frozen=True)
class BatchCost:
    """The cost of every mapping of a batch, as arrays of length B (ints exact; energy in nJ)."""

    runtime: np.ndarray  # cycles
    energy: np.ndarray  # maestroc's full energy (docs/energy.md), float
    macs: np.ndarray
    l1_size: np.ndarray  # L1 need per PE (elements)
    l2_size: np.ndarray  # L2 need (elements)
    l1_accesses: dict[str, np.ndarray]
    l2_accesses: dict[str, np.ndarray]

    @property
    def edp(self) -> np.ndarray:
        return self.energy * self.runtime

    def take(self, index: np.ndarray) -> BatchCost:
        """The figures of the mappings ``index`` (the inverse of :func:`gather`)."""
        return BatchCost(runtime=self.runtime[index], energy=self.energy[index], macs=self.macs[index],
                         l1_size=self.l1_size[index], l2_size=self.l2_size[index],
                         l1_accesses={t: a[index] for t, a in self.l1_accesses.items()},
                         l2_accesses={t: a[index] for t, a in self.l2_accesses.items()})


def member(batch: MappingBatch | MappingGrid, index: int) -> LayerIR:
    """Mapping ``index`` of the batch as a sized layer (level dims by N8), its top level in its own order."""
    if isinstance(batch, MappingGrid):
        batch, index = batch.rows(np.array([index])), 0
    sizes, offsets = batch.sizes[index], batch.offsets[index]
    position, levels = 0, []
    for level, count in zip(batch.template.levels, batch.sub_clusters[index]):
        loops = []
        for loop in level.loops:
            loops.append(replace(loop, size=int(sizes[position]), offset=int(offsets[position])))
            position += 1
        if not levels and batch.ranks is not None:
            loops = [loop for _, loop in sorted(zip(batch.ranks[index].tolist(), loops), key=lambda pair: pair[0])]
        levels.append(replace(level, loops=tuple(loops), sub_clusters=int(count)))
    return LevelDims._layer(batch.template.with_levels(levels))


def orders_free(batch: MappingBatch | MappingGrid) -> bool:
    """Whether the batch's figures other than the top level's ingress are the same for every order of the
    top level's loops (:meth:`BatchModel.lower_orders_free`): then the batch's rules and lower bound
    stand for every order, and a batch of several orders may share its template."""
    model = BatchModel.__new__(BatchModel)  # the structure only
    model._structure(replace(batch.grid() if isinstance(batch, MappingBatch) else batch, ranks=None))
    return model.lower_orders_free()


def evaluate_one(layer: LayerIR, hardware: HardwareSpec) -> dict[str, int | float]:
    """One sized layer's mapper figures through compile's cost path (exact ints; energy a float)."""
    top = folded(shape_key(layer), IntegerAlgebra.of(hardware)).top()
    return {
        "runtime": top.runtime, "macs": top.macs,
        "energy": sum(energy_breakdown(top, output_elements(layer), hardware).values()),
        "l1_size": sum(top.first_l1_req.values()), "l2_size": sum(top.l2_req.values()),
        **{f"l1_{t}": top.l1_read[t] + top.l1_write[t] for t in TENSORS},
        **{f"l2_{t}": top.l2_read[t] + top.l2_write[t] for t in TENSORS},
    }


def evaluate_one_by_one(batch: MappingBatch | MappingGrid, hardware: HardwareSpec) -> BatchCost:
    """Every mapping of the batch through :func:`evaluate_one`: the reference the fast path is tested against."""
    if isinstance(batch, MappingGrid):
        batch = batch.rows(np.arange(len(batch)))
    return _cost_of_rows([evaluate_one(member(batch, i), hardware) for i in range(len(batch))])


def _cost_of_rows(rows: list[dict[str, int | float]]) -> BatchCost:
    def column(name: str) -> np.ndarray:
        kind = float if name == "energy" else (None if rows else np.int64)  # None: int64, or object beyond it
        return np.array([row[name] for row in rows], dtype=kind)

    return BatchCost(runtime=column("runtime"), energy=column("energy"), macs=column("macs"),
                     l1_size=column("l1_size"), l2_size=column("l2_size"),
                     l1_accesses={t: column(f"l1_{t}") for t in TENSORS},
                     l2_accesses={t: column(f"l2_{t}") for t in TENSORS})


# Below this many mappings a walk of the cases costs more than evaluating them one by one.
SMALLEST_BATCH = 16


def evaluate_batch(batch: MappingBatch | MappingGrid, hardware: HardwareSpec, smallest: int = SMALLEST_BATCH,
                   mode: str = EXACT) -> BatchCost:
    """Every mapping of the batch (or grid: its cells in C order) on one hardware design, vectorised
    (maestroc.batch_model), exact.

    Mappings the vectorised form does not cover (a case that computes nothing, M15, or values that
    could leave int64), and groups of fewer than ``smallest`` mappings, are evaluated one by one
    through compile's path.

    The other modes serve the mapper's pruning (docs/mapping.md "Pruning"); what they give is the
    same for every order of the top level's loops. BOUND: the MACs exactly, and lower bounds of the
    runtime and the energy (the top level's ingress after its first case left out), 0 for a mapping
    that goes one by one. NEEDS: the buffer needs (``l1_size``, ``l2_size``) exactly, 0 for a mapping
    that goes one by one (its needs may depend on the order), and nothing else of use.
    """
    if isinstance(batch, MappingGrid):
        if hardware.noc_topology == "systolic":  # S1 splits the mappings by their stationary tensors: as rows
            return evaluate_batch(batch.rows(np.arange(len(batch))), hardware, smallest, mode)
        return _evaluate_grid(batch, hardware, mode)
    if mode == EXACT and len(batch) < max(smallest, 1):
        return evaluate_one_by_one(batch, hardware)
    groups = systolic_groups(batch, hardware)
    if len(groups) == 1 and mode != NEEDS:  # a walk of one case gains nothing from presence groups
        groups = presence_groups(batch)
    if len(groups) > 1:
        parts = [(rows, evaluate_batch(rows_of(batch, rows), hardware, smallest, mode)) for rows in groups]
        return gather(parts, len(batch))
    return _evaluate_grid(batch.grid(), hardware, mode)


def _evaluate_grid(grid: MappingGrid, hardware: HardwareSpec, mode: str) -> BatchCost:
    """One walk of the model over the whole grid; the mappings it does not cover one by one."""
    arrays = BatchModel(grid, hardware, mode)
    count = len(grid)
    if not arrays.int64_safe():
        return _order_free(evaluate_one_by_one(grid, hardware), np.arange(count), mode)
    top, irregular = arrays.evaluate()

    def full(value: object) -> np.ndarray:
        return _full(value, grid.shape)

    accesses = {level: {t: full(getattr(top, f"{level}_read")[t] + getattr(top, f"{level}_write")[t])
                        for t in TENSORS} for level in ("l1", "l2")}
    energy = sum(energy_breakdown(top, output_elements(grid.template), hardware).values())
    cost = BatchCost(runtime=full(top.runtime), energy=full(energy).astype(float), macs=full(top.macs),
                     l1_size=full(sum(top.first_l1_req.values())), l2_size=full(sum(top.l2_req.values())),
                     l1_accesses=accesses["l1"], l2_accesses=accesses["l2"])
    one_by_one = np.flatnonzero(irregular)
    for index in one_by_one:
        _overwrite(cost, int(index), evaluate_one(member(grid, int(index)), hardware))
    return _order_free(cost, one_by_one, mode)


# A walk's cost per case, in units of one mapping's share of a case (measured: a case's Python overhead is
# worth about 500 mappings' array work).
_CASE_OVERHEAD = 500


def presence_groups(batch: MappingBatch) -> list[np.ndarray]:
    """The batch's rows in groups to walk apart, when that is cheaper than one walk of all their cases.

    One walk enumerates every combination of the states *some* mapping has at the top level; a
    batch whose mappings have very different states (no Steady here, an Edge there) is cheaper
    walked per set of states present.
    """
    layer, count = batch.template, len(batch)
    level = layer.levels[0]
    chunk = dict(LayerAnalysis(layer).top_dims)
    code = np.zeros(count, dtype=np.int64)
    cases = np.ones(count, dtype=np.int64)
    union = 1
    for bit, loop in enumerate(level.loops):  # the top level's loops are the batch's first columns
        size, offset = batch.sizes[:, bit], batch.offsets[:, bit]
        extent = chunk.get(loop.dim, size)
        fact = spatial_facts(size, offset, extent, batch.sub_clusters[:, 0]) if loop.spatial else \
            temporal_facts(size, offset, extent)
        has_steady, has_edge = np.broadcast_to(fact[3], (count,)), np.broadcast_to(fact[4], (count,))
        code |= (has_steady.astype(np.int64) << (2 * bit)) | (has_edge.astype(np.int64) << (2 * bit + 1))
        cases *= 1 + has_steady + has_edge
        union *= 1 + bool(has_steady.any()) + bool(has_edge.any())
    kinds, group_of = np.unique(code, return_inverse=True)
    if len(kinds) == 1:
        return [np.arange(count)]
    apart = sum(int(cases[group_of == k][0]) * (_CASE_OVERHEAD + int((group_of == k).sum()))
                for k in range(len(kinds)))
    if union * (_CASE_OVERHEAD + count) <= apart:
        return [np.arange(count)]
    return [np.flatnonzero(group_of == k) for k in range(len(kinds))]


def systolic_groups(batch: MappingBatch, hardware: HardwareSpec) -> list[np.ndarray]:
    """The batch's rows by the tensors their array keeps stationary (S1; one group on MAESTRO's timing)."""
    if hardware.noc_topology != "systolic":
        return [np.arange(len(batch))]
    flags = BatchModel.__new__(BatchModel)  # the structure only: no hardware needed for S1
    flags._structure(batch.grid())
    code = np.zeros(len(batch), dtype=np.int64)
    for bit, flag in enumerate(flags.stationary().values()):
        code |= np.broadcast_to(np.asarray(flag, dtype=np.int64), (len(batch),)) << bit
    kinds, group_of = np.unique(code, return_inverse=True)
    return [np.flatnonzero(group_of == k) for k in range(len(kinds))]


def _order_free(cost: BatchCost, one_by_one: np.ndarray, mode: str) -> BatchCost:
    """In BOUND and NEEDS modes, the figures of the mappings evaluated one by one (exact for their own
    order only) replaced by values that hold for every order: 0 (no bound, no need known)."""
    if mode == BOUND:
        cost.runtime[one_by_one], cost.energy[one_by_one] = 0, 0.0
    elif mode == NEEDS:
        cost.l1_size[one_by_one], cost.l2_size[one_by_one] = 0, 0
    return cost


def _full(value: object, shape: tuple[int, ...]) -> np.ndarray:
    """An int or an array broadcastable to ``shape`` as an owned flat array of its cells (C order)."""
    return np.array(np.broadcast_to(value, shape)).reshape(-1)


def rows_of(batch: MappingBatch, rows: np.ndarray) -> MappingBatch:
    """The batch's mappings ``rows`` (indices or a mask), as a batch."""
    return MappingBatch(batch.template, batch.sizes[rows], batch.offsets[rows], batch.sub_clusters[rows],
                        None if batch.ranks is None else batch.ranks[rows])


def gather(parts: list[tuple[np.ndarray, BatchCost]], count: int) -> BatchCost:
    """The costs of groups of a batch's mappings (``parts``: their indices and costs), in the batch's order."""
    def column(value_of) -> np.ndarray:  # type: ignore[no-untyped-def]
        values = [value_of(cost) for _, cost in parts]
        out = np.empty(count, dtype=np.result_type(*values))
        for (rows, _), value in zip(parts, values):
            out[rows] = value
        return out

    return BatchCost(runtime=column(lambda c: c.runtime), energy=column(lambda c: c.energy),
                     macs=column(lambda c: c.macs), l1_size=column(lambda c: c.l1_size),
                     l2_size=column(lambda c: c.l2_size),
                     l1_accesses={t: column(lambda c, t=t: c.l1_accesses[t]) for t in TENSORS},
                     l2_accesses={t: column(lambda c, t=t: c.l2_accesses[t]) for t in TENSORS})


def _overwrite(cost: BatchCost, index: int, row: dict[str, int | float]) -> None:
    """Put one mapping's figures, computed one by one, into the batch's arrays."""
    for name in ("runtime", "energy", "macs", "l1_size", "l2_size"):
        getattr(cost, name)[index] = row[name]
    for t in TENSORS:
        cost.l1_accesses[t][index] = row[f"l1_{t}"]
        cost.l2_accesses[t][index] = row[f"l2_{t}"]
