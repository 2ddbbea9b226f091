"""The path a student walks, in a real JupyterLab and Chromium, with the mouse and keyboard.

The lessons are released as a student gets them (solutions stubbed, hidden
tests removed), opened in JupyterLab and run with "Run All Cells". Then the
test answers as a student would: types a wrong and then a right answer and
reads the feedback, changes FitPanel's samples, presses Fit, copies the
panel's code line into the answer cell with the clipboard, drags a prior
slider to both ends, and moves a slider from the keyboard alone.
"""

from __future__ import annotations

import pathlib
import re

import nbformat
import pytest

from tests.browser import lab
from widgets.grading import notebooks, release

SOURCE = sorted((lab.ROOT / "lessons").glob("*.ipynb"))


def solution(lesson: pathlib.Path, grade_id: str) -> str:
    """The source lesson's answer to `grade_id`: the lines between the solution markers."""
    for cell in nbformat.read(str(lesson), as_version=4).cells:
        if notebooks.grade_id(cell) == f"{grade_id}-answer":
            inside = re.search(r"### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION", cell.source, re.S)
            return inside[1]
    raise LookupError(f"{lesson.name} has no answer cell for {grade_id}")


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> list[pathlib.Path]:
    return release.release(lab.ROOT / "lessons", tmp_path_factory.mktemp("student"))


@pytest.fixture(scope="module")
def student_lab(released):
    with lab.JupyterLab(released) as server:
        yield server


class StudentPage:
    """A released lesson open in JupyterLab, and what the page logged."""

    def __init__(self, page, console: list[str]):
        self.page, self.console = page, console

    def cell(self, pattern: str):
        """The code cell whose source matches `pattern` (a regular expression)."""
        cells = [cell for source, cell in lab.code_cells(self.page) if re.search(pattern, source)]
        assert len(cells) == 1, f"{len(cells)} cells match {pattern!r}"
        return cells[0]

    def output(self, cell) -> str:
        """The text of `cell`'s outputs."""
        return cell.locator(".jp-OutputArea").text_content()

    def answer(self, pattern: str, text: str, *, pasted: str = "") -> str:
        """Replace the answer cell matching `pattern` by `text`, run it and its check; return the feedback.

        With `pasted`, `text` is typed and then the clipboard (holding `pasted`) goes in with Ctrl+V.
        """
        editor = self.cell(pattern).locator(".cm-content")
        editor.click()
        self.page.keyboard.press("Control+A")
        # insert_text, not type: CodeMirror would add closing brackets and indents as it is typed.
        self.page.keyboard.insert_text(text)
        if pasted:
            self.page.keyboard.press("Control+V")
        self.page.wait_for_function(
            "([e, t]) => e.textContent.replace(/\\s/g, '') === t.replace(/\\s/g, '')",
            arg=[editor.element_handle(), text + pasted],
        )
        self.run_selected(2, editor)  # the answer; then the check below it, which Shift+Enter selected
        check = self.page.locator(".jp-Notebook .jp-CodeCell").nth(self._index(editor) + 1)
        return self.output(check)

    def run_selected(self, cells: int, editor) -> None:
        """Press Shift+Enter `cells` times from `editor` and wait until those cells have run."""
        target = self._prompts() + cells
        for _ in range(cells):
            self.page.keyboard.press("Shift+Enter")
        self.page.wait_for_function(
            "(n) => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]"
            ".some((p) => parseInt((p.textContent.match(/\\d+/) || ['0'])[0]) >= n) && "
            "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
            arg=target,
            timeout=180_000,
        )

    def _prompts(self) -> int:
        """The highest execution count shown so far."""
        return self.page.locator(".jp-CodeCell .jp-InputArea-prompt").evaluate_all(
            "(ps) => Math.max(0, ...ps.map((p) => parseInt((p.textContent.match(/\\d+/) || ['0'])[0])))"
        )

    def _index(self, editor) -> int:
        return editor.evaluate(
            "(e) => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')]"
            ".indexOf(e.closest('.jp-CodeCell'))"
        )


