"""Well-formed text straight to the AST, without Lark: the fast path of :mod:`maestroc.parser`.

Lark's LALR parser builds a parse tree token by token in Python and a Transformer
then walks it again; on a 288-layer network that was half of a compile's time.
This module reads the same grammars (grammar/dfsl.lark, grammar/hw.lark) with
one regular expression for all tokens and a recursive-descent reader, and builds
the very same AST nodes with the very same spans.

It only ever answers for text it is sure of: at the first token that is not
what the grammar expects (or whose reading by Lark's contextual lexer could
differ from this one's, e.g. a keyword glued to a name), it gives up and
returns None, and the caller parses the file with Lark, which reports the
errors with recovery. So every diagnostic comes from one place, and a file
either gets this module's AST or Lark's, which are equal whenever both exist
(tests/test_direct_parser.py checks this on every sample and on mutated files).
The optional ``Accelerator`` block is left to Lark.
"""

from __future__ import annotations

import re

from maestroc import ast
from maestroc.diagnostics import Span

# Lexical classes (compare grammar/*.lark). Every character that is not Lark's `WS` (space, tab, form
# feed, CR, LF) is part of a token: punctuation, a word (a name, number or layer name, read by the
# grammar's context below), a comment, or any other single character, which ends the fast path.
_TOKENS = re.compile(r"([{}();:,])|([A-Za-z0-9_][A-Za-z0-9_.\-]*['\u2019]?|-[0-9][A-Za-z0-9_.\-]*)|//[^\n]*"
                     r"|([^ \t\x0c\r\n])")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*['\u2019]?")
_QUALNAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HW_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_MAP_KINDS = ("SpatialMap", "TemporalMap")


class _Unsure(Exception):
    """The text is not one this reader is sure to read as Lark does: Lark parses it."""


def dim_name(text: str) -> str:
    """A dimension name as the analysis spells it (``Y’`` with a typographic apostrophe is ``Y'``)."""
    return text.replace("\u2019", "'")


def number_value(text: str) -> int | float:
    """A NUMBER token's value: an int unless the text has a fraction or an exponent."""
    return float(text) if "." in text or "e" in text or "E" in text else int(text)


def parse_well_formed(text: str, path: str, kind: str) -> ast.SourceFile | None:
    """The AST of ``text`` (newlines already normalised) if it is well formed, else None (nothing reported)."""
    tokens = _tokens(text)
    if tokens is None:
        return None
    reader = _Reader(tokens, path)
    try:
        return reader.hardware_file() if kind == "hw" else reader.mapping_file()
    except (_Unsure, IndexError, ValueError):  # the text ended inside a construct (an index or unpacking fails)
        return None


def _tokens(text: str) -> list[tuple[str, int, int]] | None:
    """(text, line, column) of every token, comments left out; None at a character no token starts with.

    No token spans lines, so the text is read line by line: the column is the match's offset.
    """
    tokens = []
    append = tokens.append
    finditer = _TOKENS.finditer
    for number, line in enumerate(text.split("\n"), start=1):
        for match in finditer(line):
            group = match.lastindex
            if group is None:  # a comment
                continue
            if group == 3:
                return None
            append((match.group(group), number, match.start() + 1))
    return tokens


class _Reader:
    """Recursive descent over the token list, one method per grammar rule; raises _Unsure on any surprise."""

    def __init__(self, tokens: list[tuple[str, int, int]], path: str) -> None:
        self.tokens = tokens
        self.path = path
        self.at = 0

    # ---- tokens ----------------------------------------------------------------------------------
    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def take(self, expected: str) -> tuple[str, int, int]:
        """The next token, which must be ``expected`` (punctuation or a keyword)."""
        token = self.tokens[self.at]
        if token[0] != expected:
            raise _Unsure
        self.at += 1
        return token

    def take_if(self, expected: str) -> tuple[str, int, int] | None:
        if self.at < len(self.tokens) and self.tokens[self.at][0] == expected:
            self.at += 1
            return self.tokens[self.at - 1]
        return None

    def take_matching(self, pattern: re.Pattern[str]) -> tuple[str, int, int]:
        """The next token, which must be wholly a token of the terminal ``pattern`` (NAME, NUMBER, ...)."""
        token = self.tokens[self.at]
        if pattern.fullmatch(token[0]) is None:
            raise _Unsure
        self.at += 1
        return token

    def span(self, first: tuple[str, int, int], last: tuple[str, int, int]) -> Span:
        """From the start of token ``first`` to the end of token ``last`` (a rule's span, as Lark's meta)."""
        return Span(self.path, first[1], first[2], last[1], last[2] + len(last[0]))

    def token_span(self, token: tuple[str, int, int]) -> Span:
        return Span(self.path, token[1], token[2], token[1], token[2] + len(token[0]))

    # ---- mapping files (grammar/dfsl.lark) -------------------------------------------------------
    def mapping_file(self) -> ast.MappingFile:
        constants: list[ast.Constant] = []
        networks: list[ast.Network] = []
        templates: list[ast.Dataflow] = []
        loose: list[ast.MapDirective | ast.ClusterDirective] = []
        while (word := self.peek()) is not None:
            if word == "Constant":
                constants.append(self.constant())
            elif word == "Network":
                networks.append(self.network())
            elif word == "Dataflow":
                templates.append(self.dataflow())
            else:  # bare directives make a template; anything else (e.g. an Accelerator block) goes to Lark
                loose.append(self.directive())
        if loose:
            first, last = loose[0].span, loose[-1].span
            templates.append(ast.Dataflow(tuple(loose), Span(self.path, first.line, first.column,
                                                             last.end_line, last.end_column)))
        return ast.MappingFile(self.path, tuple(constants), tuple(networks), (), tuple(templates))

    def constant(self) -> ast.Constant:
        first = self.take("Constant")
        name = self.take_matching(_NAME)
        value = self.value()
        last = self.take(";")
        return ast.Constant(name[0], value, self.token_span(name), self.span(first, last))

    def network(self) -> ast.Network:
        first = self.take("Network")
        name = self.take_matching(_QUALNAME)
        self.take("{")
        layers = []
        while (last := self.take_if("}")) is None:
            layers.append(self.layer())
        return ast.Network(name[0], self.token_span(name), tuple(layers), self.span(first, last))

    def layer(self) -> ast.Layer:
        first = self.take("Layer")
        name = self.take_matching(_QUALNAME)
        self.take("{")
        items: list[ast.LayerItem] = []
        while (last := self.take_if("}")) is None:
            word = self.peek()
            if word == "Type":
                self.at += 1
                self.take_if(":")
                type_name = self.take_matching(_NAME)
                items.append(ast.TypeDecl(type_name[0], self.token_span(type_name)))
            elif word == "Stride":
                start, entries, end = self.dim_entries("Stride")
                items.append(ast.Stride(entries, self.span(start, end)))
            elif word == "Dimensions":
                start, entries, end = self.dim_entries("Dimensions")
                items.append(ast.Dimensions(entries, self.span(start, end)))
            else:
                items.append(self.dataflow())
        return ast.Layer(name[0], self.token_span(name), tuple(items), self.span(first, last))

    def dim_entries(self, keyword: str) -> tuple[tuple[str, int, int], tuple[ast.DimEntry, ...], tuple[str, int, int]]:
        """``Stride { ... }`` or ``Dimensions { ... }``: its first token, entries and last token."""
        first = self.take(keyword)
        self.take("{")
        entries = []
        while (last := self.take_if("}")) is None:
            name = self.take_matching(_NAME)
            self.take_if(":")
            value = self.value()
            end = value.span
            entries.append(ast.DimEntry(dim_name(name[0]), value, self.token_span(name),
                                        Span(self.path, name[1], name[2], end.end_line, end.end_column)))
            self.take_if(",")
        return first, tuple(entries), last

    def dataflow(self) -> ast.Dataflow:
        first = self.take("Dataflow")
        self.take("{")
        directives = []
        while (last := self.take_if("}")) is None:
            directives.append(self.directive())
        return ast.Dataflow(tuple(directives), self.span(first, last))

    def directive(self) -> ast.MapDirective | ast.ClusterDirective:
        # The hot path of a large network (a dozen directives a layer): tokens are compared in place.
        tokens, path = self.tokens, self.path
        first = tokens[self.at]
        if tokens[self.at + 1][0] != "(":
            raise _Unsure
        self.at += 2
        size = self.value()
        if tokens[self.at][0] != ",":
            raise _Unsure
        self.at += 1
        if first[0] == "Cluster":
            cluster_type, close, last = tokens[self.at:self.at + 3]
            if close[0] != ")" or last[0] != ";" or not _NAME.fullmatch(cluster_type[0]):
                raise _Unsure
            self.at += 3
            return ast.ClusterDirective(size, cluster_type[0], self.token_span(cluster_type),
                                        Span(path, first[1], first[2], last[1], last[2] + 1))
        if first[0] not in _MAP_KINDS:
            raise _Unsure
        offset = self.value()
        close, dim, last = tokens[self.at:self.at + 3]
        if close[0] != ")" or last[0] != ";" or not _NAME.fullmatch(dim[0]):
            raise _Unsure
        self.at += 3
        return ast.MapDirective(first[0], size, offset, dim_name(dim[0]),  # type: ignore[arg-type]
                                Span(path, dim[1], dim[2], dim[1], dim[2] + len(dim[0])),
                                Span(path, first[1], first[2], last[1], last[2] + 1))

    def value(self) -> ast.Value:
        token = self.tokens[self.at]
        word, line, column = token
        if word == "Sz":  # Lark's lexer reads `Sz` as the keyword wherever a value may start
            opening, dim, last = self.tokens[self.at + 1:self.at + 4]
            if opening[0] != "(" or last[0] != ")" or not _NAME.fullmatch(dim[0]):
                raise _Unsure
            self.at += 4
            return ast.SizeOf(dim_name(dim[0]), self.token_span(dim),
                              Span(self.path, line, column, last[1], last[2] + 1))
        if _NAME.fullmatch(word):
            self.at += 1
            return ast.ConstRef(word, Span(self.path, line, column, line, column + len(word)))
        if _NUMBER.fullmatch(word) is None:
            raise _Unsure
        self.at += 1
        return ast.Number(number_value(word), Span(self.path, line, column, line, column + len(word)))

    # ---- hardware files (grammar/hw.lark) --------------------------------------------------------
    def hardware_file(self) -> ast.HardwareFile:
        entries = []
        while self.at < len(self.tokens):
            key = self.take_matching(_KEY)
            self.take_if(":")
            word = self.peek()
            value: ast.Number | ast.Word
            if word is not None and _KEY.fullmatch(word):  # a named choice: noc_topology: systolic
                token = self.take_matching(_KEY)
                value = ast.Word(token[0], self.token_span(token))
            else:
                token = self.take_matching(_HW_NUMBER)
                value = ast.Number(number_value(token[0]), self.token_span(token))
            last = self.take_if(";") or token
            entries.append(ast.HwEntry(key[0], value, self.token_span(key), self.span(key, last)))
        return ast.HardwareFile(self.path, tuple(entries))
