"""Collect returned workbooks from a folder tree into one portfolio.

Every file found ends up exactly once in the Portfolio (as one of a partnership's files)
or in Problems (with its reason). Files are read safely (readback.safety) in parallel
processes; numbers are recomputed by the model from each file's inputs, not taken from
its cached values.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..content import load_content
from ..kinds import FULL_COST_ID, PROJECTIONS_ID
from ..model.cash_flow import month_label

USABLE_ERRORS = {"formula_changed", "stale_values"}  # the inputs are still good: numbers are recomputed
NOT_FILLED = "not filled in"
WITHOUT_DATA = "returned without data"


@dataclass
class FileResult:
    """What one file gave: its validation outcome and, when usable, the model's numbers."""

    path: str
    status: str
    template_id: str = ""
    partnership_id: str = ""
    build_time: str = ""
    findings: list[tuple[str, str, str]] = field(default_factory=list)  # (level, code, message with place)
    org: dict[str, Any] = field(default_factory=dict)
    numbers: dict[str, Any] = field(default_factory=dict)
    usable: bool = False
    filled: bool = True             # SPEC 5 completeness: False = returned without data (no numbers used)
    extracted: Any = None           # the inputs read back (readback.extract.Extracted): a pair is merged
    sha256: str = ""                # of the bytes read: the store knows a file it has seen
    template_version: str = ""
    figures: list[Figure] = field(default_factory=list)   # every model output, for the store (see flatten)
    used: bool = False              # its numbers are its partnership's in the Portfolio (set by _rows)
    saved_time: str = ""            # docProps/core.xml modified: when the file was last saved (by Excel, LibreOffice...)
    inputs_key: str = ""            # a digest of the inputs read back: two files with the same one are one return

    @property
    def warnings(self) -> list[str]:
        return [m for lvl, _, m in self.findings]


#: One figure: (defined name, scenario id or None, year label or None, month 1..12 or None, number or None, words or None).
Figure = tuple[str, "str | None", "str | None", "int | None", "float | None", "str | None"]


def flatten(outputs: dict[str, Any], scenario_ids: list[str], years: list[str], first_year: str) -> list[Figure]:
    """Every model output as figures keyed by defined name: a per-year list gives one figure a
    year, a monthly list (FC_CF_*) one a month of the first year; a scenario's names (SP_base_*)
    carry the scenario id. Nothing is chosen here, so a new output is stored as it lands."""
    out: list[Figure] = []
    by_length = sorted(scenario_ids, key=len, reverse=True)

    def one(value: Any) -> tuple[float | None, str | None]:
        if isinstance(value, bool):
            return float(value), None
        if isinstance(value, (int, float)):
            return (float(value), None) if isfinite(value) else (None, str(value))
        if value is None or value == "":
            return None, None
        return None, str(value)

    prefixes = [(f"SP_{sid}_", sid) for sid in by_length]   # worked out once, not once per name
    isfinite = math.isfinite
    for name, value in outputs.items():
        scenario = next((sid for prefix, sid in prefixes if name.startswith(prefix)), None) if name.startswith("SP_") else None
        if isinstance(value, (list, tuple)):
            monthly = name.startswith("FC_")
            for i, v in enumerate(value):
                num, words = one(v)
                if monthly:
                    out.append((name, scenario, first_year, i + 1, num, words))
                else:
                    out.append((name, scenario, years[i] if i < len(years) else f"year {i + 1}", None, num, words))
        elif not isinstance(value, dict):
            num, words = one(value)
            out.append((name, scenario, None, None, num, words))
    return out


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


def _summarise(path: str) -> FileResult:
    """Validate one file and compute what the portfolio needs from it (runs in a worker)."""
    from .validate import validate_file

    try:
        r = validate_file(path)
        res = _summarise_checked(path, r)
        res.sha256 = r.sha256 or _sha256(path)   # (a file refused before it was read: its bytes as they are now)
        return res
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # never lose a file to an unexpected error (a Rust panic is a BaseException)
        text = " ".join(str(exc).split())[:200]
        return FileResult(path, "unreadable", findings=[("error", "crash", f"could not be read: {type(exc).__name__}: {text}")],
                          sha256=_sha256(path))


