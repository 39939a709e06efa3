"""The front end in one call: read a file, parse it, check it.

Every later stage (the pass pipeline, lint, compile, DSE) gets its AST through
these functions, so a file is always checked the same way.
"""

from __future__ import annotations

import re

from maestroc import ast
from maestroc.diagnostics import Diagnostics, Span
from maestroc.hardware import HardwareSpec, build_hardware
from maestroc.parser import FileKind, Source, detect_kind, parse_file, parse_source, read_source
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
    """A validated hardware spec, or None if the file has errors (or is a mapping file, not hardware)."""
    source = read_source(path, diagnostics)
    if source is None:
        return None
    keyword = _MAPPING_KEYWORD.search(source.text)
    if detect_kind(source.text) == "mapping" and keyword:
        line = source.text.count("\n", 0, keyword.start(1)) + 1
        column = keyword.start(1) - source.text.rfind("\n", 0, keyword.start(1))
        span = Span(path, line, column, line, column + len(keyword.group(1)))
        diagnostics.error("E006", f"this is a mapping file (it has `{keyword.group(1)}`), not a hardware file",
                          span, helps=["give a hardware file of `key: value` lines, e.g. samples/hw/edge_64pe.m"])
        return None
    tree = parse_source(source, diagnostics, "hw")
    if tree is None or diagnostics.has_errors:
        return None
    assert isinstance(tree, ast.HardwareFile)
    return build_hardware(tree, diagnostics)


# A DFSL statement at the start of a line (after optional blanks), outside comments.
_MAPPING_KEYWORD = re.compile(r"^[ \t]*(Network|Layer|Dataflow|Constant|SpatialMap|TemporalMap|Cluster)\b",
                              re.MULTILINE)
