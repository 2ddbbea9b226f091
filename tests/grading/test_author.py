"""The instructor's source check: each mistake in a tiny lesson is named with its cell; good lessons pass.

The tiny lesson (``09-a.ipynb``) has a numeric exercise whose reference is in
``09-a_reference.py`` and a multiple-choice one. Each static test breaks one
thing and runs the command line, which stops before running any kernel when a
static check finds something. The dynamic tests run the kernels.
"""

import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest

from widgets.grading import notebooks
from widgets.grading.__main__ import main
from widgets.grading.author import check_source

ROOT = pathlib.Path(__file__).resolve().parents[2]
META = {"schema_version": 3}
MEAN_CHECK = 'close(lesson.reference("mean_of_x"), atol=1e-9)'


def text(grade_id, source):
    meta = {**META, "grade_id": grade_id, "grade": False, "solution": False, "locked": True}
    return nbformat.v4.new_markdown_cell(source, metadata={"nbgrader": meta})


def code(grade_id, source):
    meta = {**META, "grade_id": grade_id, "grade": False, "solution": False, "locked": True}
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def answer(grade_id, source):
    meta = {**META, "grade_id": grade_id, "grade": False, "solution": True, "locked": False}
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def graded(grade_id, source, points):
    meta = {**META, "grade_id": grade_id, "grade": True, "solution": False, "locked": True, "points": points}
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def lesson(prefix="l9"):
    """A valid lesson: a numeric exercise (2 points) and a multiple-choice one (1 point)."""
    return nbformat.v4.new_notebook(
        cells=[
            text(f"{prefix}-intro", "# Lesson 9 · Means"),
            code(
                f"{prefix}-setup",
                "import numpy as np\n\nfrom widgets.checks import close, one_of\n"
                "from widgets.exercises import Lesson\n\n"
                f'lesson = Lesson("{prefix}")\nx = np.array([1.0, 2.0, 3.0])',
            ),
            text(
                f"{prefix}-mean-text",
                "### Exercise 1 · The mean (2 points)\n\nSet `mean_x` to the mean of `x`.",
            ),
            answer(
                f"{prefix}-mean-answer",
                "# mean_x = the mean of x\n### BEGIN SOLUTION\nmean_x = float(x.mean())\n### END SOLUTION",
            ),
            graded(
                f"{prefix}-mean",
                f'lesson.check("{prefix}-mean", "mean_x", {MEAN_CHECK}, hint="Average the three values.")',
                2,
            ),
            text(
                f"{prefix}-choice-text",
                "### Exercise 2 · A choice (1 point)\n\nWhich is the middle value? A, B or C.",
            ),
            answer(
                f"{prefix}-choice-answer",
                '# answer_choice = a letter\n### BEGIN SOLUTION\nanswer_choice = "B"\n### END SOLUTION',
            ),
            graded(
                f"{prefix}-choice",
                f'lesson.check("{prefix}-choice", "answer_choice", one_of("ABC"), hint="Sort them.")',
                1,
            ),
            code(f"{prefix}-summary", "lesson.summary()"),
        ]
    )


def write_folder(folder, nb, *, reference="mean_of_x = 2.0\n", name="09-a"):
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, str(folder / f"{name}.ipynb"))
    if reference is not None:
        (folder / f"{name}_reference.py").write_text(reference)
    return folder


def cell(nb, grade_id):
    return next(c for c in nb.cells if notebooks.grade_id(c) == grade_id)


def run_cli(capsys, *argv):
    code_ = main(["check", *map(str, argv)])
    out, err = capsys.readouterr()
    return code_, out.splitlines(), err


# --- static: one defect each ---------------------------------------------------------------------


def no_grade_id(nb):
    del notebooks.nbgrader(nb.cells[3])["grade_id"]


def bad_points(nb):
    notebooks.nbgrader(cell(nb, "l9-mean"))["points"] = 0


def not_a_test_cell(nb):
    meta = notebooks.nbgrader(cell(nb, "l9-mean"))
    meta.update(grade=False)
    del meta["points"]


def unlocked(nb):
    notebooks.nbgrader(cell(nb, "l9-mean"))["locked"] = False


def two_statements(nb):
    cell(nb, "l9-mean").source = 'print("checking")\n' + cell(nb, "l9-mean").source


def assigned_feedback(nb):
    cell(nb, "l9-choice").source = "feedback = " + cell(nb, "l9-choice").source


def someone_elses_id(nb):
    cell(nb, "l9-mean").source = cell(nb, "l9-mean").source.replace('"l9-mean"', '"l9-choice"')


def by_keyword(nb):
    cell(nb, "l9-mean").source = f'lesson.check("l9-mean", answers="mean_x", check={MEAN_CHECK})'