def _summarise_checked(path: str, r: Any) -> FileResult:
    res = FileResult(path, r.status, r.template_id, r.partnership_id,
                     (r.extracted.meta.get("build_time", "") if r.extracted else ""),
                     [(f.level, f.code, str(f)) for f in r.findings], template_version=r.template_version)
    res.saved_time = r.saved_time
    p = r.partnership
    blocking = [f for f in r.findings if f.level == "error" and f.code not in USABLE_ERRORS]
    if p is None or blocking:
        return res
    res.usable = True
    normalised = p.to_data()
    res.inputs_key = hashlib.sha256(json.dumps(normalised, sort_keys=True, default=str).encode()).hexdigest()
    res.extracted = r.extracted
    if r.extracted is not None:   # the merge of a pair (in the main process) reads it instead of validating again
        r.extracted.normalised = normalised
    o = p.organization
    res.org = {"name": o.name, "region": o.region or "", "focus": o.focus or "", "structure": o.backbone_structure,
               "fiscal_year": f"FY{o.first_fy}"}
    if r.filled_in is False:  # its zeros are not numbers: never in the Portfolio's figures or the Benchmarks
        res.filled = False
        return res
    _compute(res, r.template_id, p, r.model_outputs)
    return res


def _compute(res: FileResult, template_id: str, p: Any, outputs: dict[str, Any] | None = None) -> None:
    """What the portfolio and the store take of one workbook (numbers, figures), computed by the
    model from a partnership's inputs (`outputs`: the model's, already run on `p` by validation)."""
    from ..model.full_cost import compute_full_cost, year1_staff
    from ..model.projections import compute_projections, fy_labels

    content = load_content()
    res.numbers = {}
    if template_id == FULL_COST_ID:
        fc = outputs if outputs is not None else compute_full_cost(p, content)
        labels = fy_labels(p)
        res.figures = flatten(fc, [], labels, labels[0])
        res.numbers = {k: v for k, v in fc.items() if k != "FC_Checks_OK"}
        res.numbers["FTE"] = sum(s.fte for s in year1_staff(p))
        res.numbers["CashFTE"] = sum(s.fte for s in year1_staff(p) if not s.in_kind)
        first = int(fc["FC_CF_FirstShortMonth"])  # SPEC 6.1: the month's label, as the workbook says it
        res.numbers["FirstShortLabel"] = month_label(p.organization.fiscal_year_start, first) if first else ""
    else:
        sp = outputs if outputs is not None else compute_projections(p, content)
        labels = fy_labels(p)
        res.figures = flatten(sp, [s.id for s in p.scenario_list(content)], labels, labels[0])
        res.numbers["years"] = p.years
        res.numbers["final_year"] = labels[-1]
        for s in p.scenario_list(content):
            res.numbers[f"{s.id}|name"] = s.name
            res.numbers[f"{s.id}|EndCash"] = sp[f"SP_{s.id}_EndCash"][-1]
            months = sp[f"SP_{s.id}_MonthsCash"][-1]
            res.numbers[f"{s.id}|MonthsCash"] = None if months == "" else months
            res.numbers[f"{s.id}|RunwayCash"] = sp[f"SP_{s.id}_RunwayCash"]
            res.numbers[f"{s.id}|RunwayReserve"] = sp[f"SP_{s.id}_RunwayReserve"]
            res.numbers[f"{s.id}|FTE"] = sp[f"SP_{s.id}_FTE"][0]


#: What merging a pair gives: (warnings, the numbers and figures of each file from the merged
#: inputs, or None when each file keeps its own).
PairOutcome = tuple[list[str], "tuple[dict[str, Any], list[Figure], dict[str, Any], list[Figure]] | None"]


