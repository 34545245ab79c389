"""The inputs a workbook was built with, recorded in its identity.

Reading a pair back is a three-way merge (readback/merge.py): each workbook's inputs are
compared with the inputs both were built from, so a field edited in only one of them is known
to be an edit. The data file is stored as compact canonical JSON, compressed and base64
encoded, in the hidden Metadata sheet, cut into parts that fit Excel's 32,767-character cell
limit (`inputs_1`, `inputs_2`, ...), with its SHA-256 (`inputs_sha256`, also in the document
properties) so a damaged record is told from a good one.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from typing import Any

FORMAT = "json+zlib+base64/1"
PART = 32_000              # characters per Metadata cell (Excel holds 32,767)
MAX_BYTES = 16 * 2**20      # inflated record: a data file is at most 5 MB
MAX_PARTS = 64             # a data file is at most 5 MB; compressed it is far smaller
#: Keys of the record in the Metadata sheet that are too long for the document properties.
PART_PREFIX = "inputs_"


def canonical(data: dict[str, Any]) -> bytes:
    """One byte string per data file: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def record(data: dict[str, Any]) -> dict[str, str]:
    """Metadata entries recording `data` (a data file as plain data)."""
    raw = canonical(data)
    text = base64.b64encode(zlib.compress(raw, 9)).decode("ascii")
    parts = [text[i:i + PART] for i in range(0, len(text), PART)] or [""]
    out = {"inputs_format": FORMAT, "inputs_sha256": hashlib.sha256(raw).hexdigest(), "inputs_parts": str(len(parts))}
    out.update({f"{PART_PREFIX}{n}": part for n, part in enumerate(parts, start=1)})
    return out


def is_part(key: str) -> bool:
    """A key holding part of the record (kept out of the document properties)."""
    return key.startswith(PART_PREFIX) and key[len(PART_PREFIX):].isdigit()


class RecordError(ValueError):
    """The record is there but cannot be read back (cut short, or edited)."""


def recalled(meta: dict[str, str]) -> dict[str, Any] | None:
    """The data file recorded in a workbook's metadata; None when the workbook records none
    (built before this was recorded); RecordError when the record is damaged."""
    if meta.get("inputs_format") != FORMAT:
        return None
    count = meta.get("inputs_parts", "")
    if not count.isdigit() or not 1 <= int(count) <= MAX_PARTS:
        raise RecordError("the record of the inputs the workbook was built with is damaged (its part count)")
    text = "".join(meta.get(f"{PART_PREFIX}{n}", "") for n in range(1, int(count) + 1))
    try:
        packed = base64.b64decode(text.encode("ascii"), validate=True)
        inflate = zlib.decompressobj()
        raw = inflate.decompress(packed, MAX_BYTES)   # bounded: a record edited into a zip bomb stops here
        if inflate.unconsumed_tail:
            raise RecordError("the record of the inputs the workbook was built with is larger than any data file")
    except (binascii.Error, zlib.error, ValueError, UnicodeEncodeError):
        raise RecordError("the record of the inputs the workbook was built with is damaged (it cannot be decoded)") from None
    if hashlib.sha256(raw).hexdigest() != meta.get("inputs_sha256", ""):
        raise RecordError("the record of the inputs the workbook was built with is damaged (its checksum differs)")
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict):
        raise RecordError("the record of the inputs the workbook was built with is damaged (not a data file)")
    return data
