"""The coverage invariant: the MACs the cost model counts equal the layer's true count.

MAESTRO counts a layer's MACs from the tiles of its top cluster level. When the
directives do not tile the layer exactly once (an offset larger than the tile
leaves gaps, a tile wider than its dimension with a small offset or an
overlapping tile repeats work, a stride wider than the filter window skips
MAESTRO's edge rule, a declared ``Y'`` is widened without its stride), that count is
not the layer's. maestroc keeps MAESTRO's number where MAESTRO prints it and
flags it here: :func:`coverage_gap` compares the two counts and names the
directives (or the stride) that cause the difference; :func:`covers` is the
yes/no form the design-space exploration (and any mapper) uses to reject such
designs.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import NamedTuple

from maestroc.costmodel import shape_key, structure_of
from maestroc.diagnostics import Diagnostics, Span
from maestroc.ir import LayerIR, Loop, NetworkIR
from maestroc.layertypes import LAYER_TYPES, OUTPUT_DIMS, SLIDING

CODE = "C405"


def true_output_size(layer: LayerIR, output: str) -> int:
    """``Y'`` (or ``X'``) of the layer: as declared, else ``(Y - R) // stride + 1``."""
    declared = dict(layer.declared)
    if output in declared:
        return declared[output]
    reference = OUTPUT_DIMS[output]
    window = declared.get(SLIDING[reference], 1)
    return (declared[reference] - window) // layer.stride_of(reference) + 1


def true_macs(layer: LayerIR) -> int:
    """The layer's MACs from its declared dimensions: the product of its loop nest's extents.

    CONV and TRCONV: ``N*K*C*R*S*Y'*X'``; DSCONV: ``N*C*R*S*Y'*X'`` (no ``K``);
    NGCONV: ``N*G*K*C*R*S*Y'*X'``; GEMM: ``M*N*K``. ``N`` is 1 when not declared.
    """
    kind = LAYER_TYPES[layer.layer_type]
    declared = dict(layer.declared)
    dims = dict.fromkeys(kind.input + kind.weight + kind.output)
    sizes = []
    for dim in dims:
        if dim in OUTPUT_DIMS:
            sizes.append(true_output_size(layer, dim))
        elif dim not in SLIDING or layer.layer_type == "GEMM":
            sizes.append(declared.get(dim, 1))
    return prod(sizes)


@dataclass(frozen=True)
class Cause:
    """One reason the tiles do not cover the layer exactly once, at the text that causes it."""

    span: Span
    message: str
    help: str


@dataclass(frozen=True)
class CoverageGap:
    """A layer whose MAC count (MAESTRO's) differs from its true count."""

    layer: LayerIR
    model_macs: int
    true_macs: int
    causes: tuple[Cause, ...]

    @property
    def span(self) -> Span:
        return self.causes[0].span if self.causes else self.layer.span

    @property
    def message(self) -> str:
        if self.true_macs <= 0:
            return (f"layer `{self.layer.name}` has no output: a filter is larger than the input it slides over "
                    f"(the dataflow counts {self.model_macs:,} MACs)")
        return (f"layer `{self.layer.name}`: the dataflow counts {self.model_macs:,} MACs but the layer has "
                f"{self.true_macs:,}: its tiles do not cover the layer exactly once")


class LoopCause(NamedTuple):
    """Why a directive (or a stride) does not tile its dimension exactly once.

    ``kind``: ``gaps`` (work left out), ``repeats`` (work counted twice or miscounted),
    ``declared-output`` (a declared ``Y'`` widened without its stride) or ``wide-stride``.
    """

    kind: str
    message: str
    help: str
    dim: str = ""  # for a stride cause: the dimension whose stride it is


