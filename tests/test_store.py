"""The portfolio store (generator/store): rounds recorded once, superseded files kept, one
transaction a round, the schema's upgrade path, refused databases, two writers at once; and
the program officer's round trip (batch, edit, collect two rounds) held to the model on each
round's data. Every database test runs on SQLite and, when a server is given, PostgreSQL."""
from __future__ import annotations

import copy
import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.content import load_content
from generator.model.full_cost import compute_full_cost
from generator.model.projections import compute_projections, fy_labels
from generator.readback.collect import collect, flatten
from generator.schema import load_partnership, validate_data
from generator.store import StoreError, open_store
from tests.edit import set_value

EXAMPLES = Path(__file__).resolve().parent.parent / "templates" / "examples"
IDS = {"riverside-housing": "P-RIV", "eastside-cradle-to-career": "P-EAST", "northfield-shared-backbone": "P-NORTH"}


@pytest.fixture(scope="module")
def roster_round1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three partnerships built by `batch` from a roster with an id column (the files as sent out)."""
    base = tmp_path_factory.mktemp("rounds")
    lines = ["name,data_file,id"]
    for stem, pid in IDS.items():
        name = load_partnership(EXAMPLES / f"{stem}.yaml").organization.name
        lines.append(f"{name},{EXAMPLES / (stem + '.yaml')},{pid}")
    (base / "roster.csv").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["batch", str(base / "roster.csv"), "-o", str(base / "round1"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    return base / "round1"


def _portfolio(folder: Path):
    return collect(folder, workers=1)


def test_same_files_twice_record_nothing_new_and_a_changed_file_supersedes(store_url: str, roster_round1: Path, tmp_path: Path) -> None:
    port = _portfolio(roster_round1)
    with open_store(store_url) as store:
        first = store.record_round("2026", port)
        assert (first.new_round, first.added, first.unchanged) == (True, 6, 0)
        again = store.record_round("2026", _portfolio(roster_round1))
        assert (again.new_round, again.added, again.unchanged, again.superseded) == (False, 0, 6, 0)
        figures = store.figures("2026")
        keys = [(f.partnership_id, f.measure, f.scenario, f.year, f.month) for f in figures]
        assert len(keys) == len(set(keys)) == sum(len(r.figures) for r in port.results)
        assert {f.partnership_id for f in figures} == set(IDS.values())

        changed = tmp_path / "changed"
        shutil.copytree(roster_round1, changed)
        fc = next(changed.glob("riverside*-full-cost.xlsx"))
        wb = openpyxl.load_workbook(fc)
        set_value(wb, "Staff_salary", 140000, 0)
        wb.save(fc)
        rec = store.record_round("2026", _portfolio(changed))
        assert (rec.added, rec.unchanged, rec.superseded) == (1, 5, 1)
        subs = [s for s in store.submissions("2026") if s.partnership_id == "P-RIV" and s.template_id == "pbp-full-cost"]
        assert len(subs) == 2 and not subs[0].current and subs[0].superseded_by == subs[1].id and subs[1].current
        summary = store.round("2026")
        assert (summary.partnerships, summary.files, summary.superseded, summary.not_used) == (3, 7, 1, 0)
        gap = {f.partnership_id: f.value for f in store.figures("2026") if f.measure == "FC_Gap"}
        assert len(store.figures("2026")) == len(figures)   # replaced, not added
        assert gap["P-RIV"] == pytest.approx(_expected_fc("riverside-housing", salary0=140000)["FC_Gap"])


def _expected_fc(stem: str, salary0: float | None = None) -> dict:
    data = load_partnership(EXAMPLES / f"{stem}.yaml").to_data()
    if salary0 is not None:
        data["staff"][0]["salary"] = salary0
    return compute_full_cost(validate_data(data, stem, load_content()), load_content())


def test_a_round_that_fails_part_way_leaves_the_database_as_it_was(store_url: str, roster_round1: Path) -> None:
    port = _portfolio(roster_round1)
    with open_store(store_url) as store:
        store.record_round("2025", port)
        before = (store.rounds(), store.submissions("2025"), store.figures())
        with pytest.raises(RuntimeError, match="stopped after 3"):
            store.record_round("2026", port, fail_after=3)
        with pytest.raises(RuntimeError):
            store.record_round("2025", port, notes="changed", fail_after=0)
        assert (store.rounds(), store.submissions("2025"), store.figures()) == before
        assert [r.label for r in store.rounds()] == ["2025"]


def test_upgrade_from_the_first_schema_gives_the_models_tables(store_url: str) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from generator.store import db
    from generator.store.models import Base

    engine = db.make_engine(store_url)
    try:
        db.check_and_upgrade(engine, target="base")       # the empty database, at the first schema's parent
        db.check_and_upgrade(engine)                       # every migration from the first schema on
        with engine.connect() as conn:
            mc = MigrationContext.configure(conn, opts={"version_table": db.VERSION_TABLE, "compare_type": True})
            assert compare_metadata(mc, Base.metadata) == []
            assert db.schema_state(conn) == db._known_revisions()[1]
        with db.writing(engine) as conn:                   # and back down to nothing, and up again
            command.downgrade(db._alembic_config(conn), "base")
        db.check_and_upgrade(engine)
    finally:
        engine.dispose()
    with open_store(store_url) as store:
        assert store.rounds() == []


def test_a_database_that_is_not_ours_damaged_or_newer_is_refused_in_one_line(tmp_path: Path, store_url: str) -> None:
    text = tmp_path / "notes.db"
    text.write_text("shopping list\n")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    damaged = tmp_path / "damaged.db"
    with open_store(f"sqlite:///{damaged}") as store:
        store.rounds()
    raw = bytearray(damaged.read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)                # the first page's b-tree header overwritten
    damaged.write_bytes(bytes(raw))
    cases = [(text, "not an SQLite database file"), (other, "not a pbp-toolkit portfolio database"), (damaged, "damaged")]
    for path, words in cases:
        before = path.read_bytes()
        with pytest.raises(StoreError) as err:
            open_store(str(path))
        assert words in str(err.value) and "\n" not in str(err.value), str(err.value)
        assert path.read_bytes() == before
    with open_store(store_url) as store:
        store.rounds()
        from sqlalchemy import text as sql

        from generator.store.db import VERSION_TABLE, writing
        with writing(store.engine) as conn:
            conn.execute(sql(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer version of pbp-toolkit"):
        open_store(store_url)
    result = CliRunner().invoke(main, ["rounds", "--db", str(other)])
    assert result.exit_code == 2 and "not a pbp-toolkit portfolio database" in result.output


WRITER = """
import pickle, sys
from generator.store import open_store
port = pickle.load(open(sys.argv[2], "rb"))
for n in range(3):
    with open_store(sys.argv[1]) as store:
        store.record_round(f"{sys.argv[3]}-{n}", port)
