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
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from math import prod

from maestroc.hardware import HardwareSpec

HARDWARE_AXES = ("num_pes", "noc_bw", "noc_latency", "offchip_bw", "l1_size", "l2_size", "num_simd_lanes")
OBJECTIVES = {"runtime": "min", "throughput": "max", "energy": "min", "edp": "min", "area": "min", "power": "min"}
CONSTRAINTS = ("area", "power", "max_noc_bw_req", "max_offchip_bw_req")


class SpaceError(ValueError):
    """A space that cannot be explored; the message says why."""


def parse_values(name: str, spec: object) -> tuple[int, ...]:
    """The values of one axis, ascending and without repeats."""
    if isinstance(spec, bool):
        raise SpaceError(f"{name}: expected numbers, not {spec!r}")
    if isinstance(spec, int):
        values = [spec]
    elif isinstance(spec, float) and spec.is_integer():
        values = [int(spec)]
    elif isinstance(spec, list):
        values = [v for item in spec for v in parse_values(name, item)]
    elif isinstance(spec, str):
        values = _parse_text(name, spec.strip())
    else:
        raise SpaceError(f"{name}: cannot read {spec!r} as values")
    if not values:
        raise SpaceError(f"{name}: no values")
    if min(values) < (0 if name == "noc_latency" else 1):
        raise SpaceError(f"{name}: values must be {'>= 0' if name == 'noc_latency' else 'positive'}")
    return tuple(sorted(set(values)))


def _parse_text(name: str, text: str) -> list[int]:
    try:
        if text.startswith("pow2:"):
            low, high = (int(x) for x in text[5:].split(":"))
            values, v = [], 1
            while v <= high:
                if v >= low:
                    values.append(v)
                v *= 2
            return values
        if "," in text:
            return [int(x) for x in text.split(",") if x.strip()]
        if ":" in text:
            parts = [int(x) for x in text.split(":")]
            low, high, step = parts if len(parts) == 3 else (parts[0], parts[1], 1)
            if step < 1:
                raise SpaceError(f"{name}: the step of {text!r} must be positive")
            return list(range(low, high + 1, step))
        return [int(text)]
    except ValueError as error:
        raise SpaceError(f"{name}: cannot read {text!r} (use 64, 16,32,64, 64:1024:64 or pow2:16:1024)") from error


@dataclass
class DesignSpace:
    hardware: dict[str, tuple[int, ...]] = field(default_factory=dict)
    constants: dict[str, tuple[int, ...]] = field(default_factory=dict)
    constraints: dict[str, float] = field(default_factory=dict)
    fit_buffers: bool = True  # each layer's L1/L2 need must fit the design's L1/L2 size
    objectives: tuple[str, ...] = ("runtime", "energy")
    base: HardwareSpec = field(default_factory=HardwareSpec)  # values of axes not swept

    def axis(self, name: str) -> tuple[int, ...]:
        if name in self.hardware:
            return self.hardware[name]
        return (getattr(self.base, name),)

    @property
    def size(self) -> int:
        return prod(len(self.axis(a)) for a in HARDWARE_AXES) * prod(len(v) for v in self.constants.values())

    def check(self, network_constants: set[str]) -> None:
        unknown = set(self.constants) - network_constants
        if unknown:
            known = ", ".join(sorted(network_constants)) or "none"
            raise SpaceError(f"unknown parameter {sorted(unknown)[0]!r}: not a hardware parameter "
                             f"({', '.join(HARDWARE_AXES)}) nor a Constant of the network ({known})")
        bad = [o for o in self.objectives if o not in OBJECTIVES]
        if bad:
            raise SpaceError(f"unknown objective {bad[0]!r}; choose from {', '.join(OBJECTIVES)}")
        if len(set(self.objectives)) < 2:
            raise SpaceError("give at least two different objectives")


def set_axis(space: DesignSpace, assignment: str) -> None:
    """Apply one ``NAME=SPEC`` option."""
    if "=" not in assignment:
        raise SpaceError(f"--set {assignment!r}: expected NAME=SPEC, e.g. num_pes=64:1024:64")
    name, spec = (part.strip() for part in assignment.split("=", 1))
    values = parse_values(name, spec)
    (space.hardware if name in HARDWARE_AXES else space.constants)[name] = values


def load_space(path: str | None, assignments: list[str], objectives: list[str] | None,
               base: HardwareSpec) -> DesignSpace:
    """A space from a TOML file (optional), then ``--set`` options, then ``--objective`` options."""
    space = DesignSpace(base=base)
    if path:
        try:
            with open(path, "rb") as handle:
                document = tomllib.load(handle)
        except OSError as error:
            raise SpaceError(f"{path}: {error.strerror or error}") from error
        except tomllib.TOMLDecodeError as error:
            raise SpaceError(f"{path}: not valid TOML ({error})") from error
        unknown_tables = set(document) - {"hardware", "mapping", "constraints", "objectives"}
        if unknown_tables:
            raise SpaceError(f"{path}: unknown table [{sorted(unknown_tables)[0]}]; tables: hardware, mapping, "
                             "constraints, objectives")
        for name, spec in document.get("hardware", {}).items():
            if name not in HARDWARE_AXES:
                raise SpaceError(f"{path}: unknown hardware parameter {name!r}; known: {', '.join(HARDWARE_AXES)}")
            space.hardware[name] = parse_values(name, spec)
        for name, spec in document.get("mapping", {}).items():
            space.constants[name] = parse_values(name, spec)
        for name, value in document.get("constraints", {}).items():
            if name == "fit_buffers":
                space.fit_buffers = bool(value)
            elif name in CONSTRAINTS:
                space.constraints[name] = float(value)
            else:
                raise SpaceError(f"{path}: unknown constraint {name!r}; known: fit_buffers, {', '.join(CONSTRAINTS)}")
        if "optimize" in document.get("objectives", {}):
            space.objectives = tuple(document["objectives"]["optimize"])
    for assignment in assignments:
        set_axis(space, assignment)
    if objectives:
        space.objectives = tuple(objectives)
    return space
