"""The formatter behind ``maestroc fmt`` and the language server's formatting: one canonical layout.

The layout is printed from the project's own AST (maestroc.parser), so a file is
formatted only when it parses without a syntax error, and the output always
parses to the same AST (checked before anything is returned). Canonical means:
two spaces per block level, one statement per line, ``Dimensions { K: 64, C: 3 }``
on one line, ``SpatialMap(1,1) K;`` and ``Cluster(16, P);`` as in the docs,
``key: value`` lines of a hardware file with their values aligned, at most one
blank line where the source had blank lines, and none after `{` or before `}`.

Comments are kept: the language has no string literals, so every ``//`` starts a
comment that runs to the end of its line. A comment on a line of its own stays
before the statement that follows it (indented like it); a comment after code
stays at the end of that statement's line. A comment inside ``Dimensions { }``
or ``Stride { }`` puts one entry per line so that it stays beside its entry.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass

from maestroc import ast
from maestroc.diagnostics import Diagnostics, InputError, Span
from maestroc.parser import FileKind, detect_kind, parse_text

INDENT = "  "


class FormatterBug(RuntimeError):
    """The formatted text would not parse to the input's AST: nothing is written (a bug in maestroc)."""


@dataclass(frozen=True)
class _Comment:
    line: int
    column: int
    text: str
    own_line: bool  # nothing but white space before it on its line


@dataclass
class _Line:
    """One output line of code; ``line`` is the source line its statement starts on."""

    indent: int
    code: str
    line: int
    closes: bool = False

    @property
    def opens(self) -> bool:
        return self.code.endswith("{")


def format_text(text: str, path: str = "<string>", kind: FileKind | None = None) -> str:
    """``text`` in the canonical layout; raises InputError (with the syntax diagnostics) if it does not parse."""
    kind = kind or detect_kind(text)
    diagnostics = Diagnostics()
    tree = parse_text(text, diagnostics, path, kind)
    if tree is None or diagnostics.has_errors:
        raise InputError(diagnostics)
    lines = text.split("\n")
    comments = list(_comments(lines))
    printer = _Printer(lines, comments)
    records = printer.hardware(tree) if isinstance(tree, ast.HardwareFile) else printer.mapping(tree)
    formatted = _layout(records, comments, lines)
    _check_same_tree(tree, formatted, path, kind)
    return formatted


def syntax_shape(node: object) -> object:
    """An AST as plain data without positions: two files with equal shapes mean the same thing."""
    data = ast.to_json(node)

    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not k.endswith("span") and k != "path"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(data)


def _check_same_tree(tree: ast.SourceFile, formatted: str, path: str, kind: FileKind) -> None:
    diagnostics = Diagnostics()
    again = parse_text(formatted, diagnostics, path, kind)
    if again is None or diagnostics.has_errors or syntax_shape(again) != syntax_shape(tree):
        raise FormatterBug(f"formatting {path} would change its meaning; the file is left as it is")


def _comments(lines: list[str]) -> Iterator[_Comment]:
    for number, line in enumerate(lines, start=1):
        start = line.find("//")
        if start >= 0:
            yield _Comment(number, start + 1, line[start:].rstrip(), not line[:start].strip())


def _inside(comment: _Comment, span: Span) -> bool:
    return (span.line, span.column) < (comment.line, comment.column) < (span.end_line, span.end_column)


