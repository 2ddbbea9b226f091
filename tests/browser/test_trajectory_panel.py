"""TrajectoryPanel in JupyterLab: Play grows the path in the page, Pause and step agree, a click moves.

A small notebook: the centered eight schools fitted briefly, and the panel at the
seed (of 12) whose tree from the funnel's mouth is longest, so that the replay
has frames to count. The replay's frame rate is measured in the page and
printed (speed is a benchmark's business, not a verdict here: benchmarks.browser
measures it with the helpers below).
"""

import re

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
# The points drawn on the two path marks (forward and backward), and when, on every animation
# frame; and the widget messages the page sends to the kernel meanwhile.
_RECORD = """([figure, seconds]) => { window.__trajectoryFrames = new Promise((resolve) => {
  const seen = [], sent = [];
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const listen = (_, { msg, direction }) => {
    if (direction === "send" && msg.header.msg_type === "comm_msg") sent.push(msg.content.data);
  };
  kernel.anyMessage.connect(listen);
  const started = performance.now();
  function tick() {
    const n = window.pathPoints(figure), now = performance.now();
    if (!seen.length || seen[seen.length - 1][0] !== n) seen.push([n, now]);
    if (now - started < seconds * 1000) requestAnimationFrame(tick);
    else { kernel.anyMessage.disconnect(listen); resolve({ seen, sent }); }
  }
  tick();
}); }"""
# How many points the two paths draw (one SVG path command per point), as window.pathPoints(figure).
_PATH_POINTS = """() => { window.pathPoints = (figure) => [...figure.querySelectorAll("path.line")]
  .map((p) => (p.getAttribute("d") || "").match(/[ML]/g) || [])
  .reduce((n, commands) => n + commands.length, 0); }"""
# What the kernel prints for `code`, run as a cell would be (after every message sent before it).
_KERNEL_PRINTS = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({ code, store_history: false });
  let out = "";
  future.onIOPub = (msg) => { if (msg.header.msg_type === "stream") out += msg.content.text; };
  await future.done;
  return out;
}"""

# Click `pause` on the first animation frame whose paths show at least `points`; the points shown then.
_PAUSE_AT = """([figure, pause, points]) => new Promise((resolve) => {
  const check = () => {
    if (window.pathPoints(figure) < points) return requestAnimationFrame(check);
    pause.click();
    resolve(window.pathPoints(figure));
  };
  check();
})"""


def press_play_and_record(page, cell, seconds: float, *, play=None) -> dict:
    """Press Play; record the panel in `cell` for `seconds`: ``{"seen": [[points, ms], ...], "sent": [...]}``.

    `seen` lists each change of the number of points on the two paths, as drawn,
    with the page's time; `sent` the widget messages the page sent to the kernel.
    `play` is the button to press (a locator); by default the panel's Play.
    """
    figure = cell.locator(".trajectory-figure").first
    page.evaluate(_PATH_POINTS)
    page.evaluate(_RECORD, [figure.element_handle(), seconds])
    (play or cell.get_by_role("button", name="Play")).click()
    return page.evaluate("() => window.__trajectoryFrames")


def frames_per_second(seen: list) -> float | None:
    """Frames per second of a replay from its first frame (2 points: the start on each path) to its last."""
    times = [t for _, t in seen[[n for n, _ in seen].index(2) :]]
    return (len(times) - 1) / ((times[-1] - times[0]) / 1000) if len(times) > 1 else None


def kernel_prints(page, code: str) -> str:
    """What the notebook's kernel prints for `code`."""
    return page.evaluate(_KERNEL_PRINTS, code)


@pytest.fixture(scope="module")
def notebook(browser):
    """The notebook opened and run in JupyterLab: (page, panel cell, number of steps)."""
    with lab.JupyterLab() as server:
        path = lab.write_notebook(server, "trajectory", CELLS)
        context = browser.new_context(viewport=lab.VIEWPORT)
        page = context.new_page()
        lab.open_notebook(page, server, path)
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


def test_play_grows_the_path_frame_by_frame_in_the_page(notebook):
    """After Play, do the paths grow one step per frame to the whole tree, no kernel message per frame?"""
    page, cell, steps = notebook
    assert steps >= 7
    recorded = press_play_and_record(page, cell, 3 + steps * 0.1)
    seen, sent = recorded["seen"], recorded["sent"]
    counts = [n for n, _ in seen]
    print("points on the paths, as drawn:", counts)
    # Two paths from the start: 2 points at step 0, one more per step, steps + 2 at the end.
    assert counts[-1] == steps + 2
    # Every frame drawn, each once: the page paces from the frame it last showed, one per animation
    # frame at most, so a busy machine slows the replay down rather than skipping frames to catch up.
    assert counts[counts.index(2) :] == list(range(2, steps + 3))
    print(f"replay: {frames_per_second(seen):.1f} frames per second in the page")
    # Play said once that it plays, the end once that it stopped (and where, had the kernel's frame
    # not been the last already): the frames went nowhere.
    assert [m["state"] for m in sent] == [{"playing": True}, {"playing": False}]
    assert kernel_prints(page, "print(panel.frame, panel.step_slider.value)").split() == [str(steps)] * 2


def test_pause_and_step_show_the_frame_the_kernel_holds(notebook):
    """Paused midway, does the kernel hold the frame shown; does the step slider then step from it?"""
    page, cell, steps = notebook
    figure = cell.locator(".trajectory-figure").first
    page.evaluate(_PATH_POINTS)
    kernel_prints(page, "panel.frame = 0")
    page.wait_for_function("(figure) => window.pathPoints(figure) === 2", arg=figure.element_handle())
    cell.get_by_role("button", name="Play").click()
    # Pause as soon as the paths show 3 steps, on the animation frame that shows them.
    pause = cell.get_by_role("button", name="Pause").element_handle()
    clicked = page.evaluate(_PAUSE_AT, [figure.element_handle(), pause, 3 + 2]) - 2
    points = "(figure) => window.pathPoints(figure)"
    page.wait_for_timeout(300)
    # The frame the page had already set when Pause was clicked (bqplot draws it on the next animation
    # frame) may land, and none after it.
    shown = page.evaluate(points, figure.element_handle()) - 2
    assert clicked <= shown <= clicked + 1 and 3 <= shown < steps
    page.wait_for_timeout(300)
    assert page.evaluate(points, figure.element_handle()) - 2 == shown
    assert cell.locator(".widget-readout").first.text_content().strip() == str(shown)
    assert kernel_prints(page, "print(panel.frame, panel.replay.playing)").split() == [str(shown), "False"]
    cell.locator(".widget-slider .noUi-handle").first.press("ArrowLeft")  # one step back, through the kernel
    page.wait_for_function(
        "([figure, n]) => window.pathPoints(figure) === n", arg=[figure.element_handle(), shown - 1 + 2]
    )
    assert kernel_prints(page, "print(panel.frame)").strip() == str(shown - 1)


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
