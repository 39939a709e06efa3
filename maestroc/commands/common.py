"""What several commands share: exit codes, loading a network and its hardware, output checks."""

from __future__ import annotations

import sys
from pathlib import Path

from maestroc import ast
from maestroc.diagnostics import Diagnostics
from maestroc.frontend import load_file, load_hardware
from maestroc.hardware import HardwareSpec
from maestroc.layertypes import LAYER_TYPES
from maestroc.outputs import prepare_output_dir

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def output_dir_ready(path: str, option: str) -> bool:
    problem = prepare_output_dir(path, option)
    if problem:
        print(f"maestroc: {problem}", file=sys.stderr)
    return problem is None


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


def may_write(path: str | None, force: bool, command: str) -> bool:
    """False (after a message) when ``path`` exists and --force was not given."""
    if path and Path(path).exists() and not force:
        print(f"maestroc {command}: {path} exists; use --force to replace it", file=sys.stderr)
        return False
    return True
