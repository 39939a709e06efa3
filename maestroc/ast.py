"""The typed, immutable syntax tree of mapping, model, template and hardware files.

Every node keeps the :class:`~maestroc.diagnostics.Span` it came from, so any
later stage can point a diagnostic at the exact text. Values (sizes, offsets,
dimension sizes) stay unevaluated here: a :class:`Number`, a :class:`ConstRef`
or a :class:`SizeOf`; the front end's checks (maestroc.sema) make sure each one
can be evaluated, and the IR passes evaluate them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, Union

from maestroc.diagnostics import Span


@dataclass(frozen=True)
class Number:
    """A literal as written: ``value`` is an int unless the text had a fraction."""

    value: int | float
    span: Span


@dataclass(frozen=True)
class Word:
    """A word value of a hardware file (``noc_topology: systolic``): one of the key's named choices."""

    value: str
    span: Span


@dataclass(frozen=True)
class ConstRef:
    """A reference to a ``Constant``."""

    name: str
    span: Span


@dataclass(frozen=True)
class SizeOf:
    """``Sz(D)``: the size of the layer's dimension ``D``."""

    dim: str
    dim_span: Span
    span: Span


Value = Union[Number, ConstRef, SizeOf]


@dataclass(frozen=True)
class Constant:
    name: str
    value: Value
    name_span: Span
    span: Span


@dataclass(frozen=True)
class DimEntry:
    """``K: 64`` inside ``Dimensions`` or ``Stride``."""

    name: str
    value: Value
    name_span: Span
    span: Span


MapKind = Literal["SpatialMap", "TemporalMap"]


@dataclass(frozen=True)
class MapDirective:
    """``SpatialMap(size, offset) D;`` or ``TemporalMap(size, offset) D;``."""

    kind: MapKind
    size: Value
    offset: Value
    dim: str
    dim_span: Span
    span: Span


@dataclass(frozen=True)
class ClusterDirective:
    """``Cluster(size, P|L);``: closes a cluster level."""

    size: Value
    cluster_type: str
    type_span: Span
    span: Span


Directive = Union[MapDirective, ClusterDirective]


@dataclass(frozen=True)
class Dataflow:
    directives: tuple[Directive, ...]
    span: Span


@dataclass(frozen=True)
class TypeDecl:
    name: str
    span: Span


@dataclass(frozen=True)
class Stride:
    entries: tuple[DimEntry, ...]
    span: Span


@dataclass(frozen=True)
class Dimensions:
    entries: tuple[DimEntry, ...]
    span: Span


LayerItem = Union[TypeDecl, Stride, Dimensions, Dataflow]


@dataclass(frozen=True)
class Layer:
    """A layer; ``items`` keeps the written order (MAESTRO needs Stride before Dimensions)."""

    name: str
    name_span: Span
    items: tuple[LayerItem, ...]
    span: Span

    def _first(self, kind: type) -> object | None:
        return next((item for item in self.items if isinstance(item, kind)), None)

    @property
    def type_decl(self) -> TypeDecl | None:
        return self._first(TypeDecl)  # type: ignore[return-value]

    @property
    def stride(self) -> Stride | None:
        return self._first(Stride)  # type: ignore[return-value]

    @property
    def dimensions(self) -> Dimensions | None:
        return self._first(Dimensions)  # type: ignore[return-value]

    @property
    def dataflow(self) -> Dataflow | None:
        return self._first(Dataflow)  # type: ignore[return-value]

    @property
    def maestro_name(self) -> str:
        """The name MAESTRO prints: the last `-`-separated part (``Conv2d-1`` -> ``1``)."""
        return self.name.rsplit("-", 1)[-1]


@dataclass(frozen=True)
class Network:
    name: str
    name_span: Span
    layers: tuple[Layer, ...]
    span: Span


@dataclass(frozen=True)
class AcceleratorEntry:
    name: str
    value: str
    span: Span


@dataclass(frozen=True)
class AcceleratorGroup:
    name: str
    items: tuple[Union["AcceleratorGroup", AcceleratorEntry], ...]
    span: Span


@dataclass(frozen=True)
class Accelerator:
    """The optional ``Accelerator { ... }`` block: kept, but ignored by the analysis (as in MAESTRO)."""

    items: tuple[Union[AcceleratorGroup, AcceleratorEntry], ...]
    span: Span


