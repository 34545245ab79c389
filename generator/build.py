"""Build workbooks from data files: the one code path behind the CLI and build.py.

Files are written to a temporary name and renamed into place, so an interrupted build
never leaves a half-written workbook behind, and nothing is written for invalid data.
"""
from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .content import Content, load_content, packaged_templates, templates_dir
from .fileio import write_set
from .schema import Partnership, validate_data
from .kinds import KINDS as _KINDS, SLUGS, Capacity, slugify

BLANK_SLUG = "blank"
KINDS = SLUGS  # the `--workbook` choices


def examples_dir() -> Path:
    """$PBP_TEMPLATES/examples when that folder exists, else the examples shipped with the toolkit."""
    own = templates_dir() / "examples"
    return own if own.is_dir() else packaged_templates() / "examples"


def example_names() -> list[str]:
    """Names of the shipped example data files (file stems)."""
    return sorted(p.stem for p in examples_dir().glob("*.yaml"))


def example_path(name: str) -> Path:
    """The data file of an example, or a clear error listing the examples."""
    path = examples_dir() / f"{name}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no example named {name!r}; choose one of: {', '.join(example_names())}")
    return path


def blank_partnership(years: int = 5, content: Content | None = None) -> Partnership:
    """The empty partnership behind the blank templates (its cells are written empty)."""
    content = content or load_content()
    return validate_data({
        "organization": {"name": "Blank template", "backbone_structure": content.structure_ids[0], "fiscal_year_start": "2026-07-01"},
        "projections": {"years": years},
    }, "<blank>", content)


def with_years(p: Partnership, years: int | None, content: Content | None = None) -> Partnership:
    """The partnership with another projection horizon (amounts beyond it dropped)."""
    if years is None or years == p.years:
        return p
    data = p.to_data()
    data["projections"]["years"] = years
    for item in data["staff"] + data["expenses"]:
        if item.get("start_year", 1) > years:
            raise ValueError(f"{item.get('title') or item.get('name')!r} starts in year {item['start_year']}, beyond --years {years}")
        if item.get("end_year") and item["end_year"] > years:
            item["end_year"] = years
    for o in data["projections"]["one_time"]:
        if o["year"] > years:
            raise ValueError(f"one-time item {o['name']!r} falls in year {o['year']}, beyond --years {years}")
    return validate_data(data, f"<{years}-year copy>", content)


@dataclass
class BuildOptions:
    """What to build and how."""

    kinds: tuple[str, ...] | None = None   # None = every workbook
    capacity: Capacity | None = None
    password: str | None = None
    years: int | None = None
    build_time: dt.datetime | None = None  # recorded in the metadata; None = not recorded (byte-identical builds)
    partnership_id: str | None = None      # the workbooks' partnership id (batch's roster `id`); None = the name's slug


def stamp_time() -> dt.datetime:
    """The build time to record: $SOURCE_DATE_EPOCH when set (reproducible builds), else now (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).replace(tzinfo=None)
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def builders() -> dict[str, Callable[..., dict[str, str]]]:
    """Workbook slug -> its build function (see generator.kinds)."""
    return {kind.slug: kind.builder() for kind in _KINDS}


def workbook_path(p: Partnership, outdir: Path, kind: str, blank: bool = False, slug: str | None = None,
                  suffix: str = ".xlsx") -> Path:
    """Where build_workbooks writes one workbook: OUT/<slug>-<kind>.xlsx, the slug from the
    partnership's name (or `blank`), so a command can check it before anything is built."""
    slug = slug or (BLANK_SLUG if blank else slugify(p.organization.name))
    return Path(outdir) / f"{slug}-{kind}{suffix}"


def build_workbooks(p: Partnership, outdir: Path, options: BuildOptions | None = None, blank: bool = False,
                    slug: str | None = None, content: Content | None = None) -> list[Path]:
    """Write the chosen workbooks for one partnership into outdir; returns their paths."""
    options = options or BuildOptions()
    content = content or load_content()
    p = with_years(p, options.years, content)
    available = builders()
    jobs: list[tuple[Path, Callable[[Path], object]]] = []
    for kind in options.kinds or tuple(available):
        if kind not in available:
            raise ValueError(f"unknown workbook {kind!r}; choose from {', '.join(available)}")
        target = workbook_path(p, outdir, kind, blank, slug)
        fn = available[kind]
        jobs.append((target, functools.partial(fn, p, content=content, capacity=options.capacity,  # fn(p, tmp, ...)
                                               password=options.password, blank=blank, build_time=options.build_time,
                                               partnership_id=options.partnership_id)))
    from .batch import fast_formulas
    from .workbook.fill import filling

    with fast_formulas(), filling():  # the same file, written with less work (workbook/fill.py)
        return write_set(jobs)

