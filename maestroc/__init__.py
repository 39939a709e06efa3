"""maestroc: a compiler-style toolchain for MAESTRO's data-centric dataflow language."""

__version__ = "0.1.0"


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """``maestroc.compile`` and ``maestroc.dse`` for notebooks, imported on first use."""
    if name in ("compile", "dse", "hardware_spec"):
        from maestroc import api

        return getattr(api, name)
    raise AttributeError(f"module 'maestroc' has no attribute {name!r}")
