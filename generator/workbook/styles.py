"""Cell styles for both workbooks: one consistent look (FAST-style colour coding).

Inputs are pale yellow and unlocked; calculations are white and locked; key outputs are
pale blue and bold; checks turn green or red. A new `Styles` is made for every workbook
(Format objects are never shared across workbooks).
"""
from __future__ import annotations

import copy
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook

FONT = "Calibri"
INPUT_FILL = "#FFF2CC"
INPUT_FONT = "#1F3864"
HEADER_FILL = "#1F4E5A"
OUTPUT_FILL = "#DDEBF7"
PASS_FILL = "#C6EFCE"
PASS_FONT = "#006100"
FAIL_FILL = "#FFC7CE"
FAIL_FONT = "#9C0006"
TODO_FILL = "#EDEDED"
TODO_FONT = "#404040"
GREY = "#595959"
BORDER = "#BFBFBF"

#: Okabe-Ito colours, which colour-blind readers can tell apart; scenario lines also differ by
#: marker and dash, and scenario columns by pattern, so no series is told by colour alone.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
MARKERS = ["circle", "square", "triangle", "diamond", "x", "star"]
DASHES = ["solid", "dash", "round_dot", "long_dash", "dash_dot", "long_dash_dot"]
PATTERNS = [None, "wide_upward_diagonal", "small_grid", "wide_downward_diagonal", "dashed_horizontal", "dotted_diamond"]


def series_fill(j: int) -> dict[str, Any]:
    """Fill of the j-th column series: a palette colour, patterned from the second series on."""
    colour = PALETTE[j % len(PALETTE)]
    pattern = PATTERNS[j % len(PATTERNS)]
    if pattern is None:
        return {"fill": {"color": colour}, "border": {"color": colour}}
    return {"pattern": {"pattern": pattern, "fg_color": colour, "bg_color": "#FFFFFF"}, "border": {"color": colour}}


def series_line(j: int) -> dict[str, Any]:
    """Line and marker of the j-th line series: colour, dash and marker all differ."""
    colour = PALETTE[j % len(PALETTE)]
    return {"line": {"color": colour, "width": 2.25, "dash_type": DASHES[j % len(DASHES)]},
            "marker": {"type": MARKERS[j % len(MARKERS)], "size": 6, "fill": {"color": colour}, "border": {"color": colour}}}


MONEY = "$#,##0"
MONEY_HIDE0 = '$#,##0;-$#,##0;""'
PCT = "0.0%"
PCT_HIDE0 = '0.0%;-0.0%;""'
DEC = "0.00"
DEC_HIDE0 = '0.00;-0.00;""'
#: A chart's value axis in money: a workbook not filled in yet charts only zeros, and Excel, LibreOffice
#: and Google Sheets then scale the axis 0 to 1 in steps of a fraction, which "$#,##0" labels "$0, $1, $1".
#: No real tick lies strictly between -1.5 and 1.5 but 0, so labels there are left out (0 included: a
#: number format has room for two conditions only), and an empty chart shows gridlines under its title
#: saying that it waits for data, not a scale of a dollar. (A condition that matches only negatives
#: drops the sign, hence the "-" written out.)
AXIS_MONEY = '[>=1.5]$#,##0;[<=-1.5]-$#,##0;""'
DATE = "yyyy-mm-dd"

#: (style, words key) of the colour legend shown on Start Here; its words are sheets_shared.yaml's
#: start_here.words.legend_<key>.
LEGEND = [("in_text", "input"), ("calc_money", "calculation"), ("out_money", "result"), ("pass_", "ok"), ("fail_", "check_this"),
          ("todo_", "todo")]


