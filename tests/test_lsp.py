"""`maestroc lsp` end to end: a real server process driven over stdio by an LSP client (maestroc.lsp.client)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("pygls")

from conftest import ROOT, shared_files  # noqa: E402
from maestroc.fmt import format_text  # noqa: E402
from maestroc.lsp.client import LspClient  # noqa: E402

TINY = ROOT / "samples/networks/tiny_cnn.m"
HW = ROOT / "samples/hw/default_256pe.m"
BAD_R = """Network vgg16 {
  Layer CONV2 {
    Type: CONV
    Dimensions { K: 64, C: 64, R: 3, S: 3, Y: 224, X: 224 }
    Dataflow {
      SpatialMap(1,1) K;
      TemporalMap(1,1) C;
      TemporalMap(3,1) Y;
      TemporalMap(3,1) X;
      TemporalMap(5,5) R;
      TemporalMap(Sz(S),Sz(S)) S;
    }
  }
}
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LspClient]:
    root = tmp_path_factory.mktemp("workspace")
    with LspClient([sys.executable, "-m", "maestroc", "lsp"], cwd=str(root)) as lsp:
        lsp.root = root  # type: ignore[attr-defined]
        lsp.capabilities = lsp.initialize(root)["capabilities"]  # type: ignore[attr-defined]
        yield lsp


def document(client: LspClient, name: str, text: str) -> tuple[Path, str]:
    path = client.root / name  # type: ignore[attr-defined]
    path.write_text(text, encoding="utf-8")
    return path, client.open(path, text)


def at(uri: str, line: int, character: int) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


