"""Design spaces for `maestroc dse`: hardware and mapping parameters, constraints, objectives.

A space comes from a TOML file and/or ``--set NAME=SPEC`` options. A SPEC is a
number (``64``), a list (``16,32,64``), a range with a step (``64:1024:64``, both
ends included) or powers of two (``pow2:16:1024``). Hardware names are
:data:`HARDWARE_AXES`; any other name must be a ``Constant`` of the network file.

    [hardware]
    num_pes = "64:1024:64"
    noc_bw = [16, 32, 64, 128]
    l1_size = "pow2:64:4096"
    [mapping]
    KTile = "8:64:8"
    [constraints]
    area = 1e10          # upper bounds, in MAESTRO's area and power units
    power = 5000
    max_offchip_bw_req = 512
    [objectives]
    optimize = ["runtime", "energy"]

Every value is checked here, where the space is made, whoever makes it (the CLI,
the Python API, a TOML file): a wrong type, an unknown key or a value out of range
is a :class:`SpaceError` that carries a diagnostic (with the key's line in a file).
A range axis stays a ``range`` (never a list of its values), so a range of 10^10
values costs no memory.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import prod

from maestroc.diagnostics import SOURCES, Diagnostics, Span
from maestroc.hardware import MAX_HW_INT, HardwareSpec, too_large_message

HARDWARE_AXES = ("num_pes", "noc_bw", "noc_latency", "offchip_bw", "l1_size", "l2_size", "num_simd_lanes")
OBJECTIVES = {"runtime": "min", "throughput": "max", "energy": "min", "edp": "min", "area": "min", "power": "min"}
CONSTRAINTS = ("area", "power", "max_noc_bw_req", "max_offchip_bw_req")
TABLES = ("hardware", "mapping", "constraints", "objectives")
MAX_LIST_VALUES = 1_000_000  # values written out in a list (a range has no limit: it is never materialised)
MAX_SPACE_FILE_BYTES = 1 << 20
SPEC_FORMS = "use 64, 16,32,64, 64:1024:64 or pow2:16:1024"

Axis = Sequence[int]  # ascending, without repeats: a range or a tuple


class SpaceError(ValueError):
    """A space that cannot be explored: one diagnostic (code, message, optional span and help)."""

    def __init__(self, message: str, span: Span | None = None, code: str = "E501", helps: tuple[str, ...] = (),
                 path: str | None = None):
        super().__init__(message)
        self.message, self.span, self.code, self.helps, self.path = message, span, code, helps, path

    def diagnostics(self) -> Diagnostics:
        """The one diagnostic; a file that cannot be read is named as every input's is (``PATH: error[E001]``)."""
        diagnostics = Diagnostics()
        where = {"path": self.path} if self.path is not None and self.span is None else {}
        diagnostics.error(self.code, self.message, self.span, helps=self.helps, **where)
        return diagnostics


def _integer(name: str, value: object, span: Span | None) -> int:
    """One whole number of an axis (a TOML int, a whole float or decimal digits)."""
    if isinstance(value, bool):
        raise SpaceError(f"{name}: expected whole numbers, not {str(value).lower()}", span)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise SpaceError(f"{name}: expected whole numbers, not {value!r}", span)
        value = int(value)
    if isinstance(value, str):
        if not re.fullmatch(r"[+-]?[0-9]+", value.strip()):
            raise SpaceError(f"{name}: cannot read {value!r} ({SPEC_FORMS})", span)
        value = int(value.strip())
    if not isinstance(value, int):
        raise SpaceError(f"{name}: cannot read {value!r} as values ({SPEC_FORMS})", span)
    return value


def _check_bounds(name: str, low: int, high: int, span: Span | None) -> None:
    minimum = 0 if name == "noc_latency" else 1
    if low < minimum:
        raise SpaceError(f"{name}: values must be {'>= 0' if minimum == 0 else 'positive'}, not {low}", span)
    if high > MAX_HW_INT:
        raise SpaceError(too_large_message(name, high), span)


def parse_values(name: str, spec: object, span: Span | None = None) -> Axis:
    """The values of one axis, ascending and without repeats: a ``range`` or a tuple."""
    if isinstance(spec, str) and ":" in spec and "," not in spec:
        values: Axis = _parse_range(name, spec.strip(), span)
    elif isinstance(spec, (list, str)):
        items = spec if isinstance(spec, list) else spec.split(",")
        if isinstance(spec, str) and any(not part.strip() for part in items):
            raise SpaceError(f"{name}: an empty value in {spec!r}; write the values separated by single commas, "
                             "e.g. 16,32,64", span)
        collected: set[int] = set()
        for item in items:
            if isinstance(item, list):
                raise SpaceError(f"{name}: a list inside a list; write one flat list", span)
            part = parse_values(name, item, span) if isinstance(item, str) and ":" in item else \
                (_integer(name, item, span),)
            if len(collected) + len(part) > MAX_LIST_VALUES:
                raise SpaceError(f"{name}: more than {MAX_LIST_VALUES:,} listed values; write one range "
                                 "(LOW:HIGH:STEP) instead, which is never listed out", span)
            collected.update(part)
        values = tuple(sorted(collected))
    else:
        values = (_integer(name, spec, span),)
    if not values:
        raise SpaceError(f"{name}: no values", span)
    _check_bounds(name, values[0], values[-1], span)
    return values


