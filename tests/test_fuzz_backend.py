"""Property test: valid-looking inputs with odd numbers or missing directives never crash
`maestroc compile` or `maestroc lint`: a result, lint findings or a diagnostic, never a traceback."""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import IN_CI, ROOT
from maestroc.cli import main

SEEDS = [(ROOT / "samples/networks" / name).read_text() for name in ("tiny_cnn.m", "vgg16_conv2_tiled.m")]
NUMBER = re.compile(r"\b\d+\b")
WORKDIR = Path(tempfile.mkdtemp(prefix="maestroc-fuzz-backend-"))


@st.composite
def variants(draw: st.DrawFn) -> tuple[str, str]:
    text = draw(st.sampled_from(SEEDS))
    numbers = list(NUMBER.finditer(text))
    for match in reversed(draw(st.lists(st.sampled_from(numbers), max_size=6, unique_by=lambda m: m.start()))):
        value = draw(st.sampled_from([1, 2, 3, 5, 7, 8, 16, 64, 200]))
        text = text[:match.start()] + str(value) + text[match.end():]
    lines = text.splitlines()
    directives = [i for i, line in enumerate(lines) if "Map" in line or "Cluster" in line]
    for index in sorted(draw(st.lists(st.sampled_from(directives), max_size=2, unique=True)), reverse=True):
        del lines[index]
    hardware = (f"num_pes: {draw(st.sampled_from([1, 3, 16, 64, 256]))}\n"
                f"noc_bw_cstr: {draw(st.sampled_from([1, 8, 64]))}\nNoC_NumHops: {draw(st.sampled_from([0, 1, 2]))}\n"
                f"offchip_bw_cstr: {draw(st.sampled_from([1, 16, 64]))}\n"
                f"num_simd_lanes: {draw(st.sampled_from([1, 2]))}\n")
    return "\n".join(lines) + "\n", hardware


@settings(max_examples=200 if IN_CI else 40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants())
def test_compile_and_lint_never_crash(case: tuple[str, str]) -> None:
    network, hardware = case
    (WORKDIR / "net.m").write_text(network)
    (WORKDIR / "hw.m").write_text(hardware)
    for args in (["compile", str(WORKDIR / "net.m"), "--hw", str(WORKDIR / "hw.m"), "--emit", "csv"],
                 ["lint", str(WORKDIR / "net.m"), "--hw", str(WORKDIR / "hw.m"), "--format", "json"]):
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(args)
        assert code in (0, 1, 2), err.getvalue()
        assert "internal error" not in err.getvalue()
