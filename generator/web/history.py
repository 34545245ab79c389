"""History for the pages, over the store: who needs attention in a round, and history.xlsx.

A thin adapter: issue 20's history command (Trends, "Who needs attention", history.csv) is
being written beside this; when it lands, these two functions call it instead. Everything
here reads the store's figures (store.history()); nothing is recomputed from files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..readback.collect import LOW_MONTHS
from ..store import CSV_COLUMNS, RoundPoint, Store, iter_csv_rows


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _money(v: float) -> str:
    return f"${abs(v):,.0f}"


def _months(point: RoundPoint) -> tuple[str | None, float | None]:
    for sid in (["base"] if "base" in point.scenarios() else []) + point.scenarios():
        m = _num(point.final(f"SP_{sid}_MonthsCash", sid))
        if m is not None:
            return sid, m
    return None, None


def attention(store: Store, label: str) -> list[dict[str, Any]]:
    """Partnerships ranked by what got worse by round `label`: not returned, months of cash
    below two, the gap widened, the first year below zero came nearer."""
    out = []
    for h in store.history():
        labels = [p.round for p in h.points]
        if label not in labels:
            continue
        i = labels.index(label)
        now = h.points[i]
        before = next((p for p in reversed(h.points[:i]) if p.returned), None)
        reasons: list[str] = []
        weight = 0
        if not now.returned:
            if before is None and not any(p.returned for p in h.points[i:]):
                continue
            reasons.append("not returned this round")
            weight += 3
        else:
            sid, months = _months(now)
            if months is not None and months < LOW_MONTHS:
                reasons.append(f"months of cash {months:.1f} in the final year ({sid} scenario), below {LOW_MONTHS:.0f}")
                weight += 3
            gap, gap0 = _num(now.get("FC_Gap")), _num(before.get("FC_Gap")) if before else None
            if gap is not None and gap0 is not None and gap > gap0:
                reasons.append(f"gap widened by {_money(gap - gap0)} since {before.round}")  # type: ignore[union-attr]
                weight += 2
            elif gap is not None and gap > 0 and before is None:
                reasons.append(f"a gap of {_money(gap)} to fund")
                weight += 1
            if before is not None and sid:
                run, run0 = now.get(f"SP_{sid}_RunwayCash", sid), before.get(f"SP_{sid}_RunwayCash", sid)
                if isinstance(run, str) and isinstance(run0, str) and run.startswith("FY") and run0.startswith("FY") and run < run0:
                    reasons.append(f"cash runs out sooner: {run}, was {run0}")
                    weight += 2
            if now.problems:
                reasons.append(f"{len(now.problems)} problem(s) in its files")
        if reasons:
            out.append({"id": h.partnership_id, "name": h.name, "reasons": reasons, "weight": weight})
    return sorted(out, key=lambda a: (-a["weight"], a["name"].lower()))


TRENDS = [("FC_Total", "Full cost"), ("FC_Gap", "Gap"), ("FC_CashNeed", "Cash need"),
          ("FC_ExpectedRevenue", "Expected revenue"), ("FC_IndirectRate", "True indirect rate")]


def write_history(store: Store, target: Path) -> None:
    """history.xlsx: Trends (one row per partnership, a column group per round), Who needs
    attention (for the latest round) and History (one row per figure, as history.csv)."""
    import xlsxwriter

    from ..fileio import atomic_write

    rounds = [r.label for r in store.rounds()]
    hist = store.history()

    def write(tmp: Path) -> None:
        wb = xlsxwriter.Workbook(str(tmp))
        head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
        money, pct = wb.add_format({"num_format": "#,##0"}), wb.add_format({"num_format": "0.0%"})
        ws = wb.add_worksheet("Trends")
        ws.write_string(0, 0, "Partnership", head)
        col = 1
        for measure, name in TRENDS:
            for r in rounds:
                ws.write_string(0, col, f"{name}, {r}", head)
                col += 1
        for row, h in enumerate(hist, start=1):
            ws.write_string(row, 0, h.name)
            col = 1
            for measure, _ in TRENDS:
                for p in h.points:
                    v = _num(p.get(measure))
                    if v is None:
                        ws.write_string(row, col, "not returned" if not p.returned else "")
                    else:
                        ws.write_number(row, col, v, pct if measure == "FC_IndirectRate" else money)
                    col += 1
        ws.set_column(0, 0, 34)
        ws.set_column(1, col, 16)
        ws.freeze_panes(1, 1)
        att = wb.add_worksheet("Who needs attention")
        att.write_row(0, 0, ["Partnership", f"What got worse by {rounds[-1] if rounds else 'the latest round'}"], head)
        for row, a in enumerate(attention(store, rounds[-1]) if rounds else [], start=1):
            att.write_string(row, 0, a["name"])
            att.write_string(row, 1, "; ".join(a["reasons"]))
        att.set_column(0, 0, 34)
        att.set_column(1, 1, 90)
        hs = wb.add_worksheet("History")
        hs.write_row(0, 0, list(CSV_COLUMNS), head)
        for row, values in enumerate(iter_csv_rows(store.figures()), start=1):
            for c, v in enumerate(values):
                if isinstance(v, (int, float)):
                    hs.write_number(row, c, v)
                else:
                    hs.write_string(row, c, str(v))
        wb.close()

    atomic_write(target, write)
