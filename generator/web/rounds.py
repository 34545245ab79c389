"""The round book: what the pages know of rounds, over collect and the portfolio store.

An upload is read by readback.collect.collect (the command line's own reader, in worker
processes) from the folder it was stored in; each file's verdict is put on the job as it
comes. The round's portfolio is readback.collect's own table over every file the round
received. The same file sent twice to a round is recorded once.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..readback.collect import FileResult, Portfolio, collect
from .jobs import Job
from .uploads import Intake


@dataclass
class RoundInfo:
    label: str
    as_of: str
    created: str
    files: int
    partnerships: int


def verdict(res: FileResult) -> tuple[str, str]:
    """What a page says of one file as it is read: used, used with warnings, or refused and why."""
    if not res.usable:
        return "refused", "; ".join(m for _, _, m in res.findings) or res.status
    if not res.filled:
        return "refused", "returned without data: no position with an FTE above 0 and no expense above 0 is entered"
    if res.findings:
        return "used with warnings", "; ".join(m for _, _, m in res.findings)
    return "used", ""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class RoundBook:
    """Rounds kept under DATA/rounds: each round's file results and the hashes it has seen."""

    def __init__(self, data_dir: Path, db: str | None = None, workers: int | None = None):
        self.root = data_dir / "rounds"
        self.root.mkdir(parents=True, exist_ok=True)
        self.db = db
        self.workers = workers
        self._lock = threading.Lock()
        self._cache: dict[str, Portfolio] = {}

    # -- where a round lives

    def _folder(self, label: str) -> Path:
        return self.root / hashlib.sha256(label.encode("utf-8")).hexdigest()[:24]

    def _load(self, label: str) -> dict[str, Any] | None:
        meta = self._folder(label) / "round.json"
        if not meta.is_file():
            return None
        return json.loads(meta.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def _save(self, label: str, data: dict[str, Any]) -> None:
        folder = self._folder(label)
        folder.mkdir(exist_ok=True)
        tmp = folder / f".round-{secrets.token_hex(4)}.json"
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(folder / "round.json")

    # -- recording an upload

    def collect(self, label: str, as_of: dt.date | None, intake: Intake, job: Job) -> dict[str, Any]:
        """Read an upload's files and record them in the round; every file gets a verdict."""
        job.total = len(intake.files)
        shown = {str(s.path): s.shown for s in intake.kept}
        hashes = {str(s.path): _sha256(s.path) for s in intake.kept if s.path}
        for s in intake.files:
            if s.path is None:
                job.items.append({"file": s.shown, "verdict": "refused", "why": s.refused})
                job.done += 1
        results: list[FileResult] = []

        def progress(it: Iterable[FileResult], total: int) -> Iterator[FileResult]:
            for res in it:
                results.append(res)
                v, why = verdict(res)
                job.items.append({"file": shown.get(res.path, Path(res.path).name), "verdict": v, "why": why})
                job.done += 1
                yield res

        if intake.kept:
            folder = intake.kept[0].path.parent  # type: ignore[union-attr]
            collect(folder, self.workers, progress)
        with self._lock:
            data = self._load(label) or {"label": label, "as_of": as_of.isoformat() if as_of else "",
                                         "created": dt.datetime.now().isoformat(timespec="seconds"), "results": [], "sha": []}
            if as_of and not data["as_of"]:
                data["as_of"] = as_of.isoformat()
            seen = set(data["sha"])
            added = again = 0
            for res in results:
                sha = hashes.get(res.path, "")
                if sha and sha in seen:
                    again += 1
                    for item in job.items:
                        if item["file"] == shown.get(res.path) and item["verdict"] != "refused":
                            item["why"] = "; ".join(x for x in (item["why"], "already recorded in this round: counted once") if x)
                    continue
                seen.add(sha)
                rec = dataclasses.asdict(res)
                rec["path"] = shown.get(res.path, Path(res.path).name)
                data["results"].append(rec)
                added += 1
            for s in intake.files:
                if s.path is None:
                    data["results"].append(dataclasses.asdict(FileResult(s.shown, "refused", findings=[("error", "upload", s.refused)])))
                    added += 1
            data["sha"] = sorted(seen)
            self._save(label, data)
            self._cache.pop(label, None)
        return {"label": label, "added": added, "again": again}

    # -- reading

    def rounds(self) -> list[RoundInfo]:
        out = []
        for meta in self.root.glob("*/round.json"):
            data = json.loads(meta.read_text(encoding="utf-8"))
            port = self.portfolio(data["label"])
            out.append(RoundInfo(data["label"], data.get("as_of", ""), data.get("created", ""), len(data["results"]), len(port.rows)))
        return sorted(out, key=lambda r: (r.as_of or r.created, r.created))

    def round(self, label: str) -> RoundInfo | None:
        return next((r for r in self.rounds() if r.label == label), None)

    def portfolio(self, label: str) -> Portfolio:
        from ..readback.collect import _rows

        if label in self._cache:
            return self._cache[label]
        data = self._load(label) or {"results": []}
        results = []
        for rec in data["results"]:
            rec = dict(rec)
            rec["findings"] = [tuple(f) for f in rec.get("findings", [])]
            results.append(FileResult(**rec))
        port = _rows(results)
        self._cache[label] = port
        return port

    def portfolio_file(self, label: str) -> Path:
        from ..readback.portfolio import write_portfolio

        folder = self._folder(label)
        target = folder / "portfolio.xlsx"
        write_portfolio(self.portfolio(label), target, folder / "csv")
        return target

    def csv_file(self, label: str, name: str) -> Path:
        self.portfolio_file(label)
        return self._folder(label) / "csv" / name

    def pdf_file(self, label: str, wait: bool, job: Job | None = None) -> Path | None:
        target = self._folder(label) / "portfolio.pdf"
        book = self._folder(label) / "portfolio.xlsx"
        if target.is_file() and book.is_file() and target.stat().st_mtime >= (self._folder(label) / "round.json").stat().st_mtime:
            return target
        if not wait:
            return None
        from ..libreoffice import to_pdf

        to_pdf(self.portfolio_file(label), target)
        return target

    def history_file(self) -> Path:
        raise NotImplementedError

    def attention(self, label: str) -> list[dict[str, Any]]:
        return []

    def partnerships(self) -> list[dict[str, str]]:
        seen: dict[str, dict[str, str]] = {}
        for r in self.rounds():
            for row in self.portfolio(r.label).rows:
                seen[row["partnership_id"]] = {"id": row["partnership_id"], "name": row["partnership"]}
        return sorted(seen.values(), key=lambda p: p["name"].lower())

    def partnership(self, pid: str) -> dict[str, Any] | None:
        rounds = self.rounds()
        name = ""
        figures: dict[str, dict[str, Any]] = {}
        subs = []
        names = {"full_cost": "FC_Total", "gap": "FC_Gap", "expected_revenue": "FC_ExpectedRevenue",
                 "indirect_rate": "FC_IndirectRate", "cash_need": "FC_CashNeed"}
        for r in rounds:
            port = self.portfolio(r.label)
            row = next((x for x in port.rows if x["partnership_id"] == pid), None)
            if row is None:
                continue
            name = row["partnership"]
            figures[r.label] = {names[k]: row.get(k) for k in names}
            for f in (row.get("files") or "").split("; "):
                probs = [p["reason"] for p in port.problems if p["file"] == f]
                subs.append({"round": r.label, "file": f, "status": row.get("status", ""), "problems": probs})
        if not name:
            return None
        return {"name": name, "rounds": [r.label for r in rounds], "figures": figures, "submissions": subs}
