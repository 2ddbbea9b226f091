"""Lesson 3's checks: a panel point moved to a high Pareto k, the Student-t model on other inputs, the LOO.

The model exercise (l3-model) is graded at new inputs with a new key (its hidden check): a model
right only at the instant feedback's inputs fails there. The LOO exercise (l3-loo) takes the
numbers as ArviZ prints them, to two decimals, and refuses them one off in the last decimal.
"""

import ast
import pathlib
import re
import warnings
from types import SimpleNamespace

import arviz as az
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

from widgets.checks._check import Context
from widgets.checks import allclose, same_draws
from widgets.checks.draws import challenge_x
from widgets.checks.loo import moved_to_high_k
from widgets.grading import compare, notebooks
from widgets.inference import student_t_regression
from widgets.inference.comparison import compare as compare_models
from widgets.inference.outliers import data_with_outliers
from widgets.robust_panel import RobustRegressionPanel

LESSON = pathlib.Path(__file__).resolve().parents[2] / "lessons" / "03-robust-regression-and-loo.ipynb"

x_clean, y_clean, _ = data_with_outliers(20, num_outliers=0, seed=1)


def _stand_in(y, *, high_k=(), x=x_clean, message=""):
    """What the check reads of a RobustRegressionPanel, without fitting."""
    return SimpleNamespace(x=x, y=y, message=message, high_k={"normal": tuple(high_k), "student_t": ()})


def _moved(index, dy):
    y = np.array(y_clean)
    y[index] += dy
    return y


def _arviz_k(fit):
    """Pareto k of each point, by az.loo directly on the fit's log-likelihood (of its points alone)."""
    log_likelihood = fit.log_likelihood["y"]
    assert log_likelihood.shape[-1] == len(fit.y)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Estimated shape parameter of Pareto", UserWarning)
        data = az.from_dict(posterior=fit.samples, log_likelihood={"y": log_likelihood})
        elpd = az.loo(data, pointwise=True)
    return np.asarray(elpd["pareto_k"]), float(elpd["good_k"])


@pytest.fixture(scope="module")
def dragged():
    """A real panel on the clean data with point 7 dragged 8 up (some 27 noise sd)."""
    panel = RobustRegressionPanel(x_clean, y_clean, num_samples=200, seed=0)
    panel.y = _moved(7, 8.0)
    assert panel.message == ""
    return panel


def test_a_panel_with_one_point_dragged_to_a_high_k_passes(dragged):
    """Does the panel pass, and is its moved point's k, by ArviZ directly, above good_k?"""
    k, good_k = _arviz_k(dragged.fits["normal"])
    assert k[7] > good_k
    result = moved_to_high_k(x_clean, y_clean)(dragged)
    assert result.passed, result.reason
    data = moved_to_high_k(x_clean, y_clean).data(dragged, Context())
    assert compare.verdict(data["check"], data["answer"], data["reference"])[0]


def test_the_student_t_models_k_is_read_when_asked(dragged):
    """With model="student_t", does the verdict follow that model's k, by ArviZ directly?"""
    k, good_k = _arviz_k(dragged.fits["student_t"])
    assert moved_to_high_k(x_clean, y_clean, model="student_t")(dragged).passed is bool(k[7] > good_k)


def test_a_moved_point_below_good_k_fails_saying_to_drag_it_further():
    result = moved_to_high_k(x_clean, y_clean)(_stand_in(_moved(3, 0.1), high_k=()))
    assert result.passed is False
    assert "further from the expected" in result.reason and "drag it further" in result.hint


def test_a_flagged_point_that_was_not_the_moved_one_fails():
    """Is only the moved point's k counted, not another point above good_k?"""
    result = moved_to_high_k(x_clean, y_clean)(_stand_in(_moved(3, 5.0), high_k=(4,)))
    assert result.passed is False and "drag it further" in result.hint


def test_no_point_moved_fails_saying_so():
    result = moved_to_high_k(x_clean, y_clean)(_stand_in(np.array(y_clean), high_k=(3,)))
    assert result.passed is False and "no point has moved" in result.reason


def test_two_points_moved_fail_saying_which():
    y = _moved(3, 5.0)
    y[11] -= 5.0
    result = moved_to_high_k(x_clean, y_clean)(_stand_in(y, high_k=(3, 11)))
    assert result.passed is False and "2 points moved (indices [3, 11])" in result.reason


def test_a_point_moved_sideways_counts_as_moved():
    x = np.array(x_clean)
    x[5] += 1.0
    assert moved_to_high_k(x_clean, y_clean)(_stand_in(np.array(y_clean), x=x, high_k=(5,))).passed


@pytest.mark.parametrize(
    "answer, words",
    [
        (_stand_in(np.append(y_clean, 9.0), x=np.append(x_clean, 0.0), high_k=(20,)), "holds 21 points"),
        (_stand_in(_moved(3, 5.0), high_k=(3,), message="at least 2 points are needed"), "the panel says"),
        ("RobustRegressionPanel(x_clean, y_clean)", "must be RobustRegressionPanel(...)"),
        (None, "must be RobustRegressionPanel(...)"),
    ],
)
def test_what_is_not_the_panel_with_its_points_is_refused_saying_why(answer, words):
    result = moved_to_high_k(x_clean, y_clean)(answer)
    assert result.passed is False and words in result.reason


