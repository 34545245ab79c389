"""A portfolio's history across collection rounds: the Trends and Who needs attention sheets,
history.csv, and the change columns a round's Portfolio gains.

Everything here reads the store's PartnershipHistory (generator.store) and words it with
templates/content/history.yaml; it computes nothing the model has not computed already, only
differences between rounds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .content import load_content
from .store import CSV_COLUMNS, Figure, PartnershipHistory, RoundPoint, RoundSummary, iter_csv_rows
from .store.api import WITHOUT_DATA

#: The single-figure measures of the Trends sheet, in order (a measure no round has is left out).
MAIN = ("FC_Total", "FC_Gap", "FC_CashNeed", "FC_ExpectedRevenue", "FC_IndirectRate", "FC_IndirectCap", "FC_CF_TimingNeed",
        "FC_CF_ShortMonths")
#: The per-scenario measures (final year), for every scenario a round has.
PER_SCENARIO = ("EndCash", "MonthsCash")
#: Trends draws a sparkline for these (measure, scenario) columns.
LOW_MONTHS = 2.0
#: Trends column widths (characters): a round's group prints on one page at the scale they give.
NAME_WIDTH, ID_WIDTH, STATUS_WIDTH, FIGURE_WIDTH = 30, 28, 11, 11


@dataclass(frozen=True)
class Measure:
    """One Trends column: a defined name (FC_Gap) or a scenario's final-year measure (MonthsCash of base)."""

    measure: str
    scenario: str | None = None

    def value(self, point: RoundPoint) -> float | None:
        v = point.final(f"SP_{self.scenario}_{self.measure}", self.scenario) if self.scenario else point.get(self.measure)
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def _words() -> tuple[dict[str, Any], dict[str, str]]:
    model = load_content().models["history.yaml"]
    return model.measures, model.words


def measures(histories: list[PartnershipHistory]) -> list[Measure]:
    """The Trends columns that some round has: MAIN, then each scenario's (base first)."""
    points = [pt for h in histories for pt in h.points if pt.returned]
    out = [Measure(m) for m in MAIN if any(pt.get(m) is not None for pt in points)]
    scenarios: list[str] = []
    for pt in points:
        for s in pt.scenarios():
            if s not in scenarios:
                scenarios.append(s)
    scenarios.sort(key=lambda s: s != "base")
    for s in scenarios:
        out += [Measure(m, s) for m in PER_SCENARIO]
    return out


def scenario_name(sid: str | None, names: dict[str, str] | None = None) -> str:
    """A scenario's name: the content's for a template scenario, else its id in words (ed_transition: Ed transition)."""
    if not sid:
        return ""
    return (names or {}).get(sid) or sid.replace("_", " ").capitalize()


def label(m: Measure, names: dict[str, str] | None = None) -> str:
    """The measure's words (history.yaml), capitalised for a header."""
    texts, _ = _words()
    text = texts[m.measure].label if m.measure in texts else m.measure
    text = text.replace("{scenario}", scenario_name(m.scenario, names))
    return text[:1].upper() + text[1:]


def amount(m: Measure, delta: float) -> str:
    """A change as words would say it: $42,000; 2.1 percentage points; 1.3 months."""
    texts, _ = _words()
    fmt = texts[m.measure].format if m.measure in texts else "money"
    d = abs(delta)
    if fmt == "pct":
        return f"{d * 100:.1f} percentage points"
    if fmt == "months":
        return f"{d:.1f} months"
    if fmt == "count":
        return f"{d:g}"
    return f"${d:,.0f}"


def change(m: Measure, before: float | None, now: float | None, names: dict[str, str] | None = None) -> str:
    """'gap widened by $42,000' ('' when either round lacks the figure or nothing changed)."""
    if before is None or now is None:
        return ""
    texts, words = _words()
    delta = now - before
    if abs(delta) < 0.005:
        return ""
    t = texts.get(m.measure)
    verb = (t.up if delta > 0 else t.down) if t else ("rose" if delta > 0 else "fell")
    lab = (t.label if t else m.measure).replace("{scenario}", scenario_name(m.scenario, names))
    return words["changed"].format(label=lab, verb=verb, amount=amount(m, delta))


