"""maestroc: a compiler-style toolchain for MAESTRO's data-centric dataflow language."""

__version__ = "0.1.0"
