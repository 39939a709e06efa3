"""maestroc's pass pipeline: the one list of passes, in the order they run.

Installed as ``maestroc.passes`` (``package-dir`` in pyproject.toml). Each pass is
a small class with a ``name``, a one-line ``summary`` and ``run(ir, context)``;
its module docstring states the rule it implements (docs/passes.md, N1-N10).
``maestroc passes`` prints this list.
"""

from __future__ import annotations

from maestroc.passes.inherit import InheritMissing
from maestroc.passes.input_centric import InputCentric
from maestroc.passes.legality import Legality
from maestroc.passes.level_dims import LevelDims
from maestroc.passes.resolve import Resolve
from maestroc.passes.size_levels import SizeLevels
from maestroc.passes.split_levels import SplitLevels
from maestroc.passes.stride import ApplyStride
from maestroc.passes.tables import BuildTables
from maestroc.passes.unroll import UnrollMissing

PIPELINE = (
    Resolve(),
    BuildTables(),
    SplitLevels(),
    InputCentric(),
    InheritMissing(),
    UnrollMissing(),
    ApplyStride(),
    LevelDims(),
    SizeLevels(),
    Legality(),
)

PASS_NAMES = tuple(p.name for p in PIPELINE)

