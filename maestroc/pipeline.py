"""The pass manager: runs the passes of ``maestroc.passes.PIPELINE`` in order.

A pass is a small object with a ``name``, a one-line ``summary`` and a
``run(ir, context) -> ir`` method; the manager calls back between passes, which
is all ``--print-ir-before/after``, ``--print-ir-after-all``, ``--stop-after``,
``--verify-each`` and ``--time-passes`` need.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

from maestroc import ast
from maestroc.diagnostics import Diagnostics
from maestroc.hardware import HardwareSpec
from maestroc.ir import NetworkIR


@dataclass
class PassContext:
    """What every pass may use besides the IR: the diagnostics service and the hardware."""

    diagnostics: Diagnostics
    hardware: HardwareSpec | None = None


class Pass(Protocol):
    name: str
    summary: str

    def run(self, ir: Any, context: PassContext) -> Any: ...


# before or after a pass: (pass, IR) -> None
Callback = Callable[[Pass, Any], None]


@dataclass
class PassTiming:
    name: str
    seconds: float


@dataclass
class PipelineResult:
    ir: NetworkIR | ast.MappingFile
    completed: list[str] = field(default_factory=list)
    timings: list[PassTiming] = field(default_factory=list)


def run_pipeline(tree: ast.MappingFile, passes: Sequence[Pass], context: PassContext, *,
                 before: Callback | None = None, after: Callback | None = None,
                 stop_after: str | None = None) -> PipelineResult:
    """Run ``passes`` on a checked AST; the first pass lowers it to the IR."""
    result = PipelineResult(tree)
    value: Any = tree
    for p in passes:
        if before is not None:
            before(p, value)
        start = time.perf_counter()
        value = p.run(value, context)
        result.timings.append(PassTiming(p.name, time.perf_counter() - start))
        result.completed.append(p.name)
        result.ir = value
        if after is not None:
            after(p, value)
        if p.name == stop_after:
            break
    return result
