"""What several commands share: exit codes, loading a network and its hardware, output checks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from maestroc import ast
from maestroc.diagnostics import Diagnostics
from maestroc.frontend import load_hardware
from maestroc.hardware import HardwareSpec
from maestroc.layertypes import LAYER_TYPES
from maestroc.outputs import prepare_output_dir

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def output_dir_ready(path: str, option: str) -> bool:
    problem = prepare_output_dir(path, option)
    if problem:
        print(f"maestroc: {problem}", file=sys.stderr)
    return problem is None


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
            print(f"maestroc {command}: --dataflow-for {assignment!r}: expected PATTERN=FILE, with PATTERN a layer "
                  f"name, a glob of layer names or a layer type ({', '.join(LAYER_TYPES)})", file=sys.stderr)
            return None
        rules[pattern] = path
    return rules


def load_inputs(network_path: str, hw_path: str | None, diagnostics: Diagnostics, dataflow: str | None = None,
                dataflow_rules: dict[str, str] | None = None) -> tuple[ast.MappingFile | None, HardwareSpec | None]:
    """The checked network (a model completed by templates, if given) and hardware, as the Python API loads them."""
    from maestroc.api import load_network

    tree = load_network(network_path, diagnostics, dataflow, dataflow_rules)
    hardware = load_hardware(hw_path, diagnostics) if hw_path else None
    return tree, hardware


def may_write(path: str | None, force: bool, command: str) -> bool:
    """False (after a message) when ``path`` exists and --force was not given."""
    if path and Path(path).exists() and not force:
        print(f"maestroc {command}: {path} exists; use --force to replace it", file=sys.stderr)
        return False
    return True
