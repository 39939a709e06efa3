"""Where results go: the one place that decides how maestroc writes a file or a folder.

The rule is the same for every command (docs/outputs.md):

* no path, or ``-``: standard output;
* a path that is one of the command's inputs (the same file, through any name) is refused;
* a new path is created atomically: the text goes to ``NAME.maestroc-PID.tmp`` beside it, which is
  then renamed over ``NAME``, so a reader never sees half a file; the new file gets the mode the
  umask gives; temporaries left by a killed maestroc (their process is gone) are removed;
* an existing regular file is replaced the same way, keeping its mode (and owner, when maestroc runs
  as root), and only with ``--force``;
* a symbolic link is followed: its target is written by these rules and the link is kept;
* a FIFO or a character device is written through (opened and written, never replaced);
* ``""``, a path ending in ``/``, a folder, a block device or a socket is refused;
* a folder for several files (``dse -o DIR``, ``--dump-dir DIR``) is created if missing and must be
  empty unless ``--force``; with ``--force`` maestroc's files in it are replaced and others kept.

Every refusal is an :class:`OutputError` whose message names the path the user gave.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when a table is printed
    from rich.console import Console

TEMPORARY_SUFFIX = ".maestroc-{pid}.tmp"
_TEMPORARY = re.compile(r"^.+\.maestroc-(?P<pid>\d+)\.tmp$")
_REDIRECTED_WIDTH = 200  # wide enough that a table sent to a file or pipe does not wrap
IMAGE_FORMATS = ("png", "pdf", "svg")


class OutputError(OSError):
    """An output path maestroc will not write: ``filename`` is the user's path, ``strerror`` the reason."""

    def __init__(self, option: str, path: str, reason: str) -> None:
        shown = repr(path) if not path or path != path.strip() else path
        super().__init__(errno.EINVAL, reason, shown)  # the CLI prints "cannot write PATH: REASON"
        self.option = option

    def __str__(self) -> str:
        return f"{self.option} {self.filename}: {self.strerror}"


@dataclass(frozen=True)
class _Plan:
    """How one checked path is written: ``through`` an existing FIFO/device, or by atomic ``replace``."""

    target: Path  # symbolic links resolved
    through: bool
    existing: os.stat_result | None = None


