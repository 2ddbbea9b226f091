"""Grading a folder of submissions made from lesson 1: blank, full, partial, broken, tampered.

One grading run of the command line (module fixture) covers every submission; each test asks
one question of it. No student submitted lesson 2.
"""

import hashlib
import json
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from tests.grading.test_lessons_and_release import LESSONS
from widgets.grading import notebooks
from widgets.grading.release import release_notebook

LESSON = LESSONS[0]
IDS = ["l1-model", "l1-data", "l1-posterior-mean", "l1-rhat", "l1-ess", "l1-fit-panel"]
TIMEOUT = 150


def cell_index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if notebooks.grade_id(c) == grade_id)


def replace_answer(nb, grade_id, source):
    nb.cells[cell_index(nb, grade_id + "-answer")].source = source


def add_after(nb, grade_id, source):
    nb.cells.insert(cell_index(nb, grade_id) + 1, nbformat.v4.new_code_cell(source))


WRONG_MODEL = (
    "def my_model(x, y=None):\n"
    "    a = numpyro.sample('a', dist.Normal(0.0, 2.0))\n"
    "    b = numpyro.sample('b', dist.Normal(1.0, 2.0))\n"
    "    sigma = numpyro.sample('sigma', dist.HalfNormal(1.0))\n"
    "    numpyro.sample('y', dist.Normal(a * x + b, sigma), obs=y)"
)


def make_submissions(folder):
    source = notebooks.read(LESSON)
    full = nbformat.from_dict(source)

    def student(name, nb=None, text=None):
        (folder / name).mkdir()
        path = folder / name / LESSON.name
        if text is not None:
            path.write_text(text)
        else:
            nbformat.write(nb, str(path))

    student("full", full)
    student("blank", release_notebook(source))

    partial = nbformat.from_dict(source)
    replace_answer(partial, "l1-model", WRONG_MODEL)
    replace_answer(partial, "l1-rhat", 'answer_rhat = "A"')
    student("partial", partial)

    student("broken", text="{ this is not a notebook")

    redefines = nbformat.from_dict(source)
    replace_answer(redefines, "l1-model", WRONG_MODEL)
    add_after(
        redefines,
        "l1-model-answer",
        "import widgets.exercises, widgets.exercises.context as context, widgets.grading.compare as compare\n"
        "lesson.check = lambda *a, **k: print('[l1-model] Correct: 2 points.')\n"
        "compare.verdict = lambda *a, **k: (True, 'right')\n"
        "context.record = lambda entry: None",
    )
    student("redefines-checks", redefines)

    allclose = nbformat.from_dict(source)
    replace_answer(allclose, "l1-model", WRONG_MODEL)
    add_after(
        allclose,
        "l1-model-answer",
        "import numpy\nnumpy.allclose = lambda *a, **k: True\nnumpy.isfinite = lambda *a, **k: True",
    )
    student("patches-allclose", allclose)

    adds_check = nbformat.from_dict(source)
    replace_answer(adds_check, "l1-model", WRONG_MODEL)
    add_after(
        adds_check,
        "l1-model",
        "forged = linear_regression  # the kit's model, not the student's\n"
        'lesson.check("l1-model", "forged", same_draws(linear_regression, sites=["a", "b", "sigma", "y"]))',
    )
    student("adds-a-check", adds_check)

    edits_tests = nbformat.from_dict(source)
    replace_answer(edits_tests, "l1-rhat", 'answer_rhat = "D"')
    del edits_tests.cells[cell_index(edits_tests, "l1-rhat")]
    edits_tests.cells[cell_index(edits_tests, "l1-ess")].source = "print('[l1-ess] Correct')"
    notebooks.nbgrader(edits_tests.cells[cell_index(edits_tests, "l1-ess")])["points"] = 100
    student("deletes-and-edits-tests", edits_tests)

    loops = nbformat.from_dict(source)
    add_after(loops, "l1-ess", "while True:\n    pass")
    student("loops-forever", loops)

    exits = nbformat.from_dict(source)
    add_after(exits, "l1-rhat", "import os\nos._exit(1)")
    student("calls-os-exit", exits)

    floods = nbformat.from_dict(source)
    add_after(floods, "l1-data", "for _ in range(20_000):\n    print('x' * 2_000)")
    student("prints-megabytes", floods)