def _parse_range(name: str, text: str, span: Span | None) -> Axis:
    """``LOW:HIGH``, ``LOW:HIGH:STEP`` (both ends included) or ``pow2:LOW:HIGH``."""
    powers = text.startswith("pow2:")
    parts = text[5:].split(":") if powers else text.split(":")
    expected = (2,) if powers else (2, 3)
    if len(parts) not in expected:
        form = "pow2:LOW:HIGH" if powers else "LOW:HIGH or LOW:HIGH:STEP"
        raise SpaceError(f"{name}: cannot read {text!r}: expected {form} ({SPEC_FORMS})", span)
    low, high, *rest = (_integer(name, part, span) for part in parts)
    step = rest[0] if rest else 1
    if step < 1:
        raise SpaceError(f"{name}: the step of {text!r} must be positive, not {step}", span)
    if high < low:
        raise SpaceError(f"{name}: {text!r} is empty (the high end is below the low end)", span)
    _check_bounds(name, low, high, span)
    if powers:
        return tuple(1 << k for k in range(max(high.bit_length(), 1)) if low <= 1 << k <= high)
    return range(low, high + 1, step)


def finite_positive(name: str, value: object, span: Span | None = None) -> float:
    """A budget or cap: a finite number above zero (not a bool, not NaN, not inf)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpaceError(f"{name}: expected a number, not {value!r}", span)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or number <= 0:
        raise SpaceError(f"{name}: expected a finite number above 0, not {value!r}", span)
    return number


@dataclass
class DesignSpace:
    hardware: dict[str, Axis] = field(default_factory=dict)
    constants: dict[str, Axis] = field(default_factory=dict)
    constraints: dict[str, float] = field(default_factory=dict)
    fit_buffers: bool = True  # each layer's L1/L2 need must fit the design's L1/L2 size
    objectives: tuple[str, ...] = ("runtime", "energy")
    base: HardwareSpec = field(default_factory=HardwareSpec)  # values of axes not swept
    spans: dict[str, Span] = field(default_factory=dict, compare=False)  # where each name was written

    def axis(self, name: str) -> Axis:
        if name in self.hardware:
            return self.hardware[name]
        return (getattr(self.base, name),)

    @property
    def size(self) -> int:
        return prod(len(self.axis(a)) for a in HARDWARE_AXES) * prod(len(v) for v in self.constants.values())

    def set_constraint(self, name: str, value: object, span: Span | None = None, label: str | None = None) -> None:
        """Set an upper bound; ``label`` names it in messages as the user wrote it (e.g. ``--area-budget``)."""
        if name not in CONSTRAINTS:
            raise SpaceError(f"unknown constraint {name!r}; known: fit_buffers, {', '.join(CONSTRAINTS)}", span,
                             code="E502")
        self.constraints[name] = finite_positive(label or name, value, span)

    def set_objectives(self, names: object, span: Span | None = None) -> None:
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
            raise SpaceError(f"optimize: expected a list of objective names, e.g. [\"runtime\", \"energy\"], "
                             f"not {names!r}", span)
        bad = [n for n in names if n not in OBJECTIVES]
        if bad:
            raise SpaceError(f"unknown objective {bad[0]!r}; choose from {', '.join(OBJECTIVES)}", span)
        if len(set(names)) < 2:
            raise SpaceError("give at least two different objectives", span)
        self.objectives = tuple(names)

    def check(self, network_constants: set[str]) -> None:
        unknown = sorted(set(self.constants) - network_constants)
        if unknown:
            known = ", ".join(sorted(network_constants)) or "none"
            raise SpaceError(f"unknown parameter {unknown[0]!r}: not a hardware parameter "
                             f"({', '.join(HARDWARE_AXES)}) nor a Constant of the network ({known})",
                             self.spans.get(unknown[0]), code="E502")
        self.set_objectives(list(self.objectives), self.spans.get("optimize"))


def set_axis(space: DesignSpace, assignment: str) -> None:
    """Apply one ``NAME=SPEC`` option."""
    if "=" not in assignment:
        raise SpaceError(f"--set {assignment!r}: expected NAME=SPEC, e.g. num_pes=64:1024:64")
    name, spec = (part.strip() for part in assignment.split("=", 1))
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SpaceError(f"--set {assignment!r}: {name!r} is not a parameter name")
    try:
        values = parse_values(name, spec)
    except SpaceError as error:
        raise SpaceError(f"--set {assignment}: {error.message.removeprefix(f'{name}: ')}") from error
    (space.hardware if name in HARDWARE_AXES else space.constants)[name] = values
    space.spans.pop(name, None)


def load_space(path: str | None, assignments: list[str], objectives: list[str] | None,
               base: HardwareSpec) -> DesignSpace:
    """A space from a TOML file (optional), then ``--set`` options, then ``--objective`` options."""
    space = DesignSpace(base=base)
    if path:
        _load_file(space, path)
    for assignment in assignments:
        set_axis(space, assignment)
    if objectives:
        space.set_objectives(list(objectives))
    return space


# ---- the TOML file ---------------------------------------------------------------------------
def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SPACE_FILE_BYTES + 1)
    except FileNotFoundError as error:
        raise SpaceError("no such file", code="E001", path=path) from error
    except OSError as error:
        raise SpaceError(f"cannot be read ({error.strerror or error})", code="E001", path=path) from error
    if len(data) > MAX_SPACE_FILE_BYTES:
        raise SpaceError(f"larger than {MAX_SPACE_FILE_BYTES:,} bytes; not a design-space file", code="E001",
                         path=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        SOURCES.add(path, data.decode("utf-8", errors="replace"))
        raise SpaceError(f"not UTF-8 text (invalid byte 0x{data[error.start]:02x}); save the file as UTF-8",
                         Span(path, line, column, line, column + 1), code="E002") from error
    SOURCES.add(path, text)
    return text


def _key_spans(path: str, text: str) -> dict[tuple[str, str], Span]:
    """Where each ``key =`` of each ``[table]`` is written (table "" for top-level keys); tables as (name, "")."""
    spans: dict[tuple[str, str], Span] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"\s*\[\s*([^\]\s]+)\s*\]", line)
        if header:
            table = header.group(1).strip("\"'")
            spans.setdefault((table, ""), Span(path, number, header.start(1) + 1, number, header.end(1) + 1))
            continue
        key = re.match(r"\s*([\"']?)([A-Za-z0-9_\-]+)\1\s*=", line)
        if key:
            spans.setdefault((table, key.group(2)), Span(path, number, key.start(2) + 1, number, key.end(2) + 1))
    return spans


def read_toml(path: str) -> tuple[dict, dict[tuple[str, str], Span]]:
    """A TOML file's document and where each key is written; SpaceError (E001/E002/E501) when unreadable."""
    text = _read_text(path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        span = Span(path, int(where.group(1)), int(where.group(2)), int(where.group(1)), int(where.group(2)) + 1) \
            if where else None
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(error))
        raise SpaceError(f"not valid TOML: {message}", span) from error
    return document, _key_spans(path, text)


