"""The partnership data file (SPEC section 2): pydantic models, loading and clear errors.

`load_partnership(path)` returns a validated `Partnership` with every default filled in,
or raises `DataFileError` listing every problem at once, each with the file, the path
(`staff[3].functions`) and what was expected.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic_core import ErrorDetails
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    AfterValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .content import ID_RE, MAX_LAG, SCHEDULE_IDS, SHARED, WC_METHODS, Content, load_content

SCHEMA_ID = "pbp-toolkit/partnership/1"
MAX_SCENARIOS = 6
MIN_YEARS, MAX_YEARS = 3, 10
SCENARIO_ID_MAX = 20
SHARE_TOLERANCE = 0.001
#: Amounts listed per revenue source: those past the horizon are ignored (SPEC 2), so the
#: bound is generous and only stops a file from listing millions of them.
MAX_AMOUNTS = 100


# ----------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    """One problem in a data file: where it is and what was expected."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(top level)'}: {self.message}"


class DataFileError(ValueError):
    """A data file that cannot be used; `problems` lists every problem found."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        if len(problems) == 1 and not problems[0].path:  # the file as a whole: one line
            super().__init__(f"{source}: {problems[0].message}")
            return
        lines = [f"{source}: {len(problems)} problem(s) in the partnership data file:"]
        lines += [f"  {source}: {p}" for p in problems]
        super().__init__("\n".join(lines))


def format_loc(loc: tuple[Any, ...]) -> str:
    """('staff', 3, 'functions') -> 'staff[3].functions'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


# ----------------------------------------------------------------------------- field types

#: What a workbook can hold (documented in docs/data-file.md and the README):
MAX_TEXT = 32_767            # characters in one cell (Excel's limit)
MAX_MONEY = 1e12             # the largest amount accepted: a trillion (a backbone budget is far below it)
MIN_MONEY = 0.01             # an amount is 0 or at least one cent: smaller ones are typing slips
MAX_FACTOR = 1e6             # multipliers and months
MIN_DATE, MAX_DATE = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
MAX_FILE_BYTES = 5 * 1024 * 1024   # a partnership data file
MAX_DEPTH = 20               # nesting of a data file (real ones use 4)


def _money(v: float) -> float:
    if v != 0 and abs(v) < MIN_MONEY:
        raise ValueError(f"expected 0 or an amount of at least {MIN_MONEY} (one cent)")
    return v


def _no_subnormal(v: float) -> float:
    if v != 0 and abs(v) < 1e-9:
        raise ValueError("expected 0 or a number of at least 0.000000001")
    return v


Num = Annotated[float, Strict(), Field(allow_inf_nan=False)]  # int or float, never bool, text, inf or NaN
Money = Annotated[float, Strict(), Field(ge=-MAX_MONEY, le=MAX_MONEY, allow_inf_nan=False), AfterValidator(_money)]
NonNeg = Annotated[float, Strict(), Field(ge=0, le=MAX_FACTOR, allow_inf_nan=False), AfterValidator(_no_subnormal)]
NonNegMoney = Annotated[float, Strict(), Field(ge=0, le=MAX_MONEY, allow_inf_nan=False), AfterValidator(_money)]
Share = Annotated[float, Strict(), Field(ge=0, le=1), AfterValidator(_no_subnormal)]
def _not_only_spaces(v: str) -> str:
    if not v.strip():
        raise ValueError("expected some text, not only spaces")
    return v


Text = Annotated[str, Strict(), Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_not_only_spaces)]
OptText = Annotated[str | None, Strict(), Field(max_length=MAX_TEXT)]
#: The "Source or note" beside an item or rate in the workbooks: where a number came from.
Note = Annotated[str | None, Strict(), Field(max_length=MAX_TEXT, description="Source or note: where the number came from (the workbook's Source or note cell).")]
Bool = Annotated[bool, Strict()]
Year = Annotated[int, Strict(), Field(ge=1, le=MAX_YEARS)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True, frozen=False)


def _content(info: ValidationInfo) -> Content:
    ctx = info.context or {}
    return ctx.get("content") or load_content()


