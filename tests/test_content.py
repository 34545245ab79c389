"""Typed content: a misspelt key, a missing text or a wrong type in any content YAML is refused,
and the message names the file and the key path (issue 9, deliverable 2)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.content import FILE_MODELS, ContentError, load_content

CONTENT = Path(__file__).resolve().parent.parent / "templates" / "content"


def _copy(tmp_path: Path) -> Path:
    where = tmp_path / "content"
    shutil.copytree(CONTENT, where)
    return where


def _edit(where: Path, fname: str, old: str, new: str) -> None:
    path = where / fname
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {fname}: the test no longer matches the shipped content"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_content_file_has_a_model() -> None:
    assert sorted(FILE_MODELS) == sorted(p.name for p in CONTENT.glob("*.yaml"))
    assert load_content(CONTENT).models.keys() == FILE_MODELS.keys()


@pytest.mark.parametrize(("fname", "old", "new", "expected"), [
    # a misspelt key: refused as unknown, and the real key reported missing
    ("full_cost_areas.yaml", "    what:", "    wht:", ["areas[0] (total_expenses).wht: unknown key", "areas[0] (total_expenses).what: missing"]),
    ("functions.yaml", "    covers:", "    cover:", ["functions[0] (strategy_leadership).cover: unknown key"]),
    ("start_here.yaml", "  - heading: How to read", "  - headng: How to read", ["pages[2] (projections).sections[0].headng: unknown key"]),
    ("streams.yaml", "timing: {schedule: semiannual, lag_months: 0}", "timing: {schedule: semiannual, lag: 0}",
     ["streams[0] (philanthropy).timing.lag: unknown key"]),
    # a missing text
    ("categories.yaml", '    help: "Rent, utilities', '    helps: "Rent, utilities', ["categories[0] (occupancy).help: missing"]),
    ("guidance.yaml", '    title: "Key functions of a backbone"\n', "", ["sections[0] (backbone_functions).title: missing"]),
    # a wrong type: text where a number is needed, a number where a list is needed, an unknown workbook
    ("confidence.yaml", "default_probability: 0.75", 'default_probability: "three quarters"',
     ["levels[1] (likely).default_probability:"]),
    ("structures.yaml", "    benefits:\n      - \"Seen as neutral", "    benefits: 3\n    old_benefits:\n      - \"Seen as neutral",
     ["structures[0] (standalone_nonprofit).benefits:", "structures[0] (standalone_nonprofit).old_benefits: unknown key"]),
    ("guidance.yaml", "workbooks: [full_cost]", "workbooks: [full_costs]", ["sections[1] (full_cost_basics).workbooks[0]:"]),
    ("scenarios.yaml", "realization: {committed: 1.0, likely: 0.5", "realization: {committed: yes, likely: 0.5",
     ["scenarios[1] (conservative).realization.committed:"]),
])
def test_a_bad_key_is_refused_with_file_and_key(tmp_path: Path, fname: str, old: str, new: str, expected: list[str]) -> None:
    where = _copy(tmp_path)
    _edit(where, fname, old, new)
    with pytest.raises(ContentError) as err:
        load_content(where)
    message = str(err.value)
    for part in expected:
        assert f"{where / fname}: {part}" in message, message


def test_an_empty_text_is_refused(tmp_path: Path) -> None:
    where = _copy(tmp_path)
    _edit(where, "full_cost_areas.yaml", "label: Reserves", 'label: ""')
    with pytest.raises(ContentError, match=r"full_cost_areas\.yaml: areas\[2\] \(reserves\)\.label:"):
        load_content(where)


def test_the_shipped_content_still_reads_through_the_accessors() -> None:
    c = load_content(CONTENT)
    assert c.by_id(c.areas, "working_capital").text("what").startswith("Cash on hand")
    assert c.default_probability()["likely"] == 0.75
    assert c.default_timing("public") == ("even", 2)
    assert [g.id for g in c.guidance_for("projections")][0] == "backbone_functions"
    assert c.models["functions.yaml"].functions[0].typical_roles[0] == "Executive director"
