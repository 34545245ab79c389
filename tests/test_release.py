"""Release: the package finds its own files wherever it is installed, takes an organisation's
own content (--content, PBP_TEMPLATES), documents the data file with a JSON Schema, and writes
files that others can read (mode 0666 minus the umask), atomically.

The installed wheel itself is exercised by .ci/run (built from the clean checkout, installed
into a fresh venv and run from outside the repository).
"""
from __future__ import annotations

import importlib.resources
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
import tomllib
from pathlib import Path
from typing import Iterator

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from generator import content as content_mod
from generator.cli import main
from generator.fileio import atomic_write, write_text
from generator.schema import json_schema, load_partnership

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "templates"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# ----------------------------------------------------------------------------- packaging


def test_templates_are_package_resources() -> None:
    """The code finds templates/ as the package generator.templates (what the wheel installs)."""
    root = importlib.resources.files("generator.templates")
    assert Path(str(root)).resolve() == content_mod.packaged_templates().resolve() == TEMPLATES.resolve()
    assert (root / "content" / "functions.yaml").is_file()
    assert (root / "partnership.schema.json").is_file()


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The file names inside a wheel built (as pip builds it for a user) from a copy of the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "*.egg-info",
                                                              "__pycache__", ".pytest_cache", ".hypothesis", "out"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "wheel"), str(src)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = (tmp / "wheel").glob("pbp_toolkit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_every_package_and_template_file_is_in_the_wheel(wheel_names: set[str]) -> None:
    """Each Python file of generator/ and macros/ (every subpackage, found or not by whoever
    wrote the packaging) and each file under templates/ (as generator/templates/) is in the
    wheel: a hand-written package list once left out generator.report, and recalc, risk and
    validate --annotate then failed in every plain install (Alembic's script.py.mako is data)."""
    wanted = []
    for top in ("generator", "macros"):  # every file but caches and dot-files (.gitkeep): code and package data alike
        wanted += [p.relative_to(REPO).as_posix() for p in (REPO / top).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".") and p.suffix != ".pyc"]
    for path in TEMPLATES.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            wanted.append("generator/templates/" + path.relative_to(TEMPLATES).as_posix())
    assert "generator/report/actions.py" in wanted
    assert sorted(set(wanted) - wheel_names) == []


def test_packages_are_found_not_listed() -> None:
    """pyproject.toml lists no packages by hand (setup.py finds them), so a new subpackage cannot be forgotten."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "packages" not in config
    assert config["package-dir"]["generator.templates"] == "templates"


def test_examples_lists_each_example_and_never_prints_nothing(tmp_path: Path) -> None:
    code, out, _ = run("examples")
    assert code == 0
    shipped = sorted(p.stem for p in (TEMPLATES / "examples").glob("*.yaml"))
    assert [line.split()[0] for line in out.splitlines()] == shipped
    # a templates folder with an empty examples/ folder: a message and exit status 2, not silence
    shutil.copytree(TEMPLATES / "content", tmp_path / "content")
    (tmp_path / "examples").mkdir()
    code, out, err = run("examples", env={"PBP_TEMPLATES": str(tmp_path)})
    assert (code, out) == (2, "")
    assert "no example data files" in err and str(tmp_path / "examples") in err


# ----------------------------------------------------------------------------- an organisation's own content


def _own_content(where: Path) -> Path:
    shutil.copytree(TEMPLATES / "content", where)
    functions = where / "functions.yaml"
    text = functions.read_text(encoding="utf-8")
    label = yaml.safe_load(text)["functions"][2]["label"]
    functions.write_text(text.replace(f"label: {label}", "label: Learning and evidence", 1), encoding="utf-8")
    return where


def _workbook_text(path: Path) -> set[str]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)}
    finally:
        wb.close()


def test_content_option_and_pbp_templates_change_the_labels(tmp_path: Path) -> None:
    own = _own_content(tmp_path / "mine")
    code, out, err = run("build", "--example", "riverside-housing", "--workbook", "full-cost", "-o", str(tmp_path / "a"),
                         "--content", str(own))
    assert code == 0, err
    [built] = sorted((tmp_path / "a").glob("*.xlsx"))
    assert "Learning and evidence" in _workbook_text(built)
    # the option lasts for its command only
    code, _, _ = run("build", "--example", "riverside-housing", "--workbook", "full-cost", "-o", str(tmp_path / "b"))
    assert code == 0
    assert "Learning and evidence" not in _workbook_text(next((tmp_path / "b").glob("*.xlsx")))
    # PBP_TEMPLATES names a templates folder (content/ inside); examples fall back to the shipped ones
    templates = tmp_path / "templates"
    shutil.copytree(own, templates / "content")
    code, _, err = run("build", "--example", "riverside-housing", "--workbook", "full-cost", "-o", str(tmp_path / "c"),
                       env={"PBP_TEMPLATES": str(templates)})
    assert code == 0, err
    assert "Learning and evidence" in _workbook_text(next((tmp_path / "c").glob("*.xlsx")))
    # the workbook built with that content reads back clean under the same content, by validate
    code, out, _ = run("validate", str(built), "--content", str(own))
    assert code == 0, out


def _worker_function_label(_: int) -> str:
    from generator.batch import _WORKER

    c = _WORKER["content"]
    return c.functions[2].label


def test_batch_workers_started_by_spawn_use_the_same_content(tmp_path: Path) -> None:
    """A forked worker inherits --content; a spawned one (the default on macOS and Windows)
    gets the folder from the batch's initializer."""
    import multiprocessing

    from generator.batch import _init_worker

    own = _own_content(tmp_path / "mine")
    with multiprocessing.get_context("spawn").Pool(1, initializer=_init_worker, initargs=(str(own),)) as pool:
        assert pool.map(_worker_function_label, [0]) == ["Learning and evidence"]


