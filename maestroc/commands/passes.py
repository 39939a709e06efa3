"""`maestroc passes`: list the pass pipeline."""

from __future__ import annotations

import argparse

from maestroc.commands.common import EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("passes", help="list the pass pipeline", description="List the passes, in order.")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from maestroc.passes import PIPELINE

    width = max(len(p.name) for p in PIPELINE)
    for index, p in enumerate(PIPELINE, start=1):
        print(f"{index:>2}. {p.name:<{width}}  {p.summary}")
    return EXIT_OK
