"""``maestroc map --explain-space``: what each layer's space holds and how big it is, without searching."""

from __future__ import annotations

from maestroc import ast
from maestroc.hardware import HardwareSpec
from maestroc.mapping.network import shape_tasks
from maestroc.mapping.space import SpaceSettings, _orders, _tiles, layer_clusters, space_size, tiled_dims
from maestroc.templates import Template


def explain_space(tree: ast.MappingFile, hardware: HardwareSpec, settings: SpaceSettings,
                  templates: list[Template]) -> str:
    """One paragraph per distinct layer shape: dims, tile candidates, orders, clusters, families and size."""
    network, keys, first, tasks = shape_tasks(tree, hardware, settings, templates)
    lines = [f"mapping space of {network.name} on {hardware.num_pes} PEs (docs/mapping.md)",
             (f"levels {list(settings.levels)}, orders {'fixed' if settings.fixed_orders else repr(settings.orders)}, "
              f"tile forms {list(settings.tile_forms)}")]
    points = {task[0].name: task[1] for task in tasks}
    total = 0
    for layer, key in zip(network.layers, keys):
        if first[key] is not layer:
            lines.append(f"\n{layer.name}: same shape as {first[key].name}, searched once")
            continue
        families, rows = space_size(layer, hardware.num_pes, settings)
        names = [name if name != "input" else "the input's own dataflow" for name, _ in points[layer.name]]
        total += rows + len(names)
        dims = " ".join(f"{d}={s}" for d, s in layer.dims)
        lines.append(f"\n{layer.name} ({layer.layer_type}: {dims})")
        for dim in tiled_dims(layer):
            lines.append(f"  tiles of {dim}: {', '.join(map(str, _tiles(layer, dim, settings)))}")
        lines.append(f"  level-0 orders: {len(_orders(layer, settings))}")
        if 2 in settings.levels:
            clusters = layer_clusters(layer, hardware.num_pes, settings)
            lines.append(f"  cluster sizes: {', '.join(map(str, clusters)) or 'none (no two-level family)'}")
        lines.append(f"  template points of the space: {', '.join(names) or 'none'}")
        lines.append(f"  families: {families:,}; mappings: {rows + len(names):,}")
    lines.append(f"\nnetwork: {total:,} mappings over {len(tasks)} distinct layer shapes")
    return "\n".join(lines) + "\n"