def test_every_command_that_builds_or_reads_workbooks_takes_content() -> None:
    for name in ("build", "examples", "check", "verify", "extract", "validate", "upgrade", "collect", "risk",
                 "recalc", "batch", "schema"):
        assert "--content" in [o for p in main.commands[name].params for o in p.opts], name


def test_unusable_content_folder_is_one_clear_line(tmp_path: Path) -> None:
    code, out, err = run("check", str(TEMPLATES / "examples" / "riverside-housing.yaml"), "--content", str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'functions.yaml'}: content file is missing" in err
    assert "Traceback" not in err
    code, out, err = run("validate", str(TEMPLATES / "examples" / "riverside-housing.yaml"),
                         env={"PBP_TEMPLATES": str(tmp_path / "nowhere")})
    assert code == 2
    assert f"PBP_TEMPLATES={tmp_path / 'nowhere'}: {tmp_path / 'nowhere' / 'content'}: the content folder does not exist" in err
    assert "Traceback" not in err


def test_content_command_copies_the_content_to_edit(tmp_path: Path) -> None:
    code, out, _ = run("content", "-o", str(tmp_path))
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (TEMPLATES / "content").glob("*.yaml"))
    assert (tmp_path / "guidance.yaml").read_bytes() == (TEMPLATES / "content" / "guidance.yaml").read_bytes()


# ----------------------------------------------------------------------------- the JSON Schema


def test_schema_command_prints_the_shipped_schema() -> None:
    code, out, _ = run("schema")
    assert code == 0
    shipped = json.loads((TEMPLATES / "partnership.schema.json").read_text(encoding="utf-8"))
    assert json.loads(out) == json_schema() == shipped, \
        "templates/partnership.schema.json is stale: .venv/bin/pbp-toolkit schema > templates/partnership.schema.json"


def test_schema_accepts_the_examples_and_rejects_what_the_loader_rejects() -> None:
    """Checked by an independent validator (jsonschema) against what the pydantic loader says."""
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema(), format_checker=jsonschema.FormatChecker())
    for path in sorted((TEMPLATES / "examples").glob("*.yaml")):
        assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=../partnership.schema.json\n")
        load_partnership(path)  # the comment line changes nothing for the loader
        data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        assert list(validator.iter_errors(data)) == [], path.name
    good = json.loads(json.dumps(yaml.safe_load((TEMPLATES / "examples" / "riverside-housing.yaml").read_text()), default=str))
    for bad in (
        {**good, "colour": "blue"},                                                       # unknown key
        {**good, "organization": {**good["organization"], "backbone_structure": "coop"}},  # unknown id
        {**good, "staff": [{**good["staff"][0], "functions": {"fundraising": 1.0}}]},      # unknown function
        {**good, "assumptions": {"benefits_rate": "25%"}},                                  # text for a number
        {**good, "projections": {**good["projections"], "years": 11}},                      # out of range
    ):
        assert list(validator.iter_errors(bad)), bad


