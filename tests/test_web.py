"""The web page's defences, asked over real HTTP against a live server on 127.0.0.1: each hostile
request and what the server must answer. No browser here (tests/test_web_browser.py drives one)."""
from __future__ import annotations

import http.client
import io
import re
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from generator.web.app import Settings
from generator.web.security import Access
from generator.web.uploads import UploadLimits
from tests.hostile import MiB, RawEntry, _deflate_stream, real_workbook, write_raw_zip, zip_bomb
from tests.web import live_server


class Client:
    """A tiny HTTP client that keeps the session cookie, like a browser would."""

    def __init__(self, base: str, host: str | None = None):
        self.port = int(base.rsplit(":", 1)[1])
        self.cookie = ""
        self.host = host

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.host:
            h["Host"] = self.host
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        out = {k.lower(): v for k, v in resp.getheaders()}
        if "set-cookie" in out:
            self.cookie = out["set-cookie"].split(";", 1)[0]
        conn.close()
        return resp.status, out, data.decode("utf-8", "replace")

    def get(self, path: str, **kw: Any) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path, **kw)

    def token(self, path: str = "/collect") -> str:
        status, _, text = self.get(path)
        assert status == 200, text[:300]
        m = re.search(r'name="csrf_token" value="([^"]+)"', text)
        assert m
        return m.group(1)

    def post(self, path: str, fields: dict[str, str], files: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        boundary = uuid.uuid4().hex
        out = io.BytesIO()
        for k, v in fields.items():
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        for field, name, data in files:
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                      f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
        h = {"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})}
        return self.request("POST", path, out.getvalue(), h)

    def finish(self, location: str, timeout: float = 120) -> str:
        """Follow a job's page until it has finished; its HTML."""
        path = location.split("127.0.0.1", 1)[-1].split(":", 1)[-1]
        path = path[path.index("/"):] if not path.startswith("/") else path
        end = time.time() + timeout
        while time.time() < end:
            status, _, text = self.get(path, headers={"HX-Request": "true"})
            assert status == 200, text[:300]
            if "Finished." in text or "This stopped" in text:
                return text
            time.sleep(0.3)
        raise AssertionError(f"job {path} did not finish in {timeout} s")


def _words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_workbook(tmp_path_factory.mktemp("wb"))


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    d = tmp_path_factory.mktemp("web")
    settings = Settings(data_dir=d / "data", db=str(d / "p.db"), collect_workers=1, build_workers=1,
                        limits=UploadLimits(max_files=8, max_file_bytes=2 * MiB, max_request_bytes=24 * MiB, max_archive_inflated=40 * MiB))
    with live_server(settings) as url:
        DB["local"] = str(d / "p.db")
        yield url


DB: dict[str, str] = {}


def test_headers_on_every_answer(local: str) -> None:
    """CSP without inline script or style, nosniff, no framing, no referrer: on pages, assets and errors."""
    c = Client(local)
    for path, code in (("/send", 200), ("/static/htmx.min.js", 200), ("/static/style.css", 200), ("/no-such-page", 404)):
        status, h, _ = c.get(path)
        assert status == code, path
        csp = h["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"
        assert h["x-frame-options"] == "DENY"
    status, h, body = c.get("/static/htmx.min.js")
    assert h["content-type"].startswith(("text/javascript", "application/javascript")) and "htmx" in body[:2000]


def test_non_local_host_refused(local: str) -> None:
    """A page elsewhere that points its own DNS name at 127.0.0.1 (DNS rebinding) gets nothing."""
    status, _, text = Client(local, host="evil.example:80").get("/rounds")
    assert status == 403 and "only on the computer it runs on" in _words(text)
    status, _, _ = Client(local, host="localhost").get("/send")
    assert status == 200


def test_forms_need_their_token(local: str, workbook: Path) -> None:
    """A POST without the form's token, with a wrong one, or with another session's, is refused (400); nothing is recorded."""
    c = Client(local)
    good = c.token()
    files = [("files", workbook.name, workbook.read_bytes())]
    for fields, client in (({"round": "forged"}, c), ({"round": "forged", "csrf_token": "x" * 43}, c),
                           ({"round": "forged", "csrf_token": good}, Client(local))):
        status, _, text = client.post("/collect", fields, files)
        assert status == 400 and "security token" in _words(text)
    status, _, text = c.post("/send/build", {"token": "A" * 22})
    assert status == 400
    status, _, text = c.get("/rounds?all=1")
    assert "forged" not in text


def test_hostile_uploads(local: str, workbook: Path, tmp_path: Path) -> None:
    """Path-traversal and script names, a zip bomb inside a workbook, a zip of workbooks that is a bomb,
    one whose entry lies about its size, an HTML page named .xlsx, a file over the size limit, and more
    files than one upload may bring: every one has a verdict, nothing lands outside the upload's folder,
    no name comes back unescaped, and the good workbook is still used."""
    c = Client(local)
    tok = c.token()
    bomb = zip_bomb(workbook, tmp_path).read_bytes()
    honest, crc, size = _deflate_stream(b"", bytes(MiB), 1024, b"")            # 1 GiB of zeros in ~1 MB
    archive_bomb = write_raw_zip(tmp_path / "a.zip", [RawEntry.of("good.xlsx", workbook.read_bytes()),
                                                       RawEntry("bomb.xlsx", honest, crc, size)]).read_bytes()
    lying = write_raw_zip(tmp_path / "b.zip", [RawEntry.of("riverside.xlsx", workbook.read_bytes()),
                                                RawEntry("liar.xlsx", honest, crc, 64 * 1024)]).read_bytes()
    files = [("files", "../../../../../tmp/pbp-escape.xlsx", workbook.read_bytes()),
             ("files", "<img src=x onerror=alert(1)>.xlsx", b"<!doctype html><html><script>alert(1)</script></html>"),
             ("files", "bomb.xlsx", bomb),
             ("files", "archive-bomb.zip", archive_bomb),
             ("files", "lying.zip", lying),
             ("files", "huge.xlsx", bytes(3 * MiB))]
    status, h, text = c.post("/collect", {"csrf_token": tok, "round": "hostile"}, files)
    assert status == 303, _words(text)[:300]
    page = c.finish(h["location"])
    words = _words(page)
    assert "<img" not in page and "alert(1)</script>" not in page and "&lt;img src=x onerror=alert(1)&gt;.xlsx" in page
    assert not Path("/tmp/pbp-escape.xlsx").exists()
    rows = dict(re.findall(r"<tr><td>([^<]+)</td>\s*<td><span class=\"tag \w+\">([^<]+)</span>", page))
    assert rows["pbp-escape.xlsx"] == "Used"                        # the name is the last part only
    assert rows["&lt;img src=x onerror=alert(1)&gt;.xlsx"] == "Refused" and "an HTML page, not a workbook" in words
    assert rows["bomb.xlsx"] == "Refused" and "inflated" in words
    assert rows["archive-bomb.zip"] == "Refused" and "the zip was refused" in words and "declares 1.0 GiB inflated" in words
    assert rows["lying.zip: liar.xlsx"] == "Refused" and "inflates to more than the 64.0 KiB its header declares" in words
    assert rows["lying.zip: riverside.xlsx"] == "Used"
    assert rows["huge.xlsx"] == "Refused" and "larger than 2 MiB" in words
    assert len(rows) == 7                                            # 6 uploads, one zip giving two files
    # more than max_files (8) in one request: the rest are refused with the reason, none dropped
    status, h, _ = c.post("/collect", {"csrf_token": tok, "round": "many"},
                          [("files", f"copy{i}.xlsx", workbook.read_bytes()) for i in range(10)])
    page = c.finish(h["location"])
    assert _words(page).count("more than 8 files in one upload") == 2
    # a request larger than the limit is cut off before it is read
    status, _, text = c.post("/collect", {"csrf_token": tok, "round": "big"}, [("files", "big.xlsx", bytes(25 * MiB))])
    assert status == 413 and "larger than the 24 MiB" in _words(text)


def test_nothing_uploaded_is_served(local: str, workbook: Path) -> None:
    """No address reaches the stored uploads, a made-up token is a 404 (never a path), and a job is its starter's alone."""
    c = Client(local)
    tok = c.token()
    status, h, _ = c.post("/collect", {"csrf_token": tok, "round": "mine"}, [("files", "a.xlsx", workbook.read_bytes())])
    job = h["location"]
    c.finish(job)
    for path in ("/uploads/", "/static/../app.py", "/static/..%2fapp.py", "/send/..%2f..%2fetc/workbooks.zip",
                 "/send/" + "." * 12 + "/workbooks.zip", "/data/rounds/", "/download/mine/../../p.db"):
        status, _, _ = c.get(path)
        assert status == 404, path
    status, _, _ = Client(local).get(job[job.index("/jobs/"):])
    assert status == 404


def test_shared_needs_sign_in(tmp_path: Path) -> None:
    """With --host: no page without signing in (GET is sent to the sign-in page, POST is refused),
    a wrong token is refused and tries are limited, the right one lets in, and a session ends when unused."""
    access = Access(sign_in=True, token="the-printed-token", idle_minutes=0.05, max_attempts=3)
    settings = Settings(data_dir=tmp_path / "data", db=str(tmp_path / "p.db"), access=access)
    with live_server(settings) as url:
        c = Client(url, host="partnerships.example.org")           # any host name: sign-in is what guards
        status, h, _ = c.get("/rounds")
        assert status == 302 and "/sign-in" in h["location"]
        status, _, text = c.get("/rounds", headers={"HX-Request": "true"})
        assert status == 401
        status, _, text = c.request("POST", "/collect", b"round=x", {"Content-Type": "application/x-www-form-urlencoded"})
        assert status in (400, 401)
        tok = c.token("/sign-in")
        status, _, text = c.post("/sign-in", {"csrf_token": tok, "secret": "guess"})
        assert status == 401 and "not right" in _words(text)
        status, h, _ = c.post("/sign-in", {"csrf_token": tok, "secret": "the-printed-token"})
        assert status == 302
        status, _, text = c.get("/rounds?all=1")
        assert status == 200 and "Sign out" in text
        time.sleep(3.5)                                              # idle longer than 0.05 minutes
        status, h, _ = c.get("/rounds?all=1")
        assert status == 302 and "/sign-in" in h["location"]
        other = Client(url)
        t2 = other.token("/sign-in")
        for _ in range(3):
            other.post("/sign-in", {"csrf_token": t2, "secret": "wrong"})
        status, _, text = other.post("/sign-in", {"csrf_token": t2, "secret": "the-printed-token"})
        assert status == 401 and "too many tries" in _words(text)   # locked out for ten minutes, even with the token


def test_round_recorded_once(local: str, workbook: Path) -> None:
    """The same file sent twice to a round, in two uploads, is one submission in the store."""
    from generator.store import open_store

    c = Client(local)
    tok = c.token()
    for _ in range(2):
        status, h, _ = c.post("/collect", {"csrf_token": tok, "round": "twice", "as_of": "2026-05-01"},
                              [("files", "riverside.xlsx", workbook.read_bytes())])
        page = c.finish(h["location"])
    assert "already recorded in this round: counted once" in _words(page)
    with open_store(DB["local"]) as store:
        subs = store.submissions("twice")
        assert [s.file_name for s in subs] == ["riverside.xlsx"]
        assert store.round("twice").partnerships == 1


def test_serve_command(tmp_path: Path) -> None:
    """`pbp-toolkit serve` prints where it listens and answers there; with --host it prints a
    sign-in token and every page asks for it."""
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "PBP_WEB_DATA": str(tmp_path / "data"), "PBP_DATABASE": str(tmp_path / "p.db")}
    for extra, signed in (([], False), (["--host", "127.0.0.1"], True)):
        proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", "--port", "0", "--no-browser", *extra],
                                stderr=subprocess.PIPE, text=True, env=env)
        try:
            assert proc.stderr is not None
            first = proc.stderr.readline()
            url = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
            assert url, first
            token = proc.stderr.readline().split("sign-in token: ")[-1].strip() if signed else ""
            c = Client(f"http://127.0.0.1:{url.group(1)}")
            status, h, _ = c.get("/send")
            if not signed:
                assert status == 200
                continue
            assert status == 302 and "/sign-in" in h["location"] and len(token) >= 24
            status, _, _ = c.post("/sign-in", {"csrf_token": c.token("/sign-in"), "secret": token})
            assert status == 302 and c.get("/send")[0] == 200
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(20)
