"""SBCPanel in a real JupyterLab: Run pressed, the progress bar moves, the plots draw, Stop stops.

A small notebook of its own: the regression, a simulator written apart from it, and the panel.
"""

import pytest

from tests.browser import lab
from tests.browser.conftest import SCREENSHOTS
from tests.browser.figures import LEGIBLE, illegible

CELLS = [
    "import numpyro\n\nnumpyro.set_host_device_count(4)\n"
    "import numpy as np\n\n"
    "from widgets.inference import linear_regression\n"
    "from widgets.sbc_panel import SBCPanel\n\n\n"
    "def simulate_regression(rng, x):\n"
    "    a, b, sigma = rng.normal(0.0, 2.0), rng.normal(0.0, 2.0), abs(rng.normal(0.0, 1.0))\n"
    "    return {'a': a, 'b': b, 'sigma': sigma, 'y': rng.normal(a * x + b, sigma)}\n\n\n"
    "data = {'x': np.linspace(-2.0, 2.0, 20)}",
    "SBCPanel(linear_regression, simulate_regression, data, num_simulations=150, seed=1)",
]
_PROGRESS = "(cell) => parseFloat(cell.querySelector('.widget-hprogress .progress-bar').style.width || '0')"


@pytest.fixture(scope="module")
def panel_cell(browser):
    """The notebook opened and run in JupyterLab: (page, the panel's cell)."""
    with lab.JupyterLab() as server:
        path = lab.write_notebook(server, "sbc", CELLS)
        context = browser.new_context(viewport=lab.VIEWPORT)
        page = context.new_page()
        lab.open_notebook(page, server, path)
        lab.run_all_cells(page)
        cell = page.locator(".jp-Notebook .jp-CodeCell").nth(1)
        cell.locator(".bqplot.figure").first.wait_for()
        yield page, cell
        context.close()


def wait_for_status(page, cell, text: str, timeout: float = 600.0) -> None:
    page.wait_for_function(
        "([cell, text]) => [...cell.querySelectorAll('.widget-label')].some((l) => l.textContent === text)",
        arg=[cell.element_handle(), text],
        timeout=timeout * 1000,
    )


def test_does_run_move_the_progress_bar_and_draw_ranks_and_band(panel_cell):
    page, cell = panel_cell
    assert cell.evaluate(_PROGRESS) == 0
    cell.get_by_role("button", name="Run").click()
    # After the first chunk of 50 of 150 fits the bar stays near a third while the next runs.
    page.wait_for_function(
        f"(cell) => {{ const w = ({_PROGRESS})(cell); return w > 1 && w < 99; }}",
        arg=cell.element_handle(),
        timeout=600_000,
    )
    assert cell.get_by_role("button", name="Run").is_disabled()
    wait_for_status(page, cell, "done")
    assert cell.evaluate(_PROGRESS) == 100
    histogram, ecdf = cell.locator(".bqplot.figure").all()
    page.wait_for_function(
        "(fig) => fig.querySelectorAll('.bargroup rect').length === 10", arg=histogram.element_handle()
    )
    # The ECDF difference and its band: paths with many points.
    page.wait_for_function(
        "(fig) => [...fig.querySelectorAll('path.line')].filter((p) => (p.getAttribute('d') || '')"
        ".split('L').length > 50).length >= 2",
        arg=ecdf.element_handle(),
    )
    assert "simulations:" in cell.locator("[role=status]").last.text_content()


@pytest.mark.parametrize("theme", ["JupyterLab Dark", "JupyterLab Light"])
def test_the_ranks_and_band_are_legible_in_both_themes(panel_cell, theme):
    """After the run: are the panel's text and marks legible (measured), with a screenshot to look at?"""
    page, cell = panel_cell
    lab.set_theme(page, theme)
    assert illegible(page, cell) == LEGIBLE
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    cell.screenshot(path=str(SCREENSHOTS / f"04-SBCPanel-{theme.split()[-1].lower()}.png"))


def test_does_stop_end_a_run_early(panel_cell):
    page, cell = panel_cell
    cell.get_by_role("button", name="Run").click()
    cell.get_by_role("button", name="Stop").click()
    wait_for_status(page, cell, "stopped")
    assert "50 simulations (stopped early)" in cell.locator("[role=status]").last.text_content()
    assert not cell.get_by_role("button", name="Run").is_disabled()
