"""input-centric: rewrite output-centric loops (``Y'``, ``X'``) as input loops (``Y``, ``X``).

docs/passes.md N4 (MAESTRO's ``ConvertToInputCentric``): at a level that maps ``Y'``
and not ``Y``, the ``Y'`` loop becomes a ``Y`` loop of size ``size + Rsz - 1``,
where ``Rsz`` is the size of the ``R`` loop *of the same level* (the last one, if
several); the offset is unchanged. ``X'`` works the same with ``S``. Without an
``R`` loop MAESTRO reads an uninitialised size; the loop is left as ``Y'`` here
and the legality pass reports it.
"""

from __future__ import annotations

from dataclasses import replace

from maestroc.ir import Level, NetworkIR
from maestroc.layertypes import OUTPUT_DIMS, SLIDING
from maestroc.pipeline import PassContext


class InputCentric:
    name = "input-centric"
    summary = "rewrite Y'/X' loops as Y/X loops of size + R/S - 1, with R/S taken from the same level"

    def run(self, network: NetworkIR, context: PassContext) -> NetworkIR:
        return network.with_layers([replace(layer, levels=tuple(self._level(level) for level in layer.levels))
                                    for layer in network.layers])

    @staticmethod
    def _level(level: Level) -> Level:
        loops = list(level.loops)
        mapped = {loop.dim for loop in loops}
        for output, input_ in OUTPUT_DIMS.items():
            window = SLIDING[input_]
            window_sizes = [loop.size for loop in loops if loop.dim == window]
            if output not in mapped or input_ in mapped or not window_sizes:
                continue
            index = next(i for i, loop in enumerate(loops) if loop.dim == output)
            loop = loops[index]
            loops[index] = replace(loop, dim=input_, size=loop.size + window_sizes[-1] - 1,
                                   origin=f"from {output}({loop.size}, {loop.offset}) with {window}={window_sizes[-1]}")
        return replace(level, loops=tuple(loops))
