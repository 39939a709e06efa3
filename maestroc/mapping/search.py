"""The search over one layer's space: lower a family's rows, evaluate them, filter, keep the best.

The inner loop holds no per-mapping Python object: a family's rows come as a numpy
table (:meth:`Family.rows`), are lowered to a MappingBatch (:mod:`maestroc.mapping.lowering`),
evaluated by :func:`maestroc.batch.evaluate_batch`, and filtered and ranked with
vectorised masks. Only the best mapping and the Pareto front leave the loop.

Validity (docs/mapping.md): the structure is checked once per family with the error
lint rules on the pipeline's IR of its first member (the size rules hold by
construction); then each mapping must do the layer's MACs exactly and fit the L1 and
L2 limits. Each rule's removals are counted, in that order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from maestroc.batch import BatchCost, MappingBatch, evaluate_batch
from maestroc.costmodel import shape_key
from maestroc.coverage import true_macs
from maestroc.hardware import HardwareSpec
from maestroc.ir import ClusterMark, LayerIR, Loop
from maestroc.mapping.lowering import lower_directives, lower_family, written_directives
from maestroc.mapping.space import Family, SpaceSettings, families
from maestroc.pareto import pareto_mask

OBJECTIVES = ("runtime", "energy", "edp")
RULES = ("lint", "macs", "l1", "l2")  # the validity rules, in the order removals are counted
MAX_CHUNK = 16384  # rows per evaluated batch at most: bounds the memory of a family of any size
BATCH_SECONDS = 0.25  # a batch's target duration: how soon a budget or a stop request is honoured

Directives = tuple[Loop | ClusterMark, ...]
Progress = Callable[[int], None]  # called with the mappings of each batch evaluated


@dataclass
class Budget:
    """When a search stops early: a deadline (monotonic seconds), a per-layer cap, or a stop request."""

    deadline: float | None = None
    max_mappings: int | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def reason(self, evaluated: int, templates: bool = False) -> str | None:
        """Why the search must stop now (None: go on).

        The template points (a few per layer: the baseline) stop only at ``max_mappings``, so that every
        layer of a run stopped early still gets the best template as its mapping.
        """
        if self.max_mappings is not None and evaluated >= self.max_mappings:
            return "max mappings"
        if templates:
            return None
        if self.stop.is_set():
            return "interrupted"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "time budget"
        return None

    def share(self, parts: int) -> Budget:
        """This budget for one of ``parts`` searches left: an equal share of the time that remains."""
        if self.deadline is None:
            return self
        now = time.monotonic()
        return Budget(now + max(self.deadline - now, 0.0) / max(parts, 1), self.max_mappings, self.stop)


@dataclass(frozen=True)
class Found:
    """One mapping the search keeps: its written directives, where it came from, and its figures."""

    directives: Directives
    source: str  # a structure label, or the sample template's file name
    values: dict[str, float | int]  # runtime, energy, edp, l1_size, l2_size


@dataclass
class LayerSearch:
    """The outcome of one layer's search (shared by the layers of the same shape)."""

    best: Found | None = None
    front: list[Found] = field(default_factory=list)
    evaluated: int = 0
    valid: int = 0
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    seconds: float = 0.0
    templates: dict[str, Found | None] = field(default_factory=dict)  # each template point: its figures, if valid
    stopped: str | None = None  # why it stopped early (None: the whole space was searched)


def objective_table(cost: BatchCost, objectives: tuple[str, ...]) -> np.ndarray:
    """One column per objective (all minimised), as float64 for ranking.

    Runtimes beyond 2**53 would lose ties in float64; the ranking then stays a correct
    order up to those ties, and the kept values are recomputed exactly by compile.
    """
    columns = {"runtime": cost.runtime.astype(np.float64), "energy": cost.energy.astype(np.float64),
               "edp": cost.energy.astype(np.float64) * cost.runtime.astype(np.float64)}
    return np.stack([columns[name] for name in objectives], axis=1)


class _Pace:
    """Batch sizes that take about BATCH_SECONDS at the rate measured so far (16 to MAX_CHUNK rows)."""

    def __init__(self) -> None:
        self.rows = 64

    def update(self, rows: int, seconds: float) -> None:
        rate = rows / max(seconds, 1e-6)
        self.rows = int(min(max(rate * BATCH_SECONDS, 16), MAX_CHUNK, self.rows * 4))


class _Ranking:
    """The best mapping and the Pareto front so far, over any number of batches."""

    def __init__(self, objectives: tuple[str, ...]) -> None:
        self.objectives = objectives
        self.best_value = np.inf
        self.best: Found | None = None
        self.front_points = np.zeros((0, len(objectives)))
        self.front: list[Found] = []

    def offer(self, points: np.ndarray, make: Callable[[int], Found]) -> None:
        """Rank a batch's valid mappings: ``points`` their objectives, ``make(i)`` the Found of row i."""
        if not len(points):
            return
        first = int(np.argmin(points[:, 0]))
        if points[first, 0] < self.best_value:
            self.best_value, self.best = float(points[first, 0]), make(first)
        if len(self.objectives) < 2:
            return
        stacked = np.concatenate([self.front_points, points])
        keep = pareto_mask(stacked)
        old = len(self.front_points)
        kept_old = [self.front[i] for i in range(old) if keep[i]]
        new_rows = [i - old for i in np.flatnonzero(keep) if i >= old]
        self.front = kept_old + [make(i) for i in new_rows]
        self.front_points = stacked[keep]


