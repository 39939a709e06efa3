"""``maestroc lsp``: the language server (pygls, over stdio).

Diagnostics are computed after each change once the document has been quiet for
:data:`DEBOUNCE_SECONDS`, and published; the analysis is kept for the hovers,
definitions, references, symbols and quick fixes of that version. A request
about a version not analysed yet analyses it first, so answers always match the
text the editor shows. Everything runs on the server's event loop: one analysis
at a time, never two versions of one document mixed.
"""

from __future__ import annotations

import asyncio
import gc
import traceback
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from maestroc import __version__
from maestroc.diagnostics import Diagnostic, InputError, Severity, Span
from maestroc.fmt import FormatterBug, format_text
from maestroc.lsp import navigation
from maestroc.lsp.analysis import Analysis, analyse
from maestroc.lsp.editing import completions, quick_fixes
from maestroc.lsp.hover import hover_text

DEBOUNCE_SECONDS = 0.05
# After an analysis its objects (hundreds of thousands for a long file) are moved out of the cyclic garbage
# collector's sight (gc.freeze): they are acyclic and freed by reference counting, and a full collection scanning
# them would otherwise land in the middle of the next analysis. Once the editor has been quiet this long, one full
# collection runs, so that any cyclic garbage is still reclaimed and memory stays bounded.
IDLE_COLLECT_SECONDS = 5.0
_SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning,
             Severity.NOTE: types.DiagnosticSeverity.Information}
_COMPLETION_KIND = {"keyword": types.CompletionItemKind.Keyword, "directive": types.CompletionItemKind.Function,
                    "dimension": types.CompletionItemKind.Field, "type": types.CompletionItemKind.Class,
                    "key": types.CompletionItemKind.Property}


class MaestroServer(LanguageServer):
    """The server, with one analysis per open document and the workspace's hardware file."""

    def __init__(self) -> None:
        super().__init__("maestroc", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.analyses: dict[str, Analysis] = {}
        self.versions: dict[str, int | None] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.idle_collect: asyncio.TimerHandle | None = None
        self.workspace_hw: str | None = None
        self.workspace_root: Path | None = None

    def analysis(self, uri: str) -> Analysis:
        """The analysis of the document's current text (computed now if the last one is stale)."""
        document = self.workspace.get_text_document(uri)
        current = self.analyses.get(uri)
        if current is None or self.versions.get(uri) != document.version or current.text != document.source:
            current = analyse(document.source, to_fs_path(uri) or uri, self.workspace_hw, self.workspace_root,
                              previous=current)
            self.analyses[uri], self.versions[uri] = current, document.version
        return current

    def publish(self, uri: str) -> None:
        """Analyse and publish; a bug in maestroc is logged to the editor and the server keeps running."""
        try:
            analysis = self.analysis(uri)
        except Exception:  # noqa: BLE001 -- a bug in maestroc: say so instead of going silent
            self.window_log_message(types.LogMessageParams(
                types.MessageType.Error, f"maestroc lsp: internal error analysing {uri}; please report it with "
                                         f"the file:\n{traceback.format_exc()}"))
            return
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=self.versions.get(uri), diagnostics=[to_lsp(d) for d in analysis.diagnostics]))
        gc.freeze()
        if self.idle_collect is not None:
            self.idle_collect.cancel()
        self.idle_collect = asyncio.get_running_loop().call_later(IDLE_COLLECT_SECONDS, _collect)

    def schedule(self, uri: str) -> None:
        """Publish the diagnostics once the document has not changed for DEBOUNCE_SECONDS."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()

        async def later() -> None:
            await asyncio.sleep(DEBOUNCE_SECONDS)
            self.pending.pop(uri, None)
            self.publish(uri)

        self.pending[uri] = asyncio.get_running_loop().create_task(later())


def _collect() -> None:
    """A full garbage collection over everything (see IDLE_COLLECT_SECONDS)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def to_range(span: Span | None) -> types.Range:
    if span is None:
        return types.Range(types.Position(0, 0), types.Position(0, 0))
    return types.Range(types.Position(span.line - 1, span.column - 1),
                       types.Position(span.end_line - 1, span.end_column - 1))


def to_lsp(diagnostic: Diagnostic) -> types.Diagnostic:
    """A diagnostic as the protocol's: the CLI's code, severity, range, message, notes and helps."""
    message = "\n".join([diagnostic.message] + [f"note: {n}" for n in diagnostic.notes] +
                        [f"help: {h}" for h in diagnostic.helps])
    related = [types.DiagnosticRelatedInformation(
        types.Location(_uri(span.path), to_range(span)), text) for span, text in diagnostic.related]
    return types.Diagnostic(range=to_range(diagnostic.span), message=message, severity=_SEVERITY[diagnostic.severity],
                            code=diagnostic.code, source="maestroc", related_information=related or None)


def _uri(path: str) -> str:
    return Path(path).resolve().as_uri() if not path.startswith("<") else path


