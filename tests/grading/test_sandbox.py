"""Grading hostile submissions in the sandbox, beside honest ones, in one run.

Each hostile notebook is lesson 1 with its solutions and one small extra cell that tries
to write into the source folder, the report folder or another student's submission, read the
source's solutions, reach the network, start many processes or take far more memory than the
cap. One grading run of the command line (module fixture) grades them all, with a copy of
lesson 1 as the source; each test asks one question of it.
"""

import hashlib
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading

import nbformat
import pytest

from tests.grading.test_grade import IDS, LESSON, TIMEOUT, add_after, make_submissions
from widgets.grading import notebooks
from widgets.grading.release import release_notebook
from widgets.grading.sandbox import MAX_PROCESSES

MEMORY_MB = 1500
pytestmark = pytest.mark.skipif(not shutil.which("/usr/bin/bwrap"), reason="needs bubblewrap")


def hostile(folder, source_dir, report_dir, port):
    """The hostile students, each a copy of lesson 1 with one extra cell, and their expected points."""
    source = notebooks.read(LESSON)
    cells = {
        # after l1-data, so that the rest of the notebook still runs
        "writes-files": (
            "l1-data",
            "import pathlib, sys\n"
            f"for target in [{str(source_dir)!r}, {str(report_dir)!r}, {str(folder / 'full')!r},"
            f" {str(pathlib.Path.home())!r}, '/tmp', '/work']:\n"
            "    try:\n"
            "        (pathlib.Path(target) / 'pwned.txt').write_text('pwned')\n"
            "    except OSError as err:\n"
            "        print(type(err).__name__, err, file=sys.stderr)",
        ),
        "opens-network": (
            "l1-data",
            "import socket\n"
            f"for address in [('127.0.0.1', {port}), ('8.8.8.8', 53)]:\n"
            "    try:\n"
            "        socket.create_connection(address, timeout=2).sendall(b'pwned')\n"
            "    except OSError as err:\n"
            "        print(type(err).__name__, err, file=__import__('sys').stderr)",
        ),
        # at the end (after the last exercise's check), so that what they break costs nothing
        "forks-many": (
            "l1-fit-panel",
            "import os, time\n"
            "children = []\n"
            "try:\n"
            "    for _ in range(5000):\n"
            "        pid = os.fork()\n"
            "        if pid == 0:\n"
            "            time.sleep(60)\n"
            "            os._exit(0)\n"
            "        children.append(pid)\n"
            "finally:\n"
            "    print('started', len(children))\n"
            "    for pid in children:\n"
            "        os.kill(pid, 9)",
        ),
        "allocates-too-much": (
            "l1-fit-panel",
            f"hoard = b'x' * ({4 * MEMORY_MB} * 2**20)",
        ),
        "allocates-in-many-processes": (
            "l1-fit-panel",
            "import os, time\n"
            "for _ in range(8):\n"
            "    if os.fork() == 0:\n"
            f"        hoard = b'x' * ({MEMORY_MB // 4} * 2**20)\n"
            "        time.sleep(60)\n"
            "        os._exit(0)\n"
            "time.sleep(60)",
        ),
    }
    for name, (after, code) in cells.items():
        nb = nbformat.from_dict(source)
        add_after(nb, after, code)
        (folder / name).mkdir()
        nbformat.write(nb, str(folder / name / LESSON.name))
    # the released version, plus a cell that runs the source's solution cells if it can read them
    steals = release_notebook(source)
    steals.cells.insert(
        1,
        nbformat.v4.new_code_cell(
            "import json, os, sys\n"
            "stolen = []\n"
            f"for folder in [{str(source_dir)!r}, {str(folder / 'full')!r}]:\n"
            "    try:\n"
            "        for name in os.listdir(folder):\n"
            "            stolen.append(json.load(open(os.path.join(folder, name))))\n"
            "    except OSError as err:\n"
            "        print(type(err).__name__, err, file=sys.stderr)\n"
            "SOLUTIONS = [c['source'] for nb in stolen for c in nb['cells']\n"
            "             if c.get('metadata', {}).get('nbgrader', {}).get('solution')]",
        ),
    )
    for gid in (
        IDS
    ):  # after each answer cell, the stolen solutions run runs the stolen solution instead, if there is one
        index = next(i for i, c in enumerate(steals.cells) if notebooks.grade_id(c) == gid + "-answer")
        steals.cells.insert(
            index + 1,
            nbformat.v4.new_code_cell(
                "for code in SOLUTIONS:\n"
                "    try:\n"
                "        exec(code, globals())\n"
                "    except Exception:\n"
                "        pass"
            ),
        )
    (folder / "reads-solutions").mkdir()
    nbformat.write(steals, str(folder / "reads-solutions" / LESSON.name))


def tree(folder):
    """Every file under `folder` with its hash."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("sandboxed")
    folder, source_dir, out = root / "submissions", root / "lessons", root / "report"
    for path in (folder, source_dir, out):
        path.mkdir()
    shutil.copy(LESSON, source_dir)
    make_submissions(folder)  # the honest (and merely clever) students of test_grade
    for name in os.listdir(folder):
        if name not in ("full", "blank", "partial"):
            shutil.rmtree(folder / name)
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    reached = []

    def listen():
        while not stop.is_set():
            try:
                reached.append(server.accept())
            except OSError:
                pass

    stop = threading.Event()
    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    hostile(folder, source_dir, out, server.getsockname()[1])
    home_before = sorted(os.listdir(pathlib.Path.home()))
    before = {"submissions": tree(folder), "lessons": tree(source_dir), "report": tree(out)}
    done = subprocess.run(
        [sys.executable, "-m", "widgets.grading", "grade", str(folder), "--source", str(source_dir)]
        + ["--out", str(out), "--timeout", str(TIMEOUT), "--jobs", "2", "--challenge", "4242"]
        + ["--memory-mb", str(MEMORY_MB)],
        capture_output=True,
        text=True,
    )
    stop.set()
    listener.join()
    server.close()
    report = json.loads((out / "grades.json").read_text()) if (out / "grades.json").exists() else {}
    return {
        "code": done.returncode,
        "stdout": done.stdout,
        "stderr": done.stderr,
        "report": report,
        "rows": report.get("rows", []),
        "out": out,
        "before": before,
        "after": {"submissions": tree(folder), "lessons": tree(source_dir), "report": tree(out)},
        "home": (home_before, sorted(os.listdir(pathlib.Path.home()))),
        "reached": reached,
    }


def earned(graded, student):
    mine = {r["grade_id"]: r["points"] for r in graded["rows"] if r["student"] == student}
    assert list(mine) == IDS, f"{student} has rows {list(mine)}"
    return mine


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
    assert sorted(graded["after"]["report"]) == ["feedback/" + s + ".md" for s in sorted(STUDENTS)] + [
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
    """Do the source and the honest students score as they do without hostile neighbours?"""
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
    command += ["--out", str(tmp_path / "report"), "--timeout", str(TIMEOUT), "--jobs", "2"]
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
