"""Finding things in a document's AST: the node under the cursor, Constants and their uses, symbols.

Positions here are the project's: 1-based line and column (a :class:`Span`);
the server converts from and to the protocol's 0-based positions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from maestroc import ast
from maestroc.diagnostics import Span


@dataclass(frozen=True)
class Hit:
    """A node under the cursor, with the layer it belongs to (None outside layers)."""

    node: object
    span: Span
    layer: ast.Layer | None


def contains(span: Span, line: int, column: int) -> bool:
    """True if the position is in the span, or just after its end (where a cursor rests after typing)."""
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


def _values(value: ast.Value, layer: ast.Layer | None) -> Iterator[Hit]:
    if isinstance(value, (ast.ConstRef, ast.SizeOf)):
        yield Hit(value, value.span, layer)


def _directive(directive: ast.Directive, layer: ast.Layer | None) -> Iterator[Hit]:
    yield Hit(directive, directive.span, layer)
    if isinstance(directive, ast.MapDirective):
        yield from _values(directive.size, layer)
        yield from _values(directive.offset, layer)
    else:
        yield from _values(directive.size, layer)


def _layer_targets(layer: ast.Layer) -> Iterator[Hit]:
    yield Hit(layer, layer.name_span, layer)
    for item in layer.items:
        if isinstance(item, (ast.Stride, ast.Dimensions)):
            for entry in item.entries:
                yield from _values(entry.value, layer)
        elif isinstance(item, ast.Dataflow):
            for directive in item.directives:
                yield from _directive(directive, layer)


def targets(tree: ast.MappingFile, line: int | None = None) -> Iterator[Hit]:
    """Every node a hover, a definition or a reference can start from (only in the layer at ``line``, if given)."""
    for constant in tree.constants:
        yield Hit(constant, constant.name_span, None)
        yield from _values(constant.value, None)
    for template in tree.templates:
        for directive in template.directives:
            yield from _directive(directive, None)
    for network in tree.networks:
        for layer in network.layers:
            if line is None or layer.span.line <= line <= layer.span.end_line:
                yield from _layer_targets(layer)


def node_at(tree: ast.SourceFile | None, line: int, column: int) -> Hit | None:
    """The innermost hover target at a position."""
    if not isinstance(tree, ast.MappingFile):
        return None
    hits = [hit for hit in targets(tree, line) if contains(hit.span, line, column)]
    if not hits:
        return None
    return min(hits, key=lambda hit: (hit.span.end_line - hit.span.line, hit.span.end_column - hit.span.column))


def constant_named(tree: ast.MappingFile, name: str) -> ast.Constant | None:
    return next((c for c in tree.constants if c.name == name), None)


def constant_uses(tree: ast.MappingFile, name: str) -> list[Span]:
    """The spans of every reference to the Constant ``name``, in source order."""
    return sorted(hit.span for hit in targets(tree) if isinstance(hit.node, ast.ConstRef) and hit.node.name == name)


def constant_under(tree: ast.SourceFile | None, line: int, column: int) -> ast.Constant | None:
    """The Constant defined or referenced at a position."""
    hit = node_at(tree, line, column)
    if hit is None or not isinstance(tree, ast.MappingFile):
        return None
    if isinstance(hit.node, ast.Constant):
        return hit.node
    if isinstance(hit.node, ast.ConstRef):
        return constant_named(tree, hit.node.name)
    return None


def layer_at(tree: ast.SourceFile | None, line: int, column: int) -> ast.Layer | None:
    if not isinstance(tree, ast.MappingFile):
        return None
    return next((layer for network in tree.networks for layer in network.layers
                 if contains(layer.span, line, column)), None)


def written_dims(layer: ast.Layer, tree: ast.MappingFile) -> dict[str, int]:
    """The layer's Dimensions as written, Constants resolved (for files the pipeline did not size)."""
    constants = {c.name: c.value.value for c in tree.constants if isinstance(c.value, ast.Number)}
    dims: dict[str, int] = {}
    if layer.dimensions is not None:
        for entry in layer.dimensions.entries:
            if isinstance(entry.value, ast.Number):
                dims[entry.name] = entry.value.value  # type: ignore[assignment]
            elif isinstance(entry.value, ast.ConstRef) and entry.value.name in constants:
                dims[entry.name] = constants[entry.value.name]  # type: ignore[assignment]
    return dims


@dataclass(frozen=True)
class Symbol:
    """An entry of the document outline."""

    name: str
    kind: str  # "constant", "network", "layer", "dataflow", "key"
    detail: str
    span: Span
    name_span: Span
    children: tuple[Symbol, ...] = ()


def symbols(tree: ast.SourceFile | None) -> list[Symbol]:
    """The outline: Constants, Networks with their layers, dataflow templates, or a hardware file's keys."""
    if isinstance(tree, ast.HardwareFile):
        return [Symbol(e.key, "key", ast.format_value(e.value), e.span, e.key_span) for e in tree.entries]
    if not isinstance(tree, ast.MappingFile):
        return []
    out = [Symbol(c.name, "constant", ast.format_value(c.value), c.span, c.name_span) for c in tree.constants]
    for network in tree.networks:
        layers = tuple(Symbol(layer.name, "layer", layer.type_decl.name if layer.type_decl else "", layer.span,
                              layer.name_span) for layer in network.layers)
        out.append(Symbol(network.name, "network", f"{len(layers)} layers", network.span, network.name_span, layers))
    for template in tree.templates:
        out.append(Symbol("Dataflow", "dataflow", f"{len(template.directives)} directives", template.span,
                          template.span))
    return sorted(out, key=lambda s: (s.span.line, s.span.column))
