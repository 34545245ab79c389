"""A small writer for Compound File Binary files ([MS-CFB], "OLE2"), as used by vbaProject.bin.

olefile reads compound files but can only overwrite a stream with one of the same size,
and the pure-Python packages on PyPI are read-only or write through side files, so the
add-in build writes its vbaProject.bin with this ~150-line writer: version 3 (512-byte
sectors), streams under 4096 bytes in the mini stream, every directory's children in a
balanced red-black tree, all timestamps zero so the same input gives the same bytes.

`write_compound_file({"PROJECT": b"...", "VBA/dir": b"..."})` returns the file's bytes;
storages are implied by the paths.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_ROOT, _STORAGE, _STREAM = 5, 1, 2
_RED, _BLACK = 0, 1


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, "_Entry"] = field(default_factory=dict)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = _BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def _sort_key(name: str) -> tuple[int, str]:
    """[MS-CFB] 2.6.4: shorter names first, then by upper-cased code points."""
    return (len(name), name.upper())


def _tree(entries: list[_Entry], depth: int, max_depth: int) -> int:
    """Balanced binary search tree over sorted entries; returns the root's id.

    Nodes on the deepest level of an incomplete tree are red, all others black: every
    path from the root to a leaf then passes the same number of black nodes.
    """
    if not entries:
        return NOSTREAM
    mid = len(entries) // 2
    node = entries[mid]
    node.color = _RED if depth == max_depth and depth > 0 else _BLACK
    node.left = _tree(entries[:mid], depth + 1, max_depth)
    node.right = _tree(entries[mid + 1:], depth + 1, max_depth)
    return node.sid


def _depth(n: int) -> int:
    """Depth of the deepest node of the balanced tree built by `_tree` over n entries."""
    return 0 if n <= 1 else 1 + _depth(n // 2)  # the left part (n // 2 entries) is never the smaller


def _chain(fat: list[int], start: int, count: int) -> None:
    for i in range(count):
        fat[start + i] = start + i + 1 if i < count - 1 else ENDOFCHAIN


def _pad(data: bytes, unit: int) -> bytes:
    return data + b"\0" * (-len(data) % unit)


def _validate_name(name: str) -> None:
    if not name or len(name) > 31 or any(c in name for c in "/\\:!"):
        raise ValueError(f"invalid compound file entry name {name!r}")


def write_compound_file(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file holding `streams` (path with '/' -> bytes)."""
    root = _Entry("Root Entry", _ROOT)
    for path, data in streams.items():
        parts = path.split("/")
        node = root
        for part in parts[:-1]:
            _validate_name(part)
            node = node.children.setdefault(part, _Entry(part, _STORAGE))
            if node.kind != _STORAGE:
                raise ValueError(f"{path}: {part!r} is both a stream and a storage")
        _validate_name(parts[-1])
        if parts[-1] in node.children:
            raise ValueError(f"duplicate stream {path!r}")
        node.children[parts[-1]] = _Entry(parts[-1], _STREAM, bytes(data))

    # directory ids in breadth-first order (root = 0)
    order: list[_Entry] = [root]
    for entry in order:
        order.extend(sorted(entry.children.values(), key=lambda e: _sort_key(e.name)))
    for sid, entry in enumerate(order):
        entry.sid = sid
    for entry in order:
        kids = sorted(entry.children.values(), key=lambda e: _sort_key(e.name))
        entry.child = _tree(kids, 0, _depth(len(kids)))

    # mini stream: every stream under the cutoff, in 64-byte mini sectors
    mini = bytearray()
    minifat: list[int] = []
    big: list[_Entry] = []
    for entry in order:
        if entry.kind != _STREAM:
            continue
        entry.size = len(entry.data)
        if entry.size == 0:
            entry.start = ENDOFCHAIN
        elif entry.size < MINI_CUTOFF:
            entry.start = len(minifat)
            count = -(-entry.size // MINI_SECTOR)
            minifat.extend([0] * count)
            _chain(minifat, entry.start, count)
            mini += _pad(entry.data, MINI_SECTOR)
        else:
            big.append(entry)

    dir_bytes_count = -(-len(order) // 4)  # 4 entries of 128 bytes per sector
    minifat_sectors = -(-len(minifat) * 4 // SECTOR)
    mini_sectors = -(-len(mini) // SECTOR)
    big_sectors = sum(-(-e.size // SECTOR) for e in big)
    body = dir_bytes_count + minifat_sectors + mini_sectors + big_sectors
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < fat_sectors + body:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("compound file too large for this writer (no DIFAT sectors)")

    total = fat_sectors + body
    fat = [FREESECT] * (fat_sectors * (SECTOR // 4))
    for i in range(fat_sectors):
        fat[i] = FATSECT
    pos = fat_sectors
    dir_start = pos
    _chain(fat, pos, dir_bytes_count)
    pos += dir_bytes_count
    minifat_start = pos if minifat_sectors else ENDOFCHAIN
    _chain(fat, pos, minifat_sectors)
    pos += minifat_sectors
    root.start = pos if mini_sectors else ENDOFCHAIN
    root.size = len(mini)
    _chain(fat, pos, mini_sectors)
    pos += mini_sectors
    for entry in big:
        count = -(-entry.size // SECTOR)
        entry.start = pos
        _chain(fat, pos, count)
        pos += count
    assert pos == total

    header = bytearray(SECTOR)
    struct.pack_into("<8s16sHHHHH6sIIIIIIIII", header, 0, _SIGNATURE, b"\0" * 16, 0x003E, 0x0003, 0xFFFE, 9, 6,
                     b"\0" * 6, 0, fat_sectors, dir_start, 0, MINI_CUTOFF, minifat_start, minifat_sectors,
                     ENDOFCHAIN, 0)
    difat = list(range(fat_sectors)) + [FREESECT] * (109 - fat_sectors)
    struct.pack_into("<109I", header, 76, *difat)

    directory = bytearray()
    for entry in order:
        raw = entry.name.encode("utf-16-le")
        directory += struct.pack("<64sHBBIII16sIQQIQ", raw, len(raw) + 2, entry.kind, entry.color, entry.left,
                                 entry.right, entry.child, b"\0" * 16, 0, 0, 0,
                                 entry.start if entry.kind != _STORAGE else 0, entry.size)
    while len(directory) % SECTOR:
        directory += struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\0" * 16,
                                 0, 0, 0, 0, 0)

    out = bytearray(header)
    out += struct.pack(f"<{len(fat)}I", *fat)
    out += directory
    out += _pad(struct.pack(f"<{len(minifat)}I", *minifat), SECTOR) if minifat_sectors else b""
    out += _pad(bytes(mini), SECTOR)
    for entry in big:
        out += _pad(entry.data, SECTOR)
    assert len(out) == SECTOR * (1 + total)
    return bytes(out)
