"""The models and how they are called.

A model is any NumPyro model called as ``model(x, y=None)``, or as
``model(x, y=None, priors=...)`` if it has a ``priors`` parameter, with its
observed site named ``"y"``. The running example is :func:`linear_regression`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist

from widgets.inference.priors import TUTORIAL_PRIORS, Priors


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


@functools.lru_cache(maxsize=64)
def _takes_priors(model: Callable) -> bool:
    try:
        parameters = inspect.signature(model).parameters
    except (TypeError, ValueError):
        return False
    return "priors" in parameters


def _call_with_priors(model: Callable) -> Callable:
    """Wrap `model` so that it is always called as ``f(x, y, priors)``."""
    if _takes_priors(model):
        return lambda x, y, priors: model(x, y, priors=priors)
    return lambda x, y, priors: model(x, y)
