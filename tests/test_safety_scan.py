"""The one-pass cell count of _XmlScan (issue 22) against the paths it sits in front of, over pieces
chosen to sit at each edge of its fast path: addresses just inside and outside its letter and
digit bounds, two r attributes, prefixed and oddly spaced cells, tags that only start '<c'."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st



def _reference_scan(buf: bytes) -> tuple[int, int, tuple[int, int] | None, tuple[int, int]]:
    """The cell count and extent as _XmlScan found them before its one-pass path (issue 22)."""
    from generator.readback.safety import _CELL_OPEN, _CELL_REF, _FAST_REF, _PLAIN_OPEN, col_index

    n_lt_c, odd, n_cr = buf.count(b"<c"), b":c" in buf, buf.count(b'<c r="')
    if n_cr == n_lt_c and not odd:
        n, pairs = n_cr, _FAST_REF.findall(buf)
    else:
        n, pairs = -1, []
        if not odd:
            pairs = _FAST_REF.findall(buf)
            if len(pairs) == n_cr and (n_lt_c == n_cr + buf.count(b"<co") or len(_PLAIN_OPEN.findall(buf)) == n_cr):
                n = n_cr
        if n < 0:
            n, pairs = len(_CELL_OPEN.findall(buf)), _CELL_REF.findall(buf)
    cols = [col_index(c) for c, _ in pairs]
    rows = [int(r) - 1 for _, r in pairs]
    first = (min(rows), min(cols)) if pairs else None
    return n, min(len(pairs), n), first, ((max(rows), max(cols)) if pairs else (-1, -1))

PIECES = [b'<c r="A1">', b'<c r="B7" s="2"/>', b'<c r="AA10" t="s"><v>3</v></c>', b'<cols><col min="1" max="2"/></cols>',
          b'<c r="ABCDEFGH1"/>', b'<c r="ABCDEFGHI1"/>', b'<c r="A123456789012"/>', b'<c r="A1234567890123"/>',
          b'<c r="A1" r="XFD1048576"/>', b'<c r=""/>', b'<c r="1A"/>', b'<c r="a7"/>', b'<cx r="A1"/>', b'<c\nr="B2"/>',
          b'<c r="C3 ">', b"<c r='D4'/>", b'<c  r="E5"/>', b'<c s="1" r="F6"/>', b"<c>", b"<c/>", b'<c\tr="G7"/>',
          b'<x:c r="H8"/>', b'<c r="ZZZZ99"/>', b'<row r="9">', b"</row>", b'<color rgb="FF"/>', b"text:c", b" ", b"<c"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_one_pass_count_and_extent_are_the_strict_ones(parts: list[bytes]) -> None:
    from generator.readback.safety import _XmlScan

    buf = b"".join(parts)
    scan = _XmlScan("x.xml", cells=True)
    scan._scan(buf)
    n, refs, first, last = _reference_scan(buf)
    got_first = None if scan.min_row is None or scan.min_col is None else (scan.min_row, scan.min_col)
    assert (scan.n_cells, scan.n_refs) == (n, refs), buf
    if refs:
        assert (got_first, (scan.max_row, scan.max_col)) == (first, last), buf
