"""Syntax highlighting: the Pygments lexer and the TextMate grammar leave no error token in any input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("pygments")

from pygments.lexers import get_lexer_by_name, guess_lexer_for_filename  # noqa: E402
from pygments.token import Error, Keyword, Name  # noqa: E402

from conftest import ROOT, SHARED, shared_files  # noqa: E402

INPUTS = shared_files("inputs/**/*.m") + shared_files("bad_inputs/inputs/*.m") + sorted((ROOT / "samples").rglob("*.m"))
VSCODE = ROOT / "editors/vscode"
GRAMMAR = json.loads((VSCODE / "syntaxes/maestro.tmLanguage.json").read_text(encoding="utf-8"))


def ids(path: Path) -> str:
    return str(path.relative_to(SHARED if SHARED in path.parents else ROOT))


def test_lexer_is_registered_under_maestro() -> None:
    lexer = get_lexer_by_name("maestro")
    assert lexer.name == "MAESTRO"
    text = (ROOT / "samples/networks/tiny_cnn.m").read_text()
    assert isinstance(guess_lexer_for_filename("tiny_cnn.m", text), type(lexer))  # .m: recognised by content


@pytest.mark.parametrize("path", INPUTS, ids=ids)
def test_pygments_has_no_error_token(path: Path) -> None:
    tokens = list(get_lexer_by_name("maestro").get_tokens(path.read_text(encoding="utf-8-sig")))
    assert [value for token, value in tokens if token in Error] == []
    kinds = {"Network": Keyword.Declaration, "Layer": Keyword.Declaration, "Dataflow": Keyword,
             "SpatialMap": Name.Builtin, "TemporalMap": Name.Builtin, "Cluster": Name.Builtin}
    assert all(token in kinds[value] for token, value in tokens if value in kinds)


def textmate_scopes(line: str) -> list[tuple[str, str]]:
    """(text, scope) of each token: TextMate's rule for a flat list of `match` patterns (the earliest match
    wins, the first pattern on a tie); text no pattern matches is reported with the scope ``<none>``."""
    rules = [(re.compile(rule["match"]), rule) for rule in GRAMMAR["patterns"]]
    position, out = 0, []
    while position < len(line):
        found = [(match.start(), index, match, rule) for index, (pattern, rule) in enumerate(rules)
                 if (match := pattern.search(line, position))]
        if not found:
            break
        start, _, match, rule = min(found, key=lambda item: (item[0], item[1]))
        if line[position:start].strip():
            out.append((line[position:start], "<none>"))
        if "captures" in rule:
            out.extend((match.group(int(group)), capture["name"]) for group, capture in rule["captures"].items())
        else:
            out.append((match.group(0), rule["name"]))
        position = max(match.end(), start + 1)
    if line[position:].strip():
        out.append((line[position:], "<none>"))
    return out


def test_textmate_grammar_uses_only_flat_match_rules() -> None:
    assert GRAMMAR["scopeName"] == "source.maestro"
    assert all(set(rule) <= {"name", "match", "captures"} and "match" in rule for rule in GRAMMAR["patterns"])
    assert ("SpatialMap", "support.function.directive.maestro") in textmate_scopes("SpatialMap(1,1) K;")
    assert textmate_scopes("Layer conv-1.a {")[:2] == [("Layer", "storage.type.maestro"),
                                                      ("conv-1.a", "entity.name.type.maestro")]
    assert ("@", "invalid.illegal.maestro") in textmate_scopes("Type: @")


@pytest.mark.parametrize("path", INPUTS, ids=ids)
def test_textmate_grammar_has_no_error_token(path: Path) -> None:
    for line in path.read_text(encoding="utf-8-sig").split("\n"):
        bad = [(text, scope) for text, scope in textmate_scopes(line) if scope in ("<none>", "invalid.illegal.maestro")]
        assert bad == [], line


def test_vscode_manifest_starts_the_language_server() -> None:
    manifest = json.loads((VSCODE / "package.json").read_text())
    (language,) = manifest["contributes"]["languages"]
    (grammar,) = manifest["contributes"]["grammars"]
    assert language["id"] == grammar["language"] == "maestro"
    assert grammar["scopeName"] == GRAMMAR["scopeName"]
    assert (VSCODE / grammar["path"]).is_file() and (VSCODE / language["configuration"]).is_file()
    assert manifest["contributes"]["configuration"]["properties"]["maestroc.command"]["default"] == ["maestroc", "lsp"]
    main = (VSCODE / manifest["main"]).read_text()
    assert "vscode-languageclient" in main and "vscode-languageclient" in manifest["dependencies"]
