"""Pareto fronts compared exactly: integers stay integers, ratios are fractions.

Objective values are exact Python or numpy numbers: runtimes are integers (beyond
2^53 a float would make different runtimes equal), throughput is the fraction
MACs/runtime, the energy-delay product the exact product of the energy (a float)
and the runtime. Columns that a float64 holds exactly are compared as float64;
others are replaced by their ranks (which order and tie exactly as the values),
so numpy does the dominance checks either way.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from maestroc.space import OBJECTIVES

FLOAT_EXACT = 2**53


def pareto_mask(points: np.ndarray) -> np.ndarray:
    """Rows not dominated by any other row (all objectives minimised); of equal rows the first is kept."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort(points.T[::-1])
    keep = np.zeros(len(points), dtype=bool)
    if points.shape[1] == 2:
        # Sorted by (first, second): a point survives when its second value beats every earlier one.
        second = points[order, 1]
        earlier_best = np.concatenate(([math.inf], np.minimum.accumulate(second)[:-1]))
        keep[order[second < earlier_best]] = True
        return keep
    # In lexicographic order a point's dominators (and its equals) come before it, so each
    # block of points is checked against the front so far and against its own earlier points.
    front = np.zeros((0, points.shape[1]))
    for begin in range(0, len(order), 64):
        block_index = order[begin:begin + 64]
        block = points[block_index]
        beaten = np.zeros(len(block), dtype=bool)
        if len(front):
            beaten |= np.all(front[:, None, :] <= block[None, :, :], axis=2).any(axis=0)
        within = np.all(block[:, None, :] <= block[None, :, :], axis=2)  # [j, i]: j is <= i everywhere
        beaten |= np.triu(within, k=1).any(axis=0)  # some earlier point of the block is <= it
        keep[block_index[~beaten]] = True
        front = np.concatenate([front, block[~beaten]])
    return keep


def _float_exact(column: np.ndarray) -> bool:
    if column.dtype == np.float64:
        return True
    if column.dtype.kind in "iu":
        return len(column) == 0 or (-FLOAT_EXACT < int(column.min()) and int(column.max()) < FLOAT_EXACT)
    return False


def minimal_rows(columns: list[np.ndarray]) -> np.ndarray:
    """:func:`pareto_mask` of the rows formed by exact columns (int64, float64 or Python numbers)."""
    exact = [np.asarray(c, dtype=np.float64) if _float_exact(np.asarray(c)) else
             np.unique(np.asarray(c), return_inverse=True)[1].astype(np.float64).ravel() for c in columns]
    return pareto_mask(np.stack(exact, axis=1) if exact else np.zeros((0, 0)))


def exact_objective(metrics: dict[str, object], objective: str) -> object:
    """One objective of a design, exactly, in minimisation form (throughput negated)."""
    run = metrics["runtime"]
    if objective == "throughput":
        return -Fraction(metrics["macs"], run) if run else -math.inf  # type: ignore[arg-type]
    if objective == "edp":
        return Fraction(metrics["energy"]) * run  # type: ignore[arg-type,operator]
    return metrics[objective]


def merge_front(rows: list[tuple[dict[str, int], dict[str, object]]],
                objectives: tuple[str, ...]) -> list[tuple[dict[str, int], dict[str, object]]]:
    """The front of some candidate designs, in a fixed order: by objectives, then by design.

    Of designs with equal objectives the first in that order is kept, so merging
    groups' candidates in any order and any number of steps gives the same front.
    """
    if not rows:
        return []
    keyed = sorted(((tuple(exact_objective(m, o) for o in objectives), sorted(d.items()), d, m) for d, m in rows),
                   key=lambda row: (row[0], row[1]))
    columns = [np.array([row[0][i] for row in keyed], dtype=object) for i in range(len(objectives))]
    mask = minimal_rows(columns)
    return [(row[2], row[3]) for row, kept in zip(keyed, mask) if kept]


def best_per_objective(front: list[tuple[dict[str, int], dict[str, object]]]
                       ) -> dict[str, tuple[dict[str, int], dict[str, object]]]:
    """The front design that is best for each objective (largest throughput, smallest otherwise), exactly."""
    if not front:
        return {}
    return {objective: min(front, key=lambda item: exact_objective(item[1], objective)) for objective in OBJECTIVES}
