"""What the browser tests read from bqplot figures: are they drawn, and legible in the theme shown."""

import pathlib

LEGIBILITY = pathlib.Path(__file__).with_name("legibility.js").read_text()

# WCAG 2: 4.5:1 for text; 3:1 for the graphics that carry the data. Marks drawn
# translucent on purpose (30 overlapping draws, bands) must still stand out.
TEXT_CONTRAST, MARK_CONTRAST, TRANSLUCENT_CONTRAST = 4.5, 3.0, 1.25
LEGIBLE = {"text": [], "solid marks": [], "translucent marks": []}  # illegible() when all is legible


def figure_report(element) -> list[dict]:
    """For each bqplot figure under `element`: size, tick labels, mark paths drawn."""
    return element.evaluate(
        """(root) => [...root.querySelectorAll(".bqplot.figure")].map((f) => {
          const box = f.getBoundingClientRect();
          const paths = [...f.querySelectorAll("path.line, path.dot, path.area")];
          return {
            title: (f.querySelector("text.mainheading") || {}).textContent || "",
            visible: box.width > 0 && box.height > 0,
            ticks: f.querySelectorAll("g.tick text").length,
            marks: paths.length,
            drawn: paths.filter((p) => (p.getAttribute("d") || "").length > 10).length,
          };
        })"""
    )


def visible_figures(element) -> list[dict]:
    return [f for f in figure_report(element) if f["visible"]]


_ALL_DRAWN = """([root, marks]) => {
  const shown = [...root.querySelectorAll(".bqplot.figure")].filter((f) => {
    const box = f.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  });
  const drawn = (f) => [...f.querySelectorAll("path.line, path.dot, path.area")]
    .some((p) => (p.getAttribute("d") || "").length > 10);
  const ticked = (f) => f.querySelectorAll("g.tick text").length >= 4;
  return shown.length > 0 && shown.every((f) => ticked(f) && (!marks || drawn(f)));
}"""


# Every figure shown has its title and tick labels legible to the measurement, and a mark.
_MEASURABLE = f"""(root) => {{
  const records = ({LEGIBILITY.strip()})(root);
  const figures = [...root.querySelectorAll(".bqplot.figure")]
    .filter((f) => f.getBoundingClientRect().width > 0);
  const svgTexts = records.filter((r) => r.kind === "text" && r.svg).length;
  return figures.length > 0 && svgTexts >= 5 * figures.length && records.some((r) => r.kind !== "text");
}}"""


def wait_until_drawn(page, element, *, marks: bool = True, timeout_ms: int = 60_000) -> None:
    """Wait until every figure shown under `element` has its axes' ticks and (with `marks`) a mark drawn.

    bqplot draws after the kernel is idle, one update at a time, and JupyterLab
    renders a cell only once it is scrolled into view.
    """
    page.wait_for_function(_ALL_DRAWN, arg=[element.element_handle(), marks], timeout=timeout_ms)


def illegible(page, element, *, timeout_ms: int = 60_000) -> dict[str, list[dict]]:
    """The text and marks under `element` whose contrast with what is behind them is too low.

    Waits until every figure shown is drawn and measurable (title, tick labels
    and a mark), then measures with legibility.js: text below 4.5:1, solid
    marks below 3:1, translucent ones below 1.25:1. Empty lists: all legible.
    """
    wait_until_drawn(page, element, timeout_ms=timeout_ms)
    page.wait_for_function(_MEASURABLE, arg=element.element_handle(), timeout=timeout_ms)
    records = element.evaluate(LEGIBILITY)
    texts = [r for r in records if r["kind"] == "text"]
    marks = [r for r in records if r["kind"] != "text"]
    solid = [r for r in marks if r["kind"] == "mark" and r["alpha"] >= 0.9]
    return {
        "text": [r for r in texts if r["ratio"] < TEXT_CONTRAST],
        "solid marks": [r for r in solid if r["ratio"] < MARK_CONTRAST],
        "translucent marks": [r for r in marks if r["ratio"] < TRANSLUCENT_CONTRAST],
    }