def _check_id(value: str, allowed: list[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of: {', '.join(allowed)}")
    return value


def _month_list(v: list[int] | None, what: str) -> list[int] | None:
    """Distinct month numbers 1..12 of the fiscal year (SPEC section 6)."""
    if v is None:
        return v
    if not v:
        raise ValueError(f"give at least one month number from 1 to 12, or leave {what} out")
    bad = [m for m in v if not 1 <= m <= 12]
    dup = sorted({m for m in v if v.count(m) > 1 and 1 <= m <= 12})
    found = []
    if bad:
        found.append(f"month numbers must be from 1 to 12 (months of the fiscal year); got {', '.join(map(str, bad))}")
    if dup:
        found.append(f"each month may be listed once; {', '.join(map(str, dup))} appear(s) more than once")
    if found:
        raise ValueError("; ".join(found))
    return v


def _finite(value: float) -> float:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


# ----------------------------------------------------------------------------- sections


class Organization(_Model):
    """Who the partnership is."""

    name: Text
    region: OptText = None
    focus: OptText = None
    backbone_structure: str
    fiscal_year_start: Annotated[dt.date, Strict(False)]

    @field_validator("backbone_structure")
    @classmethod
    def _structure(cls, v: str, info: ValidationInfo) -> str:
        return _check_id(v, _content(info).structure_ids, "backbone structure")

    @field_validator("fiscal_year_start", mode="before")
    @classmethod
    def _no_datetime(cls, v: Any) -> Any:
        if isinstance(v, dt.datetime):
            return v.date()
        if not isinstance(v, (dt.date, str)):
            raise ValueError("expected a date such as 2026-07-01")
        return v

    @field_validator("fiscal_year_start")
    @classmethod
    def _date_range(cls, v: dt.date) -> dt.date:
        if not MIN_DATE <= v <= MAX_DATE:
            raise ValueError(f"expected a date between {MIN_DATE.year} and {MAX_DATE.year}, got {v.isoformat()}")
        return v

    @property
    def first_fy(self) -> int:
        """FY label of year 1: the calendar year in which the fiscal year ends."""
        start = self.fiscal_year_start
        return start.year if (start.month, start.day) == (1, 1) else start.year + 1


class Assumptions(_Model):
    """Rates used by both workbooks."""

    benefits_rate: Annotated[float, Strict(), Field(ge=0, le=2)] = 0.25
    salary_growth: Annotated[float, Strict(), Field(ge=-0.5, le=1)] = 0.03
    expense_inflation: Annotated[float, Strict(), Field(ge=-0.5, le=1)] = 0.03
    funder_indirect_cap: Annotated[float, Strict(), Field(ge=0, le=1)] = 0.15
    confidence_probability: dict[str, Share] | None = None
    #: The "Source or note" beside each level's probability (level id -> text).
    confidence_notes: dict[str, Note] | None = None

    @field_validator("confidence_notes")
    @classmethod
    def _note_levels(cls, v: dict[str, str | None] | None, info: ValidationInfo) -> dict[str, str | None] | None:
        for key in v or {}:
            _check_id(key, _content(info).level_ids, "confidence level")
        return v

    @field_validator("confidence_probability")
    @classmethod
    def _levels(cls, v: dict[str, float] | None, info: ValidationInfo) -> dict[str, float]:
        content = _content(info)
        out = content.default_probability()
        for key, value in (v or {}).items():
            _check_id(key, content.level_ids, "confidence level")
            out[key] = value
        return out


def _functions_mapping(v: Any) -> Any:
    if isinstance(v, str):
        return {v: 1.0}
    return v


class Staff(_Model):
    """One position (SPEC: staff)."""

    title: Text
    fte: Annotated[float, Strict(), Field(gt=0, le=1.5), AfterValidator(_no_subnormal)]
    salary: NonNegMoney
    functions: dict[str, NonNeg]
    in_kind: Bool = False
    start_year: Year = 1
    end_year: Year | None = None
    scenarios: list[str] | None = None
    note: Note = None

    @field_validator("functions", mode="before")
    @classmethod
    def _bare_id(cls, v: Any) -> Any:
        return _functions_mapping(v)

    @field_validator("salary", "fte")
    @classmethod
    def _fin(cls, v: float) -> float:
        return _finite(v)

    @field_validator("functions")
    @classmethod
    def _shares(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        ids = _content(info).function_ids
        for key in v:
            _check_id(key, ids, "function")
        total = sum(v.values())
        if not v or abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"function shares must add up to 1 (100%); they add up to {total:g}")
        return v


Months = list[Annotated[int, Strict()]]


class Expense(_Model):
    """One non-personnel expense line, year-1 amount."""

    name: Text
    category: str
    amount: NonNegMoney
    function: str = SHARED
    in_kind: Bool = False
    start_year: Year = 1
    end_year: Year | None = None
    payment_months: Months | None = None   # SPEC section 6: null = paid evenly over the 12 months
    note: Note = None

    @field_validator("payment_months")
    @classmethod
    def _months(cls, v: list[int] | None) -> list[int] | None:
        return _month_list(v, "payment_months")

    @field_validator("category")
    @classmethod
    def _cat(cls, v: str, info: ValidationInfo) -> str:
        return _check_id(v, _content(info).category_ids, "expense category")

    @field_validator("function")
    @classmethod
    def _fn(cls, v: str, info: ValidationInfo) -> str:
        return _check_id(v, _content(info).function_ids + [SHARED], "function")


class Timing(_Model):
    """When a revenue source's money falls due and how long it takes to arrive (SPEC section 6)."""

    schedule: str | None = None          # null: the stream's usual schedule (the cell left blank)
    lag_months: Annotated[int | None, Strict()] = None   # null: 0 with a schedule, else the stream's usual lag
    months: Months | None = None

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str | None) -> str | None:
        return v if v is None else _check_id(v, list(SCHEDULE_IDS), "schedule")

    @field_validator("lag_months")
    @classmethod
    def _lag(cls, v: int | None) -> int | None:
        if v is not None and not 0 <= v <= MAX_LAG:
            raise ValueError(f"expected a whole number of months from 0 to {MAX_LAG}, got {v}")
        return v

    @field_validator("months")
    @classmethod
    def _months(cls, v: list[int] | None) -> list[int] | None:
        return _month_list(v, "months")

    @model_validator(mode="after")
    def _custom_only(self) -> "Timing":
        if self.schedule is not None and self.lag_months is None:
            self.lag_months = 0        # SPEC 6: a timing given without lag_months has lag 0
        if self.schedule is None and self.months is not None:
            raise ValueError("months are only for the custom schedule; set schedule: custom, or remove them")
        if self.schedule == "custom" and self.months is None:
            raise ValueError("the custom schedule needs months: the month numbers (1..12) in which the money falls due")
        if self.schedule != "custom" and self.months is not None:
            raise ValueError(f"months are only for the custom schedule; remove them or set schedule: custom (schedule is {self.schedule!r})")
        return self


class Revenue(_Model):
    """One revenue source with an amount per projection year."""

    name: Text
    stream: str
    confidence: str
    restricted: Bool = False
    amounts: Annotated[list[NonNegMoney], Field(max_length=MAX_AMOUNTS)] = Field(default_factory=list)
    timing: Timing | None = None   # SPEC section 6: null = the stream's default timing
    note: Note = None

    @field_validator("stream")
    @classmethod
    def _stream(cls, v: str, info: ValidationInfo) -> str:
        return _check_id(v, _content(info).stream_ids, "funding stream")

    @field_validator("confidence")
    @classmethod
    def _conf(cls, v: str, info: ValidationInfo) -> str:
        return _check_id(v, _content(info).level_ids, "confidence level")

    def amount(self, year: int) -> float:
        """The amount in projection year `year` (1-based); 0 past the list."""
        return self.amounts[year - 1] if 1 <= year <= len(self.amounts) else 0.0


class Unfunded(_Model):
    name: Text
    amount: NonNegMoney
    function: str = SHARED
    note: Note = None

    @field_validator("function")
    @classmethod
    def _fn(cls, v: str, info: ValidationInfo) -> str:
        return _check_id(v, _content(info).function_ids + [SHARED], "function")


class CashTarget(_Model):
    months: Annotated[float, Strict(), Field(ge=0, le=120, allow_inf_nan=False), AfterValidator(_no_subnormal)]
    current: NonNegMoney = 0.0
    build_years: Annotated[int, Strict(), Field(ge=1, le=50)] = 1


class WorkingCapital(CashTarget):
    """Area 2: sized by months of cash spending, or by the year-1 cash flow's timing need."""

    method: str = "months"

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        return _check_id(v, list(WC_METHODS), "working-capital method")


class NamedAmount(_Model):
    name: Text
    amount: NonNegMoney
    note: Note = None


class ChangeCapital(_Model):
    name: Text
    amount: NonNegMoney
    years: Annotated[int, Strict(), Field(ge=1, le=50)] = 1
    note: Note = None


class FullCost(_Model):
    """The six areas of full cost beyond today's expenses."""

    depreciation: NonNegMoney = 0.0
    unfunded: list[Unfunded] = Field(default_factory=list)
    working_capital: WorkingCapital = Field(default_factory=lambda: WorkingCapital(months=2, current=0, build_years=1))
    reserves: CashTarget = Field(default_factory=lambda: CashTarget(months=3, current=0, build_years=3))
    fixed_asset_additions: list[NamedAmount] = Field(default_factory=list)
    debt_principal: list[NamedAmount] = Field(default_factory=list)
    change_capital: list[ChangeCapital] = Field(default_factory=list)


class Scenario(_Model):
    """One projection scenario (SPEC section 2)."""

    id: Annotated[str, Strict(), Field(pattern=r"^[a-z][a-z0-9_]{0,19}$")]
    name: Text
    description: OptText = None
    realization: dict[str, Share] | None = None
    stream_multipliers: dict[str, NonNeg] | None = None
    salary_growth: Annotated[float | None, Strict(), Field(ge=-0.5, le=1)] = None
    expense_multiplier: NonNeg = 1.0

    @field_validator("realization")
    @classmethod
    def _real(cls, v: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
        for key in v or {}:
            _check_id(key, _content(info).level_ids, "confidence level")
        return v

    @field_validator("stream_multipliers")
    @classmethod
    def _mult(cls, v: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
        for key in v or {}:
            _check_id(key, _content(info).stream_ids, "funding stream")
        return v


class OneTime(_Model):
    name: Text
    year: Year
    amount: Money
    scenarios: list[str] | None = None
    note: Note = None


class Projections(_Model):
    years: Annotated[int, Strict(), Field(ge=MIN_YEARS, le=MAX_YEARS)] = 5
    starting_cash: Money = 0.0
    one_time: list[OneTime] = Field(default_factory=list)
    scenarios: Annotated[list[Scenario] | None, Field(max_length=MAX_SCENARIOS)] = None


class Partnership(_Model):
    """A whole, validated partnership data file."""

    schema_: Annotated[str, Field(alias="schema")] = SCHEMA_ID
    organization: Organization
    assumptions: Assumptions = Field(default_factory=Assumptions)
    staff: list[Staff] = Field(default_factory=list)
    expenses: list[Expense] = Field(default_factory=list)
    revenue: list[Revenue] = Field(default_factory=list)
    full_cost: FullCost = Field(default_factory=FullCost)
    projections: Projections = Field(default_factory=Projections)

    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)

    @field_validator("schema_")
    @classmethod
    def _schema(cls, v: str) -> str:
        if v != SCHEMA_ID:
            raise ValueError(f"expected {SCHEMA_ID!r}")
        return v

    # -- derived views used by both models and both workbooks

    @property
    def years(self) -> int:
        return self.projections.years

    def scenario_list(self, content: Content | None = None) -> list[Scenario]:
        """The scenarios in force: the file's own, or the defaults from templates/."""
        if self.projections.scenarios is not None:
            return list(self.projections.scenarios)
        return default_scenarios(content or load_content())

    def probability(self) -> dict[str, float]:
        """confidence level -> probability (defaults filled)."""
        return dict(self.assumptions.confidence_probability or {})

    def to_data(self) -> dict[str, Any]:
        """The data file as plain YAML-ready data (every default written out)."""
        data = self.model_dump(mode="json", by_alias=True)
        return data


def default_scenarios(content: Content) -> list[Scenario]:
    """SPEC's three default scenarios, with names and descriptions from templates/."""
    out = []
    for item in content.scenarios:
        out.append(
            Scenario.model_validate(
                {
                    "id": item.id,
                    "name": item.text("name") or item.label,
                    "description": item.text("description") or None,
                    "realization": item.data.get("realization"),
                },
                context={"content": content},
            )
        )
    return out


# ----------------------------------------------------------------------------- cross-checks


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _cross_check(data: dict[str, Any], content: Content) -> list[Problem]:
    """Checks that need the whole file: years within the horizon, scenario references.

    Works on the raw data (skipping values that are themselves invalid, which field
    validation reports), so that these problems are listed together with every other one.
    """
    problems: list[Problem] = []

    def section(value: Any, kind: type) -> Any:
        return value if isinstance(value, kind) else kind()

    proj = section(data.get("projections"), dict)
    years = proj.get("years", Projections.model_fields["years"].default)
    years_ok = _int(years) and MIN_YEARS <= years <= MAX_YEARS
    raw_scenarios = proj.get("scenarios")
    scenario_ids: list[str] | None
    if raw_scenarios is None:
        scenario_ids = [s.id for s in content.scenarios]
    elif isinstance(raw_scenarios, list):
        scenario_ids = [s["id"] for s in raw_scenarios if isinstance(s, dict) and isinstance(s.get("id"), str)]
        if not raw_scenarios:
            problems.append(Problem("projections.scenarios", "give at least one scenario, or null for the defaults"))
        seen: set[str] = set()
        for n, s in enumerate(raw_scenarios):
            sid = s.get("id") if isinstance(s, dict) else None
            if isinstance(sid, str):
                if sid in seen:
                    problems.append(Problem(f"projections.scenarios[{n}].id", f"scenario id {sid!r} appears twice"))
                seen.add(sid)
        # the workbook names its results SP_<id>_<what> (SP_base_EndCash, SP_base_Revenue_grants, ...):
        # an id that begins with another id and an underscore could give the same name twice
        for n, s in enumerate(raw_scenarios):
            sid = s.get("id") if isinstance(s, dict) else None
            if isinstance(sid, str):
                clash = next((o for o in sorted(seen) if o != sid and sid.lower().startswith(o.lower() + "_")), None)
                if clash is not None:
                    problems.append(Problem(f"projections.scenarios[{n}].id",
                                            f"scenario id {sid!r} begins with another scenario's id and an underscore "
                                            f"({clash!r}): their names in the workbook could collide; choose another id"))
    else:
        scenario_ids = None  # wrong type, reported by field validation

    def in_range(v: Any) -> bool:
        return _int(v) and 1 <= v <= MAX_YEARS

    def span(kind: str, items: list[Any]) -> None:
        if not years_ok:
            return
        for n, it in enumerate(items):
            if not isinstance(it, dict):
                continue
            start = it.get("start_year", 1)
            end = it.get("end_year")
            if in_range(start) and start > years:
                problems.append(Problem(f"{kind}[{n}].start_year", f"expected 1..{years} (projections.years), got {start}"))
            if in_range(end):
                if end > years:
                    problems.append(Problem(f"{kind}[{n}].end_year", f"expected {start}..{years} or null, got {end}"))
                elif in_range(start) and end < start:
                    problems.append(Problem(f"{kind}[{n}].end_year", f"must not be before start_year ({start}), got {end}"))

    def refs(kind: str, items: list[Any]) -> None:
        if scenario_ids is None:
            return
        for n, it in enumerate(items):
            listed = it.get("scenarios") if isinstance(it, dict) else None
            for k, sid in enumerate(listed if isinstance(listed, list) else []):
                if isinstance(sid, str) and sid not in scenario_ids:
                    problems.append(Problem(f"{kind}[{n}].scenarios[{k}]", f"unknown scenario {sid!r}; expected one of: {', '.join(scenario_ids)}"))

    staff = section(data.get("staff"), list)
    expenses = section(data.get("expenses"), list)
    one_time = section(proj.get("one_time"), list)
    span("staff", staff)
    span("expenses", expenses)
    refs("staff", staff)
    refs("projections.one_time", one_time)
    if years_ok:
        for n, ot in enumerate(one_time):
            year = ot.get("year") if isinstance(ot, dict) else None
            if in_range(year) and year > years:
                problems.append(Problem(f"projections.one_time[{n}].year", f"expected 1..{years} (projections.years), got {year}"))
    return problems


# ----------------------------------------------------------------------------- entry points


def _friendly(err: ErrorDetails) -> str:
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid"))
    if kind == "extra_forbidden":
        return "unknown key; remove it or check its spelling"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        msg = "expected an id: a lower-case letter, then up to 19 lower-case letters, digits or underscores"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if "input" in err and kind not in ("missing",):
        shown = excerpt(err["input"])
        if shown not in msg:
            msg = f"{msg} (got {shown})"
    return msg


def excerpt(value: Any, limit: int = 60) -> str:
    """A bounded repr of a value for a message: never the whole of a huge or deeply nested value."""
    import reprlib

    r = reprlib.Repr()
    r.maxstring, r.maxother, r.maxlist, r.maxdict, r.maxlevel = limit, limit, 4, 4, 2
    shown = r.repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def validate_data(data: Any, source: str = "<data>", content: Content | None = None) -> Partnership:
    """Validate already-parsed data; raise DataFileError with every problem."""
    content = content or load_content()
    if not isinstance(data, dict):
        raise DataFileError(source, [Problem("", "expected a mapping (key: value pairs) at the top level")])
    problems: list[Problem] = []
    p: Partnership | None = None
    try:
        p = Partnership.model_validate(data, context={"content": content})
    except ValidationError as exc:
        problems = [Problem(format_loc(e["loc"]), _friendly(e)) for e in exc.errors()]
    problems += _cross_check(data, content)
    if problems or p is None:
        raise DataFileError(source, problems)
    return p


class _Loader(yaml.SafeLoader):
    """yaml.SafeLoader without aliases (a few hundred bytes of aliases can expand to gigabytes)
    and with a nesting limit (deep nesting would exhaust Python's recursion)."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in a data file: write the value out",
                                              event.start_mark)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def parse_yaml(text: str, source: str, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse data-file YAML safely (no aliases, bounded nesting and size); DataFileError otherwise."""
    if len(text) > max_bytes:
        raise DataFileError(source, [Problem("", f"the file is larger than {max_bytes // (1024 * 1024)} MB; a data file is far smaller")])
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DataFileError(source, [Problem(where, f"not valid YAML: {excerpt(getattr(exc, 'problem', None) or str(exc), 200)}")]) from None
    except RecursionError:
        raise DataFileError(source, [Problem("", f"nested more than {MAX_DEPTH} levels deep")]) from None


def load_partnership(path: str | Path, content: Content | None = None) -> Partnership:
    """Read, parse and validate a partnership data file (at most 5 MB)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise DataFileError(str(path), [Problem("", "file not found")]) from None
    except (IsADirectoryError, PermissionError, OSError) as exc:
        raise DataFileError(str(path), [Problem("", "not a file" if isinstance(exc, IsADirectoryError) else
                                                f"cannot be read ({exc.strerror or exc})")]) from None
    except UnicodeDecodeError:
        raise DataFileError(str(path), [Problem("", "not a UTF-8 text file")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise DataFileError(str(path), [Problem("", f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; a data file is far smaller")])
    data = parse_yaml(text, str(path))
    return validate_data(data, str(path), content)


def dump_partnership(p: Partnership) -> str:
    """The partnership as YAML text (a valid data file)."""
    return yaml.safe_dump(p.to_data(), sort_keys=False, allow_unicode=True)


def json_schema(content: Content | None = None) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the data file, generated from the pydantic models.

    The ids a data file may use (structures, functions, streams, categories, confidence
    levels) live in the content files, not in the models, so they are added here as enums:
    an editor then offers them as completions.
    """
    content = content or load_content()
    schema = Partnership.model_json_schema(by_alias=True, mode="validation")
    defs = schema.get("$defs", {})
    functions = content.function_ids
    levels = content.level_ids
    streams = content.stream_ids

    def prop(model: str, name: str) -> dict[str, Any]:
        return defs[model]["properties"][name] if model in defs else schema["properties"][name]

    def keys(node: dict[str, Any], ids: list[str]) -> None:
        """A mapping keyed by ids (it may also be null where the model allows it)."""
        for branch in node.get("anyOf", [node]):
            if branch.get("type") == "object":
                branch["propertyNames"] = {"enum": ids}

    prop("Organization", "backbone_structure")["enum"] = content.structure_ids
    prop("Expense", "category")["enum"] = content.category_ids
    prop("Expense", "function")["enum"] = functions + [SHARED]
    prop("Unfunded", "function")["enum"] = functions + [SHARED]
    prop("Revenue", "stream")["enum"] = streams
    prop("Revenue", "confidence")["enum"] = levels
    staff_functions = prop("Staff", "functions")
    keys(staff_functions, functions)
    defs["Staff"]["properties"]["functions"] = {  # the model also takes one bare id (all of the time)
        "anyOf": [{k: v for k, v in staff_functions.items() if k != "title"}, {"type": "string", "enum": functions}],
        "title": staff_functions.get("title", "Functions"),
        "description": "A function id (all of the time), or function id -> share of time; shares add up to 1.",
    }
    keys(prop("Assumptions", "confidence_probability"), levels)
    keys(prop("Assumptions", "confidence_notes"), levels)
    keys(prop("Scenario", "realization"), levels)
    keys(prop("Scenario", "stream_multipliers"), streams)
    schema["properties"]["schema"]["const"] = SCHEMA_ID
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Place-Based Partnerships Toolkit: partnership data file",
        "description": "One partnership's data file (see docs/data-file.md). Generated by `pbp-toolkit schema`.",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


__all__ = [
    "DataFileError", "Problem", "Partnership", "Scenario", "Staff", "Expense", "Revenue", "Timing", "WorkingCapital",
    "load_partnership", "validate_data", "dump_partnership", "default_scenarios", "json_schema", "SCHEMA_ID", "ID_RE",
]
