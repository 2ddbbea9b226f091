"""The lessons through nbgrader 0.9.6's whole pipeline, on a course in a temporary folder.

The course has one assignment per lesson, ``source/l1/``, ``source/l2/``, ...,
and an ``nbgrader_config.py`` that ends with :func:`widgets.grading.nbgrader.configure`
(the students' Jupyter gets the same config, as a JupyterHub course shares it).
Lesson 1 has a private ``*_reference.py`` beside it, which must never leave the
source folder. One module fixture runs the pipeline once, as a course does:
the instructor generates and releases every assignment; two students (``full``,
``blank``: every answer right, none) fetch every lesson, a third (``wrong``: one
multiple-choice answer wrong in each) lessons 1 and 2, answer by editing their
answer cells and submit, and so does a fourth, who forges a multiple-choice
digest in lesson 1; the instructor collects, autogrades and generates feedback,
and grades the same submissions with the kit's own grader. Meanwhile nbgrader's
``Validator``, as JupyterLab's Validate button calls it, checks lesson 1's
source and every student's copy of lessons 1 and 2 (the later lessons are
validated by autograde's agreement with the kit's grader, to keep CI short). Every
kernel runs at the same ``WIDGETS_CHALLENGE``. Each test asks one question of
that run.

Every step runs in nbgrader itself, with few process starts (each costs seconds): each command
the instructor or a student types runs once as that command (generate_assignment, autograde and
generate_feedback over every assignment, ``"*"``; release_assignment, fetch_assignment, submit and
collect for lesson 1 or its first student); the other exchange steps run in one process with
nbgrader's exchange classes, as JupyterLab's assignment list calls them, and each Validate config
(the instructor's, the students') validates its notebooks in one process.
"""

import concurrent.futures
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import compute_checksum

from tests.grading.feedback_snapshot import WRONG
from tests.grading.test_lessons_and_release import LESSONS
from widgets.grading import nbgrader as nbgrader_setup
from widgets.grading import notebooks
from widgets.grading.release import leak_scan

COURSE_ID = "widgets-course"
ASSIGNMENTS = {f"l{int(path.name[:2])}": path for path in LESSONS}
DETAILED = ("l1", "l2")  # the assignments every student works and Validate checks
CHALLENGE = 271828  # WIDGETS_CHALLENGE of every kernel here: both graders draw the same checks
REFERENCE_MARKER = "instructor-only-reference-7f3a"
REFERENCE_MODULE = f'"""Lesson 1\'s private reference: never released."""\n\nMARKER = "{REFERENCE_MARKER}"\n'
# Each lesson's one wrong answer is a multiple choice, whose check needs nothing else.
STUDENTS = {"full": {}, "blank": None, "wrong": {gid: WRONG[gid] for gid in ("l1-rhat", "l2-ppc")}}
# A student who answers only the multiple-choice exercises, one wrongly, and writes the digest of
# that wrong option into its test cell's metadata (nbgrader restores a test cell's source, not that).
FORGER, FORGED = "forges-a-key", {"salt": "00", "sha256": notebooks.digest("A", "00")}
# The assignments each one does.
WORKED = {"full": tuple(ASSIGNMENTS), "blank": tuple(ASSIGNMENTS), "wrong": DETAILED, FORGER: ("l1",)}
TIMEOUT = 900  # seconds for each notebook an nbgrader command or grading run takes, far above need

CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = {course!r}
c.Exchange.root = {exchange!r}
from widgets.grading.nbgrader import configure
configure(c)
"""

# What JupyterLab's Validate button runs (nbgrader's validate_assignment handler), for each of a
# list of [notebook, server's working folder]: the config of that folder and Jupyter's config
# folders, then the Validator. One process validates a list, as one server validates many notebooks.
VALIDATE = """\
import json, os, sys
from nbgrader.apps import NbGrader
from nbgrader.validator import Validator
results = []
for path, cwd in json.loads(sys.argv[1]):
    os.chdir(cwd)
    app = NbGrader()
    app.load_config_file()
    results.append(Validator(config=app.config).validate(path))
