"""Reference helpers that lessons name in their test cells: quantities the kit computes for a check.

They hold no lesson's answer: each computes, from the lesson's public values
and a seed, what a check compares an answer with. A test cell passes them as
lazy references, e.g. ``within_mcse(lambda seed: prior_share(x_grid, beyond=10, seed=seed))``,
so grading draws them anew.
"""

from __future__ import annotations

import math

import numpy as np

from widgets import inference


def prior_share(x, *, beyond: float, draws: int = 20_000, seed: int = 0, priors=None) -> tuple[float, float]:
    """The share of prior predictive ``y`` at `x` with ``|y| > beyond``, and its sd per draw.

    Parameters
    ----------
    x : array
        The inputs.
    beyond : float
        The bound on ``|y|``.
    draws : int
        Prior predictive data sets to draw.
    seed : int
        Seed of the draws.
    priors : Priors, optional
        The priors; the tutorial's by default.

    Returns
    -------
    (float, float)
        The share, and ``sqrt(share * (1 - share))``: with :class:`~widgets.checks.within_mcse`
        its Monte Carlo error over a given number of effective draws.

    Examples
    --------
    >>> import numpy as np
    >>> from widgets.checks.references import prior_share
    >>> share, sd = prior_share(np.linspace(-2, 2, 50), beyond=10, draws=2000, seed=0)
    >>> 0.0 < share < 0.2 and abs(sd - (share * (1 - share)) ** 0.5) < 1e-12
    True
    """
    priors = inference.Priors() if priors is None else priors
    y = inference.prior_predictive(np.asarray(x), priors=priors, num_samples=draws, seed=seed)["y"]
    share = float(np.mean(np.abs(y) > beyond))
    return share, math.sqrt(share * (1 - share))


def predictive_at(mcmc, x, y, at: float, *, seed: int = 0) -> np.ndarray:
    """Posterior predictive draws of ``y`` at the one input `at`, from a NumPyro MCMC run on ``(x, y)``.

    Uses the run itself (:meth:`widgets.inference.Fit.from_mcmc`), so no second
    sampler is compiled.

    Examples
    --------
    >>> from widgets.checks.references import predictive_at
    >>> predictive_at  # doctest: +ELLIPSIS
    <function predictive_at at 0x...>
    """
    result = inference.Fit.from_mcmc(mcmc, x, y)
    return inference.posterior_predictive(result, [float(at)], seed=seed)["y"][:, 0]