def worse(m: Measure, before: float | None, now: float | None) -> bool:
    """The change goes the way history.yaml calls worse."""
    if before is None or now is None or abs(now - before) < 0.005:
        return False
    texts, _ = _words()
    way = texts[m.measure].worse if m.measure in texts else "none"
    return (way == "up" and now > before) or (way == "down" and now < before)


@dataclass
class Attention:
    """One partnership's place on the Who needs attention page."""

    history: PartnershipHistory
    reasons: list[str] = field(default_factory=list)
    weight: float = 0.0          # ties broken by how much the gap widened / months shortened


def attention(histories: list[PartnershipHistory], names: dict[str, str] | None = None) -> list[Attention]:
    """Every partnership ranked by what got worse in the latest round against the one before:
    not returned, runway (months of cash, first scenario) shortened, months of cash below 2,
    gap widened. Most reasons first."""
    _, words = _words()
    out = []
    cols = measures(histories)
    first_scen = next((c.scenario for c in cols if c.scenario), None)
    for h in histories:
        a = Attention(h)
        if not h.points:
            out.append(a)
            continue
        now = h.points[-1]
        before = h.points[-2] if len(h.points) > 1 else None
        if not now.returned:
            prev = before.round if before and before.returned else ""
            a.reasons.append(words["worse_not_returned"].format(previous=prev) if prev else _absent(now, words))
            a.weight += 1e12
        elif first_scen:
            months = Measure("MonthsCash", first_scen)
            m_now = months.value(now)
            m_before = months.value(before) if before and before.returned else None
            if m_before is not None and m_now is not None and m_now < m_before - 0.005:
                verb = _words()[0]["MonthsCash"].down
                lab = _words()[0]["MonthsCash"].label.replace("{scenario}", scenario_name(first_scen, names))
                a.reasons.append(words["worse_runway"].format(label=lab, verb=verb, amount=amount(months, m_now - m_before)))
                a.weight += (m_before - m_now) * 1e4
            if m_now is not None and m_now < LOW_MONTHS:
                a.reasons.append(words["worse_low_months"].format(months=f"{m_now:.1f}", scenario=scenario_name(first_scen, names)))
                a.weight += 1e6
        if now.returned and before and before.returned:
            gap = Measure("FC_Gap")
            g0, g1 = gap.value(before), gap.value(now)
            if g0 is not None and g1 is not None and g1 > g0 + 0.005:
                a.reasons.append(words["worse_gap"].format(amount=amount(gap, g1 - g0)))
                a.weight += (g1 - g0) / 1e3
        out.append(a)
    out.sort(key=lambda a: (-len(a.reasons), -a.weight, a.history.name))
    return out


def changes_for(history: PartnershipHistory, label_: str, names: dict[str, str] | None = None) -> tuple[str, dict[Measure, float]]:
    """The change of a partnership's figures in round `label_` against the round before, as
    words ('gap widened by $42,000; full cost rose by $10,000') and numbers per measure."""
    _, words = _words()
    labels = [p.round for p in history.points]
    if label_ not in labels:
        return "", {}
    i = labels.index(label_)
    now = history.points[i]
    if i == 0:
        return words["change_first"], {}
    before = history.points[i - 1]
    if not now.returned:
        return _absent(now, words), {}
    if not before.returned:
        return words["was_not_returned"].format(previous=before.round), {}
    cols = measures([history])
    first = next((m.scenario for m in cols if m.scenario), None)
    texts, numbers = [], {}
    for m in cols:
        b, n = m.value(before), m.value(now)
        if b is not None and n is not None:
            numbers[m] = n - b
        t = change(m, b, n, names) if m.scenario in (None, first) else ""   # words for the first scenario; numbers for all
        if t:
            texts.append(t)
    return ("; ".join(texts) or words["change_none"]), numbers


# ----------------------------------------------------------------------------- the workbook


