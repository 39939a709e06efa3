"""The values the cost model computes with: one model, several algebras.

The cost model (maestroc.costmodel) is written once, over an *algebra*: the four
hardware values it depends on beyond the layer and the sub-cluster counts (NoC
bandwidth and latency, off-chip bandwidth, SIMD lanes), and the five operations
it combines them with (truncating and ceiling division, max, min, sum; ``+``,
``-`` and ``*`` are the values' own). An algebra also names the NoC topology whose
case delays the timing follows (``noc_topology``: MAESTRO's, or a systolic array's,
maestroc.systolic), so that every cache keyed by the algebra tells the two apart.
Three algebras instantiate it:

* :class:`IntegerAlgebra` (here): the values of one design as Python ints. Every
  figure comes out as an exact int; ``maestroc compile`` uses it, with no sympy.
* ``ArrayAlgebra`` (maestroc.engine): int64 numpy arrays, one element per design
  of a grid, with a checked fallback to Python ints; the DSE and batched
  evaluation use it.
* ``SymbolicAlgebra`` (maestroc.symbolic): sympy symbols. The figures come out as
  the closed-form expressions that ``maestroc compile --emit reuse`` prints.

Counts that no hardware value enters (MACs, accesses, buffer needs) are plain
ints in every algebra. Integer division is MAESTRO's C++ truncating division.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

# Values of a grid stay int64 below this; at or above it the engine's grids and the DSE's counts switch to
# exact Python ints (a margin below 2^63 for the sums they form).
INT64_SAFE = 2**62

HARDWARE_NAMES = ("noc_bw", "noc_latency", "offchip_bw", "num_simd_lanes")


def trunc_div(a: int, b: int) -> int:
    """C++ integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def ceil_div(a: int, b: int) -> int:
    """``ceil(a / b)`` for integers (MAESTRO computes it in double; exact here)."""
    return -((-a) // b)


class Algebra(Protocol):
    """The hardware values and the operations the cost model needs (see the module docstring)."""

    noc_bw: Any
    noc_latency: Any
    offchip_bw: Any
    num_simd_lanes: Any
    noc_topology: str  # whose case delays the runtime follows: "maestro" (M14) or "systolic" (maestroc.systolic)

    def tdiv(self, a: Any, b: Any) -> Any: ...

    def cdiv(self, a: Any, b: Any) -> Any: ...

    def vmax(self, *values: Any) -> Any: ...

    def vmin(self, *values: Any) -> Any: ...

    def vsum(self, values: list[Any]) -> Any: ...


@dataclass(frozen=True)
class IntegerAlgebra:
    """One design's hardware values; every result is an exact Python int. Hashable (a cache key)."""

    noc_bw: int
    noc_latency: int
    offchip_bw: int
    num_simd_lanes: int
    noc_topology: str = "maestro"

    @classmethod
    def of(cls, hardware: Any) -> "IntegerAlgebra":
        """The algebra of a hardware spec (anything with the four attributes and ``noc_topology``)."""
        return cls(*(int(getattr(hardware, name)) for name in HARDWARE_NAMES), hardware.noc_topology)

    @staticmethod
    def tdiv(a: int, b: int) -> int:
        return trunc_div(a, b)

    @staticmethod
    def cdiv(a: int, b: int) -> int:
        return -((-a) // b)

    @staticmethod
    def vmax(*values: int) -> int:
        return max(values)

    @staticmethod
    def vmin(*values: int) -> int:
        return min(values)

    @staticmethod
    def vsum(values: list[int]) -> int:
        return sum(values)


# ---- counts over batches ---------------------------------------------------------------------------------
# The hardware-independent half of the model (maestroc.costmodel) computes with Python ints for one mapping
# and with int64 numpy arrays for a batch of mappings of one structure (maestroc.batch). These helpers are
# the few operations that differ between the two; numpy is imported only when an array comes.

def _is_scalar(*values: Any) -> bool:
    return all(type(v) is int or type(v) is bool for v in values)


def tdiv(a: Any, b: Any) -> Any:
    """Truncating division of ints or integer arrays (divisors positive)."""
    if _is_scalar(a, b):
        return trunc_div(a, b)
    q = a // b
    if (q >= 0).all():  # floor is truncation when no quotient is negative
        return q
    return q + ((q < 0) & (q * b != a))


def at_least(value: Any, floor: int) -> Any:
    """``max(value, floor)``."""
    return max(value, floor) if _is_scalar(value) else value.clip(floor)


def smaller(a: Any, b: Any) -> Any:
    """``min(a, b)``."""
    if _is_scalar(a, b):
        return min(a, b)
    import numpy

    return numpy.minimum(a, b)


def larger(a: Any, b: Any) -> Any:
    """``max(a, b)``."""
    if _is_scalar(a, b):
        return max(a, b)
    import numpy

    return numpy.maximum(a, b)


def select(condition: Any, if_true: Any, if_false: Any) -> Any:
    """``if_true if condition else if_false``, elementwise for arrays."""
    if _is_scalar(condition):
        return if_true if condition else if_false
    import numpy

    return numpy.where(condition, if_true, if_false)


def negate(flag: Any) -> Any:
    """``not flag``, elementwise for boolean arrays."""
    return (not flag) if _is_scalar(flag) else ~flag


def nonzero_or_one(value: Any) -> Any:
    """``value or 1``: a zero becomes 1."""
    return (value or 1) if _is_scalar(value) else value + (value == 0)
