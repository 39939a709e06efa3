"""The inputs of ``maestroc map``, checked where they are made (the API and the CLI share them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from maestroc import ast
from maestroc.diagnostics import Diagnostics, InputError
from maestroc.hardware import HardwareSpec
from maestroc.mapping.network import default_templates, load_templates
from maestroc.mapping.parallel import Workers
from maestroc.mapping.outcome import OBJECTIVES
from maestroc.mapping.settings import load_settings
from maestroc.mapping.space import SpaceSettings
from maestroc.space import SpaceError
from maestroc.templates import Template


@dataclass(frozen=True)
class MapInputs:
    tree: ast.MappingFile
    hardware: HardwareSpec
    settings: SpaceSettings
    templates: list[Template]


def map_inputs(network: object, hw: object, space: object | None, templates: list | None) -> MapInputs:
    """The network, hardware, space settings and templates of a map run; InputError on bad input."""
    from maestroc.api import hardware_spec, load_network

    diagnostics = Diagnostics()
    spec = hardware_spec(hw)  # type: ignore[arg-type]
    tree = load_network(network, diagnostics)  # type: ignore[arg-type]
    if tree is None:
        raise InputError(diagnostics)
    try:
        settings = load_settings(os.fspath(space)) if space is not None else SpaceSettings()  # type: ignore[arg-type]
    except SpaceError as error:
        raise InputError(error.diagnostics()) from error
    paths = default_templates() if templates is None else [os.fspath(t) for t in templates]
    loaded = load_templates(paths, diagnostics)
    if loaded is None:
        raise InputError(diagnostics)
    return MapInputs(tree, spec, settings, loaded)


def checked_run_options(objectives: str | list[str] | tuple[str, ...], time_budget: object, max_mappings: object,
                        workers: object, scheduler_timeout: object = 10.0,
                        names: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The objectives as a tuple, with the budgets, the worker count and the scheduler timeout checked;
    InputError (E501) if one is wrong.

    A message names the value as the caller's user wrote it: ``names`` maps each parameter of
    :func:`maestroc.map` (``objectives``, ``time_budget``, ...) to that name (the CLI: ``--objective``,
    ``--time-budget``, ...); without it, the parameter's own name."""
    def name(parameter: str) -> str:
        return (names or {}).get(parameter, parameter)

    wanted = tuple([objectives] if isinstance(objectives, str) else objectives)
    problems = []
    if not wanted or any(o not in OBJECTIVES for o in wanted) or len(set(wanted)) != len(wanted):
        problems.append(f"{name('objectives')}: expected distinct names among {', '.join(OBJECTIVES)}, "
                        f"not {list(wanted)}")
    for parameter, value in (("time_budget", time_budget), ("max_mappings", max_mappings)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0 < value < float("inf")):
            problems.append(f"{name(parameter)}: expected a finite number above 0, not {value!r}")
    if isinstance(scheduler_timeout, bool) or not isinstance(scheduler_timeout, (int, float)) \
            or not 0 < scheduler_timeout < float("inf"):
        problems.append(f"{name('scheduler_timeout')}: expected a finite number above 0, not {scheduler_timeout!r}")
    if type(workers) is not int or workers < 1:
        problems.append(f"{name('workers')}: expected a whole number above 0, not {workers!r}")
    if problems:
        diagnostics = Diagnostics()
        for problem in problems:
            diagnostics.error("E501", problem)
        raise InputError(diagnostics)
    return wanted


def worker_pool(workers: Workers):  # type: ignore[no-untyped-def]
    """The started pool of a parallel run; InputError when dask is missing or its scheduler unreachable."""
    from maestroc import install_hint

    try:
        return workers.pool()
    except ImportError:
        message = f"a search on Dask needs dask: {install_hint('distributed')}"  # CLI and API alike
    except OSError as error:
        message = str(error)
    diagnostics = Diagnostics()
    diagnostics.error("E501", message)
    raise InputError(diagnostics)
