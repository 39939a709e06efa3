"""`maestroc compare`: dataflows (or networks) side by side on one hardware design."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from maestroc.commands.common import EXIT_INPUT, EXIT_OK, add_output_options, output_writer, templates_by_type
from maestroc.diagnostics import Diagnostics, print_diagnostics
from maestroc.frontend import load_file, load_hardware
from maestroc.outputs import table_console, table_text


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare", help="compare dataflows (or networks) side by side on one hardware design",
        description="Per layer and in total: runtime and energy of each variant (or the metrics chosen with "
                    "--columns), and the fastest one. Variants are mapping files, or one model file with several "
                    "--dataflow templates. A table wider than the terminal comes in stacked parts.")
    p.add_argument("networks", metavar="NET.m", nargs="+", help="mapping files, or one model file with --dataflow")
    p.add_argument("--hw", metavar="HW.m", required=True, help="hardware file")
    p.add_argument("--dataflow", metavar="TEMPLATE.m", action="append", help="a template to try (repeatable)")
    p.add_argument("--dataflow-for", metavar="TYPE=TEMPLATE.m", action="append",
                   help="a fixed template for one layer type in every variant, e.g. DSCONV=dpt.m")
    p.add_argument("--columns", metavar="LIST", default="runtime,energy", type=_columns,
                   help="comma-separated metrics per variant (default runtime,energy); from: "
                        + ", ".join(_metric_names()))
    p.add_argument("--emit", choices=("table", "csv"), default="table")
    add_output_options(p, inputs=("networks", "hw", "dataflow", "dataflow_for"), metavar="FILE",
                       help="write the table (or CSV) to FILE instead of stdout (an existing FILE only with --force)")
    p.set_defaults(run=run)


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


def _compile_all(variants: list[tuple[str, str]], hardware: object) -> list | None:
    """Compile every variant, with a progress bar on stderr when it is a terminal; None on an input error."""
    from maestroc.api import compile as compile_source
    from maestroc.diagnostics import InputError

    console = Console(file=sys.stderr)
    results = []
    with Progress(TextColumn("compiling {task.fields[variant]}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("compare", total=len(variants), variant="")
        for name, source in variants:
            progress.update(task, variant=name)
            try:
                results.append((name, compile_source(source, hardware)))
            except InputError as error:
                progress.stop()
                print(f"maestroc compare: variant {name} cannot be analysed:", file=sys.stderr)
                print_diagnostics(error.diagnostics)
                return None
            progress.advance(task)
    return results


def run(args: argparse.Namespace) -> int:
    from maestroc.report import render_comparison
    from maestroc.templates import TemplateError, apply_templates, load_template

    writer = output_writer(args)
    diagnostics = Diagnostics()
    hardware = load_hardware(args.hw, diagnostics)
    variants: list[tuple[str, str]] = []  # (name, path or mapping text)
    if args.dataflow:
        if len(args.networks) != 1:
            print("maestroc compare: with --dataflow give exactly one model file", file=sys.stderr)
            return EXIT_INPUT
        model = load_file(args.networks[0], diagnostics, "mapping")
        type_paths = templates_by_type(args.dataflow_for, "compare")
        if type_paths is None:
            return EXIT_INPUT
        by_type = {kind: load_file(path, diagnostics, "mapping") for kind, path in type_paths.items()}
        templates = [(Path(p).stem, load_file(p, diagnostics, "mapping")) for p in args.dataflow]
        if model is None or diagnostics.has_errors or hardware is None:
            print_diagnostics(diagnostics)
            return EXIT_INPUT
        try:
            fixed = {k: load_template(t) for k, t in by_type.items()}  # type: ignore[arg-type]
            for name, tree in templates:
                variants.append((name, apply_templates(model, load_template(tree), fixed)))  # type: ignore[arg-type]
        except TemplateError as error:
            print(f"maestroc compare: {error}", file=sys.stderr)
            return EXIT_INPUT
    else:
        if len(args.networks) < 2:
            print("maestroc compare: give two or more mapping files, or one model with --dataflow", file=sys.stderr)
            return EXIT_INPUT
        variants = [(Path(p).stem, p) for p in args.networks]
    if hardware is None:
        print_diagnostics(diagnostics)
        return EXIT_INPUT
    results = _compile_all(variants, hardware)
    if results is None:
        return EXIT_INPUT
    table, csv_text = render_comparison(results, args.columns)
    if args.emit == "csv":
        writer.write(args.output, csv_text)
    elif args.output:
        writer.write(args.output, table_text(table))
    else:
        table_console().print(table)
    return EXIT_OK