"""


def test_two_collects_into_one_database_at_once_both_land(store_url: str, roster_round1: Path, tmp_path: Path) -> None:
    port = _portfolio(roster_round1)
    saved = tmp_path / "port.pickle"
    saved.write_bytes(pickle.dumps(port))
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, store_url, str(saved), who], stderr=subprocess.PIPE, text=True)
             for who in ("a", "b")]                        # both open a new database and write at once
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    with open_store(store_url) as store:
        rounds = store.rounds()
        assert sorted(r.label for r in rounds) == [f"{w}-{n}" for w in "ab" for n in range(3)]
        assert all((r.partnerships, r.files, r.used) == (3, 6, 6) for r in rounds)
        one = len(store.figures("a-0"))
        assert one > 0 and all(len(store.figures(r.label)) == one for r in rounds)


def _edited_round2(round1: Path, dest: Path) -> dict[str, dict]:
    """Round 2 as the partnerships would return it: Riverside raised its director's salary in the
    Full Cost Workbook, Eastside lowered its first grant's year-1 amount in the Scenario
    Projections Tool, Northfield sent the same files back. Returns the data each file's figures
    come from: collect merges a pair three-way (readback/merge.py), so an edit typed into one
    workbook of the pair counts in both."""
    shutil.copytree(round1, dest)
    fc = next(dest.glob("riverside*-full-cost.xlsx"))
    wb = openpyxl.load_workbook(fc)
    set_value(wb, "Staff_salary", 140000, 0)
    wb.save(fc)
    sp = next(dest.glob("eastside*-scenario-projections.xlsx"))
    wb = openpyxl.load_workbook(sp)
    set_value(wb, "Rev_y1", 450000, 0)
    wb.save(sp)
    data = {stem: load_partnership(EXAMPLES / f"{stem}.yaml").to_data() for stem in IDS}
    riverside_fc = copy.deepcopy(data["riverside-housing"])
    riverside_fc["staff"][0]["salary"] = 140000
    eastside_sp = copy.deepcopy(data["eastside-cradle-to-career"])
    eastside_sp["revenue"][0]["amounts"][0] = 450000
    edited = {**data, "riverside-housing": riverside_fc, "eastside-cradle-to-career": eastside_sp}
    return {"fc": edited, "sp": edited}


def _expected(data: dict[str, dict]) -> dict[tuple, float | str | None]:
    """Every figure the model gives on each partnership's data, keyed as the store keys them."""
    content = load_content()
    out: dict[tuple, float | str | None] = {}
    for kind, model in (("fc", compute_full_cost), ("sp", compute_projections)):
        for stem, d in data[kind].items():
            p = validate_data(copy.deepcopy(d), stem, content)
            labels = fy_labels(p)
            scen = [s.id for s in p.scenario_list(content)] if kind == "sp" else []
            for name, s, y, m, v, t in flatten(model(p, content), scen, labels, labels[0]):
                out[(IDS[stem], name, s, y, m)] = v if t is None else t
    return out


