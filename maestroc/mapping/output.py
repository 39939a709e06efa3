"""What ``maestroc map`` writes: mapped.m, summary.json, the fronts and the terminal table.

mapped.m is the input file edited as text: each layer's Dataflow block is replaced
(or, in a model file, added before the layer's closing ``}``) by the best mapping's
directives, with a comment line giving the objective values; every other line,
comment and name stays as it was.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from dataclasses import asdict

from maestroc.diagnostics import SOURCES
from maestroc.mapping.lowering import directive_lines
from maestroc.mapping.network import LayerMapping, MapResult
from maestroc.mapping.outcome import Found

FIGURES = ("runtime", "energy", "edp")


def _indent_of(text: str) -> str:
    return text[:len(text) - len(text.lstrip())]


def _comment(mapping: LayerMapping) -> str:
    best = mapping.search.best
    assert best is not None
    text = f"// maestroc map: runtime {best.values['runtime']:,} cycles, energy {best.values['energy']:.6g} nJ, " \
           f"EDP {best.values['edp']:.6g}"
    if mapping.baseline is not None:
        text += f" (baseline {mapping.baseline.source}: EDP {mapping.baseline.values['edp']:.6g})"
    return text


def mapped_text(result: MapResult) -> str:
    """The input file with every mapped layer's Dataflow replaced or added (other text kept)."""
    tree = result.tree
    lines = list(SOURCES.lines(tree.path))
    by_name = {m.name: m for m in result.layers}
    layers = [layer for network in tree.networks for layer in network.layers if layer.name in by_name]
    for layer in sorted(layers, key=lambda item: item.span.line, reverse=True):  # bottom up: line numbers hold
        mapping = by_name[layer.name]
        dataflow = layer.dataflow
        first = dataflow.span if dataflow is not None else None
        anchor = lines[layer.span.line - 1]
        indent = _indent_of(lines[layer.items[0].span.line - 1]) if layer.items and \
            layer.items[0].span.line != layer.span.line else _indent_of(anchor) + "  "
        if mapping.search.best is None:  # nothing valid was found: the layer stays as it was, and says so
            lines.insert(layer.span.line - 1, _indent_of(anchor) + f"// maestroc map: no valid mapping found for "
                         f"layer `{layer.name}` in the space searched (summary.json says why)")
            continue
        block = [indent + _comment(mapping), indent + "Dataflow {"] + \
            [indent + "  " + line for line in directive_lines(mapping.search.best.directives)] + [indent + "}"]
        if first is not None:
            head = lines[first.line - 1][:first.column - 1]
            tail = lines[first.end_line - 1][first.end_column - 1:]
            replacement = ([head.rstrip()] if head.strip() else []) + block + \
                ([indent + tail.strip()] if tail.strip() else [])
            lines[first.line - 1:first.end_line] = replacement
            continue
        end = lines[layer.span.end_line - 1]
        column = layer.span.end_column - 2  # the layer's closing brace
        before, after = end[:column], end[column:]
        replacement = ([before.rstrip()] if before.strip() else []) + block + [_indent_of(anchor) + after.strip()]
        lines[layer.span.end_line - 1:layer.span.end_line] = replacement
    return "\n".join(lines) + "\n"


def _figures(found: Found | None) -> dict[str, object] | None:
    if found is None:
        return None
    return {"source": found.source, **{name: found.values[name] for name in FIGURES}}


def summary(result: MapResult) -> dict[str, object]:
    """summary.json: per layer the best and the baseline figures, counts and times; totals; the space."""
    layers = []
    for m in result.layers:
        search = m.search
        entry: dict[str, object] = {"name": m.name, "type": m.layer_type}
        best = search.best
        entry.update({name: best.values[name] if best else None for name in FIGURES})
        entry.update({
            "mapping": best.source if best else None, "baseline": _figures(m.baseline),
            "mappings_considered": search.considered, "mappings_evaluated": search.evaluated,
            "mappings_pruned": search.pruned, "mappings_valid": search.valid,
            "removed": dict(search.removed), "seconds": round(search.seconds, 3),
            "searched_as": m.searched_as, "stopped_early": search.stopped})
        layers.append(entry)
    return {"network": result.network, "source": result.path, "objectives": list(result.objectives),
            "space": asdict(result.settings), "hardware": asdict(result.hardware),
            "pruning": result.pruned, "stopped_early": result.stopped, "layers": layers, "totals": totals(result),
            "mappings_considered": result.considered, "mappings_evaluated": result.evaluated,
            "seconds": round(result.seconds, 3)}


def _network(found: list[Found | None]) -> dict[str, object] | None:
    """Network runtime and energy (sums over layers, in layer order) and EDP (their product); None if a
    layer has no figures."""
    if not found or any(f is None for f in found):
        return None
    runtime = sum(f.values["runtime"] for f in found)  # type: ignore[union-attr]
    energy = sum(f.values["energy"] for f in found)  # type: ignore[union-attr]
    return {"runtime": runtime, "energy": energy, "edp": energy * runtime}


def best_single_template(result: MapResult) -> tuple[dict[str, str], dict[str, object]] | None:
    """The sample templates, one per layer type and the same for every layer of that type, that give the
    lowest network EDP, with the network figures; None when no template is valid for every layer of a type."""
    kinds = sorted({m.layer_type for m in result.layers})
    names = {kind: sorted({name for m in result.layers if m.layer_type == kind for name in m.search.templates
                           if name != "input"}) for kind in kinds}
    best = None
    for choice in itertools.product(*(names[kind] for kind in kinds)):
        chosen = dict(zip(kinds, choice))
        figures = _network([m.search.templates.get(chosen[m.layer_type]) for m in result.layers])
        if figures is not None and (best is None or figures["edp"] < best[1]["edp"]):  # type: ignore[operator]
            best = (chosen, figures)
    return best


