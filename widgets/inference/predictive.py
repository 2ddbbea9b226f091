"""Predictive draws: simulated data, the prior predictive and the posterior predictive.

Each is one NumPyro ``Predictive`` call, compiled once per model and size;
data, parameters and prior hyperparameters enter as ``float32`` array
arguments, so new values never recompile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np
from numpyro.infer import Predictive

from widgets.inference.checks import (
    _as_count,
    _as_model_data,
    _as_scalar,
    _as_seed,
    _check_arguments,
    _check_model,
    as_data,
)
from widgets.inference.compiled import _compiled, _to_numpy
from widgets.inference.models import _bound, _call_with_priors, _parameters, linear_regression
from widgets.inference.priors import TUTORIAL_PRIORS, Priors, _check_priors

if TYPE_CHECKING:
    from widgets.inference.results import Fit


@functools.lru_cache(maxsize=64)
def _simulate_fn(model: Callable) -> Callable:
    bound = _call_with_priors(model)

    def run(seed, x, params, priors):
        draws = Predictive(bound, params=params, num_samples=1, return_sites=["y"])(
            jax.random.PRNGKey(seed), x, None, priors
        )
        return draws["y"][0]

    return jax.jit(run)


def simulate(x, a, b, sigma, *, seed: int = 0, model: Callable = linear_regression):
    """Draw one data set ``y`` from the model with fixed parameters.

    This is the tutorial's ``Predictive(model, params={...})`` step: the data
    come from the same code as the model we later fit.

    Parameters
    ----------
    x : array_like, shape (n,)
        The inputs.
    a, b : float
        The true slope and intercept.
    sigma : float
        The true noise scale, > 0.
    seed : int
        Seed of the random draw, in [0, 2**32).
    model : callable
        The NumPyro model; it must have sample sites ``a``, ``b``, ``sigma``, ``y``.

    Returns
    -------
    numpy.ndarray, shape (n,)
        The simulated ``y``.

    Raises
    ------
    ValueError
        If ``x`` is empty, not numeric or not finite, a parameter is not a finite
        number, or ``sigma <= 0``.
    """
    _check_model(model)
    x = as_data("x", x)
    params = {
        "a": _as_scalar("a", a),
        "b": _as_scalar("b", b),
        "sigma": _as_scalar("sigma", sigma, positive=True),
    }
    run, _ = _compiled(_simulate_fn, model)
    return np.asarray(run(_as_seed(seed), x, params, TUTORIAL_PRIORS))


def prior_draws(x, *, num_samples: int, seed: int, model: Callable) -> dict[str, np.ndarray]:
    """Draw from `model` forward with the tutorial's priors, without compiling the model as a whole.

    The same NumPyro ``Predictive`` call as :func:`prior_predictive`, run
    operation by operation. A check that runs two models once each (the
    reference and a student's) then compiles what they share once: JAX keeps
    one program per operation, such as the Gamma and Student-t samplers' loops,
    whichever model calls it, while a compiled model is its own program.

    Parameters
    ----------
    x : array_like, shape (n,)
        The inputs.
    num_samples : int
        Number of draws, >= 1.
    seed : int
        Seed of the random draws, in [0, 2**32).
    model : callable
        The NumPyro model, called as ``model(x, y=None)``.

    Returns
    -------
    dict of str to numpy.ndarray
        Every sample site of `model`, with a leading axis of draws.
    """
    _check_model(model)
    x = as_data("x", x)
    num_samples = _as_count("num_samples", num_samples, minimum=1)
    predictive = Predictive(_call_with_priors(model), num_samples=num_samples, parallel=True)
    return _to_numpy(predictive(jax.random.PRNGKey(_as_seed(seed)), x, None, TUTORIAL_PRIORS))


@functools.lru_cache(maxsize=64)
def _prior_predictive_fn(model: Callable, num_samples: int) -> Callable:
    bound = _call_with_priors(model)

    def run(seed, x, priors):
        predictive = Predictive(bound, num_samples=num_samples, parallel=True)
        return predictive(jax.random.PRNGKey(seed), x, None, priors)

    return jax.jit(run)


def prior_predictive(
    x,
    *,
    priors: Priors = TUTORIAL_PRIORS,
    num_samples: int = 100,
    seed: int = 0,
    model: Callable = linear_regression,
) -> dict[str, np.ndarray]:
    """Draw parameters from the priors, then ``y`` given ``x``.

    Compiled once per model, ``len(x)``, ``num_samples`` and prior family; a new
    hyperparameter value or new ``x`` of the same length reuses the compiled code.

    Parameters
    ----------
    x : array_like, shape (n,)
        The inputs.
    priors : Priors
        The priors; the tutorial's by default.
    num_samples : int
        Number of draws, >= 1.
    seed : int
        Seed of the random draws, in [0, 2**32).
    model : callable
        The NumPyro model.

    Returns
    -------
    dict of str to numpy.ndarray
        ``a``, ``b``, ``sigma`` of shape ``(num_samples,)`` and ``y`` of shape
        ``(num_samples, n)`` (every sample site of `model`).
    """
    _check_model(model)
    x = as_data("x", x)
    priors = _check_priors(priors)
    num_samples = _as_count("num_samples", num_samples, minimum=1)
    run, _ = _compiled(_prior_predictive_fn, model, num_samples)
    draws = run(_as_seed(seed), x, priors)
    return _to_numpy(draws)


# Posterior draws that one call of the compiled posterior predictive handles: a
# fit's draws go through it a block at a time, so that any number of draws (any
# num_samples or chains) reuses one program.
_PREDICT_BLOCK = 1000


@functools.lru_cache(maxsize=64)
def _posterior_predictive_fn(model: Callable) -> Callable:
    bound = _bound(model)

    def one_draw(key, sample, data, hyperparameters, sizes):
        one = jax.tree.map(lambda v: v[None], sample)
        draws = Predictive(bound, posterior_samples=one, parallel=True)(  # key as given
            key, data, hyperparameters, sizes
        )
        return jax.tree.map(lambda v: v[0], draws)

    def run(seed, first, samples, data, hyperparameters, sizes):
        # Predictive on all D draws at once gives draw i the key split(key, D)[i];
        # with JAX's (default) partitionable Threefry that is fold_in(key, i)
        # whatever D is, so a block's draws equal those of one call on all of them.
        key = jax.random.PRNGKey(seed)
        keys = jax.vmap(jax.random.fold_in, (None, 0))(key, first + jnp.arange(_PREDICT_BLOCK))
        draw = functools.partial(one_draw, sizes=sizes)
        return jax.vmap(draw, (0, 0, None, None))(keys, samples, data, hyperparameters)

    return jax.jit(run, static_argnames="sizes")


# What the predictive functions read of a Fit. Checked by name, not by class:
# widgets.inference.results.Fit draws its own posterior predictive with this module.
_FIT_FIELDS = ("model", "samples", "latent_sites", "data", "hyperparameters", "observed_arguments")


def _check_fit(fit: Fit, *fields: str) -> None:
    if not all(hasattr(fit, field) for field in _FIT_FIELDS + fields):
        raise ValueError(f"fit must be the Fit returned by widgets.inference.fit; got {fit!r}")


def _flat_latents(fit: Fit) -> dict[str, np.ndarray]:
    """Posterior draws of the latent sites, chains and draws flattened."""
    return {
        name: values.reshape((-1,) + values.shape[2:])
        for name, values in fit.samples.items()
        if name in fit.latent_sites
    }


def _predict(fit: Fit, data: dict, sizes: tuple, seed: np.ndarray) -> dict[str, np.ndarray]:
    """The model's sites at `data`, one draw per posterior draw of `fit`, in blocks of one program."""
    run, _ = _compiled(_posterior_predictive_fn, fit.model)
    latents = _flat_latents(fit)
    total = len(next(iter(latents.values())))
    # Padded with copies of the last draw to whole blocks, cut back on the host.
    padding = -total % _PREDICT_BLOCK
    padded = {k: np.concatenate([v, np.repeat(v[-1:], padding, axis=0)]) for k, v in latents.items()}
    blocks = jax.device_get(
        [
            run(
                seed,
                np.int32(first),
                {k: v[first : first + _PREDICT_BLOCK] for k, v in padded.items()},
                data,
                fit.hyperparameters,
                sizes=sizes,
            )
            for first in range(0, total, _PREDICT_BLOCK)
        ]
    )
    return {k: np.concatenate([b[k] for b in blocks])[:total] for k in blocks[0]}


def posterior_predictive(fit: Fit, x, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Draw replicated ``y`` at `x`, one per posterior draw of `fit`.

    Compiled once per model, ``len(x)`` and prior family: fits of any number of
    draws reuse it. The draws are those of NumPyro's ``Predictive(model,
    posterior_samples=...)`` called once on all of them with
    ``jax.random.PRNGKey(seed)`` (to float32 rounding).

    Parameters
    ----------
    fit : Fit
        The result of :func:`fit`; its model and priors are used.
    x : array_like, shape (m,)
        Where to predict (e.g. the observed ``x``, or a grid).
    seed : int
        Seed of the random draws, in [0, 2**32).

    Returns
    -------
    dict of str to numpy.ndarray
        ``y`` of shape ``(chains * draws, m)``, plus any other site of the model
        that is not a posterior sample.
    """
    _check_fit(fit, "priors")
    x = as_data("x", x)
    return _predict(fit, {"x": x, "y": None}, (), _as_seed(seed))


def sample_posterior_predictive(
    fit: Fit, data: dict | None = None, *, seed: int = 0
) -> dict[str, np.ndarray]:
    """Draw the model's sites given each posterior draw of `fit`, for any model.

    NumPyro's ``Predictive(model, posterior_samples=...)``: the latent sites
    are set to each posterior draw in turn, and every other site is drawn,
    including the observed ones whose data are left out. Compiled once per
    model and data shapes; the draws are those of one ``Predictive`` call on
    all of them with ``jax.random.PRNGKey(seed)`` (to float32 rounding).

    Parameters
    ----------
    fit : Fit
        The result of :func:`fit_model` (or :func:`fit`); its model and
        hyperparameters are used.
    data : dict, optional
        The model's data arguments by name, e.g. new inputs and ``y=None``.
        By default the fitted data with each observed argument set to None:
        replicated data sets, as in a posterior predictive check.
    seed : int
        Seed of the random draws, in [0, 2**32).

    Returns
    -------
    dict of str to numpy.ndarray
        Each site that is not a posterior sample (and each deterministic
        site), of shape ``(chains * draws, ...)``.

    Raises
    ------
    ValueError
        If `fit` is not a Fit, `data` is not a dict of numbers or names an
        argument the model does not take, or `seed` is out of range.
    """
    _check_fit(fit)
    if data is None:
        left_out = {argument: None for argument in fit.observed_arguments.values() if argument is not None}
        data = {**fit.data, **left_out}
    arrays, sizes = _as_model_data(data)
    _check_arguments(fit.model, [*arrays, *dict(sizes), *fit.hyperparameters], _parameters(fit.model))
    return _predict(fit, arrays, sizes, _as_seed(seed))