@pytest.mark.parametrize(
    "arguments, words",
    [
        ({"x": x_clean, "y": y_clean[:5]}, "same length"),
        ({"x": x_clean, "y": y_clean, "model": "t"}, "model must be one of ('normal', 'student_t')"),
    ],
)
def test_a_check_of_bad_arguments_is_refused_when_written(arguments, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        moved_to_high_k(**arguments)


# -- l3-model: the check lesson 3 names, graded at new inputs with a new key --------------------------

MODEL_CHECK = same_draws(student_t_regression, sites=("a", "b", "sigma", "nu", "y"))
GRADING_CHALLENGES = (1, 17, 123)


def _student_t(x, y=None, *, nu_rate=0.1):
    """A student's Student-t regression: the tutorial's priors, nu ~ Gamma(2, nu_rate)."""
    a = numpyro.sample("a", dist.Normal(0.0, 2.0))
    b = numpyro.sample("b", dist.Normal(0.0, 2.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    nu = numpyro.sample("nu", dist.Gamma(2.0, nu_rate))
    with numpyro.plate("data", len(x)):
        numpyro.sample("y", dist.StudentT(nu, a * x + b, sigma), obs=y)


def _fixed_inputs(x, y=None):
    """A model that ignores its x for the instant feedback's inputs: right there, wrong anywhere else."""
    _student_t(challenge_x(0), y)


def _lighter_tails(x, y=None):
    """A Student-t model with nu ~ Gamma(2, 1): its prior on nu has a tenth of the lesson's scale."""
    _student_t(x, y, nu_rate=1.0)


def test_the_student_t_model_check_is_fresh():
    """Does grading draw l3-model's inputs and key anew (the check is `fresh`)?"""
    assert MODEL_CHECK.fresh


@pytest.mark.parametrize("challenge", (0, *GRADING_CHALLENGES))
def test_a_right_student_t_model_passes_on_other_inputs(challenge):
    """Does a Student-t model written as the lesson asks pass at the feedback's inputs and at new ones?"""
    assert MODEL_CHECK(_student_t, Context(challenge=challenge)).passed


def test_a_model_right_only_at_the_feedbacks_inputs_fails_on_other_inputs():
    """Does a model fixed to the instant feedback's x pass there, and fail at each grading challenge?"""
    assert MODEL_CHECK(_fixed_inputs, Context(challenge=0)).passed
    for challenge in GRADING_CHALLENGES:
        result = MODEL_CHECK(_fixed_inputs, Context(challenge=challenge))
        assert result.passed is False
        assert result.reason == "draws of y differ from the reference model's"


@pytest.mark.parametrize("challenge", (0, *GRADING_CHALLENGES))
def test_a_wrong_prior_on_nu_fails_on_every_input(challenge):
    """Does a Student-t model with another prior on nu fail, naming nu?"""
    result = MODEL_CHECK(_lighter_tails, Context(challenge=challenge))
    assert result.passed is False
    assert result.reason == "draws of nu differ from the reference model's"


# -- l3-loo: elpd_loo and se of both models, typed as ArviZ prints them --------------------------------


def _lesson_loo_check(reference):
    """The check of lesson 3's l3-loo test cell, as written there, with `reference` for the lesson's own."""
    cell = next(c for c in notebooks.read(LESSON).cells if notebooks.grade_id(c) == "l3-loo")
    call = next(node for node in ast.walk(ast.parse(cell.source)) if isinstance(node, ast.Call))
    lesson = SimpleNamespace(reference=lambda name: reference)
    expression = compile(ast.Expression(call.args[2]), "l3-loo", "eval")
    return eval(expression, {"allclose": allclose, "lesson": lesson})


def _printed(elpd) -> list[float]:
    """elpd_loo and its SE as ArviZ's printout of a LOO shows them."""
    row = re.search(r"^elpd_loo\s+(\S+)\s+(\S+)$", str(elpd), re.MULTILINE)
    return [float(row.group(1)), float(row.group(2))]


@pytest.fixture(scope="module")
def loo_answer(dragged):
    """The right answer at full precision, and typed from ArviZ's printout, for two real LOOs."""
    scores = [dragged.scores["normal"], dragged.scores["student_t"]]
    exact = [float(value) for score in scores for value in (score["elpd_loo"], score["se"])]
    typed = [value for score in scores for value in _printed(score)]
    return np.array(exact), np.array(typed)


def test_loo_numbers_typed_as_printed_pass(loo_answer):
    """Do elpd_loo and se typed from ArviZ's printout (two decimals) pass, as do the exact ones?"""
    exact, typed = loo_answer
    check = _lesson_loo_check(exact)
    assert np.any(typed != exact)  # the printout rounds
    assert check(list(typed)).passed
    assert check(list(exact)).passed
    data = check.data(list(typed))
    assert compare.verdict(data["check"], data["answer"], data["reference"])[0]


def test_the_comparison_table_prints_the_same_numbers(dragged, loo_answer):
    """Does the lesson's comparison table, rounded to 2 decimals as printed, give the same typed numbers?"""
    exact, typed = loo_answer
    table = compare_models(dragged.scores).round(2)
    columns = ("elpd_loo", "se")
    from_table = [table.loc[name, column] for name in ("normal", "student_t") for column in columns]
    assert _lesson_loo_check(exact)(from_table).passed


@pytest.mark.parametrize("index", range(4))
@pytest.mark.parametrize("step", (-0.01, 0.01))
def test_one_off_in_the_last_printed_decimal_fails(loo_answer, index, step):
    """Does an answer one off in the second decimal of any of the four numbers fail?"""
    exact, typed = loo_answer
    wrong = typed.copy()
    wrong[index] += step
    result = _lesson_loo_check(exact)(list(wrong))
    assert result.passed is False
    assert "1 of 4 values" in result.reason
