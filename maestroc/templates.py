"""Dataflow templates for model files: which template each layer gets, and putting it in.

A layer without a ``Dataflow`` gets one template, chosen by ``--dataflow-for PATTERN=FILE``
options (a layer name first, then a glob over layer names, then a layer type) or else
by the default ``--dataflow FILE``. The choice is applied twice, from one assignment:

* as a tree (:func:`merged_tree`), for compile, lint and compare: the template's nodes keep
  their spans, so every diagnostic points at the template file the user wrote;
* as text (:func:`merged_text`), for ``apply-dataflow`` and ``compare --emit best``: the model
  file is edited as text, so its comments, layout and layer names stay as they are. Each block
  goes before its layer's closing ``}``; the templates' ``Constant`` lines go before ``Network``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fnmatch import fnmatchcase

from maestroc import ast
from maestroc.diagnostics import SOURCES, Diagnostics, Span
from maestroc.frontend import load_file
from maestroc.layertypes import LAYER_TYPES
from maestroc.sema import check_mapping

_GLOB = set("*?[")


@dataclass(frozen=True)
class Template:
    """A checked template file: one ``Dataflow`` (a block or bare directives) and its constants."""

    tree: ast.MappingFile

    @property
    def path(self) -> str:
        return self.tree.path

    @property
    def dataflow(self) -> ast.Dataflow:
        return self.tree.templates[0]

    def dims_outside(self, kind: str) -> list[tuple[str, Span]]:
        """The dimensions this template maps or sizes (``Sz``) that a layer of type ``kind`` lacks, each
        with the span of its first use."""
        if kind not in LAYER_TYPES:
            return []
        used: dict[str, Span] = {}
        for d in self.dataflow.directives:
            if isinstance(d, ast.MapDirective):
                used.setdefault(d.dim, d.dim_span)
            for value in (getattr(d, "size", None), getattr(d, "offset", None)):
                if isinstance(value, ast.SizeOf):
                    used.setdefault(value.dim, value.dim_span)
        return [(dim, span) for dim, span in used.items() if dim not in LAYER_TYPES[kind].dims]


def load_template(path: str, diagnostics: Diagnostics) -> Template | None:
    """A template file, checked; None (with a diagnostic) if it has errors or is not a template."""
    before = len(diagnostics)
    tree = load_file(path, diagnostics, "mapping")
    if tree is None or any(d.severity.value == "error" for d in list(diagnostics)[before:]):
        return None
    assert isinstance(tree, ast.MappingFile)
    if tree.kind != "template":
        diagnostics.error("E219", f"not a dataflow template: it has {tree.kind} content", path=path,
                          helps=["a template holds one `Dataflow { ... }` block (or bare directives) and "
                                 "optional `Constant` lines, e.g. samples/dataflows/kcp_ws.m"])
        return None
    if len(tree.templates) > 1:
        diagnostics.error("E219", f"a template holds one `Dataflow` block, this one holds {len(tree.templates)}",
                          tree.templates[1].span)
        return None
    if not tree.templates[0].directives:
        diagnostics.error("E219", "this template has no directives", tree.templates[0].span)
        return None
    return Template(tree)


@dataclass(frozen=True)
class TemplateChoice:
    """The default template and the ``--dataflow-for`` rules, in the order given."""

    default: Template | None = None
    rules: tuple[tuple[str, Template], ...] = ()

    def for_layer(self, layer: ast.Layer) -> Template | None:
        """The template for a layer: its exact name, else the first glob matching it, else its type."""
        kind = layer.type_decl.name if layer.type_decl else ""
        tests = (lambda p: p == layer.name, lambda p: bool(_GLOB & set(p)) and fnmatchcase(layer.name, p),
                 lambda p: p == kind)
        for test in tests:
            for pattern, template in self.rules:
                if test(pattern):
                    return template
        return self.default


Assignment = list[tuple[ast.Layer, Template]]  # the layers that get a template, in file order


def assign(model: ast.MappingFile, choice: TemplateChoice, diagnostics: Diagnostics) -> Assignment | None:
    """The template of every layer without a Dataflow; None (with diagnostics) if one has none or misfits."""
    layers = [layer for network in model.networks for layer in network.layers]
    for pattern, template in choice.rules:
        if pattern not in LAYER_TYPES and not any(layer.name == pattern or fnmatchcase(layer.name, pattern)
                                                  for layer in layers):
            diagnostics.error("E219", f"--dataflow-for {pattern}={template.path}: `{pattern}` is no layer name, "
                              f"glob of layer names or layer type of {model.path}",
                              path=model.path, notes=[f"layer types: {', '.join(LAYER_TYPES)}"])
    assignment: Assignment = []
    for layer in layers:
        if layer.dataflow is not None:
            continue
        kind = layer.type_decl.name if layer.type_decl else ""
        template = choice.for_layer(layer)
        if template is None:
            diagnostics.error("E219", f"no template for layer `{layer.name}` ({kind or 'no type'})",
                              layer.name_span, helps=[f"give --dataflow FILE, or --dataflow-for {layer.name}=FILE "
                                                      f"(or {kind}=FILE for every {kind} layer)"])
            continue
        outside = template.dims_outside(kind)
        if outside:
            names = ", ".join(dim for dim, _ in outside)
            diagnostics.error("E219", f"this template uses {names}, which the {kind} layer `{layer.name}` does "
                              "not have", outside[0][1],
                              related=[(layer.name_span, f"layer `{layer.name}` is here")],
                              helps=[f"give that layer another template: --dataflow-for {layer.name}=FILE "
                                     f"or --dataflow-for {kind}=FILE"])
            continue
        assignment.append((layer, template))
    return None if diagnostics.has_errors else assignment


def _constants(model: ast.MappingFile, assignment: Assignment,
               diagnostics: Diagnostics) -> list[ast.Constant] | None:
    """The templates' constants the model lacks (the model's own value wins, with a W203 when it differs);
    None on a conflict between templates."""
    known = {c.name: c for c in model.constants}
    added: dict[str, ast.Constant] = {}
    for template in dict.fromkeys(t for _, t in assignment):
        for constant in template.tree.constants:
            if constant.name in known:
                own = known[constant.name]
                reported = any(d.code == "W203" and d.span == constant.span for d in diagnostics)
                if ast.format_value(own.value) != ast.format_value(constant.value) and not reported:
                    diagnostics.warning(
                        "W203", f"constant `{constant.name}` is {ast.format_value(constant.value)} here but "
                        f"{ast.format_value(own.value)} in the model file, whose value is used", constant.span,
                        related=[(own.span, "the model's value")],
                        helps=[f"remove `Constant {constant.name}` from one of the two files"])
                continue
            first = added.setdefault(constant.name, constant)
            if ast.format_value(first.value) != ast.format_value(constant.value):
                diagnostics.error("E219", f"constant `{constant.name}` has another value in {first.span.path}",
                                  constant.span, related=[(first.span, "the other value")],
                                  helps=[f"define `{constant.name}` once, in the model file"])
                return None
    return list(added.values())


def merged_tree(model: ast.MappingFile, assignment: Assignment, diagnostics: Diagnostics) -> ast.MappingFile | None:
    """The model with each assigned layer holding its template's Dataflow (spans in the template file), checked."""
    constants = _constants(model, assignment, diagnostics)
    if constants is None:
        return None
    by_layer = {id(layer): template for layer, template in assignment}
    networks = tuple(dataclasses.replace(network, layers=tuple(
        dataclasses.replace(layer, items=layer.items + (by_layer[id(layer)].dataflow,)) if id(layer) in by_layer
        else layer for layer in network.layers)) for network in model.networks)
    tree = dataclasses.replace(model, constants=model.constants + tuple(constants), networks=networks)
    merged = Diagnostics()
    check_mapping(tree, merged)
    known = set(diagnostics)
    for diagnostic in merged:  # the model's own warnings were reported when it was loaded
        if diagnostic not in known:
            diagnostics.add(diagnostic)
    return None if diagnostics.has_errors else tree


