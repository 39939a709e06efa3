"""The pass pipeline, layer by layer, with the layers an edit did not touch taken from a cache.

After the parser, the pipeline is the largest part of an analysis, and it works
on each layer alone except where a layer without ``Dataflow`` copies the one
before it. So when every layer has its own dataflow, the layers not seen before are
lowered together and each is kept under its text, position, the Constants and
the hardware: an unchanged layer at the same place lowers to the same IR and the
same findings. Otherwise the whole network goes through the pipeline, as
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


Entry = tuple[LayerIR, bool, tuple[Diagnostic, ...]]  # a layer's IR, whether legality rejected it, its findings


class LayerCache:
    """Lowered layers of one document, least recently used dropped first."""

    def __init__(self, capacity: int = CACHE_LAYERS) -> None:
        self.capacity = capacity
        self.entries: OrderedDict[object, Entry] = OrderedDict()

    def lower(self, tree: ast.MappingFile, text: str, hardware: HardwareSpec | None) -> tuple[NetworkIR, list[Diagnostic]]:
        """The network's IR and the pipeline's findings, as one run of the whole pipeline would give them."""
        network = tree.networks[0]
        if len(tree.networks) != 1 or not network.layers or any(layer.dataflow is None for layer in network.layers):
            return run_whole(tree, hardware)
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        constants = tuple((c.name, ast.format_value(c.value)) for c in tree.constants)
        keys = [(tree.path, layer.span, text[starts[layer.span.line - 1] + layer.span.column - 1:
                                             starts[layer.span.end_line - 1] + layer.span.end_column - 1],
                 constants, hardware) for layer in network.layers]
        missing = [(layer, key) for layer, key in zip(network.layers, keys) if key not in self.entries]
        if missing:
            fresh = _lower_together(tree, [layer for layer, _ in missing], hardware)
            if fresh is None:  # a finding outside every layer: no way to keep it per layer
                return run_whole(tree, hardware)
            self.entries.update((key, entry) for (_, key), entry in zip(missing, fresh))
        for key in keys:
            self.entries.move_to_end(key)
        parts = [self.entries[key] for key in keys]
        while len(self.entries) > max(self.capacity, len(keys)):
            self.entries.popitem(last=False)
        whole = NetworkIR(name=network.name, path=tree.path, layers=tuple(ir for ir, _, _ in parts),
                          hardware=hardware, illegal=frozenset(ir.name for ir, illegal, _ in parts if illegal))
        return whole, [d for _, _, findings in parts for d in findings]


def _lower_together(tree: ast.MappingFile, layers: list[ast.Layer], hardware: HardwareSpec | None) -> list[Entry] | None:
    """The layers lowered in one pipeline run, split by layer; None if a finding cannot be told apart by layer."""
    network = dataclasses.replace(tree.networks[0], layers=tuple(layers))
    ir, findings = run_whole(dataclasses.replace(tree, networks=(network,)), hardware)
    if len(ir.layers) != len(layers):
        return None
    by_layer: list[list[Diagnostic]] = [[] for _ in layers]
    for finding in findings:
        span = finding.span
        owner = next((index for index, layer in enumerate(layers) if span is not None and
                      (layer.span.line, layer.span.column) <= (span.line, span.column) and
                      (span.end_line, span.end_column) <= (layer.span.end_line, layer.span.end_column)), None)
        if owner is None:
            return None
        by_layer[owner].append(finding)
    return [(layer_ir, layer_ir.name in ir.illegal, tuple(found)) for layer_ir, found in zip(ir.layers, by_layer)]


def run_whole(tree: ast.MappingFile, hardware: HardwareSpec | None) -> tuple[NetworkIR, list[Diagnostic]]:
    """The whole pass pipeline over the network, as ``maestroc lint`` runs it."""
    findings = Diagnostics()
    result = run_pipeline(tree, PIPELINE, PassContext(findings, hardware))
    assert isinstance(result.ir, NetworkIR)
    return result.ir, list(findings)