print(json.dumps(results))
"""


# The exchange steps nbgrader's CLI would run one process each (release_assignment, fetch_assignment,
# submit, collect), run in one process as JupyterLab's assignment list and nbgrader's API do: the
# config of the step's folder and Jupyter's config folders, the step's flags on top, then the step.
EXCHANGE = """\
import json, os, sys
from traitlets.config import Config
from nbgrader.apps import NbGrader
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeFactory
for step in json.loads(sys.argv[1]):
    os.chdir(step["cwd"])
    app = NbGrader()
    app.load_config_file()
    config = app.config
    config.merge(Config(step["config"]))
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = step["assignment"]
    exchange = ExchangeFactory(config=config)
    steps = {"release_assignment": exchange.ReleaseAssignment, "fetch_assignment": exchange.FetchAssignment,
             "submit": exchange.Submit, "collect": exchange.Collect}
    authenticator = Authenticator(config=config)
    steps[step["command"]](coursedir=coursedir, authenticator=authenticator, config=config).start()
"""


def run(args, *, cwd, env, timeout=TIMEOUT):
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done


def nbgrader(*args, cwd, env, timeout=TIMEOUT):
    return run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, timeout=timeout)


def validate(validations: dict, *, env) -> dict:
    """Validate each notebook of `validations` (name: (path, folder)) from its folder, in one process.

    For each name: the grade_ids of its failing cells, what changed, and the failures as Validate gave them.
    """
    items = [[str(path), str(cwd)] for path, cwd in validations.values()]
    command = [sys.executable, "-c", VALIDATE, json.dumps(items)]
    done = run(command, cwd=items[0][1], env=env, timeout=TIMEOUT * len(items))
    outcome = {}
    results_in_order = json.loads(done.stdout.strip().splitlines()[-1])
    for (name, (path, _)), results in zip(validations.items(), results_in_order, strict=True):
        by_source = {c.source.strip(): notebooks.grade_id(c) for c in notebooks.read(path).cells}
        failed = {by_source.get(f["source"], f["source"]) for f in results.get("failed", [])}
        outcome[name] = {
            "failed": failed,
            "changed": results.get("changed", []),
            "errors": results.get("failed", []),
        }
    return outcome


def without_markers(source: str) -> str:
    """An answer cell's source as a student who knew the answer would write it: the solution, no markers."""
    markers = (notebooks.BEGIN_SOLUTION, notebooks.END_SOLUTION)
    return "\n".join(line for line in source.split("\n") if line.strip() not in markers)


def answer(path, source_nb, wrong: dict) -> None:
    """Fill in the answer cells of the notebook at `path`: the solution, or `wrong`'s by exercise."""
    nb = notebooks.read(path)
    solutions = {notebooks.grade_id(c): c.source for c in source_nb.cells if notebooks.is_solution(c)}
    for cell in nb.cells:
        if notebooks.is_solution(cell):
            gid = notebooks.grade_id(cell)
            cell.source = wrong.get(gid.removesuffix("-answer")) or without_markers(solutions[gid])
    nbformat.write(nb, str(path))


def forge(path) -> None:
    """As FORGER: answer l1-rhat wrongly ("A") and l1-ess rightly, and forge l1-rhat's digest for "A"."""
    nb, ess = notebooks.read(path), notebooks.solution_value(notebooks.read(LESSONS[0]), "answer_ess")
    for cell in nb.cells:
        gid = notebooks.grade_id(cell)
        if gid == "l1-rhat-answer":
            cell.source = 'answer_rhat = "A"'
        elif gid == "l1-ess-answer":
            cell.source = f"answer_ess = {ess!r}"
        elif gid == "l1-rhat":
            cell.metadata["widgets"] = FORGED
    nbformat.write(nb, str(path))