def test_two_rounds_as_a_program_officer_collects_them(store_url: str, roster_round1: Path, tmp_path: Path) -> None:
    """Done-when: batch a roster, collect round 1, edit workbooks as users would, collect round 2
    (twice): every figure of each round equals the model on that round's data, none twice."""
    round2 = tmp_path / "round2"
    data2 = _edited_round2(roster_round1, round2)
    data1 = {kind: {stem: load_partnership(EXAMPLES / f"{stem}.yaml").to_data() for stem in IDS} for kind in ("fc", "sp")}
    run = CliRunner()
    for label, folder, as_of in (("2026", roster_round1, "2026-06-30"), ("2027", round2, "2027-06-30"), ("2027", round2, "2027-06-30")):
        result = run.invoke(main, ["collect", str(folder), "-o", str(tmp_path / f"portfolio-{label}.xlsx"), "--round", label,
                                   "--as-of", as_of, "--db", store_url, "--workers", "1"])
        assert result.exit_code == 0, result.output
    assert "0 file(s) recorded, 6 already there" in result.output
    with open_store(store_url) as store:
        assert [(r.label, r.partnerships, r.files, r.superseded) for r in store.rounds()] == [("2026", 3, 6, 0), ("2027", 3, 6, 0)]
        for label, data in (("2026", data1), ("2027", data2)):
            got: dict[tuple, float | str | None] = {}
            for f in store.figures(label):
                key = (f.partnership_id, f.measure, f.scenario, f.year, f.month)
                assert key not in got, f"{label}: {key} twice"
                got[key] = f.value if f.text is None else f.text
            want = _expected(data)
            assert got.keys() == want.keys()
            for key, value in want.items():
                assert got[key] == (pytest.approx(value, abs=1e-6) if isinstance(value, float) else value), (label, key)
        hist = {h.partnership_id: h for h in store.history()}
    gap1, gap2 = (hist["P-RIV"].points[i].get("FC_Gap") for i in (0, 1))
    assert isinstance(gap1, float) and isinstance(gap2, float) and gap2 > gap1
    # the round's portfolio and the history say what changed, in words and numbers
    port = openpyxl.load_workbook(tmp_path / "portfolio-2027.xlsx")["Portfolio"]
    heads = [c.value for c in port[4]]
    rows = {r[0]: r for r in port.iter_rows(min_row=5, values_only=True)}
    riverside = rows["Riverside Housing Partnership"]
    assert f"gap widened by ${gap2 - gap1:,.0f}" in riverside[heads.index("Change since 2026")]
    assert riverside[heads.index("Change: Gap")] == pytest.approx(gap2 - gap1)
    out = tmp_path / "history.xlsx"
    result = run.invoke(main, ["history", "--db", store_url, "-o", str(out), "--csv", str(tmp_path / "csv")])
    assert result.exit_code == 0, result.output
    attention = openpyxl.load_workbook(out)["Who needs attention"]
    ranked = [r for r in attention.iter_rows(min_row=5, values_only=True)]
    assert f"gap widened by ${gap2 - gap1:,.0f}" in next(r[3] for r in ranked if r[2] == "P-RIV")
    import csv

    with open(tmp_path / "csv" / "history.csv", newline="") as fh:
        lines = list(csv.DictReader(fh))
    assert list(lines[0]) == ["round", "as_of", "partnership_id", "partnership", "measure", "scenario", "year", "value"]
    gaps = {(r["round"], r["partnership_id"]): r["value"] for r in lines if r["measure"] == "FC_Gap"}
    assert gaps[("2027", "P-RIV")] == f"{round(gap2, 2)}"                 # money in cents
    rate = next(r["value"] for r in lines if (r["round"], r["measure"], r["partnership_id"]) == ("2027", "FC_IndirectRate", "P-RIV"))
    want_rate = hist["P-RIV"].points[1].get("FC_IndirectRate")
    assert isinstance(want_rate, float) and float(rate) == pytest.approx(want_rate, abs=5e-7) and want_rate != round(want_rate, 2)
    assert len(lines) == len({(r["round"], r["partnership_id"], r["measure"], r["scenario"], r["year"]) for r in lines})