def merged_text(model: ast.MappingFile, assignment: Assignment, diagnostics: Diagnostics) -> str | None:
    """The model file's text with each assigned layer's Dataflow block and the templates' constants written in."""
    constants = _constants(model, assignment, diagnostics)
    if constants is None:
        return None
    lines = list(SOURCES.lines(model.path))
    before_line: dict[int, list[str]] = {}  # 0-based line -> lines to put above it
    blocks: dict[int, list[tuple[int, list[str]]]] = {}  # 0-based line -> (column of a layer's `}`, its block)
    if constants and model.networks:
        before_line[model.networks[0].span.line - 1] = [_span_text(c.span) for c in constants]
    for layer, template in assignment:
        blocks.setdefault(layer.span.end_line - 1, []).append((layer.span.end_column - 2, _block(lines, layer,
                                                                                                   template)))
    out: list[str] = []
    for number, line in enumerate(lines):
        out += before_line.get(number, [])
        out += _split_at_braces(line, blocks[number]) if number in blocks else [line]
    return "\n".join(out) + "\n"


def _split_at_braces(line: str, inserts: list[tuple[int, list[str]]]) -> list[str]:
    """``line`` with each block put before its layer's `}` (0-based column); text before a `}` keeps its line."""
    out: list[str] = []
    start = 0
    for column, block in sorted(inserts):
        segment = line[start:column]
        if segment.strip():
            out.append(segment.rstrip() if start == 0 else _indent_of(line) + segment.strip())
        out += block
        start = column
    out.append(_indent_of(line) + line[start:].strip())
    return out