def _open(browser, student_lab, name: str):
    context = browser.new_context(viewport=lab.VIEWPORT, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    lab.open_notebook(page, student_lab, f"lessons/{name}")
    lab.run_all_cells(page)
    return context, StudentPage(page, console)


@pytest.fixture(scope="module")
def lesson_one(browser, student_lab):
    context, page = _open(browser, student_lab, SOURCE[0].name)
    yield page
    context.close()


@pytest.fixture(scope="module")
def lesson_two(browser, student_lab):
    context, page = _open(browser, student_lab, SOURCE[1].name)
    yield page
    context.close()


def _reached_the_end(lesson: StudentPage) -> None:
    page = lesson.page
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt").all_text_contents()
    counts = [int(re.search(r"\d+", p)[0]) for p in prompts]
    assert counts == list(range(1, len(counts) + 1))  # every cell ran, in order
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert page.get_by_text("Traceback").count() == 0
    assert page.get_by_text("Error displaying widget").count() == 0
    checks = [cell for source, cell in lab.code_cells(page) if source.startswith("lesson.check(")]
    assert checks
    for cell in checks:
        assert re.search(r"not answered yet", lesson.output(cell), re.I), lesson.output(cell)
    summary = lesson.output(lesson.cell(r"^lesson\.summary\(\)"))
    assert re.search(r"\b0 of \d+ points", summary), summary


@pytest.mark.parametrize("name", ["lesson_one", "lesson_two"])
def test_run_all_on_a_fresh_release_reaches_the_end(request, name):
    """Every cell runs; each open exercise says 'not answered yet'; the score is 0."""
    lesson = request.getfixturevalue(name)
    _reached_the_end(lesson)
    # Every panel draws its figures although nothing is answered.
    assert lesson.page.locator(".bqplot.figure").count() >= 3


def test_a_wrong_then_a_right_answer(lesson_one):
    feedback = lesson_one.answer(r"answer_rhat =", 'answer_rhat = "D"')
    assert re.search(r"not yet", feedback, re.I) and "Hint" in feedback, feedback
    right = solution(SOURCE[0], "l1-rhat")
    assert right.strip() != 'answer_rhat = "D"'
    feedback = lesson_one.answer(r"answer_rhat =", right)
    assert re.search(r"correct", feedback, re.I) and not re.search(r"not yet", feedback, re.I), feedback


def test_fit_panel_new_samples_fit_and_copy_the_code_line(lesson_one):
    """Answer the data, re-run the panel, lower samples, Fit, paste the code line: full points."""
    page = lesson_one.page
    feedback = lesson_one.answer(r"# x_data: 80 values", solution(SOURCE[0], "l1-data"))
    assert re.search(r"correct", feedback, re.I) and not re.search(r"not yet|stand-in", feedback, re.I), (
        feedback
    )
    panel = lesson_one.cell(r"^FitPanel\(x_data, y_data")
    editor = panel.locator(".cm-content")
    editor.click()
    lesson_one.run_selected(1, editor)  # the panel again, now on the student's own data
    wanted = int(re.search(r"num_samples=(\d+)", solution(SOURCE[0], "l1-fit-panel"))[1])
    samples = panel.get_by_label("samples", exact=True)
    samples.fill(str(wanted))
    samples.press("Enter")
    panel.get_by_role("button", name="Fit").click()
    panel.locator("table").wait_for(timeout=180_000)
    code = panel.locator(".widget-text input").last
    page.wait_for_function(
        "([i, n]) => i.value.includes(`num_samples=${n},`)",
        arg=[code.element_handle(), wanted],
        timeout=15_000,
    )
    line = code.input_value()
    assert line.startswith("FitPanel(x_data, y_data, "), line
    code.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Control+C")
    feedback = lesson_one.answer(r"# fit_settings = ", "fit_settings = ", pasted=line)
    assert re.search(r"correct", feedback, re.I) and not re.search(r"not yet|error", feedback, re.I), feedback


# The code line's prior on a and the slider's readout agree (the readout rounds to its step).
_SCALE_AGREES = """([slider, code]) => {
  const shown = parseFloat(slider.querySelector(".widget-readout").textContent);
  const match = code.value.match(/a=dist\\.\\w+\\([^)]*scale=([-\\d.e]+)/);
  return match !== null && Math.abs(parseFloat(match[1]) - shown) < 1e-6 + 0.5 * 10 ** -2;
}"""


def _prior_panel(lesson: StudentPage):
    cell = lesson.cell(r"^PriorPanel\(\)")
    cell.scroll_into_view_if_needed()
    slider = cell.locator(".widget-slider", has=lesson.page.get_by_text("a: scale", exact=True))
    return cell, slider, cell.locator(".widget-text input").last


def test_drag_a_prior_slider_to_both_ends(lesson_two):
    """At either end the prior stays valid, and picture, readout and code line agree."""
    page = lesson_two.page
    cell, slider, code = _prior_panel(lesson_two)
    handle = slider.locator(".noUi-handle")
    ends = []
    for dx in (-600, 600):
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + dx, y, steps=10)
        page.mouse.up()
        # The handle is at the slider's end: its value is the minimum or the maximum.
        page.wait_for_function(
            """([h, dx]) => h.getAttribute("aria-valuenow")
                 === h.getAttribute(dx < 0 ? "aria-valuemin" : "aria-valuemax")""",
            arg=[handle.element_handle(), dx],
            timeout=15_000,
        )
        page.wait_for_function(
            _SCALE_AGREES, arg=[slider.element_handle(), code.element_handle()], timeout=15_000
        )
        ends.append(float(slider.locator(".widget-readout").text_content()))
        assert cell.locator(".widget-html", has_text=re.compile(r"must be|unexpected", re.I)).count() == 0
    low, high = ends
    assert 0 < low < high


def test_tab_to_a_slider_and_move_it_with_the_arrow_keys(lesson_two):
    """The handle has an accessible name, Tab reaches it, the arrow keys move it and the code line follows."""
    page = lesson_two.page
    cell, slider, code = _prior_panel(lesson_two)
    handle = cell.get_by_role("slider", name="a: scale", exact=True)
    before = float(handle.get_attribute("aria-valuenow"))
    cell.get_by_label("a family", exact=True).focus()  # the control just before it
    for _ in range(10):
        page.keyboard.press("Tab")
        if handle.evaluate("(h) => h === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the 'a: scale' slider handle")
    # Two steps towards whichever end is further (an earlier test may have left it at one).
    low, high = (float(handle.get_attribute(f"aria-value{end}")) for end in ("min", "max"))
    key, moved = ("ArrowRight", "> v") if high - before > before - low else ("ArrowLeft", "< v")
    page.keyboard.press(key)
    page.keyboard.press(key)
    page.wait_for_function(
        f"([h, v]) => parseFloat(h.getAttribute('aria-valuenow')) {moved}",
        arg=[handle.element_handle(), before],
        timeout=15_000,
    )
    page.wait_for_function(
        _SCALE_AGREES, arg=[slider.element_handle(), code.element_handle()], timeout=15_000
    )
