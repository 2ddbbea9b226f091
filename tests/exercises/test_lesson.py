"""Exercises declared in the lesson: points from the notebook's metadata, the challenge, keys, records.

Namespaces are plain dicts standing in for a notebook's globals, and notebooks are tiny files in a
temporary folder that is the working folder; the last tests run a real kernel (nbclient).
"""

import asyncio
import hashlib
import json

import nbclient
import nbformat
import pytest

from widgets.checks import close, one_of
from widgets.checks.choice import digest
from widgets.exercises import DisplayedFeedback, Lesson, context, stand_ins
from widgets.exercises.answers import is_stand_in

META = {"schema_version": 3, "locked": True}


def answer_cell(grade_id, source):
    meta = {**META, "grade_id": grade_id, "solution": True, "grade": False, "locked": False}
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def graded_cell(grade_id, source, points, **widgets):
    meta = {**META, "grade_id": grade_id, "solution": False, "grade": True, "points": points}
    metadata = {"nbgrader": meta, **({"widgets": widgets} if widgets else {})}
    return nbformat.v4.new_code_cell(source, metadata=metadata)


def notebook(folder, name, cells):
    nb = nbformat.v4.new_notebook(cells=cells)
    nbformat.write(nb, str(folder / name))
    return folder / name


CHECK_X = 'lesson.check("q-x", "x", close(2.0, atol=0.1))'