def with_references(lesson: pathlib.Path) -> list[pathlib.Path]:
    """The lesson and its private reference module, if it has one (its checks read it when graded)."""
    return [lesson, *lesson.parent.glob(f"{lesson.stem}_reference.py")]


def points_of(nb) -> dict:
    return {notebooks.grade_id(c): notebooks.nbgrader(c)["points"] for c in nb.cells if notebooks.is_test(c)}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    top = tmp_path_factory.mktemp("nbgrader")
    root, exchange, homes = top / "course", top / "exchange", top / "students"
    for folder in (root, exchange, homes):
        folder.mkdir()
    env = {
        **os.environ,
        "WIDGETS_CHALLENGE": str(CHALLENGE),
        "JUPYTER_CONFIG_DIR": str(top / "jupyter-config"),  # no user-wide nbgrader config
        # nbgrader runs alembic, the venv's command, to set up its gradebook.
        "PATH": os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ.get("PATH", "")]),
        # As in class, kernels load what an earlier one compiled: WIDGETS_COMPILATION_CACHE is the
        # grading tests' shared folder (conftest.py), so programs compiled by earlier tests load too.
    }
    env.pop("WIDGETS_NBGRADER_SOURCE", None)
    config = CONFIG.format(course=COURSE_ID, exchange=str(exchange))
    (root / "nbgrader_config.py").write_text(config)
    # The config a course gives its students' Jupyter (as a JupyterHub's shared one): Validate runs
    # with configure's 300 s per cell, not nbgrader's 30 s, which a slow kernel start exceeds.
    (top / "student-config").mkdir()
    (top / "student-config" / "nbgrader_config.py").write_text(config)
    student_env = {**env, "JUPYTER_CONFIG_DIR": str(top / "student-config")}
    for assignment, lesson in ASSIGNMENTS.items():
        (root / "source" / assignment).mkdir(parents=True)
        for path in with_references(lesson):
            shutil.copy(path, root / "source" / assignment)
    reference = root / "source" / "l1" / f"{LESSONS[0].stem}_reference.py"
    reference.write_text(REFERENCE_MODULE)

    # Every step the instructor and a student type runs once as a command (the first assignment, the
    # first student); the same steps for the others run in one process each (EXCHANGE), and the
    # converters take every assignment at once ("*").
    first = next(iter(ASSIGNMENTS))
    nbgrader("generate_assignment", "*", cwd=root, env=env)
    nbgrader("release_assignment", first, cwd=root, env=env)
    student_flags = [
        f"--course={COURSE_ID}",
        f"--Exchange.root={exchange}",
        f"--Exchange.cache={top / 'cache'}",
    ]
    student_config = {
        "CourseDirectory": {"course_id": COURSE_ID},
        "Exchange": {"root": str(exchange), "cache": str(top / "cache")},
    }

    def exchange_steps(steps):
        run([sys.executable, "-c", EXCHANGE, json.dumps(steps)], cwd=top, env=env)

    releases = [
        {"command": "release_assignment", "assignment": a, "cwd": str(root), "config": {}}
        for a in ASSIGNMENTS
        if a != first
    ]
    worked = [(student, a) for student in [*STUDENTS, FORGER] for a in WORKED[student]]
    for student in [*STUDENTS, FORGER]:
        (homes / student).mkdir()
    fetches = [
        {"command": "fetch_assignment", "assignment": a, "cwd": str(homes / s), "config": student_config}
        for s, a in worked[1:]
    ]
    exchange_steps(releases + fetches)
    nbgrader("fetch_assignment", worked[0][1], *student_flags, cwd=homes / worked[0][0], env=env)
    copies = {}  # (student, assignment): the student's copy
    for student, assignment in worked:
        copies[student, assignment] = homes / student / assignment / ASSIGNMENTS[assignment].name
        wrong = STUDENTS.get(student)
        if wrong is not None:
            answer(copies[student, assignment], notebooks.read(ASSIGNMENTS[assignment]), wrong)
    forge(copies.pop((FORGER, "l1")))

    # The kit grader's folders: the source lessons side by side, and <student>/<lesson>.ipynb,
    # the same files the students submit.
    kit, kit_source = top / "kit-submissions", top / "kit-source"
    kit_source.mkdir()
    for lesson in ASSIGNMENTS.values():
        for path in with_references(lesson):
            shutil.copy(path, kit_source)
    for (student, _), path in copies.items():
        (kit / student).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, kit / student)

    # The instructor validates the source in the course folder (its config), a student in their own (none).
    validations = {
        "l1 source": (root / "source" / "l1" / LESSONS[0].name, root),
        **{
            f"{assignment} {student}": (path, homes / student)
            for (student, assignment), path in copies.items()
            if assignment in DETAILED
        },
    }

    def autograde():
        (student, assignment), *others = worked
        nbgrader("submit", assignment, *student_flags, f"--student={student}", cwd=homes / student, env=env)
        submits = [
            {
                "command": "submit",
                "assignment": a,
                "cwd": str(homes / s),
                "config": {**student_config, "CourseDirectory": {"course_id": COURSE_ID, "student_id": s}},
            }
            for s, a in others
        ]
        collects = [
            {"command": "collect", "assignment": a, "cwd": str(root), "config": {}} for a in ASSIGNMENTS
        ]
        exchange_steps(submits + collects[1:])
        nbgrader("collect", first, cwd=root, env=env)
        for command in ("autograde", "generate_feedback"):  # TIMEOUT for each notebook they take
            nbgrader(command, "*", cwd=root, env=env, timeout=TIMEOUT * len(worked))

    def kit_grade():
        report = top / "kit-report"
        args = ["grade", str(kit), "--source", str(kit_source), "--out", str(report)]
        args += ["--no-sandbox", "--jobs", "1", "--challenge", str(CHALLENGE), "--timeout", str(TIMEOUT)]
        run([sys.executable, "-m", "widgets.grading", *args], cwd=top, env=env, timeout=TIMEOUT * len(copies))
        rows = json.loads((report / "grades.json").read_text())["rows"]
        return {(r["student"], r["grade_id"]): r["points"] for r in rows}

    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        graded = pool.submit(autograde)
        kit_points = pool.submit(kit_grade)
        # The instructor's Validate (the course's config) and the students' (the course's student config).
        by_instructor = {name: v for name, v in validations.items() if v[1] == root}
        by_students = {name: v for name, v in validations.items() if v[1] != root}
        validated = [
            pool.submit(validate, by_instructor, env=env),
            pool.submit(validate, by_students, env=student_env),
        ]
        graded.result()
        results = {name: result for future in validated for name, result in future.result().items()}
        kit_points = kit_points.result()

    nbgrader_points = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        for student in [*STUDENTS, FORGER]:
            for assignment in WORKED[student]:
                stem = ASSIGNMENTS[assignment].stem
                notebook = gb.find_submission_notebook(stem, assignment, student)
                nbgrader_points.update({(student, g.name): g.auto_score for g in notebook.grades})
    return {
        "root": root,
        "validated": results,
        "nbgrader_points": nbgrader_points,
        "kit_points": kit_points,
    }


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_leaks_nothing_and_holds_no_reference_module(course, assignment):
    """Does generate_assignment release no solution line, marker or *_reference.py (the kit's leak scan)?"""
    release = course["root"] / "release" / assignment
    assert sorted(p.name for p in release.iterdir()) == [ASSIGNMENTS[assignment].name]
    assert leak_scan(release, course["root"] / "source" / assignment) == []


