"""TrajectoryPanel in a real JupyterLab: Play grows the path frame by frame, a click moves the start.

A small notebook: the centered eight schools fitted briefly, and the panel at the
seed (of 12) whose tree from the funnel's mouth is longest, so that the replay
has frames to count. The replay's frame rate is measured in the page and
printed (speed is a benchmark's business, not a verdict here).
"""

import re

import nbformat
import pytest

from tests.browser import lab
from tests.browser.conftest import SCREENSHOTS
from tests.browser.figures import LEGIBLE, illegible

CELLS = [
    "import numpyro\n\nnumpyro.set_host_device_count(4)\n"
    "from widgets.inference import EIGHT_SCHOOLS, eight_schools, fit_model\n"
    "from widgets.inference.trajectory import record_trajectory\n"
    "from widgets.trajectory_panel import TrajectoryPanel\n\n"
    "fit_centered = fit_model(eight_schools, EIGHT_SCHOOLS, num_warmup=300, num_samples=300, seed=0)\n"
    "mouth = {'theta[0]': 5.0, 'log tau': 1.5}\n"
    "seed = max(range(12), key=lambda s: record_trajectory(fit_centered, mouth, seed=s).num_steps)",
    "panel = TrajectoryPanel(fit_centered, x='theta[0]', y='log tau', start=(5.0, 1.5), seed=seed)\npanel",
    "print('steps:', panel.trajectory.num_steps)",
]
# The points drawn on the two path marks (forward and backward), and when, on every animation frame.
_RECORD = """([figure, seconds]) => { window.__trajectoryFrames = new Promise((resolve) => {
  const seen = [];
  const started = performance.now();
  function points() {
    return [...figure.querySelectorAll("path.line")]
      .map((p) => (p.getAttribute("d") || "").match(/[ML]/g) || [])
      .reduce((n, commands) => n + commands.length, 0);
  }
  function tick() {
    const n = points(), now = performance.now();
    if (!seen.length || seen[seen.length - 1][0] !== n) seen.push([n, now]);
    if (now - started < seconds * 1000) requestAnimationFrame(tick); else resolve(seen);
  }
  tick();
}); }"""


@pytest.fixture(scope="module")
def notebook(browser):
    """The notebook opened and run in JupyterLab: (page, panel cell, number of steps)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    with lab.JupyterLab() as server:
        nbformat.write(nb, str(server.root / "lessons" / "trajectory.ipynb"))
        context = browser.new_context(viewport=lab.VIEWPORT)
        page = context.new_page()
        lab.open_notebook(page, server, "lessons/trajectory.ipynb")
        lab.run_all_cells(page)
        cells = page.locator(".jp-Notebook .jp-CodeCell")
        cell = cells.nth(1)
        cell.locator(".trajectory-figure").first.wait_for()
        printed = cells.nth(2).locator(".jp-OutputArea").text_content()
        steps = int(re.search(r"steps: (\d+)", printed).group(1))
        yield page, cell, steps
        context.close()


def _code_line(cell) -> str:
    return cell.locator(".widget-text input").last.input_value()


def test_play_grows_the_path_frame_by_frame(notebook):
    """After Play, does the number of points on the paths climb step by step to the whole tree?"""
    page, cell, steps = notebook
    assert steps >= 7
    figure = cell.locator(".trajectory-figure").first
    page.evaluate(_RECORD, [figure.element_handle(), 6 + steps * 0.2])  # recording from now on
    cell.locator(".widget-play button").first.click()
    seen = page.evaluate("() => window.__trajectoryFrames")
    counts = [n for n, _ in seen]
    print("points on the paths, as drawn:", counts)
    # Two paths from the start: 2 points at step 0, one more per step, steps + 2 at the end.
    assert counts[-1] == steps + 2
    start = counts.index(2)
    growth = counts[start:]
    assert growth == sorted(growth)
    assert len(growth) >= steps // 2 + 1  # frames in between were drawn, not just the end
    times = [t for n, t in seen[start:]]
    if len(times) > 1:
        fps = (len(times) - 1) / ((times[-1] - times[0]) / 1000)
        print(f"replay: {fps:.1f} frames per second in the page")


def test_a_click_on_the_plot_moves_the_start(notebook):
    """Does clicking the plot put the start where the click was, in the code line too?"""
    page, cell, _ = notebook
    before = _code_line(cell)
    box = cell.locator(".trajectory-figure").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7)
    page.wait_for_function(
        "([cell, before]) => [...cell.querySelectorAll('.widget-text input')].pop().value !== before",
        arg=[cell.element_handle(), before],
        timeout=30_000,
    )
    after = _code_line(cell)
    start = re.search(r"start=\(([-\d.e]+), ([-\d.e]+)\)", after)
    assert start and (float(start.group(1)), float(start.group(2))) != (5.0, 1.5)


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_the_panel_is_legible_in_both_themes(notebook, theme):
    """Are the panel's text and marks legible against the theme (measured), with a screenshot to look at?"""
    page, cell, _ = notebook
    lab.set_theme(page, theme)
    assert illegible(page, cell) == LEGIBLE
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"05-trajectory-panel-{'light' if 'Light' in theme else 'dark'}.png"
    panel = cell.locator(".jp-OutputArea").first
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(target))
    assert target.stat().st_size > 10_000
