"""`maestroc apply-dataflow`: put dataflow templates into a model file."""

from __future__ import annotations

import argparse
import sys

from maestroc.commands.common import EXIT_INPUT, EXIT_OK, add_output_options, output_writer, templates_by_type
from maestroc.diagnostics import Diagnostics, print_diagnostics
from maestroc.frontend import load_file, load_source


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "apply-dataflow", help="put a dataflow template into every layer of a model file",
        description="Insert a Dataflow block into every layer that has none, choosing the template by layer type. "
                    "Comments, layout and layer names of the model file are kept.")
    p.add_argument("model", metavar="MODEL.m", help="model file (layers without dataflows)")
    p.add_argument("--dataflow", metavar="TEMPLATE.m", help="the template for every layer type not given below")
    p.add_argument("--dataflow-for", metavar="TYPE=TEMPLATE.m", action="append",
                   help="the template for one layer type, e.g. DSCONV=samples/dataflows/dpt.m (repeatable)")
    add_output_options(p, inputs=("model", "dataflow", "dataflow_for"), metavar="NET.m",
                       help="write the mapping file here (default: stdout; an existing NET.m only with --force)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from maestroc.parser import source_from_text
    from maestroc.templates import TemplateError, apply_templates, load_template

    writer = output_writer(args)
    diagnostics = Diagnostics()
    model = load_file(args.model, diagnostics, "mapping")
    by_type = templates_by_type(args.dataflow_for, "apply-dataflow")
    if by_type is None:
        return EXIT_INPUT
    paths = ({"": args.dataflow} if args.dataflow else {}) | by_type
    templates = {kind: load_file(path, diagnostics, "mapping") for kind, path in paths.items()}
    if model is None or diagnostics.has_errors or any(t is None for t in templates.values()):
        print_diagnostics(diagnostics)
        return EXIT_INPUT
    try:
        loaded = {kind: load_template(tree) for kind, tree in templates.items()}  # type: ignore[arg-type]
        text = apply_templates(model, loaded.pop("", None), loaded)  # type: ignore[arg-type]
    except TemplateError as error:
        print(f"maestroc apply-dataflow: {error}", file=sys.stderr)
        return EXIT_INPUT
    result = Diagnostics()
    load_source(source_from_text(text, args.output or "<apply-dataflow output>"), result)
    if result.has_errors:  # a template that does not suit a layer (e.g. Sz of a missing dimension)
        print_diagnostics(result)
        return EXIT_INPUT
    writer.write(args.output, text)
    return EXIT_OK
