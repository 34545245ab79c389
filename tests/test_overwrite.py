"""Outputs never overwrite inputs: every command refuses, with one line and exit status 2 and
before writing anything, an output path that is one of its inputs (however it is spelt: a
relative path, a detour through `..`, a symbolic or hard link) or that lies inside a folder
the command reads (collect's folder of returns, the content folder in force)."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from generator.build import BuildOptions, build_workbooks, example_path
from generator.cli import main
from generator.content import content_dir
from generator.schema import load_partnership
from macros.build_addin import VBA_DIR

CASE = Callable[[Path], tuple[list[str], dict[str, str]]]


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("books")
    fc, sp = build_workbooks(load_partnership(example_path("riverside-housing")), root, BuildOptions())
    return {"fc": fc, "sp": sp}


@pytest.fixture
def work(tmp_path: Path, books: dict[str, Path]) -> Path:
    """A user's folder: the two workbooks, a data file, a folder of returns, a content copy."""
    shutil.copy(books["fc"], tmp_path / "FC.xlsx")
    shutil.copy(books["sp"], tmp_path / "SP.xlsx")
    shutil.copy(example_path("riverside-housing"), tmp_path / "data.yaml")
    (tmp_path / "returns").mkdir()
    shutil.copy(books["fc"], tmp_path / "returns" / "returned.xlsx")
    shutil.copytree(content_dir(), tmp_path / "tpl" / "content")
    return tmp_path


def fingerprint(root: Path) -> dict[str, str]:
    """Every file under root with a hash of its bytes: nothing may change, nothing may appear."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# one case per command that writes: the arguments (with a path relative to the work folder) and
# environment that aim its output at one of its inputs or into a folder it reads
CASES: dict[str, CASE] = {
    "extract": lambda w: (["extract", "FC.xlsx", "SP.xlsx", "-o", "FC.xlsx"], {}),
    "upgrade": lambda w: (["upgrade", "FC.xlsx", "-o", "./returns/../FC.xlsx"], {}),
    "collect": lambda w: (["collect", "returns", "-o", "returns/returned.xlsx"], {}),
    "validate": lambda w: (["validate", "FC.xlsx", "--annotate", str(w / "FC.xlsx")], {}),
    "recalc": lambda w: (["recalc", "FC.xlsx", "-o", "FC.xlsx"], {}),
    "risk": lambda w: (["risk", "SP.xlsx", "-o", "SP.xlsx", "--runs", "10"], {}),
    "pdf": lambda w: (["pdf", "FC.xlsx", "-o", "FC.xlsx"], {}),
    "build": lambda w: (["build", "--example", "riverside-housing", "--content", "tpl/content", "-o", "tpl/content"], {}),
    "verify": lambda w: (["verify", "data.yaml", "--content", "tpl/content", "--keep", "tpl/content/kept"], {}),
    "batch": lambda w: (["batch", "returns/manifest.csv", "-o", "returns"], {}),
    "content": lambda w: (["content", "-o", "tpl/content/mine"], {"PBP_TEMPLATES": str(w / "tpl")}),
    "addin": lambda w: (["addin", "-o", str(VBA_DIR)], {}),
    "history": lambda w: (["history", "--db", "store.db", "-o", "store.db"], {}),
}


def refused(work: Path, args: list[str], env: dict[str, str]) -> str:
    """Run in the work folder; the command must refuse with one line and leave every file as it was."""
    if args[0] in ("history", "collect"):
        (work / "store.db").touch()  # a database file: history reads it, a round of collect writes it
    if args[0] == "batch":
        (work / "returns" / "manifest.csv").write_text("name\nLakeside Housing Partnership\n", encoding="utf-8")
    before, vba_before = fingerprint(work), fingerprint(VBA_DIR)
    old = Path.cwd()
    os.chdir(work)
    try:
        result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    finally:
        os.chdir(old)
    assert result.exit_code == 2, (args, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nothing was written" in lines[0], result.stderr
    assert fingerprint(work) == before and fingerprint(VBA_DIR) == vba_before
    return lines[0]


@pytest.mark.parametrize("command", sorted(CASES))
def test_every_command_refuses_an_output_over_an_input(work: Path, command: str) -> None:
    args, env = CASES[command](work)
    line = refused(work, args, env)
    assert ("an input of this command" in line) or ("a folder this command reads" in line)


def test_every_command_that_writes_has_a_case() -> None:
    """A new command with an output (-o, --keep, --annotate, --csv) needs its case above."""
    writers = {name for name, cmd in main.commands.items()
               if any(opt in ("-o", "--out", "--keep", "--annotate", "--csv") for p in cmd.params for opt in p.opts)}
    assert writers == set(CASES)


def test_links_and_dotted_paths_are_the_same_file(work: Path) -> None:
    """A symbolic link, a hard link and a path through `..` name the workbook as surely as its own name."""
    (work / "link.xlsx").symlink_to(work / "FC.xlsx")
    os.link(work / "SP.xlsx", work / "hard.xlsx")
    (work / "returns" / "sub").mkdir()
    (work / "alias").symlink_to(work / "returns", target_is_directory=True)
    refused(work, ["extract", "FC.xlsx", "SP.xlsx", "-o", "link.xlsx"], {})
    refused(work, ["extract", "FC.xlsx", "SP.xlsx", "-o", "hard.xlsx"], {})
    refused(work, ["extract", "FC.xlsx", "-o", "returns/sub/../../FC.xlsx"], {})
    line = refused(work, ["collect", "returns", "-o", "alias/new/portfolio.xlsx"], {})  # a folder not there yet, under a link
    assert "lies inside returns" in line
    refused(work, ["collect", "alias", "-o", "out.xlsx", "--csv", "returns/tables"], {})
    refused(work, ["collect", "returns", "-o", "out.xlsx", "--round", "2026", "--db", "returns/store.db"], {})
    refused(work, ["collect", "returns", "-o", "store.db", "--round", "2026", "--db", "store.db"], {})


def test_an_output_beside_the_inputs_is_still_written(work: Path) -> None:
    """The guard refuses only real overlaps: -o next to the inputs or a folder named like one works."""
    old = Path.cwd()
    os.chdir(work)
    try:
        r = CliRunner().invoke(main, ["extract", "FC.xlsx", "SP.xlsx", "-o", "FC.yaml"], catch_exceptions=False)
        assert r.exit_code == 0, r.stderr
        r = CliRunner().invoke(main, ["collect", "returns", "-o", "returns-portfolio.xlsx"], catch_exceptions=False)
        assert r.exit_code == 0, r.stderr
    finally:
        os.chdir(old)
    assert (work / "FC.yaml").read_text(encoding="utf-8").startswith("schema:")
    assert (work / "returns-portfolio.xlsx").stat().st_size > 0
