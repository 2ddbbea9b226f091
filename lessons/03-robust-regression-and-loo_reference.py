"""References of lesson 3, kept from students: never released.

They re-fit the lesson's two models exactly as its locked cells do (same data,
seed and run), so that ArviZ gives the numbers the student's own cells do.
"""

import numpy as np

from widgets.inference import student_t_regression
from widgets.inference.comparison import high_k_points, loo
from widgets.inference.outliers import data_with_outliers, fit_padded


def _fits():
    x, y, _ = data_with_outliers(80, num_outliers=3, seed=0)
    return fit_padded(x, y, seed=0), fit_padded(x, y, model=student_t_regression, seed=0)


def loo_numbers():
    """elpd_loo and se of the Normal model, then of the Student-t model, from az.loo."""
    numbers = []
    for result in _fits():
        score = loo(result)  # az.loo(result.idata, pointwise=True), number for number
        numbers += [float(score.elpd_loo), float(score.se)]
    return np.array(numbers)


def high_k_normal():
    """The indices of the points with the Normal model's Pareto k above good_k, sorted."""
    normal, _ = _fits()
    return high_k_points(loo(normal)).astype(float)
