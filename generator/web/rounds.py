"""The round book: what the pages know of rounds, over collect and the portfolio store.

An upload is read by readback.collect.collect (the command line's own reader, in worker
processes) from the folder it was stored in; each file's verdict is put on the job as it
comes; the result is recorded in the store (generator.store: one transaction a round, the
same file twice recorded once, a changed file superseding the earlier one). Rounds, counts,
submissions and each partnership's history are the store's.

The store keeps figures by defined name, not collect's Portfolio object, which
portfolio.xlsx and the Benchmarks need; so the round book also keeps each recorded file's
collect result (DATA/rounds/<id>/results.jsonl), and a round's portfolio is collect's own
table (readback.collect's _rows) over the files the store holds as current in that round.
This is the thin adapter the web page needs until the store can give a round's Portfolio.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..readback.collect import FileResult, Portfolio, _rows, collect
from ..store import Store, open_store
from .jobs import Job
from .uploads import Intake


@dataclass
class RoundInfo:
    label: str
    as_of: str
    files: int
    partnerships: int
    not_used: int
    note: str = ""


def verdict(res: FileResult) -> tuple[str, str]:
    """What a page says of one file as it is read: used, used with warnings, or refused and why."""
    if not res.usable:
        return "refused", "; ".join(m for _, _, m in res.findings) or res.status
    if not res.filled:
        return "refused", "returned without data: no position with an FTE above 0 and no expense above 0 is entered"
    if res.findings:
        return "used with warnings", "; ".join(m for _, _, m in res.findings)
    return "used", ""


def _plain(value: Any) -> Any:
    """A date or time as its ISO text (an input read back may be one: fiscal_year_start)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _dumps(res: FileResult) -> str:
    """One collect result as a line of results.jsonl. Its `extracted` inputs are left out: they
    are for the two-workbook merge, which _rows has already made over this upload (the numbers
    and any conflict warnings kept are the merged ones), and a line read back is not merged again."""
    rec = dataclasses.asdict(dataclasses.replace(res, extracted=None))
    return json.dumps(rec, default=_plain)


def _result(rec: dict[str, Any]) -> FileResult:
    rec = dict(rec)
    rec["extracted"] = None   # never kept (see _dumps); a line written before that is read without it
    rec["findings"] = [tuple(f) for f in rec.get("findings", [])]
    rec["figures"] = [tuple(f) for f in rec.get("figures", [])]
    return FileResult(**rec)


