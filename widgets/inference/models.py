"""The kit's models, their data, and how the engine calls a model.

The engine calls any NumPyro model with named arguments: its data (arrays, and
integer sizes such as the eight schools' ``J``) and its hyperparameters (such
as the regression's ``priors``), as ``model(**data, **hyperparameters)``. The
regression functions call a model as ``model(x, y=None)``, or as
``model(x, y=None, priors=...)`` if it has a ``priors`` parameter, with its
observed site named ``"y"``; :func:`_regression_model` adapts such a model.

The running example is :func:`linear_regression`; :func:`student_t_regression`
is its robust variant, and :func:`eight_schools` (with
:func:`eight_schools_noncentered`) the classic hierarchical model, fitted to
:data:`EIGHT_SCHOOLS`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro import handlers
from numpyro.infer.reparam import LocScaleReparam

from widgets.inference.priors import TUTORIAL_PRIORS, Priors

EIGHT_SCHOOLS = {
    "J": 8,
    "sigma": np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0], np.float32),
    "y": np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0], np.float32),
}
"""The eight schools (Rubin 1981; Gelman et al., *Bayesian Data Analysis*, 5.5).

The estimated effect ``y`` of a coaching programme on test scores in each of
``J = 8`` schools, and its standard error ``sigma``: the data arguments of
:func:`eight_schools`.
"""

NU_PRIOR = dist.Gamma(2.0, 0.1)
"""The prior on the Student-t degrees of freedom: ``Gamma(2, 0.1)`` (Juárez and Steel 2010).

Its mean is 20 and it keeps a fifth of its mass below 8, so the data can pick
heavy tails (small ``nu``) or a nearly normal likelihood (large ``nu``).
"""


def linear_regression(x, y=None, priors: Priors = TUTORIAL_PRIORS):
    """Scalar linear regression ``y = a*x + b + noise`` as a NumPyro model.

    Parameters
    ----------
    x : array, shape (n,)
        The inputs.
    y : array, shape (n,), optional
        The observations; ``None`` draws ``y`` from the model instead.
    priors : Priors
        Priors of ``a``, ``b`` and ``sigma``; the tutorial's by default.
    """
    a = numpyro.sample("a", priors.a)
    b = numpyro.sample("b", priors.b)
    sigma = numpyro.sample("sigma", priors.sigma)
    with numpyro.plate("data", jnp.shape(x)[0]):
        numpyro.sample("y", dist.Normal(a * x + b, sigma), obs=y)


def student_t_regression(x, y=None, priors: Priors = TUTORIAL_PRIORS):
    """Robust linear regression: ``y = a*x + b`` plus Student-t noise of unknown ``nu``.

    Outliers pull a Normal likelihood's line towards them; a Student-t
    likelihood with few degrees of freedom explains them as its heavy tails.
    The data decide how heavy, through ``nu ~ NU_PRIOR`` (``Gamma(2, 0.1)``).

    Parameters
    ----------
    x : array, shape (n,)
        The inputs.
    y : array, shape (n,), optional
        The observations; ``None`` draws ``y`` from the model instead.
    priors : Priors
        Priors of ``a``, ``b`` and the noise scale ``sigma``; the tutorial's by default.
    """
    a = numpyro.sample("a", priors.a)
    b = numpyro.sample("b", priors.b)
    sigma = numpyro.sample("sigma", priors.sigma)
    nu = numpyro.sample("nu", NU_PRIOR)
    with numpyro.plate("data", jnp.shape(x)[0]):
        numpyro.sample("y", dist.StudentT(nu, a * x + b, sigma), obs=y)


def eight_schools(J, sigma, y=None):
    """The eight schools, centered: school effects ``theta ~ Normal(mu, tau)``.

    As in NumPyro's README. When ``tau`` is small the effects squeeze into a
    narrow funnel whose neck NUTS cannot enter with the step size that suits
    its mouth: the fit reports divergent transitions.

    Parameters
    ----------
    J : int
        Number of schools.
    sigma : array, shape (J,)
        Standard error of each school's estimate.
    y : array, shape (J,), optional
        The estimated effects; ``None`` draws them from the model instead.
    """
    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
    with numpyro.plate("J", J):
        theta = numpyro.sample("theta", dist.Normal(mu, tau))
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)


def eight_schools_noncentered(J, sigma, y=None):
    """The eight schools, non-centered: ``theta = mu + tau * theta_decentered``.

    The same model as :func:`eight_schools`, reparameterized by NumPyro's
    ``LocScaleReparam(centered=0)``: NUTS samples ``theta_decentered ~
    Normal(0, 1)``, which has no funnel, and ``theta`` is recorded as a
    deterministic site. (``centered=None`` would learn the centering instead.)

    Parameters
    ----------
    J : int
        Number of schools.
    sigma : array, shape (J,)
        Standard error of each school's estimate.
    y : array, shape (J,), optional
        The estimated effects; ``None`` draws them from the model instead.
    """
    with handlers.reparam(config={"theta": LocScaleReparam(centered=0)}):
        eight_schools(J, sigma, y)


@functools.lru_cache(maxsize=64)
def _parameters(model: Callable) -> dict[str, inspect.Parameter] | None:
    """The model's parameters by name, or None if Python cannot tell."""
    try:
        return dict(inspect.signature(model).parameters)
    except (TypeError, ValueError):
        return None


