"""Shared pytest fixtures. Other modules' fixtures are added to this file as they are written."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def soffice() -> str:
    """Path of LibreOffice's soffice: skip when missing locally, fail when missing in CI (env CI set)."""
    from generator.libreoffice import find_soffice

    path = find_soffice()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI", pytrace=False)
        pytest.skip("LibreOffice (soffice) not installed")
    return path


@pytest.fixture(scope="session")
def ssconvert() -> str:
    """Path of Gnumeric's ssconvert: skip when missing locally, fail when missing in CI (env CI set)."""
    from generator.engines import find_ssconvert

    path = find_ssconvert()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Gnumeric (ssconvert) is required in CI", pytrace=False)
        pytest.skip("Gnumeric (ssconvert) not installed")
    return path


@pytest.fixture(scope="session")
def browser_tools() -> tuple[str, str, str]:
    """(chromium, chromedriver, axe.min.js source): skip when missing locally, fail when missing in CI."""
    from tests.web import CHROMEDRIVER, CHROMIUM, axe_script, find

    chromium, driver = find(CHROMIUM, "chromium"), find(CHROMEDRIVER, "chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromium-driver", driver)) if path is None]
    axe = axe_script()
    if axe is None:
        missing.append("axe-core (npm install axe-core into .cache/npm)")
    if missing:
        reason = f"the browser tests need {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: required in CI", pytrace=False)
        pytest.skip(reason)
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("the browser tests need selenium (pip install -e '.[test]')")
    assert chromium and driver and axe
    return chromium, driver, axe