def test_a_partnership_missing_from_a_round_is_not_returned_and_first_for_attention(store_url: str, roster_round1: Path,
                                                                                     tmp_path: Path) -> None:
    from generator.history import add_changes, attention

    round2 = tmp_path / "round2"
    shutil.copytree(roster_round1, round2)
    for f in round2.glob("northfield*.xlsx"):
        f.unlink()
    with open_store(store_url) as store:
        store.record_round("2026", _portfolio(roster_round1))
        port2 = _portfolio(round2)
        store.record_round("2027", port2)
        add_changes(port2, store, "2027")
        hist = {h.partnership_id: h for h in store.history()}
    north = hist["P-NORTH"]
    assert [(p.round, p.returned, p.status) for p in north.points] == [("2026", True, "clean"), ("2027", False, "not returned")]
    assert north.points[1].figures == {}
    ranked = attention(list(hist.values()))
    assert ranked[0].history.partnership_id == "P-NORTH"
    assert ranked[0].reasons == ["not returned this round (returned in 2026)"]
    rows = {r["partnership_id"]: r for r in port2.rows}
    assert rows["P-NORTH"]["status"] == "not returned" and "full_cost" not in rows["P-NORTH"]
    assert rows["P-RIV"]["change"] == "no change" and rows["P-RIV"]["change_FC_Gap"] == 0


def test_a_round_that_mixes_template_versions_says_so(store_url: str, roster_round1: Path) -> None:
    port = _portfolio(roster_round1)
    older = next(r for r in port.results if r.template_id == "pbp-full-cost" and r.used)
    older.template_version = "0"      # as a file built from an older template would read
    with open_store(store_url) as store:
        rec = store.record_round("2026", port)
        summary = store.round("2026")
    assert summary.mixed_versions and summary.template_versions["pbp-full-cost"] == ["0", "1"]
    assert rec.warnings == ["round '2026' mixes template versions: pbp-full-cost versions 0, 1"]
    result = CliRunner().invoke(main, ["rounds", "--db", store_url])
    assert "mixes template versions: pbp-full-cost versions 0, 1" in result.output


KILLED = """
import os, pickle, signal, sys
from generator.store import open_store

class KilledPartWay(list):
    def __iter__(self):
        for i, item in enumerate(list.__iter__(self)):
            if i == 3:                       # half-way through the round's files, inside its transaction
                os.kill(os.getpid(), signal.SIGKILL)
            yield item

port = pickle.load(open(sys.argv[2], "rb"))
port.results = KilledPartWay(port.results)
open_store(sys.argv[1]).record_round("2026", port)
"""


def test_a_collect_killed_part_way_leaves_the_database_as_it_was(store_url: str, roster_round1: Path, tmp_path: Path) -> None:
    port = _portfolio(roster_round1)
    saved = tmp_path / "port.pickle"
    saved.write_bytes(pickle.dumps(port))
    with open_store(store_url) as store:
        store.record_round("2025", port)
        before = (store.rounds(), store.submissions("2025"), store.figures())
    proc = subprocess.run([sys.executable, "-c", KILLED, store_url, str(saved)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr
    with open_store(store_url) as store:
        assert (store.rounds(), store.submissions("2025"), store.figures()) == before
        assert store.record_round("2026", port).added == 6     # and the database takes the round afterwards
