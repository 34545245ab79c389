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
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

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


@lru_cache(maxsize=1)
def packaged_templates() -> Path:
    """The templates shipped with the package (content/, examples/, rosters/); found once per
    process (importlib's lookup costs a tenth of a millisecond, and every validation asks)."""
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
    #: Each content file as its typed model (file name -> model), for code that wants types.
    models: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: The content folder, for messages that name a file.
    folder: str = field(default="", compare=False, hash=False)

    def words(self, kind: str) -> "Words":
        """The words of one workbook kind's sheets ('full_cost' or 'projections'), shared ones included."""
        return Words(self, kind)

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


# ----------------------------------------------------------------------------- typed content files
# One pydantic model per content file. Unknown keys, missing texts and wrong types are refused
# (extra="forbid", strict types), so a misspelt `wht:` is an error rather than an empty cell.

Text = Annotated[str, StringConstraints(min_length=1)]
Texts = list[Text]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Entry(_Model):
    id: str  # checked against ID_RE with its own message in _load_file


class HelpEntry(_Entry):
    """A schedule, a working-capital method or an expense category."""

    label: Text
    help: Text


class Level(HelpEntry):
    default_probability: Annotated[float, Field(ge=0, le=1)]


class Area(_Entry):
    label: Text
    what: Text
    how_to_estimate: Text


class Function(_Entry):
    label: Text
    kind: Literal["direct", "indirect"]
    covers: Text
    typical_roles: Texts


class GuidanceSection(_Entry):
    title: Text
    workbooks: list[Literal["full_cost", "projections"]]
    paragraphs: Texts = []
    bullets: Texts = []


class Scenario(_Entry):
    name: Text
    description: Text
    realization: dict[str, Annotated[float, Field(ge=0, le=1)]] | None


class Preset(_Entry):
    name: Text
    typical_amount_note: Text
    help: Text


class StartSection(_Model):
    heading: Text
    lines: Texts


class StartPage(_Entry):
    label: Text
    purpose: Texts = []
    steps: Texts = []
    sheets: dict[str, Text] = {}
    sections: list[StartSection] = []
    good_to_know: Texts = []


class Timing(_Model):
    schedule: str  # checked in _load_content, with the list of allowed schedules in the message
    lag_months: int = 0


class Stream(_Entry):
    label: Text
    timing: Timing | None = None
    description: Text
    benefits: Texts
    challenges: Texts


class Structure(_Entry):
    label: Text
    description: Text
    benefits: Texts
    challenges: Texts
    cost_implications: Texts
    funder_tips: Texts


class CashFlowFile(_Model):
    schedules: list[HelpEntry]
    methods: list[HelpEntry]


class CategoriesFile(_Model):
    categories: list[HelpEntry]


class ConfidenceFile(_Model):
    levels: list[Level]


class AreasFile(_Model):
    areas: list[Area]


class FunctionsFile(_Model):
    functions: list[Function]


class GuidanceFile(_Model):
    sections: list[GuidanceSection]


class ScenariosFile(_Model):
    scenarios: list[Scenario]


class PresetsFile(_Model):
    one_time_presets: list[Preset]


class StartHereFile(_Model):
    pages: list[StartPage]


class StreamsFile(_Model):
    streams: list[Stream]


class StructuresFile(_Model):
    structures: list[Structure]


class ColumnText(_Model):
    """A table column's words: its header, and the input message shown when a cell is selected.
    A sheet's column with no header takes the header (and what else it leaves out) from the
    shared column of the same key, so that a sheet can say what a shared column means there
    while its header stays one edit."""

    header: str = ""
    help: str = ""
    title: str = ""        # the input message's title when it is not the header


class LineText(_Model):
    """A labelled line (an input or a result): label, unit, note, and the input message."""

    label: Text
    unit: str = ""
    note: str = ""
    help: str = ""
    title: str = ""        # the input message's title when it is not the label


class CheckText(_Model):
    """One line of the Checks sheet: what is checked, and where to look."""

    text: Text
    where: str = ""


