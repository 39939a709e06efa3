"""Hardware files: the known keys, their defaults and ranges, and the validated spec.

MAESTRO's keys (ALGORITHM.md 1.2) keep MAESTRO's meaning and defaults: a missing
size or bandwidth means "unlimited" (INT_MAX), ``NoC_NumHops`` is the NoC latency
in cycles. maestroc adds the SIMD lane count, a word size (to turn element counts
into bytes) and the energy table of ALGORITHM.md 3.7.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from maestroc import ast
from maestroc.diagnostics import Diagnostics

INT_MAX = 2**31 - 1
MAX_HW_INT = 2**62  # the largest whole-number hardware value (hardware files and DSE axes alike)


def too_large_message(name: str, value: int) -> str:
    """The one message for a hardware value above :data:`MAX_HW_INT`."""
    return f"`{name}` is too large ({value}); the largest allowed value is 2**62 = {MAX_HW_INT:,}"


@dataclass(frozen=True)
class HwKey:
    name: str
    field: str
    kind: type
    default: int | float
    minimum: int | float
    description: str
    strict_minimum: bool = False  # value must be > minimum (floats)


HW_KEYS: dict[str, HwKey] = {
    k.name: k
    for k in (
        HwKey("num_pes", "num_pes", int, 1, 1, "number of processing elements"),
        HwKey("l1_size_cstr", "l1_size", int, INT_MAX, 1, "L1 (per-PE) buffer size, elements"),
        HwKey("l2_size_cstr", "l2_size", int, INT_MAX, 1, "L2 (shared) buffer size, elements"),
        HwKey("noc_bw_cstr", "noc_bw", int, INT_MAX, 1, "NoC bandwidth, elements per cycle"),
        HwKey("NoC_NumHops", "noc_latency", int, 1, 0, "NoC latency in cycles (MAESTRO's name)"),
        HwKey("offchip_bw_cstr", "offchip_bw", int, INT_MAX, 1, "off-chip bandwidth, elements per cycle"),
        HwKey("num_simd_lanes", "num_simd_lanes", int, 1, 1, "MACs per PE per cycle (vector width)"),
        HwKey("word_bytes", "word_bytes", int, 1, 1, "bytes per element, for byte figures"),
        HwKey("mac_energy", "mac_energy", float, 0.00023, 0.0, "energy of one MAC, nJ", True),
        HwKey("l1_energy_multiplier", "l1_energy_multiplier", float, 1.68, 0.0,
              "energy of one L1 access, in MACs"),
        HwKey("l2_energy_multiplier", "l2_energy_multiplier", float, 18.61, 0.0,
              "energy of one L2 access, in MACs"),
    )
}


@dataclass(frozen=True)
class HardwareSpec:
    """A validated hardware description; every field has MAESTRO's default."""

    num_pes: int = 1
    l1_size: int = INT_MAX
    l2_size: int = INT_MAX
    noc_bw: int = INT_MAX
    noc_latency: int = 1
    offchip_bw: int = INT_MAX
    num_simd_lanes: int = 1
    word_bytes: int = 1
    mac_energy: float = 0.00023
    l1_energy_multiplier: float = 1.68
    l2_energy_multiplier: float = 18.61


def build_hardware(tree: ast.HardwareFile, diagnostics: Diagnostics) -> HardwareSpec | None:
    """Validate a parsed hardware file; None (with diagnostics) if any entry is wrong."""
    values: dict[str, int | float] = {}
    first: dict[str, ast.HwEntry] = {}
    ok = True
    for entry in tree.entries:
        key = HW_KEYS.get(entry.key)
        if key is None:
            close = difflib.get_close_matches(entry.key, list(HW_KEYS), n=1)
            diagnostics.error("E301", f"unknown hardware key `{entry.key}`", entry.key_span,
                              notes=["known keys: " + ", ".join(HW_KEYS)],
                              helps=[f"did you mean `{close[0]}`?"] if close else [])
            ok = False
            continue
        if entry.key in first:
            diagnostics.error("E302", f"hardware key `{entry.key}` is given twice", entry.key_span,
                              related=[(first[entry.key].key_span, "first given here")])
            ok = False
            continue
        first[entry.key] = entry
        value = entry.value.value
        if key.kind is int and isinstance(value, float):
            diagnostics.error("E303", f"`{entry.key}` must be a whole number, not `{value}`", entry.value.span)
            ok = False
            continue
        too_small = value <= key.minimum if key.strict_minimum else value < key.minimum
        if too_small:
            bound = f"greater than {key.minimum}" if key.strict_minimum else f"at least {key.minimum}"
            diagnostics.error("E303", f"`{entry.key}` must be {bound}, not {value}", entry.value.span,
                              notes=[f"{entry.key}: {key.description}"],
                              helps=["MAESTRO divides by this value and crashes on 0"]
                              if key.minimum == 1 else [])
            ok = False
            continue
        if key.kind is int and value > MAX_HW_INT:
            diagnostics.error("E303", too_large_message(entry.key, value), entry.value.span)
            ok = False
            continue
        values[key.field] = key.kind(value)
    return HardwareSpec(**values) if ok else None  # type: ignore[arg-type]
