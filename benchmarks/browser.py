"""In a real JupyterLab and Chromium: slider-to-redraw latency, and memory after a lesson.

The latency is timed inside the page: from the timestamp of the pointer event
that moves the slider to the MutationObserver callback that sees the plotted
SVG path change, so Playwright's own overhead is not counted. The tutorial's way
is an ``interact`` slider that runs a fresh ``Predictive`` and redraws a
Matplotlib figure, timed the same way (to the new image in the page).

TrajectoryPanel's replay is counted in the page as its browser test counts it
(the points on the paths, on every animation frame), against the replay it had
before: ipywidgets' ``Play`` driving the panel's ``frame`` through the kernel, a
round trip per frame, in the same notebook, replays alternating.

RobustRegressionPanel's drag is timed in the page too: from the pointer release
that drops a point (dragged with the mouse as its browser test drags it) to the
moment both the comparison table and the plotted lines have changed, at n = 80
with 4 chains x 1,000 draws per model.
"""

from __future__ import annotations

import contextlib
import statistics

import psutil
from playwright.sync_api import sync_playwright

from benchmarks.timing import Row
from tests.browser import lab
from tests.browser.test_robust_panel import STATE as ROBUST_STATE
from tests.browser.test_robust_panel import drag_dot
from tests.browser.test_trajectory_panel import CELLS as TRAJECTORY_CELLS
from tests.browser.test_trajectory_panel import frames_per_second, press_play_and_record

LESSONS = sorted((lab.ROOT / "lessons").glob("*.ipynb"))
MOVES = 30  # slider moves timed per slider (--quick); twice as many otherwise
REPLAYS = 3  # TrajectoryPanel replays counted each way (--quick); twice as many otherwise
DRAGS = 5  # RobustRegressionPanel drags timed (--quick); twice as many otherwise

_PANEL_CELL = """\
import numpyro

numpyro.set_host_device_count(4)
from widgets import PriorPanel

PriorPanel()"""
_TUTORIAL_CELL = """\
import jax.numpy as jnp
import jax.random as jr
import matplotlib.pyplot as plt
import numpyro.distributions as dist
from ipywidgets import FloatSlider, interact
from numpyro.infer import Predictive

x_grid = jnp.linspace(-2.0, 2.0, 50)


def model(x, y=None, a_scale=2.0):
    a = numpyro.sample("a", dist.Normal(0.0, a_scale))
    b = numpyro.sample("b", dist.Normal(0.0, 2.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    numpyro.sample("y", dist.Normal(a * x + b, sigma), obs=y)


@interact(a_scale=FloatSlider(value=2.0, min=0.1, max=10.0, step=0.05, description="tutorial a: scale"))
def prior_predictive_plot(a_scale):
    draws = Predictive(model, num_samples=100)(jr.PRNGKey(0), x=x_grid, a_scale=a_scale)["y"]
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(x_grid, draws[:30].T, color="C0", alpha=0.35)
    ax.set_ylim(-20, 20)
    plt.show()"""

_ROBUST_CELLS = (
    """\
import numpyro

numpyro.set_host_device_count(4)
from widgets.inference.outliers import data_with_outliers
from widgets.robust_panel import RobustRegressionPanel

x_data, y_data, _ = data_with_outliers(80, num_outliers=3, seed=0)""",
    "RobustRegressionPanel(x_data, y_data)",
)

# Each pointer release's timestamp, and when the table or the plotted lines change, on the page's clock.
_WATCH_DRAG = """(cell) => {
  window.__drag = { releases: [], tables: [], lines: [] };
  document.addEventListener("pointerup", (e) => window.__drag.releases.push(e.timeStamp), true);
  const observer = new MutationObserver((records) => {
    const now = performance.now();
    if (records.some((r) => r.attributeName === "d" && r.target.matches("path.line"))) {
      window.__drag.lines.push(now);
    }
    if (records.some((r) => r.type === "childList" && r.target.closest && r.target.closest(".widget-html")
                     && r.target.closest(".widget-html").querySelector("table"))) {
      window.__drag.tables.push(now);
    }
  });
  observer.observe(cell, { attributes: true, attributeFilter: ["d"], childList: true, subtree: true });
}"""
# Both the table and the lines have changed since the release at `since`.
_DRAG_REDRAWN = """(since) => window.__drag.tables.some((t) => t > since)
  && window.__drag.lines.some((t) => t > since)"""
