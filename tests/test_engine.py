"""The fast paths agree with the sympy expressions, exactly; and the parser cache is never wrong."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import IN_CI, ROOT
from maestroc.algebra import IntegerAlgebra
from maestroc.cli import main
from maestroc.costmodel import shape_key, structure_of
from maestroc.diagnostics import Diagnostics
from maestroc.engine import INT64_SAFE, grid_cost
from maestroc.hardware import HardwareSpec
from maestroc.lark_parser import _parser
from maestroc.parser import NO_CACHE_VARIABLE, parse_text
from maestroc.passes import PIPELINE
from maestroc.pipeline import PassContext, run_pipeline
from maestroc.symbolic import HARDWARE_SYMBOLS, SYMBOLIC, evaluate
from maestroc.timing import Fold
from test_walker import conv_layers, gemm_layers

EXPRESSIONS = ("runtime", "peak_bw", "avg_bw_sum", "offchip_bw", "offchip_floor")


def sized_layer(text: str, hardware: HardwareSpec):  # type: ignore[no-untyped-def]
    diagnostics = Diagnostics()
    tree = parse_text(text, diagnostics, path="<engine>")
    assert tree is not None and not diagnostics.has_errors, (text, list(diagnostics))
    network = run_pipeline(tree, PIPELINE, PassContext(diagnostics, hardware)).ir
    return network, network.layers[0]


def expected(symbolic, values: tuple[int, int, int, int]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Every hardware-dependent figure of a level, from its sympy expressions."""
    env = dict(zip(HARDWARE_SYMBOLS, values))
    figures: dict[str, object] = {name: evaluate(getattr(symbolic, name), env) for name in EXPRESSIONS}
    for kind in symbolic.delay_sum:
        figures[kind] = tuple(evaluate(table[kind], env) for table in
                              (symbolic.delay_min, symbolic.delay_max, symbolic.delay_sum))
    return figures


def figures_of(result) -> dict[str, object]:  # type: ignore[no-untyped-def]
    figures: dict[str, object] = {name: getattr(result, name) for name in EXPRESSIONS}
    for kind in result.delay_sum:
        figures[kind] = (result.delay_min[kind], result.delay_max[kind], result.delay_sum[kind])
    return figures


@st.composite
def designs(draw: st.DrawFn) -> tuple[tuple[int, ...], ...]:
    """A small grid of the four hardware values (noc_bw, noc_latency, offchip_bw, num_simd_lanes)."""
    return (tuple(draw(st.lists(st.integers(1, 9), min_size=1, max_size=3, unique=True))),
            tuple(draw(st.lists(st.integers(0, 3), min_size=1, max_size=2, unique=True))),
            tuple(draw(st.lists(st.integers(1, 70), min_size=1, max_size=3, unique=True))),
            tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2, unique=True))))


@settings(max_examples=1000 if IN_CI else 100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.one_of(conv_layers(), gemm_layers()), axes=designs())
def test_integers_and_arrays_equal_the_sympy_expressions(case: tuple[str, HardwareSpec], axes) -> None:
    """On random layers, dataflows and grids of designs: ints and int64 arrays equal the expressions."""
    text, hardware = case
    network, layer = sized_layer(text, hardware)
    assume(not network.illegal)
    shape = shape_key(layer)
    symbolic = Fold(structure_of(shape), SYMBOLIC).top()
    grid = grid_cost(shape, axes)
    assert not grid.exact_python
    for index in itertools.product(*(range(len(values)) for values in axes)):
        values = tuple(values[i] for values, i in zip(axes, index))
        want = expected(symbolic, values)
        assert figures_of(Fold(structure_of(shape), IntegerAlgebra(*values)).top()) == want, (text, values)
        assert (grid.runtime[index], grid.peak_noc_bw[index], grid.offchip_bw[index]) == \
            (want["runtime"], want["peak_bw"], want["offchip_bw"]), (text, values)


