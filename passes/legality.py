"""legality: reject what cannot be analysed, before a single cycle is counted.

docs/passes.md N10 lists MAESTRO's checks; maestroc adds the cases where MAESTRO
reads uninitialised memory or divides by zero. The rules themselves live in
``maestroc.lint`` (the error rules, L1xx); a layer with a finding is marked
illegal and later stages skip it.
"""

from __future__ import annotations

from dataclasses import replace

from maestroc.ir import NetworkIR
from maestroc.lint import ERROR_RULES, run_rules
from maestroc.pipeline import PassContext


class Legality:
    name = "legality"
    summary = "report the error lint rules (L1xx) and mark the layers that cannot be analysed"

    def run(self, network: NetworkIR, context: PassContext) -> NetworkIR:
        illegal = set(network.illegal)
        for result in run_rules(network, ERROR_RULES):
            context.diagnostics.add(result.diagnostic)
            illegal.add(result.layer)
        return replace(network, illegal=frozenset(illegal))