def the_variable_not_its_name(nb):
    cell(nb, "l9-mean").source = f'lesson.check("l9-mean", mean_x, {MEAN_CHECK})'


def does_not_parse(nb):
    cell(nb, "l9-mean").source = f'lesson.check("l9-mean", "mean_x", {MEAN_CHECK}'


def hidden_tests(nb):
    test = cell(nb, "l9-mean")
    test.source = "### BEGIN HIDDEN TESTS\nassert mean_x == 2.0\n### END HIDDEN TESTS\n" + test.source


def answer_under_another_name(nb):
    cell(nb, "l9-mean-answer").source = "### BEGIN SOLUTION\nmean = float(x.mean())\n### END SOLUTION"


def answer_below_its_test(nb):
    nb.cells[3], nb.cells[4] = nb.cells[4], nb.cells[3]


def answer_in_a_locked_cell(nb):
    meta = notebooks.nbgrader(cell(nb, "l9-mean-answer"))
    meta.update(solution=False, locked=True)


def answer_cell_no_check_names(nb):
    nb.cells.insert(8, answer("l9-extra-answer", "### BEGIN SOLUTION\nextra = 1\n### END SOLUTION"))


def unclosed_region(nb):
    cell(nb, "l9-mean-answer").source = "### BEGIN SOLUTION\nmean_x = float(x.mean())"


def empty_region(nb):
    cell(nb, "l9-mean-answer").source = "mean_x = float(x.mean())\n### BEGIN SOLUTION\n\n### END SOLUTION"


def misspelt_marker(nb):
    cell(nb, "l9-mean-answer").source = "## BEGIN SOLUTION\nmean_x = float(x.mean())\n### END SOLUTION"


def key_not_an_option(nb):
    cell(nb, "l9-choice-answer").source = '### BEGIN SOLUTION\nanswer_choice = "D"\n### END SOLUTION'


def key_not_a_literal(nb):
    cell(nb, "l9-choice-answer").source = '### BEGIN SOLUTION\nanswer_choice = "ABC"[1]\n### END SOLUTION'


def unknown_reference(nb):
    cell(nb, "l9-mean").source = cell(nb, "l9-mean").source.replace("mean_of_x", "mean_of_y")


def points_text_differs(nb):
    cell(nb, "l9-mean-text").source = "### Exercise 1 · The mean (3 points)"


def no_lesson_object(nb):
    cell(nb, "l9-setup").source = cell(nb, "l9-setup").source.replace('lesson = Lesson("l9")', "")


def markdown_answer(nb):
    meta = {**META, "grade_id": "l9-essay", "grade": True, "solution": True, "locked": False, "points": 1}
    nb.cells.insert(8, nbformat.v4.new_markdown_cell("YOUR ANSWER HERE", metadata={"nbgrader": meta}))


STATIC_DEFECTS = {
    no_grade_id: [("cell 3", "an nbgrader cell (graded, answer or locked) without a grade_id")],
    bad_points: [("l9-mean", "test cell: its nbgrader points must be > 0; got 0")],
    not_a_test_cell: [("l9-mean", "cell: calls lesson.check but is not a test cell")],
    unlocked: [("l9-mean", "test cell: not locked")],
    two_statements: [("l9-mean", "test cell: must be exactly one lesson.check(...) call and nothing else")],
    assigned_feedback: [("l9-choice", "test cell: must be exactly one lesson.check(...) call")],
    someone_elses_id: [("l9-mean", "test cell: its lesson.check names 'l9-choice', not its own grade_id")],
    by_keyword: [("l9-mean", "test cell: give the grade_id, the answer name(s) and the check as the first")],
    the_variable_not_its_name: [("l9-mean", "test cell: the answers must be a variable name as a string")],
    does_not_parse: [("l9-mean", "test cell: does not parse as Python")],
    hidden_tests: [
        ("l9-mean", "a hidden-test region"),
        ("l9-mean", "test cell: must be exactly one lesson.check(...) call"),
    ],
    answer_under_another_name: [
        ("l9-mean-answer", "answer cell: no test cell's lesson.check names what it assigns (mean)"),
        ("l9-mean", "test cell: 'mean_x' is not assigned in a solution cell above"),
    ],
    answer_below_its_test: [
        ("l9-mean", "test cell: 'mean_x' is assigned in an answer cell below it (cell 4)")
    ],
    answer_in_a_locked_cell: [
        ("l9-mean-answer", "cell: holds solution markers but is not an answer cell"),
        ("l9-mean", "test cell: 'mean_x' is assigned above (cell 3), but not in an answer cell"),
    ],
    answer_cell_no_check_names: [
        ("l9-extra-answer", "answer cell: no test cell's lesson.check names what it")
    ],
    unclosed_region: [("l9-mean-answer", "answer cell: opens '### BEGIN SOLUTION' without closing it")],
    empty_region: [("l9-mean-answer", "answer cell: has an empty solution region")],
    misspelt_marker: [
        ("l9-mean-answer", "answer cell: has the line '## BEGIN SOLUTION', which is not a marker"),
        ("l9-mean-answer", "answer cell: has '### END SOLUTION' without a '### BEGIN SOLUTION' before it"),
    ],
    key_not_an_option: [
        ("l9-choice", "test cell: the solution answer_choice = 'D' is not one of the options A, B, C")
    ],
    key_not_a_literal: [("l9-choice", "test cell: no literal `answer_choice = ...` in a solution region")],
    unknown_reference: [
        ("l9-mean", "test cell: lesson.reference('mean_of_y') is not defined in 09-a_reference.py")
    ],
    points_text_differs: [
        ("l9-mean", "test cell: worth 2 points in its metadata, but the text above says (3 points)")
    ],
    no_lesson_object: [
        ("l9-mean", "test cell: no cell above makes `lesson`"),
        ("l9-choice", "test cell: no cell above makes `lesson`"),
    ],
    markdown_answer: [
        ("l9-essay", "answer cell: marked graded too"),
        ("l9-essay", "answer cell: a written (markdown) answer, which no lesson.check can grade"),
    ],
}