def _position(position: types.Position) -> tuple[int, int]:
    return position.line + 1, position.character + 1


server = MaestroServer()


@server.feature(types.INITIALIZE)
def initialize(ls: MaestroServer, params: types.InitializeParams) -> None:
    options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
    ls.workspace_hw = options.get("hw")
    if params.root_uri:
        ls.workspace_root = Path(to_fs_path(params.root_uri) or ".")


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
def did_change_configuration(ls: MaestroServer, params: types.DidChangeConfigurationParams) -> None:
    settings = params.settings if isinstance(params.settings, dict) else {}
    section = settings.get("maestroc", settings)
    if isinstance(section, dict) and "hw" in section:
        ls.workspace_hw = section["hw"]
        ls.analyses.clear()
        for uri in list(ls.workspace.text_documents):
            ls.schedule(uri)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: MaestroServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: MaestroServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: MaestroServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: MaestroServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    task = ls.pending.pop(uri, None)
    if task is not None:
        task.cancel()
    ls.analyses.pop(uri, None)
    ls.versions.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: MaestroServer, params: types.HoverParams) -> types.Hover | None:
    text = hover_text(ls.analysis(params.text_document.uri), *_position(params.position))
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def definition(ls: MaestroServer, params: types.DefinitionParams) -> types.Location | None:
    analysis = ls.analysis(params.text_document.uri)
    constant = navigation.constant_under(analysis.tree, *_position(params.position))
    if constant is None:
        return None
    return types.Location(params.text_document.uri, to_range(constant.name_span))


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def references(ls: MaestroServer, params: types.ReferenceParams) -> list[types.Location]:
    analysis = ls.analysis(params.text_document.uri)
    constant = navigation.constant_under(analysis.tree, *_position(params.position))
    if constant is None:
        return []
    spans = navigation.constant_uses(analysis.tree, constant.name)  # type: ignore[arg-type]
    if params.context.include_declaration:
        spans = [constant.name_span] + spans
    return [types.Location(params.text_document.uri, to_range(span)) for span in spans]


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(ls: MaestroServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    return [_symbol(symbol) for symbol in navigation.symbols(ls.analysis(params.text_document.uri).tree)]


def _symbol(symbol: navigation.Symbol) -> types.DocumentSymbol:
    kinds = {"constant": types.SymbolKind.Constant, "network": types.SymbolKind.Module,
             "layer": types.SymbolKind.Class, "dataflow": types.SymbolKind.Struct,
             "key": types.SymbolKind.Property}
    return types.DocumentSymbol(name=symbol.name, detail=symbol.detail, kind=kinds[symbol.kind],
                                range=to_range(symbol.span), selection_range=to_range(symbol.name_span),
                                children=[_symbol(child) for child in symbol.children] or None)


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["(", ":", " "]))
def completion(ls: MaestroServer, params: types.CompletionParams) -> types.CompletionList:
    document = ls.workspace.get_text_document(params.text_document.uri)
    items = [types.CompletionItem(
        label=c.label, kind=_COMPLETION_KIND[c.kind], detail=c.detail or None, insert_text=c.insert,
        insert_text_format=types.InsertTextFormat.Snippet if "${" in c.insert else types.InsertTextFormat.PlainText)
        for c in completions(document.source, *_position(params.position))]
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_action(ls: MaestroServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    analysis = ls.analysis(uri)
    wanted = params.range
    actions = []
    for diagnostic in analysis.diagnostics:
        where = to_range(diagnostic.span)
        if (where.end.line, where.end.character) < (wanted.start.line, wanted.start.character) or \
                (where.start.line, where.start.character) > (wanted.end.line, wanted.end.character):
            continue
        for fix in quick_fixes(diagnostic, analysis.tree, analysis.lines):
            edit = types.TextEdit(range=to_range(fix.span), new_text=fix.new_text)
            actions.append(types.CodeAction(title=fix.title, kind=types.CodeActionKind.QuickFix,
                                            diagnostics=[to_lsp(diagnostic)], is_preferred=True,
                                            edit=types.WorkspaceEdit(changes={uri: [edit]})))
    return actions


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: MaestroServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
    """The whole document in `maestroc fmt`'s layout; nothing when it has a syntax error."""
    document = ls.workspace.get_text_document(params.text_document.uri)
    try:
        formatted = format_text(document.source, to_fs_path(params.text_document.uri) or "<document>")
    except (InputError, FormatterBug):  # a syntax error (shown as a diagnostic already): leave the text alone
        return None
    if formatted == document.source:
        return []
    lines = document.source.split("\n")
    end = types.Position(len(lines) - 1, len(lines[-1]))
    return [types.TextEdit(range=types.Range(types.Position(0, 0), end), new_text=formatted)]


def serve() -> None:
    """Run the server on stdin/stdout until the client asks it to exit."""
    server.start_io()
