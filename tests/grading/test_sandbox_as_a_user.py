"""Grading in the sandbox as a normal user, as most instructors run it (CI runs as root).

Run as root, the sandbox drops each kernel to a user id of its own; run by a normal
user, bwrap makes a user namespace instead, and the process cap counts in it. One
grading run of the command line, as user 1000 of a user namespace (``unshare
--map-user``: the files stay those of the user who runs the tests, but the grader
has no capabilities, like any normal user), grades an honest submission and a
fork bomb beside it. Its home is a folder under /tmp, which the sandbox hides
with /tmp itself.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.grading.submissions import IDS, LESSON, TIMEOUT, earned, hostile, make_submissions
from widgets.grading.sandbox import MAX_PROCESSES

pytestmark = pytest.mark.skipif(not shutil.which("/usr/bin/bwrap"), reason="needs bubblewrap")
AS_A_USER = ["unshare", "--user", "--map-user=1000", "--map-group=1000"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("as-a-user")
    folder, source_dir, out, home = root / "submissions", root / "lessons", root / "report", root / "home"
    for path in (folder, source_dir, home):
        path.mkdir()
    shutil.copy(LESSON, source_dir)
    make_submissions(folder)
    hostile(folder, source_dir, out, 9)
    for name in os.listdir(folder):
        if name not in ("full", "forks-many"):
            shutil.rmtree(folder / name)
    command = [*AS_A_USER, sys.executable, "-m", "widgets.grading", "grade", str(folder)]
    command += ["--source", str(source_dir), "--out", str(out), "--timeout", str(TIMEOUT), "--jobs", "2"]
    command += ["--challenge", "4242"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "WIDGETS_"))}
    env["HOME"] = str(home)
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root)
    report = json.loads((out / "grades.json").read_text()) if (out / "grades.json").exists() else {}
    rows = report.get("rows", [])
    return {"code": done.returncode, "stderr": done.stderr, "report": report, "rows": rows, "out": out}


def test_the_grader_is_not_root_here(tmp_path):
    """Does the command prefix make a normal user: uid 1000, no capabilities, no chown?"""
    code = "import os; print(os.geteuid(), open('/proc/self/status').read())"
    probe = [*AS_A_USER, sys.executable, "-c", code]
    out = subprocess.run(probe, capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == "1000"
    assert next(line for line in out.splitlines() if line.startswith("CapEff:")).split()[1] == "0" * 16
    (tmp_path / "mine").write_text("")
    chown = subprocess.run([*AS_A_USER, "chown", "0", str(tmp_path / "mine")], capture_output=True)
    assert chown.returncode != 0


def test_a_normal_user_grades_in_a_sandbox(graded):
    """Does the run exit 0 with the sandbox on?"""
    assert graded["code"] == 0, graded["stderr"][-3000:]
    assert graded["report"]["sandbox"]["max_processes"] == MAX_PROCESSES


def test_the_honest_student_keeps_every_point(graded):
    """Does the full submission score 9 of 9 beside a fork bomb?"""
    assert sum(earned(graded, "full").values()) == 9


def test_the_fork_bomb_is_capped_in_the_user_namespace(graded):
    """Is the fork bomb stopped by the cap, its correct answers still counted?"""
    points = earned(graded, "forks-many")
    assert list(points) == IDS and sum(points.values()) == 9
    text = (graded["out"] / "feedback" / "forks-many.md").read_text()
    assert f"was stopped: it started too many processes (the grader allows {MAX_PROCESSES})" in text
