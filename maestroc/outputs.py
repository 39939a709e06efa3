"""Writing results: atomically to a file, or to stdout; never silently over a user's files."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when a table is printed
    from rich.console import Console


def write_output(path: str | None, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file renamed over it), or to stdout."""
    if path is None or path == "-":
        sys.stdout.write(text)
        return
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:  # report the file the user named, not our temporary one
        raise OSError(error.errno, error.strerror, str(target)) from error
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def table_console() -> Console:
    """A console for tables: the terminal's width, or wide enough not to wrap when redirected."""
    from rich.console import Console

    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=200)


def prepare_output_dir(path: str, option: str) -> str | None:
    """Create ``path`` for output files; a problem message if it exists and is not an empty folder."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        return f"{option} {path}: exists and is not a folder"
    if folder.is_dir() and any(folder.iterdir()):
        return f"{option} {path}: folder is not empty (maestroc does not overwrite files it did not write)"
    folder.mkdir(parents=True, exist_ok=True)
    return None