@pytest.fixture
def folder(tmp_path, monkeypatch):
    for name in ("WIDGETS_NOTEBOOK", "WIDGETS_CHALLENGE", "NBGRADER_EXECUTION", "WIDGETS_RECORDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("WIDGETS_NBGRADER_SOURCE", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_points_come_from_the_test_cells_metadata_in_the_working_folder(folder):
    """Is a right answer worth the points its test cell's metadata says, as the plain-text value?"""
    notebook(folder, "a.ipynb", [answer_cell("q-x-answer", "x = 2"), graded_cell("q-x", CHECK_X, 3)])
    feedback = Lesson("q").check("q-x", "x", close(2.0, atol=0.1), namespace={"x": 2.0})
    assert repr(feedback) == "3" and str(feedback).startswith("[q-x] Correct: 3 of 3 points.")
    wrong = Lesson("q").check("q-x", "x", close(2.0, atol=0.1), namespace={"x": 5.0})
    assert repr(wrong) == "0" and "0 of 3 points" in str(wrong)


def test_widgets_notebook_comes_before_session_and_the_working_folder(folder):
    """With three notebooks naming the same grade_id, does $WIDGETS_NOTEBOOK win, then __session__?"""
    notebook(folder, "a.ipynb", [graded_cell("q-x", CHECK_X, 1)])
    (folder / "b").mkdir()
    (folder / "c").mkdir()
    session = notebook(folder / "b", "b.ipynb", [graded_cell("q-x", CHECK_X, 2)])
    named = notebook(folder / "c", "c.ipynb", [graded_cell("q-x", CHECK_X, 4)])
    ns = {"x": 2.0, "__session__": str(session)}
    assert repr(Lesson("q").check("q-x", "x", close(2.0, atol=0.1), namespace=ns)) == "2"
    ns.pop("__session__")
    assert repr(Lesson("q").check("q-x", "x", close(2.0, atol=0.1), namespace=ns)) == "1"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WIDGETS_NOTEBOOK", str(named))
        ns["__session__"] = str(session)
        assert repr(Lesson("q").check("q-x", "x", close(2.0, atol=0.1), namespace=ns)) == "4"


def test_without_the_notebook_a_pass_only_displays_itself_and_a_fail_is_zero(folder):
    """With no notebook found, does a right answer show feedback with no value (nbgrader: full credit)?"""
    right = Lesson("q").check("q-x", "x", close(2.0, atol=0.1), namespace={"x": 2.0})
    assert isinstance(right, DisplayedFeedback) and right.max_points is None
    assert str(right).startswith("[q-x] Correct: 0 points.") and hasattr(right, "_ipython_display_")
    wrong = Lesson("q").check("q-x", "x", close(2.0, atol=0.1), namespace={"x": 5.0})
    assert not isinstance(wrong, DisplayedFeedback) and repr(wrong) == "0"


def seeded(seed):
    return float(seed)


def test_the_challenge_is_0_pinned_by_env_or_drawn_once_under_nbgrader(folder, monkeypatch):
    """Is the challenge 0 by default, $WIDGETS_CHALLENGE when set, and one random draw under nbgrader?"""
    assert context.challenge() == 0
    passes = Lesson("q").check("q-x", "x", close(seeded), namespace={"x": 0.0})
    assert passes.passed
    monkeypatch.setenv("WIDGETS_CHALLENGE", "17")
    assert context.challenge() == 17
    assert Lesson("q").check("q-x", "x", close(seeded), namespace={"x": 17.0}).passed
    monkeypatch.delenv("WIDGETS_CHALLENGE")
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    drawn = context.challenge()
    assert drawn == context.challenge() and 0 <= drawn < 10**6


def test_a_reference_module_beside_the_lesson_is_loaded_or_the_check_deferred(folder):
    """Is lesson.reference read from <stem>_reference.py, and without it 'checked when graded'?"""
    notebook(folder, "03-x.ipynb", [graded_cell("q-x", CHECK_X, 2)])
    lesson = Lesson("q")
    check = close(lesson.reference("mean_x"), atol=0.01)
    deferred = lesson.check("q-x", "x", check, namespace={"x": 2.5})
    assert deferred.state == "deferred" and deferred.passed and repr(deferred) == "2"
    assert "checked when graded" in str(deferred)
    (folder / "03-x_reference.py").write_text("def mean_x():\n    return 2.5\n")
    assert lesson.check("q-x", "x", check, namespace={"x": 2.5}).state == "correct"
    assert lesson.check("q-x", "x", check, namespace={"x": 3.5}).state == "wrong"


def test_multiple_choice_keys_from_the_solution_or_the_released_digest(folder):
    """Is the key the source's solution, else the release's digest, which an added solution cannot beat?"""
    source = [
        answer_cell("q-c-answer", '### BEGIN SOLUTION\nc = "C"\n### END SOLUTION'),
        graded_cell("q-c", "lesson.check(...)", 1),
    ]
    notebook(folder, "s.ipynb", source)
    assert Lesson("q").check("q-c", "c", one_of("ABCD"), namespace={"c": "c"}).state == "correct"
    assert Lesson("q").check("q-c", "c", one_of("ABCD"), namespace={"c": "A"}).state == "wrong"
    (folder / "s.ipynb").unlink()
    released = {"salt": "ab", "sha256": digest("C", salt="ab")}
    student = [
        answer_cell("q-c-answer", '### BEGIN SOLUTION\nc = "A"\n### END SOLUTION'),
        graded_cell("q-c", "lesson.check(...)", 1, **released),
    ]
    notebook(folder, "r.ipynb", student)
    assert Lesson("q").check("q-c", "c", one_of("ABCD"), namespace={"c": "C"}).state == "correct"
    assert Lesson("q").check("q-c", "c", one_of("ABCD"), namespace={"c": "A"}).state == "wrong"


def test_stand_ins_are_placed_announced_and_never_over_an_answer(folder):
    """Does an open data answer get the stand-in data, said in today's words, and a written one stay?"""
    ns = {}
    feedback = Lesson("q").check(
        "q-d", ["x_data", "y_data"], close(0.0), stand_in=stand_ins.line_data(80, (-2, 2)), namespace=ns
    )
    assert feedback.state == "open" and is_stand_in("x_data", ns["x_data"]) and ns["x_data"].shape == (80,)
    assert "`x_data` and `y_data` now hold a stand-in: 80 points from other true values" in str(feedback)
    mine = {"x_data": 1.0}
    Lesson("q").check("q-d", ["x_data", "y_data"], close(0.0), stand_in=stand_ins.line_data(), namespace=mine)
    assert mine["x_data"] == 1.0 and is_stand_in("y_data", mine["y_data"])


def test_a_check_needing_an_open_answer_names_the_exercise_that_owns_it(folder):
    """Is a check that needs another exercise's stand-in 'not checked yet', naming that exercise?"""
    ns = {}
    lesson = Lesson("q")
    lesson.check("q-d", "y_data", close(0.0), stand_in=stand_ins.line_draws([0.0, 1.0], 2), namespace=ns)
    ns["m"] = 1.0
    feedback = lesson.check("q-m", "m", close(1.0), needs=["y_data"], namespace=ns)
    assert feedback.state == "blocked" and "uses your `y_data` from q-d" in str(feedback)


def test_summary_lists_the_notebooks_exercises_in_order_with_their_points(folder):
    """Does the summary list every lesson.check test cell of the notebook, checked or not?"""
    cells = [graded_cell("q-x", CHECK_X, 3), graded_cell("q-y", 'lesson.check("q-y", "y", close(1.0))', 2)]
    notebook(folder, "a.ipynb", cells)
    lesson = Lesson("q")
    lesson.check("q-x", "x", close(2.0, atol=0.1), namespace={"x": 2.0})
    text = repr(lesson.summary())
    assert text.startswith("Lesson q: provisional score 3 of 5 points")
    assert "q-y                  0 / 2  check not run yet" in text


KERNEL_LESSON = [
    nbformat.v4.new_code_cell(
        "import sys, warnings\n"
        "from widgets.checks import close\n"
        "from widgets.exercises import Lesson\n"
        'lesson = Lesson("k")'
    ),
    answer_cell("k-x-answer", "### BEGIN SOLUTION\nx = 2.0\n### END SOLUTION"),
    graded_cell(
        "k-x",
        'lesson.check("k-x", "x", close(lambda: (print("!", file=sys.stderr), warnings.warn("w"), 2.0)[-1]))',
        2,
    ),
]


def run(folder, cells):
    path = notebook(folder, "k.ipynb", cells)
    nb = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    asyncio.run(client.async_execute())
    return nb


def test_in_a_kernel_the_check_writes_no_stderr_and_records_its_cell(folder, monkeypatch):
    """In a kernel: points as the value, no stderr from a noisy reference, a record with the cell's hash?"""
    monkeypatch.setenv("WIDGETS_RECORDS", str(folder / "records.jsonl"))
    monkeypatch.setenv("WIDGETS_CHALLENGE", "7")
    nb = run(folder, KERNEL_LESSON)
    test = nb.cells[2]
    assert [o["data"]["text/plain"] for o in test.outputs if o.output_type == "execute_result"] == ["2"]
    assert not [o for o in test.outputs if o.output_type == "stream" or o.output_type == "error"]
    (entry,) = [json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines()]
    assert entry["grade_id"] == "k-x" and entry["state"] == "correct" and entry["check"] == "close"
    assert entry["code_sha256"] == hashlib.sha256(test.source.encode()).hexdigest()
    assert entry["answer"] == 2.0 and entry["reference"]["value"] == 2.0
