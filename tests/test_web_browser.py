"""The web page in a real browser (Debian's chromium through chromedriver, with Selenium), as a
program officer uses it: roster in, zip out, returned files in, portfolio and partnership
pages, downloads opened and checked; axe-core finds no WCAG 2.1 AA violation on any page, and
the page breaks none of its own Content-Security-Policy."""
from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from generator.web.app import Settings
from generator.web.security import Access
from tests.web import ROSTER, axe_violations, chrome, csp_errors, describe, downloaded, live_server, returned_files, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:Sparkline Group extension:UserWarning")]


def _check_page(driver: Any, axe: str, seen: dict[str, int]) -> None:
    """No axe violation, no CSP report, on the page shown now."""
    bad = axe_violations(driver, axe)
    assert not bad, f"{driver.current_url}: {describe(bad)}"
    errors = csp_errors(driver)
    assert not errors, f"{driver.current_url}: {errors}"
    seen[driver.title] = seen.get(driver.title, 0) + 1


def _finished(driver: Any) -> Any:
    from selenium.webdriver.common.by import By

    state = driver.find_element(By.ID, "job-state").text
    if "This stopped" in state:
        raise AssertionError(state)
    return "Finished" in state


def test_program_officer_cycle(browser_tools: tuple[str, str, str], soffice: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    chromium, chromedriver, axe = browser_tools
    dl = tmp_path / "downloads"
    dl.mkdir()
    settings = Settings(data_dir=tmp_path / "data", db=str(tmp_path / "portfolio.db"))
    pages: dict[str, int] = {}
    with live_server(settings) as url:
        driver = chrome(chromium, chromedriver, dl)
        try:
            # ---- Send: the roster is checked row by row before anything is built
            driver.get(url + "/")
            assert driver.title.startswith("Send")
            _check_page(driver, axe, pages)
            roster = tmp_path / "roster.csv"
            roster.write_text(ROSTER, encoding="utf-8")
            driver.find_element(By.ID, "roster").send_keys(str(roster))
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            wait_for(driver, lambda d: d.title.startswith("Roster checked"))
            body = driver.find_element(By.TAG_NAME, "main").text
            assert "3 of 4 row(s) are ready to build" in body
            bad_row = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr") if r.text.startswith("4 ")][0]
            assert "backbone_structure" in bad_row and "fiscal_year_start" in bad_row and "Not built" in bad_row
            _check_page(driver, axe, pages)
            driver.find_element(By.XPATH, "//button[starts-with(., 'Build')]").click()
            wait_for(driver, _finished, what="the build")
            assert "Built 6 workbook(s) for 3 of 4 partnership(s)" in driver.find_element(By.ID, "job").text
            _check_page(driver, axe, pages)
            driver.find_element(By.PARTIAL_LINK_TEXT, "Download the workbooks").click()
            zpath = downloaded(dl, "workbooks*.zip")
            with zipfile.ZipFile(zpath) as zf:
                names = set(zf.namelist())
                manifest = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))
                for line in manifest:
                    if line["status"] == "built":
                        assert hashlib.sha256(zf.read(line["file"])).hexdigest() == line["sha256"]
                blank = zf.read("harbor-literacy-alliance-full-cost.xlsx")
            assert {"harbor-literacy-alliance-full-cost.xlsx", "mesa-health-collaborative-scenario-projections.xlsx",
                    "pine-valley-jobs-network-full-cost.xlsx", "manifest.csv", "problems.csv"} <= names
            assert [m["status"] for m in manifest if m["row"] == "4"] == ["failed"]

            # ---- Collect: two rounds; each file's verdict as it is read
            blank_back = tmp_path / "back" / "harbor-literacy-alliance-full-cost.xlsx"
            blank_back.parent.mkdir()
            blank_back.write_bytes(blank)
            rounds = {}
            for no, label in ((1, "2025 autumn"), (2, "2026 spring")):
                back = returned_files(tmp_path / f"round{no}", no)
                rounds[label] = back
                driver.find_element(By.LINK_TEXT, "Collect").click()
                wait_for(driver, lambda d: d.title.startswith("Collect"))
                _check_page(driver, axe, pages)
                driver.find_element(By.ID, "round").send_keys(label)
                driver.find_element(By.ID, "as_of").send_keys("10/01/2025" if no == 1 else "04/01/2026")
                files = back["files"] + ([blank_back] if no == 1 else [])
                driver.find_element(By.ID, "files").send_keys("\n".join(str(f) for f in files))
                driver.find_element(By.XPATH, "//button[.='Upload and read']").click()
                wait_for(driver, _finished, what=f"collecting {label}")
                verdicts = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[1].text
                            for r in driver.find_elements(By.CSS_SELECTOR, "#job tbody tr")}
                assert len(verdicts) == len(files)
                assert verdicts["saved-web-page.xlsx"] == "Refused"
                assert verdicts["riverside-housing-partnership-full-cost.xlsx"] == "Used"
                if no == 1:
                    assert verdicts["harbor-literacy-alliance-full-cost.xlsx"] == "Refused"
                    assert "returned without data" in driver.find_element(By.ID, "job").text
                _check_page(driver, axe, pages)
                driver.find_element(By.PARTIAL_LINK_TEXT, "See the round's portfolio").click()

            # ---- Portfolio: the table, sorted and filtered; benchmarks; who needs attention
            wait_for(driver, lambda d: d.title.startswith("Portfolio: 2026 spring"))
            _check_page(driver, axe, pages)
            model = rounds["2026 spring"]["model"]

            def table() -> list[list[str]]:
                return [[c.text for c in r.find_elements(By.CSS_SELECTOR, "th, td")]
                        for r in driver.find_elements(By.CSS_SELECTOR, "table.sortable tbody tr")]

            heads = [h.text.split(" ▲")[0].split(" ▼")[0] for h in driver.find_elements(By.CSS_SELECTOR, "table.sortable thead th")]
            gap_col = heads.index("Gap (+ = shortfall)")
            rows = {r[0]: r for r in table()}
            assert set(rows) == set(model)            # Northfield sent nothing this round
            for name, fc in model.items():
                assert rows[name][gap_col] == f"${fc['FC_Gap']:,.0f}"
            # sort by gap, from the keyboard, descending on the second press
            link = driver.find_element(By.LINK_TEXT, "Gap (+ = shortfall)")
            link.send_keys(Keys.ENTER)
            wait_for(driver, lambda d: "sort=gap" in d.current_url)
            driver.find_element(By.PARTIAL_LINK_TEXT, "Gap (+ = shortfall)").send_keys(Keys.ENTER)
            wait_for(driver, lambda d: "dir=desc" in d.current_url)
            order = [r[0] for r in table()]
            assert order == sorted(model, key=lambda n: -model[n]["FC_Gap"])
            assert driver.find_element(By.CSS_SELECTOR, "th[aria-sort]").get_attribute("aria-sort") == "descending"
            driver.find_element(By.ID, "q").send_keys("riverside")
            driver.find_element(By.XPATH, "//button[.='Show']").click()
            wait_for(driver, lambda d: "q=riverside" in d.current_url)
            assert [r[0] for r in table()] == ["Riverside Housing Partnership"]
            _check_page(driver, axe, pages)
            attention = driver.find_element(By.CSS_SELECTOR, "ol.attention").text
            assert "Northfield Families Together: not returned this round (returned in 2025 autumn)" in attention
            widened = model["Riverside Housing Partnership"]["FC_Gap"] - rounds["2025 autumn"]["model"]["Riverside Housing Partnership"]["FC_Gap"]
            riverside = next(line for line in attention.splitlines() if line.startswith("Riverside"))
            assert f"gap widened by ${widened:,.0f}" in riverside
            assert len(driver.find_elements(By.CSS_SELECTOR, "figure.bench svg[role=img] title")) >= 3
            # the keyboard reaches the page: the first Tab lands on the skip link, visibly
            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
            active = driver.switch_to.active_element
            assert active.text == "Skip to the page's content"
            assert driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", active) == "solid"

            # ---- downloads, opened and checked against the model
            for what in ("portfolio.xlsx", "portfolio.csv", "history.xlsx"):
                driver.find_element(By.LINK_TEXT, what).click()
            book = openpyxl.load_workbook(downloaded(dl, "portfolio-2026-spring.xlsx"), data_only=True)
            sheet = book["Portfolio"]
            header_row = next(r for r in sheet.iter_rows(values_only=True) if r and "Partnership" in r)
            cells = [r for r in sheet.iter_rows(values_only=True) if r and r[0] in model]
            gap_at = list(header_row).index("Gap (+ = shortfall)")
            assert {r[0]: round(r[gap_at]) for r in cells} == {n: round(fc["FC_Gap"]) for n, fc in model.items()}
            lines = list(csv.DictReader(downloaded(dl, "portfolio-2026-spring.csv").open(encoding="utf-8-sig")))
            assert {line["partnership"] for line in lines} == set(model) | {"Northfield Families Together"}
            assert {line["partnership"] for line in lines if line.get("gap")} == set(model)   # Northfield: not returned
            from generator.history import Measure, label as measure_label

            trends = list(openpyxl.load_workbook(downloaded(dl, "history.xlsx"), data_only=True)["Trends"].iter_rows(values_only=True))
            head = next(r for r in trends if r and r[0] == "Partnership")
            gap_cols = [i for i, h in enumerate(head) if h == measure_label(Measure("FC_Gap"))]
            assert len(gap_cols) == 3                                  # one a round, oldest first, then its sparkline
            gap_cols = gap_cols[:2]
            for name in model:
                row = next(r for r in trends if r and r[0] == name)
                expected = [back["model"][name]["FC_Gap"] for back in rounds.values()]
                assert [row[i] for i in gap_cols] == pytest.approx(expected, abs=0.01)
            driver.find_element(By.LINK_TEXT, "portfolio.pdf").click()
            wait_for(driver, _finished, what="the PDF")
            _check_page(driver, axe, pages)
            driver.find_element(By.PARTIAL_LINK_TEXT, "Download the PDF").click()
            pdf = downloaded(dl, "portfolio-2026-spring.pdf")
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
            assert "Riverside Housing Partnership" in text

            # ---- Partnership: figures over every round, its submissions
            driver.find_element(By.LINK_TEXT, "Partnerships").click()
            wait_for(driver, lambda d: d.title.startswith("Partnerships"))
            _check_page(driver, axe, pages)
            driver.find_element(By.LINK_TEXT, "Riverside Housing Partnership").click()
            wait_for(driver, lambda d: d.title.startswith("Riverside"))
            _check_page(driver, axe, pages)
            gap_table = driver.find_element(By.XPATH, "//table[caption='Gap (+ = shortfall) in each round']").text
            for label, back in rounds.items():
                assert f"${back['model']['Riverside Housing Partnership']['FC_Gap']:,.0f}" in gap_table
            subs = driver.find_element(By.XPATH, "//table[caption='Every file this partnership returned']").text
            assert subs.count("riverside-housing-partnership-full-cost.xlsx") == 2
            driver.find_element(By.LINK_TEXT, "Portfolio").click()
            wait_for(driver, lambda d: d.title.startswith("Portfolio"))
            _check_page(driver, axe, pages)
        finally:
            driver.quit()
    assert len(pages) >= 9, pages


