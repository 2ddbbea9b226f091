"""Lesson 3's panel check: one point of the data moved to a Pareto k above ArviZ's good_k."""

import warnings
from types import SimpleNamespace

import arviz as az
import numpy as np
import pytest

from widgets.checks._check import Context
from widgets.checks.loo import moved_to_high_k
from widgets.grading import compare
from widgets.inference.outliers import MASK, data_with_outliers
from widgets.robust_panel import RobustRegressionPanel

x_clean, y_clean, _ = data_with_outliers(20, num_outliers=0, seed=1)


def _stand_in(y, *, high_k=(), x=x_clean, message=""):
    """What the check reads of a RobustRegressionPanel, without fitting."""
    return SimpleNamespace(x=x, y=y, message=message, high_k={"normal": tuple(high_k), "student_t": ()})


def _moved(index, dy):
    y = np.array(y_clean)
    y[index] += dy
    return y


def _arviz_k(fit):
    """Pareto k of each point, by az.loo directly on the fit's masked-in log-likelihood."""
    log_likelihood = fit.log_likelihood["y"][..., np.asarray(fit.data[MASK], bool)]
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
