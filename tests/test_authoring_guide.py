"""docs/authoring.md, followed literally: its cells and files make a lesson that checks, releases and grades.

The guide's blocks tagged ``cell:<kind> [grade_id] [points=N]`` are the
lesson's cells in order, with the nbgrader metadata nbgrader's Create
Assignment panel would set; ``file:<name>`` blocks are written beside it.
"""

import json
import pathlib
import re
import subprocess
import sys

import nbformat
import pytest

from widgets.grading import notebooks

GUIDE = pathlib.Path(__file__).parents[1] / "docs" / "authoring.md"
BLOCK = re.compile(r"^```(\w+) (cell|file):(\S+)(?: (\S+))?(?: points=(\d+))?\n(.*?)^```", re.M | re.S)
LESSON = "03-normal-sample.ipynb"
POINTS = {"l3-sd": 2, "l3-tail": 2, "l3-interval": 1}


def lesson_from_guide(folder: pathlib.Path) -> pathlib.Path:
    """Write the guide's lesson and files into `folder`; return the notebook's path."""
    cells = []
    for language, what, kind, grade_id, points, source in BLOCK.findall(GUIDE.read_text()):
        source = source.rstrip("\n")
        if what == "file":
            (folder / kind).write_text(source + "\n")
            continue
        cell = (
            nbformat.v4.new_markdown_cell(source)
            if language == "markdown"
            else nbformat.v4.new_code_cell(source)
        )
        grade_id = grade_id or f"l3-{kind}-{len(cells)}"
        cell.metadata["nbgrader"] = {
            "grade_id": grade_id,
            "grade": kind == "test",
            "solution": kind == "answer",
            "locked": kind != "answer",
            "schema_version": 3,
            **({"points": int(points)} if kind == "test" else {}),
        }
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / LESSON
    nbformat.write(nb, str(path))
    return path


def kit(*args, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "widgets.grading", *args], capture_output=True, text=True)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    source = root / "my-course"
    source.mkdir()
    lesson_from_guide(source)
    return root


def test_the_guide_holds_a_lesson_with_three_exercises_and_a_reference_module(course):
    source = course / "my-course"
    nb = notebooks.read(source / LESSON)
    tests = {
        notebooks.grade_id(c): notebooks.nbgrader(c)["points"]
        for c in nb.cells
        if notebooks.nbgrader(c).get("grade")
    }
    assert tests == POINTS
    assert (source / "03-normal-sample_reference.py").is_file()


def test_the_source_check_finds_nothing_wrong(course):
    done = kit("check", str(course / "my-course"))
    assert "1 notebook" in done.stdout and "5 points" in done.stdout, done.stdout


def graded(course, submissions: dict[str, nbformat.NotebookNode], name: str) -> dict[str, dict[str, float]]:
    """Grade `submissions` (student -> notebook) with the kit's grader; points per student and grade_id."""
    folder = course / f"submissions-{name}"
    for student, nb in submissions.items():
        (folder / student).mkdir(parents=True)
        nbformat.write(nb, str(folder / student / LESSON))
    out = course / f"report-{name}"
    kit("grade", str(folder), "--source", str(course / "my-course"), "--out", str(out), "--challenge", "7")
    points: dict[str, dict[str, float]] = {}
    for row in json.loads((out / "grades.json").read_text())["rows"]:
        points.setdefault(row["student"], {})[row["grade_id"]] = row["points"]
    return points


def test_release_and_grade_as_the_guide_says(course):
    source = course / "my-course"
    kit("release", str(source), str(course / "student"))
    released = course / "student" / LESSON
    assert released.is_file() and not (course / "student" / "03-normal-sample_reference.py").exists()

    full = notebooks.read(source / LESSON)
    wrong = notebooks.read(source / LESSON)
    for cell in wrong.cells:
        if notebooks.grade_id(cell) == "l3-interval-answer":
            cell.source = 'answer_interval = "A"'
    points = graded(course, {"full": full, "blank": notebooks.read(released), "one-wrong": wrong}, "three")
    assert points["full"] == POINTS
    assert points["blank"] == dict.fromkeys(POINTS, 0)
    assert points["one-wrong"] == {**POINTS, "l3-interval": 0}