def write_history(histories: list[PartnershipHistory], rounds: list[RoundSummary], figures: list[Figure],
                  path: Path, csv_dir: Path | None = None, scenario_names: dict[str, str] | None = None) -> None:
    """history.xlsx (Trends, Who needs attention, Rounds) and, with csv_dir, history.csv: written
    as a set, so a failure leaves none of them half-written."""
    from .fileio import write_set
    from .safecsv import write_rows

    jobs: list[tuple[Path, Callable[[Path], object]]] = []
    if csv_dir:
        jobs.append((Path(csv_dir) / "history.csv", lambda tmp: write_rows(tmp, list(CSV_COLUMNS), iter_csv_rows(figures))))
    jobs.append((Path(path), lambda tmp: _write_book(histories, rounds, tmp, scenario_names or {})))
    write_set(jobs)


def _absent(pt: RoundPoint, words: dict[str, str]) -> str:
    """Why a round has no figures for a partnership: it sent files without data, or nothing."""
    return words["without_data_value"] if pt.status == WITHOUT_DATA else words["not_returned"]


def _fmt_of(m: Measure) -> str:
    texts, _ = _words()
    fmt = texts[m.measure].format if m.measure in texts else "money"
    return {"money": "#,##0", "pct": "0.0%", "months": "0.0", "count": "0"}[fmt]


