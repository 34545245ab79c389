"""The web page under load: twenty officers upload fifty returned workbooks each at the same
time, and every file is recorded exactly once; the page keeps answering while a batch builds
and while the uploads are read (the work runs off the request threads)."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from generator.web.app import Settings
from tests.test_web import Client
from tests.web import live_server


def _probe(url: str, stop: threading.Event, latencies: list[float]) -> None:
    c = Client(url)
    while not stop.is_set():
        t = time.perf_counter()
        status, _, _ = c.get("/send")
        assert status == 200, text[-800:]
        latencies.append(time.perf_counter() - t)
        time.sleep(0.2)


@pytest.mark.slow
def test_twenty_uploads_at_once(tmp_path: Path) -> None:
    from bench.bench_collect import make_returns
    from generator.store import open_store

    make_returns(tmp_path / "returns", 50, 2)
    files = sorted((tmp_path / "returns").rglob("*.xlsx"))
    assert len(files) == 50
    payload = [("files", f.name, f.read_bytes()) for f in files]
    db = tmp_path / "p.db"
    with live_server(Settings(data_dir=tmp_path / "data", db=str(db))) as url:
        stop, latencies = threading.Event(), []
        probe = threading.Thread(target=_probe, args=(url, stop, latencies), daemon=True)
        probe.start()
        # a batch of 40 partnerships builds while the page is asked for every 0.2 s
        c = Client(url)
        tok = c.token("/send")
        roster = "name,backbone_structure,fiscal_year_start\n" + "".join(f"Load Partnership {i:02d},hosted_nonprofit,2026-07-01\n" for i in range(40))
        status, _, text = c.post("/send/check", {"csrf_token": tok}, [("roster", "roster.csv", roster.encode())])
        assert status == 200, text[-800:]
        import re

        token = re.search(r'name="token" value="([^"]+)"', text).group(1)  # type: ignore[union-attr]
        status, h, _ = c.post("/send/build", {"csrf_token": tok, "token": token})
        page = c.finish(h["location"], timeout=300)
        assert "Built 80 workbook(s) for 40 of 40" in page
        during_build = max(latencies)
        # twenty uploads of fifty files at once, each its own round
        errors: list[str] = []

        def upload(i: int) -> None:
            try:
                me = Client(url)
                t = me.token()
                status, h, text = me.post("/collect", {"csrf_token": t, "round": f"load {i:02d}"}, payload)
                assert status == 303, text[:200]
                done = me.finish(h["location"], timeout=600)
                assert "50 file(s) recorded" in done, done[:300]
            except BaseException as exc:  # reported below, with the upload's number
                errors.append(f"upload {i}: {exc}")

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(700)
        stop.set()
        probe.join(10)
        assert not errors, errors
        # the same fifty again into one round: nothing new
        me = Client(url)
        status, h, _ = me.post("/collect", {"csrf_token": me.token(), "round": "load 00"}, payload)
        assert "50 had been recorded already" in me.finish(h["location"])
    with open_store(str(db)) as store:
        rounds = {r.label: r for r in store.rounds()}
        assert sorted(rounds) == [f"load {i:02d}" for i in range(20)]
        for label in rounds:
            subs = store.submissions(label)
            assert len(subs) == 50 and len({s.sha256 for s in subs}) == 50 and len({s.file_name for s in subs}) == 50
            assert rounds[label].partnerships == 25
    print(f"slowest answer while a batch built: {during_build:.2f} s; while 1,000 uploads were read: {max(latencies):.2f} s "
          f"({len(latencies)} probes)")
    assert during_build < 3.0, f"the page took {during_build:.1f} s to answer while a batch built"
    assert max(latencies) < 5.0, f"the page took {max(latencies):.1f} s to answer while uploads were read"
