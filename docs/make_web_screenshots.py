"""Screenshots of every page of the web page (pbp-toolkit serve) into docs/, in headless Chromium.

python docs/make_web_screenshots.py

Runs the page on 127.0.0.1 with a fresh data folder, goes through a program officer's cycle
(the example roster's partnerships, two rounds of returns) and saves docs/web-*.png.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.web.app import Settings  # noqa: E402
from generator.web.security import Access  # noqa: E402
from tests.web import CHROMEDRIVER, CHROMIUM, ROSTER, chrome, find, live_server, returned_files, wait_for  # noqa: E402


def shoot(driver: Any, name: str) -> None:
    """The whole page, however long (the window grows to fit it)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height + 20, 700), 4000))
    time.sleep(0.2)
    target = ROOT / "docs" / f"web-{name}.png"
    driver.save_screenshot(str(target))
    driver.set_window_size(1280, 1000)
    print(f"wrote {target.relative_to(ROOT)}")


def finished(driver: Any) -> bool:
    from selenium.webdriver.common.by import By

    return "Finished" in driver.find_element(By.ID, "job-state").text


def main() -> None:
    from selenium.webdriver.common.by import By

    chromium, driver_path = find(CHROMIUM, "chromium"), find(CHROMEDRIVER, "chromedriver")
    if not chromium or not driver_path:
        sys.exit("needs chromium and chromium-driver (apt-get install chromium chromium-driver)")
    with tempfile.TemporaryDirectory(prefix="pbp-shots-") as tmp:
        d = Path(tmp)
        with live_server(Settings(data_dir=d / "data", db=str(d / "p.db"))) as url:
            driver = chrome(chromium, driver_path, d / "dl")
            try:
                driver.get(url + "/send")
                shoot(driver, "send")
                (d / "roster.csv").write_text(ROSTER, encoding="utf-8")
                driver.find_element(By.ID, "roster").send_keys(str(d / "roster.csv"))
                driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
                shoot(driver, "send-checked")
                driver.find_element(By.XPATH, "//button[starts-with(., 'Build')]").click()
                wait_for(driver, finished)
                shoot(driver, "send-built")
                for no, label in ((1, "2025 autumn"), (2, "2026 spring")):
                    back = returned_files(d / f"r{no}", no)
                    driver.find_element(By.LINK_TEXT, "Collect").click()
                    if no == 2:
                        shoot(driver, "collect")
                    driver.find_element(By.ID, "round").send_keys(label)
                    driver.find_element(By.ID, "files").send_keys("\n".join(str(f) for f in back["files"]))
                    driver.find_element(By.XPATH, "//button[.='Upload and read']").click()
                    wait_for(driver, finished)
                shoot(driver, "collect-verdicts")
                driver.find_element(By.PARTIAL_LINK_TEXT, "See the round's portfolio").click()
                shoot(driver, "portfolio")
                driver.find_element(By.LINK_TEXT, "Partnerships").click()
                shoot(driver, "partnerships")
                driver.find_element(By.LINK_TEXT, "Riverside Housing Partnership").click()
                shoot(driver, "partnership")
            finally:
                driver.quit()
        with live_server(Settings(data_dir=d / "data2", db=str(d / "p2.db"), access=Access(sign_in=True, token="x"))) as url:
            driver = chrome(chromium, driver_path, d / "dl")
            try:
                driver.get(url + "/send")
                shoot(driver, "sign-in")
            finally:
                driver.quit()


if __name__ == "__main__":
    main()
