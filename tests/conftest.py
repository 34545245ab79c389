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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: "os.PathLike[str]") -> "object":
    """A fresh, empty portfolio database URL: an SQLite file always; a new database on the PostgreSQL
    server at $PBP_TEST_POSTGRES_URL (dropped afterwards). Without that URL the PostgreSQL case is
    skipped locally and fails in CI (env CI set): the store must be tested on both engines there."""
    from pathlib import Path

    if request.param == "sqlite":
        yield f"sqlite:///{Path(tmp_path) / 'portfolio.db'}"
        return
    admin = os.environ.get("PBP_TEST_POSTGRES_URL")
    if not admin:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required in CI: set PBP_TEST_POSTGRES_URL (.ci/run starts a server)", pytrace=False)
        pytest.skip("no PostgreSQL server ($PBP_TEST_POSTGRES_URL not set)")
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"pbp_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