class SheetText(_Model):
    """Every word of one sheet, by key. The sheet's spec names the keys; a key the spec asks for
    and the file lacks, or a key in the file no spec asks for, is an error naming both."""

    title: str = ""
    note: str = ""
    headings: dict[str, Text] = {}
    columns: dict[str, ColumnText] = {}
    lines: dict[str, LineText] = {}
    notes: dict[str, Text] = {}
    checks: dict[str, CheckText] = {}
    words: dict[str, Text] = {}          # other words: formula results, chart titles, labels of totals


class SheetsFile(_Model):
    """A sheets_*.yaml file: the sheets it words, and (in the shared file) columns and lines
    that several sheets use under the same key, so a shared header is one edit."""

    sheets: dict[str, SheetText] = {}
    columns: dict[str, ColumnText] = {}
    lines: dict[str, LineText] = {}


class HistoryMeasure(_Model):
    """How the history words one measure: its label, the verbs for a rise and a fall, which way is worse."""

    label: str
    up: str
    down: str
    format: Literal["money", "pct", "months", "count"] = "money"
    worse: Literal["up", "down", "none"] = "none"


class HistoryFile(_Model):
    """history.yaml: the words of the history workbook and of the Portfolio's change columns."""

    measures: dict[str, HistoryMeasure]
    words: dict[str, str]


#: The files that word the workbooks' sheets: one per workbook kind, and one for what both share.
SHEET_FILES = {"shared": "sheets_shared.yaml", "full_cost": "sheets_full_cost.yaml", "projections": "sheets_projections.yaml"}

#: Every content file and the model it must fit.
FILE_MODELS: dict[str, type[_Model]] = {
    "sheets_shared.yaml": SheetsFile,
    "sheets_full_cost.yaml": SheetsFile,
    "sheets_projections.yaml": SheetsFile,
    "cash_flow.yaml": CashFlowFile,
    "categories.yaml": CategoriesFile,
    "confidence.yaml": ConfidenceFile,
    "full_cost_areas.yaml": AreasFile,
    "functions.yaml": FunctionsFile,
    "guidance.yaml": GuidanceFile,
    "scenarios.yaml": ScenariosFile,
    "presets.yaml": PresetsFile,
    "start_here.yaml": StartHereFile,
    "streams.yaml": StreamsFile,
    "structures.yaml": StructuresFile,
    "history.yaml": HistoryFile,
}

#: Content attribute -> (file, list key).
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

_PROBLEM_WORDS = {
    "extra_forbidden": "unknown key (misspelt?)",
    "missing": "missing",
}


def _key_path(loc: tuple[int | str, ...], doc: Any) -> str:
    """`areas[1].wht`, with the entry's id when it has one: `areas[1] (working_capital).wht`."""
    out = ""
    node = doc
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out += f" ({node['id']})"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


def _describe(path: Path, exc: ValidationError, doc: Any) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "union["))))
        problem = _PROBLEM_WORDS.get(err["type"], err["msg"])
        lines.append(f"{path}: {_key_path(loc, doc)}: {problem}")
    return "; ".join(lines)  # one line: the command line shows a content problem on one line


#: Excel's limits on text (a cell; a text inside a formula, a lookup value for MATCH, an input
#: message; an input message's title). Content over them would be cut short or break a formula.
CELL_LIMIT, FORMULA_TEXT_LIMIT, TITLE_LIMIT = 32_767, 255, 32
#: Sheet words that may be written inside a formula's text (a check's status, a heading joined to
#: a scenario's name, a cash-flow note around a number): 255 characters at most.
_FORMULA_PARTS = ("words", "headings", "notes")


