"""Front-end checks of a parsed mapping file: names, types, dimensions and values.

Everything here is about the text alone (no dataflow analysis, no hardware):
after :func:`check_mapping` reports no error, every value in the file can be
evaluated to a positive integer and every name refers to something declared.
The dataflow's legality is the middle end's business (passes/legality.py, lint).
"""

from __future__ import annotations

import difflib

from maestroc import ast
from maestroc.diagnostics import Diagnostics
from maestroc.hardware import MAX_HW_INT
from maestroc.layertypes import LAYER_TYPES, OUTPUT_DIMS, SLIDING, SUPPORTED_TYPES

# The largest size, offset, stride or constant a file may give: the bound of hardware values too.
MAX_VALUE = MAX_HW_INT
ALL_DIMS: tuple[str, ...] = tuple(dict.fromkeys(d for t in LAYER_TYPES.values() for d in t.dims))


def check_mapping(tree: ast.MappingFile, diagnostics: Diagnostics) -> None:
    """Report every independent error of a mapping, model or template file."""
    constants = _check_constants(tree.constants, diagnostics)
    if len(tree.networks) > 1:
        second = tree.networks[1]
        diagnostics.error("E216", "a file may hold only one `Network`", second.name_span,
                          related=[(tree.networks[0].name_span, "the first `Network` is here")])
    if tree.templates and tree.networks:
        diagnostics.error("E215", "a dataflow template (top-level `Dataflow` or directives) cannot be mixed "
                          "with a `Network`", tree.templates[0].span,
                          helps=["put the directives inside a layer's `Dataflow { ... }` block"])
    for template in tree.templates:
        _check_dataflow(template, None, ALL_DIMS, constants, diagnostics)
    for network in tree.networks:
        for layer in network.layers:
            _check_layer(layer, constants, diagnostics)


def _check_constants(constants: tuple[ast.Constant, ...], diagnostics: Diagnostics) -> dict[str, int]:
    values: dict[str, int] = {}
    first: dict[str, ast.Constant] = {}
    for constant in constants:
        if constant.name in first:
            diagnostics.error("E209", f"constant `{constant.name}` is defined twice", constant.name_span,
                              related=[(first[constant.name].name_span, "first defined here")])
            continue
        first[constant.name] = constant
        if not isinstance(constant.value, ast.Number):
            diagnostics.error("E208", f"constant `{constant.name}` must be given a number",
                              constant.value.span)
            continue
        if _check_positive(constant.value, f"constant `{constant.name}`", diagnostics):
            values[constant.name] = int(constant.value.value)
    return values


def _check_positive(number: ast.Number, what: str, diagnostics: Diagnostics) -> bool:
    value = number.value
    if isinstance(value, float) or value <= 0:
        diagnostics.error("E208", f"{what} must be a positive whole number, not `{value}`", number.span)
        return False
    if value > MAX_VALUE:
        shown = str(value) if value < 10**30 else f"a {len(str(value))}-digit number"
        diagnostics.error("E208", f"{what} is too large: {shown} is above the limit of 2^62 ({MAX_VALUE:,})",
                          number.span,
                          notes=["every size, offset, stride and constant is at most 2^62, as hardware values are; "
                                 "a layer's counts then stay far below what energy (a float) can hold"])
        return False
    return True


def _value_of(value: ast.Value, constants: dict[str, int]) -> int | None:
    """The integer a dimension's value stands for, when it is a valid number or a defined constant."""
    if isinstance(value, ast.Number) and isinstance(value.value, int) and 0 < value.value <= MAX_VALUE:
        return value.value
    if isinstance(value, ast.ConstRef):
        return constants.get(value.name)
    return None


def _check_windows(declared: dict[str, ast.DimEntry], constants: dict[str, int], diagnostics: Diagnostics) -> None:
    """E220: a filter (R, S) must fit in the input it slides over (Y, X); else the layer has no output."""
    for reference, window in SLIDING.items():
        if reference not in declared or window not in declared:
            continue
        size = _value_of(declared[reference].value, constants)
        width = _value_of(declared[window].value, constants)
        if size is not None and width is not None and width > size:
            diagnostics.error("E220", f"the filter `{window}: {width}` is larger than the input `{reference}: {size}`",
                              declared[window].span, related=[(declared[reference].span, f"`{reference}` is here")],
                              notes=[f"a filter must fit in its input ({window} <= {reference}): the layer has "
                                     f"`{reference} - {window} + 1` output rows, which must be at least 1"],
                              helps=[f"check the sizes: `{window}` at most {size}, or `{reference}` at least {width}"])


def _check_value(value: ast.Value, what: str, declared: set[str] | None, constants: dict[str, int],
                 diagnostics: Diagnostics, allow_size_of: bool = True) -> None:
    if isinstance(value, ast.Number):
        _check_positive(value, what, diagnostics)
    elif isinstance(value, ast.ConstRef):
        if value.name not in constants:
            close = difflib.get_close_matches(value.name, list(constants), n=1)
            diagnostics.error("E206", f"undefined constant `{value.name}` in {what}", value.span,
                              helps=[f"did you mean `{close[0]}`?"] if close else
                              [f"define it first: `Constant {value.name} <value>;`"])
    elif not allow_size_of:
        diagnostics.error("E208", f"{what} must be a number or a constant, not `Sz({value.dim})`", value.span)
    elif declared is not None and value.dim not in declared:
        diagnostics.error("E207", f"`Sz({value.dim})`: the layer declares no dimension `{value.dim}`",
                          value.dim_span, notes=[f"declared: {', '.join(sorted(declared)) or 'none'}"])
    elif declared is None and value.dim not in ALL_DIMS:
        diagnostics.error("E207", f"`Sz({value.dim})`: `{value.dim}` is not a dimension", value.dim_span)


