"""`maestroc import`: ONNX models built here with onnx.helper (nothing downloaded)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx", reason="maestroc import needs the optional extra 'onnx'")
from onnx import TensorProto, helper  # noqa: E402


def build(path: Path) -> None:
    def weight(name: str, dims: list[int]):
        return helper.make_tensor(name, TensorProto.FLOAT, dims, [0.0] * int(__import__("math").prod(dims)))

    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="stem", strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="depthwise", group=8, pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["c2", "w3"], ["c3"], name="grouped", group=2),
        helper.make_node("MaxPool", ["c3"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "w4"], ["g"], name="fc", transB=1),
        helper.make_node("MatMul", ["g", "w5"], ["out"], name="head"),
    ]
    graph = helper.make_graph(
        nodes, "tiny net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)],
        [weight("w1", [8, 3, 3, 3]), weight("w2", [8, 1, 3, 3]), weight("w3", [4, 4, 1, 1]),
         weight("w4", [10, 64]), weight("w5", [10, 5])])
    onnx.save(helper.make_model(graph), str(path))


def test_import_conv_depthwise_grouped_gemm_matmul(cli, tmp_path: Path) -> None:
    model = tmp_path / "tiny.onnx"
    build(model)
    out = tmp_path / "tiny.m"
    result = cli("import", str(model), "-o", str(out))
    assert result.code == 0, result.err
    assert "not modelled: Flatten x1, MaxPool x1, Relu x1" in result.err
    text = out.read_text()
    assert "Not modelled" in text and "padding" in text
    parsed = json.loads(cli("parse", "--emit", "json", str(out)).out)
    layers = parsed["files"][0]["networks"][0]["layers"]
    summary = {}
    for layer in layers:
        items = {item["node"]: item for item in layer["items"]}
        dims = {e["name"]: e["value"]["value"] for e in items["Dimensions"]["entries"]}
        summary[layer["name"]] = (items["TypeDecl"]["name"], dims)
    assert summary["stem"] == ("CONV", {"K": 8, "C": 3, "R": 3, "S": 3, "Y": 18, "X": 18})
    assert summary["depthwise"] == ("DSCONV", {"K": 1, "C": 8, "R": 3, "S": 3, "Y": 10, "X": 10})
    assert summary["grouped"] == ("NGCONV", {"G": 2, "K": 2, "C": 4, "R": 1, "S": 1, "Y": 8, "X": 8})
    assert summary["fc"] == ("GEMM", {"M": 1, "K": 64, "N": 10})
    assert summary["head"] == ("GEMM", {"M": 1, "K": 10, "N": 5})
    assert "Stride { X: 2, Y: 2 }" in text


def test_imported_model_compiles_with_templates(cli, tmp_path: Path, monkeypatch) -> None:
    model = tmp_path / "tiny.onnx"
    build(model)
    out = tmp_path / "tiny.m"
    assert cli("import", str(model), "-o", str(out)).code == 0
    root = Path(__file__).resolve().parent.parent
    net = tmp_path / "net.m"
    applied = cli("apply-dataflow", str(out), "--dataflow", str(root / "samples/dataflows/kcp_ws.m"),
                  "--dataflow-for", f"DSCONV={root / 'samples/dataflows/dpt.m'}",
                  "--dataflow-for", f"NGCONV={root / 'samples/dataflows/kcp_ws.m'}",
                  "--dataflow-for", f"GEMM={root / 'samples/dataflows/gemm_nk.m'}", "-o", str(net))
    assert applied.code == 0, applied.err
    result = cli("compile", str(net), "--hw", str(root / "samples/hw/edge_64pe.m"), "--emit", "json")
    assert result.code == 0, result.err
    assert len(json.loads(result.out)["layers"]) == 5


def test_not_an_onnx_file(cli, tmp_path: Path) -> None:
    bogus = tmp_path / "x.onnx"
    bogus.write_bytes(b"\x00\x01garbage")
    result = cli("import", str(bogus))
    assert result.code == 2 and "not an ONNX model" in result.err and "Traceback" not in result.err


def _save(path: Path, nodes: list, inputs: list, initializers: list, opset: bool = True) -> str:
    graph = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializers)
    model = helper.make_model(graph)
    if not opset:
        del model.opset_import[:]
    onnx.save(model, str(path))
    return str(path)


def _weight(name: str, dims: list[int]):  # type: ignore[no-untyped-def]
    return helper.make_tensor(name, TensorProto.FLOAT, dims, [0.0] * int(__import__("math").prod(dims)))


def _image(shape: list) -> list:
    return [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)]


@pytest.mark.parametrize("auto_pad, strides, dims, note", [
    ("SAME_UPPER", [1, 1], "Y: 10, X: 10", "padding 1,1,1,1"),
    ("SAME_LOWER", [2, 2], "Y: 9, X: 9", "padding 1,1,0,0"),  # an odd total goes first with LOWER
    ("SAME_UPPER", [2, 2], "Y: 9, X: 9", "padding 0,0,1,1"),
    ("VALID", [1, 1], "Y: 8, X: 8", ""),
])
def test_import_auto_pad(cli, tmp_path: Path, auto_pad: str, strides: list, dims: str, note: str) -> None:
    conv = helper.make_node("Conv", ["x", "w"], ["y"], name="c", auto_pad=auto_pad, strides=strides)
    path = _save(tmp_path / "m.onnx", [conv], _image([1, 3, 8, 8]), [_weight("w", [4, 3, 3, 3])])
    result = cli("import", path)
    assert result.code == 0, result.err
    assert f"K: 4, C: 3, R: 3, S: 3, {dims} }}" in result.out and note in result.out


@pytest.mark.parametrize("case, message", [
    ("symbolic", "dimension 2 of 'x' is symbolic (`H`)"),
    ("zero", "dimension 2 of 'x' is 0"),
    ("gemm_1d", "'x' has 1 dimension(s), 2 are needed"),
    ("weight_input", "the shape of 'w' is unknown"),
    ("no_opset", "the model declares no opset"),
    ("empty", "empty file, not an ONNX model"),
])
def test_import_refuses_models_it_cannot_read(cli, tmp_path: Path, case: str, message: str) -> None:
    conv = helper.make_node("Conv", ["x", "w"], ["y"], name="c")
    path = tmp_path / "m.onnx"
    if case == "symbolic":
        _save(path, [conv], _image(["N", 3, "H", "W"]), [_weight("w", [4, 3, 3, 3])])
    elif case == "zero":
        _save(path, [conv], _image([1, 3, 0, 8]), [_weight("w", [4, 3, 3, 3])])
    elif case == "gemm_1d":
        _save(path, [helper.make_node("Gemm", ["x", "w"], ["y"], name="g")], _image([8]), [_weight("w", [8, 4])])
    elif case == "weight_input":
        _save(path, [conv], _image([1, 3, 8, 8]) + [helper.make_tensor_value_info("w", TensorProto.FLOAT, None)], [])
    elif case == "no_opset":
        _save(path, [conv], _image([1, 3, 8, 8]), [_weight("w", [4, 3, 3, 3])], opset=False)
    else:
        path.write_bytes(b"")
    result = cli("import", str(path))
    assert result.code == 2 and message in result.err, result.err
    assert result.out == "" and "internal error" not in result.err


def test_import_batch_and_folder(cli, tmp_path: Path) -> None:
    conv = helper.make_node("Conv", ["x", "w"], ["y"], name="c")
    path = _save(tmp_path / "m.onnx", [conv], _image(["N", 3, 8, 8]), [_weight("w", [4, 3, 3, 3])])
    assert "N: 4, K: 4" in cli("import", path, "--batch", "4").out
    negative = cli("import", path, "--batch", "-3")
    assert negative.code == 2 and "--batch must be a whole number from 1 to 2^62, not -3" in negative.err
    huge = cli("import", path, "--batch", str(2**62 + 1))
    assert huge.code == 2 and huge.out == "" and "from 1 to 2^62" in huge.err
    folder = cli("import", str(tmp_path))
    assert folder.code == 2 and "is a folder" in folder.err


@pytest.mark.parametrize("image, weight, attributes, message", [
    ([1, 3, 3, 3], [4, 3, 5, 5], {}, "the 5x5 kernel is larger than the (padded) 3x3 input"),
    ([1, 3, 8, 8], [4, 3, 3, 3], {"pads": [0, 0, 0]}, "pads [0, 0, 0] has 3 values"),
    ([1, 3, 2**62 + 1, 8], [4, 3, 3, 3], {}, "above the limit of 2^62"),
])
def test_import_refuses_a_model_compile_would_reject(cli, tmp_path: Path, image: list, weight: list,
                                                     attributes: dict, message: str) -> None:
    """A model that imports must compile: no filter wider than its input, no lost pads, no size over 2^62."""
    conv = helper.make_node("Conv", ["x", "w"], ["y"], name="c", **attributes)
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(helper.make_graph(
        [conv], "g", _image(image), [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [helper.make_tensor("w", TensorProto.FLOAT, weight, [0.0] * (weight[0] * weight[1] * weight[2] * weight[3]))]),
        opset_imports=[helper.make_opsetid("", 13)]), str(path))
    result = cli("import", str(path))
    assert result.code == 2 and message in result.err, result.err
    assert result.out == "" and "internal error" not in result.err


def test_import_of_a_fifo_says_what_it_is(cli, tmp_path: Path) -> None:
    fifo = tmp_path / "model.onnx"
    os.mkfifo(fifo)
    result = cli("import", str(fifo))
    assert result.code == 2 and "not a regular file" in result.err and "no such file" not in result.err
