"""The flags a case's formulas branch on, over a grid of mappings (maestroc.batch_model).

The cost model's volume formulas are written for one mapping: they branch on a
state's *flags* (unrolled, Init beyond the dimension, a partly filled edge
sub-cluster) and on a level's ``single_edge`` (``n_edge = 1``). Over a grid those are
bool arrays, so a formula runs once per *combination* of flag values present, and
its results are merged cell by cell with the combinations' masks.

A formula reads only some flags: one run stands for every combination that agrees
with it on the flags it read (its states note them, :class:`Watched`), so a formula
that reads none runs once however many combinations the case has.
"""

from __future__ import annotations

from functools import reduce
from typing import Any, NamedTuple

import numpy as np

from maestroc.costmodel import State, Tables

FLAGS = ("unrolled", "init_edge", "edge_edge")


class Combinations(NamedTuple):
    """The flag combinations of a case present in a grid."""

    items: list[tuple]  # (mask over the grid or None, states with bool flags, single_edge, the combination's code)
    bits: dict[tuple[int, str], int]  # (state index, flag name) -> its bit in the code
    varying: tuple[int, ...]  # the states whose flags differ between combinations


def combinations(states: tuple[State, ...], single: Any, occurrences: Any) -> Combinations:
    """Each combination of the case's flags (and ``single``: single_edge) present, with its mask over the grid
    (None for the only one), as states with bool flags.

    Mappings for which the case does not occur (count 0) take the flags of one for which it does
    where that saves combinations (otherwise the masks keep the few axes the flags vary along).
    """
    flags = [(i, name, value) for i, state in enumerate(states) for name in FLAGS
             if isinstance(value := getattr(state, name), np.ndarray)]
    if not flags and not isinstance(single, np.ndarray):
        return Combinations([(None, states, single, 0)], {}, ())
    # The combination's code, over the axes of the grid its flags vary along only.
    code: Any = np.zeros((), dtype=np.int64)
    columns = [value for _, _, value in flags] + ([single] if isinstance(single, np.ndarray) else [])
    for bit, value in enumerate(columns):
        code = code | (value.astype(np.int64) << bit)
    kinds = np.unique(code)
    if len(kinds) > 1 and isinstance(occurrences, np.ndarray):
        code_at, occurs = np.broadcast_arrays(code, occurrences > 0)
        present = np.unique(code_at[occurs])
        if 0 < len(present) < len(kinds):
            code, kinds = np.where(occurs, code_at, present[0]), present
    items = []
    for kind in kinds.tolist():
        chosen = list(states)
        for bit, (i, name, _) in enumerate(flags):
            chosen[i] = _with_flag(chosen[i], name, bool(kind >> bit & 1))
        single_kind = bool(kind >> len(flags) & 1) if isinstance(single, np.ndarray) else single
        items.append((None if len(kinds) == 1 else code == kind, tuple(chosen), single_kind, kind))
    return Combinations(items, {(i, name): 1 << bit for bit, (i, name, _) in enumerate(flags)},
                        tuple(sorted({i for i, _, _ in flags})))


def for_each_combination(combos: Combinations, tables: Tables, formula: Any) -> Any:
    """``formula(states)`` for every mapping of the grid: once per combination of the flags it reads, merged by
    the masks (``tables.single_edge`` set to each combination's for the run)."""
    single = tables.single_edge
    if len(combos.items) == 1:
        tables.single_edge = combos.items[0][2]
        value = formula(combos.items[0][1])
        tables.single_edge = single
        return value
    merged, pending = None, combos.items
    single_bit = 1 << len(combos.bits)  # single_edge, when it varies: every run counts as reading it
    while pending:
        _, states, single_kind, kind = pending[0]
        read: set[tuple[int, str]] = set()
        tables.single_edge = single_kind
        watched = list(states)
        for index in combos.varying:
            watched[index] = Watched.of(states[index], index, read)
        value = formula(tuple(watched))
        bits = sum(combos.bits.get(flag, 0) for flag in read) | single_bit
        same = [item for item in pending if not (item[3] ^ kind) & bits]
        pending = [item for item in pending if (item[3] ^ kind) & bits]
        if merged is None:  # the first run stands for every mapping until a later one overwrites its own
            merged = value
        else:
            merged = _merge(reduce(np.logical_or, [item[0] for item in same]), value, merged)
    tables.single_edge = single
    return merged


def _with_flag(state: State, name: str, value: bool) -> State:
    flags = {flag: getattr(state, flag) for flag in FLAGS} | {name: value}
    return State(state.position, state.occurrences, **flags)


class Watched(State):
    """A state that notes which of its flags a formula reads (for_each_combination)."""

    @classmethod
    def of(cls, state: State, index: int, read: set[tuple[int, str]]) -> Watched:
        watched = object.__new__(cls)
        watched.__dict__.update(state.__dict__, _index=index, _read=read)
        return watched

    def _flag(self, name: str) -> Any:
        fields = self.__dict__
        fields["_read"].add((fields["_index"], name))
        return fields[name]

    # Properties take precedence over the instance's fields: every read of a flag passes here.
    unrolled = property(lambda self: self._flag("unrolled"))  # type: ignore[assignment]
    init_edge = property(lambda self: self._flag("init_edge"))  # type: ignore[assignment]
    edge_edge = property(lambda self: self._flag("edge_edge"))  # type: ignore[assignment]


def _merge(mask: np.ndarray, value: Any, merged: Any) -> Any:
    """``value`` where ``mask`` holds, else ``merged``: numbers, arrays, and dicts of them."""
    if isinstance(value, dict):
        return {key: _merge(mask, value[key], merged[key]) for key in value}
    return np.where(mask, value, merged)
