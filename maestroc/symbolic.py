"""The algebra of the cost model: exact integer expressions in the hardware symbols.

The cost model (maestroc.costmodel) is written once, over values that are plain
Python ints where everything is known and sympy expressions where a hardware
parameter enters (NoC bandwidth and latency, off-chip bandwidth, SIMD lanes).
The helpers below build those expressions; they fold to ints when all their
arguments are ints, so a layer's counts stay exact integers.

Integer division is MAESTRO's C++ truncating division; sympy's own ``floor`` and
``ceiling`` would lambdify to float64, so :class:`TruncDiv` and :class:`CeilDiv`
are sympy functions of our own with exact evaluation and their own printers.
``Max``/``Min`` are built unevaluated (sympy's canonicalisation of ``Max`` costs
tens of milliseconds per expression).
"""

from __future__ import annotations

from typing import Mapping, Union

import sympy
from sympy.printing.pycode import PythonCodePrinter

Value = Union[int, sympy.Expr]

NOC_BW = sympy.Symbol("noc_bw", integer=True, positive=True)
NOC_LATENCY = sympy.Symbol("noc_latency", integer=True, nonnegative=True)
OFFCHIP_BW = sympy.Symbol("offchip_bw", integer=True, positive=True)
SIMD_LANES = sympy.Symbol("num_simd_lanes", integer=True, positive=True)
HARDWARE_SYMBOLS = (NOC_BW, NOC_LATENCY, OFFCHIP_BW, SIMD_LANES)


def trunc_div(a: int, b: int) -> int:
    """C++ integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def ceil_div(a: int, b: int) -> int:
    """``ceil(a / b)`` for integers (MAESTRO computes it in double; exact here)."""
    return -((-a) // b)


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


class IntegerPrinter(PythonCodePrinter):
    """Python source for an expression, integer-exact: usable on ints and numpy int64 arrays."""

    def _print_TruncDiv(self, expr: TruncDiv) -> str:
        a, b = (self._print(x) for x in expr.args)
        # Every divisor in the model is positive; numerators can be negative (noc_latency 0).
        return f"_trunc_div({a}, {b})"

    def _print_CeilDiv(self, expr: CeilDiv) -> str:
        a, b = (self._print(x) for x in expr.args)
        return f"(-((-({a})) // ({b})))"

    def _print_Max(self, expr: sympy.Max) -> str:
        args = [self._print(a) for a in expr.args]
        out = args[0]
        for a in args[1:]:
            out = f"_max({out}, {a})"
        return out

    def _print_Min(self, expr: sympy.Min) -> str:
        args = [self._print(a) for a in expr.args]
        out = args[0]
        for a in args[1:]:
            out = f"_min({out}, {a})"
        return out
