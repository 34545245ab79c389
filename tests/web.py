"""Helpers for the web page's tests: a live server on 127.0.0.1, a headless Chromium driven
by Selenium through Debian's chromedriver (the path given, no driver downloads), and axe-core
injected into each page.

axe-core comes from the npm registry (`npm install axe-core` into .cache/npm, as .ci/run does);
it is used by the tests only and never shipped.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parent.parent
AXE_VERSION = "4.14.1"
AXE = REPO / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver",)


def find(paths: tuple[str, ...], name: str) -> str | None:
    for p in paths:
        if os.path.exists(p):
            return p
    return shutil.which(name)


def axe_script() -> str | None:
    """axe.min.js, installed from npm into .cache/npm when it is not there yet."""
    if not AXE.is_file() and shutil.which("npm"):
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(AXE.parents[2]),
                        f"axe-core@{AXE_VERSION}"], check=False, capture_output=True, timeout=300)
    return AXE.read_text(encoding="utf-8") if AXE.is_file() else None


@contextmanager
def live_server(settings: Any) -> Iterator[str]:
    """The app served on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    from generator.web.serve import make_server

    server: Any = make_server("127.0.0.1", 0, settings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def chrome(chromium: str, chromedriver: str, downloads: Path) -> Any:
    """A headless Chromium through the given chromedriver (Selenium Manager kept offline)."""
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000",
                "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False,
                                           "safebrowsing.enabled": False})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=opts)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    return driver


def axe_violations(driver: Any, axe: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page now shown (WCAG 2.0/2.1 A and AA rules, and best practices)."""
    driver.execute_script(axe)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
        ".then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify([{id: 'axe-error', help: String(e), nodes: []}])));")
    return json.loads(result)  # type: ignore[no-any-return]


def describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(f"{v['id']}: {v.get('help', '')} at {[n.get('target') for n in v.get('nodes', [])][:3]}" for v in violations)


def csp_errors(driver: Any) -> list[str]:
    """Console messages that say the page broke its own Content-Security-Policy."""
    try:
        logs = driver.get_log("browser")
    except Exception:
        return []
    return [e["message"] for e in logs if "Content Security Policy" in e.get("message", "")]


# ----------------------------------------------------------------------------- a program officer's cycle

ROSTER = ("name,region,focus,backbone_structure,fiscal_year_start\n"
          "Harbor Literacy Alliance,Harbor County,Early literacy,hosted_nonprofit,2026-07-01\n"
          "Mesa Health Collaborative,Mesa,Community health,standalone_nonprofit,2026-07-01\n"
          "Broken Row Partnership,Nowhere,,not_a_structure,2026-13-01\n"
          "Pine Valley Jobs Network,Pine Valley,Youth employment,fiscally_sponsored,2026-01-01\n")


def returned_files(folder: Path, round_no: int) -> dict[str, Any]:
    """What the partnerships send back in a round: the three examples filled in (in round 2
    Riverside's foundation grant is cut by $60,000 a year and Northfield sends nothing), and
    a web page saved as .xlsx. Returns the files and each partnership's model figures."""
    import yaml

    from generator.build import build_workbooks, example_path
    from generator.content import load_content
    from generator.model.full_cost import compute_full_cost
    from generator.schema import validate_data

    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    model: dict[str, dict[str, Any]] = {}
    names = ["riverside-housing", "eastside-cradle-to-career"] + (["northfield-shared-backbone"] if round_no == 1 else [])
    for name in names:
        data = yaml.safe_load(example_path(name).read_text(encoding="utf-8"))
        if round_no == 2 and name == "riverside-housing":
            data["revenue"][0]["amounts"] = [a - 60000 if a else a for a in data["revenue"][0]["amounts"]]
        p = validate_data(data, name, load_content())
        files += build_workbooks(p, folder)
        model[p.organization.name] = compute_full_cost(p, load_content())
    page = folder / "saved-web-page.xlsx"
    page.write_bytes(b"<!doctype html><html><body><script>alert('x')</script></body></html>")
    files.append(page)
    return {"files": files, "model": model}


def wait_for(driver: Any, check: Any, timeout: float = 180, what: str = "the page") -> Any:
    """Poll `check(driver)` until it gives something true."""
    import time

    end = time.time() + timeout
    last: Exception | None = None
    while time.time() < end:
        try:
            got = check(driver)
            if got:
                return got
        except Exception as exc:   # the page is changing under us (HTMX swaps): try again
            last = exc
        time.sleep(0.25)
    raise AssertionError(f"gave up waiting for {what} after {timeout:.0f} s ({last})")


def downloaded(folder: Path, name: str, timeout: float = 60) -> Path:
    """A download, once Chromium has finished writing it."""
    import time

    end = time.time() + timeout
    while time.time() < end:
        hits = [p for p in folder.glob(name) if not p.name.endswith(".crdownload")]
        if hits and not list(folder.glob("*.crdownload")):
            return hits[0]
        time.sleep(0.2)
    raise AssertionError(f"{name} was not downloaded into {folder} (found {[p.name for p in folder.iterdir()]})")