def totals(result: MapResult) -> dict[str, object]:
    """The network figures of the best mappings, of the baselines, of the best template per layer and of
    the best single template (one per layer type), and the EDP gains of the best over the last two."""
    def best_template(m: LayerMapping) -> Found | None:
        valid = [f for name, f in m.search.templates.items() if f is not None and name != "input"]
        return min(valid, key=lambda f: f.values["edp"], default=None)

    single = best_single_template(result)
    out: dict[str, object] = {
        "best": _network([m.search.best for m in result.layers]),
        "baseline": _network([m.baseline for m in result.layers]),
        "best_template_per_layer": _network([best_template(m) for m in result.layers]),
        "best_single_template": {"templates": single[0], **single[1]} if single else None}
    best = out["best"]
    for key in ("best_template_per_layer", "best_single_template"):
        other = out[key]
        gain = other["edp"] / best["edp"] if best and other and best["edp"] else None  # type: ignore[index]
        out[f"edp_gain_over_{key}"] = gain
    return out


def front_rows(result: MapResult) -> list[dict[str, object]]:
    """Every layer's Pareto front, one row per mapping (layers sharing a search repeat its front)."""
    rows = []
    for m in result.layers:
        for index, found in enumerate(m.search.front):
            rows.append({"layer": m.name, "index": index, "mapping": found.source,
                         **{name: found.values[name] for name in FIGURES},
                         "directives": " ".join(directive_lines(found.directives))})
    return rows


def front_csv(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["layer", "index", "mapping", *FIGURES, "directives"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def output_names(objectives: int) -> list[str]:
    """The files a run writes into its folder: mapped.m, summary.json, and the fronts with two objectives or more
    (known before the search, so the CLI checks them before it starts)."""
    return ["mapped.m", "summary.json"] + (["front.csv", "front.json"] if objectives > 1 else [])


def write_results(writer, folder: str, result: MapResult) -> list[str]:  # type: ignore[no-untyped-def]
    """The files of :func:`output_names` into ``folder``."""
    import os

    files = {"mapped.m": mapped_text(result), "summary.json": json.dumps(summary(result), indent=2) + "\n"}
    if len(result.objectives) > 1:
        rows = front_rows(result)
        files["front.csv"] = front_csv(rows)
        files["front.json"] = json.dumps(rows, indent=2) + "\n"
    assert list(files) == output_names(len(result.objectives))
    for name, text in files.items():
        writer.write(os.path.join(folder, name), text)
    return list(files)


def print_table(result: MapResult) -> None:
    """Per layer: baseline, best found, their ratio and the mappings met and evaluated; then the totals."""
    from rich.table import Table

    from maestroc.outputs import table_console

    objective = result.objectives[0]
    table = Table(title=f"maestroc map: {result.network} ({objective})")
    for column in ("layer", "baseline", f"best {objective}", "ratio", "considered", "evaluated", "valid", "seconds"):
        table.add_column(column, justify="left" if column in ("layer", "baseline") else "right")

    def value(found: Found | None) -> str:
        return "-" if found is None else f"{found.values[objective]:.6g}"

    for m in result.layers:
        best, base = m.search.best, m.baseline
        ratio = f"{base.values[objective] / best.values[objective]:.3g}x" if best and base and \
            best.values[objective] else "-"
        shared = m.searched_as is not None
        table.add_row(m.name, f"{value(base)} {base.source}" if base else "-", value(best), ratio,
                      f"as {m.searched_as}" if shared else f"{m.search.considered:,}",
                      "" if shared else f"{m.search.evaluated:,}",
                      "" if shared else f"{m.search.valid:,}", "" if shared else f"{m.search.seconds:.1f}")
    console = table_console()
    console.print(table)
    total = totals(result)
    if total["best"] and total["baseline"]:
        b, t = total["baseline"], total["best"]
        console.print(f"network {objective}: {t[objective]:.6g} (baseline {b[objective]:.6g}, "
                      f"{b[objective] / t[objective]:.3g}x); {result.considered:,} mappings considered, "
                      f"{result.evaluated:,} of them evaluated in full, in {result.seconds:.1f} s")
    gains = [f"{total[f'edp_gain_over_{key}']:.3g}x over the {text}" for key, text in
             (("best_single_template", "best single template"), ("best_template_per_layer",
                                                                  "best template per layer"))
             if total[f"edp_gain_over_{key}"]]
    if gains:
        console.print("network EDP: " + ", ".join(gains))
    if result.stopped:
        console.print(f"stopped early ({result.stopped}): the best found so far is kept")
    _warn_unmapped(result)


def _warn_unmapped(result: MapResult) -> None:
    """A warning (standard error) naming the layers left without a valid mapping, with what removed their
    candidates, since the table only shows `-` for them and mapped.m keeps their text."""
    import sys

    unmapped = [m for m in result.layers if m.search.best is None]
    if not unmapped:
        return
    names = ", ".join(f"`{m.name}`" for m in unmapped[:4]) + (", ..." if len(unmapped) > 4 else "")
    removed: dict[str, int] = {}
    for m in unmapped:
        if m.searched_as is None:  # a shared search is counted once
            for rule, count in m.search.removed.items():
                removed[rule] = removed.get(rule, 0) + count
    reasons = ", ".join(f"{rule} {count:,}" for rule, count in removed.items() if count)
    print(f"warning: no valid mapping found for {len(unmapped)} layer(s) ({names}); mapped.m keeps their text; "
          f"candidates removed by rule: {reasons or 'none evaluated'} (summary.json, docs/mapping.md#validity)",
          file=sys.stderr)
