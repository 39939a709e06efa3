"""The symbolic algebra of the cost model: exact integer expressions in the hardware symbols.

The cost model (maestroc.costmodel) is written once over an algebra
(maestroc.algebra). :data:`SYMBOLIC` instantiates it with sympy symbols for the
hardware values (NoC bandwidth and latency, off-chip bandwidth, SIMD lanes), so
the model yields plain Python ints where everything is known and closed-form
expressions where a hardware value enters: what ``--emit reuse`` prints. The
helpers below build those expressions; they fold to ints when all their
arguments are ints, so a layer's counts stay exact integers. Numbers never come
from here (maestroc.algebra.IntegerAlgebra and maestroc.engine compute them
without sympy); :func:`evaluate` serves the tests that check the two agree.

Integer division is MAESTRO's C++ truncating division; sympy's own ``floor`` and
``ceiling`` would lambdify to float64, so :class:`TruncDiv` and :class:`CeilDiv`
are sympy functions of our own with exact evaluation and their own printers.
``Max``/``Min`` are built unevaluated (sympy's canonicalisation of ``Max`` costs
tens of milliseconds per expression).
"""

from __future__ import annotations

from typing import Mapping, Union

import sympy

from maestroc.algebra import ceil_div, trunc_div

Value = Union[int, sympy.Expr]

NOC_BW = sympy.Symbol("noc_bw", integer=True, positive=True)
NOC_LATENCY = sympy.Symbol("noc_latency", integer=True, nonnegative=True)
OFFCHIP_BW = sympy.Symbol("offchip_bw", integer=True, positive=True)
SIMD_LANES = sympy.Symbol("num_simd_lanes", integer=True, positive=True)
HARDWARE_SYMBOLS = (NOC_BW, NOC_LATENCY, OFFCHIP_BW, SIMD_LANES)


class TruncDiv(sympy.Function):
    """``a / b`` truncated toward zero, as C++ ``long`` division."""

    is_integer = True

    @classmethod
    def eval(cls, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr | None:
        if a.is_Integer and b.is_Integer and b != 0:
            return sympy.Integer(trunc_div(int(a), int(b)))
        return None

    def _sympystr(self, printer: object) -> str:
        a, b = self.args
        return f"({printer._print(a)}) div ({printer._print(b)})"  # type: ignore[attr-defined]


class CeilDiv(sympy.Function):
    """``ceil(a / b)`` for integers."""

    is_integer = True

    @classmethod
    def eval(cls, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr | None:
        if a.is_Integer and b.is_Integer and b != 0:
            return sympy.Integer(ceil_div(int(a), int(b)))
        if a.is_Integer and int(a) in (0, 1) and b.is_positive:
            return sympy.Integer(int(a))  # ceil(0/b) = 0 and ceil(1/b) = 1 for any b >= 1
        return None

    def _sympystr(self, printer: object) -> str:
        a, b = self.args
        return f"ceil(({printer._print(a)}) / ({printer._print(b)}))"  # type: ignore[attr-defined]


def _is_int(value: Value) -> bool:
    return isinstance(value, int) or (isinstance(value, sympy.Integer))


def tdiv(a: Value, b: Value) -> Value:
    if _is_int(a) and _is_int(b):
        return trunc_div(int(a), int(b))
    return TruncDiv(a, b)


def cdiv(a: Value, b: Value) -> Value:
    if _is_int(a) and _is_int(b):
        return ceil_div(int(a), int(b))
    return CeilDiv(a, b)


def vmax(*values: Value) -> Value:
    """``max`` that stays unevaluated (and cheap) when some argument is symbolic."""
    ints = [int(v) for v in values if _is_int(v)]
    symbolic = list(dict.fromkeys(v for v in values if not _is_int(v)))
    if not symbolic:
        return max(ints)
    args = symbolic + ([sympy.Integer(max(ints))] if ints else [])
    return args[0] if len(args) == 1 else sympy.Max(*args, evaluate=False)


def vmin(*values: Value) -> Value:
    ints = [int(v) for v in values if _is_int(v)]
    symbolic = list(dict.fromkeys(v for v in values if not _is_int(v)))
    if not symbolic:
        return min(ints)
    args = symbolic + ([sympy.Integer(min(ints))] if ints else [])
    return args[0] if len(args) == 1 else sympy.Min(*args, evaluate=False)


def vsum(values: list[Value]) -> Value:
    """Sum of terms: ints are added exactly, symbolic terms collected once."""
    total = 0
    symbolic: list[sympy.Expr] = []
    for v in values:
        if _is_int(v):
            total += int(v)
        else:
            symbolic.append(v)  # type: ignore[arg-type]
    if not symbolic:
        return total
    return sympy.Add(*symbolic, sympy.Integer(total)) if total else sympy.Add(*symbolic)


def evaluate(expr: Value, env: Mapping[sympy.Symbol, int]) -> int:
    """Exact integer value of ``expr`` for the hardware values in ``env``."""
    if isinstance(expr, int):
        return expr
    return _eval(expr, env)


def _eval(expr: sympy.Basic, env: Mapping[sympy.Symbol, int]) -> int:
    if expr.is_Integer:
        return int(expr)
    if expr.is_Symbol:
        return env[expr]  # type: ignore[index]
    args = [_eval(a, env) for a in expr.args]
    if expr.is_Add:
        return sum(args)
    if expr.is_Mul:
        result = 1
        for a in args:
            result *= a
        return result
    if isinstance(expr, sympy.Max):
        return max(args)
    if isinstance(expr, sympy.Min):
        return min(args)
    if isinstance(expr, TruncDiv):
        return trunc_div(args[0], args[1])
    if isinstance(expr, CeilDiv):
        return ceil_div(args[0], args[1])
    raise TypeError(f"cannot evaluate {type(expr).__name__} exactly")


class SymbolicAlgebra:
    """The hardware values as sympy symbols: the model's results are its closed forms."""

    noc_bw, noc_latency, offchip_bw, num_simd_lanes = HARDWARE_SYMBOLS
    tdiv = staticmethod(tdiv)
    cdiv = staticmethod(cdiv)
    vmax = staticmethod(vmax)
    vmin = staticmethod(vmin)
    vsum = staticmethod(vsum)

    def __init__(self, noc_topology: str = "maestro") -> None:
        self.noc_topology = noc_topology

    def __eq__(self, other: object) -> bool:  # a cache key: equal when the timing rules are
        return isinstance(other, SymbolicAlgebra) and other.noc_topology == self.noc_topology

    def __hash__(self) -> int:
        return hash(("SymbolicAlgebra", self.noc_topology))


SYMBOLIC = SymbolicAlgebra()