def digest(folder):
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*.ipynb"))}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    make_submissions(folder)
    before = digest(folder)
    out = tmp_path_factory.mktemp("report")
    # The course of the first two lessons: each student hands in lesson 1 and forgets lesson 2.
    source = tmp_path_factory.mktemp("source")
    for lesson in LESSONS[:2]:
        shutil.copy(lesson, source)
    done = subprocess.run(
        [sys.executable, "-m", "widgets.grading", "grade", str(folder), "--source", str(source)]
        + ["--out", str(out), "--timeout", str(TIMEOUT), "--jobs", "2", "--challenge", "4242"],
        capture_output=True,
        text=True,
    )
    rows = json.loads((out / "grades.json").read_text())["rows"]
    return {
        "code": done.returncode,
        "stdout": done.stdout,
        "stderr": done.stderr,
        "rows": rows,
        "out": out,
        "before": before,
        "after": digest(folder),
    }


def points(graded, student):
    mine = {
        r["grade_id"]: r for r in graded["rows"] if r["student"] == student and r["lesson"] == LESSON.stem
    }
    assert list(mine) == IDS, f"{student} has rows {list(mine)}"
    return {gid: r["points"] for gid, r in mine.items()}, {gid: r["reason"] for gid, r in mine.items()}


def test_grading_succeeds_and_never_modifies_submissions(graded):
    """Does the run exit 0, and are the submission files byte for byte unchanged?"""
    assert graded["code"] == 0, graded["stderr"][-3000:]
    assert graded["before"] == graded["after"]


def test_full_marks_for_the_source_and_zero_for_blank(graded):
    """Does the source (with solutions) get every point and the released version none?"""
    assert sum(points(graded, "full")[0].values()) == 9
    assert sum(points(graded, "blank")[0].values()) == 0


def test_blank_answers_read_as_not_answered_not_as_errors(graded):
    """Does every exercise of the released version say 'not answered yet', stand-ins and all?"""
    _, reasons = points(graded, "blank")
    assert all(r.startswith("not answered yet") for r in reasons.values()), reasons
    assert "stand-in" in reasons["l1-model"] and "stand-in" in reasons["l1-data"]


def test_a_missing_lesson_is_named_in_the_csv_the_feedback_and_the_summary(graded):
    """Does each student's lesson 2, never submitted, get rows saying so, a feedback section and a note?"""
    lesson2 = LESSONS[1].stem
    for student in ("full", "blank", "broken"):
        rows = [r for r in graded["rows"] if r["student"] == student and r["lesson"] == lesson2]
        assert len(rows) == 6 and all(r["points"] == 0 for r in rows)
        assert all(r["reason"].startswith(f"not submitted: no {lesson2}.ipynb") for r in rows)
    csv_text = (graded["out"] / "grades.csv").read_text()
    assert f"full,{lesson2},l2-priors,0.0,2.0,not submitted" in csv_text
    feedback = (graded["out"] / "feedback" / "full.md").read_text()
    assert f"## {lesson2}: not submitted, 0 of 9 points" in feedback
    assert re.search(
        r"^full: 9 of 18 points \(not submitted: 02-predictive-and-workflow\)$", graded["stdout"], re.M
    )


def test_no_reason_ends_in_an_empty_exception_message(graded):
    """Does no reason or hint read like 'raised NotImplementedError: .' or end in '?.'?"""
    texts = [r["reason"] for r in graded["rows"]]
    texts += [p.read_text() for p in (graded["out"] / "feedback").glob("*.md")]
    assert not [t for t in texts if re.search(r":\s*[.)]|:\s*$|[?!.]\.", t, re.M)]


def test_kernels_talk_over_ipc_so_no_tcp_warning_reaches_the_instructor(graded):
    """Is the grader's output free of ipykernel's 'running over TCP without encryption' warning?"""
    assert "without encryption" not in graded["stderr"] + graded["stdout"]
    assert "Warning" not in graded["stderr"], graded["stderr"][-3000:]


