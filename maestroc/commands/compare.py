"""`maestroc compare`: dataflows (or networks) side by side on one hardware design."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from maestroc.commands.common import EXIT_INPUT, EXIT_OK, templates_by_type
from maestroc.diagnostics import Diagnostics, print_diagnostics
from maestroc.frontend import load_file, load_hardware
from maestroc.outputs import table_console, write_output


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare", help="compare dataflows (or networks) side by side on one hardware design",
        description="Per layer and in total: runtime and energy of each variant, and the fastest one. Variants "
                    "are mapping files, or one model file with several --dataflow templates.")
    p.add_argument("networks", metavar="NET.m", nargs="+", help="mapping files, or one model file with --dataflow")
    p.add_argument("--hw", metavar="HW.m", required=True, help="hardware file")
    p.add_argument("--dataflow", metavar="TEMPLATE.m", action="append", help="a template to try (repeatable)")
    p.add_argument("--dataflow-for", metavar="TYPE=TEMPLATE.m", action="append",
                   help="a fixed template for one layer type in every variant, e.g. DSCONV=dpt.m")
    p.add_argument("--emit", choices=("table", "csv"), default="table")
    p.add_argument("-o", "--output", metavar="FILE", help="with --emit csv: write to FILE")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from maestroc.api import compile as compile_source
    from maestroc.diagnostics import InputError
    from maestroc.report import render_comparison
    from maestroc.templates import TemplateError, apply_templates, load_template

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
    results = []
    for name, source in variants:
        try:
            results.append((name, compile_source(source, hardware)))
            print_diagnostics(results[-1][1].diagnostics)  # warnings, e.g. C405 (MACs not the layer's)
        except InputError as error:
            print(f"maestroc compare: variant {name} cannot be analysed:", file=sys.stderr)
            print_diagnostics(error.diagnostics)
            return EXIT_INPUT
    table, csv_text = render_comparison(results)
    if args.emit == "csv":
        write_output(args.output, csv_text)
    else:
        table_console().print(table)
    return EXIT_OK
