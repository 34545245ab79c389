"""Read and write VBA projects (vbaProject.bin) from source text, following [MS-OVBA].

A VBA project is a compound file: `PROJECT` (the project's text description),
`PROJECTwm` (module names), `VBA/dir` (compressed records: project information,
references, one record per module), `VBA/_VBA_PROJECT` (the p-code cache header) and one
compressed stream per module holding its source text.

`VbaProject.parse(bytes)` reads an existing project (xlwings' template): its information
and reference records are kept byte for byte, and every module's source is decompressed.
`VbaProject.to_bytes()` writes a fresh project: the kept records, a new module list and
module streams that hold source only (MODULEOFFSET 0, no p-code), and a `_VBA_PROJECT`
stream of version 0xFFFF with no performance cache, which is what [MS-OVBA] 2.3.4.1
prescribes for writers: Office then compiles the project from source on first open.

`compress`/`decompress` are the [MS-OVBA] 2.4.1 run-length/LZ77 compression.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

import olefile

from .cfb import write_compound_file

# ----------------------------------------------------------------------------- compression (2.4.1)

CHUNK = 4096


def _copy_token_shape(difference: int) -> tuple[int, int]:
    """(bit count of the offset, maximum length) of a CopyToken at `difference` bytes into a chunk."""
    bit_count = max((difference - 1).bit_length(), 4)
    return bit_count, (0xFFFF >> bit_count) + 3


def decompress(data: bytes) -> bytes:
    """Decompress a CompressedContainer (signature byte 0x01, then chunks)."""
    if not data or data[0] != 0x01:
        raise ValueError("not an MS-OVBA compressed container (signature byte 0x01 missing)")
    out = bytearray()
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError("truncated chunk header")
        header = struct.unpack_from("<H", data, pos)[0]
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0b111 != 0b011:
            raise ValueError(f"bad chunk signature at byte {pos}")
        compressed = header >> 15
        end = min(pos + size, len(data))
        pos += 2
        start = len(out)
        if not compressed:
            out += data[pos:pos + CHUNK]
            pos += CHUNK
            continue
        while pos < end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if not (flags >> bit) & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                token = struct.unpack_from("<H", data, pos)[0]
                pos += 2
                bit_count, _ = _copy_token_shape(len(out) - start)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > len(out) - start:
                    raise ValueError("copy token points before the chunk")
                for _ in range(length):  # byte by byte: a copy may overlap what it writes
                    out.append(out[-offset])
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    """The compressed body (tokens) of one decompressed chunk of at most 4096 bytes."""
    out = bytearray()
    heads: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions (most recent last)
    pos = 0
    n = len(chunk)
    while pos < n:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            best_len, best_off = 0, 0
            if pos > 0 and pos + 3 <= n:
                _, max_len = _copy_token_shape(pos)
                limit = min(max_len, n - pos)
                for cand in reversed(heads.get(chunk[pos:pos + 3], ())[-64:]):
                    length = 3
                    while length < limit and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == limit:
                            break
            if best_len >= 3:
                bit_count, _ = _copy_token_shape(pos)
                out += struct.pack("<H", ((best_off - 1) << (16 - bit_count)) | (best_len - 3))
                flags |= 1 << bit
                step = best_len
            else:
                out.append(chunk[pos])
                step = 1
            for i in range(pos, min(pos + step, n - 2)):
                heads.setdefault(chunk[i:i + 3], []).append(i)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress bytes into a CompressedContainer that `decompress` (and Office) reads back.

    A chunk whose tokens would not fit in 4096 bytes is stored raw ([MS-OVBA] 2.4.1.3.10):
    a raw chunk always holds 4096 bytes, so a short final chunk is padded with 0x00 bytes,
    which a reader gets back after the data. Source text compresses, so this happens only
    to text with almost no repeated three-byte sequences.
    """
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        chunk = data[start:start + CHUNK]
        body = _compress_chunk(chunk)
        if len(body) <= CHUNK:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
        else:  # incompressible: raw, padded to the 4096 bytes a raw chunk holds
            out += struct.pack("<H", 0x3000 | (CHUNK + 2 - 3)) + chunk.ljust(CHUNK, b"\x00")
    return bytes(out)


# ----------------------------------------------------------------------------- records


