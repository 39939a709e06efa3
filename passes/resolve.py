"""resolve: the checked AST becomes the IR; constants, ``Sz(D)`` and layer types are resolved.

docs/passes.md N1: a layer without a ``Dataflow`` block takes a copy of the
previous layer's directives, with their values as resolved for that layer
(MAESTRO evaluates ``Sz(R)`` while parsing the layer that wrote it).
"""

from __future__ import annotations

from maestroc import ast
from maestroc.ir import ClusterMark, LayerIR, Loop, NetworkIR
from maestroc.pipeline import PassContext


def evaluate(value: ast.Value, constants: dict[str, int], dims: dict[str, int]) -> int:
    """The integer a checked value stands for (maestroc.sema guarantees it exists)."""
    if isinstance(value, ast.Number):
        return int(value.value)
    if isinstance(value, ast.ConstRef):
        return constants[value.name]
    return dims[value.dim]


class Resolve:
    name = "resolve"
    summary = "lower the checked AST to the IR: evaluate constants and Sz(D), copy dataflows to layers without one"

    def run(self, tree: ast.MappingFile, context: PassContext) -> NetworkIR:
        constants = {c.name: int(c.value.value) for c in tree.constants if isinstance(c.value, ast.Number)}
        layers: list[LayerIR] = []
        previous: LayerIR | None = None
        network = tree.networks[0] if tree.networks else None
        for layer in network.layers if network else ():
            declared = tuple((e.name, evaluate(e.value, constants, {})) for e in layer.dimensions.entries) \
                if layer.dimensions else ()
            dims = dict(declared)
            stride = tuple((e.name, evaluate(e.value, constants, {})) for e in layer.stride.entries) \
                if layer.stride else ()
            if layer.dataflow is not None:
                directives = lower_directives(layer.dataflow.directives, constants, dims)
                dataflow_from = None
            elif previous is not None and previous.directives:
                directives = previous.directives
                dataflow_from = previous.name
            else:
                directives, dataflow_from = (), None
            ir_layer = LayerIR(name=layer.name, layer_type=layer.type_decl.name if layer.type_decl else "",
                               span=layer.name_span, declared=declared, stride=stride, directives=directives,
                               dataflow_from=dataflow_from, maestro_name=layer.maestro_name)
            layers.append(ir_layer)
            previous = ir_layer
        return NetworkIR(name=network.name if network else "", path=tree.path, layers=tuple(layers),
                         hardware=context.hardware)


def lower_directives(directives: tuple[ast.Directive, ...], constants: dict[str, int],
                     dims: dict[str, int]) -> tuple[Loop | ClusterMark, ...]:
    """A Dataflow's directives for a layer of dimensions ``dims`` (constants and ``Sz(D)`` evaluated)."""
    return tuple(_lower_directive(d, constants, dims) for d in directives)


def _lower_directive(directive: ast.Directive, constants: dict[str, int],
                     dims: dict[str, int]) -> Loop | ClusterMark:
    if isinstance(directive, ast.ClusterDirective):
        return ClusterMark(evaluate(directive.size, constants, dims), directive.span)
    return Loop(dim=directive.dim, spatial=directive.kind == "SpatialMap",
                size=evaluate(directive.size, constants, dims),
                offset=evaluate(directive.offset, constants, dims), span=directive.span)
