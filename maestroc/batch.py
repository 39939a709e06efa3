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

import numpy as np

from maestroc.algebra import IntegerAlgebra
from maestroc.batch_model import BatchModel, presence_groups, systolic_groups
from maestroc.costmodel import TENSORS, shape_key
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

    def __len__(self) -> int:
        return len(self.sizes)


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


def member(batch: MappingBatch, index: int) -> LayerIR:
    """Mapping ``index`` of the batch as a sized layer (level dims by N8)."""
    sizes, offsets = batch.sizes[index], batch.offsets[index]
    position, levels = 0, []
    for level, count in zip(batch.template.levels, batch.sub_clusters[index]):
        loops = []
        for loop in level.loops:
            loops.append(replace(loop, size=int(sizes[position]), offset=int(offsets[position])))
            position += 1
        levels.append(replace(level, loops=tuple(loops), sub_clusters=int(count)))
    return LevelDims._layer(batch.template.with_levels(levels))


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


def evaluate_one_by_one(batch: MappingBatch, hardware: HardwareSpec) -> BatchCost:
    """Every mapping of the batch through :func:`evaluate_one`: the reference the fast path is tested against."""
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


def evaluate_batch(batch: MappingBatch, hardware: HardwareSpec, smallest: int = SMALLEST_BATCH) -> BatchCost:
    """Every mapping of the batch on one hardware design, vectorised (maestroc.batch_model), exact.

    Mappings the vectorised form does not cover (a case that computes nothing, M15, or values that
    could leave int64), and groups of fewer than ``smallest`` mappings, are evaluated one by one
    through compile's path.
    """
    if len(batch) < max(smallest, 1):
        return evaluate_one_by_one(batch, hardware)
    groups = systolic_groups(batch, hardware)
    if len(groups) == 1:
        groups = presence_groups(batch)
    if len(groups) > 1:
        parts = [(rows, evaluate_batch(_rows(batch, rows), hardware, smallest)) for rows in groups]
        return _gather(parts, len(batch))
    arrays = BatchModel(batch, hardware)
    if not arrays.int64_safe():
        return evaluate_one_by_one(batch, hardware)
    top, irregular = arrays.evaluate()
    accesses = {level: {t: _full(getattr(top, f"{level}_read")[t] + getattr(top, f"{level}_write")[t], len(batch))
                        for t in TENSORS} for level in ("l1", "l2")}
    energy = sum(energy_breakdown(top, output_elements(batch.template), hardware).values())
    cost = BatchCost(runtime=_full(top.runtime, len(batch)), energy=_full(energy, len(batch)).astype(float),
                     macs=_full(top.macs, len(batch)), l1_size=_full(sum(top.first_l1_req.values()), len(batch)),
                     l2_size=_full(sum(top.l2_req.values()), len(batch)),
                     l1_accesses=accesses["l1"], l2_accesses=accesses["l2"])
    for index in np.flatnonzero(irregular):
        _overwrite(cost, int(index), evaluate_one(member(batch, int(index)), hardware))
    return cost


def _full(value: object, length: int) -> np.ndarray:
    """An int or array as an owned array of ``length`` elements."""
    return np.array(np.broadcast_to(value, (length,)))


def _rows(batch: MappingBatch, rows: np.ndarray) -> MappingBatch:
    return MappingBatch(batch.template, batch.sizes[rows], batch.offsets[rows], batch.sub_clusters[rows])


def _gather(parts: list[tuple[np.ndarray, BatchCost]], count: int) -> BatchCost:
    """The costs of the batch's row groups, in the batch's order."""
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