def _unknown_dim(name: str, name_span: ast.Span, where: str, allowed: tuple[str, ...],
                 diagnostics: Diagnostics) -> None:
    close = difflib.get_close_matches(name, list(allowed), n=1)
    diagnostics.error("E202", f"unknown dimension `{name}` {where}", name_span,
                      notes=[f"known dimensions: {' '.join(allowed)}"],
                      helps=[f"did you mean `{close[0]}`?"] if close else [])


def _check_layer(layer: ast.Layer, constants: dict[str, int], diagnostics: Diagnostics) -> None:
    first_of: dict[type, ast.LayerItem] = {}
    for item in layer.items:
        kind = type(item)
        if kind in first_of:
            label = {ast.TypeDecl: "Type", ast.Stride: "Stride", ast.Dimensions: "Dimensions",
                     ast.Dataflow: "Dataflow"}[kind]
            diagnostics.error("E210", f"`{label}` is given twice in layer `{layer.name}`", item.span,
                              related=[(first_of[kind].span, "first given here")])
        else:
            first_of[kind] = item
    stride, dims = layer.stride, layer.dimensions
    if stride and dims and layer.items.index(stride) > layer.items.index(dims):
        diagnostics.error("E205", "`Stride` must come before `Dimensions` (MAESTRO rejects it after)",
                          stride.span, related=[(dims.span, "`Dimensions` is here")],
                          helps=["move the `Stride { ... }` line above `Dimensions`"])

    type_decl = layer.type_decl
    layer_type = None
    if type_decl is None:
        diagnostics.error("E211", f"layer `{layer.name}` has no `Type`", layer.name_span,
                          helps=[f"add `Type: CONV` (supported: {SUPPORTED_TYPES})"])
    elif type_decl.name not in LAYER_TYPES:
        close = difflib.get_close_matches(type_decl.name.upper(), list(LAYER_TYPES), n=1)
        diagnostics.error("E201", f"unsupported layer type `{type_decl.name}`", type_decl.span,
                          notes=[f"supported layer types: {SUPPORTED_TYPES}"],
                          helps=[f"did you mean `{close[0]}`?"] if close else
                          ["pooling, LSTM and FC layers are not modelled; write an FC layer as a "
                           "CONV with R=S=Y=X=1 or as a GEMM"])
    else:
        layer_type = LAYER_TYPES[type_decl.name]
    allowed = layer_type.dims if layer_type else ALL_DIMS

    declared: dict[str, ast.DimEntry] = {}
    if dims is None:
        diagnostics.error("E212", f"layer `{layer.name}` has no `Dimensions`", layer.name_span)
    else:
        for entry in dims.entries:
            if entry.name not in allowed:
                _unknown_dim(entry.name, entry.name_span,
                             f"for a {layer_type.name} layer" if layer_type else "", allowed, diagnostics)
                continue
            _check_value(entry.value, f"dimension `{entry.name}`", None, constants, diagnostics,
                         allow_size_of=False)
            previous = declared.get(entry.name)
            if previous is not None:
                same = ast.format_value(previous.value) == ast.format_value(entry.value)
                if same:
                    diagnostics.warning("W201", f"dimension `{entry.name}` is declared twice", entry.name_span)
                else:
                    diagnostics.error("E203", f"dimension `{entry.name}` is declared twice with different "
                                      "sizes", entry.span, related=[(previous.span, "first declared here")])
                continue
            declared[entry.name] = entry
        for output, input_ in OUTPUT_DIMS.items():
            if output in declared and input_ in declared:
                diagnostics.error("E204", f"both `{input_}` and `{output}` are declared; give only one",
                                  declared[output].span, related=[(declared[input_].span, f"`{input_}` is here")],
                                  notes=[f"`{output}` is derived from `{input_}` and the filter size"])
        _check_windows(declared, constants, diagnostics)
        if layer_type:
            for options in layer_type.required:
                if not any(o in declared for o in options):
                    diagnostics.error("E217", f"{layer_type.name} layer `{layer.name}` needs dimension "
                                      f"{' or '.join(f'`{o}`' for o in options)}", dims.span)

    if stride is not None:
        for entry in stride.entries:
            if entry.name not in ("Y", "X"):
                diagnostics.error("E218", f"stride on `{entry.name}`: only `Y` and `X` take a stride",
                                  entry.name_span)
                continue
            _check_value(entry.value, f"stride `{entry.name}`", None, constants, diagnostics,
                         allow_size_of=False)

    if layer.dataflow is not None:
        _check_dataflow(layer.dataflow, set(declared), allowed, constants, diagnostics)


def _check_dataflow(dataflow: ast.Dataflow, declared: set[str] | None, allowed: tuple[str, ...],
                    constants: dict[str, int], diagnostics: Diagnostics) -> None:
    for directive in dataflow.directives:
        if isinstance(directive, ast.MapDirective):
            if directive.dim not in allowed:
                _unknown_dim(directive.dim, directive.dim_span, f"in `{directive.kind}`", allowed, diagnostics)
            _check_value(directive.size, f"the size of `{directive.kind}`", declared, constants, diagnostics)
            _check_value(directive.offset, f"the offset of `{directive.kind}`", declared, constants,
                         diagnostics)
        else:
            if directive.cluster_type not in ("P", "L"):
                diagnostics.error("E214", f"unknown cluster type `{directive.cluster_type}`",
                                  directive.type_span, helps=["write `P` (physical) or `L` (logical)"])
            _check_value(directive.size, "the size of `Cluster`", declared, constants, diagnostics)
