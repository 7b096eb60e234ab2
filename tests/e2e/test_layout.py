"""A layout that holds at 1366 × 768 and at 1920 px for every role: the navigation bar is one
row, the cards of the landing page line up (each row starts and ends together), nothing runs
out of the page sideways."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.e2e.conftest import LoginPage
from tests.e2e.test_desk import ALL_ACCOUNTS

#: (width, height) of the screens the portal is used on
SCREENS = [(1366, 768), (1920, 1080)]


def _card_rows(page: Any) -> list[list[dict[str, float]]]:
    """Per card grid of the page: the boxes (top, bottom) of its cards."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => Array.from(document.querySelectorAll('.msa-card-grid')).map(grid =>
            Array.from(grid.children).map(c => {
                const r = (c.querySelector('.panel') || c).getBoundingClientRect();
                return {top: Math.round(r.top), bottom: Math.round(r.bottom)};
            }))"""
    )


@pytest.mark.parametrize("account", ALL_ACCOUNTS)
def test_one_row_of_navigation_and_even_card_grids(
    live_server: str, browser: Any, account: str
) -> None:
    for width, height in SCREENS:
        context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(60000)
        LoginPage(page, live_server).login(account)
        page.goto(f"{live_server}/")
        page.wait_for_load_state("load")
        # one row: the bar is as high as one of its entries (plus its own padding)
        bar = page.evaluate("document.querySelector('.navbar').getBoundingClientRect().height")
        brand = page.evaluate(
            "document.querySelector('.navbar-header').getBoundingClientRect().height"
        )
        assert bar < 1.5 * brand, f"{account} bei {width} px: Navigation {bar} px hoch"
        tops = page.evaluate(
            """Array.from(document.querySelectorAll('.navbar-collapse > *'))
                .map(e => Math.round(e.getBoundingClientRect().top))"""
        )
        assert max(tops) - min(tops) < 20, f"{account} bei {width} px: umbrochen {tops}"
        # even grids: cards that start in one row end in it together
        for grid in _card_rows(page):
            rows: dict[int, set[int]] = {}
            for box in grid:
                rows.setdefault(box["top"], set()).add(box["bottom"])
            ragged = {top: bottoms for top, bottoms in rows.items() if len(bottoms) > 1}
            assert not ragged, f"{account} bei {width} px: ungleiche Karten {ragged}"
            # no card starts inside another row (a card hanging below a taller neighbour)
            spans = sorted((top, max(bottoms)) for top, bottoms in rows.items())
            for (_t1, b1), (t2, _b2) in itertools.pairwise(spans):
                assert t2 >= b1, f"{account} bei {width} px: versetzte Karten {spans}"
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{account} bei {width} px: {overflow} px seitlich hinaus"
        context.close()
