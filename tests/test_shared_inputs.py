"""The input sheets both workbooks share are declared once (generator/workbook/inputs.py): read
back from two fresh builds, the shared columns, rates, confidence table and basic checks are
the same in both, and a change to a declaration reaches both."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

from generator.build import blank_partnership
from generator.content import load_content
from generator.workbook import inputs
from generator.workbook.full_cost import build_full_cost
from generator.workbook.projections import build_projections

CONTENT = load_content()
#: table name prefix -> the shared columns' declarations
SHARED_TABLES = {
    "Staff": [*inputs.STAFF_COLUMNS, *[f"share_{f}" for f in CONTENT.function_ids], inputs.SHARE_TOTAL],
    "Exp": list(inputs.EXPENSE_COLUMNS),
    "Rev": list(inputs.REVENUE_COLUMNS),
    "Conf": list(inputs.CONFIDENCE_COLUMNS),
}


def _books(folder: Path) -> tuple[Any, Any]:
    """A blank Full Cost Workbook and a blank Scenario Projections Tool (no entry widens a column)."""
    p = blank_partnership(content=CONTENT)
    build_full_cost(p, folder / "fc.xlsx", CONTENT, blank=True)
    build_projections(p, folder / "sp.xlsx", CONTENT, blank=True)
    return openpyxl.load_workbook(folder / "fc.xlsx"), openpyxl.load_workbook(folder / "sp.xlsx")


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    return _books(tmp_path_factory.mktemp("shared"))


def _column(wb: Any, name: str) -> dict[str, Any]:
    """What a user meets in a table column named `name`: its header, width, and the input rule
    on its first cell (type, limits, list, message)."""
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    ws = wb[sheet]
    c1, r1, _, _ = range_boundaries(ref.replace("$", ""))
    letter = get_column_letter(c1)
    rule = next((dv for dv in ws.data_validations.dataValidation if f"{letter}{r1}" in dv.sqref), None)
    return {"header": ws.cell(r1 - 1, c1).value, "width": ws.column_dimensions[letter].width,
            "rule": None if rule is None else (rule.type, rule.operator, rule.formula1, rule.formula2, rule.prompt)}


def test_shared_columns_are_the_same_in_both_workbooks(books: tuple[Any, Any]) -> None:
    fc, sp = books
    for table, specs in SHARED_TABLES.items():
        for spec in specs:
            key = spec if isinstance(spec, str) else spec.key
            a, b = _column(fc, f"{table}_{key}"), _column(sp, f"{table}_{key}")
            # (headers may differ: each workbook words a column for what it means there)
            assert (a["rule"][:4] == b["rule"][:4]) if a["rule"] else b["rule"] is None, (table, key)
            if table == "Conf":  # on Assumptions, whose label and value columns each workbook sizes for its lines
                continue
            assert a["width"] == b["width"], (table, key)
            if not isinstance(spec, str):
                assert a["width"] == pytest.approx(spec.width + 0.71, abs=0.01), (table, key)
                if spec.kind == "list":
                    assert a["rule"][0] == "list" and a["rule"][2] in (spec.choices, f"={spec.choices}"), (table, key)
                if spec.kind == "decimal":
                    assert a["rule"][0] == "decimal"
                if spec.kind == "calc":
                    assert a["rule"] is None, (table, key)


def test_rates_and_basic_checks_are_the_same_in_both_workbooks(books: tuple[Any, Any]) -> None:
    fc, sp = books
    for rate in inputs.RATES:
        a, b = (_column(wb, rate.name) for wb in (fc, sp))  # a rate is a one-cell "column"
        assert a["rule"][:4] == b["rule"][:4], rate.name
        assert a["rule"][0] == "decimal"
    rows = len(inputs.BASIC_CHECKS)

    def first_checks(wb: Any) -> list[tuple[Any, Any]]:
        ws = wb["Checks"]
        top = next(r for r in range(1, 20) if ws.cell(r, 1).value == "Check") + 1
        return [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(top, top + rows)]

    shared = first_checks(fc)
    assert shared == first_checks(sp)
    assert [text for text, _ in shared] == [CONTENT.words("full_cost").sheet("basic_checks").check(k).text
                                            for k, *_ in inputs.BASIC_CHECKS]


def test_a_changed_declaration_reaches_both_workbooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the FTE column and give salaries a ceiling in one place: both workbooks change."""
    fte, salary = inputs.STAFF_COLUMNS[1], inputs.STAFF_COLUMNS[2]
    changed = (inputs.STAFF_COLUMNS[0], inputs.Col("fte", 19, fte.style, fte.kind, fte.low, fte.high),
               inputs.Col("salary", salary.width, salary.style, "decimal", 0, 500_000), inputs.STAFF_COLUMNS[3])
    monkeypatch.setattr(inputs, "STAFF_COLUMNS", changed)
    fc, sp = _books(tmp_path)
    for wb in (fc, sp):
        assert _column(wb, "Staff_fte")["width"] == pytest.approx(19.71, abs=0.01)
        rule = _column(wb, "Staff_salary")["rule"]
        assert (rule[0], rule[2], rule[3]) == ("decimal", "0", "500000")  # between: the default operator
