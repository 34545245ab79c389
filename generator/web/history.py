"""History for the pages: who needs attention by a round, and history.xlsx; both are
generator.history's own (the `history` command's), over the store's figures."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ..store import Store


def attention(store: Store, label: str) -> list[dict[str, Any]]:
    """generator.history.attention as of round `label` (its history cut after that round),
    keeping the partnerships with something to say."""
    from ..history import attention as ranked

    labels = [r.label for r in store.rounds()]
    if label not in labels:
        return []
    upto = labels.index(label) + 1
    histories = [dataclasses.replace(h, points=h.points[:upto]) for h in store.history()]
    return [{"id": a.history.partnership_id, "name": a.history.name, "reasons": a.reasons}
            for a in ranked(histories, scenario_names()) if a.reasons]


def write_history(store: Store, target: Path) -> None:
    """history.xlsx, exactly as `pbp-toolkit history -o` writes it."""
    from ..history import write_history as write

    write(store.history(), store.rounds(), store.figures(), target, None, scenario_names())


def scenario_names() -> dict[str, str]:
    """Scenario id -> name from the content's template scenarios, as the command line names them."""
    from ..content import load_content

    return {s.id: s.label for s in load_content().scenarios}
