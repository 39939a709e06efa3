"""stride: fold the layer's stride into the ``Y`` and ``X`` loops of every level.

docs/passes.md N7 (MAESTRO's ``ApplyOuterStride``): for a reference dimension (``Y`` or ``X``)
with stride ``s != 1`` and a loop of size ``sz >= Rfull`` (the full filter size),
``out = floor((sz + s - Rfull) / s)``, the size becomes
``out * min(s, Rfull) + max(Rfull - s, 0)`` and the offset ``out * s`` (below the
top level, ``out * Rfull`` when ``Rfull < s``). The user's offset is discarded:
offsets are written in stride-1 terms. Only the first loop over the dimension at
a level is adjusted, as in MAESTRO.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from maestroc.ir import LayerIR, Level, Loop, NetworkIR
from maestroc.layertypes import SLIDING
from maestroc.pipeline import PassContext


def strided(size: Any, offset: Any, stride: int, window: int, top_level: bool) -> tuple[Any, Any]:
    """The rule itself on a loop's (size, offset): ints, or numpy arrays of many loops (the mapper's).

    Where ``size < window`` (or the stride is 1) the loop is left as it is. The choice is made by
    multiplying with the two conditions (a bool, or a bool array), so the same integer arithmetic serves
    one loop and many without importing numpy here (every command imports the passes).
    """
    if stride == 1:
        return size, offset
    out = (size + stride - window) // stride
    new_size = out * min(stride, window) + max(window - stride, 0)
    new_offset = out * window if not top_level and window < stride else out * stride
    applies, kept = size >= window, size < window
    return new_size * applies + size * kept, new_offset * applies + offset * kept


def adjust(loop: Loop, stride: int, window: int, top_level: bool) -> Loop:
    """The loop with the stride folded in; unchanged when the rule does not apply."""
    if stride == 1 or loop.size < window:
        return loop
    size, offset = strided(loop.size, loop.offset, stride, window, top_level)
    note = f"stride {stride}: was ({loop.size}, {loop.offset})"
    return replace(loop, size=size, offset=offset, origin=f"{loop.origin}; {note}" if loop.origin else note)


def adjust_level(layer: LayerIR, level: Level, top_level: bool) -> Level:
    """Every first ``Y``/``X`` loop of ``level`` with the layer's stride folded in."""
    dims = layer.dim_table()
    loops = list(level.loops)
    for dim, window_dim in SLIDING.items():
        stride = layer.stride_of(dim)
        index = next((i for i, loop in enumerate(loops) if loop.dim == dim), None)
        if index is not None and stride != 1:
            loops[index] = adjust(loops[index], stride, dims.get(window_dim, 1), top_level)
    return replace(level, loops=tuple(loops))


class ApplyStride:
    name = "stride"
    summary = "fold the Y/X stride into the first Y and X loop of every level (the user's offset is discarded)"

    def run(self, network: NetworkIR, context: PassContext) -> NetworkIR:
        return network.with_layers([
            layer.with_levels([adjust_level(layer, level, index == 0) for index, level in enumerate(layer.levels)])
            if layer.layer_type != "GEMM" else layer
            for layer in network.layers])