def merge_pair(fc: FileResult, sp: FileResult, premerged: dict[tuple[int, int], PairOutcome] | None = None) -> list[str]:
    """The three-way merge `extract` makes (readback/merge.py), for a partnership's two returned
    workbooks: with no conflict, both files' numbers are recomputed from the merged inputs, so an
    edit typed into one workbook counts in both; returns the warnings to list (each conflict,
    with both values and cells; each file then keeps the numbers of its own inputs).
    `premerged` holds outcomes already worked out for pairs (see _Premerge), by (id(fc), id(sp))."""
    outcome = premerged.pop((id(fc), id(sp)), None) if premerged else None
    messages, computed = outcome if outcome is not None else _pair_outcome(fc, sp)
    if computed is not None:
        fc.numbers, fc.figures, sp.numbers, sp.figures = computed
    return messages


def _pair_outcome(fc: FileResult, sp: FileResult) -> PairOutcome:
    """merge_pair's work, leaving both results as they are."""
    from ..schema import DataFileError, validate_data
    from .merge import NO_BASE, merge

    if fc.extracted is None or sp.extracted is None:
        return [], None
    try:
        merged = merge([fc.extracted, sp.extracted])
    except (ValueError, KeyError, TypeError) as exc:   # a side that does not validate alone: its own findings say why
        return [f"the two workbooks could not be merged ({' '.join(str(exc).split())[:200]}); each is used as it is"], None
    if NO_BASE in merged.notes:
        return [], None
    if merged.conflicts:
        return [f"conflict: {c}; each workbook's numbers use its own value" for c in merged.conflicts], None
    try:
        p = validate_data(merged.data, "merged")
    except DataFileError as exc:
        return [f"the merged inputs are not valid ({exc.problems[0]}); each workbook is used as it is"], None
    a, b = FileResult(fc.path, fc.status), FileResult(sp.path, sp.status)
    _compute(a, FULL_COST_ID, p)
    _compute(b, PROJECTIONS_ID, p)
    return [], (a.numbers, a.figures, b.numbers, b.figures)


def _key(res: FileResult) -> str:
    """The partnership a usable file belongs to, as the Portfolio groups files."""
    return res.partnership_id or res.org.get("name", "")


class _Premerge:
    """Merges each partnership's pair while the other files are still being read (in the main
    process, which otherwise waits for the workers), so that _rows finds the outcome ready.
    It follows _rows' choice of file (_rank, the first found on a tie); a pair _rows ends up not
    using costs only the time, and a pair it uses but finds missing is merged then."""

    def __init__(self) -> None:
        self.outcomes: dict[tuple[int, int], PairOutcome] = {}
        self._chosen: dict[str, dict[str, FileResult]] = {}

    def see(self, res: FileResult) -> None:
        if not res.usable:
            return
        slot = self._chosen.setdefault(_key(res), {})
        first = slot.get(res.template_id)
        if first is not None and not _rank(res) > _rank(first):
            return
        slot[res.template_id] = res
        fc, sp = slot.get(FULL_COST_ID), slot.get(PROJECTIONS_ID)
        if fc is not None and sp is not None and fc.filled and sp.filled and (id(fc), id(sp)) not in self.outcomes:
            try:
                self.outcomes[(id(fc), id(sp))] = _pair_outcome(fc, sp)
            except Exception:  # noqa: BLE001 - left for _rows, which raises it only if it uses this pair
                pass

    def watch(self, results: Iterable[FileResult]) -> Iterator[FileResult]:
        for res in results:
            self.see(res)
            yield res


#: Months of cash below this is a warning sign (the Guide says so too).
LOW_MONTHS = 2.0


def months_warning(months: Any) -> str:
    """Words for a worrying months-of-cash figure (colour alone is not enough)."""
    if not isinstance(months, (int, float)) or isinstance(months, bool):
        return ""
    if months < 0:
        return "negative: cash has run out"
    if months < LOW_MONTHS:
        return "under two months: a warning sign"
    return ""


#: Files the toolkit itself writes into folders (batch's manifest.csv and problems.csv, collect's
#: --csv tables), recognised by name and header line: collect skips them and says so.
OWN_FILES: dict[str, tuple[str, ...]] = {
    "manifest.csv": ("row,partnership,slug,status,workbook,file,bytes,sha256,problem",),
    "problems.csv": ("row,partnership,column,reason,message", "file,used,status,reason"),
    "portfolio.csv": ("partnership,",),
    "benchmarks.csv": ("group,measure,count,p25,median,p75",),
}