class RoundBook:
    """Rounds in the store, with each recorded file's collect result kept beside it."""

    def __init__(self, data_dir: Path, db: str | None = None, workers: int | None = None):
        self.root = data_dir / "rounds"
        self.root.mkdir(parents=True, exist_ok=True)
        self.store: Store = open_store(db)
        self.workers = workers
        self._lock = threading.RLock()   # remember() may ask the store again inside
        self._cache: dict[str, Portfolio] = {}
        self._read: dict[str, Any] = {}     # what the store said since the last recording (rounds, history)

    def _folder(self, label: str) -> Path:
        return self.root / hashlib.sha256(label.encode("utf-8")).hexdigest()[:24]

    # -- recording an upload

    def collect(self, label: str, as_of: dt.date | None, intake: Intake, job: Job) -> dict[str, Any]:
        """Read an upload's files with collect, record them in the store as round `label`;
        every file gets a verdict, a file refused at the door (too large, a zip bomb) too."""
        job.total = len(intake.files)
        shown = {str(s.path): s.shown for s in intake.kept}
        items: dict[str, dict[str, str]] = {}
        for s in intake.files:
            if s.path is None:
                job.items.append({"file": s.shown, "verdict": "refused", "why": s.refused})
                job.done += 1

        def progress(it: Iterable[FileResult], total: int) -> Iterator[FileResult]:
            for res in it:
                v, why = verdict(res)
                item = {"file": shown.get(res.path, Path(res.path).name), "verdict": v, "why": why}
                items[res.path] = item
                job.items.append(item)
                job.done += 1
                yield res

        results: list[FileResult] = []
        if intake.kept:
            folder = intake.kept[0].path.parent  # type: ignore[union-attr]
            results = collect(folder, self.workers, progress).results
        for s in intake.files:
            if s.path is None:   # refused at the door: recorded too, so the round lists every file it was sent
                results.append(FileResult(s.shown, "refused", findings=[("error", "upload", s.refused)],
                                          sha256=hashlib.sha256(f"refused:{s.shown}:{s.refused}".encode()).hexdigest()))
        with self._lock:
            before = {sub.sha256 for sub in self.store.submissions(label)}
            for res in results:
                item = items.get(res.path)
                if item is not None and res.sha256 in before:
                    item["why"] = "; ".join(x for x in (item["why"], "already recorded in this round: counted once") if x)
                res.path = shown.get(res.path, res.path)   # the sender's name, never our disk path
            port = _rows(results)
            recorded = self.store.record_round(label, port, as_of)
            folder = self._folder(label)
            folder.mkdir(exist_ok=True)
            with open(folder / "results.jsonl", "a", encoding="utf-8") as fh:
                for res in port.results:
                    if res.sha256 not in before:
                        fh.write(_dumps(res) + "\n")
            self._cache.pop(label, None)
            self._read.clear()
        return {"label": label, "added": recorded.added, "again": recorded.unchanged, "superseded": recorded.superseded,
                "warnings": recorded.warnings}

    # -- reading

    def remember(self, key: str, read: Any) -> Any:
        """The store's answer, kept until the next upload is recorded (pages ask often, rounds change seldom)."""
        with self._lock:
            if key not in self._read:
                self._read[key] = read()
            return self._read[key]

    def rounds(self) -> list[RoundInfo]:
        return self.remember("rounds", lambda: [
            RoundInfo(r.label, r.as_of.isoformat() if r.as_of else "", r.files, r.partnerships, r.not_used, r.versions_note)
            for r in self.store.rounds()])

    def round(self, label: str) -> RoundInfo | None:
        return next((r for r in self.rounds() if r.label == label), None)

    def portfolio(self, label: str) -> Portfolio:
        """collect's table over the files the store holds as current in the round (a superseded
        file's figures are not the partnership's any more; an unused file stays in Problems)."""
        with self._lock:
            if label in self._cache:
                return self._cache[label]
            keep = {(s.sha256, s.file_name) for s in self.store.submissions(label) if s.superseded_by is None}
            results, seen = [], set()
            path = self._folder(label) / "results.jsonl"
            if path.is_file():
                for line in path.read_text(encoding="utf-8").splitlines():
                    res = _result(json.loads(line))
                    key = (res.sha256, res.path)
                    if key in keep and key not in seen:
                        seen.add(key)
                        results.append(res)
            port = _rows(results)
            self._cache[label] = port
            return port

    def benchmarks(self, label: str) -> Any:
        """collect's Benchmarks table of the round (readback.portfolio.benchmarks_frame), kept until the next recording."""
        from ..readback.portfolio import benchmarks_frame

        port = self.portfolio(label)
        return self.remember(f"bench:{label}", lambda: benchmarks_frame(port))

    def portfolio_file(self, label: str) -> Path:
        from ..readback.portfolio import write_portfolio

        import copy

        from ..history import add_changes
        from .history import scenario_names

        folder = self._folder(label)
        target = folder / "portfolio.xlsx"
        port = copy.deepcopy(self.portfolio(label))
        add_changes(port, self.store, label, scenario_names())   # the change columns `collect --round` writes
        write_portfolio(port, target, folder / "csv")
        return target

    def csv_file(self, label: str, name: str) -> Path:
        self.portfolio_file(label)
        return self._folder(label) / "csv" / name

    def pdf_file(self, label: str, wait: bool, job: Job | None = None) -> Path | None:
        folder = self._folder(label)
        target = folder / "portfolio.pdf"
        results = folder / "results.jsonl"
        if target.is_file() and results.is_file() and target.stat().st_mtime >= results.stat().st_mtime:
            return target
        if not wait:
            return None
        from ..libreoffice import to_pdf

        to_pdf(self.portfolio_file(label), target)
        return target

    def history_file(self) -> Path:
        from .history import write_history

        target = self.root / "history.xlsx"
        write_history(self.store, target)
        return target

    def attention(self, label: str) -> list[dict[str, Any]]:
        from .history import attention

        return self.remember(f"attention:{label}", lambda: attention(self.store, label))

    def partnerships(self) -> list[dict[str, str]]:
        return [{"id": h.partnership_id, "name": h.name} for h in self.remember("history", self.store.history)]

    def partnership(self, pid: str) -> dict[str, Any] | None:
        try:
            h = self.store.partnership(pid)
        except KeyError:
            return None
        figures = {p.round: {k[0]: v for k, v in p.figures.items() if k[1] is None and k[2] is None and k[3] is None}
                   for p in h.points}
        subs = []
        for p in h.points:
            for s in self.store.submissions(p.round):
                if s.partnership_id == pid:
                    state = ("superseded by a later file" if s.superseded_by else
                             ("used" if s.used else "not used"))
                    subs.append({"round": p.round, "file": s.file_name, "status": f"{s.status}; {state}",
                                 "received": s.received_at.isoformat(sep=" ", timespec="minutes"), "problems": s.problems})
        return {"name": h.name, "rounds": [p.round for p in h.points], "figures": figures, "submissions": subs,
                "points": h.points}
