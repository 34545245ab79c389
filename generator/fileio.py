"""Writing files: atomically, and readable by others as any new file would be.

Every file the toolkit writes (workbooks, CSVs, data files, PDFs, the add-in) goes through
`atomic_write`: the content is written to a temporary file in the target's folder and
renamed into place, so an interrupted run never leaves a half-written file behind. A
temporary file is created owner-only (mode 0600), so before the rename it gets the mode a
plain `open(path, "w")` would give: the existing file's mode when replacing one, else
0666 minus the umask (0644 under the usual umask 022), so colleagues on a shared drive can
open what the toolkit wrote.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Callable, Iterable


def current_umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and put back at once
    os.umask(mask)
    return mask


def new_file_mode(target: Path) -> int:
    """The mode `open(target, "w")` would leave: the existing file's, else 0666 minus the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def atomic_write(target: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` to fill a temporary file beside `target`, then rename it into place.
    When `write` raises, `target` is left as it was and the temporary file is removed
    (a set of one: see write_set)."""
    return write_set([(Path(target), write)])[0]


def write_bytes(target: str | Path, data: bytes) -> Path:
    """`data` into `target`, atomically."""
    return atomic_write(target, lambda tmp: tmp.write_bytes(data))


def write_text(target: str | Path, text: str) -> Path:
    """`text` (UTF-8) into `target`, atomically."""
    return atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_set(jobs: list[tuple[Path, Callable[[Path], object]]]) -> list[Path]:
    """Write several files as a set: each to a hidden temporary name beside its target, and all
    renamed into place only when every one was written. On any failure (a full disk included)
    the temporary files are removed and no target is created or replaced."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, write in jobs:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            staged.append((tmp, target))
            try:
                write(tmp)
                os.chmod(tmp, new_file_mode(target))
            except Exception as exc:  # a writer's own wrapper round an OSError (xlsxwriter's FileCreateError): say so plainly
                cause = exc if isinstance(exc, OSError) else (exc.__cause__ or exc.__context__)
                if isinstance(cause, OSError) and not isinstance(exc, OSError):
                    raise OSError(cause.errno, cause.strerror or str(cause), str(target)) from exc
                raise
        for tmp, target in staged:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            if tmp.exists():
                tmp.unlink()
    return [target for _, target in staged]


class OutputOverInput(ValueError):
    """An output path that would overwrite one of the command's inputs or land in a folder it reads."""


def _existing_ancestors(path: Path) -> list[Path]:
    """path and each of its parents that exists, nearest first (absolute, links resolved)."""
    full = Path(os.path.abspath(path))
    return [p for p in (full, *full.parents) if p.exists()]


def _same(a: Path, b: Path) -> bool:
    """The same file or folder on disk: through links, `..`, a relative path, another letter
    case on a file system that ignores case, or a second hard link."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def refuse_overwrite(outputs: Iterable[Path | None], inputs: Iterable[Path | None] = (),
                     folders: Iterable[Path | None] = ()) -> None:
    """Raise OutputOverInput when an output (a file or a folder the command writes into) is one
    of the input files, or is or lies inside one of the folders the command reads. Called by
    every command before it writes anything, so a slip of `-o` never destroys a user's work."""
    ins = [Path(p) for p in inputs if p is not None]
    dirs = [Path(d) for d in folders if d is not None and Path(d).is_dir()]
    for out in (Path(o) for o in outputs if o is not None):
        here = _existing_ancestors(out)
        if here and here[0] == Path(os.path.abspath(out)):  # the output itself exists: is it an input?
            hit = next((i for i in ins if _same(out, i)), None)
            if hit is not None:
                raise OutputOverInput(f"{out}: this is {hit}, an input of this command; write the output to "
                                      "another file; nothing was written")
        for d in dirs:
            if any(_same(a, d) for a in here):
                raise OutputOverInput(f"{out}: lies inside {d}, a folder this command reads; write the output "
                                      "outside it; nothing was written")