def test_shared_page_in_the_browser(browser_tools: tuple[str, str, str], tmp_path: Path) -> None:
    """Shared (serve --host): the browser is sent to sign in, a wrong token says so, the right
    one opens the pages; the sign-in and error pages pass axe too."""
    from selenium.webdriver.common.by import By

    chromium, chromedriver, axe = browser_tools
    settings = Settings(data_dir=tmp_path / "data", db=str(tmp_path / "p.db"), access=Access(sign_in=True, token="tok-123456"))
    pages: dict[str, int] = {}
    with live_server(settings) as url:
        driver = chrome(chromium, chromedriver, tmp_path)
        try:
            driver.get(url + "/collect")
            assert driver.title.startswith("Sign in")
            _check_page(driver, axe, pages)
            driver.find_element(By.ID, "secret").send_keys("wrong")
            driver.find_element(By.XPATH, "//button[.='Sign in']").click()
            wait_for(driver, lambda d: "not right" in d.find_element(By.CSS_SELECTOR, "[role=alert]").text, what="the refusal")
            _check_page(driver, axe, pages)
            driver.find_element(By.ID, "secret").send_keys("tok-123456")
            driver.find_element(By.XPATH, "//button[.='Sign in']").click()
            wait_for(driver, lambda d: d.title.startswith("Collect"))
            _check_page(driver, axe, pages)
            driver.get(url + "/partnerships/nobody")
            wait_for(driver, lambda d: "No partnership with that id" in d.find_element(By.TAG_NAME, "main").text, what="the 404 page")
            _check_page(driver, axe, pages)
            driver.find_element(By.XPATH, "//button[.='Sign out']").click()
            wait_for(driver, lambda d: d.title.startswith("Sign in"))
        finally:
            driver.quit()
