"""``maestroc map --explain-space``: what each layer's space holds and how big it is, without searching."""

from __future__ import annotations

from maestroc import ast
from maestroc.hardware import HardwareSpec
from maestroc.mapping.lowering import base_layers
from maestroc.mapping.network import template_directives
from maestroc.mapping.space import SpaceSettings, _orders, _tiles, layer_clusters, space_size, tiled_dims
from maestroc.templates import Template


def explain_space(tree: ast.MappingFile, hardware: HardwareSpec, settings: SpaceSettings,
                  templates: list[Template]) -> str:
    """One paragraph per distinct layer shape: dims, tile candidates, orders, clusters, families and size."""
    network = base_layers(tree, hardware)
    lines = [f"mapping space of {network.name} on {hardware.num_pes} PEs (docs/mapping.md)",
             (f"levels {list(settings.levels)}, orders {'fixed' if settings.fixed_orders else repr(settings.orders)}, "
              f"tile forms {list(settings.tile_forms)}")]
    seen: dict[tuple, str] = {}
    total = 0
    for layer in network.layers:
        key = (layer.layer_type, layer.dims, layer.stride, layer.tensors)
        if key in seen:
            lines.append(f"\n{layer.name}: same shape as {seen[key]}, searched once")
            continue
        seen[key] = layer.name
        families, rows = space_size(layer, hardware.num_pes, settings)
        suits = [name for name, _ in template_directives(templates, layer)] if settings.templates else []
        total += rows + len(suits)
        dims = " ".join(f"{d}={s}" for d, s in layer.dims)
        lines.append(f"\n{layer.name} ({layer.layer_type}: {dims})")
        for dim in tiled_dims(layer):
            lines.append(f"  tiles of {dim}: {', '.join(map(str, _tiles(layer, dim, settings)))}")
        lines.append(f"  level-0 orders: {len(_orders(layer, settings))}")
        if 2 in settings.levels:
            clusters = layer_clusters(layer, hardware.num_pes, settings)
            lines.append(f"  cluster sizes: {', '.join(map(str, clusters)) or 'none (no two-level family)'}")
        lines.append(f"  templates of the type (points of the space): {', '.join(suits) or 'none'}")
        lines.append(f"  families: {families:,}; mappings: {rows + len(suits):,}")
    lines.append(f"\nnetwork: {total:,} mappings over {len(seen)} distinct layer shapes")
    return "\n".join(lines) + "\n"
