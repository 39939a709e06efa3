"""The front end in one call: read a file, parse it, check it.

Every later stage (the pass pipeline, lint, compile, DSE) gets its AST through
these functions, so a file is always checked the same way.
"""

from __future__ import annotations

from maestroc import ast
from maestroc.diagnostics import Diagnostics
from maestroc.hardware import HardwareSpec, build_hardware
from maestroc.parser import FileKind, Source, parse_file, parse_source
from maestroc.sema import check_mapping


def load_file(path: str, diagnostics: Diagnostics, kind: FileKind | None = None) -> ast.SourceFile | None:
    """Parse and check any input file; the kind is detected from the content unless given."""
    tree = parse_file(path, diagnostics, kind)
    return _check(tree, diagnostics)


def load_source(source: Source, diagnostics: Diagnostics, kind: FileKind | None = None) -> ast.SourceFile | None:
    return _check(parse_source(source, diagnostics, kind), diagnostics)


def _check(tree: ast.SourceFile | None, diagnostics: Diagnostics) -> ast.SourceFile | None:
    if isinstance(tree, ast.MappingFile):
        check_mapping(tree, diagnostics)
    elif isinstance(tree, ast.HardwareFile):
        build_hardware(tree, diagnostics)
    return tree


def load_mapping(path: str, diagnostics: Diagnostics) -> ast.MappingFile | None:
    """A checked mapping/model/template file, or None if it has errors."""
    tree = load_file(path, diagnostics, "mapping")
    if tree is None or diagnostics.has_errors:
        return None
    assert isinstance(tree, ast.MappingFile)
    return tree


def load_hardware(path: str, diagnostics: Diagnostics) -> HardwareSpec | None:
    """A validated hardware spec, or None if the file has errors."""
    tree = parse_file(path, diagnostics, "hw")
    if tree is None or diagnostics.has_errors:
        return None
    assert isinstance(tree, ast.HardwareFile)
    return build_hardware(tree, diagnostics)
