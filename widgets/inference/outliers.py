"""Data with outliers, and the regressions padded to a fixed capacity so that new data never recompile.

A panel in which a student adds and removes points changes the number of
points, and with it the shapes the sampler was compiled for. The padded
models take the data at a fixed length, :data:`CAPACITY`, with a boolean
``mask`` saying which entries are points: the others are zeros whose
likelihood NumPyro's ``mask`` handler leaves out (their log-likelihood is 0,
and :func:`widgets.inference.comparison.loo` scores the masked-in points
only). So one compiled sampler per model serves every data set of up to
``CAPACITY`` points.

:func:`fit_padded` fits the regression (Normal or Student-t) with that
sampler and returns the fit of the points alone, as :func:`~widgets.inference.fit`
does: a lesson that fits its data this way and then opens a panel of other
data compiles one sampler per model, not two.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from numpyro import handlers

from widgets.inference.checks import _as_count, as_data
from widgets.inference.fitting import fit_model, fit_model_needs_compiling
from widgets.inference.models import linear_regression, student_t_regression
from widgets.inference.priors import TUTORIAL_PRIORS, Priors, _check_priors
from widgets.inference.results import _REGRESSION_DIMS, Fit
from widgets.tutorial import N, TRUE_VALUES, X_RANGE

CAPACITY = 128
"""The most points the padded models take: data are padded to this length."""

MASK = "mask"
"""The name of the padded models' data argument that says which entries are points."""


