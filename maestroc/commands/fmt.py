"""`maestroc fmt`: put mapping, model, template and hardware files in the canonical layout (maestroc/fmt.py).

Like ruff format or black, ``fmt FILE`` rewrites the files it is given, and only
those whose layout changes; ``--check`` and ``--diff`` never write. A file is
replaced atomically (a temporary ``NAME.maestroc-PID.tmp`` in the same folder,
given the file's permissions, renamed over it; one left by a killed maestroc is
removed on the next write there, as for every output), and only when it is a regular file: a FIFO, a
device or ``/dev/stdout`` is refused rather than read or written. A symbolic link
is followed, so the file it points to is rewritten and the link stays a link.
"""

from __future__ import annotations

import argparse
import difflib
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from maestroc.commands.common import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK
from maestroc.diagnostics import Diagnostics, InputError, print_diagnostics

if TYPE_CHECKING:
    from maestroc.parser import Source


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fmt", help="format .m files in one canonical layout (comments kept)",
        description="Format mapping, model, dataflow-template and hardware files in place, in one canonical "
                    "layout; comments are kept and the meaning never changes. `-` reads standard input and "
                    "writes the result to standard output. Exit status 0 when done (or nothing would "
                    "change), 1 with --check or --diff when a file would change, 2 when a file cannot be "
                    "read or has a syntax error (it is then left as it is).")
    p.add_argument("files", nargs="+", metavar="FILE", help="files to format, or - for standard input")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")
    p.add_argument("--diff", action="store_true", help="write nothing; print a unified diff of the changes")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from maestroc.fmt import format_text

    diagnostics = Diagnostics()
    would_change = False
    for path in args.files:
        source = _read(path, diagnostics)
        if source is None:
            continue
        try:
            formatted = format_text(source.text, source.path)
        except InputError as error:
            diagnostics.items.extend(error.diagnostics)
            continue
        if path == "-" and not (args.check or args.diff):
            sys.stdout.write(formatted)
        elif formatted != source.text:
            would_change = True
            if args.diff:
                sys.stdout.writelines(difflib.unified_diff(
                    source.text.splitlines(keepends=True), formatted.splitlines(keepends=True),
                    f"{path}\t(original)", f"{path}\t(formatted)"))
            elif args.check:
                print(f"would reformat {path}", file=sys.stderr)
            elif replace_file(path, formatted, source.text):
                print(f"reformatted {path}", file=sys.stderr)
            else:
                diagnostics.error("E001", f"{path}: changed while it was being formatted; left as it is")
    print_diagnostics(diagnostics)
    if diagnostics.has_errors:
        return EXIT_INPUT
    return EXIT_FINDINGS if would_change and (args.check or args.diff) else EXIT_OK


def _read(path: str, diagnostics: Diagnostics) -> Source | None:
    """The file's text, or None (with an E001 diagnostic) for anything that is not a regular file."""
    from maestroc.parser import read_source, source_from_text

    if path == "-":
        return source_from_text(sys.stdin.read(), "<stdin>")
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None  # read_source says what is wrong
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        diagnostics.error("E001", f"{path}: not a regular file (fmt reads and rewrites regular files only)")
        return None
    return read_source(path, diagnostics)


def replace_file(path: str, text: str, expected: str) -> bool:
    """Replace the regular file at ``path`` (through symbolic links) with ``text`` atomically, keeping its mode and owner;
    False, writing nothing, if it no longer holds ``expected`` (an editor saved it meanwhile)."""
    from maestroc.outputs import replace_atomically

    target = Path(os.path.realpath(path))
    status = target.stat()
    if not stat.S_ISREG(status.st_mode):
        raise OSError(0, "not a regular file", path)
    if target.read_bytes().decode("utf-8-sig", errors="replace") != expected:
        return False
    replace_atomically(target, text.encode("utf-8"), status)
    return True
