"""The direct parser (no Lark) against Lark's reading of the same grammars.

maestroc.parser reads a file with maestroc.direct_parser and falls back to Lark
when that one is unsure. The rule that keeps this safe: whenever the direct
parser returns a tree, Lark parses the text without a single diagnostic into an
equal tree (same nodes, same spans). Checked on every sample and reference input
and on mutants of them aimed at the lexical corners (keywords glued to names,
numbers glued to names, apostrophes, signs, dots, comments, odd white space) and
at any character.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import IN_CI, ROOT, shared_params
from maestroc.diagnostics import Diagnostics, normalise_newlines
from maestroc.direct_parser import parse_well_formed
from maestroc.lark_parser import parse_with_lark
from maestroc.parser import detect_kind, parse_text, source_from_text

SAMPLES = sorted((ROOT / "samples").rglob("*.m")) + sorted((ROOT / "docs" / "examples").glob("*.m"))
TOKEN = re.compile(r"\s+|[A-Za-z_][A-Za-z0-9_']*|[0-9]+|.", re.DOTALL)


def both(text: str, kind: str) -> tuple[object, object, Diagnostics]:
    """The direct parser's tree, Lark's tree and Lark's diagnostics for ``text``."""
    diagnostics = Diagnostics()
    source = source_from_text(text, "<mutant>")
    lark_tree = parse_with_lark(source, diagnostics, kind)  # type: ignore[arg-type]
    return parse_well_formed(normalise_newlines(text), "<mutant>", kind), lark_tree, diagnostics


def check_agrees(text: str, kind: str) -> bool:
    """Assert the rule above; True when the direct parser answered."""
    direct, lark_tree, diagnostics = both(text, kind)
    if direct is None:
        return False
    assert not list(diagnostics), f"the direct parser accepted text Lark rejects:\n{text}"
    assert direct == lark_tree
    return True


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_sample_is_read_directly_into_lark_s_tree(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert check_agrees(text, detect_kind(text))


@pytest.mark.parametrize("path", shared_params("inputs/**/*.m"), ids=lambda p: p.name)
def test_every_reference_input_is_read_directly_into_lark_s_tree(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert check_agrees(text, detect_kind(text))


def test_a_syntax_error_is_reported_by_lark_with_recovery() -> None:
    diagnostics = Diagnostics()
    tree = parse_text("Network N { Layer L { Type: CONV Dataflow { TemporalMap(1,1) K } } }", diagnostics)
    assert tree is not None  # the missing `;` was inserted
    assert [d.code for d in diagnostics] == ["E103"]


@pytest.mark.parametrize("entries, expected", [
    ("Y: 56 X: 56", [("Y", 56), ("X", 56)]),
    ("K: 192, C: 192 R: 1, S: 1", [("K", 192), ("C", 192), ("R", 1), ("S", 1)]),  # as MAESTRO's MobileNetV2
    ("K 64 C 3", [("K", 64), ("C", 3)])])
def test_commas_between_dimensions_are_optional_in_both_parsers(entries: str, expected: list) -> None:
    """MAESTRO reads `,` as a space and its own MobileNetV2 inputs omit some commas (docs/language.md): the
    direct parser reads such a block into Lark's tree, without a diagnostic, with every entry."""
    text = f"Network N {{ Layer L {{ Type: CONV Dimensions {{ {entries} }} }} }}\n"
    assert check_agrees(text, "mapping")
    tree = parse_well_formed(text, "<dims>", "mapping")
    dimensions = tree.networks[0].layers[0].dimensions  # type: ignore[union-attr]
    assert [(e.name, int(e.value.value)) for e in dimensions.entries] == expected  # type: ignore[union-attr]


def test_an_accelerator_block_is_parsed_by_lark() -> None:
    text = "Accelerator { PE { count: 4 } }\nNetwork N { Layer L { Type: CONV } }\n"
    assert parse_well_formed(text, "<a>", "mapping") is None
    tree = parse_text(text, Diagnostics())
    assert tree is not None and len(tree.accelerators) == 1  # type: ignore[union-attr]


# Inserted text aimed at the places where a hand-written lexer could read differently from Lark's
# contextual lexer: glued words, signs, dots, apostrophes, exponents, comments and odd white space.
CORNERS = ["{", "}", "(", ")", ";", ",", ":", "-", "0", "7", "1.5", "1.", ".5", "1e3", "-2", "Sz", "Sz'", "Cluster",
           "Layer", "Network", "Constant", "Dataflow", "Dimensions", "Stride", "Type", "SpatialMap", "TemporalMap",
           "Accelerator", "Y'", "X\u2019", "'", "\u2019", "//", "// c\n", "/", "\n", " ", "\t", "\x0c", "\x0b",
           "\xa0", "\r", "\r\n", "a.b", "c-1", "_", "K", "P", "@", "NetworkX", "Layer2", "Sz2", "é"]


@st.composite
def mutants(draw: st.DrawFn) -> str:
    tokens = TOKEN.findall(draw(st.sampled_from(SAMPLES)).read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "glue"]))
        i = draw(st.integers(0, len(tokens) - 1))
        if op == "delete":
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "insert":
            tokens.insert(i, draw(st.sampled_from(CORNERS)))
        elif i + 1 < len(tokens) and tokens[i + 1].isspace():  # glue two words: drop the space between
            del tokens[i + 1]
        if not tokens:
            break
    return "".join(tokens)


@st.composite
def character_mutants(draw: st.DrawFn) -> str:
    """A sample with characters deleted, inserted (any character, or a corner above) or repeated."""
    text = draw(st.sampled_from(SAMPLES)).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["delete", "insert", "repeat"]))
        if op == "delete":
            text = text[:i] + text[i + 1:]
        elif op == "insert":
            inserted = draw(st.characters(codec="utf-8", exclude_characters="\x00") | st.sampled_from(CORNERS))
            text = text[:i] + inserted + text[i:]
        else:
            j = draw(st.integers(i, min(i + 12, len(text))))
            text = text[:j] + text[i:j] + text[j:]
    return text


@settings(max_examples=3000 if IN_CI else 400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=st.one_of(mutants(), character_mutants()), kind=st.sampled_from(["mapping", "hw"]))
def test_the_direct_parser_answers_only_where_lark_agrees(text: str, kind: str) -> None:
    if not text.strip():
        return  # the empty-file check comes before either parser
    check_agrees(text, kind)
