"""Re-parse only the layers an edit touches, with the project's own parser.

Parsing is most of the time of an analysis (a 288-layer file takes the parser
several hundred milliseconds), and an edit usually changes one layer. So after a
change the layers wholly before the edited region are kept as they are, those
wholly after it are kept with their line numbers moved, and the text in between
is parsed alone: it is wrapped in ``Network _{ ... }`` at the same line and
column as in the document, so every span the parser makes is already right.
Anything else (an edit outside the layers, a syntax error, several networks)
returns None and the caller parses the whole text, which also gives the exact
diagnostics of a syntax error. The tests compare the result, spans included,
with a full parse.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right

from maestroc import ast
from maestroc.diagnostics import SOURCES, Diagnostics, Span
from maestroc.parser import Source, parse_source

_WRAPPER = "Network _{"
_BRACE = re.compile(r"(?:\s|//[^\n]*)*\{")


class _Offsets:
    """Line/column <-> character offset in one text."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def offset(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column - 1

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset)


def reparse(previous: ast.MappingFile, old: str, new: str, path: str) -> ast.MappingFile | None:
    """The AST of ``new`` from the AST of ``old``, re-parsing only the edited layers; None if a full parse is needed."""
    if previous.path != path:
        return None
    if new == old:
        SOURCES.add(path, new)
        return previous
    if len(previous.networks) != 1:
        return None
    prefix = _common_prefix(old, new)
    suffix = _common_prefix(old[prefix:][::-1], new[prefix:][::-1])
    old_end = len(old) - suffix  # the edit replaced old[prefix:old_end] by new[prefix:len(new) - suffix]
    offsets = _Offsets(old)
    network = previous.networks[0]
    brace = _BRACE.match(old, offsets.offset(network.name_span.end_line, network.name_span.end_column))
    body_start = brace.end() if brace else -1
    body_end = offsets.offset(network.span.end_line, network.span.end_column) - 1  # the closing `}`
    if not (0 <= body_start <= prefix and old_end <= body_end):
        return None
    before = [layer for layer in network.layers
              if offsets.offset(layer.span.end_line, layer.span.end_column) <= prefix]
    after = [layer for layer in network.layers[len(before):]
             if offsets.offset(layer.span.line, layer.span.column) >= old_end]
    start = offsets.offset(before[-1].span.end_line, before[-1].span.end_column) if before else body_start
    stop = offsets.offset(after[0].span.line, after[0].span.column) if after else body_end
    if "\n" not in old[old_end:stop]:
        return None  # the edit shares a line with a kept layer: its columns, even its tokens, could change
    delta = len(new) - len(old)
    middle = _parse_layers(new, start, stop + delta, path)
    if middle is None:
        return None
    lines = new.count("\n") - old.count("\n")
    moved = [_shift(layer, lines) for layer in after]

    def moved_down(node: object) -> object:
        span = node.span  # type: ignore[attr-defined]
        return node if offsets.offset(span.line, span.column) < start else _shift(node, lines)

    network = dataclasses.replace(network, layers=tuple(before) + middle + tuple(moved),
                                  span=_shift(network.span, lines, start_too=False))
    SOURCES.add(path, new)
    return dataclasses.replace(
        previous, networks=(network,),
        constants=tuple(moved_down(c) for c in previous.constants),
        accelerators=tuple(moved_down(a) for a in previous.accelerators),
        templates=tuple(moved_down(t) for t in previous.templates))


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by halving (fast on long texts)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _parse_layers(text: str, start: int, stop: int, path: str) -> tuple[ast.Layer, ...] | None:
    """The layers in ``text[start:stop]``, parsed where they stand; None on any syntax error."""
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    if line == 1:
        if column - 1 < len(_WRAPPER):
            return None
        head = _WRAPPER + " " * (column - 1 - len(_WRAPPER))
    else:
        head = _WRAPPER + "\n" * (line - 1) + " " * (column - 1)
    diagnostics = Diagnostics()
    tree = parse_source(Source(path, head + text[start:stop] + "}"), diagnostics, "mapping")
    if not isinstance(tree, ast.MappingFile) or diagnostics.has_errors or len(tree.networks) != 1 \
            or tree.constants or tree.templates or tree.accelerators:
        return None
    return tree.networks[0].layers


_FIELDS: dict[type, tuple[str, ...]] = {}


def _shift(node: object, lines: int, start_too: bool = True) -> object:
    """A node with every span moved down by ``lines`` (the node's own start too unless ``start_too`` is False).

    Nodes are frozen dataclasses; copies are made field by field without ``dataclasses.replace`` (which
    re-runs ``__init__``), since a long file has tens of thousands of nodes after the edit.
    """
    if lines == 0:
        return node
    if isinstance(node, Span):
        moved = object.__new__(Span)
        moved.__dict__.update(node.__dict__, line=node.line + (lines if start_too else 0),
                              end_line=node.end_line + lines)
        return moved
    if isinstance(node, tuple):
        return tuple(_shift(item, lines) for item in node)
    cls = type(node)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls)) \
            if dataclasses.is_dataclass(cls) else ()
    if not names:
        return node
    moved = object.__new__(cls)
    moved.__dict__.update({name: _shift(node.__dict__[name], lines) for name in names})
    return moved
