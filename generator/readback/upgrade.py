"""Carry a filled workbook's inputs into the current template version.

`upgrade_file(old, new)` is `pbp-toolkit upgrade`: validate the old file, then build a
fresh workbook of the same kind and table sizes from the inputs read back from it. The
add-in does the same from an open workbook (`upgrade_validated` on a report made by
`validate_source`). The upgrade needs readable, valid inputs; changed formulas do not
stop it (the new workbook gets the template's formulas back).
"""
from __future__ import annotations

from pathlib import Path

from ..kinds import of_template_id
from ..recorded import RecordError, recalled
from .validate import Report, validate_file


class UpgradeError(RuntimeError):
    """The workbook cannot be upgraded; `exit_code` is 2 when it cannot be read, 1 when its inputs are invalid."""

    def __init__(self, message: str, exit_code: int, report: Report):
        super().__init__(message)
        self.exit_code = exit_code
        self.report = report


def upgrade_validated(report: Report, new: str | Path) -> Path:
    """Build the current template at `new` from a validated workbook's inputs (written atomically)."""
    from ..fileio import atomic_write

    if report.status == "unreadable" or report.extracted is None:
        errors = [f.message for f in report.findings if f.level == "error"] or [report.status]
        raise UpgradeError(f"{report.path}: {'; '.join(errors[:3])}; nothing was written", 2, report)
    if report.partnership is None:
        raise UpgradeError(report.render() + "\nfix the inputs above, then upgrade again; nothing was written.", 1, report)
    kind = of_template_id(report.template_id)
    meta = report.extracted.meta
    p = report.partnership
    # the new workbook records what the old one was built with, not what it holds now: its
    # partner (the other workbook of the pair, not upgraded) is merged against the same base,
    # so an edit made before the upgrade is still an edit; the partnership id stays: rounds match
    try:
        base = recalled(meta)
    except RecordError:
        base = None
    return atomic_write(Path(new), lambda tmp: kind.rebuild(p, tmp, meta, base=base,
                                                            partnership_id=meta.get("partnership_id") or None))


def upgrade_file(old: str | Path, new: str | Path) -> Path:
    """`pbp-toolkit upgrade OLD -o NEW`: raises `UpgradeError` when OLD cannot be upgraded."""
    return upgrade_validated(validate_file(old), new)


def describe(report: Report, new: Path) -> str:
    """The one-line summary the command line prints."""
    return f"wrote {new}: {report.template_id} version {report.template_version} -> current"