def test_the_reference_module_reaches_neither_the_release_nor_autograde(course):
    """Is lesson 1's *_reference.py kept out of release/, the exchange, the students' and autograded/?"""
    root = course["root"]
    assert (root / "source" / "l1" / f"{LESSONS[0].stem}_reference.py").is_file()
    # Only the instructor's folders hold one: the course's source/ and the kit grader's kit-source/.
    instructors = {"source", "kit-source"}
    top = root.parent
    copied = [p for p in top.rglob("*_reference.py") if not instructors & set(p.relative_to(top).parts)]
    assert copied == []
    assert sorted(p.name for p in (root / "autograded").rglob("*.py")) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_multiple_choice_test_cell_carries_the_digest_of_its_key(course, assignment):
    """Does every released one_of test cell hold {salt, sha256} of the source's key?"""
    source = notebooks.read(ASSIGNMENTS[assignment])
    released = notebooks.read(course["root"] / "release" / assignment / ASSIGNMENTS[assignment].name)
    released_tests = {notebooks.grade_id(c): c for c in released.cells if notebooks.is_test(c)}
    choices = [notebooks.check_call(c) for c in source.cells if notebooks.is_test(c)]
    choices = [call for call in choices if call["check"] == "one_of"]
    assert choices
    for call in choices:
        key = notebooks.solution_value(source, call["answers"][0])
        stored = released_tests[call["grade_id"]].metadata["widgets"]
        assert stored["sha256"] == notebooks.digest(key, stored["salt"])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_digests_leave_nbgraders_checksums_alone(course, assignment):
    """Is each released test cell's nbgrader checksum that of the cell as released, digest and all?"""
    released = notebooks.read(course["root"] / "release" / assignment / ASSIGNMENTS[assignment].name)
    for cell in filter(notebooks.is_test, released.cells):
        assert notebooks.nbgrader(cell)["checksum"] == compute_checksum(cell)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_answer_cells_hold_the_kits_stub_which_does_not_raise(course, assignment):
    """Is every solution region released as the kit's stub, with no NotImplementedError to stop Run All?"""
    released = notebooks.read(course["root"] / "release" / assignment / ASSIGNMENTS[assignment].name)
    answers = [c.source for c in released.cells if notebooks.is_solution(c)]
    assert answers
    first, second = nbgrader_setup.CODE_STUB.split("\n")
    stub = re.compile(rf"^(?P<indent>[ \t]*){re.escape(first)}\n(?P=indent){re.escape(second)}$", re.M)
    for source in answers:
        assert stub.search(source), source
        assert "NotImplementedError" not in source