# ----------------------------------------------------------------------------- files others can read


def test_atomic_write_gives_new_file_mode_and_keeps_an_existing_files(tmp_path: Path, umask022: None) -> None:
    target = write_text(tmp_path / "a.txt", "one")
    assert mode(target) == 0o644
    os.chmod(target, 0o640)
    write_text(target, "two")
    assert (target.read_text(), mode(target)) == ("two", 0o640)
    os.umask(0o027)
    assert mode(write_text(tmp_path / "b.txt", "x")) == 0o640


def test_atomic_write_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = write_text(tmp_path / "keep.csv", "old")

    def fail(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]


def test_every_file_the_commands_write_is_0644(tmp_path: Path, umask022: None) -> None:
    """build, batch (workbooks, manifest.csv, problems.csv), collect (portfolio and CSVs),
    extract, recalc, validate --annotate, upgrade and addin: every file 0644 under umask 022
    (tempfile.mkstemp alone gives 0600)."""
    out = tmp_path / "out"
    assert run("build", "--example", "riverside-housing", "-o", str(out))[0] == 0
    fc, sp = sorted(out.glob("*.xlsx"))
    assert run("batch", str(TEMPLATES / "rosters" / "example-roster.csv"), "-o", str(tmp_path / "sent"),
               "--workers", "1")[0] in (0, 1)
    assert run("collect", str(out), "-o", str(tmp_path / "portfolio.xlsx"), "--csv", str(tmp_path / "tables"))[0] == 0
    assert run("extract", str(fc), str(sp), "-o", str(tmp_path / "back.yaml"))[0] == 0
    assert run("recalc", str(sp), "-o", str(tmp_path / "recalc.xlsx"))[0] in (0, 1)
    assert run("validate", str(fc), "--annotate", str(tmp_path / "checked.xlsx"))[0] == 0
    assert run("upgrade", str(fc), "-o", str(tmp_path / "upgraded.xlsx"))[0] == 0
    if shutil.which("xlwings") or importlib.util.find_spec("xlwings"):
        assert run("addin", "-o", str(tmp_path / "addin"))[0] == 0
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    names = {p.name for p in written}
    assert {"manifest.csv", "problems.csv", "portfolio.xlsx", "portfolio.csv", "benchmarks.csv", "back.yaml",
            "recalc.xlsx", "checked.xlsx", "upgraded.xlsx"} <= names
    assert len([p for p in written if p.parent.name == "sent" and p.suffix == ".xlsx"]) >= 2
    assert {p.relative_to(tmp_path).as_posix(): oct(mode(p)) for p in written if mode(p) != 0o644} == {}
    assert not [p for p in written if p.name.startswith(".")]  # no temporary left behind


def test_dist_holds_what_build_example_writes_and_what_the_readme_says(tmp_path: Path) -> None:
    """build.py's dist/ has the file names `pbp-toolkit build --example NAME` and `build --blank`
    write (a newcomer told to open one finds it under that name), their .xlsm copies and the add-in,
    as many files as the README's first screen says, and the file it says to open first."""
    import re

    from build import main as build_main
    from generator.build import example_names

    assert build_main(["--out", str(tmp_path / "dist")]) == 0
    dist = {p.name for p in (tmp_path / "dist").iterdir()}
    for args in [["--blank"], *(["--example", name] for name in example_names())]:
        code, _, err = run("build", *args, "-o", str(tmp_path / "cli"))
        assert code == 0, err
    cli = {p.name for p in (tmp_path / "cli").iterdir()}
    assert len(cli) == 2 * (1 + len(example_names()))
    assert dist == cli | {n.replace(".xlsx", ".xlsm") for n in cli} | {"PBP Toolkit.xlam"}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_screen = readme[: readme.index("## What you get")]
    assert f"`dist/` holds {len(dist)} files" in first_screen
    for named in re.findall(r"`dist/([^`]+)`", first_screen):
        assert named in dist, named
