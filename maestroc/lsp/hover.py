"""Hover text (Markdown): a layer's dimensions and figures, a directive's tile and iterations, values.

The figures (runtime, energy, utilisation, bound, traffic) are the cost model's,
through ``maestroc.api`` (see :meth:`Analysis.metrics`); they need a hardware
file, named by ``// maestroc: hw=PATH`` in the document or by the workspace.
"""

from __future__ import annotations

from pathlib import Path

from maestroc import ast
from maestroc.ir import ClusterMark, LayerIR, Level, Loop
from maestroc.lsp.analysis import Analysis
from maestroc.lsp.navigation import Hit, constant_named, constant_uses, node_at, written_dims
from maestroc.metrics import LayerMetrics

NO_HARDWARE = "_Name a hardware file (`// maestroc: hw=PATH`) for runtime and energy._"


def hover_text(analysis: Analysis, line: int, column: int) -> str | None:
    """Markdown for the node at a 1-based position, or None when there is nothing to say."""
    tree = analysis.tree
    hit = node_at(tree, line, column)
    if hit is None or not isinstance(tree, ast.MappingFile):
        return None
    node = hit.node
    if isinstance(node, ast.Constant):
        return _constant(tree, node)
    if isinstance(node, ast.ConstRef):
        constant = constant_named(tree, node.name)
        return _constant(tree, constant) if constant else f"`{node.name}`: undefined constant"
    if isinstance(node, ast.SizeOf):
        return _size_of(analysis, tree, hit, node)
    if isinstance(node, ast.Layer):
        return _layer(analysis, tree, node)
    if isinstance(node, (ast.MapDirective, ast.ClusterDirective)) and hit.layer is not None:
        return _directive(analysis, hit)
    return None


def _constant(tree: ast.MappingFile, constant: ast.Constant) -> str:
    uses = len(constant_uses(tree, constant.name))
    return f"```maestro\nConstant {constant.name} {ast.format_value(constant.value)};\n```\n" \
           f"used {uses} time{'s' if uses != 1 else ''}"


def _dims_of(analysis: Analysis, tree: ast.MappingFile, layer: ast.Layer) -> dict[str, int]:
    ir = analysis.layer_ir(layer.name)
    return ir.dim_table() if ir is not None and ir.dims else written_dims(layer, tree)


def _size_of(analysis: Analysis, tree: ast.MappingFile, hit: Hit, node: ast.SizeOf) -> str:
    if hit.layer is None:
        return f"`Sz({node.dim})`: the size of dimension `{node.dim}` of the layer this dataflow is applied to"
    value = _dims_of(analysis, tree, hit.layer).get(node.dim)
    shown = value if value is not None else "not declared"
    return f"`Sz({node.dim})` = **{shown}** in layer `{hit.layer.name}`"


def _layer(analysis: Analysis, tree: ast.MappingFile, layer: ast.Layer) -> str:
    kind = layer.type_decl.name if layer.type_decl else "?"
    dims = _dims_of(analysis, tree, layer)
    parts = [f"**Layer `{layer.name}`** ({kind})", "Dimensions: " + ", ".join(f"{d}={v}" for d, v in dims.items())]
    ir = analysis.layer_ir(layer.name)
    if ir is not None and ir.stride:
        parts.append("Stride: " + ", ".join(f"{d}={v}" for d, v in ir.stride))
    metrics = analysis.metrics().get(layer.name)
    if metrics is not None:
        name = Path(analysis.hardware_path or "").name
        parts.append(f"On `{name}`: runtime **{metrics.runtime:,}** cycles, energy **{metrics.energy:,.2f}** nJ, "
                     f"PE utilisation **{metrics.avg_pes / metrics.num_pes:.1%}**, {metrics.bound}-bound")
    elif analysis.hardware is None:
        parts.append(NO_HARDWARE)
    else:
        parts.append("_No figures: the file has errors._")
    return "\n\n".join(parts)


def _find_loop(ir: LayerIR, span: object) -> tuple[int, Level, Loop | None] | None:
    for index, level in enumerate(ir.levels):
        for loop in level.loops:
            if loop.span == span:
                return index, level, loop
        if level.cluster is not None and level.cluster.span == span:
            return index, level, None
    return None


def _steps(extent: int, size: int, offset: int) -> int:
    """How many positions a map of ``size`` advancing by ``offset`` takes over ``extent`` (edge tile included)."""
    return 1 if extent <= size else -(-(extent - size) // offset) + 1


def _directive(analysis: Analysis, hit: Hit) -> str:
    assert hit.layer is not None
    ir = analysis.layer_ir(hit.layer.name)
    found = _find_loop(ir, hit.span) if ir is not None else None
    if ir is None or found is None:
        return f"Directive of layer `{hit.layer.name}` (no sizes: the layer has errors)"
    index, level, loop = found
    if loop is None:
        cluster: ClusterMark = level.cluster  # type: ignore[assignment]
        return f"`Cluster({cluster.size})` closes level {index}: level {index + 1} groups {cluster.size} " \
               f"PEs (or sub-clusters) per unit"
    extent = level.dim_table().get(loop.dim, 0)
    steps = _steps(extent, loop.size, loop.offset)
    lines = [(f"**{'Spatial' if loop.spatial else 'Temporal'}Map on `{loop.dim}`** at level {index} of "
              f"`{ir.name}`"),
             f"Tile: {loop.size} of {extent} along `{loop.dim}`, advancing by {loop.offset}"]
    if loop.spatial and level.sub_clusters:
        lines.append(f"{steps} chunks over {level.sub_clusters} units: "
                     f"{-(-steps // level.sub_clusters)} spatial step(s)")
    elif loop.spatial:
        lines.append(f"{steps} chunks spread across the units of this level")
    else:
        lines.append(f"Iterations: **{steps}**")
    if loop.origin:
        lines.append(f"_{loop.origin}_")
    metrics = analysis.metrics().get(ir.name)
    lines.append(_traffic_share(ir, loop.dim, metrics) if metrics else NO_HARDWARE)
    return "\n\n".join(lines)


def _traffic_share(ir: LayerIR, dim: str, metrics: LayerMetrics) -> str:
    """The tensors the dimension indexes and their share of the layer's L2 reads and writes."""
    base = {"Y'": "Y", "X'": "X"}.get(dim, dim)
    indexed = [t.name for t in ir.tensors
               if dim in t.dims or base in t.dims or {"Y": "Y'", "X": "X'"}.get(base, "") in t.dims]
    traffic = {t: metrics.l2_read.get(t, 0) + metrics.l2_write.get(t, 0) for t in ("input", "weight", "output")}
    total = sum(traffic.values())
    if not indexed or total == 0:
        return f"`{dim}` indexes no tensor of this layer"
    share = sum(traffic[t] for t in indexed) / total
    return f"`{dim}` indexes {', '.join(indexed)}: **{share:.1%}** of the layer's L2 traffic " \
           f"({sum(traffic[t] for t in indexed):,} of {total:,} reads and writes)"