def test_the_source_passes_validate(course):
    """Does nbgrader's Validate pass the source lesson, every test cell at full points?"""
    assert course["validated"]["l1 source"] == {"failed": set(), "changed": [], "errors": []}


@pytest.mark.parametrize("assignment", DETAILED)
def test_validate_fails_an_untouched_release_on_every_test_cell(course, assignment):
    """Does Validate fail a blank notebook on every test cell (the bug: it said "Success")?"""
    result = course["validated"][f"{assignment} blank"]
    assert result["changed"] == []
    assert result["failed"] == set(points_of(notebooks.read(ASSIGNMENTS[assignment])))


@pytest.mark.parametrize("assignment", DETAILED)
def test_validate_fails_one_wrong_answer_on_exactly_its_cell(course, assignment):
    """Does Validate fail a copy with one wrong multiple-choice answer on that test cell alone?"""
    result = course["validated"][f"{assignment} wrong"]
    assert result["changed"] == [] and result["failed"] == {
        g for g in STUDENTS["wrong"] if g.startswith(assignment)
    }


@pytest.mark.parametrize("assignment", DETAILED)
def test_validate_passes_a_full_answer(course, assignment):
    """Does Validate pass a released copy whose answer cells a student filled in right?"""
    assert course["validated"][f"{assignment} full"] == {"failed": set(), "changed": [], "errors": []}


