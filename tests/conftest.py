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