def loop_causes(layer: LayerIR, loop: Loop, extent: int) -> list[LoopCause]:
    """Why one loop does not tile its dimension (of this extent) exactly once.

    Used by the coverage check (top level) and by lint (every level). A sliding
    dimension (``Y``, ``X``) is judged in outputs: a tile of ``size`` rows makes
    ``size - R + 1`` of them at stride 1; a stride other than 1 sets the offset itself.
    """
    size, offset, dim = loop.size, loop.offset, loop.dim
    kind = "SpatialMap" if loop.spatial else "TemporalMap"
    window, window_dim = 0, ""
    if dim in SLIDING and layer.layer_type != "GEMM":
        window_dim = SLIDING[dim]
        window = layer.dim_table().get(window_dim, 1) - 1
        stride = layer.stride_of(dim)
        if stride != 1:
            return _strided_tile_causes(loop, window + 1, stride, kind)
    step = size - window  # outputs (elements) one tile makes
    if step <= 0:
        return []  # no output at all: the error rule L109
    what = "outputs of a tile" if window else "tile"
    exact = min(size, extent)
    help_ = (f"write `{kind}({exact},{exact - window}) {dim};`: the offset is the tile minus `{window_dim}` plus 1"
             if window else f"write `{kind}({exact},{exact}) {dim};`: the offset equals the tile")
    if size >= extent:  # one tile holds the whole dimension
        if size > extent and offset < extent:
            return [LoopCause("repeats", f"the tile ({size}) is wider than `{dim}` ({extent}) and the offset "
                              f"({offset}) is smaller than `{dim}`: MAESTRO sizes the partial tile as `{dim}` - "
                              f"offset = {extent - offset}, not {extent}", help_)]
        return []
    if offset > step:
        return [LoopCause("gaps", f"the offset ({offset}) is larger than the {what} ({step}): "
                          f"{'outputs' if window else 'elements'} between tiles are never computed", help_)]
    if offset < step:
        return [LoopCause("repeats", f"the offset ({offset}) is smaller than the {what} ({step}): neighbouring "
                          "tiles overlap and their work is counted twice", help_)]
    return []


def _strided_tile_causes(loop: Loop, window: int, stride: int, kind: str) -> list[LoopCause]:
    """A strided ``Y``/``X`` tile (the stride pass has folded the stride in) that holds several outputs."""
    if loop.size < window:
        return []
    outputs = (loop.size - window + stride) // stride if stride <= window else loop.size // window
    counted = loop.size - window + 1
    if outputs == counted:
        return []
    return [LoopCause("repeats", f"with stride {stride} a tile of {loop.size} rows holds {outputs} outputs, but "
                      f"MAESTRO counts {counted} (the count for stride 1)",
                      f"write `{kind}({window},1) {loop.dim};` (one output per tile; the stride sets the offset)")]


def stride_causes(layer: LayerIR) -> list[LoopCause]:
    """Each stride that can make MAESTRO's output rows differ from the true ones."""
    causes: list[LoopCause] = []
    declared = dict(layer.declared)
    if layer.layer_type == "GEMM":
        return causes
    for reference, window_dim in SLIDING.items():
        stride, window = layer.stride_of(reference), declared.get(window_dim, 1)
        output = next(o for o, i in OUTPUT_DIMS.items() if i == reference)
        if stride == 1:
            continue
        if output in declared:
            wanted = declared[output]
            causes.append(LoopCause(
                "declared-output", f"`{output}: {wanted}` is declared with stride {stride} on `{reference}`: MAESTRO "
                f"derives `{reference}` as `{output} + {window_dim} - 1` without the stride and computes "
                f"{(wanted - 1) // stride + 1} outputs, not {wanted}",
                f"declare `{reference}: {(wanted - 1) * stride + window}` (the input rows for {wanted} outputs at "
                f"stride {stride}) instead of `{output}`", reference))
        elif stride > window:
            causes.append(LoopCause(
                "wide-stride", f"stride {stride} on `{reference}` is wider than the filter `{window_dim}` = {window}: "
                f"MAESTRO folds the stride into tiles of `{reference}` whose edge tile it counts wrongly",
                f"use a stride of at most {window} on `{reference}`", reference))
    return causes


def _first_span(layer: LayerIR, dim: str) -> Span:
    """The user's first top-level directive over ``dim`` (where its stride shows), else the layer's name."""
    loops = layer.levels[0].loops if layer.levels else ()
    return next((loop.span for loop in loops if loop.dim == dim and loop.span is not None), layer.span)


