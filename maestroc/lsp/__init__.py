"""The language server of ``maestroc lsp`` (extra ``lsp``: pygls and lsprotocol).

analysis.py runs the project's front end, pipeline and lint rules on a document,
re-parsing only the edited layers (incremental.py) and re-lowering only the
changed ones (lowering.py); navigation.py finds nodes, Constants and symbols in
its AST; hover.py and editing.py (completion, quick fixes) answer requests;
server.py wires them to pygls; client.py is a small synchronous client that the
tests and bench/lsp_bench.py drive the server with.
"""
