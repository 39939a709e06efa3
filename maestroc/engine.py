"""Batched evaluation: the one cost model over numpy arrays of hardware designs, exactly.

:class:`ArrayAlgebra` instantiates the cost model's algebra (maestroc.algebra)
with broadcastable numpy arrays of the four hardware values it depends on, so a
single run of the model yields a layer's runtime and bandwidth needs for every
design of a grid at once; its hardware-independent counts come out as ints, as in
every algebra. There is no derivation step: a new dataflow structure (a new tile
size, order or cluster size) costs one run of the model, shared by every design
of the batch.

Exactness: every value is an int64 array unless it could overflow, and then an
array of Python ints. The model is monotone in the hardware values (a runtime
only grows with the NoC latency and only shrinks with more NoC bandwidth,
off-chip bandwidth or SIMD lanes, and every intermediate value is at most the
runtime or a hardware-independent count), so the largest value of a grid is the
runtime at its *corner*: the smallest bandwidths and lanes with the largest
latency. :func:`grid_cost` computes that corner exactly with Python ints first and
chooses int64 only when it stays below 2^62; an int that still does not fit
(numpy raises ``OverflowError``) sends the run to Python ints as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, reduce
from typing import Any

import numpy as np

from maestroc.algebra import HARDWARE_NAMES, INT64_SAFE, IntegerAlgebra, ceil_div, trunc_div
from maestroc.costmodel import SUB_LEVELS, TENSORS, BoundedCache, LayerAnalysis, LevelResult, structure_of
from maestroc.ir import LayerIR
from maestroc.timing import Fold, folded

# Sub-level results over a grid, shared between layer shapes (their arrays span the NoC axes and lanes only).
_SUB_FOLDS = BoundedCache(256)
Axes = tuple[tuple[int, ...], ...]  # the values of noc_bw, noc_latency, offchip_bw, num_simd_lanes


def _trunc_div(a: Any, b: Any) -> Any:
    """C++ truncating division for ints and integer arrays (every divisor of the model is positive)."""
    q = a // b
    return q + ((q < 0) & (q * b != a))


class ArrayAlgebra:
    """Hardware values as broadcastable integer arrays: one model run covers a grid of designs."""

    def __init__(self, noc_bw: np.ndarray, noc_latency: np.ndarray, offchip_bw: np.ndarray,
                 num_simd_lanes: np.ndarray, noc_topology: str = "maestro") -> None:
        self.noc_bw, self.noc_latency, self.offchip_bw, self.num_simd_lanes = \
            noc_bw, noc_latency, offchip_bw, num_simd_lanes
        self.noc_topology = noc_topology

    @classmethod
    def over(cls, axes: Axes, exact_python: bool = False, noc_topology: str = "maestro") -> "ArrayAlgebra":
        """The outer-product grid of the four axes: value ``i`` of axis ``k`` along array axis ``k``."""
        arrays = []
        for index, values in enumerate(axes):
            shape = [1] * len(HARDWARE_NAMES)
            shape[index] = len(values)
            array = np.array(values, dtype=np.int64).reshape(shape)
            arrays.append(array.astype(object) if exact_python else array)
        return cls(*arrays, noc_topology)

    @staticmethod
    def tdiv(a: Any, b: Any) -> Any:
        if isinstance(a, int):
            if isinstance(b, int):
                return trunc_div(a, b)
            if a >= 0:
                return a // b  # floor is truncation for a non-negative numerator (divisors are positive)
        return _trunc_div(a, b)

    @staticmethod
    def cdiv(a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int):
            return ceil_div(a, b)
        return -((-a) // b)

    @staticmethod
    def vmax(*values: Any) -> Any:
        # Smallest arrays first: the broadcasts to the full grid happen as late as possible.
        return reduce(np.maximum, sorted(values, key=np.size)) if len(values) > 1 else values[0]

    @staticmethod
    def vmin(*values: Any) -> Any:
        return reduce(np.minimum, sorted(values, key=np.size)) if len(values) > 1 else values[0]

    @staticmethod
    def vsum(values: list[Any]) -> Any:
        return sum(values)


@dataclass(frozen=True)
class GridCost:
    """A layer over a grid of designs: arrays broadcastable to the grid's shape, and exact ints."""

    runtime: np.ndarray
    peak_noc_bw: np.ndarray
    offchip_bw: np.ndarray
    runtime_bound: int  # the largest runtime of the grid (at its corner), exact
    macs: int
    l1_accesses: dict[str, int]
    l2_accesses: dict[str, int]
    l1_size: int  # L1 need (elements per PE)
    l2_size: int  # L2 need (elements)

    @property
    def exact_python(self) -> bool:
        return self.runtime.dtype == object


def _grid_fold(structure: LayerAnalysis, axes: Axes, exact_python: bool, noc_topology: str) -> LevelResult:
    """The top level's results over the grid (runtimes and bandwidths; no delay statistics)."""
    algebra = ArrayAlgebra.over(axes, exact_python, noc_topology)
    return Fold(structure, algebra, _SUB_FOLDS, (axes, exact_python), statistics=False).top()


def clear_caches() -> None:
    """Forget every cached analysis and result (for benchmarks: each run starts cold)."""
    structure_of.cache_clear()
    folded.cache_clear()
    grid_cost.cache_clear()
    SUB_LEVELS.clear()
    _SUB_FOLDS.clear()


def corner(axes: Axes, noc_topology: str = "maestro") -> IntegerAlgebra:
    """The design of the grid with the largest values: least bandwidth and lanes, most latency."""
    noc_bw, noc_latency, offchip_bw, lanes = axes
    return IntegerAlgebra(min(noc_bw), max(noc_latency), min(offchip_bw), min(lanes), noc_topology)


@lru_cache(maxsize=32)
def grid_cost(shape: LayerIR, axes: Axes, noc_topology: str = "maestro") -> GridCost:
    """A layer shape (costmodel.shape_key) over the outer product of the hardware ``axes``, timed by the
    ``noc_topology``'s rules.

    Cached for the few shapes a run of groups revisits; the arrays stay small because
    each value spans only the axes it depends on.
    """
    structure = structure_of(shape)
    bound = Fold(structure, corner(axes, noc_topology), statistics=False).top().runtime
    exact_python = bound >= INT64_SAFE
    try:
        top = _grid_fold(structure, axes, exact_python, noc_topology)
    except OverflowError:  # an int of the layer itself beyond int64
        exact_python = True
        top = _grid_fold(structure, axes, exact_python, noc_topology)
    grid = tuple(len(values) for values in axes)

    def full(value: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=object if exact_python else np.int64), grid)

    return GridCost(
        runtime=full(top.runtime), peak_noc_bw=full(top.peak_bw), offchip_bw=full(top.offchip_bw),
        runtime_bound=bound, macs=top.macs,
        l1_accesses={t: top.l1_read[t] + top.l1_write[t] for t in TENSORS},
        l2_accesses={t: top.l2_read[t] + top.l2_write[t] for t in TENSORS},
        l1_size=sum(top.first_l1_req.values()), l2_size=sum(top.l2_req.values()))
