"""Taking uploaded files in: bounded in count and size, stored under names of our own, and a
zip of workbooks opened by the same safe reader as `collect` (readback.safety).

Nothing here trusts an upload's name or its declared type: the name is only shown (escaped)
and reported; the bytes are stored under a number and a tame copy of the name, inside the
folder made for this upload, and are never served back.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Iterable

from ..readback.safety import Limits, UnsafeFile, archive_members
from .security import disk_name, display_name

MiB = 1024 * 1024


@dataclass
class UploadLimits:
    """How much one request may bring."""

    max_files: int = 1000                  # files in one request, or in one uploaded zip
    max_file_bytes: int = Limits().max_file_bytes
    max_request_bytes: int = 512 * MiB     # the whole request (Flask's MAX_CONTENT_LENGTH)
    max_archive_inflated: int = 1024 * MiB  # everything a zip of workbooks inflates to


@dataclass
class Stored:
    """One file taken in: the name its sender gave (shown, never used as a path) and where we keep it."""

    shown: str
    path: Path | None              # None: refused before storing
    refused: str = ""              # why, when refused


@dataclass
class Intake:
    files: list[Stored] = field(default_factory=list)

    @property
    def kept(self) -> list[Stored]:
        return [f for f in self.files if f.path is not None]


def _copy_bounded(src: IO[bytes], dst: Path, limit: int) -> bool:
    """Copy at most `limit` bytes; False (and nothing kept) when there are more."""
    written = 0
    with open(dst, "xb") as out:
        while True:
            chunk = src.read(1024 * 1024)
            if not chunk:
                return True
            written += len(chunk)
            if written > limit:
                break
            out.write(chunk)
    dst.unlink()
    return False


def take_in(uploads: Iterable[tuple[str | None, IO[bytes]]], folder: Path, limits: UploadLimits,
            expand_zips: bool = True) -> Intake:
    """Store every upload in `folder` (made here; it must not exist yet). A .zip is opened and
    its files stored one by one, each under the workbook limits; a zip that is refused as a
    whole (a zip bomb, unsafe names) is one refused entry with the reason."""
    folder.mkdir(parents=True)
    intake = Intake()
    index = 0

    def next_path(name: str) -> Path:
        nonlocal index
        index += 1
        return folder / disk_name(index, name)

    for raw_name, stream in uploads:
        shown = display_name(raw_name)
        if len(intake.files) >= limits.max_files:
            intake.files.append(Stored(shown, None, f"more than {limits.max_files} files in one upload; send the rest separately"))
            continue
        if expand_zips and shown.lower().endswith(".zip"):
            _take_zip(shown, stream, intake, next_path, limits)
            continue
        path = next_path(shown)
        if _copy_bounded(stream, path, limits.max_file_bytes):
            intake.files.append(Stored(shown, path))
        else:
            intake.files.append(Stored(shown, None, f"larger than {limits.max_file_bytes // MiB} MiB, more than a returned workbook may be"))
    return intake


def _take_zip(shown: str, stream: IO[bytes], intake: Intake, next_path: Callable[[str], Path], limits: UploadLimits) -> None:
    data = stream.read(limits.max_request_bytes + 1)
    if len(data) > limits.max_request_bytes:
        intake.files.append(Stored(shown, None, "the zip is larger than an upload may be"))
        return
    archive = Limits(max_file_bytes=limits.max_request_bytes, max_entries=limits.max_files,
                     max_total_inflated=limits.max_archive_inflated, max_entry_inflated=limits.max_file_bytes)
    try:
        for entry, content in archive_members(io.BytesIO(data), len(data), archive):
            inner = f"{shown}: {display_name(entry)}"
            if display_name(entry).startswith("."):
                continue                      # __MACOSX/._x and other hidden helpers of the zip tool
            if isinstance(content, UnsafeFile):
                intake.files.append(Stored(inner, None, content.message))
                continue
            if len(intake.files) >= limits.max_files:
                intake.files.append(Stored(inner, None, f"more than {limits.max_files} files in one upload; send the rest separately"))
                continue
            path = next_path(display_name(entry))
            with open(path, "xb") as out:
                out.write(content)
            intake.files.append(Stored(inner, path))
    except UnsafeFile as exc:
        intake.files.append(Stored(shown, None, f"the zip was refused: {exc.message}"))


def remove_tree(folder: Path) -> None:
    """Delete a folder of ours (uploads, builds), never following links."""
    if not folder.exists():
        return
    for root, dirs, files in os.walk(folder, topdown=False, followlinks=False):
        for name in files:
            os.unlink(os.path.join(root, name))
        for name in dirs:
            p = os.path.join(root, name)
            os.unlink(p) if os.path.islink(p) else os.rmdir(p)
    folder.rmdir()
