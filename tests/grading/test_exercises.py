"""Instant feedback in the notebook: what `Lesson.check` says, shows and scores, and the stand-ins.

Namespaces are plain dicts standing in for a notebook's globals; the lessons themselves run
in real kernels in test_lessons_and_release.py.
"""

import re

import jax.random as jr
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

from widgets import FitPanel, exercises
from widgets.exercises import EXERCISES, Lesson, NotAnswered, answer_data, is_stub
from widgets.grading.compare import verdict

WITH_STAND_INS = [gid for gid, e in EXERCISES.items() if e.stand_in is not None]


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


def test_stubs_are_recognised_and_answers_are_not():
    """Are `...`, empty bodies and nbgrader's raise-stub stubs, and a started answer or a value not?"""
    assert all(map(is_stub, [Ellipsis, empty_model, nbgrader_stub, lambda x, y=None: None]))
    assert not any(map(is_stub, [right_model, started_model, None, 0, "B", np.zeros(3)]))


def test_an_unanswered_check_is_worth_0_and_says_not_answered_without_an_error_text():
    """Does an undefined answer give 0 points, 'not answered yet', and no exception text?"""
    feedback = Lesson("l1").check("l1-rhat", {})
    assert repr(feedback) == "0" and feedback.points == 0 and not feedback.passed
    assert "Not answered yet" in str(feedback) and "Not answered yet" in feedback._repr_html_()
    assert "`answer_rhat`" in str(feedback)
    assert not re.search(r"Error|raised|: \.", str(feedback))


def test_a_right_answer_shows_its_points_as_the_plain_text_value():
    """Is the plain-text value of a right answer's feedback its points, which nbgrader reads as credit?"""
    feedback = Lesson("l1").check("l1-model", {"my_model": right_model})
    assert feedback.passed and repr(feedback) == "2"
    assert "Correct" in feedback._repr_html_() and "not yet" not in str(feedback).lower()


def test_multiple_choice_feedback_promises_no_hidden_checks_with_other_inputs():
    """Does a right multiple-choice answer's note not claim checks on new inputs, while l1-model's does?"""
    choice = Lesson("l1").check("l1-rhat", {"answer_rhat": "B"})
    model = Lesson("l1").check("l1-model", {"my_model": right_model})
    assert choice.passed and "new" not in choice.note and "hidden" not in str(choice).lower()
    assert "new random draws" in model.note


def test_a_wrong_model_gets_the_hint_for_the_site_that_differs():
    """Does the hint for a model whose b is wrong speak of b, not repeat the task?"""
    feedback = Lesson("l1").check("l1-model", {"my_model": model_with_wrong_b})
    assert feedback.state == "wrong" and "draws of b differ" in feedback.reason
    assert "look at `b`" in feedback.hint and feedback.hint != EXERCISES["l1-model"].hint


def test_an_exception_without_a_message_does_not_end_in_a_colon():
    """Does an answer raising a bare exception read 'raised ValueError', not 'raised ValueError: .'?"""

    def raises(x, y=None):
        raise ValueError()

    feedback = Lesson("l1").check("l1-model", {"my_model": raises})
    assert "raised ValueError." in str(feedback) and ": ." not in str(feedback)


def test_nbgraders_raise_stub_counts_as_not_answered():
    """Is a model still raising nbgrader's NotImplementedError stub 'not answered', not an error?"""
    ns = {"my_model": nbgrader_stub}
    feedback = Lesson("l1").check("l1-model", ns)
    assert feedback.state == "open" and "NotImplementedError" not in feedback._repr_html_()


@pytest.mark.parametrize("grade_id", WITH_STAND_INS)
def test_an_unanswered_exercise_gets_an_announced_stand_in(grade_id):
    """Does the check put a stand-in under each missing name, say so, and give 0 points?"""
    ns = {}
    feedback = Lesson(grade_id[:2]).check(grade_id, ns)
    assert feedback.state == "open" and feedback.points == 0
    for name in EXERCISES[grade_id].answers:
        assert exercises.is_stand_in(name, ns[name])
        assert f"`{name}`" in feedback.stand_in
    assert "stand-in" in feedback._repr_html_() and "earns no points" in str(feedback)


@pytest.mark.parametrize("grade_id", WITH_STAND_INS)
def test_stand_ins_earn_nothing_even_when_taken_for_answers(grade_id):
    """Would each stand-in fail its own check if the grader took it for the student's answer?"""
    exercise = EXERCISES[grade_id]
    ns = dict(exercise.stand_in.make())  # the stand-in's values, not registered as placed
    answer = exercise.extract(ns, 0)
    reference = exercise.reference(ns, 0)
    passed, _ = verdict(exercise.comparator, exercises._plain(answer), exercises._plain(reference))
    assert not passed


def test_a_placed_stand_in_reads_as_unanswered_to_the_grader():
    """Does the grader's answer reader refuse a stand-in the check placed, as not answered?"""
    ns = {}
    Lesson("l1").check("l1-data", ns)
    with pytest.raises(NotAnswered, match="not answered yet: `x_data` and `y_data` hold stand-ins"):
        answer_data("l1-data", ns)