def is_own_file(path: Path) -> bool:
    """A CSV the toolkit wrote (a batch manifest, a problems list, collect's tables)."""
    heads = OWN_FILES.get(path.name)
    if not heads:
        return False
    try:
        with open(path, "rb") as fh:
            first = fh.read(512).split(b"\n", 1)[0].decode("utf-8-sig", "replace").strip()
    except OSError:
        return False
    return any(first.startswith(h) for h in heads)


@dataclass
class Found:
    """What walking a folder found: files to read, the toolkit's own files skipped, folders that could not be read."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)   # (folder, reason)


def walk(root: Path) -> Found:
    """Every file under root (links are not followed), in a stable order; an unreadable
    subfolder is recorded, never dropped silently."""
    found = Found()

    def onerror(exc: OSError) -> None:
        found.unreadable.append((str(exc.filename or root), exc.strerror or type(exc).__name__))

    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=onerror):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            (found.skipped if is_own_file(path) else found.files).append(path)
    return found


def find_files(root: Path) -> list[Path]:
    """Every file under root (links are not followed), in a stable order."""
    return walk(root).files


@dataclass
class Portfolio:
    """The collected picture: one row per partnership, and every file not used or used with warnings."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    scenarios: list[str] = field(default_factory=list)
    scenario_names: dict[str, str] = field(default_factory=dict)
    files_seen: int = 0
    skipped: list[str] = field(default_factory=list)   # the toolkit's own CSVs found in the folder
    results: list[FileResult] = field(default_factory=list)   # every file read, in order (used ones marked)
    column_labels: dict[str, str] = field(default_factory=dict)   # headers of columns added later (history's change columns)
    column_formats: dict[str, str] = field(default_factory=dict)  # their number formats
    copies: list[dict[str, str]] = field(default_factory=list)  # file, copy_of, partnership_id: the same inputs again

    def accounted(self) -> set[str]:
        """Every file path that appears in the Portfolio (used, or a copy of a file used) or in Problems."""
        used = {f for row in self.rows for f in row["files"].split("; ") if f}
        return used | {c["file"] for c in self.copies} | {p["file"] for p in self.problems if p["used"] == "no"}


def saved_at(res: FileResult) -> dt.datetime | None:
    """The file's own saved time (UTC), or None when it has none that can be read."""
    try:
        when = dt.datetime.fromisoformat(res.saved_time.strip())
    except ValueError:
        return None
    return when.replace(tzinfo=None) if when.tzinfo is None else when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _rank(res: FileResult) -> tuple[bool, dt.datetime, bool, str]:
    """Which of two files for the same partnership and workbook to use: a filled-in one, then the
    one saved later (a partnership that sends a draft and then its final wants the final used),
    then one without warnings, then the later build."""
    return (res.filled, saved_at(res) or dt.datetime.min, not res.findings, res.build_time)


def _saved_words(res: FileResult) -> str:
    when = saved_at(res)
    return f"saved {when:%Y-%m-%d %H:%M:%S} UTC" if when else "with no saved time"


def _second_return(key: str, keep: FileResult, drop: FileResult) -> dict[str, str]:
    """The Problems line for a return of the same partnership that is not used, with the reason."""
    own = "; ".join(m for _, _, m in drop.findings)
    if drop.filled and keep.filled and saved_at(drop) and saved_at(keep) and saved_at(drop) != saved_at(keep):
        why = (f"an earlier return of the same partnership {key!r}, {_saved_words(drop)}; the later one, "
               f"{_saved_words(keep)}, was used ({keep.path})")
    else:
        why = (f"another return of the same partnership {key!r} with different inputs ({_saved_words(drop)}); "
               f"{keep.path} ({_saved_words(keep)}) was used: " + ("it is filled in" if not drop.filled else
                                                                  "its saved time is the same or unknown, and it has fewer warnings or the later build"))
    return {"file": drop.path, "used": "no", "status": "earlier return",
            "reason": why + (f"; this file also had: {own}" if own else "")}


