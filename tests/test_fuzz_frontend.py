"""Property test: mutated inputs give a result or a diagnostic, never a traceback.

Valid files (our samples and MAESTRO-style snippets) are mutated by deleting,
duplicating and swapping tokens, truncating, and inserting random text or bytes.
Each mutant goes through the real command line (``maestroc parse``) in-process.
"""

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

SEEDS = [p.read_bytes() for p in sorted((ROOT / "samples").rglob("*.m"))]
TOKEN = re.compile(rb"\s+|[A-Za-z_][A-Za-z0-9_']*|[0-9]+|.", re.DOTALL)
WORKDIR = Path(tempfile.mkdtemp(prefix="maestroc-fuzz-"))


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    tokens = TOKEN.findall(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            break
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "insert_text", "insert_bytes"]))
        i = draw(st.integers(0, len(tokens) - 1))
        if op == "delete":
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "truncate":
            tokens = tokens[:i]
        elif op == "insert_text":
            tokens.insert(i, draw(st.sampled_from([b"{", b"}", b"(", b")", b";", b",", b":", b"-", b"0",
                                                   b"Sz", b"Cluster", b"Y'", b"//", b"\n", b"1.5", b"@",
                                                   b"Layer", b"Dataflow", b"99999999999999999999"])))
        else:
            tokens.insert(i, draw(st.binary(min_size=1, max_size=4)))
    return b"".join(tokens)


@settings(max_examples=2000 if IN_CI else 300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=mutants(), kind=st.sampled_from([None, "mapping", "hw"]))
def test_mutated_input_never_crashes(data: bytes, kind: str | None) -> None:
    path = WORKDIR / "mutant.m"
    path.write_bytes(data)
    args = ["parse", "--emit", "json", str(path)] + (["--kind", kind] if kind else [])
    out_buffer, err_buffer = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out_buffer), contextlib.redirect_stderr(err_buffer):
        code = main(args)
    out, err = out_buffer.getvalue(), err_buffer.getvalue()
    assert "Traceback" not in err and "internal error" not in err, err
    assert code in (0, 2)
    if code == 2:
        assert "error[" in err
    else:
        assert out.startswith("{")