@dataclass(frozen=True)
class MappingFile:
    """A mapping file (layers with dataflows), a model file (layers only) or a dataflow template."""

    path: str
    constants: tuple[Constant, ...]
    networks: tuple[Network, ...]
    accelerators: tuple[Accelerator, ...]
    # A template: a top-level ``Dataflow { ... }`` block or bare directives.
    templates: tuple[Dataflow, ...]

    @property
    def kind(self) -> Literal["mapping", "model", "template"]:
        if self.templates and not self.networks:
            return "template"
        layers = [layer for net in self.networks for layer in net.layers]
        if layers and all(layer.dataflow is None for layer in layers):
            return "model"
        return "mapping"


@dataclass(frozen=True)
class HwEntry:
    key: str
    value: Number | Word
    key_span: Span
    span: Span


@dataclass(frozen=True)
class HardwareFile:
    path: str
    entries: tuple[HwEntry, ...]

    @property
    def kind(self) -> Literal["hw"]:
        return "hw"


SourceFile = Union[MappingFile, HardwareFile]


def with_constants(tree: MappingFile, values: dict[str, int]) -> MappingFile:
    """The mapping file with some constants given other values (``--set``, the DSE)."""
    constants = tuple(dataclasses.replace(c, value=Number(values[c.name], c.value.span)) if c.name in values else c
                      for c in tree.constants)
    return dataclasses.replace(tree, constants=constants)


def to_json(node: object) -> object:
    """A JSON-ready form of any AST node: a dict with a ``node`` key naming its class."""
    if isinstance(node, Span):
        return node.to_json()
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        out: dict[str, object] = {"node": type(node).__name__}
        for f in dataclasses.fields(node):
            out[f.name] = to_json(getattr(node, f.name))
        if isinstance(node, (MappingFile, HardwareFile)):
            out["kind"] = node.kind
        return out
    if isinstance(node, tuple):
        return [to_json(item) for item in node]
    return node


def format_value(value: Value | Word) -> str:
    if isinstance(value, (Number, Word)):
        return str(value.value)
    if isinstance(value, ConstRef):
        return value.name
    return f"Sz({value.dim})"


def format_tree(node: SourceFile) -> str:
    """A readable, deterministic indented dump of a parsed file (``maestroc parse --emit ast``)."""
    lines: list[str] = []

    def at(span: Span) -> str:
        return f"  @{span.line}:{span.column}"

    def entries(items: tuple[DimEntry, ...]) -> str:
        return " ".join(f"{e.name}={format_value(e.value)}" for e in items)

    def directive(d: Directive) -> str:
        if isinstance(d, MapDirective):
            return f"{d.kind}({format_value(d.size)}, {format_value(d.offset)}) {d.dim}"
        return f"Cluster({format_value(d.size)}, {d.cluster_type})"

    def dataflow(df: Dataflow, indent: str) -> None:
        lines.append(f"{indent}Dataflow{at(df.span)}")
        for d in df.directives:
            lines.append(f"{indent}  {directive(d)}{at(d.span)}")

    def accelerator_items(items: tuple[Union[AcceleratorGroup, AcceleratorEntry], ...], indent: str) -> None:
        for item in items:
            if isinstance(item, AcceleratorGroup):
                lines.append(f"{indent}{item.name}{at(item.span)}")
                accelerator_items(item.items, indent + "  ")
            else:
                lines.append(f"{indent}{item.name} = {item.value}{at(item.span)}")

    if isinstance(node, HardwareFile):
        lines.append(f"HardwareFile {node.path}")
        for e in node.entries:
            lines.append(f"  {e.key} = {e.value.value}{at(e.span)}")
        return "\n".join(lines) + "\n"

    lines.append(f"MappingFile {node.path} ({node.kind})")
    for c in node.constants:
        lines.append(f"  Constant {c.name} = {format_value(c.value)}{at(c.span)}")
    for acc in node.accelerators:
        lines.append(f"  Accelerator{at(acc.span)}")
        accelerator_items(acc.items, "    ")
    for df in node.templates:
        dataflow(df, "  ")
    for net in node.networks:
        lines.append(f"  Network {net.name}{at(net.span)}")
        for layer in net.layers:
            lines.append(f"    Layer {layer.name}{at(layer.span)}")
            for item in layer.items:
                if isinstance(item, TypeDecl):
                    lines.append(f"      Type {item.name}{at(item.span)}")
                elif isinstance(item, Stride):
                    lines.append(f"      Stride {entries(item.entries)}{at(item.span)}")
                elif isinstance(item, Dimensions):
                    lines.append(f"      Dimensions {entries(item.entries)}{at(item.span)}")
                else:
                    dataflow(item, "      ")
    return "\n".join(lines) + "\n"
