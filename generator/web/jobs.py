"""Long work (a batch build, a collect) off the request thread, with progress a page can poll.

A request starts a job and returns at once; the page asks /jobs/<id> for its state every
second or so. Jobs run in a small pool of threads (the build and the collect themselves
fan out to worker processes), so twenty uploads at once queue up instead of starting
twenty process pools on a two-core machine.
"""
from __future__ import annotations

import secrets
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Job:
    """One piece of long work: what it is, how far it got, and what it gave."""

    id: str
    kind: str                      # "batch" or "collect"
    title: str
    total: int = 0
    done: int = 0
    state: str = "waiting"         # waiting, running, finished, failed
    message: str = ""
    started: float = field(default_factory=time.time)
    finished: float | None = None
    items: list[dict[str, Any]] = field(default_factory=list)   # per-file verdicts as they come
    result: Any = None
    owner: str = ""                # the session that started it: no one else may read it

    @property
    def percent(self) -> int:
        if self.state == "finished":
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def over(self) -> bool:
        return self.state in ("finished", "failed")


class Jobs:
    """The jobs of one server: started, tracked and kept for a while after they end."""

    def __init__(self, workers: int = 2, keep: int = 200):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pbp-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._keep = keep

    def start(self, kind: str, title: str, work: Callable[[Job], Any], owner: str = "") -> Job:
        """Queue `work(job)`; its return value becomes job.result. An exception fails the job
        with a one-line message (never a traceback on the page)."""
        job = Job(secrets.token_urlsafe(12), kind, title, owner=owner)
        with self._lock:
            self._jobs[job.id] = job
            self._trim()

        def run() -> None:
            job.state = "running"
            try:
                job.result = work(job)
                job.state = "finished"
            except Exception as exc:  # the job fails, the server goes on
                job.message = " ".join(str(exc).split())[:300] or type(exc).__name__
                job.state = "failed"
                traceback.print_exc()
            finally:
                job.finished = time.time()

        self._pool.submit(run)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _trim(self) -> None:
        over = [j for j in self._jobs.values() if j.over]
        for j in sorted(over, key=lambda j: j.finished or 0)[: max(0, len(self._jobs) - self._keep)]:
            del self._jobs[j.id]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
