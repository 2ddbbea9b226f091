"""The lessons as nbgrader sources, and the student versions that release writes."""

import json
import pathlib
import re

import pytest

from widgets.grading import notebooks, release
from widgets.grading.__main__ import main
from widgets.grading.grade import execute

LESSONS = sorted((pathlib.Path(__file__).resolve().parents[2] / "lessons").glob("*.ipynb"))


def test_the_lessons_are_numbered_from_one_in_order():
    """Are the lessons NN-words.ipynb, numbered 01, 02, ... with no gap, the tutorial's two first?"""
    names = [p.name for p in LESSONS]
    assert names[:2] == ["01-first-bayesian-model.ipynb", "02-predictive-and-workflow.ipynb"]
    assert all(re.fullmatch(r"\d\d-[a-z0-9]+(-[a-z0-9]+)*\.ipynb", name) for name in names), names
    assert [int(name[:2]) for name in names] == list(range(1, len(names) + 1))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_cell_has_nbgrader_metadata_with_a_unique_grade_id(path):
    """Does every cell carry schema-3 nbgrader metadata, with grade_ids unique in the lesson?"""
    nb = notebooks.read(path)
    ids = [notebooks.grade_id(c) for c in nb.cells]
    assert all(notebooks.nbgrader(c).get("schema_version") == 3 for c in nb.cells)
    assert None not in ids and len(set(ids)) == len(ids)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_at_least_five_exercises_of_three_kinds_each_declared_in_its_test_cell(path):
    """Has each lesson >= 5 graded cells (code, widget, multiple choice), each a lesson.check of its id?"""
    nb = notebooks.read(path)
    tests = [c for c in nb.cells if notebooks.is_test(c)]
    assert len(tests) >= 5
    checks = {}
    for cell in tests:
        gid = notebooks.grade_id(cell)
        assert notebooks.nbgrader(cell)["points"] > 0 and notebooks.is_locked(cell)
        call = notebooks.check_call(cell)
        assert call is not None and call["grade_id"] == gid, cell.source
        assert cell.source.startswith("lesson.check(") and notebooks.BEGIN_HIDDEN not in cell.source
        checks[gid] = call["check"]
    answers = {
        notebooks.grade_id(c).removesuffix("-answer"): c.source for c in nb.cells if notebooks.is_solution(c)
    }
    kinds = set()
    for gid, source in answers.items():
        if checks[gid] == "one_of":
            kinds.add("choice")
        elif re.search(r"(Panel|Priors)\(", source):
            kinds.add("widget")
        else:
            kinds.add("code")
    assert kinds == {"choice", "widget", "code"}


def test_the_multiple_choice_answers_use_different_letters():
    """Are the keys varied (nothing to guess): lessons 1-2's four differ, no letter repeats in a lesson?"""
    letters = {}
    for path in LESSONS:
        nb = notebooks.read(path)
        for cell in filter(notebooks.is_test, nb.cells):
            call = notebooks.check_call(cell)
            if call["check"] == "one_of":
                letters.setdefault(path.stem, []).append(notebooks.solution_value(nb, call["answers"][0]))
    everything = [letter for keys in letters.values() for letter in keys]
    assert len(set(everything[:4])) == 4, letters
    assert all(len(set(keys)) == len(keys) for keys in letters.values() if len(keys) <= 4), letters


def test_release_refuses_a_source_with_hidden_tests(tmp_path):
    """Does release refuse a lesson with a hidden-test region, naming the lesson and the cell?"""
    nb = notebooks.read(LESSONS[0])
    test = next(filter(notebooks.is_test, nb.cells))
    test.source = "### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS\n" + test.source
    (tmp_path / "source").mkdir()
    notebooks.write(nb, tmp_path / "source" / LESSONS[0].name)
    with pytest.raises(ValueError, match=rf"{LESSONS[0].name} \[l1-model\]: hidden-test regions"):
        release.release(tmp_path / "source", tmp_path / "out")


def plain_value(cell) -> str:
    """The cell's value as plain text (its execute_result), or ''."""
    return "".join(
        o["data"]["text/plain"] for o in cell.get("outputs", []) if o.output_type == "execute_result"
    )


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_source_scores_full_marks(path):
    """Does the stored run of the source lesson (re-checked by nbval) give every check its points?"""
    nb = notebooks.read(path)
    total = sum(notebooks.nbgrader(c)["points"] for c in nb.cells if notebooks.is_test(c))
    assert f"provisional score {total} of {total} points" in plain_value(nb.cells[-1])
    for cell in filter(notebooks.is_test, nb.cells):
        # What nbgrader reads as the cell's partial credit: the points, as a number.
        assert plain_value(cell) == str(notebooks.nbgrader(cell)["points"])


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("released")
    assert main(["release", str(LESSONS[0].parent), str(out)]) == 0
    return out