def test_a_stand_in_never_overwrites_what_the_student_wrote():
    """With x_data written and y_data missing, is only y_data stood in for, and x_data kept?"""
    mine = np.linspace(-2.0, 2.0, 80)
    ns = {"x_data": mine}
    feedback = Lesson("l1").check("l1-data", ns)
    assert ns["x_data"] is mine and exercises.is_stand_in("y_data", ns["y_data"])
    assert "`y_data` now holds a stand-in" in str(feedback) and "`x_data`" not in feedback.stand_in
    wrong_model = {"my_model": started_model}
    Lesson("l1").check("l1-model", wrong_model)
    assert wrong_model["my_model"] is started_model  # a wrong answer is the student's: kept


def test_the_hidden_test_places_stand_ins_too():
    """Does assert_correct (run first in the source's test cells) also leave stand-ins for later cells?"""
    ns = {"my_model": empty_model}
    with pytest.raises(AssertionError, match="not answered yet"):
        Lesson("l1").assert_correct("l1-model", ns)
    assert ns["my_model"] is exercises.stand_in_model


def test_a_check_that_needs_an_open_answer_is_not_checked_yet():
    """Is the posterior mean not checked (0 points, not 'not answered') while the data are stand-ins?"""
    ns = {"my_model": right_model, "posterior_mean_a": 1.49}
    Lesson("l1").check("l1-data", ns)
    feedback = Lesson("l1").check("l1-posterior-mean", ns)
    assert feedback.state == "blocked" and feedback.points == 0
    assert "Not checked yet" in str(feedback) and "l1-data" in str(feedback)
    with pytest.raises(NotAnswered, match="not checked yet"):
        answer_data("l1-posterior-mean", ns)


def test_summary_lists_every_exercise_with_its_state():
    """Does the summary give the score, each exercise's points and state, in text and HTML?"""
    lesson = Lesson("l1")
    lesson.check("l1-rhat", {"answer_rhat": "B"})
    lesson.check("l1-ess", {})
    summary = lesson.summary()
    text = repr(summary)
    assert text.startswith("Lesson l1: provisional score 1 of 9 points")
    assert re.search(r"l1-rhat +1 / 1 +correct", text) and re.search(r"l1-ess +0 / 1 +not answered yet", text)
    assert re.search(r"l1-model +0 / 2 +check not run yet", text)
    assert "1 of 9 points" in summary._repr_html_()


def test_feedback_html_uses_the_theme_colours():
    """Are the feedback's colours JupyterLab theme variables (legible in light and dark themes)?"""
    page = Lesson("l1").check("l1-rhat", {"answer_rhat": "A"})._repr_html_()
    colours = re.findall(r"(?:color|background|border-left)[^;\"]*:\s*([^;\"]+)", page)
    assert colours and all("var(--jp-" in c for c in colours if c.strip() not in ("inherit",)), colours


REFERENCE_6 = EXERCISES["l1-fit-panel"].reference({}, 0)


def fit_answer(samples, healthy, lower_healthy, **settings):
    answer = {"num_samples": samples, "num_warmup": 500, "num_chains": 4, "priors": REFERENCE_6["priors"]}
    lower = {"num_samples": samples - 100, "healthy": lower_healthy} if samples > 100 else None
    return {**answer, "healthy": healthy, "lower": lower, **settings}


@pytest.mark.parametrize(
    ("answer", "passes", "says"),
    [
        (fit_answer(200, True, False), True, "200 samples fit without a warning and 100 do not"),
        (fit_answer(300, True, True), False, "200 samples, one step lower, also fit without a warning"),
        (fit_answer(100, False, None), False, "with 100 samples per chain still warns"),
        (fit_answer(2000, None, None), False, "start at 1000 samples"),
        (fit_answer(200, True, False, num_warmup=100), False, "keep 500 warmup iterations"),
    ],
)
def test_exercise_6_asks_for_the_smallest_healthy_number_in_steps(answer, passes, says):
    """Does the check pass only a healthy number of samples whose next step down warns?"""
    passed, reason = verdict("smallest_healthy", answer, REFERENCE_6)
    assert passed is passes and says in reason


def lesson_one_data():
    _, kx, kn = jr.split(jr.PRNGKey(0), 3)
    x = jr.uniform(kx, (80,), minval=-2.0, maxval=2.0)
    return x, 1.5 * x - 0.5 + 0.3 * jr.normal(kn, (80,))


@pytest.mark.parametrize(("samples", "passes"), [(200, True), (300, False), (100, False)])
def test_exercise_6_on_the_lessons_data_agrees_with_its_question(samples, passes):
    """On lesson 1's data at the panel's seed, is 200 (the solution) right, and 300 and 100 not?"""
    x, y = lesson_one_data()
    ns = {"x_data": x, "y_data": y, "fit_settings": FitPanel(x, y, num_samples=samples)}
    assert Lesson("l1").check("l1-fit-panel", ns).passed is passes
