"""Hardware files: the known keys, their defaults and ranges, and the validated spec.

MAESTRO's keys (the README's hardware table) keep MAESTRO's meaning and defaults: a missing
size or bandwidth means "unlimited" (INT_MAX), ``NoC_NumHops`` is the NoC latency
in cycles. maestroc adds the SIMD lane count, a word size (to turn element counts
into bytes), the energy table of docs/costmodel.md M21 and the NoC topology whose
timing rules the runtime follows (``maestro``, the default, or ``systolic``: docs/systolic.md).
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass

from maestroc import ast
from maestroc.diagnostics import SOURCES, Diagnostics, InputError, Span

INT_MAX = 2**31 - 1
# The largest count or size a value may have: hardware files, DSE axes, layer sizes and Constants alike
# (exact int64 arithmetic downstream).
MAX_HW_INT = 2**62


def too_large(value: int) -> str:
    """The one phrase (completing "`key` ...") for a value above :data:`MAX_HW_INT`."""
    return f"is too large ({value}); the largest allowed value is 2**62 = {MAX_HW_INT:,}"


def too_large_message(name: str, value: int) -> str:
    return f"`{name}` {too_large(value)}"


@dataclass(frozen=True)
class HwKey:
    name: str
    field: str
    kind: type
    default: int | float
    minimum: int | float
    description: str
    strict_minimum: bool = False  # value must be > minimum (floats)
    choices: tuple[str, ...] = ()  # the named values of a word key (kind str)


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
        HwKey("noc_energy", "noc_energy", float, 0.0, 0.0,
              "energy of moving one element over the NoC (L2 to PEs, or PEs to L2), nJ"),
        HwKey("offchip_energy", "offchip_energy", float, 0.0, 0.0,
              "energy of moving one element between off-chip memory (DRAM) and L2, nJ"),
        HwKey("noc_topology", "noc_topology", str, "maestro", 0,
              "timing rules of the NoC: maestro (MAESTRO's model) or systolic (docs/systolic.md)",
              choices=("maestro", "systolic")),
    )
}


def value_problem(key: HwKey, value: object) -> str | None:
    """Why ``value`` cannot be the value of ``key`` (a phrase completing "`key` ..."), or None if it can.

    The one check behind hardware files, dicts given to the Python API and the HardwareSpec constructor.
    """
    if key.kind is str:
        if isinstance(value, str) and value in key.choices:
            return None
        return f"must be one of {', '.join(key.choices)}, not {value!r}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"must be a number, not {value!r}"
    if not isinstance(value, numbers.Integral) and not math.isfinite(value):
        return f"must be a finite number, not {value}"
    if key.kind is int and not isinstance(value, numbers.Integral):
        return f"must be a whole number, not {value}"
    too_small = value <= key.minimum if key.strict_minimum else value < key.minimum
    if too_small:
        bound = f"greater than {key.minimum}" if key.strict_minimum else f"at least {key.minimum}"
        return f"must be {bound}, not {value}"
    if value > MAX_HW_INT:
        return too_large(value)
    return None


class HardwareError(InputError, ValueError):
    """A HardwareSpec built with wrong values (from a dict, the API or code); the diagnostics name the keys."""


@dataclass(frozen=True)
class HardwareSpec:
    """A validated hardware description; every field has MAESTRO's default.

    The constructor checks every field, whatever builds the spec (a file, a dict, the API, the DSE), so a
    spec that exists is valid: counts are ints in range, energies finite and positive.
    """

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
    noc_energy: float = 0.0
    offchip_energy: float = 0.0
    noc_topology: str = "maestro"

    def __post_init__(self) -> None:
        diagnostics = Diagnostics()
        for key in HW_KEYS.values():
            value = getattr(self, key.field)
            problem = value_problem(key, value)
            if problem:
                diagnostics.error("E303", f"`{key.name}` {problem}", notes=[f"{key.name}: {key.description}"])
            else:  # numpy and other numeric types become plain ints and floats
                object.__setattr__(self, key.field, key.kind(value))
        if diagnostics.has_errors:
            raise HardwareError(diagnostics)


def format_hardware(spec: HardwareSpec, comments: list[str] = ()) -> str:  # type: ignore[assignment]
    """A hardware file that reads back as ``spec``: every key, the comments first.

    An omitted buffer or bandwidth (MAESTRO's stand-in for "unlimited") is left out, as in a written file.
    """
    lines = [f"// {comment}" for comment in comments]
    entries = [(key.name, getattr(spec, key.field)) for key in HW_KEYS.values()
               if not (key.default in (INT_MAX, "maestro") and getattr(spec, key.field) == key.default)]
    width = max(len(name) for name, _ in entries) + 1
    lines += [f"{name + ':':<{width}} {value if isinstance(value, str) else repr(value)}" for name, value in entries]
    return "\n".join(lines) + "\n"


def spec_from_dict(values: Mapping[object, object]) -> HardwareSpec:
    """A spec from hardware-file keys (``noc_bw_cstr``) or field names (``noc_bw``); HardwareError if wrong.

    Problems name the keys as the dict spells them.
    """
    fields: dict[str, object] = {}
    diagnostics = Diagnostics()
    by_field = {key.field: key for key in HW_KEYS.values()}
    for name, value in values.items():
        key = (HW_KEYS.get(name) or by_field.get(name)) if isinstance(name, str) else None
        if key is None:
            close = difflib.get_close_matches(str(name), list(HW_KEYS) + list(by_field), n=1)
            diagnostics.error("E301", f"unknown hardware key `{name}`", notes=["known keys: " + ", ".join(HW_KEYS)],
                              helps=[f"did you mean `{close[0]}`?"] if close else [])
        elif key.field in fields:
            diagnostics.error("E302", f"hardware key `{key.name}` is given twice (as `{key.name}` and "
                              f"`{key.field}`)")
        else:
            if problem := value_problem(key, value):
                diagnostics.error("E303", f"`{name}` {problem}", notes=[f"{name}: {key.description}"])
            fields[key.field] = value
    if diagnostics.has_errors:
        raise HardwareError(diagnostics)
    return HardwareSpec(**fields)  # type: ignore[arg-type]


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
        problem = _literal_problem(entry) or value_problem(key, entry.value.value)
        if problem:
            close = difflib.get_close_matches(str(entry.value.value), key.choices, n=1)
            helps = ["MAESTRO divides by this value and crashes on 0"] if key.minimum == 1 and \
                isinstance(entry.value.value, (int, float)) and entry.value.value < 1 else \
                [f"did you mean `{close[0]}`?"] if close else []
            diagnostics.error("E303", f"`{entry.key}` {problem}", entry.value.span,
                              notes=[f"{entry.key}: {key.description}"], helps=helps)
            ok = False
            continue
        values[key.field] = entry.value.value
    return HardwareSpec(**values) if ok else None  # type: ignore[arg-type]


def _literal_problem(entry: ast.HwEntry) -> str | None:
    """A number the file writes but a double cannot hold: ``1e400`` (inf) or ``1e-400`` (read as 0)."""
    value = entry.value.value
    if not isinstance(value, float):
        return None
    written = _written(entry.value.span)
    if math.isinf(value):
        return f"is too large to represent ({written})"
    if value == 0.0 and written and re.search(r"[1-9]", written.split("e")[0].split("E")[0]):
        return f"is too small to represent ({written} is below the smallest positive double, about 4.9e-324)"
    return None


def _written(span: Span) -> str:
    """The text of a one-line span, as the user wrote it."""
    line = SOURCES.line(span.path, span.line) or ""
    return line[span.column - 1:span.end_column - 1] if span.end_line == span.line else ""