def _takes_priors(model: Callable) -> bool:
    return "priors" in (_parameters(model) or {})


def _call_with_priors(model: Callable) -> Callable:
    """Wrap `model` so that it is always called as ``f(x, y, priors)``."""
    if _takes_priors(model):
        return lambda x, y, priors: model(x, y, priors=priors)
    return lambda x, y, priors: model(x, y)


_BY_NAME = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


@functools.lru_cache(maxsize=64)
def _regression_model(model: Callable) -> Callable:
    """`model` as the engine calls it, ``model(x=, y=, priors=)``: itself if it takes those names.

    Otherwise a wrapper (the same one for each call, so that compiled code is
    reused) that calls it as the regression always has: ``model(x, y)``, with
    ``priors=`` if it takes them.
    """
    parameters = _parameters(model) or {}
    if all(name in parameters and parameters[name].kind in _BY_NAME for name in ("x", "y", "priors")):
        return model
    call = _call_with_priors(model)

    @functools.wraps(model)
    def regression(x, y=None, priors: Priors = TUTORIAL_PRIORS):
        return call(x, y, priors)

    # functools.wraps would give the wrapper the model's signature, not its own.
    del regression.__wrapped__
    return regression


@functools.lru_cache(maxsize=64)
def _bound(model: Callable) -> Callable:
    """`model` as NumPyro's kernels and ``Predictive`` call it: ``f(data, hyperparameters, sizes)``.

    ``data`` and ``hyperparameters`` are dicts of arrays (traced by JAX),
    ``sizes`` a tuple of ``(name, int)`` pairs (static: part of the program).
    One function per model, so that JAX's caches keyed by it stay valid.
    """

    def bound(data: dict, hyperparameters: dict, sizes: tuple):
        return model(**data, **dict(sizes), **hyperparameters)

    return bound


def _observed_values(model: Callable, data: dict, hyperparameters: dict, sizes: tuple) -> dict[str, Any]:
    """The values of the model's observed sites, from one seeded run (inside jitted code)."""
    trace = handlers.trace(handlers.seed(_bound(model), 0)).get_trace(data, hyperparameters, sizes)
    return {name: site["value"] for name, site in trace.items() if _is_observed(site)}


def _is_observed(site: dict) -> bool:
    return site["type"] == "sample" and site["is_observed"]


# (model, signature) -> _model_sites' answer; the oldest dropped beyond _MAX_SITES.
_SITES: dict[tuple, tuple[dict, dict]] = {}
_MAX_SITES = 256


def _model_sites(
    model: Callable, signature: tuple, data: dict, hyperparameters: dict, sizes: tuple
) -> tuple[dict, dict]:
    """Which data argument each observed site observes, and each site's dims from its plates.

    One abstract run of the model (shapes only, no arithmetic) per model and
    `signature` (see :func:`widgets.inference.sampler._signature`). An observed
    site observes a data argument if its value is that very argument
    (``obs=y``), else the argument of its own name if any, else None.

    Returns
    -------
    observes : dict of str to str or None
        Observed site name to the data argument it observes.
    dims : dict of str to list of str
        Dimension names of sample and deterministic sites whose batch dims are
        plates, named as ArviZ's ``from_numpyro`` names them.

    Raises
    ------
    ValueError
        If a latent site is discrete.
    """
    key = (model, signature)
    if key in _SITES:
        return _SITES[key]
    observes: dict = {}
    dims: dict = {}
    discrete: list = []

    def run(data, hyperparameters):
        trace = handlers.trace(handlers.seed(_bound(model), 0)).get_trace(data, hyperparameters, sizes)
        by_identity = {id(v): name for name, v in data.items() if v is not None}
        for name, site in trace.items():
            if site["type"] == "sample" and not site["is_observed"] and site["fn"].support.is_discrete:
                discrete.append(name)
            if _is_observed(site):
                same_name = name if data.get(name) is not None else None
                observes[name] = by_identity.get(id(site["value"]), same_name)
            if site["type"] in ("sample", "deterministic") and site["cond_indep_stack"]:
                frames = sorted(site["cond_indep_stack"], key=lambda frame: frame.dim)
                dims[name] = [frame.name for frame in frames]
        return 0

    jax.eval_shape(run, data, hyperparameters)
    if discrete:
        raise ValueError(
            f"model must have continuous latent sites only (NUTS needs gradients); "
            f"{', '.join(map(repr, discrete))} {'is' if len(discrete) == 1 else 'are'} discrete. "
            "Marginalize them out by hand, or observe them"
        )
    if len(_SITES) >= _MAX_SITES:
        del _SITES[next(iter(_SITES))]
    _SITES[key] = observes, dims
    return observes, dims
