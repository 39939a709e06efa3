"""What a layer's search keeps and how it judges: the validity rules, the ranking (the best mapping and the
Pareto front), the budget that stops it, and its outcome (maestroc.mapping.search, maestroc.mapping.groups)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from maestroc.batch import BatchCost
from maestroc.hardware import HardwareSpec
from maestroc.ir import ClusterMark, Loop
from maestroc.pareto import pareto_mask

OBJECTIVES = ("runtime", "energy", "edp")
RULES = ("lint", "l1", "l2", "macs")  # the validity rules, in the order removals are counted
# The failure index of a mapping no rule removes, and of one whose lower bound is beaten (pruned).
PASSES, PRUNED = len(RULES), len(RULES) + 1

Directives = tuple[Loop | ClusterMark, ...]


@dataclass
class Budget:
    """When a search stops early: a deadline (monotonic seconds), a per-layer cap, or a stop request."""

    deadline: float | None = None
    max_mappings: int | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def reason(self, considered: int, templates: bool = False) -> str | None:
        """Why the search must stop now (None: go on).

        The template points (a few per layer: the baseline) stop only at ``max_mappings``, so that every
        layer of a run stopped early still gets the best template as its mapping.
        """
        if self.max_mappings is not None and considered >= self.max_mappings:
            return "max mappings"
        if templates:
            return None
        if self.stop.is_set():
            return "interrupted"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "time budget"
        return None

    def share(self, fraction: float) -> Budget:
        """This budget for one of the searches left: ``fraction`` of the time that remains."""
        if self.deadline is None:
            return self
        now = time.monotonic()
        return Budget(now + max(self.deadline - now, 0.0) * min(max(fraction, 0.0), 1.0), self.max_mappings,
                      self.stop)


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
    evaluated: int = 0  # mappings whose every figure was computed
    decided: int = 0  # mappings decided without that: by a rule or their lower bound (docs/mapping.md "Pruning")
    pruned: int = 0  # of those, the valid ones whose lower bound could not beat what was found
    valid: int = 0  # mappings that pass every rule (evaluated or pruned)
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    seconds: float = 0.0
    templates: dict[str, Found | None] = field(default_factory=dict)  # each template point: its figures, if valid
    stopped: str | None = None  # why it stopped early (None: the whole space was searched)

    @property
    def considered(self) -> int:
        """Mappings of the space met so far, evaluated or decided (what ``max_mappings`` caps)."""
        return self.evaluated + self.decided


def merged(parts: Sequence[LayerSearch], objectives: tuple[str, ...]) -> LayerSearch:
    """The outcome of one search from those of its consecutive parts (search_layer's ``part``), in order.

    The best and the front are what one search of all the parts finds: each part's are the first
    of their equals met in it, and an earlier part's win ties. The counts are sums; how many
    mappings the bound pruned depends on the best each part had found, so it may differ from one
    search's (what is considered and valid does not). ``seconds`` is the longest part's.
    """
    result = LayerSearch(templates=dict(parts[0].templates))
    best, front = Ranking(objectives[:1]), Ranking(objectives)  # the best: ranked by the first objective alone
    for part in parts:
        for name in ("evaluated", "decided", "pruned", "valid"):
            setattr(result, name, getattr(result, name) + getattr(part, name))
        for rule, count in part.removed.items():
            result.removed[rule] += count
        result.seconds = max(result.seconds, part.seconds)
        result.stopped = result.stopped or part.stopped
        if part.best is not None:  # an equal value from a later part does not win
            best.offer(np.array([[float(part.best.values[objectives[0]])]]), lambda i, found=part.best: found)
        if len(objectives) > 1 and part.front:
            points = np.array([[float(found.values[name]) for name in objectives] for found in part.front])
            front.offer(points, lambda i, found=part.front: found[i])
    result.best, result.front = best.best, front.front
    return result


def objective_table(cost: BatchCost, objectives: tuple[str, ...]) -> np.ndarray:
    """One column per objective (all minimised), as float64 for ranking.

    Runtimes beyond 2**53 would lose ties in float64; the ranking then stays a correct
    order up to those ties, and the kept values are recomputed exactly by compile.
    """
    columns = {"runtime": cost.runtime.astype(np.float64), "energy": cost.energy.astype(np.float64),
               "edp": cost.energy.astype(np.float64) * cost.runtime.astype(np.float64)}
    return np.stack([columns[name] for name in objectives], axis=1)


class Ranking:
    """The best mapping and the Pareto front so far, over any number of batches."""

    def __init__(self, objectives: tuple[str, ...]) -> None:
        self.objectives = objectives
        self.best_value = np.inf
        self.best: Found | None = None
        self.front_points = np.zeros((0, len(objectives)))
        self.front: list[Found] = []

    def beaten(self, bounds: np.ndarray) -> np.ndarray:
        """Rows whose objectives, at best ``bounds`` (lower bounds), cannot change the outcome.

        One objective: the bound is worse than the best so far (a tie is kept: it may win as the
        first found). Several: the bound is dominated by a point of the front (no better in any
        objective, worse in one), so the mapping is dominated too.
        """
        if len(self.objectives) < 2:
            return bounds[:, 0] > self.best_value
        beaten = np.zeros(len(bounds), dtype=bool)
        for point in self.front_points:
            beaten |= (point <= bounds).all(axis=1) & (point < bounds).any(axis=1)
        return beaten

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


def figures(cost: BatchCost, index: int) -> dict[str, float | int]:
    runtime, energy = int(cost.runtime[index]), float(cost.energy[index])
    return {"runtime": runtime, "energy": energy, "edp": energy * runtime,
            "l1_size": int(cost.l1_size[index]), "l2_size": int(cost.l2_size[index])}


def first_failure(passes: dict[str, np.ndarray]) -> np.ndarray:
    """Per mapping, the index in RULES of the first of these rules it fails (PASSES: it passes them all)."""
    failed = np.full(len(next(iter(passes.values()))), PASSES, dtype=np.int64)
    for rule in reversed(RULES):
        if rule in passes:
            failed[~passes[rule]] = RULES.index(rule)
    return failed


def buffer_rules(cost: BatchCost, hardware: HardwareSpec) -> dict[str, np.ndarray]:
    return {"l1": cost.l1_size <= hardware.l1_size, "l2": cost.l2_size <= hardware.l2_size}


def failed_rule(cost: BatchCost, macs: int, hardware: HardwareSpec) -> np.ndarray:
    """Per mapping, the index in RULES of the first rule it fails (PASSES: it passes them all).

    The L1 and L2 needs are checked before the MAC count: they are known first (docs/mapping.md).
    """
    return first_failure({**buffer_rules(cost, hardware), "macs": cost.macs == macs})


def count_failures(failed: np.ndarray, removed: dict[str, int]) -> None:
    for index, count in enumerate(np.bincount(failed, minlength=len(RULES) + 1)[:len(RULES)]):
        removed[RULES[index]] += int(count)


def rank(cost: BatchCost, rows: np.ndarray, ranking: Ranking,
         describe: Callable[[int], tuple[Directives, str]]) -> list[Found]:
    """Hand the batch's mappings ``rows`` (valid ones) to the ranking; their Found when there is one row."""
    points = objective_table(cost, ranking.objectives)[rows]

    def make(i: int) -> Found:
        return Found(*describe(int(rows[i])), figures(cost, int(rows[i])))

    ranking.offer(points, make)
    return [make(i) for i in range(len(rows))] if len(cost.macs) == 1 else []
