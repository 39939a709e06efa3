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
from pathlib import Path

from maestroc.hardware import MAX_HW_INT


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


Dim = int | str | None  # a size, a symbolic size's name, or unknown


def _shapes(model) -> dict[str, list[Dim]]:  # type: ignore[no-untyped-def]
    """Every tensor's shape after ONNX shape inference; symbolic sizes keep their names."""
    import onnx

    if not model.opset_import:
        raise ImportError_("the model declares no opset (opset_import is empty), so its operators have no "
                           "defined meaning; re-export it with an opset")
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    except Exception as error:  # onnx raises several types for a model it cannot infer
        raise ImportError_(f"ONNX shape inference failed ({type(error).__name__}: {error})") from error
    graph = inferred.graph
    shapes: dict[str, list[Dim]] = {}
    for value in list(graph.input) + list(graph.value_info) + list(graph.output):
        if not value.type.tensor_type.HasField("shape"):
            continue
        shapes[value.name] = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
                              for d in value.type.tensor_type.shape.dim]
    for tensor in graph.initializer:
        shapes[tensor.name] = list(tensor.dims)
    return shapes


def _attrs(node) -> dict[str, object]:  # type: ignore[no-untyped-def]
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def import_onnx(path: str, batch: int = 1) -> Imported:
    """A model file's text for the ONNX model at ``path``; an unknown batch size (a tensor's first
    dimension) becomes ``batch``. Raises ImportError_ for a model that cannot be turned into layers."""
    import onnx

    if not 1 <= batch <= MAX_HW_INT:
        raise ImportError_(f"--batch must be a whole number from 1 to 2^62, not {batch}")
    if Path(path).stat().st_size == 0:
        raise ImportError_(f"{path}: empty file, not an ONNX model")
    try:
        model = onnx.load(path)
    except Exception as error:  # onnx raises several types for a file that is not a model
        raise ImportError_(f"{path}: not an ONNX model ({type(error).__name__}: {error})") from error
    if not model.graph.node:
        raise ImportError_(f"{path}: the model has no operators (an empty graph, or not an ONNX model)")
    shapes = _shapes(model)
    layers: list[str] = []
    unsupported: Counter = Counter()
    used: set[str] = set()

    def shape(name: str, node_name: str, rank: int | None = None, weight: bool = False) -> list[int]:
        dims = shapes.get(name)
        if not dims:
            raise ImportError_(f"node {node_name}: the shape of {name!r} is unknown after shape inference")
        if rank is not None and len(dims) != rank:
            raise ImportError_(f"node {node_name}: {name!r} has {len(dims)} dimension(s), {rank} are needed")
        sizes = []
        for axis, d in enumerate(dims):
            if d is None or isinstance(d, str):
                if axis != 0 or weight:
                    what = f"symbolic (`{d}`)" if d else "unknown"
                    raise ImportError_(f"node {node_name}: dimension {axis} of {name!r} is {what}; only an "
                                       "activation's batch dimension may be left open (fix the sizes when "
                                       "exporting the model)")
                d = batch
            if d < 1:
                raise ImportError_(f"node {node_name}: dimension {axis} of {name!r} is {d}; a layer needs "
                                   "sizes of at least 1")
            if d > MAX_HW_INT:
                raise ImportError_(f"node {node_name}: dimension {axis} of {name!r} is {d}, above the limit of "
                                   f"2^62 on a layer's sizes")
            sizes.append(d)
        return sizes

    for index, node in enumerate(model.graph.node):
        name = _name(node.name, f"{node.op_type.lower()}_{index}")
        while name in used:
            name += "_"
        used.add(name)
        if node.op_type == "Conv":
            layers.append(_conv(node, name, shape(node.input[0], name), shape(node.input[1], name, 4, weight=True)))
        elif node.op_type == "Gemm":
            layers.append(_gemm(node, name, shape(node.input[0], name, 2),
                                 shape(node.input[1], name, 2, weight=True)))
        elif node.op_type == "MatMul":
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
    sy, sx = (list(attrs.get("strides", [1, 1])) + [1, 1])[:2]  # type: ignore[arg-type]
    top, left, bottom, right = _pads(attrs, name, (h, width), (r, s), (sy, sx))
    if min(sy, sx, group) < 1 or min(top, left, bottom, right) < 0:
        raise ImportError_(f"node {name}: strides and group must be at least 1 and pads not negative "
                           f"(strides {sy},{sx}, group {group}, pads {top},{left},{bottom},{right})")
    if c % group or k % group or c // group != c_per_group:
        raise ImportError_(f"node {name}: {c} input and {k} output channels do not split into {group} groups "
                           f"of {c_per_group} input channels (the weight's second dimension)")
    y, xx = h + top + bottom, width + left + right
    if r > y or s > xx:
        raise ImportError_(f"node {name}: the {r}x{s} kernel is larger than the (padded) {y}x{xx} input, "
                           "so the convolution has no output")
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


def _pads(attrs: dict[str, object], name: str, sizes: tuple[int, int], kernel: tuple[int, int],
          strides: tuple[int, int]) -> tuple[int, int, int, int]:
    """(top, left, bottom, right): the explicit ``pads``, or those ``auto_pad`` implies.

    SAME_UPPER and SAME_LOWER pad so that the output is ceil(input / stride) wide; an odd total
    goes at the end (UPPER) or at the start (LOWER).
    """
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else str(auto_pad)
    if auto_pad in ("NOTSET", ""):
        pads = list(attrs.get("pads", [0, 0, 0, 0]))  # type: ignore[call-overload]
        if len(pads) != 4:
            raise ImportError_(f"node {name}: pads {pads} has {len(pads)} values; a 2-D convolution has 4 "
                               "(top, left, bottom, right)")
        top, left, bottom, right = pads
        return top, left, bottom, right
    if auto_pad == "VALID":
        return 0, 0, 0, 0
    if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        raise ImportError_(f"node {name}: unknown auto_pad {auto_pad!r}")
    begin, end = [], []
    for size, window, stride in zip(sizes, kernel, strides):
        if stride < 1:
            raise ImportError_(f"node {name}: stride {stride}; strides must be at least 1")
        total = max((-(-size // stride) - 1) * stride + window - size, 0)
        small, large = total // 2, total - total // 2
        begin.append(small if auto_pad == "SAME_UPPER" else large)
        end.append(large if auto_pad == "SAME_UPPER" else small)
    return begin[0], begin[1], end[0], end[1]


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