def _rows(results: list[FileResult], premerged: dict[tuple[int, int], PairOutcome] | None = None) -> Portfolio:
    port = Portfolio(files_seen=len(results), results=results)
    groups: dict[str, dict[str, FileResult]] = {}
    order: list[str] = []
    copies: list[tuple[str, FileResult]] = []
    for res in results:
        if not res.usable:
            why = "; ".join(m for _, _, m in res.findings) or res.status
            port.problems.append({"file": res.path, "used": "no", "status": res.status, "reason": why})
            continue
        key = _key(res)
        slot = groups.setdefault(key, {})
        if key not in order:
            order.append(key)
        if res.template_id in slot:
            first = slot[res.template_id]
            # the later saved return is used (see _rank); on a tie the first found stays
            keep, drop = (res, first) if _rank(res) > _rank(first) else (first, res)
            slot[res.template_id] = keep
            if keep.inputs_key == drop.inputs_key:  # the same inputs: one return, sent twice
                copies.append((key, drop))
            else:
                port.problems.append(_second_return(key, keep, drop))
        else:
            slot[res.template_id] = res
    for key, copy in copies:  # a copy of the file used is no problem; a copy of a file set aside later is set aside too
        used = groups[key][copy.template_id]
        if used.inputs_key == copy.inputs_key:
            port.copies.append({"file": copy.path, "copy_of": used.path, "partnership_id": key})
        else:
            port.problems.append(_second_return(key, used, copy))
    content = load_content()
    scen_ids: list[str] = []
    for key in order:
        slot = groups[key]
        fc, sp = slot.get(FULL_COST_ID), slot.get(PROJECTIONS_ID)
        head = fc or sp
        assert head is not None
        unfilled = [r for r in (fc, sp) if r and not r.filled]
        for r in unfilled:
            port.problems.append({"file": r.path, "used": "no", "status": NOT_FILLED,
                                  "reason": f"{WITHOUT_DATA}: no position with an FTE above 0 and no expense above 0 is entered"})
        fc = fc if fc and fc.filled else None
        sp = sp if sp and sp.filled else None
        if fc and sp:
            for message in merge_pair(fc, sp, premerged):
                for r in (fc, sp):
                    r.findings.append(("warning", "conflict", message))
        row: dict[str, Any] = {
            "partnership": head.org["name"], "partnership_id": key, "region": head.org["region"],
            "structure": content.label(content.structures, head.org["structure"]), "fiscal_year": head.org["fiscal_year"],
        }
        if fc:
            n = fc.numbers
            row.update({"full_cost": n["FC_Total"], "total_expenses": n["FC_TotalExpenses"], "cash_need": n["FC_CashNeed"],
                        "expected_revenue": n["FC_ExpectedRevenue"], "gap": n["FC_Gap"],
                        "required_surplus_pct": n["FC_RequiredSurplusPct"], "indirect_rate": n["FC_IndirectRate"],
                        "indirect_cap": n["FC_IndirectCap"], "indirect_above_cap": n["FC_IndirectRate"] > n["FC_IndirectCap"],
                        "fte": n["FTE"], "timing_need": n["FC_CF_TimingNeed"], "timing_months": n["FC_CF_MonthsEquivalent"],
                        "short_months": n["FC_CF_ShortMonths"], "first_short_month": n["FirstShortLabel"]})
            for f in content.function_ids:
                row[f"cost_{f}"] = n[f"FC_Function_{f}"]
        if sp:
            row["final_year"] = sp.numbers["final_year"]
            for k, v in sp.numbers.items():
                if "|" in k:
                    sid, what = k.split("|", 1)
                    if sid not in scen_ids:
                        scen_ids.append(sid)
                    if what == "name":
                        port.scenario_names.setdefault(sid, str(v))
                    else:
                        row[f"{sid}_{what}"] = v
                        if what == "MonthsCash":
                            row[f"{sid}_CashWarning"] = months_warning(v)
        files = [r for r in (fc, sp) if r]
        for r in files:
            r.used = True
        warnings = [m for r in files for lvl, _, m in r.findings]
        row["status"] = NOT_FILLED if not files else ("clean" if not warnings else "used with warnings")
        empty_kinds = {r.template_id for r in unfilled}
        row["missing"] = ", ".join(w + (f" ({WITHOUT_DATA})" if kind in empty_kinds else "")
                                   for w, r, kind in (("full cost workbook", fc, FULL_COST_ID), ("scenario projections", sp, PROJECTIONS_ID))
                                   if r is None)
        row["files"] = "; ".join(r.path for r in files)
        row["copies"] = "; ".join(f"{c['file']} (the same inputs as {c['copy_of']})" for c in port.copies if c["partnership_id"] == key)
        port.rows.append(row)
        for r in files:
            if r.findings:
                port.problems.append({"file": r.path, "used": "yes, with warnings", "status": r.status,
                                      "reason": "; ".join(m for _, _, m in r.findings)})
    port.scenarios = scen_ids
    return port