_DRAG_LATENCY = """(since) => Math.max(window.__drag.tables.find((t) => t > since),
  window.__drag.lines.find((t) => t > since)) - since"""


# The replay before the page did it: ipywidgets' Play -> the kernel's frame -> the marks, per frame.
_KERNEL_PLAY_CELL = """\
import ipywidgets as ipw

kernel_play = ipw.Play(value=0, min=0, max=panel.trajectory.num_steps, interval=40, description="kernel play")
ipw.link((kernel_play, "value"), (panel, "frame"))
# Play at the end replays from the start, as the panel's Play did.
kernel_play.observe(lambda change: change["new"] and setattr(kernel_play, "value", 0), names="playing")
panel.frame = panel.trajectory.num_steps  # each replay, either way, from the whole tree
kernel_play"""

# Records each pointer move's timestamp and each redraw's time, on the page's clock.
_WATCH = """([figure, what]) => {
  window.__latency = { inputs: [], redraws: [] };
  if (!window.__latencyListening) {
    window.__latencyListening = true;
    document.addEventListener("pointermove", (e) => window.__latency.inputs.push(e.timeStamp), true);
  }
  const seen = () => window.__latency.redraws.push(performance.now());
  const observer = new MutationObserver((records) => {
    if (what === "path") {
      if (records.some((r) => r.attributeName === "d" && r.target.matches("path.line"))) seen();
    } else if (records.some((r) => [...r.addedNodes].some((n) => n.nodeName === "IMG" ||
                (n.querySelector && n.querySelector("img"))))) {
      seen();
    }
  });
  observer.observe(figure, { attributes: true, attributeFilter: ["d"], childList: true, subtree: true });
}"""
_REDRAWN = "(since) => window.__latency.redraws.some((t) => t > since)"
# The kernel has been idle for a second: what the notebook set off has finished.
_QUIET = """() => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  if (window.__statusKernel !== kernel) {
    window.__statusKernel = kernel;
    window.__statusChanged = performance.now();
    kernel.statusChanged.connect(() => { window.__statusChanged = performance.now(); });
  }
  return kernel.status === "idle" && performance.now() - window.__statusChanged > 1000;
}"""


def _slider_latencies(page, cell, label: str, target_selector: str, what: str, moves: int) -> list[float]:
    """Milliseconds from each of `moves` slider moves to the first redraw after it."""
    slider = cell.locator(".widget-slider", has=page.get_by_text(label, exact=True))
    target = cell.locator(target_selector).first
    target.scroll_into_view_if_needed()
    page.evaluate(_WATCH, [target.element_handle(), what])
    # Rendering the tutorial's slider sends its value back (noUiSlider snaps 2.0 to its
    # 0.05 grid from 0.1), which re-runs its 2 s callback: time moves only once that is done.
    page.wait_for_function(_QUIET, timeout=120_000)
    handle = slider.locator(".noUi-handle")
    latencies = []
    for i in range(moves):
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        before = page.evaluate("window.__latency.inputs.length")
        page.mouse.move(x + (8 if i % 2 == 0 else -8), y, steps=1)
        moved = page.evaluate(f"window.__latency.inputs[{before}]")
        page.wait_for_function(_REDRAWN, arg=moved, timeout=60_000)
        page.mouse.up()
        redraw = page.evaluate(f"window.__latency.redraws.find((t) => t > {moved})")
        latencies.append(redraw - moved)
        page.wait_for_timeout(250)  # let this move's work finish before the next
    return latencies


