"""The workbook layer stays small writers: no function in generator/workbook/ is over 60 lines
(issue 9), counted from the source with the ast module."""
from __future__ import annotations

import ast
from pathlib import Path

WORKBOOK = Path(__file__).resolve().parent.parent / "generator" / "workbook"
LIMIT = 60


def test_no_function_in_the_workbook_layer_is_over_60_lines() -> None:
    long = []
    for path in sorted(WORKBOOK.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > LIMIT:
                    long.append(f"{path.name}:{node.lineno} {node.name} ({lines} lines)")
    assert sorted(WORKBOOK.glob("*.py")), "no workbook modules found"
    assert not long, long


def _imports_outside_the_addin_command(tree: ast.AST) -> list[ast.AST]:
    """Every import node, except inside the two commands that build from macros/: `addin` (the
    add-in itself) and `build --format xlsm` (a workbook with the add-in's VBA inside)."""
    out: list[ast.AST] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef) and node.name in ("addin", "_build_xlsm"):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        out += _imports_outside_the_addin_command(node)
    return out


def test_nothing_in_generator_imports_the_add_in_package() -> None:
    """The command line works without macros/ importable; only `pbp-toolkit addin` needs it."""
    root = WORKBOOK.parent
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in _imports_outside_the_addin_command(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            found += [f"{path.relative_to(root)}: {n}" for n in names if n == "macros" or n.startswith("macros.")]
    assert not found, found