def _figures(cost: BatchCost, index: int) -> dict[str, float | int]:
    runtime, energy = int(cost.runtime[index]), float(cost.energy[index])
    return {"runtime": runtime, "energy": energy, "edp": energy * runtime,
            "l1_size": int(cost.l1_size[index]), "l2_size": int(cost.l2_size[index])}


def _valid_mask(cost: BatchCost, macs: int, hardware: HardwareSpec, removed: dict[str, int]) -> np.ndarray:
    """The mappings that pass every rule; each removal counted under the first rule it fails."""
    valid = np.ones(len(cost.macs), dtype=bool)
    for rule, passes in (("macs", cost.macs == macs), ("l1", cost.l1_size <= hardware.l1_size),
                         ("l2", cost.l2_size <= hardware.l2_size)):
        removed[rule] += int((valid & ~passes).sum())
        valid &= passes
    return valid


def _rank_batch(batch: MappingBatch, hardware: HardwareSpec, macs: int, ranking: _Ranking, result: LayerSearch,
                describe: Callable[[int], tuple[Directives, str]]) -> list[Found]:
    """Evaluate one batch and hand its valid mappings to the ranking; ``describe(i)`` is row i's directives.

    Returns the batch's valid mappings as Found when the batch has one row (a template point)."""
    cost = evaluate_batch(batch, hardware)
    result.evaluated += len(batch)
    valid = _valid_mask(cost, macs, hardware, result.removed)
    rows = np.flatnonzero(valid)
    result.valid += len(rows)
    points = objective_table(cost, ranking.objectives)[rows]
    def make(i: int) -> Found:
        return Found(*describe(int(rows[i])), _figures(cost, int(rows[i])))

    ranking.offer(points, make)
    return [make(i) for i in range(len(rows))] if len(batch) == 1 else []


def search_layer(layer: LayerIR, hardware: HardwareSpec, settings: SpaceSettings, objectives: tuple[str, ...],
                 budget: Budget, templates: Sequence[tuple[str, Directives]] = (),
                 progress: Progress | None = None) -> LayerSearch:
    """Search ``layer`` (its IR after the tables pass): the sample templates first, then every family."""
    start = time.monotonic()
    result = LayerSearch()
    ranking = _Ranking(objectives)
    macs = true_macs(layer)
    for name, directives in templates:
        if (reason := budget.reason(result.evaluated, templates=True)) is not None:
            result.stopped = reason
            break
        lowered, diagnostics = lower_directives(layer, directives, hardware)
        if diagnostics.has_errors:
            result.removed["lint"] += 1
            result.templates[name] = None
            continue
        found = _rank_batch(_single(lowered), hardware, macs, ranking, result, lambda i, d=directives, n=name: (d, n))
        result.templates[name] = found[0] if found else None
        if progress is not None:
            progress(1)
    pace = _Pace()
    for family in families(layer, hardware.num_pes, settings) if result.stopped is None else ():
        if not _search_family(family, layer, hardware, budget, macs, ranking, result, pace, progress):
            break
    result.best, result.front = ranking.best, ranking.front
    result.seconds = time.monotonic() - start
    return result


def _single(lowered: LayerIR) -> MappingBatch:
    """A lowered layer as a batch of one (its own sizes)."""
    loops = [loop for level in lowered.levels for loop in level.loops]
    return MappingBatch(shape_key(lowered), np.array([[loop.size for loop in loops]], dtype=np.int64),
                        np.array([[loop.offset for loop in loops]], dtype=np.int64),
                        np.array([[level.sub_clusters for level in lowered.levels]], dtype=np.int64))


def _search_family(family: Family, layer: LayerIR, hardware: HardwareSpec, budget: Budget, macs: int,
                   ranking: _Ranking, result: LayerSearch, pace: _Pace,
                   progress: Progress | None) -> bool:
    """Every row of one family, in batches of ``pace.rows``; False when the budget stopped the search."""
    template = None
    label = family.structure.label()
    begin = 0
    while begin < family.size:
        if (reason := budget.reason(result.evaluated)) is not None:
            result.stopped = reason
            return False
        started = time.monotonic()
        end = min(family.size, begin + pace.rows)
        values = family.rows(begin, end)
        begin = end
        if budget.max_mappings is not None:
            values = values[:budget.max_mappings - result.evaluated]
        if not len(values):
            continue
        if template is None:
            template, diagnostics = lower_directives(layer, written_directives(family, layer, values[0]), hardware)
            if diagnostics.has_errors:  # a structure rule fails: the whole family is out
                result.removed["lint"] += family.count()
                return True
            template = shape_key(template)
        batch = lower_family(family, layer, template, values, hardware)
        _rank_batch(batch, hardware, macs, ranking, result,
                    lambda i, v=values: (written_directives(family, layer, v[i]), label))
        pace.update(len(values), time.monotonic() - started)
        if progress is not None:
            progress(len(values))
    return True
