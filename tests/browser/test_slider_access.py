"""Panel sliders in a real JupyterLab: named for screen readers, reached with Tab, moved with keys.

A small notebook with the panels that have sliders: the three of lessons 1 and 2, and lesson 5's
TrajectoryPanel (its step slider) on a short fit of the eight schools.
"""

import pytest

from tests.browser import lab

CELLS = [
    "import numpyro\n\nnumpyro.set_host_device_count(4)\n"
    "from widgets import PredictiveCheckPanel, PriorPanel, SimulationPanel, simulated_data\n\n"
    "x_data, y_data = simulated_data(1.5, -0.5, 0.3, 40)",
    "PriorPanel()",
    "SimulationPanel()",
    "PredictiveCheckPanel(x_data, y_data, kind='prior')",
    "from widgets.inference import EIGHT_SCHOOLS, eight_schools, fit_model\n"
    "from widgets.trajectory_panel import TrajectoryPanel\n\n"
    "fit_centered = fit_model(eight_schools, EIGHT_SCHOOLS, num_warmup=200, num_samples=200, seed=0)\n"
    "TrajectoryPanel(fit_centered, x='theta[0]', y='log tau', start=(5.0, 1.5), seed=0)",
]
# Every slider of each panel, by its visible label.
SLIDERS = {
    1: ["a: loc", "a: scale", "b: loc", "b: scale", "sigma: scale"],
    2: ["true a", "true b", "true sigma", "n"],
    3: ["quantile q", "draws"],
    4: ["step"],
}
_HANDLES = """(cell) => [...cell.querySelectorAll(".widget-slider")].map((s) => {
  const h = s.querySelector(".noUi-handle");
  return [s.querySelector(".widget-label").textContent, h.getAttribute("role"), h.getAttribute("aria-label"),
          h.tabIndex];
})"""


@pytest.fixture(scope="module")
def panels(browser):
    """The notebook opened and run in JupyterLab: (page, its code cells)."""
    with lab.JupyterLab() as server:
        path = lab.write_notebook(server, "sliders", CELLS)
        context = browser.new_context(viewport=lab.VIEWPORT)
        page = context.new_page()
        lab.open_notebook(page, server, path)
        lab.run_all_cells(page)
        cells = page.locator(".jp-Notebook .jp-CodeCell")
        for index in SLIDERS:
            cells.nth(index).locator(".bqplot.figure").first.wait_for()
        yield page, cells
        context.close()


def wait_for_code(page, cell, text: str) -> None:
    """Wait until the cell's code line contains `text` (a new family's sampler compiles first: up to 60 s)."""
    page.wait_for_function(
        "([cell, text]) => [...cell.querySelectorAll('.widget-text input')]"
        ".some((i) => i.value.includes(text))",
        arg=[cell.element_handle(), text],
        timeout=60_000,
    )


@pytest.mark.parametrize("index", sorted(SLIDERS))
def test_every_slider_handle_is_named_after_its_label(panels, index):
    page, cells = panels
    cell = cells.nth(index)
    page.wait_for_function(
        "(cell) => [...cell.querySelectorAll('.noUi-handle')].every((h) => h.hasAttribute('aria-label'))",
        arg=cell.element_handle(),
        timeout=10_000,
    )
    handles = cell.evaluate(_HANDLES)
    assert [label for label, *_ in handles] == SLIDERS[index]
    assert all(role == "slider" and name == label and tab == 0 for label, role, name, tab in handles), handles
    for label in SLIDERS[index]:
        assert cell.get_by_role("slider", name=label, exact=True).count() == 1


def test_new_sliders_after_a_family_switch_are_named(panels):
    page, cells = panels
    cell = cells.nth(1)
    cell.get_by_label("a family", exact=True).select_option("StudentT")
    df = cell.get_by_role("slider", name="a: df", exact=True)
    df.wait_for(timeout=10_000)
    wait_for_code(page, cell, "a=dist.StudentT(df=3.0, loc=0.0, scale=2.0)")
    cell.get_by_label("a family", exact=True).select_option("Normal")
    # StudentT has an "a: scale" slider too: wait until its sliders are gone.
    df.wait_for(state="detached", timeout=10_000)
    wait_for_code(page, cell, "a=dist.Normal(loc=0.0, scale=2.0)")
    cell.get_by_role("slider", name="a: scale", exact=True).wait_for(timeout=10_000)


def test_tab_reaches_the_handle_and_keys_move_it(panels):
    page, cells = panels
    cell = cells.nth(1)
    wait_for_code(page, cell, "a=dist.Normal(loc=0.0, scale=")  # not mid family switch
    cell.get_by_label("a family", exact=True).focus()
    for _ in range(6):  # a: loc's handle and readout, then a: scale's handle
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "a: scale":
            break
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "a: scale"
    handle = cell.get_by_role("slider", name="a: scale", exact=True)
    before = float(handle.get_attribute("aria-valuenow"))
    assert handle.evaluate("(h) => h === document.activeElement")
    page.keyboard.press("ArrowRight")
    wait_for_code(page, cell, f"a=dist.Normal(loc=0.0, scale={before + 0.05:.2f})")
    page.keyboard.press("Home")  # the slider's low end is still a valid prior
    wait_for_code(page, cell, "a=dist.Normal(loc=0.0, scale=0.05)")
    assert cell.locator("[role=status]").count() == 0  # no error message