def _write_book(histories: list[PartnershipHistory], rounds: list[RoundSummary], path: Path, names: dict[str, str]) -> None:
    from xlsxwriter.utility import xl_rowcol_to_cell

    from .workbook.common import PAGE_UNITS, fit_row, print_setup
    from .workbook.layout import Book

    _, words = _words()
    book = Book(str(path))
    s, wb = book.styles, book.wb
    fmts: dict[str, Any] = {}

    def fmt(num: str | None, **extra: Any) -> Any:
        key = f"{num}|{sorted(extra.items())}"
        if key not in fmts:
            fmts[key] = wb.add_format({"font_name": "Calibri", "font_size": 10, "valign": "top",
                                       **({"num_format": num} if num else {}), **extra})
        return fmts[key]

    cols = measures(histories)
    labels = [r.label for r in rounds]
    ws = book.sheet("Trends")
    wsa = book.sheet("Who needs attention")
    wsr = book.sheet("Rounds")
    data = book.sheet("Trend data")
    book.text(ws, 0, 0, words["title"], s.title)
    book.text(ws, 1, 0, words["note"], s.subtitle)
    notes = [words["mixed_versions"].format(round=r.label, note=r.versions_note) for r in rounds if r.mixed_versions]
    for i, n in enumerate(notes):
        book.text(ws, 2 + i, 0, n, fmt(None, bold=True, font_color="#9C0006"))
    group_row, head_row = 3 + len(notes), 4 + len(notes)
    top = head_row + 1
    book.text(ws, head_row, 0, words["partnership"], s.th)
    book.text(ws, head_row, 1, words["partnership_id"], s.th)
    ws.set_column(0, 0, NAME_WIDTH)
    ws.set_column(1, 1, ID_WIDTH)
    c = 2
    starts: list[int] = []
    for lab in labels:
        starts.append(c)
        ws.merge_range(group_row, c, group_row, c + len(cols), lab, s.th) if cols else book.text(ws, group_row, c, lab, s.th)
        book.text(ws, head_row, c, words["status"], s.th)
        ws.set_column(c, c, STATUS_WIDTH)
        for j, m in enumerate(cols, start=1):
            book.text(ws, head_row, c + j, label(m, names), s.th)
            ws.set_column(c + j, c + j, FIGURE_WIDTH)
        c += 1 + len(cols)
    change_col = c
    prev = labels[-2] if len(labels) > 1 else ""
    book.text(ws, group_row, change_col, words["change"].format(previous=prev) if prev else words["change_first"], s.th)
    book.text(ws, head_row, change_col, words["change"].format(previous=prev) if prev else words["change_first"], s.th)
    ws.set_column(change_col, change_col, 60)
    spark_ms = [m for m in cols if m.measure in ("FC_Gap", "FC_Total") or (m.measure == "MonthsCash" and m.scenario == next(
        (x.scenario for x in cols if x.scenario), None))]
    spark_col = change_col + 1
    for k, m in enumerate(spark_ms):
        book.text(ws, group_row, spark_col + k, words["trend"].format(n=len(labels)), s.th)
        book.text(ws, head_row, spark_col + k, label(m, names), s.th)
        ws.set_column(spark_col + k, spark_col + k, 16)
    ws.set_row(head_row, 60)
    book.text(data, 0, 0, words["trend"].format(n=len(labels)), s.title)
    for k, m in enumerate(spark_ms):
        book.text(data, 1, 1 + k * (len(labels) + 1), label(m, names), s.th)
    red = fmt(None, font_color="#9C0006", bold=True)
    for i, h in enumerate(histories):
        r = top + i
        book.text(ws, r, 0, h.name, s.wrap)
        book.text(ws, r, 1, h.partnership_id, fmt(None))
        for lab, start, pt in zip(labels, starts, h.points):
            book.text(ws, r, start, words["returned"] if pt.returned else _absent(pt, words), fmt(None) if pt.returned else red)
            for j, m in enumerate(cols, start=1):
                v = m.value(pt)
                if v is not None:
                    book.number(ws, r, start + j, v, fmt(_fmt_of(m)))
                elif not pt.returned:
                    book.text(ws, r, start + j, "", fmt(None))
        words_now, _ = changes_for(h, labels[-1], names) if labels else ("", {})
        book.text(ws, r, change_col, words_now, s.wrap)
        fit_row(ws, r, [(words_now, 60), (h.name, 30)])
        book.text(data, 2 + i, 0, h.name, fmt(None))
        for k, m in enumerate(spark_ms):
            base_c = 1 + k * (len(labels) + 1)
            j = cols.index(m) + 1
            for q, (start, pt) in enumerate(zip(starts, h.points)):
                v = m.value(pt)
                if v is not None:
                    book.formula(data, 2 + i, base_c + q, f"Trends!{xl_rowcol_to_cell(r, start + j)}", v, fmt(_fmt_of(m)))
            first = xl_rowcol_to_cell(2 + i, base_c)
            last = xl_rowcol_to_cell(2 + i, base_c + len(labels) - 1)
            ws.add_sparkline(r, spark_col + k, {"range": f"'Trend data'!{first}:{last}", "markers": True,
                                                "negative_points": True, "empty_cells": "gaps"})
    ws.freeze_panes(top, 2)
    last_col = spark_col + len(spark_ms) - 1
    print_setup(ws, "Partnership portfolio: trends", repeat_rows=(group_row, head_row))
    group = STATUS_WIDTH + FIGURE_WIDTH * len(cols)
    if not ws.fit_page:   # too wide for one page: a round a page (the first with the ids), at the scale that fits one
        ws.set_print_scale(max(40, min(70, int(PAGE_UNITS[True] * 100 / (NAME_WIDTH + ID_WIDTH + group)))))
        ws.repeat_columns(0, 0)
        ws.set_v_pagebreaks(starts[1:] + [change_col])

    # Who needs attention
    book.text(wsa, 0, 0, words["attention_title"], s.title)
    book.text(wsa, 1, 0, words["attention_note"], s.subtitle)
    for j, head in enumerate((words["rank"], words["partnership"], words["partnership_id"], words["what_worse"], words["worse_count"])):
        book.text(wsa, 3, j, head, s.th)
    wsa.set_column(0, 0, 6)
    wsa.set_column(1, 1, 32)
    wsa.set_column(2, 2, 16)
    wsa.set_column(3, 3, 80)
    wsa.set_column(4, 4, 10)
    for i, a in enumerate(attention(histories, names)):
        r = 4 + i
        text = "; ".join(a.reasons) or words["nothing_worse"]
        book.number(wsa, r, 0, i + 1, fmt("0"))
        book.text(wsa, r, 1, a.history.name, s.wrap)
        book.text(wsa, r, 2, a.history.partnership_id, fmt(None))
        book.text(wsa, r, 3, text, s.wrap if not a.reasons else fmt(None, text_wrap=True, font_color="#9C0006"))
        book.number(wsa, r, 4, len(a.reasons), fmt("0"))
        fit_row(wsa, r, [(text, 80), (a.history.name, 32)])
    wsa.freeze_panes(4, 0)
    print_setup(wsa, "Partnership portfolio: who needs attention", repeat_rows=(3, 3))

    # Rounds
    book.text(wsr, 0, 0, words["rounds_title"], s.title)
    book.text(wsr, 1, 0, words["rounds_note"], s.subtitle)
    heads = [words[k] for k in ("round", "as_of", "partnerships", "files", "superseded", "not_used", "versions", "notes")]
    widths = [16, 12, 13, 13, 12, 10, 40, 50]
    for j, (head, w) in enumerate(zip(heads, widths)):
        book.text(wsr, 3, j, head, s.th)
        wsr.set_column(j, j, w)
    for i, rnd in enumerate(rounds):
        r = 4 + i
        versions = "; ".join(f"{tid} {', '.join(v)}" for tid, v in rnd.template_versions.items())
        if rnd.mixed_versions:
            versions = f"{versions} ({rnd.versions_note})"
        vals: list[Any] = [rnd.label, rnd.as_of.isoformat() if rnd.as_of else "", rnd.partnerships, rnd.files, rnd.superseded,
                           rnd.not_used, versions, rnd.notes]
        for j, v in enumerate(vals):
            if isinstance(v, int):
                book.number(wsr, r, j, v, fmt("0"))
            else:
                book.text(wsr, r, j, v, s.wrap)
        fit_row(wsr, r, [(versions, 40), (rnd.notes, 50)])
    print_setup(wsr, "Partnership portfolio: rounds", repeat_rows=(3, 3))
    data.hide()
    del last_col
    book.close({"title": "Partnership portfolio: history", "author": "Place-Based Partnerships Toolkit"})


