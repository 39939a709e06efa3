"""A Pygments lexer for MAESTRO's ``.m`` files (mapping, model, template and hardware files).

Registered under the name ``maestro`` through the ``pygments.lexers`` entry point
(extra ``highlight``), so ``pygmentize -l maestro FILE`` and Markdown tools that
use Pygments highlight it. Its own file pattern is ``*.maestro``; ``*.m`` (also
MATLAB's and Objective-C's) is an alias pattern: Pygments picks this lexer for a
``.m`` file when :meth:`MaestroLexer.analyse_text` recognises the content.
The token rules follow grammar/dfsl.lark and grammar/hw.lark; anything else is an
``Error`` token, which the tests check never appears in MAESTRO's own inputs.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Punctuation, Whitespace

_MAESTRO_WORDS = re.compile(r"\b(Network|Layer|Dataflow|SpatialMap|TemporalMap|Cluster)\b")
_HW_LINE = re.compile(r"^\s*(num_pes|l1_size_cstr|l2_size_cstr|noc_bw_cstr|offchip_bw_cstr)\s*:", re.MULTILINE)


class MaestroLexer(RegexLexer):
    """MAESTRO's data-centric dataflow language and its hardware files."""

    name = "MAESTRO"
    aliases: ClassVar[list[str]] = ["maestro"]
    filenames: ClassVar[list[str]] = ["*.maestro"]
    alias_filenames: ClassVar[list[str]] = ["*.m"]
    mimetypes: ClassVar[list[str]] = ["text/x-maestro"]
    url = "https://github.com/maestro-project/maestro"

    tokens: ClassVar[dict[str, list]] = {
        "root": [
            (r"\s+", Whitespace),
            (r"//.*?$", Comment.Single),
            (r"\b(Network|Layer)(\s+)([A-Za-z0-9_][A-Za-z0-9_.\-]*)", bygroups(Keyword.Declaration, Whitespace,
                                                                              Name.Class)),
            (r"\b(Constant)(\s+)([A-Za-z_]\w*)", bygroups(Keyword.Declaration, Whitespace, Name.Constant)),
            (words(("Type", "Stride", "Dimensions", "Dataflow", "Accelerator"), suffix=r"\b"), Keyword),
            (words(("SpatialMap", "TemporalMap", "Cluster"), suffix=r"\b"), Name.Builtin),
            (r"\bSz\b", Name.Function),
            (words(("CONV", "TRCONV", "DSCONV", "NGCONV", "GEMM"), prefix=r"\b", suffix=r"\b"), Keyword.Type),
            (r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", Number),
            (r"[A-Za-z_]\w*['\u2019]?(?=\s*:)", Name.Attribute),
            (r"[A-Za-z_]\w*['\u2019]?", Name),
            (r"[{}();:,]", Punctuation),
        ],
    }

    @staticmethod
    def analyse_text(text: str) -> float:
        """Confidence that a ``.m`` file is MAESTRO's rather than MATLAB's."""
        if _MAESTRO_WORDS.search(text):
            return 0.9
        return 0.5 if _HW_LINE.search(text) else 0.0
