"""The Lark grammars of maestroc, installed as package data of ``maestroc.grammar``."""