def _text_limit(keys: list[str | int], sheets_file: bool) -> tuple[int, str]:
    """(limit, what the text is used for) for the string at `keys` in a content file."""
    last = next((k for k in reversed(keys) if isinstance(k, str)), "")
    if sheets_file:
        named = [k for k in keys if isinstance(k, str)]
        part = named[2] if len(named) > 2 and named[0] == "sheets" else (named[0] if named else "")
        if part in ("columns", "lines") and last == "title":
            return TITLE_LIMIT, "the title of an input message"
        if part in ("columns", "lines") and last == "help":
            return FORMULA_TEXT_LIMIT, "an input message"
        if part in _FORMULA_PARTS or (part == "checks" and last == "text") or (part == "lines" and last == "label"):
            return FORMULA_TEXT_LIMIT, "a text that may be written inside a formula"
    elif len(keys) == 3 and last in ("id", "label", "name", "title"):
        return FORMULA_TEXT_LIMIT, "an entry of a dropdown list, looked up by formulas"
    return CELL_LIMIT, "a cell"


def _check_texts(path: Path, doc: Any) -> None:
    """Every text within Excel's limit for what it is used for (ContentError naming the key)."""
    sheets_file = path.name in SHEET_FILES.values()

    def walk(node: Any, keys: list[str | int]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, [*keys, str(k)])
        elif isinstance(node, list):
            for n, v in enumerate(node):
                walk(v, [*keys, n])
        elif isinstance(node, str):
            limit, use = _text_limit(keys, sheets_file)
            if len(node) > limit:
                raise ContentError(f"{path}: {_key_path(tuple(keys), doc)}: {len(node):,} characters, more than the "
                                   f"{limit:,} Excel allows in {use}; shorten it")

    walk(doc, [])


def _check_labels(path: Path, doc: dict[str, Any]) -> None:
    """No two entries of one list share a label (compared as Excel's lookups compare: ignoring
    letter case): a dropdown shows labels, and reading a workbook back turns a label into its id."""
    for key, raws in doc.items():
        seen: dict[str, int] = {}
        for n, raw in enumerate(raws):
            field_ = next((f for f in ("label", "title", "name") if isinstance(raw.get(f), str)), None)
            if field_ is None:
                continue
            text = " ".join(raw[field_].split()).casefold()
            if text in seen:
                first = seen[text]
                raise ContentError(f"{path}: {key}[{n}] ({raw['id']}).{field_} {raw[field_]!r} is also the {field_} of "
                                   f"{key}[{first}] ({raws[first]['id']}); each entry of a list needs its own {field_}")
            seen[text] = n