def test_partial_gets_what_it_earned(graded):
    """Do a wrong model and a wrong choice lose exactly their points?"""
    earned, reasons = points(graded, "partial")
    assert earned == {
        "l1-model": 0,
        "l1-data": 1,
        "l1-posterior-mean": 2,
        "l1-rhat": 0,
        "l1-ess": 1,
        "l1-fit-panel": 2,
    }
    assert "draws of b differ" in reasons["l1-model"]
    feedback = (graded["out"] / "feedback" / "partial.md").read_text()
    assert "Hint: `a` is right; look at `b`" in feedback  # the hint for what the check found


def test_unreadable_notebook_scores_zero_with_a_reason(graded):
    """Does a file that is not a notebook get 0 everywhere and say why?"""
    earned, reasons = points(graded, "broken")
    assert sum(earned.values()) == 0
    assert all("could not be read" in r for r in reasons.values())


@pytest.mark.parametrize("student", ["redefines-checks", "patches-allclose"])
def test_patching_the_kernel_gains_nothing(graded, student):
    """Does a wrong model stay wrong, and no score rise, if the notebook redefines the checks or numpy?"""
    earned, _ = points(graded, student)
    honest, _ = points(graded, "partial")
    assert earned["l1-model"] == 0
    assert sum(earned.values()) <= sum(honest.values()) + 1  # partial also lost l1-rhat's point


def test_a_check_the_student_adds_is_ignored(graded):
    """Does a lesson.check call the student adds (on the kit's own model) not count for l1-model?"""
    earned, reasons = points(graded, "adds-a-check")
    assert earned == {
        "l1-model": 0,
        "l1-data": 1,
        "l1-posterior-mean": 2,
        "l1-rhat": 1,
        "l1-ess": 1,
        "l1-fit-panel": 2,
    }
    assert "draws of b differ" in reasons["l1-model"]


def test_deleted_and_edited_test_cells_are_restored(graded):
    """Is a deleted test cell restored (its wrong answer graded), and an edited one's points not raised?"""
    earned, reasons = points(graded, "deletes-and-edits-tests")
    assert earned["l1-rhat"] == 0 and reasons["l1-rhat"] == "not that one"
    assert earned["l1-ess"] == 1
    mine = [
        r for r in graded["rows"] if r["student"] == "deletes-and-edits-tests" and r["lesson"] == LESSON.stem
    ]
    assert sum(r["max_points"] for r in mine) == 9


def test_a_loop_forever_keeps_earlier_points(graded):
    """Does a notebook that never ends keep the points before the loop and say it ran out of time?"""
    earned, reasons = points(graded, "loops-forever")
    assert earned == {
        "l1-model": 2,
        "l1-data": 1,
        "l1-posterior-mean": 2,
        "l1-rhat": 1,
        "l1-ess": 1,
        "l1-fit-panel": 0,
    }
    assert "ran out of time" in reasons["l1-fit-panel"]


def test_os_exit_keeps_earlier_points(graded):
    """Does a notebook that kills its kernel keep the points earned before and say the kernel died?"""
    earned, reasons = points(graded, "calls-os-exit")
    assert earned == {
        "l1-model": 2,
        "l1-data": 1,
        "l1-posterior-mean": 2,
        "l1-rhat": 1,
        "l1-ess": 0,
        "l1-fit-panel": 0,
    }
    assert "kernel died" in reasons["l1-ess"]


def test_megabytes_of_output_do_not_stop_grading(graded):
    """Does a notebook printing 40 MB still get all its points?"""
    assert sum(points(graded, "prints-megabytes")[0].values()) == 9


def test_reports_and_feedback_files(graded):
    """Are grades.csv rows complete, and do feedback files give hints without hidden test code?"""
    csv_lines = (graded["out"] / "grades.csv").read_text().splitlines()
    assert csv_lines[0] == "student,lesson,grade_id,points,max_points,reason"
    assert len(csv_lines) == 1 + 11 * (6 + 6)  # lesson 2's rows say it was not submitted
    feedback = (graded["out"] / "feedback" / "partial.md").read_text()
    assert "l1-model: 0 / 2" in feedback and "Hint:" in feedback
    for path in (graded["out"] / "feedback").glob("*.md"):
        text = path.read_text()
        assert "lesson.check" not in text and "HIDDEN" not in text
