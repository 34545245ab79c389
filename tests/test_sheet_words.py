"""The sheets' words live in templates/content/sheets_*.yaml: a label is one YAML edit, and a
key that is misspelt, missing or never used is refused with the file and the key."""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml

from generator.build import BuildOptions, blank_partnership, build_workbooks, example_names, example_path
from generator.content import USED_WORDS, ContentError, load_content, unused_words, use_content_dir
from generator.schema import load_partnership

CONTENT_DIR = Path(__file__).resolve().parent.parent / "templates" / "content"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def _edit(folder: Path, fname: str, edit: "object") -> None:
    path = folder / fname
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(doc)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _build_from(folder: Path, out: Path) -> list[Path]:
    """Riverside's workbooks built with the content in `folder` (the content in force again after)."""
    use_content_dir(folder)
    try:
        return build_workbooks(load_partnership(example_path("riverside-housing")), out)
    finally:
        use_content_dir(None)


def test_every_word_in_the_files_is_used_by_some_build(tmp_path: Path) -> None:
    """Build every example and the blanks of both kinds; a key no build asked for is dead or misspelt."""
    USED_WORDS.clear()
    for name in example_names():
        build_workbooks(load_partnership(example_path(name)), tmp_path / name)
    build_workbooks(blank_partnership(), tmp_path / "blank", BuildOptions(), blank=True)
    assert USED_WORDS, "the builds asked for no words at all"
    assert unused_words(load_content()) == []


def test_a_label_is_one_yaml_edit(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "sheets_shared.yaml",
          lambda d: d["sheets"]["organization"]["lines"]["region"].update(label="Community served"))
    paths = _build_from(folder, tmp_path / "out")
    for path in paths:
        ws = openpyxl.load_workbook(path)["Organization"]
        labels = [c.value for row in ws.iter_rows(max_col=1) for c in row]
        assert "Community served" in labels and "Region" not in labels, path.name


@pytest.mark.parametrize("edit, key", [
    (lambda d: d["sheets"]["checks"].update(titel="Checks"), "sheets.checks.titel: unknown key"),
    (lambda d: d["sheets"]["organization"]["lines"]["focus"].update(hlep="x"), "sheets.organization.lines.focus.hlep: unknown key"),
    (lambda d: d["sheets"]["organization"]["lines"]["focus"].update(label=7), "sheets.organization.lines.focus.label"),
])
def test_a_misspelt_key_or_wrong_type_is_refused_with_file_and_key(tmp_path: Path, edit: object, key: str) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "sheets_shared.yaml", edit)
    with pytest.raises(ContentError) as info:
        load_content(folder)
    assert "sheets_shared.yaml" in str(info.value) and key in str(info.value)


def test_a_missing_word_names_the_file_and_key(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "sheets_shared.yaml", lambda d: d["sheets"]["organization"]["lines"].pop("focus"))
    with pytest.raises(ContentError, match=r"sheets_shared\.yaml: sheets\.organization\.lines\.focus: missing"):
        _build_from(folder, tmp_path / "out")


def test_a_sheet_worded_in_two_files_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "sheets_full_cost.yaml", lambda d: d.setdefault("sheets", {}).update(guide={"title": "Guide"}))
    with pytest.raises(ContentError, match=r"sheets_full_cost\.yaml: sheets\.guide is already worded in sheets_shared\.yaml"):
        load_content(folder)


def test_a_shared_column_header_is_one_edit_for_both_workbooks(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "sheets_shared.yaml", lambda d: d["columns"]["restricted"].update(header="Tied money?"))
    paths = _build_from(folder, tmp_path / "out")
    assert len(paths) == 2
    for path in paths:
        ws = openpyxl.load_workbook(path)["Revenue"]
        headers = {c.value for row in ws.iter_rows(max_row=8) for c in row}
        assert "Tied money?" in headers and "Restricted?" not in headers, path.name


def test_in_kind_header_is_one_edit_while_each_sheet_keeps_its_message(tmp_path: Path) -> None:
    """Staffing says what in-kind means there (its own message), but the header is the shared one."""
    folder = _copy(tmp_path)
    _edit(folder, "sheets_shared.yaml", lambda d: d["columns"]["in_kind"].update(header="Donated?"))
    paths = _build_from(folder, tmp_path / "out")
    own_help = {kind: load_content(folder).words(kind).sheet("staffing").column("in_kind").help
                for kind in ("full_cost", "projections")}
    shared_help = load_content(folder).models["sheets_shared.yaml"].columns["in_kind"].help
    assert len(paths) == 2
    for path in paths:
        wb = openpyxl.load_workbook(path)
        for sheet in ("Staffing", "Staffing Plan", "Expenses"):
            if sheet not in wb.sheetnames:
                continue
            ws = wb[sheet]
            headers = {c.value for row in ws.iter_rows(max_row=8) for c in row}
            assert "Donated?" in headers and "In-kind?" not in headers, (path.name, sheet)
            prompts = {dv.prompt for dv in ws.data_validations.dataValidation if dv.prompt}
            expected = shared_help if sheet == "Expenses" else own_help["full_cost" if "full-cost" in path.name else "projections"]
            assert expected in prompts, (path.name, sheet)
    assert own_help["full_cost"] != shared_help and own_help["projections"] != shared_help


def test_a_column_without_a_header_needs_a_shared_one(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "sheets_full_cost.yaml", lambda d: d["sheets"]["staffing"]["columns"]["cost"].pop("header"))
    with pytest.raises(ContentError, match=r"sheets_full_cost\.yaml: sheets\.staffing\.columns\.cost\.header: missing"):
        _build_from(folder, tmp_path / "out")
    folder = _copy(tmp_path / "again")
    _edit(folder, "sheets_shared.yaml", lambda d: d["columns"]["in_kind"].pop("header"))
    with pytest.raises(ContentError, match=r"sheets_shared\.yaml: columns\.in_kind\.header: missing"):
        load_content(folder)


def test_an_unknown_placeholder_in_a_shared_column_names_the_shared_file(tmp_path: Path) -> None:
    """The share columns' header is worded once, in the shared file; a typo there is reported there."""
    folder = _copy(tmp_path)
    _edit(folder, "sheets_shared.yaml", lambda d: d["columns"]["share"].update(header="{fucntion} %"))
    with pytest.raises(ContentError, match=r"sheets_shared\.yaml: columns\.share\.header: unknown placeholder 'fucntion'"):
        _build_from(folder, tmp_path / "out")