def _indent_of(text: str) -> str:
    return text[:len(text) - len(text.lstrip())]


def _span_text(span: Span) -> str:
    """The text a span covers, lines joined by newlines."""
    lines = SOURCES.lines(span.path)[span.line - 1:span.end_line]
    if not lines:
        return ""
    lines[-1] = lines[-1][:span.end_column - 1]
    lines[0] = lines[0][span.column - 1:]
    return "\n".join(lines)


def body_lines(template: Template) -> list[str]:
    """The template's directives as written (comments between and after them kept), without the block braces."""
    dataflow = template.dataflow
    lines = SOURCES.lines(template.path)
    first, last = dataflow.directives[0].span, dataflow.directives[-1].span
    text = _span_text(Span(first.path, first.line, first.column, last.end_line, last.end_column)).split("\n")
    rest_of_last = lines[last.end_line - 1][last.end_column - 1:].strip()
    if rest_of_last.startswith("//"):
        text[-1] += " " + rest_of_last
    # Comment lines between the block's opening and its first directive belong to the body too.
    opening = min(dataflow.span.line, first.line)
    leading = [line.strip() for line in lines[opening:first.line - 1] if line.strip().startswith("//")]
    return leading + [text[0].strip()] + _dedent([line.rstrip() for line in text[1:]])


def _dedent(lines: list[str]) -> list[str]:
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:] for line in lines]


def _block(lines: list[str], layer: ast.Layer, template: Template) -> list[str]:
    """The Dataflow block, indented like the layer's first item (or one step more than the layer)."""
    layer_indent = _indent_of(lines[layer.span.line - 1])
    step = "\t" if "\t" in layer_indent else "  "
    indent = layer_indent + step
    if layer.items:
        item = layer.items[0].span
        item_indent = _indent_of(lines[item.line - 1])
        if item.line != layer.span.line and len(item_indent) == item.column - 1:
            indent = item_indent
    inner = indent + ("\t" if "\t" in indent else "  ")
    return [f"{indent}Dataflow {{"] + [inner + line if line else "" for line in body_lines(template)] + \
        [f"{indent}}}"]


def load_choice(default: str | None, rules: list[tuple[str, str]], diagnostics: Diagnostics) -> TemplateChoice | None:
    """The templates of ``--dataflow FILE`` and ``--dataflow-for PATTERN=FILE``, loaded once each."""
    loaded: dict[str, Template | None] = {}
    for path in ([default] if default else []) + [path for _, path in rules]:
        if path not in loaded:
            loaded[path] = load_template(path, diagnostics)
    if any(template is None for template in loaded.values()):
        return None
    return TemplateChoice(loaded[default] if default else None,
                          tuple((pattern, loaded[path]) for pattern, path in rules))  # type: ignore[misc]
