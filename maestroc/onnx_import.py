"""ONNX models to MAESTRO model files (`maestroc import`, optional extra ``onnx``).

Shapes come from ONNX shape inference. Convolutions become CONV (group 1),
DSCONV (depthwise: one input and one output channel per group) or NGCONV (other
groups); Gemm and MatMul become GEMM. MAESTRO has no padding, so a convolution's
padding is folded into its input size (``Y = H + top + bottom``), and the model
file says so. Every other operator is listed in the file's header (and on stderr),
never silently dropped: they are not modelled by MAESTRO's cost model.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from math import prod


class ImportError_(ValueError):
    """A model maestroc cannot turn into layers; the message says which node and why."""


@dataclass
class Imported:
    text: str
    layers: int
    unsupported: Counter = field(default_factory=Counter)


def _name(text: str, fallback: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]", "_", text or "").strip("_.-")
    return cleaned if cleaned and re.match(r"[A-Za-z0-9_]", cleaned) else fallback


def _shapes(model) -> dict[str, list[int | None]]:  # type: ignore[no-untyped-def]
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model)
    graph = inferred.graph
    shapes: dict[str, list[int | None]] = {}
    for value in list(graph.input) + list(graph.value_info) + list(graph.output):
        dims = value.type.tensor_type.shape.dim
        shapes[value.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    for tensor in graph.initializer:
        shapes[tensor.name] = list(tensor.dims)
    return shapes


def _attrs(node) -> dict[str, object]:  # type: ignore[no-untyped-def]
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def import_onnx(path: str, batch: int = 1) -> Imported:
    """A model file's text for the ONNX model at ``path``; unknown batch sizes become ``batch``."""
    import onnx

    try:
        model = onnx.load(path)
    except Exception as error:  # onnx raises several types for a file that is not a model
        raise ImportError_(f"{path}: not an ONNX model ({type(error).__name__}: {error})") from error
    shapes = _shapes(model)
    layers: list[str] = []
    unsupported: Counter = Counter()
    used: set[str] = set()

    def shape(name: str, node_name: str) -> list[int]:
        dims = shapes.get(name)
        if dims is None:
            raise ImportError_(f"node {node_name}: the shape of {name!r} is unknown after shape inference")
        return [batch if d is None else d for d in dims]

    for index, node in enumerate(model.graph.node):
        name = _name(node.name, f"{node.op_type.lower()}_{index}")
        while name in used:
            name += "_"
        used.add(name)
        if node.op_type == "Conv":
            layers.append(_conv(node, name, shape(node.input[0], name), shape(node.input[1], name)))
        elif node.op_type in ("Gemm", "MatMul"):
            layers.append(_gemm(node, name, shape(node.input[0], name), shape(node.input[1], name)))
        else:
            unsupported[node.op_type] += 1
    graph_name = _name(model.graph.name, "ImportedNetwork")
    header = [f"// Imported from {path} by `maestroc import`: {len(layers)} layers.",
              "// Convolution padding is folded into Y and X (MAESTRO has no padding)."]
    if unsupported:
        listed = ", ".join(f"{op} x{n}" for op, n in sorted(unsupported.items()))
        header.append(f"// Not modelled (MAESTRO models convolutions and matrix products only): {listed}.")
    text = "\n".join(header) + f"\nNetwork {graph_name} {{\n" + "\n".join(layers) + "}\n"
    return Imported(text, len(layers), unsupported)


def _conv(node, name: str, x: list[int], w: list[int]) -> str:  # type: ignore[no-untyped-def]
    attrs = _attrs(node)
    if any(d != 1 for d in attrs.get("dilations", [1, 1])):  # type: ignore[union-attr]
        raise ImportError_(f"node {name}: dilated convolutions are not supported")
    if len(x) != 4:
        raise ImportError_(f"node {name}: only 2-D convolutions (NCHW) are supported, not {len(x) - 2}-D")
    n, c, h, width = x
    k, c_per_group, r, s = w
    group = int(attrs.get("group", 1))  # type: ignore[arg-type]
    top, left, bottom, right = (list(attrs.get("pads", [0, 0, 0, 0])) + [0, 0, 0, 0])[:4]  # type: ignore[arg-type]
    sy, sx = (list(attrs.get("strides", [1, 1])) + [1, 1])[:2]  # type: ignore[arg-type]
    y, xx = h + top + bottom, width + left + right
    pad_note = f"  // padding {top},{left},{bottom},{right} folded in: input {h}x{width}" if any(
        (top, left, bottom, right)) else ""
    stride = f"\n    Stride {{ X: {sx}, Y: {sy} }}" if (sx, sy) != (1, 1) else ""
    batch = f"N: {n}, " if n != 1 else ""
    if group == 1:
        kind, dims = "CONV", f"{batch}K: {k}, C: {c}, R: {r}, S: {s}, Y: {y}, X: {xx}"
    elif group == c and c_per_group == 1 and k == c:
        kind, dims = "DSCONV", f"{batch}K: 1, C: {c}, R: {r}, S: {s}, Y: {y}, X: {xx}"
    else:
        kind = "NGCONV"
        dims = f"{batch}G: {group}, K: {k // group}, C: {c // group}, R: {r}, S: {s}, Y: {y}, X: {xx}"
    return f"  Layer {name} {{\n    Type: {kind}{stride}\n    Dimensions {{ {dims} }}{pad_note}\n  }}\n"


def _gemm(node, name: str, a: list[int], b: list[int]) -> str:  # type: ignore[no-untyped-def]
    attrs = _attrs(node)
    if node.op_type == "Gemm":
        m, k = (a[1], a[0]) if attrs.get("transA") else (a[0], a[1])
        n = b[0] if attrs.get("transB") else b[1]
        note = ""
    else:
        if len(a) < 2 or len(b) < 2:
            raise ImportError_(f"node {name}: MatMul of vectors is not supported")
        m, k, n = a[-2], a[-1], b[-1]
        repeats = prod(a[:-2]) if a[:-2] else 1
        if len(b) == 2:  # weights shared by every leading index: fold them into M
            m *= repeats
            note = ""
        else:
            note = f"  // runs {repeats} times (batched)" if repeats > 1 else ""
    return f"  Layer {name} {{\n    Type: GEMM\n    Dimensions {{ M: {m}, K: {k}, N: {n} }}{note}\n  }}\n"