# ----------------------------------------------------------------------------- a round's Portfolio

#: The Portfolio's change columns (the first scenario's two follow these).
PORTFOLIO_CHANGES = ("FC_Total", "FC_Gap", "FC_CashNeed", "FC_ExpectedRevenue")


def add_changes(port: Any, store: Any, round_label: str, names: dict[str, str] | None = None) -> None:
    """Give a just-recorded round's Portfolio its change columns against the round before
    (words and numbers), and a 'not returned' row for each partnership that returned in an
    earlier round but not in this one."""
    _, words = _words()
    previous = store.previous_round(round_label)
    histories = {h.partnership_id: h for h in store.history()}
    port.column_labels["change"] = (words["portfolio_change"].format(previous=previous) if previous
                                    else words["portfolio_change"].format(previous="the round before"))
    seen = set()
    for row in port.rows:
        pid = row.get("partnership_id", "")
        seen.add(pid)
        h = histories.get(pid)
        if h is None:
            continue
        text, numbers = changes_for(h, round_label, names)
        row["change"] = text if previous else words["portfolio_change_none"]
        for m, delta in numbers.items():
            if m.measure in PORTFOLIO_CHANGES or (m.scenario and m.scenario == _first_scenario(numbers)):
                key = f"change_{m.scenario}_{m.measure}" if m.scenario else f"change_{m.measure}"
                row[key] = delta
                port.column_labels[key] = f"Change: {label(m, names)}"
                port.column_formats[key] = _fmt_of(m)
    if previous is None:
        return
    for pid, h in histories.items():
        if pid in seen:
            continue
        was = [p for p in h.points if p.round == previous and p.returned]
        now = [p for p in h.points if p.round == round_label and p.returned]
        if was and not now:
            port.rows.append({"partnership": h.name, "partnership_id": pid, "region": h.region, "structure": h.structure,
                              "status": words["not_returned"], "missing": words["not_returned"], "files": "",
                              "change": words["worse_not_returned"].format(previous=previous)})


def _first_scenario(numbers: dict[Measure, float]) -> str | None:
    scen = [m.scenario for m in numbers if m.scenario]
    return "base" if "base" in scen else (scen[0] if scen else None)