def _server_and_kernel_mb(server: lab.JupyterLab) -> float:
    """Resident memory of the JupyterLab server and its kernels together, in MB."""
    process = psutil.Process(server.process.pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


@contextlib.contextmanager
def _run_in_chromium(server: lab.JupyterLab, path: str):
    """Open `path` in `server` in a fresh Chromium and run all its cells; yield (page, seconds)."""
    with sync_playwright() as playwright:
        browser = lab.launch_chromium(playwright)
        try:
            page = browser.new_page(viewport=lab.VIEWPORT)
            lab.open_notebook(page, server, path)
            yield page, lab.run_all_cells(page)
        finally:
            browser.close()


@contextlib.contextmanager
def _notebook_page(name: str, sources):
    """A notebook of code cells `sources`, run in a fresh JupyterLab and Chromium: yields the page."""
    with lab.JupyterLab() as server:
        with _run_in_chromium(server, lab.write_notebook(server, name, sources)) as (page, _):
            yield page


def run(quick: bool) -> list[Row]:
    """Rows for the slider latency (ours, the tutorial's) and the memory after each lesson."""
    moves = MOVES if quick else 2 * MOVES
    rows = []
    for lesson in LESSONS:
        with (
            lab.JupyterLab([lesson]) as server,
            _run_in_chromium(server, f"lessons/{lesson.name}") as (_, seconds),
        ):
            megabytes = _server_and_kernel_mb(server)
        rows.append(Row(f"{lesson.stem}: Run All Cells in JupyterLab", seconds))
        row = Row("  JupyterLab server + the lesson's kernel, after it ran", megabytes, unit="MB")
        row.target, row.met = "<= 1.2 GB", megabytes <= 1200
        rows.append(row)

    replays = REPLAYS if quick else 2 * REPLAYS
    ours, theirs = replay_rates(replays)
    row = Row(
        f"TrajectoryPanel: Play -> replay in the page, frames per second, median of {replays} replays",
        statistics.median(ours),
        unit="fps",
    )
    row.target, row.met = ">= 20 fps", row.ours >= 20.0
    rows.append(row)
    rows.append(
        Row(
            f"  before: ipywidgets Play -> kernel -> marks, a round trip per frame, median of {replays}",
            statistics.median(theirs),
            unit="fps",
        )
    )

    drags = DRAGS if quick else 2 * DRAGS
    latencies = robust_drag_latencies(drags)
    row = Row(
        f"RobustRegressionPanel: drag -> table and lines redrawn, in the page, median of {drags} drags",
        statistics.median(latencies) / 1e3,
    )
    row.target, row.met = "<= 400 ms", row.ours <= 0.4
    rows.append(row)

    ours, theirs = slider_latencies(moves)
    for name, times, target in (
        ("PriorPanel a's scale slider", ours, "<= 60 ms"),
        ("  the tutorial's interact + Predictive + Matplotlib slider", theirs, ""),
    ):
        for label, value in (("median", statistics.median(times)), ("90th percentile", _p90(times))):
            row = Row(f"{name}: pointer move -> redrawn figure, {label} of {len(times)} moves", value / 1e3)
            if target:
                row.target, row.met = target, value <= 60.0
            rows.append(row)
    return rows


def _p90(times: list[float]) -> float:
    """The 90th percentile (inclusive method: never beyond the largest time)."""
    return statistics.quantiles(times, n=10, method="inclusive")[-1]


def slider_latencies(moves: int = MOVES) -> tuple[list[float], list[float]]:
    """Milliseconds from each slider move to the redrawn figure: PriorPanel's, then the tutorial's.

    Both run in one notebook in a fresh JupyterLab and Chromium: PriorPanel's
    a-scale slider (to the changed SVG path) and an ``interact`` slider that
    runs a fresh ``Predictive`` and redraws a Matplotlib figure (to the new image).
    """
    with _notebook_page("latency", (_PANEL_CELL, _TUTORIAL_CELL)) as page:
        cells = page.locator(".jp-Notebook .jp-CodeCell")
        predictive = ".bqplot.figure:has-text('Prior predictive')"
        ours = _slider_latencies(page, cells.nth(0), "a: scale", predictive, "path", moves)
        theirs = _slider_latencies(page, cells.nth(1), "tutorial a: scale", ".jp-OutputArea", "img", moves)
    return ours, theirs


def robust_drag_latencies(drags: int = DRAGS) -> list[float]:
    """Milliseconds from each of `drags` point drags' release to RobustRegressionPanel's new table and lines.

    One notebook (80 points with 3 outliers, the panel with its defaults: 4
    chains x 1,000 draws per model) in a fresh JupyterLab and Chromium; one
    point is dragged with the mouse, as the panel's browser test drags it,
    alternately up and down, each drag once the kernel has gone quiet.
    """
    latencies = []
    with _notebook_page("robust", _ROBUST_CELLS) as page:
        cell = page.locator(".jp-Notebook .jp-CodeCell").nth(1)
        shown = f"""(c) => {{
          const s = ({ROBUST_STATE})(c);
          return s && s.fills.length === 80 && s.table;
        }}"""
        page.wait_for_function(shown, arg=cell.element_handle(), timeout=300_000)
        cell.scroll_into_view_if_needed()
        page.evaluate(_WATCH_DRAG, cell.element_handle())
        for i in range(drags):
            page.wait_for_function(_QUIET, timeout=120_000)
            before = page.evaluate("window.__drag.releases.length")
            drag_dot(page, cell, 10, -40 if i % 2 == 0 else 40)
            released = page.evaluate(f"window.__drag.releases[{before}]")
            page.wait_for_function(_DRAG_REDRAWN, arg=released, timeout=120_000)
            latencies.append(page.evaluate(_DRAG_LATENCY, released))
    return latencies


def replay_rates(replays: int = REPLAYS) -> tuple[list[float], list[float]]:
    """Frames per second of TrajectoryPanel's replays in the page: its Play's, then the kernel-driven Play's.

    One notebook (the browser test's, plus a kernel-driven ``Play`` linked to
    the panel's ``frame``) in a fresh JupyterLab and Chromium; the two ways
    alternate, `replays` each, every one from the start of the tree to its end.
    """
    ours, theirs = [], []
    with _notebook_page("replay", (*TRAJECTORY_CELLS, _KERNEL_PLAY_CELL)) as page:
        cells = page.locator(".jp-Notebook .jp-CodeCell")
        panel, kernel_play = cells.nth(1), cells.nth(3).locator(".widget-play button").first
        steps = int(cells.nth(2).locator(".jp-OutputArea").text_content().split()[-1])
        for _ in range(replays):
            for rates, play in ((ours, None), (theirs, kernel_play)):
                page.wait_for_function(_QUIET, timeout=120_000)
                recorded = press_play_and_record(page, panel, 2 + steps * 0.15, play=play)
                rates.append(frames_per_second(recorded["seen"]))
    return ours, theirs


if __name__ == "__main__":
    # python -m benchmarks.browser [moves]: the slider rows alone, with every move's time;
    # python -m benchmarks.browser replay [replays]: TrajectoryPanel's replay rows alone.
    # python -m benchmarks.browser drag [drags]: RobustRegressionPanel's drag row alone.
    import os
    import sys

    os.environ["WIDGETS_COMPILATION_CACHE"] = "off"
    if sys.argv[1:2] == ["drag"]:
        latencies = robust_drag_latencies(int(sys.argv[2]) if len(sys.argv) > 2 else DRAGS)
        print(f"RobustRegressionPanel drag -> table and lines: median {statistics.median(latencies):.0f} ms")
        print("  " + " ".join(f"{t:.0f}" for t in latencies))
        sys.exit()
    if sys.argv[1:2] == ["replay"]:
        ours, theirs = replay_rates(int(sys.argv[2]) if len(sys.argv) > 2 else REPLAYS)
        for name, rates in (("in the page", ours), ("through the kernel (before)", theirs)):
            print(f"replay {name}: median {statistics.median(rates):.1f} frames per second")
            print("  " + " ".join(f"{r:.1f}" for r in rates))
        sys.exit()
    ours, theirs = slider_latencies(int(sys.argv[1]) if len(sys.argv) > 1 else MOVES)
    for name, times in (("PriorPanel", ours), ("tutorial", theirs)):
        print(
            f"{name}: median {statistics.median(times):.1f} ms, p90 {_p90(times):.1f} ms, "
            f"max {max(times):.1f} ms over {len(times)} moves"
        )
        print("  " + " ".join(f"{t:.0f}" for t in times))
