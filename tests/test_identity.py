"""Identity and integrity in every generated workbook: metadata sheet and document properties."""
from __future__ import annotations

import zipfile
from pathlib import Path

from click.testing import CliRunner

from generator import __version__
from generator.cli import main
from generator.fingerprint import file_fingerprint
from generator.readback.source import FileSource


def test_cli_build_records_identity_and_build_time(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    res = CliRunner().invoke(main, ["build", "--example", "riverside-housing", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    for kind, template in (("full-cost", "pbp-full-cost"), ("scenario-projections", "pbp-scenario-projections")):
        path = tmp_path / f"riverside-housing-partnership-{kind}.xlsx"
        meta = FileSource(path).metadata()
        assert meta["template_id"] == template and meta["template_version"] == "1"
        assert meta["generator_version"] == __version__
        assert meta["partnership_id"] == "riverside-housing-partnership"
        assert meta["build_time"] == "2026-01-01T00:00:00Z"
        assert meta["formula_fingerprint"] == file_fingerprint(path)
        assert int(meta["formula_count"]) > 100
        custom = zipfile.ZipFile(path).read("docProps/custom.xml").decode()
        for key in ("template_id", "partnership_id", "build_time", "formula_fingerprint"):
            assert f'name="pbp_{key}"' in custom and meta[key] in custom


def test_without_a_fixed_time_the_build_time_is_now(tmp_path: Path, monkeypatch) -> None:
    import datetime as dt

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    CliRunner().invoke(main, ["build", "--example", "northfield-shared-backbone", "-o", str(tmp_path), "--workbook", "full-cost"])
    stamp = FileSource(tmp_path / "northfield-families-together-full-cost.xlsx").metadata()["build_time"]
    recorded = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    assert before <= recorded <= before + dt.timedelta(minutes=5)
