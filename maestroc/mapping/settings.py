"""``maestroc map --space FILE.toml``: the mapping space's settings, checked where they are read.

    levels = [1, 2]                 # cluster levels: 1, 2 or both
    orders = "tiled"                # "tiled" (every order of the tiled dims, R/S innermost) or "all"
    order = ["K", "C", "Y", "X"]    # or fix the order(s): one list, or a list of lists
    spatial = ["K", "C"]            # level-0 SpatialMap dims (default: every tiled dim)
    inner_spatial = ["C"]           # level-1 SpatialMap dims
    tiles = ["pow2", "full"]        # tile forms: pow2, full, divisors
    inner_tiles = [1]               # level-1 spatial tiles ("all": the level-0 candidates)
    clusters = [16, 64]             # Cluster sizes
    same_spatial = false            # may level 1 map spatially the dim level 0 maps spatially
    reuse = true                    # the row-stationary pair SpatialMap Y + SpatialMap R at level 1
    templates = true                # the sample dataflows are points of the space
    [tile_range]
    K = [1, 16]                     # bounds on a dim's tiles

Errors are :class:`maestroc.space.SpaceError` (E501 a wrong value, E502 an unknown key), at the key's line.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from maestroc.diagnostics import Span
from maestroc.mapping.space import SpaceSettings
from maestroc.space import SpaceError, read_toml

KEYS = ("levels", "orders", "order", "spatial", "inner_spatial", "tiles", "inner_tiles", "clusters",
        "same_spatial", "reuse", "templates", "tile_range")
DIMS = ("N", "K", "C", "Y", "X", "M", "G")
TILE_FORMS = ("pow2", "full", "divisors")


def _names(key: str, value: Any, allowed: tuple[str, ...], span: Span | None) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v in allowed for v in value):
        raise SpaceError(f"{key}: expected a non-empty list of {', '.join(allowed)}, not {value!r}", span)
    return tuple(value)


def _whole_numbers(key: str, value: Any, span: Span | None, low: int = 1) -> tuple[int, ...]:
    if not isinstance(value, list) or not value or not all(type(v) is int and low <= v <= 1 << 62 for v in value):
        raise SpaceError(f"{key}: expected a non-empty list of whole numbers from {low}, not {value!r}", span)
    return tuple(sorted(set(value)))


def _flag(key: str, value: Any, span: Span | None) -> bool:
    if not isinstance(value, bool):
        raise SpaceError(f"{key}: expected true or false, not {value!r}", span)
    return value


def _orders(value: Any, span: Span | None) -> tuple[tuple[str, ...], ...]:
    lists = value if isinstance(value, list) and value and all(isinstance(v, list) for v in value) else [value]
    orders = tuple(_names("order", v, DIMS, span) for v in lists)
    for order in orders:
        if len(set(order)) != len(order):
            raise SpaceError(f"order: {order!r} names a dimension twice", span)
    return orders


def load_settings(path: str) -> SpaceSettings:
    """The settings of a mapping-space file (defaults for the keys it leaves out)."""
    document, spans = read_toml(path)
    settings = SpaceSettings()
    for key, value in document.items():
        span = spans.get(("", key)) or spans.get((key, ""))
        if key not in KEYS:
            raise SpaceError(f"unknown key {key!r}; keys: {', '.join(KEYS)}", span, code="E502")
        settings = _apply(settings, key, value, span, spans)
    return settings


def _apply(settings: SpaceSettings, key: str, value: Any, span: Span | None,
           spans: dict[tuple[str, str], Span]) -> SpaceSettings:
    if key == "levels":
        levels = _whole_numbers(key, value, span)
        if not set(levels) <= {1, 2}:
            raise SpaceError(f"levels: the space has one or two cluster levels, not {list(levels)}", span)
        return replace(settings, levels=levels)
    if key == "orders":
        if value not in ("tiled", "all"):
            raise SpaceError(f"orders: expected \"tiled\" or \"all\", not {value!r}", span)
        return replace(settings, orders=value)
    if key == "order":
        return replace(settings, fixed_orders=_orders(value, span))
    if key in ("spatial", "inner_spatial"):
        return replace(settings, **{key: _names(key, value, DIMS, span)})
    if key == "tiles":
        return replace(settings, tile_forms=_names(key, value, TILE_FORMS, span))
    if key == "inner_tiles":
        return replace(settings, inner_tiles=() if value == "all" else _whole_numbers(key, value, span))
    if key == "clusters":
        return replace(settings, clusters=_whole_numbers(key, value, span, low=2))
    if key in ("same_spatial", "reuse", "templates"):
        return replace(settings, **{key: _flag(key, value, span)})
    if not isinstance(value, dict):
        raise SpaceError(f"tile_range must be a table ([tile_range] then `K = [1, 16]` lines), not {value!r}", span)
    ranges = []
    for dim, bounds in value.items():
        where = spans.get(("tile_range", dim), span)
        if dim not in DIMS:
            raise SpaceError(f"tile_range: unknown dimension {dim!r}; tiled dims: {', '.join(DIMS)}", where,
                             code="E502")
        if not isinstance(bounds, list) or len(bounds) != 2 or not all(type(b) is int and b >= 1 for b in bounds) \
                or bounds[0] > bounds[1]:
            raise SpaceError(f"tile_range.{dim}: expected [low, high], whole numbers with 1 <= low <= high, "
                             f"not {bounds!r}", where)
        ranges.append((dim, bounds[0], bounds[1]))
    return replace(settings, tile_ranges=tuple(ranges))
