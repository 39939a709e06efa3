"""`maestroc lsp`: the language server for editors, over stdio (extra `lsp`; docs/editors.md)."""

from __future__ import annotations

import argparse

from maestroc import install_hint
from maestroc.commands.common import EXIT_INPUT, EXIT_OK
from maestroc.diagnostics import Diagnostics, print_diagnostics


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lsp", help="run the language server (diagnostics, hover, completion, fixes, formatting) over stdio",
        description="Run the Language Server Protocol server on standard input and output, for editors "
                    "(docs/editors.md). It shows the diagnostics of `maestroc lint`, hovers with the cost "
                    "model's figures when a hardware file is named (`// maestroc: hw=PATH` in the file, or "
                    "the `hw` initialization option), and formats with `maestroc fmt`. Needs the extra `lsp` "
                    f"({install_hint('lsp')}).")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from maestroc.lsp.server import serve
    except ImportError as error:
        if (error.name or "").split(".")[0] not in ("pygls", "lsprotocol", "cattrs"):
            raise
        diagnostics = Diagnostics()
        diagnostics.error("E005", f"`maestroc lsp` needs the extra `lsp` ({error.name or error} is not installed)",
                          helps=[install_hint('lsp')])
        print_diagnostics(diagnostics)
        return EXIT_INPUT
    serve()
    return EXIT_OK
