"""`maestroc parse`: read and check input files, print their syntax tree."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from maestroc.commands.common import EXIT_INPUT, EXIT_OK
from maestroc.diagnostics import Diagnostics, print_diagnostics

if TYPE_CHECKING:
    from maestroc import ast


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "parse", help="parse and check files, print their syntax tree",
        description="Parse MAESTRO input files (mapping, model, dataflow template or hardware), check "
                    "names, types and values, and print the syntax tree. The kind of each file is "
                    "detected from its content unless --kind is given. Exit status 2 if any file has "
                    "an error.")
    p.add_argument("files", nargs="+", metavar="FILE", help="input files (.m)")
    p.add_argument("--emit", choices=("ast", "json", "none"), default="ast",
                   help="what to print: a readable tree (default), JSON, or nothing (check only)")
    p.add_argument("--kind", choices=("mapping", "hw"), default=None,
                   help="read every FILE as this kind instead of detecting it")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from maestroc import ast
    from maestroc.frontend import load_file

    diagnostics = Diagnostics()
    trees: list[ast.SourceFile] = []
    for path in args.files:
        tree = load_file(path, diagnostics, args.kind)
        if tree is not None:
            trees.append(tree)
    if args.emit == "ast":
        for tree in trees:
            sys.stdout.write(ast.format_tree(tree))
    elif args.emit == "json":
        import json

        payload = [ast.to_json(t) for t in trees]
        document = {"files": payload, "diagnostics": [d.to_json() for d in diagnostics]}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    print_diagnostics(diagnostics)
    return EXIT_INPUT if diagnostics.has_errors else EXIT_OK
