"""The store's public interface: record a round from a collect result; read rounds, submissions,
figures and each partnership's history back. Front ends (the command line, the web page) call
this and nothing below it; it knows nothing of click or HTTP.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from .db import open_engine, resolve_url, shown, writing
from .models import FigureRow, PartnershipRow, RoundRow, SubmissionRow

if TYPE_CHECKING:
    from ..readback.collect import FileResult, Portfolio

#: RoundPoint.status of a partnership that sent nothing usable: files without data, or no file at all.
WITHOUT_DATA = "returned without data"
NOT_RETURNED = "not returned"

#: (defined name, scenario id or None, year label or None, month or None): one figure's place.
FigureKey = tuple[str, "str | None", "str | None", "int | None"]


@dataclass(frozen=True)
class Figure:
    """One figure of one partnership in one round (the rows of history.csv)."""

    round: str
    as_of: dt.date | None
    partnership_id: str          # the stable id (the workbook's partnership id)
    partnership: str             # its name, as returned in that round
    measure: str                 # the defined name: FC_Total, FC_Gap, SP_base_EndCash
    scenario: str | None
    year: str | None             # FY2027; None for a single figure
    month: int | None            # 1..12 for a monthly series (FC_CF_*), else None
    value: float | None
    text: str | None = None      # a figure that is words (SP_base_RunwayCash: "FY2029", "none")


@dataclass(frozen=True)
class RoundSummary:
    """A round and its counts (what `pbp-toolkit rounds` lists)."""

    label: str
    as_of: dt.date | None
    notes: str
    created_at: dt.datetime
    partnerships: int            # partnerships with figures in the round
    files: int                   # submissions recorded (every file seen, superseded ones included)
    used: int                    # current submissions whose figures are used
    superseded: int              # earlier files replaced by a changed one
    not_used: int                # files that could not be used (see their problems)
    template_versions: dict[str, list[str]]   # template id -> versions among the used files
    mixed_versions: bool         # True when one workbook kind comes in two template versions

    @property
    def versions_note(self) -> str:
        """Words for mixed template versions ("" when there are none)."""
        mixed = [f"{tid} versions {', '.join(v)}" for tid, v in self.template_versions.items() if len(v) > 1]
        return ("mixes template versions: " + "; ".join(mixed)) if mixed else ""


@dataclass(frozen=True)
class Submission:
    """One file recorded in a round."""

    id: int
    round: str
    partnership_id: str | None   # None for a file that is not a partnership's workbook
    partnership: str | None
    file_name: str
    sha256: str
    received_at: dt.datetime
    template_id: str
    template_version: str
    status: str                  # the validation status
    used: bool                   # its figures were used when it was recorded
    filled: bool
    problems: list[str]
    superseded_by: int | None    # the submission that replaced it, if one did

    @property
    def current(self) -> bool:
        """Its figures are the partnership's in this round."""
        return self.used and self.superseded_by is None


@dataclass
class Recorded:
    """What record_round did."""

    round: str
    new_round: bool
    added: int = 0               # files recorded now
    unchanged: int = 0           # files already recorded in this round (same SHA-256): nothing new
    superseded: int = 0          # earlier files replaced by a changed one now
    warnings: list[str] = field(default_factory=list)   # mixed template versions, ...


@dataclass(frozen=True)
class RoundPoint:
    """A partnership in one round: its figures, or returned=False when it sent nothing usable."""

    round: str
    as_of: dt.date | None
    returned: bool
    status: str                  # clean / used with warnings / returned without data / not returned
    figures: dict[FigureKey, float | str | None]
    problems: list[str]

    def get(self, measure: str, scenario: str | None = None, year: str | None = None, month: int | None = None) -> float | str | None:
        """One figure (None when the round has no such figure)."""
        return self.figures.get((measure, scenario, year, month))

    def final(self, measure: str, scenario: str | None = None) -> float | str | None:
        """A per-year measure's final-year value (the last year the partnership projected)."""
        years = sorted(y for (m, s, y, mo) in self.figures if m == measure and s == scenario and y is not None and mo is None)
        return self.figures.get((measure, scenario, years[-1], None)) if years else None

    def scenarios(self) -> list[str]:
        """Scenario ids in this round's figures, in first-seen order."""
        seen: list[str] = []
        for (_, s, _, _) in self.figures:
            if s is not None and s not in seen:
                seen.append(s)
        return seen


