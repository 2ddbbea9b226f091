"""Lesson 3's RobustRegressionPanel in a real JupyterLab and Chromium: a point dragged with the mouse."""

import pytest

from tests.browser import lab
from tests.browser.conftest import SCREENSHOTS
from tests.browser.figures import LEGIBLE, illegible

LESSON = lab.ROOT / "lessons" / "03-robust-regression-and-loo.ipynb"
PANEL_CELL = "x_clean, y_clean"
VERMILLION = "rgb(213, 94, 0)"  # K_COLORS["high"], #D55E00, as the browser computes it

# The panel's scatter dots (in data order) and its table's text, inside a cell's output.
STATE = """(cell) => {
  const figure = [...cell.querySelectorAll(".bqplot.figure")]
    .find((f) => (f.textContent || "").includes("posterior mean lines"));
  if (!figure) return null;
  const dots = [...figure.querySelectorAll("path.dot")];
  const table = cell.querySelector("table");
  return {
    fills: dots.map((d) => getComputedStyle(d).fill),
    table: table ? table.textContent : "",
    lines: [...figure.querySelectorAll("path.line")].map((p) => p.getAttribute("d") || ""),
  };
}"""


@pytest.fixture(scope="module")
def lesson_three(jupyterlab, browser):
    context = browser.new_context(viewport=lab.VIEWPORT)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    lab.open_notebook(page, jupyterlab, f"lessons/{LESSON.name}")
    lab.run_all_cells(page)
    yield page, errors
    context.close()


def _panel_cell(page):
    for source, cell in lab.code_cells(page):
        if source.strip().startswith(PANEL_CELL):
            return cell
    raise LookupError(f"no cell starting with {PANEL_CELL!r}")


def drag_dot(page, cell, index: int, dy: float) -> None:
    """Drag the panel's dot `index` by `dy` pixels (up when negative) with the mouse, and let it go."""
    dot = cell.locator(".bqplot.figure path.dot").nth(index)
    dot.scroll_into_view_if_needed()
    box = dot.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + dy, steps=10)
    page.mouse.up()


def _state(page, cell):
    return page.evaluate(STATE, cell.element_handle())


def test_dragging_a_point_with_the_mouse_refits_recolours_and_rescores(lesson_three):
    """Does a point dragged far from the line turn vermillion, with a new table and new lines?"""
    page, errors = lesson_three
    cell = _panel_cell(page)
    cell.scroll_into_view_if_needed()
    page.wait_for_function(
        f"(cell) => {{ const s = ({STATE})(cell); return s && s.fills.length === 40 && s.table !== ''; }}",
        arg=cell.element_handle(),
        timeout=120_000,
    )
    before = _state(page, cell)
    assert VERMILLION not in before["fills"]  # no outliers: every k is below good_k
    assert "Normal" in before["table"] and "Student-t" in before["table"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    cell.screenshot(path=str(SCREENSHOTS / "03-RobustRegressionPanel-before-drag-light.png"))

    drag_dot(page, cell, 7, -150)

    page.wait_for_function(
        f"""([cell, table]) => {{
          const s = ({STATE})(cell);
          return s && s.table !== table && s.fills[7] === "{VERMILLION}";
        }}""",
        arg=[cell.element_handle(), before["table"]],
        timeout=120_000,
    )
    after = _state(page, cell)
    assert after["fills"][7] == VERMILLION
    assert after["table"] != before["table"] and after["lines"] != before["lines"]
    assert errors == []
    assert illegible(page, cell) == LEGIBLE  # the k colours included
    cell.screenshot(path=str(SCREENSHOTS / "03-RobustRegressionPanel-after-drag-light.png"))
    lab.set_theme(page, "JupyterLab Dark")
    try:
        assert illegible(page, cell) == LEGIBLE
        cell.screenshot(path=str(SCREENSHOTS / "03-RobustRegressionPanel-after-drag-dark.png"))
    finally:
        lab.set_theme(page, "JupyterLab Light")