def test_a_runtime_beyond_int64_is_computed_with_python_ints() -> None:
    """The grid's corner bounds every value; past 2^62 the arrays hold exact Python ints."""
    text = ("Network W { Layer G { Type: GEMM Dimensions { M: 4194304, N: 4194304, K: 4194304 } "
            "Dataflow { SpatialMap(1,1) M; TemporalMap(1,1) N; TemporalMap(1,1) K; } } }")
    hardware = HardwareSpec(num_pes=4)
    _, layer = sized_layer(text, hardware)
    shape = shape_key(layer)
    axes = ((1, 64), (1, 5), (1, 32), (1,))
    grid = grid_cost(shape, axes)
    assert grid.exact_python and grid.runtime_bound >= INT64_SAFE
    symbolic = Fold(structure_of(shape), SYMBOLIC).top()
    for index in itertools.product(*(range(len(values)) for values in axes)):
        values = tuple(values[i] for values, i in zip(axes, index))
        assert grid.runtime[index] == evaluate(symbolic.runtime, dict(zip(HARDWARE_SYMBOLS, values)))
    assert grid.runtime_bound == max(grid.runtime.flat)


# ---- the parser's table cache -----------------------------------------------------------------
SMALL = ROOT / "samples/networks/tiny_cnn.m"


def fresh_parser(kind: str = "mapping"):  # type: ignore[no-untyped-def]
    _parser.cache_clear()
    try:
        return _parser(kind)
    finally:
        _parser.cache_clear()


def test_parser_tables_are_cached_and_give_the_same_trees(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(NO_CACHE_VARIABLE, raising=False)
    text = SMALL.read_text()
    built = fresh_parser().parse(text)
    (cached_file,) = (tmp_path / "maestroc").glob("parser-mapping-*.lark")
    loaded = fresh_parser().parse(text)
    assert loaded == built
    assert list((tmp_path / "maestroc").iterdir()) == [cached_file]  # no temporary file left behind


def test_a_cache_file_of_another_grammar_is_not_used(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(NO_CACHE_VARIABLE, raising=False)
    fresh_parser("hw")
    (hw_file,) = (tmp_path / "maestroc").glob("parser-hw-*.lark")
    mapping_file = hw_file.with_name(hw_file.name.replace("parser-hw-", "parser-mapping-"))
    mapping_file.write_bytes(hw_file.read_bytes())  # the hw grammar's tables under the mapping parser's name
    assert fresh_parser().parse(SMALL.read_text()) is not None
    assert mapping_file.read_bytes() != hw_file.read_bytes()  # rebuilt from the mapping grammar


def test_a_damaged_cache_file_is_rebuilt(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(NO_CACHE_VARIABLE, raising=False)
    fresh_parser()
    (cached_file,) = (tmp_path / "maestroc").glob("parser-mapping-*.lark")
    cached_file.write_bytes(cached_file.read_bytes()[:100])
    assert fresh_parser().parse(SMALL.read_text()) is not None
    assert cached_file.stat().st_size > 100


def test_no_cache_reads_and_writes_nothing(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(NO_CACHE_VARIABLE, raising=False)
    broken = tmp_path / "broken.m"  # a syntax error: only then is Lark (and its table cache) needed
    broken.write_text(SMALL.read_text().replace(";", "", 1))
    _parser.cache_clear()
    try:
        assert main(["--no-cache", "parse", str(broken)]) == 2
    finally:
        _parser.cache_clear()
    assert not (tmp_path / "maestroc").exists()


def test_numbers_never_import_sympy(tmp_path: Path) -> None:
    """compile's report, CSV and JSON and a small DSE run without sympy (only --emit reuse needs it): a stray
    import costs a fifth of a second on every run."""
    script = f"""
import sys
from maestroc.cli import main
for emit in ("report", "csv", "json"):
    main(["compile", {str(ROOT / 'samples/networks/tiny_cnn.m')!r}, "--hw", {str(ROOT / 'samples/hw/edge_64pe.m')!r},
          "--emit", emit])
main(["dse", {str(ROOT / 'samples/networks/tiny_cnn.m')!r}, "--set", "num_pes=64,256"])
print("sympy" in sys.modules)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False"