def collect(root: Path, workers: int | None = None, progress: Callable[[Iterable[FileResult], int], Iterable[FileResult]] | None = None) -> Portfolio:
    """Read every file under root and build the portfolio. One bad file never costs the
    others: a reader that fails or even kills its worker process leaves a Problem for that
    file, and every other file is still read."""
    found = walk(Path(root))
    files = [str(p) for p in found.files]
    workers = max(1, workers or os.cpu_count() or 1)
    results: list[FileResult] = []
    pre = _Premerge()
    if workers == 1 or len(files) < 4:
        it: Iterable[FileResult] = (_summarise(f) for f in files)
        results = list(progress(it, len(files)) if progress else it)
    else:   # the main process merges pairs while the workers read
        it = pre.watch(_parallel(files, workers))
        results = list(progress(it, len(files)) if progress else it)
    for folder, reason in found.unreadable:
        results.append(FileResult(folder, "unreadable", findings=[("error", "unreadable_folder", f"a folder that could not be read ({reason}): its files were not collected")]))
    port = _rows(results, pre.outcomes)
    port.files_seen = len(files)
    port.skipped = [str(p) for p in found.skipped]
    return port


def _parallel(files: list[str], workers: int) -> Iterator[FileResult]:
    """Results in file order from worker processes. When a worker dies (a reader that aborts
    the process), the files still pending are read again one process each, so only the file
    that kills its process is lost, reported as a Problem."""
    import shutil
    import tempfile

    _warm()
    shared = tempfile.mkdtemp(prefix="pbp-collect-")   # private (0700): the run's shared builds (validate.SHARED_BUILDS)
    try:
        yield from _parallel_in(files, workers, shared)
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def _warm() -> None:
    """Import the readers and load the content in the main process before the workers start, so
    that each worker (forked from it) begins with them instead of loading them again."""
    try:
        from ..verify import mismatches  # noqa: F401
        from ..model import full_cost, projections  # noqa: F401
        from . import validate  # noqa: F401

        load_content()
    except Exception:  # noqa: BLE001 - a worker meets the same problem and reports it for its files
        pass


def _init_worker(shared: str) -> None:
    from . import validate

    validate.SHARED_BUILDS = Path(shared)


def _parallel_in(files: list[str], workers: int, shared: str) -> Iterator[FileResult]:
    from concurrent.futures.process import BrokenProcessPool

    done: dict[int, FileResult] = {}
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(shared,)) as pool:
            for i, res in enumerate(pool.map(_summarise, files, chunksize=max(1, min(32, len(files) // (workers * 4) or 1)))):
                done[i] = res
                yield res
        return
    except BrokenProcessPool:
        pass
    for i in range(len(done), len(files)):
        try:
            with ProcessPoolExecutor(max_workers=1, initializer=_init_worker, initargs=(shared,)) as one:
                res = one.submit(_summarise, files[i]).result()
        except BrokenProcessPool:
            res = FileResult(files[i], "unreadable", findings=[("error", "crash", "reading this file stopped its reader process; it could not be used")])
        yield res