def position_of(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """0-based (line, character) of the start of the n-th ``needle``."""
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    before = text[:offset]
    return before.count("\n"), offset - (before.rfind("\n") + 1)


def hover(client: LspClient, uri: str, text: str, needle: str, occurrence: int = 0) -> str:
    result = client.request("textDocument/hover", at(uri, *position_of(text, needle, occurrence)))
    return result["contents"]["value"] if result else ""


def apply_edits(text: str, edits: list[dict[str, Any]]) -> str:
    lines = text.split("\n")

    def offset(position: dict[str, int]) -> int:
        return sum(len(line) + 1 for line in lines[:position["line"]]) + position["character"]

    for edit in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        text = text[:offset(edit["range"]["start"])] + edit["newText"] + text[offset(edit["range"]["end"]):]
    return text


def test_server_advertises_its_features(client: LspClient) -> None:
    capabilities = client.capabilities  # type: ignore[attr-defined]
    for feature in ("hoverProvider", "definitionProvider", "referencesProvider", "documentSymbolProvider",
                    "completionProvider", "codeActionProvider", "documentFormattingProvider"):
        assert capabilities.get(feature), feature


def test_hardware_named_in_the_file_for_lint_and_hover(client: LspClient, cli) -> None:
    import maestroc

    text = f"// maestroc: hw={HW}\n" + TINY.read_text()
    _, uri = document(client, "tiny.m", text)
    published = {(d["code"], d["range"]["start"]["line"]) for d in client.diagnostics(uri)}  # one line lower
    expected = json.loads(cli("lint", str(TINY), "--hw", str(HW), "--format", "json").out)["findings"]
    assert published == {(d["code"], d["span"]["line"]) for d in expected}
    assert "L202" in {code for code, _ in published}  # a rule that needs the hardware
    figures = maestroc.compile(str(TINY), hw=str(HW))
    stem = next(m for m in figures.layers if m.name == "stem_7x7_s2")
    layer = hover(client, uri, text, "stem_7x7_s2")
    assert f"runtime **{stem.runtime:,}** cycles" in layer and f"{stem.bound}-bound" in layer
    assert "K=32, C=3, R=7, S=7, Y=64, X=64" in layer
    directive = hover(client, uri, text, "SpatialMap(1,1) K")
    assert "SpatialMap on `K`" in directive and "Tile: 1 of 32" in directive and "L2 traffic" in directive
    temporal = hover(client, uri, text, "TemporalMap(KTile,KTile) C")
    assert "Iterations: **1**" in temporal  # C = 3 in one tile of 16
    assert hover(client, uri, text, "Sz(R)").startswith("`Sz(R)` = **7** in layer `stem_7x7_s2`")
    assert "Constant KTile 16;" in hover(client, uri, text, "KTile", 1)


def test_hover_without_hardware_says_how_to_get_figures(client: LspClient) -> None:
    text = TINY.read_text()
    _, uri = document(client, "plain.m", text)
    client.diagnostics(uri)
    assert "hw=PATH" in hover(client, uri, text, "stem_7x7_s2")


def test_definition_references_symbols(client: LspClient) -> None:
    text = TINY.read_text()
    _, uri = document(client, "nav.m", text)
    use = position_of(text, "KTile", 1)
    definition = client.request("textDocument/definition", at(uri, *use))
    line, character = position_of(text, "KTile")
    assert definition["range"]["start"] == {"line": line, "character": character}
    refs = client.request("textDocument/references", {**at(uri, *use), "context": {"includeDeclaration": True}})
    assert len(refs) == text.count("KTile")
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert [s["name"] for s in symbols] == ["KTile", "TinyCNN"]
    assert "stem_7x7_s2" in [layer["name"] for layer in symbols[1]["children"]]


def test_completion_by_context(client: LspClient) -> None:
    text = "Network N {\n  Layer L {\n    Type: GEMM\n    Dataflow {\n      SpatialMap(1,1) \n"
    _, uri = document(client, "typing.m", text)

    def labels(line: int, character: int) -> list[str]:
        return [item["label"] for item in client.request("textDocument/completion", at(uri, line, character))["items"]]

    assert labels(4, 22) == ["M", "N", "K"]  # dimensions of a GEMM after a map
    assert labels(4, 6) == ["SpatialMap", "TemporalMap", "Cluster"]
    assert "CONV" in labels(2, 10)
    _, hw_uri = document(client, "hw_typing.m", "num_pes: 4\n")
    assert "noc_bw_cstr" in [i["label"] for i in client.request("textDocument/completion", at(hw_uri, 1, 0))["items"]]


@pytest.mark.parametrize("name, text, code", [
    ("window.m", BAD_R, "L104"),
    ("unroll.m", BAD_R.replace("      SpatialMap(1,1) K;\n", "      SpatialMap(1,1) C;\n").replace(
        "      TemporalMap(1,1) C;\n", "").replace("TemporalMap(5,5) R", "TemporalMap(Sz(R),Sz(R)) R"), "L204"),
    ("semicolon.m", BAD_R.replace("TemporalMap(1,1) C;", "TemporalMap(1,1) C"), "E103"),
    ("typo.m", BAD_R.replace("TemporalMap(1,1) C;", "TemproalMap(1,1) C;"), "E104"),
    ("type.m", BAD_R.replace("Type: CONV", "Type: CONF"), "E201"),
    ("hwkey.m", "num_pes: 4\nnoc_bw_cstrr: 8\n", "E301"),
])
def test_quick_fix_removes_the_finding(client: LspClient, name: str, text: str, code: str) -> None:
    _, uri = document(client, name, text)
    found = [d for d in client.diagnostics(uri) if d["code"] == code]
    assert found, code
    actions = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": found[0]["range"],
                                                         "context": {"diagnostics": found}})
    assert actions and actions[0]["kind"] == "quickfix"
    fixed = apply_edits(text, actions[0]["edit"]["changes"][uri])
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": fixed}]})
    assert code not in [d["code"] for d in client.diagnostics(uri, version=2)]


def test_changes_are_debounced_and_the_last_text_wins(client: LspClient) -> None:
    _, uri = document(client, "edits.m", BAD_R)
    assert "L104" in [d["code"] for d in client.diagnostics(uri)]
    line, character = position_of(BAD_R, "TemporalMap(5,5) R")
    for version, text in ((2, "TemporalMap(4,4) R"), (3, "TemporalMap(6,6) R"), (4, "TemporalMap(3,3) R")):
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [
            {"range": {"start": {"line": line, "character": character},
                       "end": {"line": line, "character": character + len(text)}}, "text": text}]})
    assert "L104" not in [d["code"] for d in client.diagnostics(uri, version=4)]


EMPTY_NETWORK = "// a network whose layers are not written yet\nNetwork Empty {\n}\n"


