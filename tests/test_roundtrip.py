"""The program officer's round trip at a small size: roster -> batch -> filled and saved by
LibreOffice with recalculation -> collect; the portfolio equals the model on the edited data."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.roundtrip import roundtrip


@pytest.mark.libreoffice
def test_roster_round_trip(soffice: str, tmp_path: Path) -> None:
    figures = roundtrip(6, tmp_path, workers=2)
    assert figures["failures"] == []
    assert figures["files"] == 12 and figures["partnerships"] == 6