def expected_points(student: str) -> dict:
    points = {
        gid: p
        for assignment in WORKED[student]
        for gid, p in points_of(notebooks.read(ASSIGNMENTS[assignment])).items()
    }
    wrong = STUDENTS[student]
    return {(student, gid): (0 if wrong is None or gid in wrong else p) for gid, p in points.items()}


@pytest.mark.parametrize("student", STUDENTS)
def test_autograde_gives_the_expected_points(course, student):
    """Does nbgrader's autograde give full points to right answers and 0 to blank and wrong ones?"""
    got = {k: v for k, v in course["nbgrader_points"].items() if k[0] == student}
    assert got == pytest.approx(expected_points(student))


@pytest.mark.parametrize("student", STUDENTS)
def test_autograde_agrees_with_the_kit_grader(course, student):
    """Do nbgrader's autograde and the kit's grader give every exercise the same points?"""
    nbgrader_points = {k: v for k, v in course["nbgrader_points"].items() if k[0] == student}
    # The kit's grader also lists the lessons a student did not hand in (at 0): compare the ones worked.
    kit_points = {k: v for k, v in course["kit_points"].items() if k in expected_points(student)}
    assert nbgrader_points == pytest.approx(kit_points)


def test_autograde_takes_multiple_choice_keys_from_the_source_not_the_students_metadata(course):
    """Does a wrong option earn nothing under autograde though its test cell holds a forged digest of it?"""
    autograded = course["root"] / "autograded" / FORGER / "l1" / LESSONS[0].name
    cell = next(c for c in notebooks.read(autograded).cells if notebooks.grade_id(c) == "l1-rhat")
    assert cell.metadata["widgets"] == FORGED  # nbgrader kept the forgery: only the source's key can tell
    points = points_of(notebooks.read(LESSONS[0]))
    expected = {(FORGER, gid): (p if gid == "l1-ess" else 0) for gid, p in points.items()}
    assert {k: v for k, v in course["nbgrader_points"].items() if k[0] == FORGER} == pytest.approx(expected)


def visible_text(html: str) -> str:
    """The feedback page without its embedded images (base64 holds digits by chance)."""
    return re.sub(r"base64,[A-Za-z0-9+/=\s]+", "base64,", html)


@pytest.mark.parametrize("student", STUDENTS)
def test_feedback_shows_no_hidden_test_challenge_or_reference(course, student):
    """Does the feedback page hold no hidden-test marker, no challenge value and no reference module?"""
    page = course["root"] / "feedback" / student / "l1" / f"{LESSONS[0].stem}.html"
    text = visible_text(page.read_text())
    assert all(gid in text for gid in points_of(notebooks.read(LESSONS[0])))  # it shows the test cells
    assert "BEGIN HIDDEN" not in text
    assert not re.search(rf"\b{CHALLENGE}\b", text)
    assert REFERENCE_MARKER not in text


def test_configure_sets_what_the_lessons_need(tmp_path, monkeypatch):
    """Does configure put WriteKeys before ClearSolutions, skip *_reference.py, set timeout, stub, source?"""
    from nbgrader.preprocessors import ClearSolutions
    from traitlets.config import Config

    from widgets.grading.nbgrader import WriteKeys, configure

    monkeypatch.delenv("WIDGETS_NBGRADER_SOURCE", raising=False)
    c = Config()
    c.CourseDirectory.root = str(tmp_path)
    c.CourseDirectory.source_directory = "lessons"
    configure(c)
    steps = c.GenerateAssignment.preprocessors
    assert steps.index(WriteKeys) == steps.index(ClearSolutions) - 1
    assert os.environ["WIDGETS_NBGRADER_SOURCE"] == str(tmp_path / "lessons")
    assert c.Execute.timeout == 300
    assert c.ClearSolutions.code_stub["python"] == nbgrader_setup.CODE_STUB
    ignored = c.CourseDirectory.ignore.get_value([".ipynb_checkpoints"])
    assert ignored == [".ipynb_checkpoints", "*_reference.py"]