def _load_file(space: DesignSpace, path: str) -> None:
    document, spans = read_toml(path)

    def where(table: str, key: str = "") -> Span | None:
        return spans.get((table, key)) or spans.get(("", table)) or spans.get((table, ""))

    for table in document:
        if table not in TABLES:
            raise SpaceError(f"unknown table [{table}]; tables: {', '.join(TABLES)}", where(table), code="E502")
        if not isinstance(document[table], dict):
            raise SpaceError(f"{table} must be a table ([{table}] followed by `name = value` lines), "
                             f"not {document[table]!r}", where(table))
    for name, spec in document.get("hardware", {}).items():
        if name not in HARDWARE_AXES:
            raise SpaceError(f"unknown hardware parameter {name!r}; known: {', '.join(HARDWARE_AXES)}",
                             where("hardware", name), code="E502",
                             helps=("Constants of the network go in [mapping]",))
        space.hardware[name] = parse_values(name, spec, where("hardware", name))
    for name, spec in document.get("mapping", {}).items():
        space.constants[name] = parse_values(name, spec, where("mapping", name))
        space.spans[name] = where("mapping", name)  # type: ignore[assignment]
    for name, value in document.get("constraints", {}).items():
        if name == "fit_buffers":
            if not isinstance(value, bool):
                raise SpaceError(f"fit_buffers: expected true or false, not {value!r}", where("constraints", name))
            space.fit_buffers = value
        else:
            space.set_constraint(name, value, where("constraints", name))
    for name, value in document.get("objectives", {}).items():
        if name != "optimize":
            raise SpaceError(f"unknown key {name!r} in [objectives]; the only key is optimize",
                             where("objectives", name), code="E502", helps=('optimize = ["runtime", "energy"]',))
        space.set_objectives(value, where("objectives", name))
        space.spans["optimize"] = where("objectives", name)  # type: ignore[assignment]
