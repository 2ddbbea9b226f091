"""Instant feedback in the notebook: what `Lesson.check` says, shows and scores, and the stand-ins.

Namespaces are plain dicts standing in for a notebook's globals; the points come from a tiny
notebook in the working folder holding the exercises' test cells, as in a lesson.
"""

import re

import nbformat
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

from widgets.checks import one_of, regression_data, same_draws, standard_normal_noise, within_mcse
from widgets.checks._check import Context, plain
from widgets.exercises import Lesson, is_stand_in, is_stub, stand_ins
from widgets.grading.compare import verdict
from widgets.inference import linear_regression

X_GRID = np.linspace(-2.0, 2.0, 50)
POINTS = {"q-model": 2, "q-data": 1, "q-mean": 2, "q-choice": 1, "q-fixed": 2}


@pytest.fixture(autouse=True)
def lesson_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("WIDGETS_NOTEBOOK", raising=False)
    monkeypatch.delenv("WIDGETS_CHALLENGE", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.chdir(tmp_path)
    cells = []
    for gid, points in POINTS.items():
        meta = {"grade_id": gid, "grade": True, "solution": False, "locked": True, "points": points}
        cells.append(nbformat.v4.new_code_cell(f'lesson.check("{gid}", ...)', metadata={"nbgrader": meta}))
    meta = {"grade_id": "q-choice-answer", "grade": False, "solution": True, "locked": False}
    source = '### BEGIN SOLUTION\nanswer = "C"\n### END SOLUTION'
    cells.insert(3, nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta}))
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(tmp_path / "q.ipynb"))