def _record(rid: int, data: bytes) -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _records(data: bytes) -> list[tuple[int, bytes]]:
    """Split a decompressed dir stream into (id, raw record bytes) in order."""
    out = []
    pos = 0
    while pos < len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        # PROJECTVERSION (0x0009): its Reserved field reads 4, but 6 bytes follow
        length = 6 + (6 if rid == 0x0009 else size)
        out.append((rid, data[pos:pos + length]))
        pos += length
        if rid == 0x0010:  # dir stream terminator
            break
    return out


def _payload(raw: bytes) -> bytes:
    return raw[6:]


MODULE_KINDS = ("Document", "Module", "Class")


@dataclass
class Module:
    """One module: its name, kind (Document, Module or Class) and source text."""

    name: str
    kind: str
    source: str
    docstring: str = ""
    help_context: int = 0
    read_only: bool = False
    private: bool = False
    workspace: str = "0, 0, 0, 0, C"

    def __post_init__(self) -> None:
        if self.kind not in MODULE_KINDS:
            raise ValueError(f"module kind must be one of {MODULE_KINDS}, got {self.kind!r}")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", self.name):
            raise ValueError(f"invalid VBA module name {self.name!r}")


@dataclass
class VbaProject:
    """A VBA project: name, kept information/reference records, modules."""

    name: str
    codepage: int
    head: list[tuple[int, bytes]]          # dir records before PROJECTMODULES, kept verbatim (but PROJECTNAME)
    project_lines: list[str]               # the PROJECT stream's lines, module lines removed
    vba_project_header: bytes = b"\xcc\x61\xff\xff\x00\x00\x00"
    modules: list[Module] = field(default_factory=list)

    @property
    def encoding(self) -> str:
        return f"cp{self.codepage}"

    # -- reading

    @classmethod
    def parse(cls, data: bytes) -> "VbaProject":
        """Read a vbaProject.bin: keep its information and references, decompress every module."""
        ole = olefile.OleFileIO(data)
        try:
            dir_data = decompress(ole.openstream("VBA/dir").read())
            records = _records(dir_data)
            ids = [rid for rid, _ in records]
            if 0x000F not in ids:
                raise ValueError("dir stream has no PROJECTMODULES record")
            split = ids.index(0x000F)
            head = records[:split]
            codepage = next(struct.unpack("<H", _payload(raw))[0] for rid, raw in head if rid == 0x0003)
            encoding = f"cp{codepage}"
            name = next(_payload(raw).decode(encoding) for rid, raw in head if rid == 0x0004)
            text = ole.openstream("PROJECT").read().decode(encoding, errors="surrogateescape")
            kinds: dict[str, str] = {}
            workspace: dict[str, str] = {}
            lines: list[str] = []
            section = ""
            for line in text.split("\r\n"):
                if line.startswith("["):
                    section = line
                key, _, value = line.partition("=")
                if not section and key in MODULE_KINDS:
                    kinds[value.split("/")[0]] = key
                    continue
                if section == "[Workspace]":
                    if key and value:
                        workspace[key] = value
                    continue
                if not section and key in ("BaseClass", "Package"):
                    raise ValueError(f"PROJECT stream: {key}= items (forms, packages) are not supported")
                lines.append(line)
            while lines and lines[-1] == "":
                lines.pop()
            header = ole.openstream("VBA/_VBA_PROJECT").read()[:7]
            modules = []
            current: dict[str, str | int | bool] = {}
            for rid, raw in records[split + 2:]:
                payload = _payload(raw)
                if rid == 0x0019:
                    current = {"name": payload.decode(encoding)}
                elif rid == 0x001A:
                    current["stream"] = payload.decode(encoding)
                elif rid == 0x001C:
                    current["doc"] = payload.decode(encoding, errors="surrogateescape")
                elif rid == 0x0031:
                    current["offset"] = struct.unpack("<I", payload)[0]
                elif rid == 0x001E:
                    current["help"] = struct.unpack("<I", payload)[0]
                elif rid == 0x0025:
                    current["readonly"] = True
                elif rid == 0x0028:
                    current["private"] = True
                elif rid == 0x002B:
                    mname = str(current["name"])
                    stream = ole.openstream(f"VBA/{current['stream']}").read()
                    source = decompress(stream[int(current["offset"]):]).decode(encoding, errors="surrogateescape")
                    modules.append(Module(
                        name=mname, kind=kinds.get(mname, "Module"), source=source, docstring=str(current.get("doc", "")),
                        help_context=int(current.get("help", 0)), read_only=bool(current.get("readonly")),
                        private=bool(current.get("private")), workspace=workspace.get(mname, "0, 0, 0, 0, C")))
        finally:
            ole.close()
        return cls(name=name, codepage=codepage, head=head, project_lines=lines, vba_project_header=header,
                   modules=modules)

    # -- editing

    def module(self, name: str) -> Module:
        for m in self.modules:
            if m.name.lower() == name.lower():
                return m
        raise KeyError(name)

    def remove(self, name: str) -> None:
        self.modules.remove(self.module(name))

    def add(self, module: Module) -> None:
        if any(m.name.lower() == module.name.lower() for m in self.modules):
            raise ValueError(f"the project already has a module named {module.name!r}")
        self.modules.append(module)

    # -- writing

    def _encode(self, text: str) -> bytes:
        return text.encode(self.encoding, errors="surrogateescape")

    def _dir_stream(self) -> bytes:
        out = bytearray()
        for rid, raw in self.head:
            out += _record(0x0004, self._encode(self.name)) if rid == 0x0004 else raw
        out += _record(0x000F, struct.pack("<H", len(self.modules)))
        out += _record(0x0013, struct.pack("<H", 0xFFFF))
        for m in self.modules:
            out += _record(0x0019, self._encode(m.name))
            out += _record(0x0047, m.name.encode("utf-16-le"))
            out += _record(0x001A, self._encode(m.name))
            out += _record(0x0032, m.name.encode("utf-16-le"))
            out += _record(0x001C, self._encode(m.docstring))
            out += _record(0x0048, m.docstring.encode("utf-16-le", errors="surrogatepass"))
            out += _record(0x0031, struct.pack("<I", 0))  # source starts at byte 0: no p-code
            out += _record(0x001E, struct.pack("<I", m.help_context))
            out += _record(0x002C, struct.pack("<H", 0xFFFF))
            out += _record(0x0021 if m.kind == "Module" else 0x0022, b"")
            if m.read_only:
                out += _record(0x0025, b"")
            if m.private:
                out += _record(0x0028, b"")
            out += _record(0x002B, b"")
        out += _record(0x0010, b"")
        return bytes(out)

    def _project_stream(self) -> bytes:
        lines: list[str] = []
        for line in self.project_lines:
            if line.startswith("Name="):
                line = f'Name="{self.name}"'
            lines.append(line)
            if line.startswith("ID="):
                for m in self.modules:
                    lines.append(f"Document={m.name}/&H00000000" if m.kind == "Document" else f"{m.kind}={m.name}")
        lines += ["", "[Workspace]"] + [f"{m.name}={m.workspace}" for m in self.modules]
        return self._encode("\r\n".join(lines) + "\r\n")

    def _projectwm_stream(self) -> bytes:
        out = bytearray()
        for m in self.modules:
            out += self._encode(m.name) + b"\0" + m.name.encode("utf-16-le") + b"\0\0"
        return bytes(out + b"\0\0")

    def to_bytes(self) -> bytes:
        """The project as a vbaProject.bin compound file (deterministic for the same project)."""
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", self.name):
            raise ValueError(f"invalid VBA project name {self.name!r}")
        streams = {
            "PROJECT": self._project_stream(),
            "PROJECTwm": self._projectwm_stream(),
            "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00" + self.vba_project_header[5:7].ljust(2, b"\0"),
            "VBA/dir": compress(self._dir_stream()),
        }
        for m in self.modules:
            streams[f"VBA/{m.name}"] = compress(self._encode(m.source))
        return write_compound_file(streams)


def document_module(name: str, base: str) -> Module:
    """A document module (ThisWorkbook or a worksheet) with Excel's standard attributes.

    `base` is the class id Excel gives the object: {00020819-...} for the workbook,
    {00020820-...} for a worksheet.
    """
    attributes = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "0{base}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return Module(name, "Document", "\r\n".join(attributes) + "\r\n")


WORKBOOK_BASE = "{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "{00020820-0000-0000-C000-000000000046}"
