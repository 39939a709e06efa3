"""What several commands share: exit codes, loading a network and its hardware, output checks."""

from __future__ import annotations

import argparse
import sys

from maestroc import ast
from maestroc.diagnostics import Diagnostics
from maestroc.frontend import load_file, load_hardware
from maestroc.hardware import HardwareSpec
from maestroc.layertypes import LAYER_TYPES
from maestroc.outputs import OutputWriter

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


FORCE_HELP = "replace existing output files, or write into a non-empty output folder (docs/outputs.md)"


def add_output_options(p: argparse.ArgumentParser, *, inputs: tuple[str, ...], metavar: str, help: str,
                       folder: bool = False) -> None:
    """``-o/--output`` and ``--force``; ``inputs`` names the options holding the command's input files.

    :func:`output_writer` refuses to write over any of those inputs, so no command checks them itself.
    """
    p.add_argument("-o", "--output", metavar=metavar, help=help)
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(input_options=inputs, output_is_folder=folder)


def output_writer(args: argparse.Namespace) -> OutputWriter:
    """The writer of this run, with ``-o`` (and ``--dump-dir``) checked now, before any work.

    Raises OutputError (which the CLI prints as one line, exit status 2) for a path it must not write.
    """
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


def load_inputs(network_path: str, hw_path: str | None,
                 diagnostics: Diagnostics) -> tuple[ast.MappingFile | None, HardwareSpec | None]:
    tree = load_file(network_path, diagnostics)
    hardware = load_hardware(hw_path, diagnostics) if hw_path else None
    if tree is not None and (not isinstance(tree, ast.MappingFile) or not tree.networks):
        hint = " (give hardware files with --hw)" if tree.kind == "hw" else ""
        diagnostics.error("E004", f"{network_path}: no `Network` to analyse: this is a {tree.kind} file{hint}")
        return None, hardware
    return tree, hardware  # type: ignore[return-value]


def templates_by_type(assignments: list[str] | None, command: str) -> dict[str, str] | None:
    """``--dataflow-for TYPE=FILE`` options as {type: path}; None (after a message) if one is malformed."""
    by_type = {}
    for assignment in assignments or []:
        kind, _, path = assignment.partition("=")
        if not path or kind not in LAYER_TYPES:
            print(f"maestroc {command}: --dataflow-for {assignment!r}: expected TYPE=FILE with TYPE one of "
                  f"{', '.join(LAYER_TYPES)}", file=sys.stderr)
            return None
        by_type[kind] = path
    return by_type
