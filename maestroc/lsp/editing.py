"""Completion and quick fixes: what the editor may insert or change in a document.

Completion reads the text before the cursor (a document is often unparsable
while it is typed): a hardware file gets its keys; after ``Type:`` the layer
types; in a ``Dataflow`` block the directives, and dimension names valid for the
layer's type after a map's ``)`` or in ``Sz(``; in ``Dimensions { }`` the
dimension names. Quick fixes turn a diagnostic's ``help:`` into an edit when the
help says exactly what to write (``insert `;` here``, ``did you mean `X`?``,
``write `X```, ``add `X` to this level``, ``map `D` at the top level, e.g. `X```).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from maestroc import ast
from maestroc.diagnostics import Diagnostic, Span
from maestroc.hardware import HW_KEYS
from maestroc.layertypes import LAYER_TYPES
from maestroc.parser import detect_kind

DIRECTIVES = {
    "SpatialMap": ("SpatialMap(${1:1},${2:1}) ${3:K};", "spread a dimension across the sub-clusters of this level"),
    "TemporalMap": ("TemporalMap(${1:1},${2:1}) ${3:C};", "step a dimension in time"),
    "Cluster": ("Cluster(${1:16}, P);", "close this level: the next directives form a level of n units"),
}
LAYER_ITEMS = {"Type": "Type: ", "Stride": "Stride { X: 1, Y: 1 }", "Dimensions": "Dimensions { }",
               "Dataflow": "Dataflow {\n}"}
TOP_LEVEL = {"Constant": "Constant ", "Network": "Network ", "Dataflow": "Dataflow {\n}"}
ALL_DIMS = tuple(dict.fromkeys(d for t in LAYER_TYPES.values() for d in t.dims))


@dataclass(frozen=True)
class Candidate:
    label: str
    kind: str  # "keyword", "directive", "dimension", "type", "key"
    detail: str
    insert: str  # a snippet (``${1:..}`` placeholders) for directives, plain text otherwise


@dataclass(frozen=True)
class Fix:
    title: str
    span: Span  # the text replaced (empty: an insertion at its start)
    new_text: str
    diagnostic: Diagnostic


def completions(text: str, line: int, column: int) -> list[Candidate]:
    """Candidates at a 1-based position, from the text before it."""
    lines = text.split("\n")
    before = "\n".join(lines[:line - 1] + [lines[line - 1][:column - 1] if line <= len(lines) else ""])
    current = before.rsplit("\n", 1)[-1]
    if detect_kind(text) == "hw":
        return [Candidate(key.name, "key", key.description, f"{key.name}: ") for key in HW_KEYS.values()]
    if re.search(r"\bType\s*:?\s*\w*$", current):
        return [Candidate(name, "type", kind.description, name) for name, kind in LAYER_TYPES.items()]
    block = _open_block(before)
    dims = _layer_dims(before)
    if block in ("Dataflow", None) and re.search(r"(Map\s*\([^)]*\)\s*\w*|Sz\s*\(\s*\w*)$", current):
        return [Candidate(d, "dimension", "dimension", d) for d in dims]
    if block in ("Dataflow", None):
        out = [Candidate(name, "directive", doc, snippet) for name, (snippet, doc) in DIRECTIVES.items()]
        return out + [Candidate(name, "keyword", "", insert) for name, insert in TOP_LEVEL.items()
                      if block is None]
    if block == "Network":
        return [Candidate("Layer", "keyword", "a layer of the network", "Layer ")]
    if block in ("Dimensions", "Stride"):
        return [Candidate(d, "dimension", "dimension", f"{d}: ") for d in dims]
    if block == "Layer":
        return [Candidate(name, "keyword", "", insert) for name, insert in LAYER_ITEMS.items()]
    return []


def _open_block(before: str) -> str | None:
    """The keyword of the innermost `{ }` block the text leaves open (Dataflow, Dimensions, Layer, ...)."""
    code = re.sub(r"//[^\n]*", "", before)
    stack: list[str] = []
    for match in re.finditer(r"([\w.\-']+)\s*\{|\}", code):
        if match.group(0) == "}":
            if stack:
                stack.pop()
        elif match.group(1) in ("Dataflow", "Dimensions", "Stride", "Accelerator"):
            stack.append(match.group(1))
        else:  # `Layer NAME {`, `Network NAME {`: the keyword is the word before the name
            keyword = re.search(r"(\w+)\s+$", code[:match.start()])
            stack.append(keyword.group(1) if keyword else match.group(1))
    return stack[-1] if stack else None


def _layer_dims(before: str) -> tuple[str, ...]:
    """The dimension names valid for the type of the layer the cursor is in (all of them if unknown)."""
    start = before.rfind("Layer")
    found = re.search(r"\bType\s*:?\s*(\w+)", before[start:]) if start >= 0 else None
    kind = LAYER_TYPES.get(found.group(1)) if found else None
    return kind.dims if kind else ALL_DIMS


_INSERT = re.compile(r"^insert `([^`]+)` here$")
_REPLACE = re.compile(r"^(?:did you mean `([^`]+)`\?|write `([^`]+)`(?: \(.*\))?)$")
_ADD_TO_LEVEL = re.compile(r"^add `([^`]+)` to this level$")
_MAP_EXPLICITLY = re.compile(r"^map `[^`]+` (?:explicitly|at the top level), e\.g\. `([^`]+)`$")


def quick_fixes(diagnostic: Diagnostic, tree: ast.SourceFile | None, lines: list[str]) -> list[Fix]:
    """The edits a diagnostic's helps spell out, each one removing the finding when applied."""
    span = diagnostic.span
    if span is None:
        return []
    fixes = []
    for help_ in diagnostic.helps:
        if match := _INSERT.match(help_):
            fixes.append(Fix(f"Insert `{match.group(1)}`", _at(span), match.group(1), diagnostic))
        elif match := _REPLACE.match(help_):
            text = match.group(1) or match.group(2)
            fixes.append(Fix(f"Replace with `{text}`", span, text, diagnostic))
        elif match := _ADD_TO_LEVEL.match(help_):
            indent = _indent(lines, span.line)
            fixes.append(Fix(f"Add `{match.group(1)}`", _line_end(lines, span.line), f"\n{indent}{match.group(1)}",
                             diagnostic))
        elif (match := _MAP_EXPLICITLY.match(help_)) and isinstance(tree, ast.MappingFile):
            first = _first_directive(tree, span)
            if first is not None:
                indent = _indent(lines, first.line)
                fixes.append(Fix(f"Add `{match.group(1)}`", _at(first), f"{match.group(1)}\n{indent}", diagnostic))
    return fixes


def _at(span: Span) -> Span:
    return Span(span.path, span.line, span.column, span.line, span.column)


def _line_end(lines: list[str], line: int) -> Span:
    end = len(lines[line - 1].rstrip()) + 1
    return Span("", line, end, line, end)


def _indent(lines: list[str], line: int) -> str:
    text = lines[line - 1]
    return text[:len(text) - len(text.lstrip())]


def _first_directive(tree: ast.MappingFile, where: Span) -> Span | None:
    """The first directive of the layer a finding points at (its name): where a level-0 directive goes."""
    for network in tree.networks:
        for layer in network.layers:
            if where in (layer.span, layer.name_span) and layer.dataflow is not None and layer.dataflow.directives:
                return layer.dataflow.directives[0].span
    return None
