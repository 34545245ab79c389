"""Advance widths of Calibri's characters, in 1/2048 em, as Carlito has them (the two are
metric-compatible: LibreOffice lays a Calibri cell out in Carlito at the same widths). Written by
`python -m generator.workbook.font_widths FONT_DIR` from the Carlito .ttf files (needs fontTools);
a character not listed takes a full em, as a fallback font's wide glyph may."""
from __future__ import annotations

UNITS_PER_EM = 2048
CHARS = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ–—‘’‚“”„•…€™−≤≥'
WIDTHS: dict[str, tuple[int, ...]] = {
    'regular': (463, 667, 821, 1020, 1038, 1464, 1397, 452, 621, 621, 1020, 1020, 511, 627, 517, 791, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 548, 548, 1020, 1020, 1020, 949, 1831, 1185, 1114, 1092, 1260, 1000, 941, 1292, 1276, 516, 653, 1064, 861, 1751, 1322, 1356, 1058, 1378, 1112, 941, 998, 1314, 1162, 1822, 1063, 998, 959, 628, 791, 628, 1020, 1020, 596, 981, 1076, 866, 1076, 1019, 625, 964, 1076, 470, 490, 931, 470, 1636, 1076, 1080, 1076, 1076, 714, 801, 686, 1076, 925, 1464, 887, 927, 809, 644, 943, 644, 1020, 667, 1020, 1038, 1020, 1038, 1020, 1020, 804, 1709, 824, 1049, 1020, 1038, 807, 694, 1020, 688, 685, 598, 1126, 1200, 517, 629, 504, 865, 1049, 1303, 1375, 1383, 949, 1185, 1185, 1185, 1185, 1185, 1185, 1563, 1092, 1000, 1000, 1000, 1000, 516, 516, 516, 516, 1279, 1322, 1356, 1356, 1356, 1356, 1356, 1020, 1359, 1314, 1314, 1314, 1314, 998, 1058, 1080, 981, 981, 981, 981, 981, 981, 1583, 866, 1019, 1019, 1019, 1019, 470, 470, 470, 470, 1076, 1076, 1080, 1080, 1080, 1080, 1080, 1020, 1084, 1076, 1076, 1076, 1076, 927, 1076, 927, 1020, 1854, 511, 511, 511, 857, 857, 857, 1020, 1414, 1038, 1444, 1020, 1020, 1020),
    'italic': (463, 667, 821, 1020, 1038, 1464, 1397, 452, 621, 621, 1020, 1020, 511, 627, 517, 794, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 548, 548, 1020, 1020, 1020, 949, 1831, 1185, 1114, 1070, 1260, 1000, 941, 1292, 1276, 516, 653, 1064, 861, 1751, 1320, 1340, 1058, 1360, 1112, 926, 998, 1314, 1162, 1823, 1063, 998, 959, 628, 787, 628, 1020, 1020, 596, 1053, 1053, 852, 1053, 978, 625, 1053, 1053, 470, 490, 931, 470, 1620, 1053, 1051, 1053, 1053, 702, 797, 686, 1053, 913, 1464, 887, 916, 809, 644, 943, 644, 1020, 667, 1020, 1038, 1020, 1038, 1020, 1020, 804, 1709, 882, 1049, 1020, 1038, 807, 694, 1020, 688, 685, 598, 1102, 1200, 517, 629, 504, 865, 1049, 1303, 1375, 1383, 949, 1185, 1185, 1185, 1185, 1185, 1185, 1563, 1070, 1000, 1000, 1000, 1000, 516, 516, 516, 516, 1279, 1320, 1340, 1340, 1340, 1340, 1340, 1020, 1347, 1314, 1314, 1314, 1314, 998, 1058, 1080, 1053, 1053, 1053, 1053, 1053, 1053, 1545, 852, 978, 978, 978, 978, 470, 470, 470, 470, 1076, 1053, 1051, 1051, 1051, 1051, 1051, 1020, 1084, 1053, 1053, 1053, 1053, 916, 1053, 916, 1020, 1854, 511, 511, 511, 857, 857, 857, 1020, 1413, 1038, 1444, 1020, 1020, 1020),
    'bold': (463, 667, 898, 1020, 1038, 1493, 1443, 478, 638, 638, 1020, 1020, 528, 627, 547, 880, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 565, 565, 1020, 1020, 1020, 949, 1840, 1241, 1148, 1084, 1291, 999, 940, 1305, 1292, 546, 678, 1120, 866, 1790, 1349, 1385, 1090, 1405, 1153, 968, 1014, 1337, 1211, 1856, 1128, 1064, 979, 665, 880, 665, 1020, 1020, 615, 1011, 1099, 857, 1099, 1031, 648, 971, 1099, 503, 523, 983, 503, 1666, 1099, 1101, 1099, 1099, 728, 817, 710, 1099, 969, 1526, 941, 970, 814, 704, 973, 704, 1020, 667, 1020, 1038, 1020, 1038, 1020, 1020, 849, 1709, 852, 1103, 1020, 1038, 799, 701, 1020, 692, 688, 616, 1154, 1224, 548, 621, 517, 891, 1103, 1347, 1415, 1437, 949, 1241, 1241, 1241, 1241, 1241, 1241, 1588, 1084, 999, 999, 999, 999, 546, 546, 546, 546, 1309, 1349, 1385, 1385, 1385, 1385, 1385, 1020, 1394, 1337, 1337, 1337, 1337, 1064, 1090, 1136, 1011, 1011, 1011, 1011, 1011, 1011, 1587, 857, 1031, 1031, 1031, 1031, 503, 503, 503, 503, 1099, 1099, 1101, 1101, 1101, 1101, 1101, 1020, 1114, 1099, 1099, 1099, 1099, 970, 1099, 970, 1020, 1854, 528, 528, 528, 891, 891, 891, 1020, 1457, 1038, 1475, 1020, 1020, 1020),
    'bold_italic': (463, 667, 898, 1020, 1038, 1493, 1443, 478, 638, 638, 1020, 1020, 528, 627, 547, 889, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 565, 565, 1020, 1020, 1020, 949, 1840, 1241, 1148, 1062, 1291, 999, 940, 1305, 1292, 546, 678, 1120, 866, 1790, 1344, 1369, 1090, 1387, 1153, 953, 1014, 1337, 1211, 1857, 1128, 1064, 979, 665, 870, 665, 1020, 1020, 615, 1081, 1081, 843, 1081, 1006, 648, 1081, 1080, 503, 523, 983, 503, 1646, 1080, 1080, 1081, 1081, 721, 807, 710, 1080, 961, 1526, 941, 963, 814, 704, 973, 704, 1020, 667, 1020, 1038, 1020, 1038, 1020, 1020, 849, 1709, 903, 1103, 1020, 1038, 799, 701, 1020, 692, 688, 616, 1134, 1224, 548, 621, 517, 891, 1103, 1347, 1415, 1437, 949, 1241, 1241, 1241, 1241, 1241, 1241, 1588, 1062, 999, 999, 999, 999, 546, 546, 546, 546, 1309, 1344, 1369, 1369, 1369, 1369, 1369, 1020, 1387, 1337, 1337, 1337, 1337, 1064, 1090, 1136, 1081, 1081, 1081, 1081, 1081, 1081, 1564, 843, 1006, 1006, 1006, 1006, 503, 503, 503, 503, 1099, 1080, 1080, 1080, 1080, 1080, 1080, 1020, 1114, 1080, 1080, 1080, 1080, 963, 1081, 963, 1020, 1854, 528, 528, 528, 891, 891, 891, 1020, 1456, 1038, 1475, 1020, 1020, 1020),
}

