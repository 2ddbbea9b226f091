"""Grading a folder of submissions made from lesson 1: blank, full, partial, broken, tampered.

One sandboxed grading run of the command line covers every submission, shared with
``test_sandbox`` (``graded_lesson_1`` in ``conftest.py``: the hostile students of that module
are graded in the same run); each test asks one question of it. No student submitted lesson 2.
"""

import re

import nbformat
import pytest

from tests.grading.submissions import HOSTILE, IDS, LESSON, LESSONS
from tests.grading.test_author import code, lesson, write_folder
from widgets.grading.grade import grade


@pytest.fixture
def graded(graded_lesson_1):
    return graded_lesson_1


def points(graded, student):
    mine = {
        r["grade_id"]: r for r in graded["rows"] if r["student"] == student and r["lesson"] == LESSON.stem
    }
    assert list(mine) == IDS, f"{student} has rows {list(mine)}"
    return {gid: r["points"] for gid, r in mine.items()}, {gid: r["reason"] for gid, r in mine.items()}


def test_grading_succeeds_and_never_modifies_submissions(graded):
    """Does the run exit 0, and are the submission files byte for byte unchanged?"""
    assert graded["code"] == 0, graded["stderr"][-3000:]
    assert graded["before"]["submissions"] == graded["after"]["submissions"]


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
    # The hostile students' feedback ends a sentence in a colon before the sandbox's list of notes.
    texts += [p.read_text() for p in (graded["out"] / "feedback").glob("*.md") if p.stem not in HOSTILE]
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
    assert len(csv_lines) == 1 + len(graded["students"]) * (6 + 6)  # lesson 2's rows: not submitted
    feedback = (graded["out"] / "feedback" / "partial.md").read_text()
    assert "l1-model: 0 / 2" in feedback and "Hint:" in feedback
    for path in (graded["out"] / "feedback").glob("*.md"):
        text = path.read_text()
        assert "lesson.check" not in text and "HIDDEN" not in text


def test_a_source_lesson_slower_than_the_timeout_still_gives_its_references(tmp_path):
    """Does --timeout limit only the students, so that a slow source lesson does not fail the grade?

    The tiny lesson of test_author sleeps 10 s; with a 5 s timeout its source run still
    gives the references, and the same notebook submitted by a student runs out of time.
    """
    nb = lesson()
    nb.cells.insert(2, code("l9-slow", "import time\n\ntime.sleep(10)"))
    source = write_folder(tmp_path / "source", nb)
    (tmp_path / "submissions" / "slow").mkdir(parents=True)
    nbformat.write(nb, str(tmp_path / "submissions" / "slow" / "09-a.ipynb"))
    rows = grade(tmp_path / "submissions", source, tmp_path / "out", timeout=5, challenge=1, progress=False)
    assert {row.grade_id: row.points for row in rows} == {"l9-mean": 0, "l9-choice": 0}
    assert all("ran out of time (5 s)" in row.reason for row in rows), [row.reason for row in rows]
