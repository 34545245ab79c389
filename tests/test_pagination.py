"""layout.paginate and fill_last_page, held to pages worked out by hand (the print audit holds the
sheets that use them to the PDFs LibreOffice makes)."""
from __future__ import annotations

from generator.workbook.layout import fill_last_page, paginate


def test_pages_fill_with_whole_rows_and_repeat_the_titles() -> None:
    # 10-point rows on 35-point pages: 3 rows on the first, then 5 points of titles and 3 rows on each
    assert paginate([10.0] * 10, {}, room=35, title=5) == [3, 6, 9]


def test_a_heading_moves_to_the_next_page_with_its_rows() -> None:
    # row 2 is a heading kept with row 3: 20 + 20 > 35, so the page breaks before it, not after it
    assert paginate([10.0] * 10, {2: 3}, room=35, title=5) == [2, 5, 8]
    # a kept span taller than a fresh page is not pushed on: the page fills as usual
    assert paginate([10.0] * 10, {2: 9}, room=35, title=5) == [3, 6, 9]


def test_hidden_rows_take_no_room() -> None:
    assert paginate([10.0, 0.0, 0.0, 10.0, 10.0, 10.0], {}, room=30, title=0) == [5]


def test_a_short_last_page_takes_rows_from_the_page_before() -> None:
    heights = [10.0] * 7
    breaks = paginate(heights, {}, room=35, title=0)
    assert breaks == [3, 6]            # the last page would hold one row of 35 points' room
    assert fill_last_page(heights, breaks, lambda r: True, room=35, title=0) == [3, 5]   # 20 and 20
    # a row that may not start a page (a heading's first row) is passed over: rows 4 and 6 share them
    # 10/30 and 30/10, and of the two the break stays where fewer rows move
    assert fill_last_page(heights, breaks, lambda r: r != 5, room=35, title=0) == [3, 6]
    # three rows then one on the last two pages become two and two (20 and 20 points)
    assert fill_last_page([10.0] * 8, [4, 7], lambda r: True, room=40, title=0) == [4, 6]
    # a last page that is not short keeps its break
    assert fill_last_page([10.0] * 9, [3, 6], lambda r: True, room=35, title=0) == [3, 6]