class _Widths(dict[str, int]):
    """A style's widths by character; a character not listed takes a full em."""

    def __missing__(self, ch: str) -> int:
        return UNITS_PER_EM


_WIDTH = {key: _Widths(zip(CHARS, widths)) for key, widths in WIDTHS.items()}
#: Pixels a cell keeps clear at its sides (Excel's padding, and a little more for LibreOffice's).
CELL_PADDING = 7


def text_pixels(text: str, size: float = 10, bold: bool = False, italic: bool = False) -> float:
    """The width of a line of text in screen pixels (96 per inch), at `size` points."""
    table = _WIDTH[("bold_" if bold else "") + "italic" if italic else "bold" if bold else "regular"]
    units = sum(map(table.__getitem__, text))   # (in C: the builders measure tens of thousands of texts)
    return units / UNITS_PER_EM * size * 96 / 72


def column_pixels(width: float) -> int:
    """A column's width in pixels as Excel draws it from its width in characters (Calibri 11's
    digit width, 7 pixels, plus 5 of padding: xlsxwriter's and Excel's rule)."""
    return int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5


def wrapped_lines(text: str, width: float, size: float = 10, bold: bool = False, italic: bool = False) -> int:
    """How many lines a text wraps to in a column of `width` characters: words laid out one after
    another at their real widths, a line broken at a space (a word longer than a line broken inside
    it), as Excel lays out Calibri and LibreOffice Carlito."""
    room = max(1.0, column_pixels(width) - CELL_PADDING)
    space = text_pixels(" ", size, bold, italic)
    lines = 0
    for para in str(text).split("\n"):
        n, used = 1, 0.0
        for word in para.split(" "):
            w = text_pixels(word, size, bold, italic)
            if used and used + space + w > room:
                n, used = n + 1, 0.0
            elif used:
                used += space
            while w > room:  # a word wider than the line is broken inside it
                n, w = n + 1, w - room
            used += w
        lines += n
    return max(1, lines)


if __name__ == "__main__":  # regenerate the table above from the Carlito fonts
    import sys
    from pathlib import Path

    from fontTools.ttLib import TTFont  # type: ignore[import-untyped,import-not-found,unused-ignore]

    chars = [chr(c) for c in range(32, 127)] + [chr(c) for c in range(160, 256)] + list("‐‑–—‘’‚“”„•…€™−≤≥×")
    tables = {}
    for key, style in (("regular", "Regular"), ("italic", "Italic"), ("bold", "Bold"), ("bold_italic", "BoldItalic")):
        font = TTFont(Path(sys.argv[1]) / f"Carlito-{style}.ttf")
        cmap, hmtx = font.getBestCmap(), font["hmtx"]
        tables[key] = {c: hmtx[cmap[ord(c)]][0] for c in chars if ord(c) in cmap}
    common = "".join(sorted(set.intersection(*(set(t) for t in tables.values()))))
    print(f"CHARS = {common!r}")
    print("WIDTHS: dict[str, tuple[int, ...]] = {")
    for key, t in tables.items():
        print(f"    {key!r}: {tuple(t[c] for c in common)!r},")
    print("}")
