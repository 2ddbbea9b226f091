"""The exact posterior of the linear regression, where it exists: the lessons' answer key."""

from __future__ import annotations

import numpy as np
import numpyro.distributions as dist

from widgets.inference.checks import as_data
from widgets.inference.priors import TUTORIAL_PRIORS, Priors, _check_priors


def exact_posterior_moments(x, y, *, priors: Priors = TUTORIAL_PRIORS, grid: int = 20_000) -> dict:
    """Exact posterior mean and sd of a, b and sigma, for Normal priors on a, b and HalfNormal sigma.

    Given sigma, ``(a, b)`` has a Gaussian prior and likelihood, so its
    posterior and ``p(y | sigma)`` are Gaussian in closed form; sigma's
    one-dimensional posterior is tabulated on a fine grid and the conditional
    moments are integrated against it (trapezoid rule, in float64).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The data.
    priors : Priors
        Normal priors on ``a`` and ``b``, HalfNormal on ``sigma``; the tutorial's by default.
    grid : int
        Number of points of sigma's grid.

    Returns
    -------
    dict of str to (float, float)
        ``(mean, sd)`` of ``a``, ``b`` and ``sigma``.

    Raises
    ------
    ValueError
        For other prior families, where no closed form is used.
    """
    priors = _check_priors(priors)
    if not (
        isinstance(priors.a, dist.Normal)
        and isinstance(priors.b, dist.Normal)
        and isinstance(priors.sigma, dist.HalfNormal)
    ):
        raise ValueError(
            f"the exact posterior needs Normal priors on a and b and HalfNormal on sigma; got {priors!r}"
        )
    x, y = (np.asarray(as_data(n, v), np.float64) for n, v in (("x", x), ("y", y)))
    design = np.column_stack([x, np.ones_like(x)])
    prior_mean = np.array([float(priors.a.loc), float(priors.b.loc)])
    prior_cov = np.diag([float(priors.a.scale) ** 2, float(priors.b.scale) ** 2])
    scale = float(priors.sigma.scale)
    sigmas = np.linspace(1e-4, 6.0 * max(scale, float(np.std(y))), grid)
    s2 = sigmas[:, None, None] ** 2
    residual = y - design @ prior_mean
    xtx, xtr = design.T @ design, design.T @ residual
    cov = np.linalg.inv(np.linalg.inv(prior_cov) + xtx / s2)
    means = prior_mean + np.einsum("gij,j->gi", cov, xtr) / s2[:, :, 0]
    second = cov + np.einsum("gi,gj->gij", means, means)
    u = xtr / s2[:, :, 0]  # Woodbury and the determinant lemma: only 2x2 matrices
    quad = residual @ residual / sigmas**2 - np.einsum("gi,gij,gj->g", u, cov, u)
    logdet = len(y) * np.log(sigmas**2) + np.linalg.slogdet(np.eye(2) + prior_cov @ xtx / s2)[1]
    log_post = -0.5 * (logdet + quad) - 0.5 * (sigmas / scale) ** 2  # HalfNormal, up to a constant
    weights = np.exp(log_post - log_post.max())
    weights /= np.trapezoid(weights, sigmas)

    def integrate(values):
        return np.trapezoid(weights.reshape((-1,) + (1,) * (values.ndim - 1)) * values, sigmas, axis=0)

    mean_ab, mean_s = integrate(means), integrate(sigmas)
    var_ab = np.diag(integrate(second)) - mean_ab**2
    var_s = integrate(sigmas**2) - mean_s**2
    return {
        "a": (float(mean_ab[0]), float(np.sqrt(var_ab[0]))),
        "b": (float(mean_ab[1]), float(np.sqrt(var_ab[1]))),
        "sigma": (float(mean_s), float(np.sqrt(var_s))),
    }