def _load_file(path: Path) -> tuple[dict[str, Any], _Model]:
    """One content file: read, check against its model, the id and label rules and Excel's text
    limits (ContentError on any problem, naming the file and key)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContentError(f"{path}: content file is missing") from exc
    except UnicodeDecodeError as exc:
        raise ContentError(f"{path}: not UTF-8 text (byte {exc.start} cannot be read); save the file as UTF-8") from None
    except OSError as exc:
        raise ContentError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise ContentError(f"{path}: expected a mapping of lists, such as '{next(iter(FILE_MODELS[path.name].model_fields))}:'")
    try:
        model = FILE_MODELS[path.name].model_validate(doc)
    except ValidationError as exc:
        raise ContentError(_describe(path, exc, doc)) from None
    _check_texts(path, doc)
    if isinstance(model, (SheetsFile, HistoryFile)):
        return doc, model
    for key, raws in doc.items():
        seen: set[str] = set()
        for n, raw in enumerate(raws):
            id_ = raw["id"]
            if not ID_RE.match(id_):
                raise ContentError(f"{path}: {key}[{n}].id {id_!r} must match [a-z][a-z0-9_]*")
            if id_ in seen:
                raise ContentError(f"{path}: {key}[{n}].id {id_!r} appears twice")
            seen.add(id_)
    _check_labels(path, doc)
    return doc, model


def _items(doc: dict[str, Any], key: str) -> tuple[Item, ...]:
    items = []
    for raw in doc[key]:
        label = raw.get("label") or raw.get("title") or raw.get("name") or raw["id"]
        items.append(Item(id=raw["id"], label=str(label), data=dict(raw)))
    return tuple(items)


def load_content(directory: str | Path | None = None) -> Content:
    """Load and check the content (cached per folder): from `directory` (a content folder, or
    a templates folder holding content/) or, when None, from the folder in force."""
    base = resolve_content_dir(directory) if directory is not None else content_dir()
    return _load_content(_resolved(str(base)))


@lru_cache(maxsize=64)
def _resolved(base: str) -> str:
    """A folder's real path, worked out once per process for the same folder (load_content is
    called several times for every file read back)."""
    return str(Path(base).resolve())


@lru_cache(maxsize=8)
def _load_content(directory: str) -> Content:
    base = Path(directory)
    if not base.is_dir():
        raise ContentError(f"{base}: the content folder does not exist")
    # the marker file first, so an empty folder is reported by the file that makes it a content folder
    files = {fname: _load_file(base / fname) for fname in sorted(FILE_MODELS, key=lambda f: f != _MARKER)}
    loaded = {attr: _items(files[fname][0], key) for attr, (fname, key) in _FILES.items()}
    content = Content(**loaded, models={fname: model for fname, (_, model) in files.items()}, folder=str(base))
    _check_sheet_keys(content)
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


# ----------------------------------------------------------------------------- words of the sheets

#: (file, key path) of every sheet word a build asked for, in this process: a test builds every
#: workbook and then reports the words nobody asked for (dead or misspelt keys).
USED_WORDS: set[tuple[str, str]] = set()


def _check_sheet_keys(content: Content) -> None:
    """A sheet is worded in one file only: the shared file or one workbook's file; a shared column has a header."""
    shared = content.models[SHEET_FILES["shared"]].sheets
    for key, column in content.models[SHEET_FILES["shared"]].columns.items():
        if not column.header:
            raise ContentError(f"{Path(content.folder) / SHEET_FILES['shared']}: columns.{key}.header: missing "
                               "(a shared column needs a header)")
    for kind in ("full_cost", "projections"):
        both = sorted(set(shared) & set(content.models[SHEET_FILES[kind]].sheets))
        if both:
            raise ContentError(f"{Path(content.folder) / SHEET_FILES[kind]}: sheets.{both[0]} is already worded in "
                               f"{SHEET_FILES['shared']}; word a sheet in one file only")


class SheetWords:
    """The words of one sheet, looked up by key: a missing key is a ContentError naming the file
    and the key, and every key asked for is recorded (USED_WORDS)."""

    def __init__(self, content: Content, fname: str, key: str, sheet: SheetText) -> None:
        self._folder_name = content.folder   # a Path made only for an error's words (a build asks for many sheets)
        self._fname, self._key, self._sheet = fname, key, sheet
        self._shared: SheetsFile = content.models[SHEET_FILES["shared"]]

    @property
    def _folder(self) -> Path:
        return Path(self._folder_name)

    def _missing(self, path: str) -> ContentError:
        return ContentError(f"{self._folder / self._fname}: {path}: missing (the workbook needs this text)")

    def _get(self, part: str, key: str) -> Any:
        table: dict[str, Any] = getattr(self._sheet, part)
        if key in table:
            USED_WORDS.add((self._fname, f"sheets.{self._key}.{part}.{key}"))
            return table[key]
        if part in ("columns", "lines"):  # the shared vocabulary
            common: dict[str, Any] = getattr(self._shared, part)
            if key in common:
                USED_WORDS.add((SHEET_FILES["shared"], f"{part}.{key}"))
                return common[key]
        raise self._missing(f"sheets.{self._key}.{part}.{key}")

    def _whole(self, attr: str) -> str:
        """The sheet's title or note (optional in the file, so that a sheet may word only its
        columns, but required once the workbook asks for it)."""
        USED_WORDS.add((self._fname, f"sheets.{self._key}.{attr}"))
        text: str = getattr(self._sheet, attr)
        if not text:
            raise self._missing(f"sheets.{self._key}.{attr}")
        return text

    @property
    def title(self) -> str:
        return self._whole("title")

    @property
    def note(self) -> str:
        return self._whole("note")

    def heading(self, key: str, **values: Any) -> str:
        return self._fill("headings", key, self._get("headings", key), values)

    def column(self, key: str, **values: Any) -> ColumnText:
        """A column's words, with {placeholders} filled from `values` (an unknown one names the key)."""
        text: ColumnText = self._get("columns", key)
        if not text.header:
            shared = self._shared.columns.get(key)
            if shared is None:
                raise self._missing(f"sheets.{self._key}.columns.{key}.header")
            USED_WORDS.add((SHEET_FILES["shared"], f"columns.{key}"))
            text = shared.model_copy(update={k: v for k, v in text.model_dump().items() if v})
        if not values:
            return text
        own = self._sheet.columns.get(key)
        shared_where = f"{self._folder / SHEET_FILES['shared']}: columns.{key}"
        return text.model_copy(update={
            part: self._fill("columns", f"{key}.{part}", getattr(text, part), values,
                             "" if own is not None and getattr(own, part) else f"{shared_where}.{part}")
            for part in ("header", "help", "title")})

    def line(self, key: str) -> LineText:
        return self._get("lines", key)

    def note_text(self, key: str, **values: Any) -> str:
        return self._fill("notes", key, self._get("notes", key), values)

    def check(self, key: str) -> CheckText:
        return self._get("checks", key)

    def word(self, key: str, **values: Any) -> str:
        return self._fill("words", key, self._get("words", key), values)

    def _fill(self, part: str, key: str, text: str, values: dict[str, Any], where: str = "") -> str:
        """A text with {placeholders} filled in; an unknown placeholder names the file and key
        (`where`: 'file: key path' when the text is not this sheet's own, e.g. a shared column's)."""
        if not values:
            return text
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            where = where or f"{self._folder / self._fname}: sheets.{self._key}.{part}.{key}"
            raise ContentError(f"{where}: unknown placeholder {exc} "
                               f"(known: {', '.join('{' + k + '}' for k in values)})") from None


