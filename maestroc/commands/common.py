"""What several commands share: exit codes, loading a network and its hardware, output checks."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # every command imports this module: what its functions use is imported when they run
    from maestroc import ast
    from maestroc.diagnostics import Diagnostics
    from maestroc.hardware import HardwareSpec
    from maestroc.outputs import OutputWriter

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT: Ctrl-C stopped a run (its results so far are kept)


FORCE_HELP = {False: "replace the output file if it exists (never an input; docs/outputs.md)",
              True: "write into a non-empty output folder, replacing maestroc's files of the same names "
                    "(docs/outputs.md)"}


def add_output_options(p: argparse.ArgumentParser, *, inputs: tuple[str, ...], metavar: str, help: str,
                       folder: bool = False) -> None:
    """``-o/--output`` and ``--force``; ``inputs`` names the options holding the command's input files.

    :func:`output_writer` refuses to write over any of those inputs, so no command checks them itself.
    """
    p.add_argument("-o", "--output", metavar=metavar, help=help)
    p.add_argument("--force", action="store_true", help=FORCE_HELP[folder])
    p.set_defaults(input_options=inputs, output_is_folder=folder)


def output_writer(args: argparse.Namespace) -> OutputWriter:
    """The writer of this run, with ``-o`` (and ``--dump-dir``) checked now, before any work.

    Raises OutputError (which the CLI prints as one line, exit status 2) for a path it must not write.
    """
    from maestroc.outputs import OutputWriter

    inputs: list[str] = []
    for option in args.input_options:
        values = getattr(args, option) or []
        for value in [values] if isinstance(values, str) else values:
            inputs.append(value)
            if "=" in value:  # TYPE=FILE options such as --dataflow-for
                inputs.append(value.partition("=")[2])
    writer = OutputWriter(tuple(inputs), force=args.force)
    if args.output is not None and args.output_is_folder:
        writer.check_folder(args.output, "-o")
    elif args.output is not None and args.output != "-":
        writer.check_file(args.output, "-o")
    if getattr(args, "dump_dir", None) is not None:
        writer.check_folder(args.dump_dir, "--dump-dir")
    return writer


def add_dataflow_options(parser: argparse.ArgumentParser) -> None:
    """``--dataflow`` and ``--dataflow-for``: the templates that complete a model file."""
    parser.add_argument("--dataflow", metavar="TEMPLATE.m",
                        help="a model file's layers without a Dataflow get this template")
    parser.add_argument("--dataflow-for", metavar="PATTERN=TEMPLATE.m", action="append",
                        help="the template for the layers PATTERN names: a layer name, a glob of layer names "
                             "(`conv*`) or a layer type (`DSCONV`); a name beats a glob, a glob a type (repeatable)")


def dataflow_for(assignments: list[str] | None, command: str) -> dict[str, str] | None:
    """``--dataflow-for PATTERN=FILE`` options as {pattern: path}; None (after a message) if one is malformed."""
    rules: dict[str, str] = {}
    for assignment in assignments or []:
        pattern, _, path = assignment.partition("=")
        if not pattern or not path:
            from maestroc.layertypes import LAYER_TYPES

            print(f"maestroc {command}: --dataflow-for {assignment!r}: expected PATTERN=FILE, with PATTERN a layer "
                  f"name, a glob of layer names or a layer type ({', '.join(LAYER_TYPES)})", file=sys.stderr)
            return None
        rules[pattern] = path
    return rules


def load_inputs(network_path: str, hw_path: str | None, diagnostics: Diagnostics, dataflow: str | None = None,
                dataflow_rules: dict[str, str] | None = None) -> tuple[ast.MappingFile | None, HardwareSpec | None]:
    """The checked network (a model completed by templates, if given) and hardware, as the Python API loads them."""
    from maestroc.api import load_network
    from maestroc.frontend import load_hardware

    tree = load_network(network_path, diagnostics, dataflow, dataflow_rules)
    hardware = load_hardware(hw_path, diagnostics) if hw_path else None
    return tree, hardware