def right_model(x, y=None):
    a = numpyro.sample("a", dist.Normal(0.0, 2.0))
    b = numpyro.sample("b", dist.Normal(0.0, 2.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    numpyro.sample("y", dist.Normal(a * x + b, sigma), obs=y)


def model_with_wrong_b(x, y=None):
    a = numpyro.sample("a", dist.Normal(0.0, 2.0))
    b = numpyro.sample("b", dist.Normal(1.0, 2.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    numpyro.sample("y", dist.Normal(a * x + b, sigma), obs=y)


def empty_model(x, y=None):
    """The release's stub: a docstring and nothing else."""
    # YOUR CODE HERE
    ...


def nbgrader_stub(x, y=None):
    raise NotImplementedError()


def started_model(x, y=None):
    numpyro.sample("a", dist.Normal(0.0, 2.0))


def model(ns, lesson=None):
    return (lesson or Lesson("q")).check(
        "q-model",
        "my_model",
        same_draws(linear_regression),
        stand_in=stand_ins.regression_model(),
        hint="Write the tutorial's model.",
        hints={"draws of b differ": "`a` is right; look at `b`."},
        namespace=ns,
    )


DATA = regression_data(a=1.5, b=-0.5, sigma=0.3, n=80, x_range=(-2.0, 2.0))


def data(ns, lesson=None):
    return (lesson or Lesson("q")).check(
        "q-data", ["x_data", "y_data"], DATA, stand_in=stand_ins.line_data(80, (-2.0, 2.0)), namespace=ns
    )


def choice(ns, lesson=None):
    return (lesson or Lesson("q")).check("q-choice", "answer", one_of("ABCD"), hint="Think.", namespace=ns)


FIXED = standard_normal_noise(mean=1.5 * X_GRID - 0.5, sigma=0.3, shape=(4, 50))


def fixed(ns, lesson=None):
    return (lesson or Lesson("q")).check(
        "q-fixed", "y_fixed", FIXED, stand_in=stand_ins.line_draws(X_GRID, 4), namespace=ns
    )


def test_stubs_are_recognised_and_answers_are_not():
    """Are `...`, empty bodies and nbgrader's raise-stub stubs, and a started answer or a value not?"""
    assert all(map(is_stub, [Ellipsis, empty_model, nbgrader_stub, lambda x, y=None: None]))
    assert not any(map(is_stub, [right_model, started_model, None, 0, "B", np.zeros(3)]))


def test_an_unanswered_check_is_worth_0_and_says_not_answered_without_an_error_text():
    """Does an undefined answer give 0 points, 'not answered yet', and no exception text?"""
    feedback = choice({})
    assert repr(feedback) == "0" and feedback.points == 0 and not feedback.passed
    assert "Not answered yet" in str(feedback) and "Not answered yet" in feedback._repr_html_()
    assert "`answer`" in str(feedback)
    assert not re.search(r"Error|raised|: \.", str(feedback))


def test_a_right_answer_shows_its_points_as_the_plain_text_value():
    """Is the plain-text value of a right answer's feedback its points, which nbgrader reads as credit?"""
    feedback = model({"my_model": right_model})
    assert feedback.passed and repr(feedback) == "2"
    assert "Correct" in feedback._repr_html_() and "not yet" not in str(feedback).lower()


def test_multiple_choice_feedback_promises_no_checks_with_other_inputs():
    """Does a right multiple-choice answer's note not claim new draws, while the model's does?"""
    right = choice({"answer": "c"})
    assert right.passed and "new" not in right.note and "hidden" not in str(right).lower()
    assert "new random draws" in model({"my_model": right_model}).note


def test_a_wrong_model_gets_the_hint_for_the_site_that_differs():
    """Does the hint for a model whose b is wrong speak of b, not repeat the task?"""
    feedback = model({"my_model": model_with_wrong_b})
    assert feedback.state == "wrong" and "draws of b differ" in feedback.reason
    assert feedback.hint == "`a` is right; look at `b`."


def test_the_checks_own_hints_come_after_the_cells():
    """Does a model without site 'y' get same_draws' own hint naming the sites, and else the default?"""
    feedback = model({"my_model": started_model})
    assert feedback.hint.startswith("Name the sample sites exactly 'a', 'b', 'sigma' and 'y'")


def test_an_exception_without_a_message_does_not_end_in_a_colon():
    """Does an answer raising a bare exception read 'raised ValueError', not 'raised ValueError: .'?"""

    def raises(x, y=None):
        raise ValueError()

    feedback = model({"my_model": raises})
    assert "raised ValueError." in str(feedback) and ": ." not in str(feedback)


def test_nbgraders_raise_stub_counts_as_not_answered():
    """Is a model still raising nbgrader's NotImplementedError stub 'not answered', not an error?"""
    feedback = model({"my_model": nbgrader_stub})
    assert feedback.state == "open" and "NotImplementedError" not in feedback._repr_html_()


STAND_INS = [(model, ["my_model"]), (data, ["x_data", "y_data"]), (fixed, ["y_fixed"])]


@pytest.mark.parametrize(("checked", "names"), STAND_INS, ids=lambda v: getattr(v, "__name__", ""))
def test_an_unanswered_exercise_gets_an_announced_stand_in(checked, names):
    """Does the check put a stand-in under each missing name, say so, and give 0 points?"""
    ns = {}
    feedback = checked(ns)
    assert feedback.state == "open" and feedback.points == 0
    for name in names:
        assert is_stand_in(name, ns[name]) and f"`{name}`" in feedback.stand_in
    assert "stand-in" in feedback._repr_html_() and "earns no points" in str(feedback)


@pytest.mark.parametrize(
    ("check", "stand_in", "names"),
    [
        (same_draws(linear_regression), stand_ins.regression_model(), ["my_model"]),
        (DATA, stand_ins.line_data(80, (-2.0, 2.0)), ["x_data", "y_data"]),
        (FIXED, stand_ins.line_draws(X_GRID, 4), ["y_fixed"]),
    ],
    ids=["model", "data", "draws"],
)
def test_stand_ins_earn_nothing_even_when_taken_for_answers(check, stand_in, names):
    """Would each stand-in fail its own check if the grader took it for the student's answer?"""
    values = stand_in.values(names)
    value = values[names[0]] if len(names) == 1 else tuple(values[n] for n in names)
    ctx = Context()
    answer, reference = plain(check.answer(value, ctx)), plain(check.reference(ctx))
    assert not verdict(check.verdict, answer, reference)[0]


def test_a_stand_in_never_overwrites_what_the_student_wrote():
    """With x_data written and y_data missing, is only y_data stood in for, and x_data kept?"""
    mine = np.linspace(-2.0, 2.0, 80)
    ns = {"x_data": mine}
    feedback = data(ns)
    assert ns["x_data"] is mine and is_stand_in("y_data", ns["y_data"])
    assert "`y_data` now holds a stand-in" in str(feedback) and "`x_data`" not in feedback.stand_in
    wrong_model = {"my_model": started_model}
    model(wrong_model)
    assert wrong_model["my_model"] is started_model  # a wrong answer is the student's: kept


def test_a_check_that_needs_an_open_answer_is_not_checked_yet():
    """Is the mean not checked (0 points, not 'not answered') while the data it uses are stand-ins?"""
    lesson = Lesson("q")
    ns = {"my_model": right_model, "posterior_mean_a": 1.49}
    data(ns, lesson)
    feedback = lesson.check(
        "q-mean",
        "posterior_mean_a",
        within_mcse((1.5, 0.03), effective_draws=1000),
        needs=["my_model", "x_data", "y_data"],
        namespace=ns,
    )
    assert feedback.state == "blocked" and feedback.points == 0
    assert "Not checked yet" in str(feedback) and "`x_data` and `y_data` from q-data" in str(feedback)


def test_summary_lists_every_exercise_with_its_state():
    """Does the summary give the score, each exercise's points and state, in text and HTML?"""
    lesson = Lesson("q")
    choice({"answer": "C"}, lesson)
    data({}, lesson)
    text = repr(lesson.summary())
    assert text.startswith("Lesson q: provisional score 1 of 8 points")
    assert re.search(r"q-choice +1 / 1 +correct", text) and re.search(
        r"q-data +0 / 1 +not answered yet", text
    )
    assert re.search(r"q-model +0 / 2 +check not run yet", text)
    assert "1 of 8 points" in lesson.summary()._repr_html_()


def test_feedback_html_uses_the_theme_colours():
    """Are the feedback's colours JupyterLab theme variables (legible in light and dark themes)?"""
    page = choice({"answer": "A"})._repr_html_()
    colours = re.findall(r"(?:color|background|border-left)[^;\"]*:\s*([^;\"]+)", page)
    assert colours and all("var(--jp-" in c for c in colours if c.strip() not in ("inherit",)), colours
