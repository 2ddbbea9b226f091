"""Lesson 1's submissions for the grading runs of the command line: honest, clever, broken and hostile.

:func:`make_submissions` writes the students of ``test_grade`` (blank, full, partial,
broken, tampered) and :func:`hostile` those of ``test_sandbox`` (each lesson 1 with its
solutions and one extra cell that attacks the machine). :func:`grade_everyone` grades all of
them in one sandboxed run, which ``test_grade`` and ``test_sandbox`` share (``conftest.py``).
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

from tests.grading.test_lessons_and_release import LESSONS
from widgets.grading import notebooks, sandbox
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


# The memory cap of the shared run: the grader's default, at which test_grade graded lessons 1 and 2
# (test_sandbox, which graded lesson 1 alone, capped it at 1500 MB); the hoards below exceed it.
MEMORY_MB = sandbox.MEMORY_MB


# The students :func:`hostile` writes.
HOSTILE = (
    "writes-files",
    "opens-network",
    "forks-many",
    "allocates-too-much",
    "allocates-in-many-processes",
    "reads-solutions",
)


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


def grade_everyone(root: pathlib.Path) -> dict:
    """Grade every student of :func:`make_submissions` and :func:`hostile` in one sandboxed run.

    The course holds lessons 1 and 2; every student hands in lesson 1 alone. A server listens
    on 127.0.0.1 meanwhile, for the student who tries to reach it.

    Parameters
    ----------
    root : pathlib.Path
        An empty folder; the run's submissions, lessons and report go under it.

    Returns
    -------
    dict
        The run's exit code, stdout, stderr, report and its rows, the report folder, the students,
        every file of the submissions, lessons and report before and after, the home folder's
        listing before and after, and the connections the server accepted.
    """
    folder, source_dir, out = root / "submissions", root / "lessons", root / "report"
    for path in (folder, source_dir, out):
        path.mkdir()
    for lesson in LESSONS[:2]:
        shutil.copy(lesson, source_dir)
    make_submissions(folder)
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    reached = []
    stop = threading.Event()

    def listen():
        while not stop.is_set():
            try:
                reached.append(server.accept())
            except OSError:
                pass

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    hostile(folder, source_dir, out, server.getsockname()[1])
    students = sorted(os.listdir(folder))
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
        "students": students,
        "before": before,
        "after": {"submissions": tree(folder), "lessons": tree(source_dir), "report": tree(out)},
        "home": (home_before, sorted(os.listdir(pathlib.Path.home()))),
        "reached": reached,
    }


def earned(graded: dict, student: str) -> dict:
    """The points of `student`'s lesson 1 by exercise, asserting it has a row for each exercise."""
    mine = {
        r["grade_id"]: r["points"]
        for r in graded["rows"]
        if r["student"] == student and r["lesson"] == LESSON.stem
    }
    assert list(mine) == IDS, f"{student} has rows {list(mine)}"
    return mine
