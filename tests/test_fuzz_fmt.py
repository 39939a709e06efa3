"""Property test of the formatter: on any text that parses, same AST, same comments, idempotent.

Valid files are rewritten token by token: white space, line breaks and comments
inserted anywhere between tokens, optional punctuation dropped, tokens
duplicated, deleted or swapped. A mutant that no longer parses is skipped (the
formatter refuses those, see test_fmt.py).
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import IN_CI, ROOT
from maestroc.diagnostics import Diagnostics
from maestroc.fmt import format_text, syntax_shape
from maestroc.parser import detect_kind, parse_text

SEEDS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples").rglob("*.m"))
         if p.stat().st_size < 4000] + [
    "Constant T 4;\nDataflow { SpatialMap(T,T) K; Cluster(T, P); TemporalMap(Sz(R),Sz(R)) R; }\n",
    "SpatialMap(1,1) K;\nTemporalMap(1,1) C;\n",
    "Accelerator { PE { NumPEs: 128; Width 4 } NoC { Bandwidth: 64, } }\nNetwork N { Layer a.b-1 { Type: GEMM "
    "Dimensions { M 4 N 4 K 4 } } }\n",
]
TOKEN = re.compile(r"//[^\n]*|\s+|[A-Za-z_][A-Za-z0-9_']*|-?[0-9]+(?:\.[0-9]+)?|.", re.DOTALL)
FILLERS = [" ", "\t", "\n", "\n\n\n", "  // note\n", "// c\n", " //x", "\n// own line\n\n", "\r\n", ","]


@st.composite
def mutants(draw: st.DrawFn) -> str:
    tokens = TOKEN.findall(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        i = draw(st.integers(0, len(tokens)))
        op = draw(st.sampled_from(["fill", "fill", "fill", "drop_punctuation", "duplicate", "delete", "swap"]))
        if op == "fill":
            filler = draw(st.sampled_from(FILLERS))
            if filler.lstrip(" \t").startswith("//") and i < len(tokens):
                filler += "\n"  # a comment must not swallow the code after it
            tokens.insert(i, filler)
        elif i < len(tokens):
            if op == "drop_punctuation" and tokens[i] in (",", ":", ";"):
                del tokens[i]
            elif op == "duplicate":
                tokens.insert(i, tokens[i])
            elif op == "delete":
                del tokens[i]
            elif op == "swap":
                j = draw(st.integers(0, len(tokens) - 1))
                tokens[i], tokens[j] = tokens[j], tokens[i]
    return "".join(tokens)


def comments(text: str) -> list[str]:
    return sorted(line[line.index("//"):].rstrip() for line in text.split("\n") if "//" in line)


@settings(max_examples=600 if IN_CI else 200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=mutants())
def test_formatting_keeps_meaning_and_comments_and_is_idempotent(text: str) -> None:
    kind = detect_kind(text)
    diagnostics = Diagnostics()
    tree = parse_text(text, diagnostics, "<fuzz>", kind)
    assume(tree is not None and not diagnostics.has_errors)
    formatted = format_text(text, "<fuzz>")
    again = Diagnostics()
    assert syntax_shape(parse_text(formatted, again, "<fuzz>", kind)) == syntax_shape(tree)
    assert not again.has_errors
    assert comments(formatted) == comments(text)
    assert format_text(formatted, "<fuzz>") == formatted
