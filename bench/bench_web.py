"""Benchmark: the web page (pbp-toolkit serve) on this machine.

python bench/bench_web.py [--files 1000] [--clients 8] [--seconds 5]

Prints:
- requests per second for the Send page and for a round's Portfolio page (threads against the
  live server on 127.0.0.1, each with its own session);
- the time to collect FILES uploaded workbooks: twenty officers upload FILES/20 each at once,
  each into its own round (real returned workbooks, half Full Cost and half Scenario
  Projections), from the first byte sent to the last round recorded in the store.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_collect import make_returns  # noqa: E402
from generator.web.app import Settings  # noqa: E402
from tests.test_web import Client  # noqa: E402
from tests.web import live_server  # noqa: E402


def rate(url: str, path: str, clients: int, seconds: float) -> float:
    counts = [0] * clients
    end = time.perf_counter() + seconds

    def run(i: int) -> None:
        c = Client(url)
        while time.perf_counter() < end:
            status, _, _ = c.get(path)
            assert status == 200, (path, status)
            counts[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    uploads = 20
    per = args.files // uploads
    with tempfile.TemporaryDirectory(prefix="pbp-bench-web-") as tmp:
        d = Path(tmp)
        t = time.perf_counter()
        make_returns(d / "returns", per, 2)
        files = sorted((d / "returns").rglob("*.xlsx"))[:per]
        print(f"built {len(files)} returned workbooks in {time.perf_counter() - t:.1f} s")
        payload = [("files", f.name, f.read_bytes()) for f in files]
        with live_server(Settings(data_dir=d / "data", db=str(d / "p.db"))) as url:
            print(f"Send page: {rate(url, '/send', args.clients, args.seconds):.0f} requests/s ({args.clients} clients)")
            started = time.perf_counter()
            done: list[float] = []

            def upload(i: int) -> None:
                c = Client(url)
                status, h, _ = c.post("/collect", {"csrf_token": c.token(), "round": f"bench {i:02d}"}, payload)
                assert status == 303
                page = c.finish(h["location"], timeout=3600)
                assert f"{len(files)} file(s) recorded" in page, page[:300]
                done.append(time.perf_counter() - started)

            threads = [threading.Thread(target=upload, args=(i,)) for i in range(uploads)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            total = time.perf_counter() - started
            n = uploads * len(files)
            print(f"collect of {n} uploaded files ({uploads} uploads of {len(files)} at once): {total:.1f} s "
                  f"({n / total:.1f} files/s; first upload recorded after {min(done):.1f} s)")
            page = "/rounds/bench%2000"
            print(f"Portfolio page of a {len(files)}-file round: {rate(url, page, args.clients, args.seconds):.0f} requests/s")


if __name__ == "__main__":
    main()
