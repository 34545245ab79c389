"""One registry of the workbook kinds: what identifies each one and which code makes and reads it.

Everything that needs a template id, a version, a file-name slug, a display name, the builder,
the model, the extractor, the table capacities or the upgrade path of a workbook asks this
module, so a kind's identity is written once. The builder, model and extractor are imported
only when asked for: this module is imported by the workbook writers themselves.

It also holds the helpers every kind shares: `Capacity` (rows in each input table), the
capacity metadata written into each workbook, and `slugify` (file names).
"""
from __future__ import annotations

import importlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .content import Content
    from .readback.extract import Extracted
    from .readback.source import WorkbookSource
    from .schema import Partnership


# ----------------------------------------------------------------------------- shared helpers


@dataclass
class Capacity:
    """Rows in each input table (spare rows included)."""

    staff: int = 40
    expenses: int = 40
    revenue: int = 50
    unfunded: int = 20
    fixed_assets: int = 15
    debt: int = 10
    change_capital: int = 15
    one_time: int = 20          # Scenario Projections Tool only

    def fit(self, p: Partnership, spare: int = 10) -> Capacity:
        """Grow any table that the data would overfill (always keep spare rows)."""
        from .model.full_cost import year1_expenses, year1_staff

        fc = p.full_cost
        return Capacity(
            staff=max(self.staff, len(year1_staff(p)) + spare),
            expenses=max(self.expenses, len(year1_expenses(p)) + spare),
            revenue=max(self.revenue, len(p.revenue) + spare),
            unfunded=max(self.unfunded, len(fc.unfunded) + spare),
            fixed_assets=max(self.fixed_assets, len(fc.fixed_asset_additions) + spare),
            debt=max(self.debt, len(fc.debt_principal) + spare),
            change_capital=max(self.change_capital, len(fc.change_capital) + spare),
            one_time=self.one_time,
        )


def capacity_meta(cap: Capacity) -> dict[str, str]:
    """Table capacities as metadata entries (capacity_staff, ...), so a rebuild matches the file."""
    return {f"capacity_{k}": str(v) for k, v in asdict(cap).items()}


def capacity_from_meta(meta: dict[str, str]) -> Capacity:
    """The Capacity a workbook was built with (defaults where the metadata says nothing)."""
    cap = Capacity()
    for key in asdict(cap):
        value = meta.get(f"capacity_{key}", "")
        if value.isdigit():
            setattr(cap, key, int(value))
    return cap


def slugify(name: str) -> str:
    """A file-name-safe id from an organisation name."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60].strip("-") or "partnership"


# ----------------------------------------------------------------------------- the registry


def _load(ref: str) -> Any:
    """`module:attribute` under this package, imported on first use."""
    module, attr = ref.split(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), attr)


@dataclass(frozen=True)
class Kind:
    """One workbook kind."""

    template_id: str              # written in the workbook's metadata; how a returned file is recognised
    version: str                  # the template version built today
    known_versions: tuple[str, ...]   # versions `upgrade` can read (the upgrade path ends at `version`)
    slug: str                     # file names (<org>-<slug>.xlsx) and `--workbook`
    name: str                     # display name
    plural: str
    prefix: str                   # of the kind's defined names: FC_Complete, SP_Checks_OK
    board_sheets: tuple[str, ...]  # output sheets printed in the board pack, in order
    _builder: str
    _model: str
    _extractor: str

    def builder(self) -> Callable[..., dict[str, str]]:
        """build(p, path, content=, capacity=, password=, blank=, build_time=) -> defined names."""
        return _load(self._builder)

    def model(self) -> Callable[[Partnership, Content], dict[str, Any]]:
        """The model function whose outputs this kind's workbook must show."""
        return _load(self._model)

    def extractor(self) -> Callable[[WorkbookSource], Extracted]:
        """Reads the inputs back from a workbook of this kind."""
        return _load(self._extractor)

    def rebuild(self, p: Partnership, path: Path, meta: dict[str, str], **options: Any) -> dict[str, str]:
        """Build this kind at `path` with the table capacities recorded in `meta` (upgrade, shape checks)."""
        return self.builder()(p, path, capacity=capacity_from_meta(meta), **options)

    def name_of(self, what: str) -> str:
        """The kind's defined name for `what` (Complete -> FC_Complete)."""
        return f"{self.prefix}_{what}"


FULL_COST = Kind(
    template_id="pbp-full-cost", version="1", known_versions=("1",), slug="full-cost",
    name="Full Cost Workbook", plural="Full Cost Workbooks", prefix="FC", board_sheets=("Summary",),
    _builder="workbook.full_cost:build_full_cost", _model="model.full_cost:compute_full_cost",
    _extractor="readback.extract:extract_full_cost",
)
PROJECTIONS = Kind(
    template_id="pbp-scenario-projections", version="1", known_versions=("1",), slug="scenario-projections",
    name="Scenario Projections Tool", plural="Scenario Projections Tools", prefix="SP",
    board_sheets=("Scenario View", "Compare"),
    _builder="workbook.projections:build_projections", _model="model.projections:compute_projections",
    _extractor="readback.extract_projections:extract_projections",
)

#: Every kind, in build order.
KINDS: tuple[Kind, ...] = (FULL_COST, PROJECTIONS)
#: The slugs, in build order (the `--workbook` choices).
SLUGS: tuple[str, ...] = tuple(k.slug for k in KINDS)
FULL_COST_ID = FULL_COST.template_id
PROJECTIONS_ID = PROJECTIONS.template_id


def by_slug(slug: str) -> Kind:
    """The kind with this slug ("full-cost"); ValueError naming the choices otherwise."""
    for kind in KINDS:
        if kind.slug == slug:
            return kind
    raise ValueError(f"unknown workbook {slug!r}; choose from {', '.join(SLUGS)}")


def by_template_id(template_id: str | None) -> Kind | None:
    """The kind with this template id, or None when it is not one of ours."""
    for kind in KINDS:
        if kind.template_id == template_id:
            return kind
    return None


def of_template_id(template_id: str) -> Kind:
    """The kind with this template id (KeyError when it is not one of ours)."""
    kind = by_template_id(template_id)
    if kind is None:
        raise KeyError(template_id)
    return kind
