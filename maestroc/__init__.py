"""maestroc: a compiler-style toolchain for MAESTRO's data-centric dataflow language."""

from pathlib import Path

__version__ = "0.1.0"

# In a source checkout, `passes/` and `grammar/` sit beside this folder (the project's layout); installed,
# they are the sub-packages maestroc.passes and maestroc.grammar. When this package was imported from a
# checkout (e.g. `python` started in the repo root), let those two names resolve to the folders beside it.
_CHECKOUT = Path(__file__).resolve().parent.parent
if not (Path(__file__).parent / "passes").is_dir() and (_CHECKOUT / "passes" / "__init__.py").is_file():
    __path__.append(str(_CHECKOUT))  # noqa: F821 - the package's own __path__


def install_hint(extra: str) -> str:
    """How to install an optional extra: from a clone (the README's way) or from a package index."""
    return f"pip install '.[{extra}]' (in a clone of maestroc) or pip install 'maestroc[{extra}]'"


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """``maestroc.compile``, ``maestroc.dse``, ``maestroc.map`` and ``maestroc.InputError`` for notebooks,
    imported on first use."""
    if name in ("compile", "dse", "map", "hardware_spec"):
        from maestroc import api

        return getattr(api, name)
    if name in ("InputError", "HardwareSpec"):
        from maestroc import diagnostics, hardware

        return getattr(diagnostics if name == "InputError" else hardware, name)
    raise AttributeError(f"module 'maestroc' has no attribute {name!r}")