def test_release_writes_one_student_version_per_lesson(released):
    """Does release write a student version of every lesson?"""
    assert sorted(p.name for p in released.glob("*.ipynb")) == [p.name for p in LESSONS]


@pytest.mark.parametrize("index", range(len(LESSONS)), ids=[p.stem[:2] for p in LESSONS])
def test_released_versions_hold_no_solutions_hidden_tests_or_outputs(released, index):
    """Is every solution line gone, every output cleared, and every multiple-choice key a salted digest?"""
    source = notebooks.read(LESSONS[index])
    student = notebooks.read(released / LESSONS[index].name)
    text = "\n".join(c.source for c in student.cells)
    assert len(release.secret_lines([source])) >= 6
    assert release.leak_scan(released, LESSONS[0].parent) == []
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    assert [notebooks.grade_id(c) for c in student.cells] == [notebooks.grade_id(c) for c in source.cells]
    for cell in filter(notebooks.is_test, student.cells):
        call = notebooks.check_call(cell)
        key = notebooks.solution_value(source, call["answers"][0]) if call["check"] == "one_of" else None
        if key is not None:
            stored = cell.metadata["widgets"]
            assert stored["sha256"] == notebooks.digest(key, stored["salt"]) and key not in json.dumps(stored)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.mark.parametrize("index", range(len(LESSONS)), ids=[p.stem[:2] for p in LESSONS])
def test_a_fresh_release_runs_top_to_bottom_saying_not_answered(released, index, request):
    """Run All on a fresh release: no error, every panel shown, every exercise 'not answered', 0 points?

    Lesson 1 runs in a cold kernel (no compilation cache), as a student's very first Run All does.
    """
    if index == 0:
        request.getfixturevalue("cold_kernels")
    nb = notebooks.read(released / LESSONS[index].name)
    assert execute(nb, timeout=600, path=released) == "completed"
    code = [c for c in nb.cells if c.cell_type == "code"]
    problems = [
        (c.source, o)
        for c in code
        for o in c.outputs
        if o.output_type == "error" or o.get("name") == "stderr"
    ]
    assert not problems
    assert all(c.execution_count for c in code)  # every cell ran
    panels = [c for c in code if re.match(r"\w*Panel\(", c.source.splitlines()[-1])]
    assert len(panels) >= 1 and all(WIDGET_VIEW in c.outputs[-1]["data"] for c in panels)
    tests = [c for c in nb.cells if notebooks.is_test(c)]
    for cell in tests:
        assert plain_value(cell) == "0"
        assert "Not answered yet" in cell.outputs[-1]["data"]["text/html"]
    summary = plain_value(nb.cells[-1])
    assert "provisional score 0 of 9 points" in summary
    assert summary.count("not answered yet") == len(tests)


def test_release_refuses_to_overwrite_the_sources(tmp_path):
    """Does release refuse OUT_DIR == SOURCE_DIR and an empty SOURCE_DIR, with exit code 2?"""
    with pytest.raises(ValueError, match="overwrite the solutions"):
        release.release(LESSONS[0].parent, LESSONS[0].parent)
    assert main(["release", str(tmp_path), str(tmp_path / "out")]) == 2


def test_solution_regions_keep_indentation():
    """Is a solution inside a function replaced by an indented stub?"""
    cell = notebooks.nbformat.v4.new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION",
        metadata={
            "nbgrader": {
                "solution": True,
                "grade_id": "f",
                "grade": False,
                "locked": False,
                "schema_version": 3,
            }
        },
    )
    notebooks.clear_solutions(cell)
    assert cell.source == "def f(x):\n    # YOUR CODE HERE\n    ..."


def test_a_top_level_solution_leaves_a_comment_that_runs_silently():
    """Is a solution at the top of a cell replaced by the comment alone (nothing shown, names undefined)?"""
    cell = notebooks.nbformat.v4.new_code_cell(
        "# answer = a letter\n### BEGIN SOLUTION\nanswer = 'B'\n### END SOLUTION",
        metadata={"nbgrader": {"solution": True, "grade_id": "q", "grade": False, "locked": False}},
    )
    notebooks.clear_solutions(cell)
    assert cell.source == "# answer = a letter\n# YOUR CODE HERE"
