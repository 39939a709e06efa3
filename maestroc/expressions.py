"""The cost expressions of `compile --emit reuse`: as text, one term per line, or as a LaTeX fragment."""

from __future__ import annotations

import sympy
from sympy.printing.latex import LatexPrinter

from maestroc.costmodel import TENSORS, shape_key
from maestroc.ir import NetworkIR


def _terms(expr: sympy.Expr) -> str:
    """An expression as text, one top-level term per line (a sum of per-case delays reads best so)."""
    if isinstance(expr, sympy.Add):
        terms = [sympy.sstr(t) for t in expr.as_ordered_terms()]
        return "\n".join(("  " if i == 0 else "+ ") + t for i, t in enumerate(terms))
    return sympy.sstr(expr)


class _LatexPrinter(LatexPrinter):
    """Hardware symbols as upright-italic names (`noc_latency`, not noc subscript latency); exact divisions."""

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        return r"\mathit{" + expr.name.replace("_", r"\_") + "}"

    def _print_CeilDiv(self, expr: sympy.Expr) -> str:
        top, bottom = (self._print(a) for a in expr.args)
        return r"\left\lceil \frac{" + top + "}{" + bottom + r"} \right\rceil"

    def _print_TruncDiv(self, expr: sympy.Expr) -> str:  # the operands are never negative: a floor
        top, bottom = (self._print(a) for a in expr.args)
        return r"\left\lfloor \frac{" + top + "}{" + bottom + r"} \right\rfloor"


def _latex_text(text: str) -> str:
    """Plain text escaped for LaTeX's text mode."""
    special = {"\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$",
               "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
    return "".join(special.get(c, c) for c in text)


def _latex_equation(name: str, expr: sympy.Expr) -> list[str]:
    """A named expression as an amsmath multline*, one top-level term per line."""
    printer = _LatexPrinter()
    terms = expr.as_ordered_terms() if isinstance(expr, sympy.Add) else [expr]
    lines = [r"\begin{multline*}", r"\text{" + _latex_text(name) + "} = " + printer.doprint(terms[0])]
    lines += [r"\\ + " + printer.doprint(term) for term in terms[1:]]
    return lines + [r"\end{multline*}"]


def format_reuse(network: NetworkIR, latex: bool = False, noc_topology: str = "maestro") -> str:
    """The cost expressions of every layer: per level and case structure, in the hardware symbols, with the
    case delays of ``noc_topology`` (MAESTRO's, or the systolic array's: maestroc.systolic).

    With ``latex`` the whole output is a LaTeX fragment (amsmath): text escaped, each expression in
    a multline* environment, hardware symbols as \\mathit names.
    """
    from maestroc.symbolic import SymbolicAlgebra
    from maestroc.timing import folded

    def text(line: str) -> str:  # a line of plain text: its own paragraph in LaTeX
        return _latex_text(line) + r" \par" if latex else line

    algebra = SymbolicAlgebra(noc_topology)
    out: list[str] = [f"% maestroc reuse expressions of {network.name} (needs amsmath)"] if latex else []
    if noc_topology != "maestro":
        out.append(text(f"timing: noc_topology {noc_topology} (docs/systolic.md), not MAESTRO's model"))
    indent = "" if latex else "  "
    for layer in network.layers:
        if layer.name in network.illegal or not layer.levels:
            continue
        fold = folded(shape_key(layer), algebra)  # the one cost model, in the hardware symbols
        heading = f"layer {layer.name} : {layer.layer_type}"
        out.append(r"\paragraph{" + _latex_text(heading) + "}" if latex else heading)
        for (level, dims), result in sorted(fold.results.items(), key=lambda item: item[0][0]):
            shown = " ".join(f"{k}={v}" for k, v in dims)
            out.append(indent + text(f"level {level}  x{layer.levels[level].sub_clusters} sub-clusters  dims {shown}"))
            out.append(indent * 2 + text(f"iterations (all cases): {result.total_occurrences}"))
            for name, value in (("runtime", result.runtime), ("peak NoC BW", result.peak_bw)):
                if latex:
                    out.extend(_latex_equation(name, sympy.sympify(value)))
                else:
                    out.append(f"    {name} =")
                    out.extend("      " + line for line in _terms(sympy.sympify(value)).splitlines())
            for tensor in TENSORS:
                out.append(indent * 2 + text(
                    f"{tensor}: L2 read {result.l2_read[tensor]}, L2 write {result.l2_write[tensor]}, "
                    f"L1 read {result.l1_read[tensor]}, L1 write {result.l1_write[tensor]}, "
                    f"L2 need {result.l2_req[tensor]}, L1 need {result.l1_req[tensor]}"))
            out.append(indent * 2 + text(f"MACs {result.macs}"))
        out.append("")
    return "\n".join(out)
