"""Python entry points of the add-in: one function per ribbon button.

The ribbon (made from the table in macros/buttons.py) calls VBA Subs in macros/vba/, which run, through
xlwings' RunPython:

    import macros.actions as pbp; pbp.risk()

Each entry point wraps the active workbook in an `XlwingsBook` and calls the action from
generator.report.actions, which only uses the `Book` interface; the command line runs the
same actions over a `FileBook` without this package. The actions' names are re-exported here
so that `macros.actions.validate_action` and the like keep working.
"""
from __future__ import annotations

import sys

from .buttons import BUTTONS

from generator.report.actions import *  # noqa: F401,F403  (the actions, for callers of the old module)
from generator.report.actions import (Book, partnership_from_book, recalculate_action, require_projections,
                                      risk_report, risk_settings, upgrade_action, validate_action)


# ----------------------------------------------------------------------------- entry points for Excel


def xlwings_mismatch(built_with: str, installed: str | None) -> str | None:
    """What to tell the user when Python's xlwings is not the version the add-in was built
    with (the add-in calls xlwings' DLL and AppleScript by that exact version), else None."""
    if installed == built_with:
        return None
    found = f"xlwings {installed}" if installed else "no xlwings"
    return (f"PBP Toolkit: this add-in was built with xlwings {built_with}, but the Python environment Excel "
            f"runs has {found}. Either install that version there:\n"
            f"    pip install xlwings=={built_with}\n"
            "or rebuild the add-in in that environment and install the new file in place of this one:\n"
            "    pbp-toolkit addin -o FOLDER\n"
            "(on a Mac, then run: xlwings runpython install)")


def check_xlwings(built_with: str) -> None:
    """Every button calls this first, with the version the add-in was built with: a mismatch
    stops with a message (xlwings shows what Python writes to stderr), not a traceback."""
    try:
        import xlwings
        installed: str | None = xlwings.__version__
    except ImportError:
        installed = None
    message = xlwings_mismatch(built_with, installed)
    if message:
        sys.stderr.write(message + "\n")
        raise SystemExit(1)


def _caller() -> Book:
    from .book import XlwingsBook

    return XlwingsBook.caller()


def risk() -> None:
    """Ribbon: Risk analysis. Settings come from the Risk sheet of an earlier run, if any."""
    book = _caller()
    require_projections(book)
    settings = risk_settings(book)
    risk_report(book, partnership_from_book(book), **settings)


def validate() -> None:
    """Ribbon: Validate. The checks of `pbp-toolkit validate`, on a Toolkit Check sheet; problem cells filled red."""
    validate_action(_caller())


def recalculate() -> None:
    """Ribbon: Recalculate with Python. The model's numbers beside Excel's, on a Python Recalculation sheet."""
    recalculate_action(_caller())


def upgrade() -> None:
    """Ribbon: Upgrade. The inputs carried into the current template, as "<name> (upgraded).xlsx" beside this one."""
    upgrade_action(_caller())


#: Button action -> its entry point: one per button of macros/buttons.py (a missing one fails at import).
ACTIONS = {b.action: globals()[b.action] for b in BUTTONS}
