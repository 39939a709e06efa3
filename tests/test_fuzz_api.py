"""Property tests: hardware files, the Python API and dataflow templates never end in exit 3 or a traceback.

Each gives a result whose numbers are finite, or a located diagnostic (exit 2, or ``maestroc.InputError``).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import tempfile
from pathlib import Path

from conftest import IN_CI, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import maestroc
from maestroc.cli import main
from maestroc.hardware import HW_KEYS

EXAMPLES = 2000 if IN_CI else 200
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
WORKDIR = Path(tempfile.mkdtemp(prefix="maestroc-fuzz-api-"))
NET = """Network N { Layer L { Type: CONV Dimensions { K: 8, C: 4, R: 3, S: 3, Y: 8, X: 8 }
  Dataflow { SpatialMap(1,1) K; TemporalMap(4,4) C; TemporalMap(3,1) Y; TemporalMap(3,1) X;
             TemporalMap(3,3) R; TemporalMap(3,3) S; } } }
"""
MODEL = """// a model
Constant T 2;
Network N {
  Layer conv { Type: CONV
    Dimensions { K: 8, C: 4, R: 3, S: 3, Y: 8, X: 8 } }
  Layer dw {
    Type: DSCONV
    Dimensions { K: 1, C: 4, R: 3, S: 3, Y: 8, X: 8 }
  }
  Layer fc { Type: GEMM Dimensions { M: 4, N: 4, K: 8 } }
}
"""
KEYS = list(HW_KEYS) + [key.field for key in HW_KEYS.values()]
NUMBER_TEXT = st.one_of(
    st.integers(-5, 2**64).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["0", "1", "-0", "0.0", "1e400", "-1e400", "1e-400", "4611686018427387904",
                     "4611686018427387905", "2.5", "1e3", "64", "00012", "1E5", "-1"]),
)
NUMBERS = st.one_of(st.integers(-5, 2**64), st.floats(), st.sampled_from([0, 1, 64, 2**62, 2**62 + 1]),
                    st.booleans(), st.none(), st.text(max_size=4), st.lists(st.integers(), max_size=2))


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue(), err.getvalue()
    assert code in (0, 1, 2), (code, err.getvalue())
    return code, out.getvalue(), err.getvalue()


def strict_json(text: str) -> object:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in JSON output")

    return json.loads(text, parse_constant=refuse)


@st.composite
def hardware_files(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(st.one_of(st.sampled_from(KEYS), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)))
        separator = draw(st.sampled_from([": ", ":", " ", ": "]))
        lines.append(f"{key}{separator}{draw(NUMBER_TEXT)}{draw(st.sampled_from(['', ';', ' // c']))}")
    text = "\n".join(lines)
    if draw(st.booleans()):  # a stray character somewhere
        position = draw(st.integers(0, len(text)))
        text = text[:position] + draw(st.sampled_from(["{", ":", "-", "x", ".", "\x00", "é"])) + text[position:]
    return text + "\n"


@SETTINGS
@given(text=hardware_files())
def test_hardware_files(text: str) -> None:
    hw = WORKDIR / "hw.m"
    hw.write_text(text, encoding="utf-8")
    net = WORKDIR / "net.m"
    net.write_text(NET)
    code, out, err = run_cli("compile", str(net), "--hw", str(hw), "--emit", "json")
    if code == 2:
        assert "error[" in err
        return
    document = strict_json(out)
    assert all(math.isfinite(value) for value in document["hardware"].values()  # type: ignore[index]
               if not isinstance(value, str))  # noc_topology is a word


@st.composite
def hardware_dicts(draw: st.DrawFn) -> dict:
    keys = draw(st.lists(st.one_of(st.sampled_from(KEYS), st.text(max_size=6), st.integers()), max_size=5))
    return {key: draw(NUMBERS) for key in keys}


@SETTINGS
@given(hw=st.one_of(hardware_dicts(), hardware_files(), st.text(max_size=20)))
def test_python_api(hw: object) -> None:
    try:
        result = maestroc.compile(NET, hw=hw)
    except maestroc.InputError as error:
        assert error.diagnostics.has_errors
        assert all(d.code.startswith(("E", "C", "L")) for d in error.diagnostics if d.severity.value == "error")
        return
    for record in result.to_records():
        for name, value in record.items():
            if isinstance(value, float):
                assert math.isfinite(value), (name, value)
    assert isinstance(result.totals["runtime"], int)


DIRECTIVES = st.one_of(
    st.builds(lambda kind, size, offset, dim: f"{kind}({size},{offset}) {dim};",
              st.sampled_from(["SpatialMap", "TemporalMap"]),
              st.sampled_from(["1", "2", "4", "T", "Sz(R)", "Sz(S)", "Sz(Q)", "0", "U"]),
              st.sampled_from(["1", "2", "Sz(R)", "T"]),
              st.sampled_from(["K", "C", "R", "S", "Y", "X", "M", "N", "Y'", "G", "Q"])),
    st.builds(lambda n: f"Cluster({n}, P);", st.sampled_from(["1", "2", "4", "T"])),
    st.just("// a comment"),
)


@st.composite
def templates(draw: st.DrawFn) -> str:
    directives = draw(st.lists(DIRECTIVES, min_size=0, max_size=7))
    separator = draw(st.sampled_from(["\n  ", " ", "\n"]))
    body = separator.join(directives)
    if body.endswith("// a comment"):
        body += "\n"
    constant = draw(st.sampled_from(["", "Constant T 2;\n", "Constant T 0;\n", "Constant U 3;\n"]))
    shape = draw(st.sampled_from(["block", "block-brace-on-last-line", "bare"]))
    if shape == "block":
        return f"{constant}Dataflow {{{separator}{body}\n}}\n"
    if shape == "block-brace-on-last-line":
        return f"{constant}Dataflow {{{separator}{body} }}\n"
    return f"{constant}{body}\n"


@SETTINGS
@given(template=templates(), per_layer=st.sampled_from([[], ["dw=T"], ["DSCONV=T", "fc=T"], ["c*=T"]]))
def test_apply_dataflow_templates(template: str, per_layer: list[str]) -> None:
    model = WORKDIR / "model.m"
    model.write_text(MODEL)
    path = WORKDIR / "template.m"
    path.write_text(template)
    rules = [a for rule in per_layer for a in ("--dataflow-for", rule.replace("=T", f"={path}"))]
    code, out, err = run_cli("apply-dataflow", str(model), "--dataflow", str(path), *rules)
    if code == 2:
        assert "error[" in err and "apply-dataflow output" not in err
        return
    assert code == 0 and "// a model" in out
    applied = WORKDIR / "applied.m"
    applied.write_text(out)
    parsed, _, parse_err = run_cli("parse", str(applied))
    assert parsed == 0, parse_err  # what apply-dataflow writes always reads back
    hw = str(ROOT / "samples/hw/edge_64pe.m")
    from_tree = run_cli("compile", str(model), "--hw", hw, "--dataflow", str(path), *rules, "--emit", "json")
    from_text = run_cli("compile", str(applied), "--hw", hw, "--emit", "json")
    assert from_tree[0] == from_text[0], (from_tree[2], from_text[2])  # the tree and the text agree
    if from_tree[0] == 0:
        assert strict_json(from_tree[1])["layers"] == strict_json(from_text[1])["layers"]  # type: ignore[index]
