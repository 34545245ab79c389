"""Load the toolkit's content (ids, labels, guidance) from the content YAML files.

Content lives in YAML so that an organisation can edit labels and guidance, or add ids,
without touching code. Every other module asks this one for ids and text.

Where the files come from, first match wins:

1. a folder given with `--content DIR` on the command line (`use_content_dir`);
2. `$PBP_TEMPLATES/content` when the PBP_TEMPLATES environment variable is set;
3. the copy inside the installed package (`generator.templates`, which is the repository's
   top-level templates/ folder, mapped into the package by pyproject.toml), found with
   importlib.resources so that an installed wheel works from any folder.
"""
from __future__ import annotations

import importlib.resources
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")

#: The indirect (administrative) function; every other function is direct.
INDIRECT_FUNCTION = "operations"
#: Expense and unfunded items may name this instead of a function.
SHARED = "shared"
#: Payment schedules of a revenue source (SPEC section 6); the workbook's formulas know each one.
SCHEDULE_IDS = ("even", "upfront", "quarterly", "semiannual", "custom")
#: Ways to size the working-capital area (SPEC section 6).
WC_METHODS = ("months", "cash_flow")
MAX_LAG = 11
#: The content file every content folder must hold (used to recognise one).
_MARKER = "functions.yaml"

_content_override: Path | None = None


def packaged_templates() -> Path:
    """The templates shipped with the package (content/, examples/, rosters/)."""
    try:
        root = importlib.resources.files("generator.templates")
    except ModuleNotFoundError:  # running from a clone that was never installed
        return Path(__file__).resolve().parent.parent / "templates"
    return Path(str(root))


def templates_dir() -> Path:
    """The templates folder in force: $PBP_TEMPLATES, else the package's own."""
    env = os.environ.get("PBP_TEMPLATES")
    if env:
        return Path(env)
    return packaged_templates()


def resolve_content_dir(directory: str | Path) -> Path:
    """The folder holding the content files, given it or a templates folder around it."""
    base = Path(directory)
    if not (base / _MARKER).is_file() and (base / "content" / _MARKER).is_file():
        return base / "content"
    return base


def use_content_dir(directory: str | Path | None) -> None:
    """Take content from `directory` from now on in this process (None: back to the default)."""
    global _content_override
    _content_override = None if directory is None else resolve_content_dir(directory)


def content_dir() -> Path:
    """The content folder in force (see the module docstring for the order)."""
    if _content_override is not None:
        return _content_override
    return templates_dir() / "content"


class ContentError(ValueError):
    """A content file is missing or malformed."""


@dataclass(frozen=True)
class Item:
    """One content entry: an id, a label and any further text fields."""

    id: str
    label: str
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def text(self, key: str, default: str = "") -> str:
        """A text field, or `default`."""
        value = self.data.get(key, default)
        return "" if value is None else str(value)

    def bullets(self, key: str) -> list[str]:
        """A list-of-text field (empty when absent)."""
        value = self.data.get(key) or []
        return [str(v) for v in value]


@dataclass(frozen=True)
class Content:
    """Everything in the content folder, as ordered lists of Items."""

    functions: tuple[Item, ...]
    structures: tuple[Item, ...]
    streams: tuple[Item, ...]
    categories: tuple[Item, ...]
    levels: tuple[Item, ...]
    areas: tuple[Item, ...]
    guidance: tuple[Item, ...]
    scenarios: tuple[Item, ...]
    presets: tuple[Item, ...]
    start_pages: tuple[Item, ...]
    schedules: tuple[Item, ...] = ()
    methods: tuple[Item, ...] = ()

    @staticmethod
    def ids(items: tuple[Item, ...]) -> list[str]:
        """The ids of a list of items, in order."""
        return [i.id for i in items]

    @property
    def function_ids(self) -> list[str]:
        return self.ids(self.functions)

    @property
    def structure_ids(self) -> list[str]:
        return self.ids(self.structures)

    @property
    def stream_ids(self) -> list[str]:
        return self.ids(self.streams)

    @property
    def category_ids(self) -> list[str]:
        return self.ids(self.categories)

    @property
    def level_ids(self) -> list[str]:
        return self.ids(self.levels)

    def default_probability(self) -> dict[str, float]:
        """confidence level id -> its default probability."""
        return {lv.id: float(lv.data.get("default_probability", 0.0)) for lv in self.levels}

    def default_timing(self, stream: str) -> tuple[str, int]:
        """(schedule, lag_months) of a stream's sources that give no timing (streams.yaml)."""
        timing = self.by_id(self.streams, stream).data.get("timing") or {}
        return str(timing.get("schedule", "even")), int(timing.get("lag_months", 0))

    def by_id(self, items: tuple[Item, ...], id_: str) -> Item:
        """The item with this id (KeyError when absent)."""
        for item in items:
            if item.id == id_:
                return item
        raise KeyError(id_)

    def label(self, items: tuple[Item, ...], id_: str) -> str:
        """The label for an id, or the id itself when unknown."""
        try:
            return self.by_id(items, id_).label
        except KeyError:
            return id_

    def guidance_for(self, workbook: str) -> list[Item]:
        """Guidance sections shown in one workbook ('full_cost' or 'projections')."""
        return [g for g in self.guidance if workbook in (g.data.get("workbooks") or [])]