class _Printer:
    """AST -> output lines of code, each knowing the source line it stands for."""

    def __init__(self, lines: list[str], comments: list[_Comment]) -> None:
        self.lines = lines
        self.comments = comments
        self.out: list[_Line] = []

    def emit(self, depth: int, code: str, line: int, closes: bool = False) -> None:
        self.out.append(_Line(depth, code, line, closes))

    def source(self, span: Span) -> str:
        """The text of a one-line span, e.g. a number as written (``1.0`` stays ``1.0``)."""
        return self.lines[span.line - 1][span.column - 1:span.end_column - 1]

    def value(self, value: ast.Value | ast.Word) -> str:
        if isinstance(value, (ast.Number, ast.Word)):
            return self.source(value.span)
        if isinstance(value, ast.ConstRef):
            return value.name
        return f"Sz({value.dim})"

    # -- hardware files -------------------------------------------------------------------------
    def hardware(self, tree: ast.HardwareFile) -> list[_Line]:
        width = max((len(e.key) for e in tree.entries), default=0) + 1
        for entry in tree.entries:
            self.emit(0, f"{entry.key + ':':<{width}} {self.value(entry.value)}", entry.span.line)
        return self.out

    # -- mapping, model and template files ------------------------------------------------------
    def mapping(self, tree: ast.MappingFile) -> list[_Line]:
        items: list[object] = [*tree.constants, *tree.networks, *tree.accelerators]
        for template in tree.templates:
            if self.lines[template.span.line - 1][template.span.column - 1:].startswith("Dataflow"):
                items.append(template)
            else:  # bare directives: each stays a top-level statement
                items.extend(template.directives)
        for item in sorted(items, key=lambda node: (node.span.line, node.span.column)):  # type: ignore[attr-defined]
            self.top(item)
        return self.out

    def top(self, item: object) -> None:
        if isinstance(item, ast.Constant):
            self.emit(0, f"Constant {item.name} {self.value(item.value)};", item.span.line)
        elif isinstance(item, ast.Network):
            self.emit(0, f"Network {item.name} {{", item.span.line)
            for layer in item.layers:
                self.layer(layer, 1)
            self.emit(0, "}", item.span.end_line, closes=True)
        elif isinstance(item, ast.Accelerator):
            self.emit(0, "Accelerator {", item.span.line)
            self.accelerator_items(item.items, 1)
            self.emit(0, "}", item.span.end_line, closes=True)
        elif isinstance(item, ast.Dataflow):
            self.dataflow(item, 0)
        else:
            self.directive(item, 0)  # type: ignore[arg-type]

    def layer(self, layer: ast.Layer, depth: int) -> None:
        self.emit(depth, f"Layer {layer.name} {{", layer.span.line)
        for item in layer.items:
            if isinstance(item, ast.TypeDecl):
                self.emit(depth + 1, f"Type: {item.name}", item.span.line)
            elif isinstance(item, ast.Stride):
                self.entries("Stride", item.entries, item.span, depth + 1)
            elif isinstance(item, ast.Dimensions):
                self.entries("Dimensions", item.entries, item.span, depth + 1)
            else:
                self.dataflow(item, depth + 1)
        self.emit(depth, "}", layer.span.end_line, closes=True)

    def entries(self, keyword: str, entries: tuple[ast.DimEntry, ...], span: Span, depth: int) -> None:
        texts = [f"{e.name}: {self.value(e.value)}" for e in entries]
        if not any(_inside(c, span) for c in self.comments):
            self.emit(depth, f"{keyword} {{ {', '.join(texts)} }}" if texts else f"{keyword} {{ }}", span.line)
            return
        self.emit(depth, f"{keyword} {{", span.line)
        for index, (entry, text) in enumerate(zip(entries, texts)):
            self.emit(depth + 1, text + ("," if index < len(texts) - 1 else ""), entry.span.line)
        self.emit(depth, "}", span.end_line, closes=True)

    def dataflow(self, dataflow: ast.Dataflow, depth: int) -> None:
        self.emit(depth, "Dataflow {", dataflow.span.line)
        for directive in dataflow.directives:
            self.directive(directive, depth + 1)
        self.emit(depth, "}", dataflow.span.end_line, closes=True)

    def directive(self, directive: ast.Directive, depth: int) -> None:
        if isinstance(directive, ast.MapDirective):
            code = f"{directive.kind}({self.value(directive.size)},{self.value(directive.offset)}) {directive.dim};"
        else:
            code = f"Cluster({self.value(directive.size)}, {directive.cluster_type});"
        self.emit(depth, code, directive.span.line)

    def accelerator_items(self, items: tuple[ast.AcceleratorGroup | ast.AcceleratorEntry, ...], depth: int) -> None:
        for item in items:
            if isinstance(item, ast.AcceleratorGroup):
                self.emit(depth, f"{item.name} {{", item.span.line)
                self.accelerator_items(item.items, depth + 1)
                self.emit(depth, "}", item.span.end_line, closes=True)
            else:
                self.emit(depth, f"{item.name}: {item.value};", item.span.line)


def _layout(records: list[_Line], comments: list[_Comment], lines: list[str]) -> str:
    """Merge the comments into the lines of code, then place blank lines and indentation."""
    starts = [r.line for r in records]
    trailing: dict[int, _Comment] = {}  # record index -> the comment at the end of its line
    before: dict[int, list[_Comment]] = {}  # record index -> own-line comments printed before it
    for comment in comments:
        owner = bisect.bisect_right(starts, comment.line) - 1
        if comment.own_line or owner < 0:
            before.setdefault(bisect.bisect_right(starts, comment.line), []).append(comment)
        elif owner in trailing:  # a second comment on one statement: it goes on a line of its own after it
            before.setdefault(owner + 1, []).append(comment)
        else:
            trailing[owner] = comment
    printed: list[_Printed] = []
    for index in range(len(records) + 1):
        record = records[index] if index < len(records) else None
        depth = 0 if record is None else record.indent + (1 if record.closes else 0)
        for comment in sorted(before.get(index, []), key=lambda c: (c.line, c.column)):
            printed.append(_Printed(INDENT * depth + comment.text, comment.line))
        if record is not None:
            printed.append(_Printed(INDENT * record.indent + record.code, record.line, record.opens, record.closes,
                                    trailing[index].text if index in trailing else ""))
    out: list[_Printed | None] = []  # None: a blank line
    for position, item in enumerate(printed):
        blank_above = item.line >= 2 and not lines[item.line - 2].strip()
        if position and blank_above and not item.closes and not printed[position - 1].opens:
            out.append(None)
        out.append(item)
    return "\n".join(_aligned(out)) + "\n"


@dataclass(frozen=True)
class _Printed:
    text: str
    line: int  # the source line it comes from
    opens: bool = False
    closes: bool = False
    comment: str = ""  # a trailing comment


def _aligned(out: list[_Printed | None]) -> Iterator[str]:
    """The lines, trailing comments of neighbouring lines at one indent aligned in one column."""
    index = 0
    while index < len(out):
        item = out[index]
        if item is None or not item.comment:
            yield "" if item is None else item.text
            index += 1
            continue
        indent = len(item.text) - len(item.text.lstrip())
        run = [item]
        while index + len(run) < len(out):
            following = out[index + len(run)]
            if following is None or not following.comment or \
                    len(following.text) - len(following.text.lstrip()) != indent:
                break
            run.append(following)
        width = max(len(member.text) for member in run)
        yield from (f"{member.text:<{width}}  {member.comment}" for member in run)
        index += len(run)
