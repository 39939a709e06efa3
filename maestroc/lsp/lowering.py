"""The pass pipeline, layer by layer, with the layers an edit did not touch taken from a cache.

After the parser, the pipeline is the largest part of an analysis, and it works
on each layer alone except where a layer without ``Dataflow`` copies the one
before it. So when every layer has its own dataflow, each layer is lowered as a
one-layer network and kept under its text, position, the Constants and the
hardware: an unchanged layer at the same place lowers to the same IR and the same
findings. Otherwise the whole network goes through the pipeline, as
``maestroc lint`` does. The tests compare both ways.
"""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict

from maestroc import ast
from maestroc.diagnostics import Diagnostic, Diagnostics
from maestroc.hardware import HardwareSpec
from maestroc.ir import LayerIR, NetworkIR
from maestroc.passes import PIPELINE
from maestroc.pipeline import PassContext, run_pipeline

CACHE_LAYERS = 4096  # layers kept per document: memory stays bounded however long the file


class LayerCache:
    """Lowered layers of one document, least recently used dropped first."""

    def __init__(self, capacity: int = CACHE_LAYERS) -> None:
        self.capacity = capacity
        self.entries: OrderedDict[object, tuple[NetworkIR, tuple[Diagnostic, ...]]] = OrderedDict()

    def lower(self, tree: ast.MappingFile, text: str, hardware: HardwareSpec | None) -> tuple[NetworkIR, list[Diagnostic]]:
        """The network's IR and the pipeline's findings, as one run of the whole pipeline would give them."""
        network = tree.networks[0]
        if len(tree.networks) != 1 or not network.layers or any(layer.dataflow is None for layer in network.layers):
            return _run(tree, hardware)
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        constants = tuple((c.name, ast.format_value(c.value)) for c in tree.constants)
        parts: list[tuple[NetworkIR, tuple[Diagnostic, ...]]] = []
        for layer in network.layers:
            span = layer.span
            key = (tree.path, span, text[starts[span.line - 1] + span.column - 1:
                                         starts[span.end_line - 1] + span.end_column - 1], constants, hardware)
            part = self.entries.get(key)
            if part is None:
                single = dataclasses.replace(tree, networks=(dataclasses.replace(network, layers=(layer,)),))
                ir, findings = _run(single, hardware)
                part = self.entries[key] = (ir, tuple(findings))
                if len(self.entries) > self.capacity:
                    self.entries.popitem(last=False)
            else:
                self.entries.move_to_end(key)
            parts.append(part)
        layers: list[LayerIR] = [layer for ir, _ in parts for layer in ir.layers]
        illegal = frozenset(name for ir, _ in parts for name in ir.illegal)
        whole = dataclasses.replace(parts[0][0], layers=tuple(layers), illegal=illegal)
        return whole, [d for _, findings in parts for d in findings]


def _run(tree: ast.MappingFile, hardware: HardwareSpec | None) -> tuple[NetworkIR, list[Diagnostic]]:
    findings = Diagnostics()
    result = run_pipeline(tree, PIPELINE, PassContext(findings, hardware))
    assert isinstance(result.ir, NetworkIR)
    return result.ir, list(findings)
