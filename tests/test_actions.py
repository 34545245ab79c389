"""The add-in's actions (validate, recalculate, upgrade) through the file implementation of the
workbook interface (macros.book.FileBook), on both workbooks of every example, and the
command lines that run them (`pbp-toolkit recalc`, `pbp-toolkit validate --annotate`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from generator.build import build_workbooks, example_names, example_path
from generator.cli import main
from generator.content import load_content
from generator.libreoffice import recalculate
from generator.readback.validate import validate_file
from generator.schema import load_partnership
from generator.verify import model_for
from macros import actions
from macros.book import FAIL_FILL, FileBook, location

from .edit import cell, set_value, foreign_workbook

KINDS = ("full-cost", "scenario-projections")
CASES = [(e, k) for e in example_names() for k in KINDS]
IDS = [f"{e}-{k}" for e, k in CASES]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """(example, kind) -> the freshly built workbook (never modified by a test)."""
    out: dict[tuple[str, str], Path] = {}
    for example in example_names():
        made = build_workbooks(load_partnership(example_path(example)), tmp_path_factory.mktemp(example))
        for path in made:
            out[(example, "full-cost" if path.stem.endswith("full-cost") else "scenario-projections")] = path
    assert set(out) == set(CASES)
    return out


def model(example: str, kind: str) -> dict[str, Any]:
    return model_for(kind)(load_partnership(example_path(example)), load_content())


def edited(src: Path, target: Path, edit) -> Path:
    wb = openpyxl.load_workbook(src)
    edit(wb)
    wb.save(target)
    return target


def fill_of(c: Any) -> str | None:
    return c.fill.fgColor.rgb[-6:].upper() if c.fill is not None and c.fill.fill_type == "solid" else None


def sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [tuple(c for c in row) for row in ws.iter_rows()]


def check_rows(path: Path) -> dict[str, Any]:
    """Cell label (column A of the Toolkit Check table) -> its cell, for every linked row."""
    ws = openpyxl.load_workbook(path)[actions.CHECK_SHEET]
    return {c.value: c for c in ws["A"] if c.hyperlink is not None}


def a_broken_output(kind: str) -> str:
    return "FC_Total" if kind == "full-cost" else "SP_base_Expenses"


# ----------------------------------------------------------------------------- validate


@pytest.mark.parametrize(("example", "kind"), CASES, ids=IDS)
def test_validate_action_on_a_clean_workbook(built, example: str, kind: str, tmp_path: Path) -> None:
    book = FileBook(built[(example, kind)])
    result = actions.validate_action(book)
    assert result.clean and result.highlighted == [] and result.restored == []
    same = validate_file(built[(example, kind)])
    assert [str(f) for f in result.report.findings] == [str(f) for f in same.findings]
    assert (result.report.formulas_intact, result.report.inputs_valid, result.report.cached_values_agree) == (True, True, True)
    out = book.save(tmp_path / "checked.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb[actions.CHECK_SHEET]
    assert ws["A2"].value.startswith("All good") and fill_of(ws["A2"]) == "C6EFCE"
    assert not any(c.hyperlink for row in ws.iter_rows() for c in row)
    assert ws["AD1"].value == actions.HIGHLIGHT_MARK and ws["AE1"].value == 0
    assert ws.column_dimensions["AD"].hidden
    assert fills(wb) == fills(openpyxl.load_workbook(built[(example, kind)]))    # no cell was filled


def fills(wb: Any) -> dict[tuple[str, str], str | None]:
    return {(ws.title, c.coordinate): fill_of(c) for ws in wb.worksheets if ws.title not in actions.REPORT_SHEETS
            for row in ws.iter_rows() for c in row}


@pytest.mark.parametrize(("example", "kind"), CASES, ids=IDS)
def test_validate_action_links_and_fills_problem_cells_then_clears_them(built, example: str, kind: str, tmp_path: Path) -> None:
    src = built[(example, kind)]
    original = openpyxl.load_workbook(src)
    out_cell = cell(original, a_broken_output(kind))
    fte_cell = cell(original, "Staff_fte", 0)
    targets = {(out_cell.parent.title, out_cell.coordinate), (fte_cell.parent.title, fte_cell.coordinate)}
    before = {(s, c): fill_of(original[s][c]) for s, c in targets}

    def damage(wb: Any) -> None:
        cell(wb, a_broken_output(kind)).value = 12345          # an output formula overwritten with a number
        set_value(wb, "Staff_fte", "full time", 0)             # text in a number cell

    broken = edited(src, tmp_path / "broken.xlsx", damage)
    book = FileBook(broken)
    result = actions.validate_action(book)
    assert result.report.status == "problems"
    assert set(result.highlighted) == targets
    codes = {(f.sheet, f.cell): f.code for f in result.report.findings}
    assert codes[(out_cell.parent.title, out_cell.coordinate)] == "formula_changed"
    assert codes[(fte_cell.parent.title, fte_cell.coordinate)] == "invalid_input"
    checked = book.save(tmp_path / "checked.xlsx")

    links = check_rows(checked)
    assert set(links) == {f"{s}!{c}" for s, c in targets}
    for s, c in targets:
        assert links[f"{s}!{c}"].hyperlink.location == location(s, c) == f"'{s}'!{c}"
    wb = openpyxl.load_workbook(checked)
    for s, c in targets:
        assert fill_of(wb[s][c]) == FAIL_FILL, (s, c)
    status = wb[actions.CHECK_SHEET]["A2"]
    assert status.value.startswith("2 problem(s) found") and fill_of(status) == FAIL_FILL

    # fix both cells in the annotated copy, as a user would, and validate again
    def fix(wb: Any) -> None:
        cell(wb, a_broken_output(kind)).value = out_cell.value            # the formula back
        set_value(wb, "Staff_fte", fte_cell.value, 0)

    fixed = edited(checked, tmp_path / "fixed.xlsx", fix)
    book = FileBook(fixed)
    again = actions.validate_action(book)
    assert set(again.restored) == targets and again.highlighted == []
    assert not {"formula_changed", "invalid_input"} & {f.code for f in again.report.findings}
    final = openpyxl.load_workbook(book.save(tmp_path / "final.xlsx"))
    for s, c in targets:
        assert fill_of(final[s][c]) == before[(s, c)], (s, c)
    assert check_rows(tmp_path / "final.xlsx") == {}
    assert final[actions.CHECK_SHEET]["AE1"].value == 0


def test_validate_action_leaves_a_colour_the_user_changed(built, tmp_path: Path) -> None:
    src = built[("riverside-housing", "full-cost")]
    broken = edited(src, tmp_path / "broken.xlsx", lambda wb: set_value(wb, "Staff_salary", "lots", 1))
    book = FileBook(broken)
    (where,) = actions.validate_action(book).highlighted
    book.colour(*where, "00B0F0")                # the user paints the cell blue, then fixes it
    book.save(tmp_path / "painted.xlsx")
    fixed = edited(tmp_path / "painted.xlsx", tmp_path / "fixed.xlsx", lambda wb: set_value(wb, "Staff_salary", 90000, 1))
    book = FileBook(fixed)
    again = actions.validate_action(book)
    assert again.restored == [] and book.fill(*where) == "00B0F0"


def test_validate_action_on_a_workbook_that_is_not_ours(tmp_path: Path) -> None:
    path = foreign_workbook(tmp_path / "budget.xlsx")
    book = FileBook(path)
    result = actions.validate_action(book)
    assert [f.code for f in result.report.findings] == ["not_ours"] and result.highlighted == []
    ws = openpyxl.load_workbook(book.save(tmp_path / "out.xlsx"))[actions.CHECK_SHEET]
    assert "1 problem(s) found" in ws["A2"].value
    assert any(str(c.value).startswith("not a Place-Based Partnerships Toolkit workbook") for c in ws["C"])


# ----------------------------------------------------------------------------- recalculate


@pytest.mark.parametrize(("example", "kind"), CASES, ids=IDS)
def test_recalc_on_a_clean_workbook_agrees_on_every_output(built, example: str, kind: str, tmp_path: Path) -> None:
    book = FileBook(built[(example, kind)])
    result = actions.recalculate_action(book)
    expected = model(example, kind)
    assert result.outputs == list(expected)
    assert {line.output for line in result.lines} == set(expected)
    assert len(result.lines) == sum(len(v) if isinstance(v, list) else 1 for v in expected.values())
    assert result.differing == [], [(l.label, l.excel, l.python) for l in result.differing[:5]]
    assert result.summary().startswith(f"All {len(result.lines)} values of the {len(expected)} outputs agree")
    if kind == "scenario-projections":
        p = load_partnership(example_path(example))
        assert f"SP_base_EndCash[FY{p.organization.first_fy + 1}]" in {line.label for line in result.lines}
    out = book.save(tmp_path / "recalc.xlsx")
    rows = sheet_rows(out, actions.RECALC_SHEET)
    assert rows[1][0].value.startswith("All ")
    table = [r for r in rows if r[0].value in {line.label for line in result.lines}]
    assert len(table) == len(result.lines)
    assert all(r[4].value == "ok" and fill_of(r[0]) is None for r in table)


@pytest.mark.libreoffice
def test_recalc_flags_exactly_the_overwritten_output(built, soffice: str, tmp_path: Path) -> None:
    """An output formula overwritten with a number, the file recalculated and saved by LibreOffice:
    exactly that value differs (outputs chosen so that no other output depends on them)."""
    cases = []
    for (example, kind), src in sorted(built.items()):
        name, index = ("FC_IndirectRate", 0) if kind == "full-cost" else ("SP_base_FTE", 1)
        path = edited(src, tmp_path / f"{example}-{kind}.xlsx", lambda wb, n=name, i=index: setattr(cell(wb, n, i), "value", 12345))
        cases.append((example, kind, name, index, path))
    saved = recalculate([c[-1] for c in cases], tmp_path / "lo")
    runner = CliRunner()
    for (example, kind, name, index, _), path in zip(cases, saved):
        result = actions.recalculate_action(FileBook(path))
        if kind == "full-cost":
            label = name
        else:
            p = load_partnership(example_path(example))
            label = f"{name}[FY{p.organization.first_fy + index}]"
        assert [line.label for line in result.differing] == [label], (example, kind)
        (bad,) = result.differing
        assert bad.excel == 12345 and bad.flag == "DIFFERS" and bad.difference == pytest.approx(12345 - bad.python)
        wb = openpyxl.load_workbook(path)
        target = cell(wb, name, index)
        assert bad.where == (target.parent.title, target.coordinate)
        # the command line: a copy with the sheet, the differing line red and linked, exit status 1
        out = tmp_path / f"{example}-{kind}-recalc.xlsx"
        res = runner.invoke(main, ["recalc", str(path), "-o", str(out)])
        assert res.exit_code == 1, res.output
        assert f"1 of {len(result.lines)} values differ" in res.output and label in res.output
        row = next(r for r in sheet_rows(out, actions.RECALC_SHEET) if r[0].value == label)
        assert row[4].value == "DIFFERS" and fill_of(row[0]) == FAIL_FILL
        assert row[0].hyperlink.location == location(target.parent.title, target.coordinate)


def test_recalc_refuses_invalid_inputs(built, tmp_path: Path) -> None:
    bad = edited(built[("riverside-housing", "full-cost")], tmp_path / "bad.xlsx",
                 lambda wb: set_value(wb, "Staff_fte", "lots", 0))
    with pytest.raises(actions.ActionError, match=r"Staffing!B5"):
        actions.recalculate_action(FileBook(bad))


def test_cli_recalc_exit_codes(built, tmp_path: Path) -> None:
    runner = CliRunner()
    src = built[("northfield-shared-backbone", "scenario-projections")]
    res = runner.invoke(main, ["recalc", str(src), "-o", str(tmp_path / "ok.xlsx")])
    assert res.exit_code == 0, res.output
    assert "agree" in res.output and actions.RECALC_SHEET in openpyxl.load_workbook(tmp_path / "ok.xlsx").sheetnames
    # default output name beside the input
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(src.read_bytes())
    assert runner.invoke(main, ["recalc", str(copy)]).exit_code == 0 and (tmp_path / "copy-recalc.xlsx").is_file()
    # saved by openpyxl: no results in the file, so every value differs from the model
    stale = edited(src, tmp_path / "stale.xlsx", lambda wb: None)
    res = runner.invoke(main, ["recalc", str(stale), "-o", str(tmp_path / "stale-out.xlsx")])
    assert res.exit_code == 1 and "differ" in res.output
    bad = edited(src, tmp_path / "bad.xlsx", lambda wb: set_value(wb, "Staff_fte", "lots", 0))
    res = runner.invoke(main, ["recalc", str(bad), "-o", str(tmp_path / "never.xlsx")])
    assert res.exit_code == 1 and "Staffing Plan!B6" in res.output and not (tmp_path / "never.xlsx").exists()
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook")
    assert runner.invoke(main, ["recalc", str(junk)]).exit_code == 2


def test_cli_validate_annotate(built, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = edited(built[("riverside-housing", "full-cost")], tmp_path / "bad.xlsx",
                 lambda wb: set_value(wb, "Staff_fte", "lots", 0))
    out = tmp_path / "annotated.xlsx"
    res = runner.invoke(main, ["validate", str(bad), "--annotate", str(out)])
    assert res.exit_code == 1
    assert set(check_rows(out)) == {"Staffing!B5"}
    assert fill_of(openpyxl.load_workbook(out)["Staffing"]["B5"]) == FAIL_FILL
    two = runner.invoke(main, ["validate", str(bad), str(bad), "--annotate", str(out)])
    assert two.exit_code == 2 and "exactly one" in two.output


# ----------------------------------------------------------------------------- upgrade


@pytest.mark.parametrize(("example", "kind"), CASES, ids=IDS)
def test_upgrade_round_trip(built, example: str, kind: str, tmp_path: Path) -> None:
    filled = edited(built[(example, kind)], tmp_path / "filled.xlsx", lambda wb: set_value(wb, "Staff_salary", 123456, 0))
    before = validate_file(filled).partnership
    assert before is not None and before.staff[0].salary == 123456
    new = actions.upgrade_action(filled)
    assert new == tmp_path / "filled (upgraded).xlsx"
    r = validate_file(new)
    assert r.status == "clean", r.render()
    assert r.partnership.to_data() == before.to_data()
    # from an open workbook (here a FileBook): the copy goes beside it and a sheet says where
    book = FileBook(filled)
    target = actions.upgrade_action(book, tmp_path / "from-book.xlsx")
    assert validate_file(target).partnership.to_data() == before.to_data()
    sheet = openpyxl.load_workbook(book.save(tmp_path / "told.xlsx"))[actions.UPGRADE_SHEET]
    assert str(target) in sheet["A2"].value


def test_upgrade_action_beside_the_open_workbook_and_refusals(built, tmp_path: Path) -> None:
    src = built[("northfield-shared-backbone", "full-cost")]
    copy = tmp_path / "Our budget.xlsx"
    copy.write_bytes(src.read_bytes())
    new = actions.upgrade_action(FileBook(copy))
    assert new == tmp_path / "Our budget (upgraded).xlsx" and validate_file(new).status == "clean"
    with pytest.raises(actions.ActionError, match="replace the open workbook"):
        actions.upgrade_action(FileBook(copy), copy)
    bad = edited(src, tmp_path / "bad.xlsx", lambda wb: set_value(wb, "Staff_fte", "lots", 0))
    with pytest.raises(actions.ActionError, match="fix the inputs"):
        actions.upgrade_action(bad)
    with pytest.raises(actions.ActionError, match="fix the inputs"):
        actions.upgrade_action(FileBook(bad))
    assert not (tmp_path / "bad (upgraded).xlsx").exists()


def test_cli_upgrade_still_works(built, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["upgrade", str(built[("riverside-housing", "scenario-projections")]),
                                    "-o", str(tmp_path / "new.xlsx")])
    assert res.exit_code == 0 and "pbp-scenario-projections version 1 -> current" in res.output
    assert validate_file(tmp_path / "new.xlsx").status == "clean"
