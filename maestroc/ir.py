"""The loop-nest IR: one immutable description of each layer's dataflow.

A layer is a dimension table, its strides, its three tensors (and the dimensions
each is coupled to) and its **cluster levels**, outermost first. Each level is an
ordered list of loops ``for D in spatial|temporal(size, offset)`` and, once the
hardware is known, the number of sub-clusters (or PEs) the level spreads over.

Everything is a frozen dataclass; a pass rewrites it with ``dataclasses.replace``.
Every loop and level keeps the span of the directive it came from, so any later
diagnostic can point at the user's text. :func:`format_network` is the one text
form (used by ``--print-ir-after`` and the golden tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator

from maestroc.diagnostics import Span
from maestroc.hardware import HardwareSpec


@dataclass(frozen=True)
class Loop:
    """``for dim in spatial|temporal(size, offset)``; ``origin`` says where it came from."""

    dim: str
    spatial: bool
    size: int
    offset: int
    span: Span | None = None  # the user's directive; None for a loop a pass made up
    origin: str = ""  # "" (as written) or a short note: "inherited from level 0", "unrolled", ...

    @property
    def kind(self) -> str:
        return "spatial" if self.spatial else "temporal"

    @property
    def from_user(self) -> bool:
        return self.span is not None


@dataclass(frozen=True)
class ClusterMark:
    """A ``Cluster(size, P|L)`` directive in the flat list, before the levels are split."""

    size: int
    span: Span | None


@dataclass(frozen=True)
class Level:
    """One cluster level: loops outer -> inner, and how many sub-clusters share them."""

    loops: tuple[Loop, ...]
    # The Cluster directive that closes this level (None for the innermost level).
    cluster: ClusterMark | None = None
    # Sub-clusters (or PEs, at the innermost level) this level spreads over; known with hardware.
    sub_clusters: int | None = None
    # The level's static dimension table (docs/passes.md N8, docs/costmodel.md M6), known after normalisation.
    dims: tuple[tuple[str, int], ...] = ()

    def find(self, dim: str) -> Loop | None:
        """The first loop over ``dim`` (MAESTRO's FindDirective)."""
        return next((loop for loop in self.loops if loop.dim == dim), None)

    @property
    def spatial_loops(self) -> tuple[Loop, ...]:
        return tuple(loop for loop in self.loops if loop.spatial)

    def dim_table(self) -> dict[str, int]:
        return dict(self.dims)


@dataclass(frozen=True)
class Tensor:
    name: str  # "input", "weight" or "output"
    dims: tuple[str, ...]


@dataclass(frozen=True)
class LayerIR:
    name: str
    layer_type: str
    span: Span
    # Declared dimensions as written (name, size), in order; MAESTRO's pixel counts use these.
    declared: tuple[tuple[str, int], ...]
    # Full dimension table, with Y'/X' (or Y/X) derived; empty until the tables pass.
    dims: tuple[tuple[str, int], ...] = ()
    stride: tuple[tuple[str, int], ...] = ()
    tensors: tuple[Tensor, ...] = ()
    # The flat directive list as written (after constants and Sz() are resolved) ...
    directives: tuple[Loop | ClusterMark, ...] = ()
    # ... and the cluster levels, once split (the flat list is then empty).
    levels: tuple[Level, ...] = ()
    # The layer this layer's dataflow was copied from (MAESTRO: a layer without Dataflow).
    dataflow_from: str | None = None
    maestro_name: str = ""

    def dim_table(self) -> dict[str, int]:
        return dict(self.dims)

    def tensor(self, name: str) -> Tensor:
        return next(t for t in self.tensors if t.name == name)

    def stride_of(self, dim: str) -> int:
        return dict(self.stride).get(dim, 1)

    def with_levels(self, levels: list[Level] | tuple[Level, ...]) -> "LayerIR":
        return replace(self, levels=tuple(levels))


@dataclass(frozen=True)
class NetworkIR:
    name: str
    path: str
    layers: tuple[LayerIR, ...]
    hardware: HardwareSpec | None = None
    # Layer names that failed legality: later stages skip them.
    illegal: frozenset[str] = field(default_factory=frozenset)

    def __iter__(self) -> Iterator[LayerIR]:
        return iter(self.layers)

    def with_layers(self, layers: list[LayerIR] | tuple[LayerIR, ...]) -> "NetworkIR":
        return replace(self, layers=tuple(layers))


def _pairs(pairs: tuple[tuple[str, int], ...]) -> str:
    return " ".join(f"{k}={v}" for k, v in pairs)


def format_loop(loop: Loop) -> str:
    text = f"for {loop.dim} in {loop.kind}({loop.size}, {loop.offset})"
    notes = []
    if loop.span is not None:
        notes.append(f"line {loop.span.line}")
    if loop.origin:
        notes.append(loop.origin)
    return f"{text:<36}# {', '.join(notes)}" if notes else text


def format_layer(layer: LayerIR, hardware: HardwareSpec | None = None) -> str:
    """The layer's IR as text: header, tensors, then levels (or the flat directive list)."""
    lines = [f"layer {layer.name} : {layer.layer_type}"]
    if layer.dims:
        lines[0] += f"  {_pairs(layer.dims)}"
    else:
        lines[0] += f"  {_pairs(layer.declared)}"
    if layer.stride:
        lines[0] += f"  stride {_pairs(layer.stride)}"
    if layer.dataflow_from:
        lines.append(f"  # dataflow copied from layer {layer.dataflow_from}")
    if layer.tensors:
        lines.append("  " + "  ".join(f"{t.name}[{','.join(t.dims)}]" for t in layer.tensors))
    for item in layer.directives:
        if isinstance(item, ClusterMark):
            where = f"  # line {item.span.line}" if item.span else ""
            lines.append(f"  cluster({item.size}){where}")
        else:
            lines.append("  " + format_loop(item))
    for index, level in enumerate(layer.levels):
        head = f"  level {index}"
        if level.sub_clusters is not None:
            unit = "PEs" if index == len(layer.levels) - 1 else "sub-clusters"
            head += f"  x{level.sub_clusters} {unit}"
        if level.dims:
            head += f"  dims {_pairs(level.dims)}"
        if level.cluster is not None:
            where = f", line {level.cluster.span.line}" if level.cluster.span else ""
            head += f"  # closed by Cluster({level.cluster.size}{where})"
        lines.append(head)
        for loop in level.loops:
            lines.append("    " + format_loop(loop))
    return "\n".join(lines) + "\n"


def format_network(network: NetworkIR, layer: str | None = None) -> str:
    """The whole network's IR as text; ``layer`` keeps only that layer."""
    header = f"network {network.name}  # {network.path}"
    if network.hardware is not None:
        hw = network.hardware
        header += f"\n# hardware: num_pes={hw.num_pes} noc_bw={hw.noc_bw} offchip_bw={hw.offchip_bw} " \
                  f"noc_latency={hw.noc_latency} num_simd_lanes={hw.num_simd_lanes}"
    parts = [header]
    for item in network.layers:
        if layer is None or item.name == layer:
            text = format_layer(item)
            if item.name in network.illegal:
                text = text.replace("\n", "  # illegal: not analysed\n", 1)
            parts.append(text)
    return "\n".join(parts)