@dataclass
class OutputWriter:
    """The output rule bound to one command run: its input files and whether --force was given."""

    inputs: tuple[str, ...] = ()
    force: bool = False
    _input_ids: set[tuple[int, int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._input_ids = set()
        for path in self.inputs:
            try:
                status = os.stat(path)
            except (OSError, ValueError):  # not a file (yet): nothing to protect
                continue
            self._input_ids.add((status.st_dev, status.st_ino))

    def check_file(self, path: str, option: str = "-o") -> None:
        """Raise OutputError if ``path`` may not be written as one file (call before the work)."""
        self._plan(path, option)

    def write(self, path: str | None, data: str | bytes, option: str = "-o") -> None:
        """Write ``data`` to ``path`` by the rule above, or to standard output for None or ``-``."""
        if path is None or path == "-":
            if isinstance(data, bytes):
                sys.stdout.flush()
                sys.stdout.buffer.write(data)
            else:
                sys.stdout.write(data)
            return
        plan = self._plan(path, option)
        payload = data.encode("utf-8") if isinstance(data, str) else data
        try:
            if plan.through:
                _write_through(plan.target, payload)
            else:
                replace_atomically(plan.target, payload, plan.existing)
        except OSError as error:  # name the user's path, never a temporary or resolved one
            raise OSError(error.errno, error.strerror, path) from error

    def check_folder(self, path: str, option: str) -> None:
        """Raise OutputError if ``path`` may not receive output files (call before the work)."""
        if not path:
            raise OutputError(option, path, "names no folder")
        folder = Path(path)
        if folder.exists() and not folder.is_dir():
            raise OutputError(option, path, "exists and is not a folder")
        if not self.force and folder.is_dir() and any(folder.iterdir()):
            raise OutputError(option, path, "folder is not empty; use --force to write into it (files of the "
                                            "same names are replaced, others are kept)")

    def prepare_folder(self, path: str, option: str) -> None:
        """Check ``path`` as a folder for output files and create it."""
        self.check_folder(path, option)
        Path(path).mkdir(parents=True, exist_ok=True)

    def _plan(self, path: str, option: str) -> _Plan:
        if not path:
            raise OutputError(option, path, "names no file")
        if path.endswith(("/", os.sep)):
            raise OutputError(option, path, "ends with `/`, so it names a folder; give a file name")
        target = Path(os.path.realpath(path))
        try:
            status = os.stat(path)  # through the links, /proc/self/fd/N (what /dev/stdout is) included
        except FileNotFoundError:
            return _Plan(target, through=False)
        except OSError as error:
            raise OutputError(option, path, f"cannot be checked ({error.strerror})") from error
        if (status.st_dev, status.st_ino) in self._input_ids:
            raise OutputError(option, path, "is an input of this command; maestroc never writes over its inputs")
        mode = status.st_mode
        if stat.S_ISDIR(mode):
            raise OutputError(option, path, "is a folder; give a file name")
        if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):  # opened by the user's path: a pipe has no real path
            return _Plan(Path(path), through=True)
        if stat.S_ISBLK(mode):
            raise OutputError(option, path, "is a block device; maestroc does not write to disks")
        if not stat.S_ISREG(mode):
            raise OutputError(option, path, "is not a file maestroc can write (a socket or similar)")
        if not self.force:
            raise OutputError(option, path, "exists; use --force to replace it")
        return _Plan(target, through=False, existing=status)


def _write_through(target: Path, payload: bytes) -> None:
    """Write into an existing FIFO or character device as it is (no temporary, no rename)."""
    descriptor = os.open(target, os.O_WRONLY)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(payload)


def replace_atomically(target: Path, payload: bytes, existing: os.stat_result | None) -> None:
    """Write a temporary beside ``target`` and rename it over ``target``, keeping an existing file's mode and
    owner. The one atomic write of maestroc: every output, and fmt's rewriting of the file it was asked to format."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent)
    temporary = target.with_name(target.name[:200] + TEMPORARY_SUFFIX.format(pid=os.getpid()))
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask decides
    except FileExistsError:  # left by an earlier process that had our process id
        os.unlink(temporary)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if existing is not None:  # the replaced file's owner (when we may set it) and mode
                if (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
                    with contextlib.suppress(PermissionError):
                        os.fchown(handle.fileno(), existing.st_uid, existing.st_gid)
                os.fchmod(handle.fileno(), stat.S_IMODE(existing.st_mode))
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove ``*.maestroc-PID.tmp`` files in ``folder`` whose process no longer runs; the ones removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match and entry.is_file(follow_symlinks=False) and not _process_alive(int(match["pid"])):
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                continue
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process, or not a process id at all
        return True
    return True


def image_format(path: str, option: str = "-o") -> str:
    """The image format named by ``path``'s extension; OutputError if it is not one maestroc draws."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in IMAGE_FORMATS:
        listed = ", ".join(f".{name}" for name in IMAGE_FORMATS)
        raise OutputError(option, path, f"a plot is written as {listed}; end the file name with one of them")
    return suffix


def table_console() -> Console:
    """A console for tables: $COLUMNS or the terminal's width, else (redirected) 200 columns."""
    from rich.console import Console

    console = Console(highlight=False)
    explicit = os.environ.get("COLUMNS", "").isdigit()
    return console if console.is_terminal or explicit else Console(highlight=False, width=_REDIRECTED_WIDTH)


def table_text(renderable: object) -> str:
    """A rich renderable as plain text, as it prints when standard output is redirected."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=_REDIRECTED_WIDTH, highlight=False, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]
