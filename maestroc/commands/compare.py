"""`maestroc compare`: dataflows (or networks) side by side on one hardware design."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from maestroc.commands.common import EXIT_INPUT, EXIT_OK, add_output_options, dataflow_for, output_writer
from maestroc.diagnostics import Diagnostics, InputError, print_diagnostics

if TYPE_CHECKING:
    from maestroc import ast
    from maestroc.api import CompileResult
    from maestroc.diagnostics import Span


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare", help="compare dataflows (or networks) side by side on one hardware design",
        description="Per layer and in total: runtime and energy of each variant (or the metrics chosen with "
                    "--columns), and the fastest one. Variants "
                    "are mapping files, or one model file with several --dataflow templates. Layers are matched by "
                    "name (and position among layers of one name); every layer of every variant is shown. A table wider than the terminal comes in stacked "
                    "parts.")
    p.add_argument("networks", metavar="NET.m", nargs="+", help="mapping files, or one model file with --dataflow")
    p.add_argument("--hw", metavar="HW.m", required=True, help="hardware file")
    p.add_argument("--dataflow", metavar="TEMPLATE.m", action="append", help="a template to try (repeatable)")
    p.add_argument("--dataflow-for", metavar="PATTERN=TEMPLATE.m", action="append",
                   help="a fixed template in every variant for the layers PATTERN names: a layer name, a glob of "
                        "layer names or a layer type, e.g. DSCONV=dpt.m (repeatable)")
    p.add_argument("--emit", choices=("table", "csv", "best"), default="table",
                   help="the table, the table as CSV, or (with --dataflow) the model file with each layer's "
                        "fastest template written in")
    columns = p.add_argument("--columns", metavar="LIST", default="runtime,energy", type=_columns,
                             help="comma-separated metrics per variant (default runtime,energy); from: "
                                  "%(metric_names)s")
    columns.metric_names = _MetricNames()  # type: ignore[attr-defined]
    add_output_options(p, inputs=("networks", "hw", "dataflow", "dataflow_for"), metavar="FILE",
                       help="write the table (CSV, or the best model file) to FILE instead of stdout (an existing "
                            "FILE only with --force)")
    p.set_defaults(run=run)


class _MetricNames:
    """The list of metrics in --columns' help, made only when the help is printed (it needs the report module)."""

    def __str__(self) -> str:
        return ", ".join(_metric_names())


def _metric_names() -> list[str]:
    from maestroc.report import COMPARE_METRICS

    return list(COMPARE_METRICS)


def _columns(text: str) -> tuple[str, ...]:
    """--columns: known metric names, each once."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in _metric_names()]
    if unknown or not names or len(set(names)) != len(names):
        problem = f"unknown metric {unknown[0]!r}" if unknown else "give each metric once"
        raise argparse.ArgumentTypeError(f"{problem}; choose from {', '.join(_metric_names())}")
    return names


def _analyse_all(variants: list, hardware: object) -> list | None:
    """Analyse every variant, with a progress bar on stderr when it is a terminal; None on an input error."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from maestroc.api import analyse

    console = Console(file=sys.stderr)
    results = []
    with Progress(TextColumn("analysing {task.fields[variant]}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("compare", total=len(variants), variant="")
        for name, tree, _ in variants:
            progress.update(task, variant=name)
            try:
                results.append((name, analyse(tree, hardware)))
            except InputError as error:
                progress.stop()
                print(f"maestroc compare: variant {name} cannot be analysed:", file=sys.stderr)
                print_diagnostics(error.diagnostics)
                return None
            progress.advance(task)
    for name, result in results:
        print_diagnostics(_of_variant(name, result.diagnostics))  # warnings, e.g. C405, C401-C404
    return results


# compare has no `!` marks and no --strict: the hardware-limit warnings point at compile instead.
LIMIT_CODES = ("C401", "C402", "C403", "C404")
LIMIT_HELP = "`maestroc compile` on this variant marks such layers with `!`; --strict there makes this an error"


def _of_variant(name: str, diagnostics: Diagnostics) -> Diagnostics:
    """A variant's warnings, each saying which variant it is about (the same layer warns once per variant)."""
    return Diagnostics([dataclasses.replace(d, notes=d.notes + (f"in variant `{name}`",),
                                            helps=(LIMIT_HELP,) if d.code in LIMIT_CODES else d.helps)
                        for d in diagnostics])


def run(args: argparse.Namespace) -> int:
    from maestroc.api import load_network
    from maestroc.frontend import load_hardware
    from maestroc.outputs import table_console, table_text
    from maestroc.report import render_comparison
    from maestroc.templates import TemplateChoice, assign, load_choice, merged_tree

    writer = output_writer(args)
    rules = dataflow_for(args.dataflow_for, "compare")
    if rules is None:
        return EXIT_INPUT
    if args.dataflow and len(args.networks) != 1:
        print("maestroc compare: with --dataflow give exactly one model file", file=sys.stderr)
        return EXIT_INPUT
    if not args.dataflow and len(args.networks) < 2:
        print("maestroc compare: give two or more mapping files, or one model with --dataflow", file=sys.stderr)
        return EXIT_INPUT
    if args.emit == "best" and not args.dataflow:
        print("maestroc compare: --emit best needs one model file and --dataflow templates to choose from",
              file=sys.stderr)
        return EXIT_INPUT
    diagnostics = Diagnostics()
    hardware = load_hardware(args.hw, diagnostics)
    variants = []  # (name, checked tree, the templates' assignment or None)
    if args.dataflow:
        model = load_network(args.networks[0], diagnostics)
        fixed = load_choice(None, list(rules.items()), diagnostics)
        for path in args.dataflow:
            template = load_choice(path, [], diagnostics)
            if model is None or fixed is None or template is None:
                continue
            assignment = assign(model, TemplateChoice(template.default, fixed.rules), diagnostics)
            tree = merged_tree(model, assignment, diagnostics) if assignment is not None else None
            variants.append((Path(path).stem, tree, assignment))
    else:
        for path in args.networks:
            variants.append((Path(path).stem, load_network(path, diagnostics, None, rules), None))
    if hardware is None or diagnostics.has_errors:
        print_diagnostics(diagnostics)
        return EXIT_INPUT
    results = _analyse_all(variants, hardware)
    if results is None:
        return EXIT_INPUT
    if args.emit == "best":
        text = _best(model, variants, results, diagnostics)
        print_diagnostics(diagnostics)
        if text is None:
            return EXIT_INPUT
        writer.write(args.output, text)
        return EXIT_OK
    table, csv_text = render_comparison(results, args.columns)
    if args.emit == "csv":
        writer.write(args.output, csv_text)
    elif args.output:
        writer.write(args.output, table_text(table))
    else:
        table_console().print(table)
    return EXIT_OK


def _best(model: ast.MappingFile, variants: list, results: list, diagnostics: Diagnostics) -> str | None:
    """The model's text with each templated layer given the template of its fastest variant (the first on ties)."""
    from maestroc.templates import merged_text

    runtimes = [_runtime_by_layer(result) for _, result in results]
    best = []
    for position, (layer, _) in enumerate(variants[0][2]):
        times = [by_span[layer.name_span] for by_span in runtimes]
        best.append((layer, variants[times.index(min(times))][2][position][1]))
    return merged_text(model, best, diagnostics)


def _runtime_by_layer(result: CompileResult) -> dict[Span, int]:
    """Each analysed layer's runtime, keyed by the span of its name in the model (names may repeat)."""
    analysed = [ir for ir in result.network.layers if ir.name not in result.network.illegal and ir.levels]
    return {ir.span: m.runtime for ir, m in zip(analysed, result.layers)}
