"""Outputs are all or nothing (issue 10, "Faults"): a full disk, a failing writer or a killed
batch leaves no half-written file, and a batch's workers die with it."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.build import BuildOptions, build_workbooks, builders, example_path
from generator.cli import main
from generator.schema import load_partnership

EXE = Path(sys.executable).with_name("pbp-toolkit")


def _everything(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def _roster(path: Path, rows: int) -> Path:
    lines = ["name,backbone_structure,fiscal_year_start"] + [f"Partnership {n},hosted_nonprofit,2026-07-01" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- a failing writer (anywhere)


def test_build_writes_its_workbooks_as_a_set(tmp_path: Path, monkeypatch) -> None:
    import generator.build as build_mod

    real = builders()

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(build_mod, "builders", lambda: {**real, "scenario-projections": full_disk})
    out = tmp_path / "out"
    (out).mkdir()
    (out / "riverside-housing-partnership-full-cost.xlsx").write_bytes(b"the earlier build")
    res = CliRunner().invoke(main, ["build", "--example", "riverside-housing", "-o", str(out)])
    assert res.exit_code == 2 and "No space left on device" in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1
    # the full-cost workbook was written first, yet nothing was renamed into place: the earlier file stands
    assert _everything(out) == ["riverside-housing-partnership-full-cost.xlsx"]
    assert (out / "riverside-housing-partnership-full-cost.xlsx").read_bytes() == b"the earlier build"


def test_collect_writes_its_outputs_as_a_set(tmp_path: Path, monkeypatch) -> None:
    import generator.safecsv as safecsv
    from generator.readback.collect import collect
    from generator.readback.portfolio import write_portfolio

    p = load_partnership(example_path("riverside-housing"))
    build_workbooks(p, tmp_path / "in", BuildOptions())
    port = collect(tmp_path / "in", workers=1)
    calls = []
    original = safecsv.write_rows

    def third_fails(path, header, rows):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return original(path, header, rows)

    monkeypatch.setattr(safecsv, "write_rows", third_fails)
    with pytest.raises(OSError):
        write_portfolio(port, tmp_path / "out" / "p.xlsx", tmp_path / "out" / "csv")
    assert _everything(tmp_path / "out") == ["csv"]


# ----------------------------------------------------------------------------- a really full disk


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 100 KiB tmpfs (root only; skipped elsewhere: the monkeypatched tests above cover the logic)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=100k", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)   # a writer's file still open: detach now


def test_build_on_a_full_disk(small_disk: Path) -> None:
    res = CliRunner().invoke(main, ["build", "--example", "riverside-housing", "-o", str(small_disk / "out")])
    assert res.exit_code == 2 and "No space left on device" in res.output and "Traceback" not in res.output
    assert _everything(small_disk / "out") == []


def test_batch_on_a_full_disk(small_disk: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["batch", str(_roster(tmp_path / "roster.csv", 6)), "-o", str(small_disk / "b"), "--workers", "2"])
    assert res.exit_code in (1, 2) and "Traceback" not in res.output and "Exception ignored" not in res.output
    assert "No space left on device" in res.output
    left = _everything(small_disk / "b")
    assert not [n for n in left if n.startswith(".")], left          # no temporary file left behind
    for name in left:                                                 # whatever is there is whole
        if name.endswith(".xlsx"):
            import zipfile

            assert zipfile.is_zipfile(small_disk / "b" / name)


def test_collect_on_a_full_disk(small_disk: Path, tmp_path: Path) -> None:
    p = load_partnership(example_path("riverside-housing"))
    build_workbooks(p, tmp_path / "in", BuildOptions())
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * 90_000)    # leaves too little room for the portfolio
    res = CliRunner().invoke(main, ["collect", str(tmp_path / "in"), "-o", str(small_disk / "p.xlsx"), "--csv", str(small_disk / "csv"),
                                    "--workers", "1"])
    assert res.exit_code == 2 and "No space left on device" in res.output and "Traceback" not in res.output
    assert _everything(small_disk) in (["filler"], ["csv", "filler"])


# ----------------------------------------------------------------------------- SIGKILL of batch


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_batch_takes_its_workers_with_it(tmp_path: Path) -> None:
    if not EXE.exists():
        pytest.skip("console script not installed")
    roster = _roster(tmp_path / "roster.csv", 40)
    out = tmp_path / "out"
    proc = subprocess.Popen([str(EXE), "batch", str(roster), "-o", str(out), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(out.glob("*.xlsx"))) < 6:
            time.sleep(0.1)
        workers = _children(proc.pid)
        assert workers, "no worker processes found"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers), "a worker outlived the batch"
    count = len(list(out.iterdir()))
    time.sleep(2)
    assert len(list(out.iterdir())) == count, "files are still being written after the kill"
    # a rerun clears what the killed run left (and builds everything)
    (out / ".partnership-0-full-cost-abcd1234.xlsx").write_bytes(b"")
    rerun = subprocess.run([str(EXE), "batch", str(roster), "-o", str(out), "--workers", "2"], capture_output=True, text=True,
                           timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "unfinished file(s)" in rerun.stderr
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert len(list(out.glob("*.xlsx"))) == 80


def test_verify_and_recalculation_leave_no_scratch_folders(soffice: str, tmp_path: Path, monkeypatch) -> None:
    import tempfile

    from generator.libreoffice import recalc_and_read
    from generator.verify import verify

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    p = load_partnership(example_path("riverside-housing"))
    verdicts = verify(p, kinds=("full-cost",))
    assert [v.ok for v in verdicts] == [True]
    (fc,) = build_workbooks(p, tmp_path / "built", BuildOptions(kinds=("full-cost",)))
    assert recalc_and_read([fc])[0].names
    assert [x.name for x in scratch.iterdir() if x.name.startswith(("pbp-verify-", "pbp-recalc-"))] == []
