"""samples/networks/tiny_mobilenet.onnx is what samples/make_onnx.py builds, and imports cleanly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ROOT

onnx = pytest.importorskip("onnx", reason="the sample ONNX model needs the optional extra 'onnx'")
sys.path.insert(0, str(ROOT / "samples"))
import make_onnx  # noqa: E402


def test_shipped_model_is_the_scripts(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.onnx"
    onnx.save(make_onnx.build(), str(fresh))
    assert fresh.read_bytes() == make_onnx.OUT.read_bytes(), "run python samples/make_onnx.py"


def test_sample_model_imports_to_four_layers(cli, tmp_path: Path) -> None:
    out = tmp_path / "tiny.m"
    result = cli("import", str(make_onnx.OUT), "-o", str(out))
    assert result.code == 0, result
    assert "4 layers" in result.err and "GlobalAveragePool x1" in result.err
    assert cli("parse", "--emit", "none", str(out)).code == 0
