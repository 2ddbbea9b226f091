"""Grading hostile submissions in the sandbox, beside honest ones, in one run.

Each hostile notebook is lesson 1 with its solutions and one small extra cell that tries
to write into the source folder, the report folder or another student's submission, read the
source's solutions, reach the network, start many processes or take far more memory than the
cap (``tests/grading/submissions.py``). One sandboxed grading run of the command line grades
them all beside the students of ``test_grade``, which shares it (``graded_lesson_1`` in
``conftest.py``); each test asks one question of it.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from tests.grading.submissions import IDS, LESSON, MEMORY_MB, earned
from widgets.grading.sandbox import MAX_PROCESSES

pytestmark = pytest.mark.skipif(not shutil.which("/usr/bin/bwrap"), reason="needs bubblewrap")


@pytest.fixture
def graded(graded_lesson_1):
    return graded_lesson_1


def feedback(graded, student):
    return (graded["out"] / "feedback" / f"{student}.md").read_text()


def test_the_run_succeeds_without_tcp_warnings(graded):
    """Does the sandboxed run exit 0, with no 'without encryption' warning reaching the instructor?"""
    assert graded["code"] == 0, graded["stderr"][-3000:]
    assert "without encryption" not in graded["stderr"] + graded["stdout"]
    assert "Warning" not in graded["stderr"], graded["stderr"][-3000:]
    assert "Ctrl-C" not in graded["stdout"]
    assert graded["report"]["sandbox"] == {"memory_mb": MEMORY_MB, "max_processes": MAX_PROCESSES}


def test_no_file_outside_the_scratch_folders_changes(graded):
    """Are the source, the submissions and the home folder unchanged, and the report only the grader's?"""
    assert graded["after"]["submissions"] == graded["before"]["submissions"]
    assert graded["after"]["lessons"] == graded["before"]["lessons"]
    assert graded["before"]["report"] == {}
    assert set(STUDENTS) <= set(graded["students"])
    assert sorted(graded["after"]["report"]) == ["feedback/" + s + ".md" for s in graded["students"]] + [
        "grades.csv",
        "grades.json",
    ]
    assert graded["home"][0] == graded["home"][1]
    assert not pathlib.Path("/tmp/pwned.txt").exists() and not pathlib.Path("/work/pwned.txt").exists()


STUDENTS = [
    "allocates-in-many-processes",
    "allocates-too-much",
    "blank",
    "forks-many",
    "full",
    "opens-network",
    "partial",
    "reads-solutions",
    "writes-files",
]


def test_honest_students_keep_their_points(graded):
    """Do the source and the honest students keep their points (9, 0, 6) with hostile ones beside them?"""
    assert sum(earned(graded, "full").values()) == 9
    assert sum(earned(graded, "blank").values()) == 0
    assert sum(earned(graded, "partial").values()) == 6


@pytest.mark.parametrize(
    "student",
    ["writes-files", "opens-network", "forks-many", "allocates-too-much", "allocates-in-many-processes"],
)
def test_hostile_cells_fail_and_the_answers_still_count(graded, student):
    """Does each hostile notebook keep the points of its (correct) answers, its extra cell gaining nothing?"""
    assert earned(graded, student) == dict.fromkeys(IDS, 0) | {
        "l1-model": 2,
        "l1-data": 1,
        "l1-posterior-mean": 2,
        "l1-rhat": 1,
        "l1-ess": 1,
        "l1-fit-panel": 2,
    }


def test_the_source_and_other_submissions_cannot_be_read(graded):
    """Does a notebook that runs the solutions it finds in the source folder find none, and score 0?"""
    assert sum(earned(graded, "reads-solutions").values()) == 0
    assert "outside its own folder" in feedback(graded, "reads-solutions")


def test_no_connection_reaches_the_machine(graded):
    """Does nothing connect to a server listening on the grader's 127.0.0.1?"""
    assert graded["reached"] == []
    assert "tried to open a network connection" in feedback(graded, "opens-network")


@pytest.mark.parametrize(
    ("student", "words"),
    [
        ("writes-files", "tried to reach files outside its own folder"),
        ("forks-many", f"was stopped: it started too many processes (the grader allows {MAX_PROCESSES})"),
        ("allocates-too-much", f"tried to use more memory than the {MEMORY_MB} MB the grader allows"),
        (
            "allocates-in-many-processes",
            f"tried to use more memory than the {MEMORY_MB} MB the grader allows",
        ),
    ],
)
def test_feedback_says_what_stopped_the_notebook(graded, student, words):
    """Does each hostile notebook's feedback say, in words, what the sandbox stopped?"""
    assert words in feedback(graded, student)


def test_honest_feedback_has_no_sandbox_notes(graded):
    """Is the feedback of the honest students free of sandbox notes?"""
    for student in ("full", "blank", "partial"):
        assert "sandbox" not in feedback(graded, student)


def test_without_bubblewrap_grading_refuses_unless_told(tmp_path, cold_kernels):
    """Without bwrap, does grade refuse saying what to install, and --no-sandbox grade and say so?

    Its kernels start cold (no compilation cache): the grader's unsandboxed path as a first run meets it.
    """
    folder, source_dir = tmp_path / "submissions", tmp_path / "lessons"
    for path in (folder / "full", source_dir):
        path.mkdir(parents=True)
        shutil.copy(LESSON, path)
    command = [sys.executable, "-m", "widgets.grading", "grade", str(folder), "--source", str(source_dir)]
    # No student here loops: a timeout far above a cold run's, so that a loaded machine cannot fail it.
    command += ["--out", str(tmp_path / "report"), "--timeout", "900", "--jobs", "2"]
    env = os.environ | {"WIDGETS_BWRAP": str(tmp_path / "no-bwrap-here")}
    refused = subprocess.run(command, capture_output=True, text=True, env=env)
    assert refused.returncode == 2
    assert "apt-get install bubblewrap" in refused.stderr and "--no-sandbox" in refused.stderr
    assert not (tmp_path / "report" / "grades.csv").exists()
    done = subprocess.run(command + ["--no-sandbox"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((tmp_path / "report" / "grades.json").read_text())["sandbox"] is False
    text = (tmp_path / "report" / "feedback" / "full.md").read_text()
    assert "Graded without a sandbox" in text and f"## {LESSON.stem}: 9 of 9 points" in text