def data_with_outliers(
    n: int = N, *, num_outliers: int = 3, shift: float = 3.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tutorial's data, ``y = a*x + b + Normal(0, sigma)``, with a few points pushed far off the line.

    x is uniform over the tutorial's range and a, b, sigma are its true values
    (1.5, -0.5, 0.3). Each outlier's y is moved up or down (at random) by
    between 0.8 and 1.2 times `shift`, i.e. by some 10 noise scales for the
    default shift of 3.

    Parameters
    ----------
    n : int
        Number of points, >= 1.
    num_outliers : int
        How many of them are outliers, in [0, n].
    shift : float
        How far, in y, an outlier is moved, > 0.
    seed : int
        Seed of the draw.

    Returns
    -------
    x, y : numpy.ndarray, shape (n,), float32
        The data.
    outliers : numpy.ndarray of int
        The indices of the outliers, sorted.
    """
    n = _as_count("n", n, minimum=1)
    num_outliers = _as_count("num_outliers", num_outliers, minimum=0, maximum=n)
    if not (isinstance(shift, (int, float)) and np.isfinite(shift) and shift > 0):
        raise ValueError(f"shift must be a finite number > 0; got {shift!r}")
    seed = _as_count("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    x = rng.uniform(*X_RANGE, n)
    y = TRUE_VALUES["a"] * x + TRUE_VALUES["b"] + TRUE_VALUES["sigma"] * rng.normal(size=n)
    outliers = np.sort(rng.choice(n, size=num_outliers, replace=False))
    signs = rng.choice([-1.0, 1.0], size=num_outliers)
    y[outliers] += signs * shift * rng.uniform(0.8, 1.2, num_outliers)
    return x.astype(np.float32), y.astype(np.float32), outliers


def padded(x, y, *, capacity: int = CAPACITY) -> dict[str, np.ndarray]:
    """The data arguments of a padded model: x and y padded with zeros to `capacity`, and the mask.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The points, 1 <= n <= `capacity`; finite.
    capacity : int
        The padded length.

    Returns
    -------
    dict
        ``{"x": float32 (capacity,), "mask": bool (capacity,), "y": float32 (capacity,)}``,
        the first n entries being the points.

    Raises
    ------
    ValueError
        If x or y is empty, not finite, of different lengths, or longer than `capacity`.
    """
    x, y = as_data("x", x), as_data("y", y)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length; got {x.size} and {y.size}")
    capacity = _as_count("capacity", capacity, minimum=1)
    if x.size > capacity:
        raise ValueError(f"at most {capacity} points fit the padded models; got {x.size}")
    data = {
        "x": np.zeros(capacity, np.float32),
        MASK: np.zeros(capacity, bool),
        "y": np.zeros(capacity, np.float32),
    }
    data["x"][: x.size], data["y"][: y.size], data[MASK][: x.size] = x, y, True
    return data


class _mask_observations(handlers.mask):
    """NumPyro's ``mask`` handler for the observed site ``y`` alone.

    Not for every observed site: the sampler adds each latent site's Jacobian
    as an observed ``factor`` site, which a mask of shape (capacity,) would
    count once per point.
    """

    def process_message(self, msg) -> None:
        if msg["type"] == "sample" and msg["is_observed"] and msg["name"] == "y":
            super().process_message(msg)


def padded_linear_regression(x, mask, y=None, priors: Priors = TUTORIAL_PRIORS):
    """:func:`~widgets.inference.models.linear_regression` on padded data: only ``mask``'s points count.

    Parameters
    ----------
    x : array, shape (capacity,)
        The inputs, padded (see :func:`padded`).
    mask : bool array, shape (capacity,)
        Which entries are points.
    y : array, shape (capacity,), optional
        The observations, padded; ``None`` draws them from the model.
    priors : Priors
        Priors of ``a``, ``b`` and ``sigma``; the tutorial's by default.
    """
    with _mask_observations(mask=mask):
        linear_regression(x, y, priors)


def padded_student_t_regression(x, mask, y=None, priors: Priors = TUTORIAL_PRIORS):
    """:func:`~widgets.inference.models.student_t_regression` on padded data: only ``mask``'s points count.

    Parameters
    ----------
    x : array, shape (capacity,)
        The inputs, padded (see :func:`padded`).
    mask : bool array, shape (capacity,)
        Which entries are points.
    y : array, shape (capacity,), optional
        The observations, padded; ``None`` draws them from the model.
    priors : Priors
        Priors of ``a``, ``b`` and the noise scale ``sigma``; the tutorial's by default.
    """
    with _mask_observations(mask=mask):
        student_t_regression(x, y, priors)


PADDED_MODELS = {
    linear_regression: padded_linear_regression,
    student_t_regression: padded_student_t_regression,
}
"""The regressions :func:`fit_padded` fits, and the padded model that runs each."""


def _padded_model(model: Callable) -> Callable:
    if model not in PADDED_MODELS:
        names = ", ".join(f.__name__ for f in PADDED_MODELS)
        raise ValueError(f"model must be one of the kit's regressions {names}; got {model!r}")
    return PADDED_MODELS[model]


def fit_padded(
    x,
    y,
    *,
    model: Callable = linear_regression,
    priors: Priors = TUTORIAL_PRIORS,
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 4,
    seed: int = 0,
    progress: Callable[[float], Any] | None = None,
) -> Fit:
    """:func:`~widgets.inference.fit` of ``(x, y)`` run by the padded model's sampler, for any n <= CAPACITY.

    The points are padded to :data:`CAPACITY` entries (:func:`padded`) and
    the padded model of `model` (:data:`PADDED_MODELS`) is fitted with
    :func:`~widgets.inference.fit_model`: one compiled sampler per model and
    number of chains serves every number of points up to ``CAPACITY``. The
    posterior is the model's on the points (the padding adds nothing to the
    log density), so the result is the fit :func:`~widgets.inference.fit`
    would return up to Monte Carlo error: its model is `model`, its data,
    observed data and pointwise log-likelihood are those of the n points
    alone, so ``az.loo(result.idata)`` and the kit's ``loo`` score n points.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The points, 1 <= n <= ``CAPACITY``; finite.
    model : callable
        :func:`~widgets.inference.linear_regression` (the default) or
        :func:`~widgets.inference.student_t_regression`.
    priors : Priors
        Priors of ``a``, ``b`` and ``sigma``; the tutorial's by default.
    num_warmup, num_samples, num_chains, seed, progress
        The NUTS run, as in :func:`~widgets.inference.fit`.

    Returns
    -------
    Fit
        The fit of the n points.

    Raises
    ------
    ValueError
        If `model` is not one of the two regressions, for data :func:`padded`
        refuses, or for a run option :func:`~widgets.inference.fit_model` refuses.
    """
    data = padded(x, y)
    result = fit_model(
        _padded_model(model),
        data,
        hyperparameters={"priors": _check_priors(priors)},
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        seed=seed,
        progress=progress,
    )
    n = int(data[MASK].sum())
    points = {"x": data["x"][:n], "y": data["y"][:n]}
    return dataclasses.replace(
        result,
        log_likelihood={name: value[..., :n] for name, value in result.log_likelihood.items()},
        observed_data={"y": points["y"]},
        data=points,
        model=model,
        dims=dict(_REGRESSION_DIMS),
    )


def fit_padded_needs_compiling(
    *, model: Callable = linear_regression, priors: Priors = TUTORIAL_PRIORS, num_chains: int = 4
) -> bool:
    """Whether :func:`fit_padded` would compile its sampler (once per process, model and number of chains).

    Parameters
    ----------
    model : callable
        One of :data:`PADDED_MODELS`' regressions.
    priors : Priors
        The priors (only their families matter).
    num_chains : int
        Number of chains, >= 1.

    Returns
    -------
    bool
        True if the next such fit compiles first.
    """
    return fit_model_needs_compiling(
        _padded_model(model),
        padded([0.0], [0.0]),
        hyperparameters={"priors": _check_priors(priors)},
        num_chains=num_chains,
    )