def layer_causes(layer: LayerIR) -> tuple[Cause, ...]:
    """Every cause of a coverage gap in the layer's top level, its stride and its batch."""
    causes = [Cause(layer.span, f"the filter `{SLIDING[OUTPUT_DIMS[output]]}` is larger than the input "
                    f"`{OUTPUT_DIMS[output]}`: the layer has no output (the rule of E220)", "")
              for output in OUTPUT_DIMS if layer.layer_type != "GEMM" and true_output_size(layer, output) < 1]
    for cause in stride_causes(layer):
        causes.append(Cause(_first_span(layer, cause.dim), cause.message, cause.help))
    if layer.levels:
        top = layer.levels[0]
        extents = top.dim_table()
        seen: set[str] = set()
        for loop in top.loops:
            if loop.dim in seen and loop.from_user:
                causes.append(Cause(loop.span, f"`{loop.dim}` is mapped twice at level 0: MAESTRO iterates the "
                                    "first directive but sizes its tiles by this one", f"keep one directive on "
                                    f"`{loop.dim}` per level"))
            if loop.dim in seen or loop.dim not in extents:
                continue
            seen.add(loop.dim)
            for cause in loop_causes(layer, loop, extents[loop.dim]):
                causes.append(Cause(loop.span or layer.span, f"`{loop.dim}` at level 0: {cause.message}", cause.help))
        if not causes:
            causes += _spatial_edge_causes(layer)
    declared = dict(layer.declared)
    if declared.get("N", 1) > 1 and not any("N" in t.dims for t in layer.tensors if t.name == "output"):
        causes.append(Cause(layer.span, f"`N: {declared['N']}` is ignored: the first {layer.layer_type} layer of "
                            "the network declares no `N`, and MAESTRO decides the batch once per layer type",
                            f"declare `N` in the first {layer.layer_type} layer too (`N: 1` if it has no batch)"))
    return tuple(causes)


def spatial_chunks(loop: Loop, extent: int) -> int:
    """How many tiles a map of ``loop``'s size and offset makes over ``extent``."""
    if extent <= loop.size:
        return 1
    return -(-(extent - loop.size) // loop.offset) + 1


def _spatial_edge_causes(layer: LayerIR) -> list[Cause]:
    """The top level's last spatial step, when it is partial: MAESTRO's edge rule counts it approximately."""
    top = layer.levels[0]
    spatial = top.spatial_loops
    extents = top.dim_table()
    if not spatial or not top.sub_clusters or spatial[0].dim not in extents:
        return []
    loop, extent = spatial[0], extents[spatial[0].dim]
    chunks = spatial_chunks(loop, extent)
    if chunks <= top.sub_clusters or (chunks % top.sub_clusters == 0 and (extent - loop.size) % loop.offset == 0):
        return []
    return [Cause(loop.span or layer.span,
                  f"`{loop.dim}` = {extent} at level 0 ends in a partial spatial step ({chunks} tiles of {loop.size} "
                  f"over {top.sub_clusters} sub-clusters), whose work MAESTRO's edge rule counts differently",
                  "")]


def coverage_gap(layer: LayerIR, model_macs: int | None = None) -> CoverageGap | None:
    """The gap between the model's MAC count and the layer's true count; None when they agree on a positive count.

    A layer with no output at all (a filter larger than its input, e.g. through a
    swept Constant) is a gap too, even if both counts are 0.

    ``layer`` is a sized, legal layer of the IR; ``model_macs`` defaults to the
    cost model's count for it.
    """
    if model_macs is None:
        model_macs = structure_of(shape_key(layer)).cases().counts.macs  # MACs do not depend on the hardware
    expected = true_macs(layer)
    if model_macs == expected and expected > 0:
        return None
    return CoverageGap(layer, model_macs, expected, layer_causes(layer))


def network_gaps(network: NetworkIR) -> list[CoverageGap]:
    """The coverage gaps of every legal, analysed layer of a sized network."""
    return [gap for layer in network.layers if layer.name not in network.illegal and layer.levels
            if (gap := coverage_gap(layer)) is not None]


def covers(network: NetworkIR) -> bool:
    """True when every analysed layer's MAC count is its true count (the DSE's and mapper's validity)."""
    return not network_gaps(network)


def report_gaps(gaps: list[CoverageGap], diagnostics: Diagnostics, strict: bool) -> None:
    """One diagnostic per layer: a warning (MAESTRO's number is kept), an error with ``strict``.

    It points at the first cause; the others are shown at their own text.
    """
    add = diagnostics.error if strict else diagnostics.warning
    for gap in gaps:
        first, others = (gap.causes[0], gap.causes[1:]) if gap.causes else (None, ())
        notes = [first.message if first else "no single directive explains it: the edge tiles of the top level "
                 "are counted differently"]
        if not strict:
            notes.append("maestroc prints MAESTRO's count; --strict makes this an error")
        add(CODE, gap.message, gap.span, notes=notes,
            helps=list(dict.fromkeys(c.help for c in gap.causes if c.help)),
            related=[(c.span, c.message) for c in others])