class Words:
    """The words of every sheet of one workbook kind: its own file first, then the shared one."""

    def __init__(self, content: Content, kind: str) -> None:
        if kind not in SHEET_FILES or kind == "shared":
            raise ValueError(f"no workbook kind {kind!r}")
        self._content, self.kind = content, kind

    def sheet(self, key: str) -> SheetWords:
        for fname in (SHEET_FILES[self.kind], SHEET_FILES["shared"]):
            sheets = self._content.models[fname].sheets
            if key in sheets:
                return SheetWords(self._content, fname, key, sheets[key])
        raise ContentError(f"{Path(self._content.folder) / SHEET_FILES[self.kind]}: sheets.{key}: missing "
                           f"(nor in {SHEET_FILES['shared']}); the workbook needs this sheet's words")

    def shared_column(self, key: str) -> ColumnText:
        """A column every input table of both workbooks has (sheets_shared.yaml `columns`)."""
        shared: SheetsFile = self._content.models[SHEET_FILES["shared"]]
        if key not in shared.columns:
            raise ContentError(f"{Path(self._content.folder) / SHEET_FILES['shared']}: columns.{key}: missing "
                               "(the workbook needs this text)")
        USED_WORDS.add((SHEET_FILES["shared"], f"columns.{key}"))
        return shared.columns[key]


def unused_words(content: Content) -> list[str]:
    """'file: key path' of every sheet word no build in this process asked for."""
    out = []
    for fname in SHEET_FILES.values():
        model: SheetsFile = content.models[fname]
        for part in ("columns", "lines"):
            out += [f"{fname}: {part}.{k}" for k in getattr(model, part) if (fname, f"{part}.{k}") not in USED_WORDS]
        for skey, sheet in model.sheets.items():
            for attr in ("title", "note"):
                if getattr(sheet, attr) and (fname, f"sheets.{skey}.{attr}") not in USED_WORDS:
                    out.append(f"{fname}: sheets.{skey}.{attr}")
            for part in ("headings", "columns", "lines", "notes", "checks", "words"):
                out += [f"{fname}: sheets.{skey}.{part}.{k}" for k in getattr(sheet, part)
                        if (fname, f"sheets.{skey}.{part}.{k}") not in USED_WORDS]
    return out