@dataclass(frozen=True)
class PartnershipHistory:
    """One partnership across every round, oldest first (a RoundPoint for each round, returned or not)."""

    partnership_id: str
    name: str
    region: str
    structure: str
    points: list[RoundPoint]


class Store:
    """A portfolio database. Open one with open_store(); use it as a context manager or close()."""

    def __init__(self, engine: Engine, url: str):
        self.engine = engine
        self.url = url

    @property
    def where(self) -> str:
        """The database as it may be printed (no password)."""
        return shown(self.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def record_round(self, label: str, port: Portfolio, as_of: dt.date | None = None, notes: str | None = None,
                     received_at: dt.datetime | None = None, fail_after: int | None = None) -> Recorded:
        """Record a collect result as round `label`, in one transaction (a failure part-way
        leaves the database as it was). A file already recorded in the round (same SHA-256)
        adds nothing; a changed file for a partnership's workbook already in the round
        supersedes the earlier one, which stays listed. The round is made on first use; as_of
        and notes, when given, replace the round's. `fail_after` (tests) raises after that many
        files, to prove the rollback."""
        label = label.strip()
        if not label:
            raise ValueError("a round needs a label")
        received_at = received_at or _now()
        with writing(self.engine) as conn, Session(bind=conn) as session:
            rnd = session.scalars(select(RoundRow).where(RoundRow.label == label)).first()
            out = Recorded(label, rnd is None)
            if rnd is None:
                rnd = RoundRow(label=label, as_of=as_of, notes=notes or "", created_at=received_at)
                session.add(rnd)
                session.flush()
            else:
                if as_of is not None:
                    rnd.as_of = as_of
                if notes is not None:
                    rnd.notes = notes
            seen = set(session.scalars(select(SubmissionRow.sha256).where(SubmissionRow.round_id == rnd.id)))
            partners: dict[str, PartnershipRow] = {}
            for i, res in enumerate(port.results):
                if fail_after is not None and i >= fail_after:
                    raise RuntimeError(f"stopped after {fail_after} file(s) (a test of the rollback)")
                if res.sha256 and res.sha256 in seen:
                    out.unchanged += 1
                    continue
                seen.add(res.sha256)
                partner = self._partner(session, res, partners) if res.usable else None
                sub = SubmissionRow(round_id=rnd.id, partnership=partner, file_name=res.path, sha256=res.sha256,
                                    received_at=received_at, template_id=res.template_id,
                                    template_version=res.template_version, status=res.status, used=res.used,
                                    filled=res.filled, problems="\n".join(m for _, _, m in res.findings))
                session.add(sub)
                session.flush()
                if res.used and partner is not None:
                    earlier = session.scalars(select(SubmissionRow).where(
                        SubmissionRow.round_id == rnd.id, SubmissionRow.partnership_id == partner.id,
                        SubmissionRow.template_id == res.template_id, SubmissionRow.used.is_(True),
                        SubmissionRow.superseded_by_id.is_(None), SubmissionRow.id != sub.id)).all()
                    for old in earlier:
                        old.superseded_by_id = sub.id
                        out.superseded += 1
                    session.add_all(FigureRow(submission_id=sub.id, name=n, scenario=s, year=y, month=m, value=v, text=t)
                                    for n, s, y, m, v, t in res.figures)
                out.added += 1
            session.flush()
            summary = _summarise(session, rnd)
            if summary.mixed_versions:
                out.warnings.append(f"round {label!r} {summary.versions_note}")
            session.commit()
        return out

    @staticmethod
    def _partner(session: Session, res: FileResult, cache: dict[str, PartnershipRow]) -> PartnershipRow:
        key = res.partnership_id or res.org.get("name", "")
        row = cache.get(key) or session.scalars(select(PartnershipRow).where(PartnershipRow.key == key)).first()
        if row is None:
            row = PartnershipRow(key=key, name=res.org.get("name", key), region=res.org.get("region", ""),
                                 structure=res.org.get("structure", ""))
            session.add(row)
            session.flush()
        elif res.used:
            row.name = res.org.get("name", row.name)
            row.region = res.org.get("region", row.region)
            row.structure = res.org.get("structure", row.structure)
        cache[key] = row
        return row

    # ------------------------------------------------------------------ reading

    def rounds(self) -> list[RoundSummary]:
        """Every round, oldest first (by as-of date, else the day it was first recorded)."""
        with Session(self.engine) as session:
            return [_summarise(session, r) for r in _ordered_rounds(session)]

    def round(self, label: str) -> RoundSummary:
        """One round; KeyError when there is none of that label."""
        with Session(self.engine) as session:
            rnd = session.scalars(select(RoundRow).where(RoundRow.label == label)).first()
            if rnd is None:
                raise KeyError(label)
            return _summarise(session, rnd)

    def previous_round(self, label: str) -> str | None:
        """The label of the round before `label` (None for the first); KeyError for an unknown label."""
        labels = [r.label for r in self.rounds()]
        i = labels.index(label) if label in labels else None
        if i is None:
            raise KeyError(label)
        return labels[i - 1] if i > 0 else None

    def submissions(self, label: str) -> list[Submission]:
        """Every file recorded in round `label`, in the order recorded (superseded ones included)."""
        with Session(self.engine) as session:
            rows = session.execute(select(SubmissionRow, RoundRow.label, PartnershipRow)
                                   .join(RoundRow, SubmissionRow.round_id == RoundRow.id)
                                   .outerjoin(PartnershipRow, SubmissionRow.partnership_id == PartnershipRow.id)
                                   .where(RoundRow.label == label).order_by(SubmissionRow.id)).all()
            return [_submission(s, lab, p) for s, lab, p in rows]

    def figures(self, label: str | None = None) -> list[Figure]:
        """The figures of round `label` (every round when None, oldest first): the current
        submissions' only, so each figure appears once per partnership and round."""
        order = {r.label: i for i, r in enumerate(self.rounds())}
        with Session(self.engine) as session:
            q = (select(RoundRow.label, RoundRow.as_of, PartnershipRow.key, PartnershipRow.name, FigureRow)
                 .join(SubmissionRow, FigureRow.submission_id == SubmissionRow.id)
                 .join(RoundRow, SubmissionRow.round_id == RoundRow.id)
                 .join(PartnershipRow, SubmissionRow.partnership_id == PartnershipRow.id)
                 .where(SubmissionRow.used.is_(True), SubmissionRow.superseded_by_id.is_(None)))
            if label is not None:
                q = q.where(RoundRow.label == label)
            rows = session.execute(q.order_by(PartnershipRow.key, FigureRow.id)).all()
            out = [Figure(lab, as_of, key, name, f.name, f.scenario, f.year, f.month, f.value, f.text)
                   for lab, as_of, key, name, f in rows]
        return sorted(out, key=lambda f: order.get(f.round, 0))

    def history(self) -> list[PartnershipHistory]:
        """Every partnership ever recorded, each with a point for every round (oldest first);
        a round in which it sent nothing usable is a point with returned=False."""
        rounds = self.rounds()
        figs: dict[tuple[str, str], dict[FigureKey, float | str | None]] = {}
        for f in self.figures():
            figs.setdefault((f.round, f.partnership_id), {})[(f.measure, f.scenario, f.year, f.month)] = \
                f.value if f.text is None else f.text
        out = []
        with Session(self.engine) as session:
            partners = session.scalars(select(PartnershipRow).order_by(PartnershipRow.name, PartnershipRow.key)).all()
            subs = session.execute(select(SubmissionRow, RoundRow.label).join(RoundRow, SubmissionRow.round_id == RoundRow.id)
                                   .where(SubmissionRow.partnership_id.is_not(None))).all()
            by: dict[tuple[int, str], list[SubmissionRow]] = {}
            for s, lab in subs:
                by.setdefault((s.partnership_id or 0, lab), []).append(s)
            for p in partners:
                points = []
                for r in rounds:
                    sent = by.get((p.id, r.label), [])
                    mine = [s for s in sent if s.used and s.superseded_by_id is None]
                    problems = [line for s in mine for line in s.problems.splitlines() if line]
                    returned = bool(mine)
                    status = ("used with warnings" if problems else "clean") if returned else (
                        WITHOUT_DATA if any(not s.filled for s in sent) else NOT_RETURNED)
                    points.append(RoundPoint(r.label, r.as_of, returned, status, figs.get((r.label, p.key), {}), problems))
                out.append(PartnershipHistory(p.key, p.name, p.region, p.structure, points))
        return out

    def partnership(self, partnership_id: str) -> PartnershipHistory:
        """One partnership's history; KeyError when the store has never seen it."""
        for h in self.history():
            if h.partnership_id == partnership_id:
                return h
        raise KeyError(partnership_id)


def open_store(db: str | None = None, upgrade: bool = True) -> Store:
    """Open the portfolio database `db`: a URL (sqlite:///..., postgresql+psycopg://...), an
    SQLite file path, or None for $PBP_DATABASE, else the default file (db.default_path).
    A new database is created; an older one is brought to the current schema. StoreError (one
    line) for a database that is not ours, is damaged, is newer than this toolkit, or cannot be
    reached."""
    url = resolve_url(db)
    return Store(open_engine(url, upgrade=upgrade), url)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _ordered_rounds(session: Session) -> list[RoundRow]:
    rows = session.scalars(select(RoundRow)).all()
    return sorted(rows, key=lambda r: (r.as_of or r.created_at.date(), r.created_at, r.id))


def _summarise(session: Session, rnd: RoundRow) -> RoundSummary:
    subs = session.scalars(select(SubmissionRow).where(SubmissionRow.round_id == rnd.id)).all()
    current = [s for s in subs if s.used and s.superseded_by_id is None]
    versions: dict[str, list[str]] = {}
    for s in current:
        v = versions.setdefault(s.template_id, [])
        if s.template_version not in v:
            v.append(s.template_version)
    for v in versions.values():
        v.sort()
    return RoundSummary(label=rnd.label, as_of=rnd.as_of, notes=rnd.notes, created_at=rnd.created_at,
                        partnerships=len({s.partnership_id for s in current}), files=len(subs), used=len(current),
                        superseded=sum(1 for s in subs if s.superseded_by_id is not None),
                        not_used=sum(1 for s in subs if not s.used),
                        template_versions=versions, mixed_versions=any(len(v) > 1 for v in versions.values()))


def _submission(s: SubmissionRow, label: str, p: PartnershipRow | None) -> Submission:
    return Submission(s.id, label, p.key if p else None, p.name if p else None, s.file_name, s.sha256, s.received_at,
                      s.template_id, s.template_version, s.status, s.used, s.filled,
                      [line for line in s.problems.splitlines() if line], s.superseded_by_id)


#: Defined names whose figures are not money (rates, shares, months, FTE, flags): six decimals in CSV.
NOT_MONEY = re.compile(r"(Rate|Pct|Cap|Share|Months|MonthsCash|MonthsEquivalent|LowestMonth|ShortMonths|FTE|OK|Complete)$")


def is_money(measure: str) -> bool:
    """A figure in currency (FC_Gap, SP_base_EndCash), not a rate, share, count of months or flag."""
    return not NOT_MONEY.search(measure)


def iter_csv_rows(figures: Iterable[Figure]) -> Iterator[tuple[Any, ...]]:
    """history.csv rows (round, as_of, partnership_id, partnership, measure, scenario, year, value):
    money rounded to cents, rates, shares and months to six decimals; a monthly figure's year reads
    "FY2026 M03"."""
    for f in figures:
        year = f.year or ""
        if f.month is not None:
            year = f"{year} M{f.month:02d}".strip()
        places = 2 if is_money(f.measure) else 6
        value: Any = f.text if f.text is not None else ("" if f.value is None else round(f.value, places))
        yield (f.round, f.as_of.isoformat() if f.as_of else "", f.partnership_id, f.partnership, f.measure,
               f.scenario or "", year, value)


CSV_COLUMNS = ("round", "as_of", "partnership_id", "partnership", "measure", "scenario", "year", "value")