_FILES = {
    "functions": ("functions.yaml", "functions"),
    "structures": ("structures.yaml", "structures"),
    "streams": ("streams.yaml", "streams"),
    "categories": ("categories.yaml", "categories"),
    "levels": ("confidence.yaml", "levels"),
    "areas": ("full_cost_areas.yaml", "areas"),
    "guidance": ("guidance.yaml", "sections"),
    "scenarios": ("scenarios.yaml", "scenarios"),
    "presets": ("presets.yaml", "one_time_presets"),
    "start_pages": ("start_here.yaml", "pages"),
    "schedules": ("cash_flow.yaml", "schedules"),
    "methods": ("cash_flow.yaml", "methods"),
}


def _load_items(path: Path, key: str) -> tuple[Item, ...]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContentError(f"{path}: content file is missing") from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        raise ContentError(f"{path}: expected a mapping with a list under '{key}'")
    items: list[Item] = []
    seen: set[str] = set()
    for n, raw in enumerate(doc[key]):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise ContentError(f"{path}: {key}[{n}] needs an 'id'")
        id_ = raw["id"]
        if not ID_RE.match(id_):
            raise ContentError(f"{path}: {key}[{n}].id {id_!r} must match [a-z][a-z0-9_]*")
        if id_ in seen:
            raise ContentError(f"{path}: {key}[{n}].id {id_!r} appears twice")
        seen.add(id_)
        label = raw.get("label") or raw.get("title") or raw.get("name") or id_
        items.append(Item(id=id_, label=str(label), data=dict(raw)))
    return tuple(items)


def load_content(directory: str | Path | None = None) -> Content:
    """Load and check the content (cached per folder): from `directory` (a content folder, or
    a templates folder holding content/) or, when None, from the folder in force."""
    base = resolve_content_dir(directory) if directory is not None else content_dir()
    return _load_content(str(base.resolve()))


@lru_cache(maxsize=8)
def _load_content(directory: str) -> Content:
    base = Path(directory)
    if not base.is_dir():
        raise ContentError(f"{base}: the content folder does not exist")
    loaded = {attr: _load_items(base / fname, key) for attr, (fname, key) in _FILES.items()}
    content = Content(**loaded)
    if INDIRECT_FUNCTION not in content.function_ids:
        raise ContentError(f"{base / 'functions.yaml'}: the function '{INDIRECT_FUNCTION}' is required")
    if SHARED in content.function_ids:
        raise ContentError(f"{base / 'functions.yaml'}: '{SHARED}' is reserved and cannot be a function id")
    for items, ids, fname in ((content.schedules, SCHEDULE_IDS, "cash_flow.yaml"), (content.methods, WC_METHODS, "cash_flow.yaml")):
        if tuple(content.ids(items)) != ids:
            raise ContentError(f"{base / fname}: expected the ids {', '.join(ids)} in this order (the workbook's formulas know them)")
    for st in content.streams:
        timing = st.data.get("timing")
        if timing is None:
            continue
        sched, lag = (timing.get("schedule"), timing.get("lag_months", 0)) if isinstance(timing, dict) else (None, None)
        if sched not in SCHEDULE_IDS or sched == "custom" or not isinstance(lag, int) or isinstance(lag, bool) or not 0 <= lag <= MAX_LAG:
            raise ContentError(f"{base / 'streams.yaml'}: stream {st.id!r} timing must be {{schedule: one of "
                               f"{', '.join(i for i in SCHEDULE_IDS if i != 'custom')}, lag_months: 0..{MAX_LAG}}}")
    return content
