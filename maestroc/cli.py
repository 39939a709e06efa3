"""The ``maestroc`` command line: a thin layer over the Python API.

Each sub-command lives in its own module under ``maestroc/commands/``.
argparse (standard library) rather than click/typer: sub-commands, per-command
``--help`` and repeatable options are all it needs, and it adds no dependency.
Exit status: 0 success, 1 findings at error level (lint), 2 input errors,
3 an internal error (a bug in maestroc: please report it).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Iterator
from typing import Sequence

from maestroc import __version__
from maestroc.commands import command_modules
from maestroc.commands.common import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK
from maestroc.diagnostics import InputError, print_diagnostics
from maestroc.parser import NO_CACHE_VARIABLE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="maestroc",
        description="A compiler-style toolchain for MAESTRO's data-centric dataflow language: parse, "
                    "check, lint and analyse DNN dataflows on a hardware description.",
        epilog="Run `maestroc COMMAND --help` for the options of a command.")
    parser.add_argument("--version", action="version", version=f"maestroc {__version__}")
    parser.add_argument("--no-cache", action="store_true",
                        help=f"neither read nor write maestroc's cache (also: set {NO_CACHE_VARIABLE}=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in command_modules():
        module.add_parser(sub)
    return parser


YOUNG_COLLECTIONS_EVERY = 50_000  # allocations between two collections of young objects during a command


@contextlib.contextmanager
def young_collections_every(allocations: int) -> Iterator[None]:
    """Python's cycle collector less often while a command runs (restored after, for callers of main).

    A run builds tens of thousands of small objects (AST, IR) that all live to its end; collecting young
    objects every 700 allocations (the default) spends several per cent of a compile walking them.
    Memory stays bounded: garbage cycles are still collected, after at most ``allocations`` allocations.
    """
    previous = gc.get_threshold()
    gc.set_threshold(allocations, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def main(argv: Sequence[str] | None = None) -> int:
    with young_collections_every(YOUNG_COLLECTIONS_EVERY):
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:  # a bare `maestroc`: show what it can do rather than a usage error
        parser.print_help()
        return EXIT_INPUT
    args = parser.parse_args(argv)
    if args.no_cache:
        os.environ[NO_CACHE_VARIABLE] = "1"  # the environment carries it to worker processes too
    try:
        return args.run(args)
    except BrokenPipeError:
        return EXIT_OK
    except InputError as error:  # a value checked where it is made (e.g. a HardwareSpec) raised its diagnostics
        print_diagnostics(error.diagnostics)
        return EXIT_INPUT
    except OSError as exc:  # an output file or folder that cannot be written
        print(f"maestroc: cannot write {exc.filename or 'the output'}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("maestroc: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in maestroc, never the user's fault
        print(f"maestroc: internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in maestroc; please report it with the input that caused it.", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