class Styles:
    """The Format objects of one workbook, by role."""

    def __init__(self, wb: Workbook):
        self._wb = wb
        base = {"font_name": FONT, "font_size": 10, "valign": "top"}
        inp = {**base, "bg_color": INPUT_FILL, "font_color": INPUT_FONT, "locked": False, "border": 1, "border_color": BORDER}
        calc = {**base, "border": 1, "border_color": BORDER}
        out = {**base, "bg_color": OUTPUT_FILL, "bold": True, "border": 1, "border_color": BORDER}

        self.title = self._f({**base, "bold": True, "font_size": 16, "font_color": HEADER_FILL, "valign": "vcenter"})
        self.subtitle = self._f({**base, "italic": True, "font_color": GREY})
        self.h = self._f({**base, "bold": True, "font_size": 12, "font_color": HEADER_FILL, "bottom": 2, "bottom_color": HEADER_FILL})
        self.th = self._f({**base, "bold": True, "font_color": "#FFFFFF", "bg_color": HEADER_FILL, "text_wrap": True, "valign": "vcenter", "border": 1, "border_color": BORDER})
        self.label = self._f({**base})
        self.label_b = self._f({**base, "bold": True})
        self.note = self._f({**base, "italic": True, "font_color": GREY, "text_wrap": True})
        self.wrap = self._f({**base, "text_wrap": True})
        self.wrap_b = self._f({**base, "text_wrap": True, "bold": True})
        self.link = self._f({**base, "font_color": "#0563C1", "underline": 1})

        self.in_text = self._f({**inp, "text_wrap": False})
        self.in_wrap = self._f({**inp, "text_wrap": True})
        self.in_money = self._f({**inp, "num_format": MONEY})
        self.in_signed = self._f({**inp, "num_format": MONEY})
        self.in_dec = self._f({**inp, "num_format": DEC})
        self.in_pct = self._f({**inp, "num_format": PCT})
        self.in_int = self._f({**inp, "num_format": "0"})
        self.in_date = self._f({**inp, "num_format": DATE})
        self.in_flag = self._f({**inp, "align": "center"})

        self.calc_money = self._f({**calc, "num_format": MONEY_HIDE0})
        self.calc_money0 = self._f({**calc, "num_format": MONEY})
        self.calc_pct = self._f({**calc, "num_format": PCT_HIDE0})
        self.calc_pct0 = self._f({**calc, "num_format": PCT})
        self.calc_dec = self._f({**calc, "num_format": DEC_HIDE0})
        self.calc_dec0 = self._f({**calc, "num_format": DEC})
        self.calc_int = self._f({**calc, "num_format": '0;-0;""'})   # whole numbers (years), spare rows quiet
        self.calc_count = self._f({**calc, "num_format": "0"})       # a count that shows its 0 (months short)
        self.calc_text = self._f({**calc})
        self.calc_wrap = self._f({**calc, "text_wrap": True})
        self.calc_bool = self._f({**calc, "align": "center"})

        self.out_money = self._f({**out, "num_format": MONEY})
        self.out_pct = self._f({**out, "num_format": PCT})
        self.out_dec = self._f({**out, "num_format": DEC})
        self.out_text = self._f({**out})
        self.out_wrap = self._f({**out, "text_wrap": True})

        self.pass_ = self._f({**base, "bg_color": PASS_FILL, "font_color": PASS_FONT, "bold": True, "align": "center", "border": 1, "border_color": BORDER})
        self.fail_ = self._f({**base, "bg_color": FAIL_FILL, "font_color": FAIL_FONT, "bold": True, "align": "center", "border": 1, "border_color": BORDER})
        self.todo_ = self._f({**base, "bg_color": TODO_FILL, "font_color": TODO_FONT, "bold": True, "align": "center", "border": 1, "border_color": BORDER})
        # conditional-format formats (dxf): only colours (the cell's own text says the status)
        self.cf_pass = self._f({"bg_color": PASS_FILL, "font_color": PASS_FONT})
        self.cf_fail = self._f({"bg_color": FAIL_FILL, "font_color": FAIL_FONT})
        self.cf_todo = self._f({"bg_color": TODO_FILL, "font_color": TODO_FONT})
        # a share total that is not 100% says so in words as well as in red
        # months of cash: negative, or under two months, in words as well as red
        self.cf_months_negative = self._f({"bg_color": FAIL_FILL, "font_color": FAIL_FONT, "num_format": '0.0" (negative)"'})
        self.cf_months_low = self._f({"bg_color": FAIL_FILL, "font_color": FAIL_FONT, "num_format": '0.0" (under 2)"'})
        self.cf_fail_share = self._f({"bg_color": FAIL_FILL, "font_color": FAIL_FONT, "num_format": '0.0%" - not 100%"'})

    def _f(self, props: dict[str, Any]) -> Any:
        """Workbook.add_format(props), the Format copied from one made once per process: every
        workbook makes the same fifty formats, and Format's constructor, a setter call per
        property, was about 3% of a build. The copy is the workbook's own (its indices, its list)."""
        wb = self._wb
        merged = {**wb.default_format_properties, **props}   # add_format's own merge (its setters run in this order)
        key = repr(tuple(merged.items()))
        proto = _PROTOTYPES.get(key)
        if proto is None:
            if len(_PROTOTYPES) >= 10_000:
                _PROTOTYPES.clear()
            proto = _PROTOTYPES[key] = Format(merged)   # in no workbook: never written, never changed
            proto._get_format_key()   # kept in the copies: a function of the properties alone (no setter runs after this)
        fmt = copy.copy(proto)
        fmt.xf_format_indices = wb.xf_format_indices
        fmt.dxf_format_indices = wb.dxf_format_indices
        wb.formats.append(fmt)
        return fmt


#: the repr of a format's properties (the workbook's defaults, then its own) -> the Format they make, copied for each workbook
_PROTOTYPES: dict[str, Format] = {}
