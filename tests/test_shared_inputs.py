"""Every MAESTRO input file parses and checks clean, with its kind recognised."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import shared_params, shared_path
from maestroc import ast
from maestroc.diagnostics import Diagnostics, Severity
from maestroc.frontend import load_file

INPUTS = shared_params("inputs/**/*.m")


def test_reference_data_is_present() -> None:
    """Fails under CI when ../shared/maestro is missing (skips elsewhere)."""
    root = shared_path()
    assert len(list(root.glob("inputs/**/*.m"))) >= 60


def expected_kind(path: Path) -> str:
    parent = path.parent.name
    return {"hw": "hw", "model": "model", "dataflow_templates": "template"}.get(parent, "mapping")


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shared_input_parses(path: Path) -> None:
    diagnostics = Diagnostics()
    tree = load_file(str(path), diagnostics)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    assert not errors, errors
    assert tree is not None
    assert tree.kind == expected_kind(path)


def test_transformer_complete_parses_quickly(shared: Path) -> None:
    path = shared / "inputs/mapping/Transformer_Complete.m"
    diagnostics = Diagnostics()
    start = time.perf_counter()
    tree = load_file(str(path), diagnostics)
    elapsed = time.perf_counter() - start
    assert isinstance(tree, ast.MappingFile)
    assert len(tree.networks[0].layers) == 288
    assert elapsed < 10  # generous: the point is that it parses, not how fast


def test_typographic_apostrophe_is_an_output_dimension(shared: Path) -> None:
    tree = load_file(str(shared / "inputs/dataflow_templates/maeri.m"), Diagnostics())
    assert isinstance(tree, ast.MappingFile)
    dims = [d.dim for d in tree.templates[0].directives if isinstance(d, ast.MapDirective)]
    assert "Y'" in dims and "X'" in dims


def test_duplicate_dimension_with_same_size_is_a_warning(shared: Path) -> None:
    diagnostics = Diagnostics()
    load_file(str(shared / "inputs/mapping/UNet_RS.m"), diagnostics)
    assert [(d.code, d.span.line) for d in diagnostics] == [("W201", 85)]
