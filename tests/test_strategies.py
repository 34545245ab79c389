"""The fixed batches of generated data files (tests/strategies.py drawn()) are the same in every run, so that a
failure the print audit or the engines' proof reports on one of them can be reproduced."""
from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings

import generator

from .strategies import drawn, partnership_data

ROOT = Path(__file__).resolve().parents[1]
N = 10
BARE = f"import json; from tests.strategies import drawn; print(json.dumps(drawn({N}), default=str, sort_keys=True))"


def _dump(batch: list[dict]) -> str:
    return json.dumps(batch, default=str, sort_keys=True)


def test_the_batch_does_not_depend_on_what_a_run_imported() -> None:
    """Drawn here, after every module of generator/ is loaded and other Hypothesis tests have drawn (as in a
    pytest run), the batch equals the one a bare process draws: Hypothesis' local constants (the literals of the
    loaded modules) once made the audit's files differ from the same call elsewhere and with every code edit."""
    for mod in pkgutil.walk_packages(generator.__path__, "generator."):
        if ".migrations" not in mod.name:  # the store's alembic scripts run under alembic only
            importlib.import_module(mod.name)

    @settings(max_examples=5, database=None, deadline=None)
    @given(partnership_data())
    def warm(data: dict) -> None:
        assert data["schema"]

    warm()
    here = _dump(drawn(N))
    bare = subprocess.run([sys.executable, "-c", BARE], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert here == bare.strip()


def test_the_batch_is_varied() -> None:
    """The same files every run, but not all alike: short and long projections, the template's scenarios and a
    partnership's own, empty and full tables, names beyond ASCII."""
    batch = drawn(N)
    assert len(batch) == N and len({_dump([d]) for d in batch}) == N
    years = {d["projections"]["years"] for d in batch}
    assert min(years) <= 4 and max(years) >= 9
    own = [d["projections"]["scenarios"] is not None for d in batch]
    assert any(own) and not all(own)
    sizes = {len(d["staff"]) + len(d["expenses"]) + len(d["revenue"]) for d in batch}
    assert 0 in sizes and max(sizes) >= 12
    names = [s["title"] for d in batch for s in d["staff"]] + [e["name"] for d in batch for e in d["expenses"]]
    assert any(any(ord(c) > 0x2000 for c in n) for n in names)