@pytest.mark.parametrize("defect", STATIC_DEFECTS, ids=lambda f: f.__name__)
def test_each_static_defect_exits_1_naming_its_cell(tmp_path, capsys, defect):
    """Does each mistake give exit 1 and just its own lines, naming notebook and cell, running no kernel?"""
    nb = lesson()
    defect(nb)
    folder = write_folder(tmp_path / "lessons", nb)
    exit_code, lines, err = run_cli(capsys, folder)
    assert exit_code == 1, lines
    expected = STATIC_DEFECTS[defect]
    assert len(lines) == len(expected), lines
    for line, (where, said) in zip(lines, expected, strict=True):
        assert line.startswith(f"{folder / '09-a.ipynb'} [{where}] {said}"), line
    assert "the notebooks were not run" in err and "ran 09-a.ipynb" not in err


def test_the_valid_lesson_passes_the_static_checks(tmp_path, capsys):
    """Does the tiny lesson itself pass --static, with its counts in the one-line summary?"""
    folder = write_folder(tmp_path / "lessons", lesson())
    exit_code, lines, _ = run_cli(capsys, folder, "--static")
    assert (exit_code, lines) == (
        0,
        ["ok: 1 notebook, 2 exercises, 3 points; static checks only (the notebooks were not run)"],
    )


def counted(paths) -> str:
    """What check reports it read in the lessons at `paths`: notebooks, exercises and points."""
    tests = [c for path in paths for c in notebooks.read(path).cells if notebooks.is_test(c)]
    points = sum(notebooks.nbgrader(c)["points"] for c in tests)
    return f"{len(paths)} notebooks, {len(tests)} exercises, {points:g} points"


def test_the_repository_lessons_pass_the_static_checks(capsys):
    """Do the kit's lessons pass --static (the quick check while writing)?"""
    exit_code, lines, _ = run_cli(capsys, ROOT / "lessons", "--static")
    lessons = sorted((ROOT / "lessons").glob("*.ipynb"))
    assert (exit_code, lines) == (
        0,
        [f"ok: {counted(lessons)}; static checks only (the notebooks were not run)"],
    )


def test_a_reference_module_that_is_missing_is_named(tmp_path, capsys):
    """Is a lesson.reference without its <stem>_reference.py named, with the file it needs?"""
    folder = write_folder(tmp_path / "lessons", lesson(), reference=None)
    exit_code, lines, _ = run_cli(capsys, folder, "--static")
    assert exit_code == 1
    assert lines == [
        f"{folder / '09-a.ipynb'} [l9-mean] test cell: lesson.reference('mean_of_x') needs 09-a_reference.py "
        "beside the notebook, defining mean_of_x"
    ]


def test_a_grade_id_used_in_two_notebooks_is_named_where_it_repeats(tmp_path, capsys):
    """Is a grade_id unique in each notebook but repeated across the folder named in the second notebook?"""
    second = lesson("l10")
    notebooks.nbgrader(second.cells[1])["grade_id"] = "l9-setup"
    folder = write_folder(tmp_path / "lessons", lesson())
    write_folder(folder, second, name="10-b")
    exit_code, lines, _ = run_cli(capsys, folder, "--static")
    assert exit_code == 1
    assert lines == [
        f"{folder / '10-b.ipynb'} [l9-setup] grade_id 'l9-setup' is also used by 09-a.ipynb cell 1; "
        "grade_ids must be unique in the folder"
    ]


