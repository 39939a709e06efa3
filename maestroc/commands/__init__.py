"""The sub-commands of ``maestroc``, one module each, registered in one place.

Every module has ``add_parser(sub)``, which declares its options and sets
``run``, the function that carries the command out over the Python API.
"""

from __future__ import annotations

from importlib import import_module

# In the order ``maestroc --help`` lists them.
COMMAND_MODULES = ("parse", "compile", "lint", "passes", "dse", "map", "apply_dataflow", "compare", "import_onnx",
                   "fmt", "lsp")


def command_modules():  # type: ignore[no-untyped-def]
    """The command modules, imported (each imports the heavy parts of maestroc only when it runs)."""
    return [import_module(f"maestroc.commands.{name}") for name in COMMAND_MODULES]
