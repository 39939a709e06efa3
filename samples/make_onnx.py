"""Writes samples/networks/tiny_mobilenet.onnx: a small MobileNet-style ONNX model to try `maestroc import` on.

The model is built with ``onnx.helper`` from nothing (no download, zero weights):
a strided 3x3 stem, one depthwise-separable block (3x3 depthwise, 1x1 pointwise),
global average pooling and a fully connected classifier, on a 1x3x32x32 input.
Run ``python samples/make_onnx.py`` (needs the ``onnx`` extra) to regenerate it.
"""

from __future__ import annotations

from math import prod
from pathlib import Path

OUT = Path(__file__).resolve().parent / "networks" / "tiny_mobilenet.onnx"


def build():  # type: ignore[no-untyped-def]
    """The model as an ``onnx.ModelProto``."""
    import onnx
    from onnx import TensorProto, helper

    def weight(name: str, dims: list[int]) -> onnx.TensorProto:
        return helper.make_tensor(name, TensorProto.FLOAT, dims, [0.0] * prod(dims))

    nodes = [
        helper.make_node("Conv", ["image", "stem_w"], ["stem"], name="stem", strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["stem"], ["stem_relu"], name="stem_relu"),
        helper.make_node("Conv", ["stem_relu", "dw_w"], ["dw"], name="block1_dw", group=16, pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["dw"], ["dw_relu"], name="block1_dw_relu"),
        helper.make_node("Conv", ["dw_relu", "pw_w"], ["pw"], name="block1_pw"),
        helper.make_node("GlobalAveragePool", ["pw"], ["pool"], name="pool"),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc_w"], ["logits"], name="classifier", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "TinyMobileNet",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [weight("stem_w", [16, 3, 3, 3]), weight("dw_w", [16, 1, 3, 3]), weight("pw_w", [32, 16, 1, 1]),
         weight("fc_w", [10, 32])])
    model = helper.make_model(graph, producer_name="maestroc samples/make_onnx.py",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by onnx >= 1.10
    onnx.checker.check_model(model)
    return model


def main() -> None:
    try:
        import onnx
    except ModuleNotFoundError:
        raise SystemExit("samples/make_onnx.py needs the onnx package: pip install '.[onnx]' (from the "
                         "repository) or 'maestroc[onnx]'") from None
    onnx.save(build(), str(OUT))
    print(f"wrote {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")


if __name__ == "__main__":
    main()