def test_a_folder_without_notebooks_is_bad_input(tmp_path, capsys):
    """Does a folder with no notebooks give exit 2 and say so?"""
    exit_code, lines, err = run_cli(capsys, tmp_path)
    assert exit_code == 2 and not lines and "holds no notebooks" in err


# --- dynamic: the notebooks run ------------------------------------------------------------------


def test_mistakes_that_only_a_run_shows_are_named(tmp_path, capsys):
    """Are a solution right at challenge 0 only, stderr in a test cell, errors, a scoring release named?"""
    nb = lesson()
    # A fresh check whose solution was written for challenge 0 only.
    nb.cells[8:8] = [
        answer("l9-seed-answer", "### BEGIN SOLUTION\nseed_mod_7 = 0.0\n### END SOLUTION"),
        graded("l9-seed", 'lesson.check("l9-seed", "seed_mod_7", close(lesson.reference("seed_mod_7")))', 1),
        # A cell that needs an answer which has no stand-in: it stops the release.
        code("l9-uses-seed", "print(seed_mod_7 + 1)"),
        # A typo that stops both.
        code("l9-typo", "total = np.suum(x)"),
    ]
    # A check argument that warns (on stderr, before the check's own guard).
    setup = cell(nb, "l9-setup")
    setup.source += "\nimport warnings\n\n\ndef expected():\n    warnings.warn('old API')\n    return 2.0"
    cell(nb, "l9-mean").source = 'lesson.check("l9-mean", "mean_x", close(expected(), atol=1e-9))'
    # The answer written above the solution markers, so that the release keeps it.
    cell(nb, "l9-choice-answer").source = 'answer_choice = "B"\n' + cell(nb, "l9-choice-answer").source
    reference = "mean_of_x = 2.0\n\n\ndef seed_mod_7(seed):\n    return float(seed % 7)\n"
    folder = write_folder(tmp_path / "lessons", nb, reference=reference)
    out = tmp_path / "student"
    exit_code, lines, _ = run_cli(capsys, folder, "--release", out, "--challenge", "4243", "--jobs", "2")
    assert exit_code == 1
    source = folder / "09-a.ipynb"
    assert len(lines) == 6, lines
    assert lines[0].startswith(f"{source} [l9-mean] test cell: writes to stderr (")
    assert lines[0].endswith("which zeroes the cell under nbgrader (challenge 0 and 4243)")
    assert lines[1].startswith(f"{source} [l9-seed] test cell: the source's own answer is wrong: ")
    assert lines[1].endswith("(challenge 4243)")
    assert lines[2].startswith(f"{source} [l9-typo] cell: the source raised AttributeError: module 'numpy' ")
    assert lines[2].endswith("(challenge 0 and 4243)")
    released = out / "09-a.ipynb"
    assert lines[3] == (
        f"{released} [l9-choice] test cell: the release's check says correct with no answer written"
    )
    assert lines[4] == (
        f"{released} [l9-uses-seed] cell: the release raised NameError: name 'seed_mod_7' is not defined: "
        "a student's Run All stops here"
    )
    assert lines[5].startswith(
        f"{released} [l9-typo] cell: the release raised AttributeError: module 'numpy' "
    )
    assert sorted(p.name for p in out.iterdir()) == ["09-a.ipynb"]  # kept, without the reference module


def test_the_repository_lessons_pass_through_python_m(tmp_path):
    """Do lessons 1 and 2 pass every check, run by `python -m widgets.grading check ... --release OUT`?

    The second challenge is pinned to 0, so each source runs once (the run
    above covers a second challenge): about half the time of a random one.
    The later lessons pass the static checks above; their sources run under
    nbval and their releases in test_lessons_and_release, so CI runs them
    once each, not again here.
    """
    lessons = sorted((ROOT / "lessons").glob("*.ipynb"))[:2]
    folder, out = tmp_path / "lessons", tmp_path / "student"
    folder.mkdir()
    for path in lessons:
        for companion in [path, *path.parent.glob(f"{path.stem}_*.py")]:
            shutil.copy(companion, folder)
    done = subprocess.run(
        [sys.executable, "-m", "widgets.grading", "check", str(folder), "--release", str(out)]
        + ["--challenge", "0", "--jobs", "2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        f"ok: {counted(lessons)}; sources ran at challenge 0, the release in {out}"
    ]
    assert done.stderr.count("ran 0") == 4  # progress: a line per run, each source once and each release
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in lessons]


def test_check_source_counts_what_it_checked(tmp_path):
    """Does check_source report the notebooks, exercises and points it read, with no problems?"""
    report = check_source(write_folder(tmp_path / "lessons", lesson()), static=True)
    assert (report.problems, report.notebooks, report.exercises, report.points) == ([], 1, 2, 3.0)
