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
