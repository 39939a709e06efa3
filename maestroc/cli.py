"""The ``maestroc`` command line.

argparse (standard library) rather than click/typer: sub-commands, per-command
``--help`` and repeatable options are all it needs, and it adds no dependency.
Exit status: 0 success, 1 findings at error level (lint), 2 input errors,
3 an internal error (a bug in maestroc: please report it).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable, Sequence

from maestroc import __version__, ast
from maestroc.diagnostics import Diagnostics, print_diagnostics
from maestroc.frontend import load_file

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

Command = Callable[[argparse.Namespace], int]


def _add_parse(sub: argparse._SubParsersAction) -> None:
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
    p.set_defaults(run=cmd_parse)


def cmd_parse(args: argparse.Namespace) -> int:
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
        payload = [ast.to_json(t) for t in trees]
        document = {"files": payload, "diagnostics": [d.to_json() for d in diagnostics]}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    print_diagnostics(diagnostics)
    return EXIT_INPUT if diagnostics.has_errors else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="maestroc",
        description="A compiler-style toolchain for MAESTRO's data-centric dataflow language: parse, "
                    "check, lint and analyse DNN dataflows on a hardware description.",
        epilog="Run `maestroc COMMAND --help` for the options of a command.")
    parser.add_argument("--version", action="version", version=f"maestroc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_parse(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("maestroc: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in maestroc, never the user's fault
        print(f"maestroc: internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in maestroc; please report it with the input that caused it.", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
