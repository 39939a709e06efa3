"""`maestroc apply-dataflow`: put dataflow templates into a model file."""

from __future__ import annotations

import argparse

from maestroc.commands.common import (EXIT_INPUT, EXIT_OK, add_dataflow_options, add_output_options, dataflow_for,
                                      output_writer)
from maestroc.diagnostics import Diagnostics, print_diagnostics


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "apply-dataflow", help="put a dataflow template into every layer of a model file",
        description="Insert a Dataflow block into every layer that has none, choosing the template by layer name, "
                    "glob or type. Comments, layout and layer names of the model file are kept; the templates' "
                    "Constant lines are copied in.")
    p.add_argument("model", metavar="MODEL.m", help="model file (layers without dataflows)")
    add_dataflow_options(p)
    add_output_options(p, inputs=("model", "dataflow", "dataflow_for"), metavar="NET.m",
                       help="write the mapping file here (default: stdout; an existing NET.m only with --force)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from maestroc.api import load_network
    from maestroc.templates import assign, load_choice, merged_text, merged_tree

    writer = output_writer(args)
    rules = dataflow_for(args.dataflow_for, "apply-dataflow")
    if rules is None:
        return EXIT_INPUT
    diagnostics = Diagnostics()
    model = load_network(args.model, diagnostics)
    choice = load_choice(args.dataflow, list(rules.items()), diagnostics)
    assignment = assign(model, choice, diagnostics) if model and choice else None
    # Checked as a tree first, so that a template that does not suit a layer is shown in the template file.
    text = merged_text(model, assignment, diagnostics) if model and assignment is not None and \
        merged_tree(model, assignment, diagnostics) else None
    print_diagnostics(diagnostics)
    if text is None:
        return EXIT_INPUT
    writer.write(args.output, text)
    return EXIT_OK
