"""tables: build each layer's dimension table, strides and tensors.

docs/passes.md N2: the missing member of each input/output pair is derived without
the stride (``Y' = Y - R + 1``, ``Y = Y' + R - 1``, likewise X with S). The tensors
come from the layer type; whether the input and output carry
the batch dimension ``N`` is decided by the *first* layer of each type (MAESTRO
caches the tensor table per type). Strides default to 1 on ``Y`` and ``X``.
"""

from __future__ import annotations

from dataclasses import replace

from maestroc.ir import LayerIR, NetworkIR, Tensor
from maestroc.layertypes import LAYER_TYPES, OUTPUT_DIMS, SLIDING
from maestroc.pipeline import PassContext


def full_dimensions(layer_type: str, declared: dict[str, int]) -> dict[str, int]:
    """Declared dimensions plus the derived member of each Y/Y' and X/X' pair."""
    dims = dict(declared)
    if layer_type == "GEMM":
        return dims
    for output, input_ in OUTPUT_DIMS.items():
        window = dims.get(SLIDING[input_], 1)
        if input_ in dims and output not in dims:
            dims[output] = dims[input_] - window + 1
        elif output in dims and input_ not in dims:
            dims[input_] = dims[output] + window - 1
    return dims


class BuildTables:
    name = "tables"
    summary = "derive Y'/X' (or Y/X), set strides, and couple the input, weight and output tensors to their dims"

    def run(self, network: NetworkIR, context: PassContext) -> NetworkIR:
        batch_by_type: dict[str, bool] = {}
        layers = []
        for layer in network.layers:
            layers.append(self._layer(layer, batch_by_type))
        return network.with_layers(layers)

    @staticmethod
    def _layer(layer: LayerIR, batch_by_type: dict[str, bool]) -> LayerIR:
        kind = LAYER_TYPES.get(layer.layer_type)
        if kind is None:
            return layer
        declared = dict(layer.declared)
        has_batch = batch_by_type.setdefault(layer.layer_type, "N" in declared)
        dims = full_dimensions(layer.layer_type, declared)
        tensors = tuple(Tensor(name, tuple(d for d in coupled if d in dims or d == "N" and has_batch))
                        for name, coupled in kind.tensors(has_batch).items())
        order = [d for d in kind.dims if d in dims]
        stride = dict(layer.stride)
        strides = tuple((d, stride.get(d, 1)) for d in ("Y", "X")) if layer.layer_type != "GEMM" else ()
        return replace(layer, dims=tuple((d, dims[d]) for d in order), tensors=tensors, stride=strides)
