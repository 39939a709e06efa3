"""Putting dataflow templates into model files (`maestroc apply-dataflow`).

The model file is edited as text, so its comments, layout and layer names stay as
they are: each layer without a ``Dataflow`` gets the template's block inserted
before its closing ``}``, indented like the layer's other items. The template for a
layer is chosen by its type (``--dataflow-for DSCONV=dpt.m``), else the default.
"""

from __future__ import annotations

from dataclasses import dataclass

from maestroc import ast
from maestroc.diagnostics import SOURCES
from maestroc.layertypes import LAYER_TYPES


@dataclass(frozen=True)
class Template:
    path: str
    body: list[str]  # the directive lines, as written (comments included)
    dims: frozenset[str]  # dimensions its directives and Sz() use


class TemplateError(ValueError):
    """A template that does not fit; the message says which layers and why."""


def load_template(tree: ast.MappingFile) -> Template:
    """The directive lines of a template file (a bare ``Dataflow { ... }`` or bare directives)."""
    if tree.kind != "template":
        raise TemplateError(f"{tree.path}: not a dataflow template (it has {tree.kind} content)")
    dataflow = tree.templates[0]
    lines = SOURCES.lines(tree.path)
    first, last = dataflow.directives[0].span, dataflow.directives[-1].span
    body = [line.rstrip() for line in lines[first.line - 1:last.end_line]]
    # Comment lines between the block's opening and its first directive belong to the body too.
    opening = dataflow.span.line if lines[dataflow.span.line - 1].strip().startswith("Dataflow") else first.line
    leading = [line.rstrip() for line in lines[opening:first.line - 1] if line.strip().startswith("//")]
    dims = set()
    for d in dataflow.directives:
        if isinstance(d, ast.MapDirective):
            dims.add(d.dim)
        for value in (getattr(d, "size", None), getattr(d, "offset", None)):
            if isinstance(value, ast.SizeOf):
                dims.add(value.dim)
    return Template(tree.path, _dedent(leading + body), frozenset(dims))


def _dedent(lines: list[str]) -> list[str]:
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:] for line in lines]


def apply_templates(model: ast.MappingFile, default: Template | None, by_type: dict[str, Template]) -> str:
    """The model file's text with a Dataflow block in every layer that lacks one."""
    lines = list(SOURCES.lines(model.path))
    missing: list[str] = []
    insertions: list[tuple[int, list[str]]] = []
    for network in model.networks:
        for layer in network.layers:
            if layer.dataflow is not None:
                continue
            kind = layer.type_decl.name if layer.type_decl else ""
            template = by_type.get(kind, default)
            if template is None:
                missing.append(f"`{layer.name}` ({kind})")
                continue
            unknown = template.dims - set(LAYER_TYPES[kind].dims) if kind in LAYER_TYPES else set()
            if unknown:
                raise TemplateError(f"{template.path} maps {', '.join(sorted(unknown))}, which a {kind} layer "
                                    f"(`{layer.name}`) does not have; give one with --dataflow-for {kind}=FILE")
            insertions.append((layer.span.end_line, _block(lines, layer, template)))
    if missing:
        raise TemplateError(f"no template for {', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}; "
                            "give --dataflow, or --dataflow-for TYPE=FILE")
    for end_line, block in sorted(insertions, reverse=True):
        closing = lines[end_line - 1]
        brace = closing.rfind("}")
        before, after = closing[:brace], closing[brace:]
        if before.strip():  # `}` shares its line with other text: put the block on lines of its own
            lines[end_line - 1:end_line] = [before.rstrip()] + block + [" " * _indent_of(before) + after]
        else:
            lines[end_line - 1:end_line - 1] = block
    return "\n".join(lines) + "\n"


def _indent_of(text: str) -> int:
    return len(text) - len(text.lstrip())


def _block(lines: list[str], layer: ast.Layer, template: Template) -> list[str]:
    """The Dataflow block, indented like the layer's first item."""
    first_item = layer.items[0].span.line if layer.items else layer.span.line
    indent = " " * _indent_of(lines[first_item - 1]) if layer.items else "  "
    inner = indent + ("  " if "\t" not in indent else "\t")
    return [f"{indent}Dataflow {{"] + [inner + line if line else "" for line in template.body] + [f"{indent}}}"]