def test_a_network_without_layers_is_e007_as_in_every_command(client: LspClient, cli) -> None:
    """The editor shows the commands' E007 (code, range, message and help) until a layer is written."""
    path, uri = document(client, "empty.m", EMPTY_NETWORK)
    published = client.diagnostics(uri)
    (expected,) = json.loads(cli("lint", str(path), "--format", "json").out)["findings"]
    span = expected["span"]
    assert expected["code"] == "E007" and [(d["code"], d["range"], d["message"]) for d in published] == [
        ("E007", {"start": {"line": span["line"] - 1, "character": span["column"] - 1},
                  "end": {"line": span["end_line"] - 1, "character": span["end_column"] - 1}},
         "\n".join([expected["message"]] + [f"help: {h}" for h in expected["helps"]]))]
    layer = expected["helps"][0].split("`", 3)[3].rsplit("`", 1)[0]  # the layer the help writes
    line, character = position_of(EMPTY_NETWORK, "}")
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}},
         "text": f"  {layer}\n"}]})
    assert "E007" not in [d["code"] for d in client.diagnostics(uri, version=2)]


def test_formatting_is_maestroc_fmt(client: LspClient) -> None:
    text = BAD_R.replace("  ", "\t").replace("K: 64, ", "K 64 ")
    _, uri = document(client, "format.m", text)
    edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                        "options": {"tabSize": 2, "insertSpaces": True}})
    assert apply_edits(text, edits) == format_text(text)
    _, broken = document(client, "broken.m", "Network N {")
    assert client.request("textDocument/formatting", {"textDocument": {"uri": broken},
                                                      "options": {"tabSize": 2, "insertSpaces": True}}) is None


EVERY_INPUT = shared_files("inputs/**/*.m") + shared_files("bad_inputs/inputs/*.m")


def cli_diagnostics(cli, path: Path) -> set[tuple[str, int, int]]:
    """What the command line reports: `maestroc parse`'s diagnostics and, for a mapping file without errors,
    the findings of `maestroc lint` (which prints the front end's warnings apart, on stderr)."""
    parsed = json.loads(cli("parse", "--emit", "json", str(path)).out)
    found = parsed["diagnostics"]
    files = parsed["files"]
    if not any(d["severity"] == "error" for d in found) and files and files[0]["kind"] == "mapping":
        found = found + json.loads(cli("lint", "--format", "json", str(path)).out)["findings"]
    return {(d["code"], d["span"]["line"], d["span"]["column"]) if d["span"] else (d["code"], 0, 0) for d in found}


def test_every_input_gets_the_command_line_diagnostics(client: LspClient, cli, shared: Path) -> None:
    for path in EVERY_INPUT:
        uri = client.open(path)
        published = client.diagnostics(uri)
        got = {(d["code"], d["range"]["start"]["line"] + 1, d["range"]["start"]["character"] + 1)
               for d in published}
        expected = cli_diagnostics(cli, path)
        assert got == {(c, line, col) if line else (c, 1, 1) for c, line, col in expected}, path.name
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


def test_shutdown_and_exit_cleanly(tmp_path: Path) -> None:
    with LspClient([sys.executable, "-m", "maestroc", "lsp"], cwd=str(tmp_path)) as lsp:
        lsp.initialize(tmp_path, {"hw": str(HW)})
        text = TINY.read_text()
        uri = lsp.open(tmp_path / "tiny.m", text)
        lsp.diagnostics(uri)
        layer = lsp.request("textDocument/hover", at(uri, *position_of(text, "stem_7x7_s2")))
        assert "runtime" in layer["contents"]["value"]  # the workspace's hardware file
        assert lsp.close() == 0


def test_missing_extra_is_a_diagnostic(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pygls", None)
    monkeypatch.delitem(sys.modules, "maestroc.lsp.server", raising=False)
    result = cli("lsp")
    assert result.code == 2 and "error[E005]" in result.err and "maestroc[lsp]" in result.err


def test_a_bug_in_an_analysis_is_logged_and_the_server_lives_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from maestroc.lsp.server import MaestroServer

    server = MaestroServer()
    logged, published = [], []

    def broken(uri: str) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(server, "analysis", broken)
    monkeypatch.setattr(server, "window_log_message", logged.append)
    monkeypatch.setattr(server, "text_document_publish_diagnostics", published.append)
    server.publish("file:///x.m")
    assert published == [] and "internal error" in logged[0].message and "ZeroDivisionError" in logged[0].message
