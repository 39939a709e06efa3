"""Grids of designs in bounded pieces: budgets, blocks of the runtime grid, buffer pairs within area and power.

The exploration (exploration.py) evaluates a group's runtime grid block by block
(:func:`blocks`), checking a :class:`Budget` between blocks, and counts the
``(l1_size, l2_size)`` pairs within the area and power budgets without listing
the pairs of long axes (:func:`pair_counts`).
"""

from __future__ import annotations

import bisect
import itertools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from maestroc.algebra import INT64_SAFE
from maestroc.metrics import area_power
from maestroc.space import Axis, DesignSpace

DEFAULT_MEMORY = 1 << 30
SEARCH_ABOVE = 64  # l2_size values beyond which pairs are counted by binary search


@dataclass(frozen=True)
class Budget:
    """What one task may spend, checked between blocks: a wall-clock deadline (``time.time()``), a number
    of designs, and the memory of one block in bytes."""

    deadline: float | None = None
    designs: int | None = None
    memory: int = DEFAULT_MEMORY

    def late(self) -> bool:
        return self.deadline is not None and time.time() >= self.deadline

    def exceeded(self, explored: int) -> str | None:
        """"time" or "designs" when that budget is spent, given the designs explored so far."""
        if self.late():
            return "time"
        if self.designs is not None and explored >= self.designs:
            return "designs"
        return None


def blocks(shape: tuple[int, ...], limit: int) -> Iterator[tuple[slice, ...]]:
    """Boxes of at most ``limit`` points covering a grid, in C order; each is a contiguous run of flat indices."""
    split = next(i for i in range(len(shape)) if math.prod(shape[i + 1:]) <= limit)
    step = max(1, limit // math.prod(shape[split + 1:]))
    for outer in itertools.product(*(range(n) for n in shape[:split])):
        for start in range(0, shape[split], step):
            yield (tuple(slice(i, i + 1) for i in outer) + (slice(start, min(start + step, shape[split])),)
                   + tuple(slice(None) for _ in shape[split + 1:]))


def fitting(values: Axis, need: int, fit: bool) -> Axis:
    """The values at or above ``need`` (a slice: a range stays a range)."""
    return values[bisect.bisect_left(values, need):] if fit else values


def _values_at(axis: Axis, index: np.ndarray) -> np.ndarray:
    if isinstance(axis, range):
        return axis.start + index * axis.step
    return np.asarray(axis, dtype=np.int64)[index]


def _prefix_counts(within: Callable[[np.ndarray], np.ndarray], axis: Axis, shape: tuple[int, ...]) -> np.ndarray:
    """For each point, how many leading values of ``axis`` satisfy ``within`` (true on a prefix)."""
    low = np.zeros(shape, dtype=np.int64)
    high = np.full(shape, len(axis), dtype=np.int64)
    while (active := low < high).any():
        middle = (low + high + 1) // 2
        good = within(_values_at(axis, np.maximum(middle - 1, 0)))
        low = np.where(active & good, middle, low)
        high = np.where(active & ~good, middle - 1, high)
    return low


def pair_counts(space: DesignSpace, num_pes: int, noc_bw: np.ndarray, lanes: np.ndarray, l1_ok: Axis,
                l2_ok: Axis, limit: int, budget: Budget | None = None) -> tuple[object, object] | None:
    """Per (noc_bw, lanes): the (l1, l2) pairs within the area budget, and within both budgets.

    A short ``l2_ok`` is checked pair by pair. For a long one: area and power grow with l1
    and l2, so for each l1 the l2 sizes within a budget are a prefix of ``l2_ok``, found by
    binary search with the very float formula of ``metrics.area_power``. Either way the
    count is exact. Without budgets, every pair counts. None when ``budget``'s deadline
    passes first (a long l1 axis).
    """
    total = len(l1_ok) * len(l2_ok)
    area_limit, power_limit = space.constraints.get("area"), space.constraints.get("power")
    if area_limit is None and power_limit is None:
        return total, total
    dtype = np.int64 if total < INT64_SAFE else object
    b, v = noc_bw.shape[0], lanes.shape[1]
    area_ok = np.zeros((b, v), dtype=dtype)
    both_ok = np.zeros((b, v), dtype=dtype)
    listed = len(l2_ok) <= SEARCH_ABOVE
    chunk = max(1, limit // max(b * v * (len(l2_ok) if listed else 1), 1))
    for start in range(0, len(l1_ok), chunk):
        if budget is not None and budget.late():
            return None
        l1 = np.array(l1_ok[start:start + chunk], dtype=np.int64).reshape(1, 1, -1, 1)
        shape = (b, v, l1.shape[2])

        def within(l2: np.ndarray, l1: np.ndarray = l1) -> tuple[np.ndarray, np.ndarray]:
            """(within the area budget, within both budgets) of each l1 with ``l2`` (both on axis 3)."""
            cost = area_power(num_pes, lanes[:, :, None, None], l1, l2, noc_bw[:, :, None, None])
            area, power = np.broadcast_arrays(cost["area"], cost["power"])
            in_area = np.ones(area.shape, dtype=bool) if area_limit is None else area <= area_limit
            return in_area, (in_area if power_limit is None else in_area & (power <= power_limit))

        if listed:
            in_area, in_both = within(np.array(l2_ok, dtype=np.int64).reshape(1, 1, 1, -1))
            area_counts, both_counts = in_area.sum(axis=(2, 3)), in_both.sum(axis=(2, 3))
        else:
            area_counts = _prefix_counts(lambda l2, w=within: w(l2[..., None])[0][..., 0], l2_ok, shape).sum(axis=2)
            both_counts = _prefix_counts(lambda l2, w=within: w(l2[..., None])[1][..., 0], l2_ok, shape).sum(axis=2)
        area_ok += area_counts.astype(dtype)
        both_ok += both_counts.astype(dtype)
    return area_ok, both_ok
