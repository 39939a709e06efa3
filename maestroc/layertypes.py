"""What MAESTRO knows about each layer type: its dimensions and its three tensors.

MAESTRO's ``ConfigConvTensors`` (docs/passes.md N2): the input and
output tensors get the batch dimension ``N`` only when the layer declares it.
"""

from __future__ import annotations

from dataclasses import dataclass

# Output-centric dimensions and the input dimension each one stands for.
OUTPUT_DIMS: dict[str, str] = {"Y'": "Y", "X'": "X"}
# Sliding-window pairs: reference (input) dimension -> filter dimension.
SLIDING: dict[str, str] = {"Y": "R", "X": "S"}


@dataclass(frozen=True)
class LayerType:
    name: str
    dims: tuple[str, ...]  # every dimension a layer of this type may declare
    required: tuple[tuple[str, ...], ...]  # each entry: one of these must be declared
    input: tuple[str, ...]
    weight: tuple[str, ...]
    output: tuple[str, ...]  # output-centric names: MAESTRO writes Y, X and means Y', X'

    description: str

    def tensors(self, has_batch: bool) -> dict[str, tuple[str, ...]]:
        """Coupled dimensions of input, weight and output, with ``N`` only for a batched layer."""
        def keep(dims: tuple[str, ...]) -> tuple[str, ...]:
            return dims if has_batch or self.name == "GEMM" else tuple(d for d in dims if d != "N")

        return {"input": keep(self.input), "weight": keep(self.weight), "output": keep(self.output)}


_CONV_DIMS = ("N", "K", "C", "R", "S", "Y", "X", "Y'", "X'")
_CONV_REQUIRED = (("K",), ("C",), ("R",), ("S",), ("Y", "Y'"), ("X", "X'"))

LAYER_TYPES: dict[str, LayerType] = {
    t.name: t
    for t in (
        LayerType("CONV", _CONV_DIMS, _CONV_REQUIRED, ("N", "C", "Y", "X"), ("K", "C", "R", "S"),
                  ("N", "K", "Y'", "X'"), "convolution"),
        LayerType("TRCONV", _CONV_DIMS, _CONV_REQUIRED, ("N", "C", "Y", "X"), ("K", "C", "R", "S"),
                  ("N", "K", "Y'", "X'"), "transposed convolution (modelled as CONV, as MAESTRO does)"),
        LayerType("DSCONV", _CONV_DIMS, _CONV_REQUIRED[1:], ("N", "C", "Y", "X"), ("C", "R", "S"),
                  ("N", "C", "Y'", "X'"), "depthwise convolution (K is ignored)"),
        LayerType("NGCONV", ("G",) + _CONV_DIMS, (("G",),) + _CONV_REQUIRED, ("N", "G", "C", "Y", "X"),
                  ("G", "K", "C", "R", "S"), ("N", "G", "K", "C", "Y'", "X'"), "grouped convolution"),
        LayerType("GEMM", ("M", "N", "K"), (("M",), ("N",), ("K",)), ("M", "K"), ("K", "N"), ("M", "N"),
                  "matrix multiplication (M x K) x (K x N)"),
    )
}

SUPPORTED_TYPES = ", ".join(f"`{name}`" for name in LAYER_TYPES)
