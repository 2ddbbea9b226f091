"""The exact posterior of the linear regression, for checking the sampler.

Given sigma, ``(a, b)`` has a Gaussian prior and a Gaussian likelihood, so its
posterior is Gaussian in closed form, and ``p(y | sigma)`` is a Gaussian
marginal likelihood. Sigma's posterior is then one-dimensional: we tabulate it
on a fine grid and integrate the conditional moments against it.
"""

import numpy as np
from scipy import stats
from scipy.integrate import trapezoid


def exact_moments(x, y, *, a=(0.0, 2.0), b=(0.0, 2.0), sigma_scale=1.0, grid=20_000):
    """Posterior mean and sd of a, b and sigma under Normal priors and HalfNormal sigma.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The data.
    a, b : tuple of float
        (mean, sd) of the Normal priors of the slope and intercept.
    sigma_scale : float
        Scale of sigma's HalfNormal prior.
    grid : int
        Number of grid points for sigma.

    Returns
    -------
    dict of str to (float, float)
        (mean, sd) of each parameter.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    design = np.column_stack([x, np.ones_like(x)])
    prior_mean = np.array([a[0], b[0]])
    prior_cov = np.diag([a[1] ** 2, b[1] ** 2])

    # Sigma's posterior lies between ~0 and a few times the larger of its prior
    # scale and the spread of y; the grid covers that with room to spare.
    sigmas = np.linspace(1e-4, 6.0 * max(sigma_scale, np.std(y)), grid)
    s2 = sigmas[:, None, None] ** 2
    residual = y - design @ prior_mean
    xtx, xtr = design.T @ design, design.T @ residual
    # Given sigma, (a, b) | y is Gaussian with precision prior_cov^-1 + X'X/sigma^2.
    precision = np.linalg.inv(prior_cov) + xtx / s2
    cov = np.linalg.inv(precision)
    means = prior_mean + np.einsum("gij,j->gi", cov, xtr) / s2[:, :, 0]
    second = cov + np.einsum("gi,gj->gij", means, means)
    # log N(y; X m0, sigma^2 I + X S X') through Woodbury and the determinant lemma,
    # so that only 2x2 matrices appear.
    n = len(y)
    u = xtr / s2[:, :, 0]
    quad = residual @ residual / sigmas**2 - np.einsum("gi,gij,gj->g", u, cov, u)
    logdet = n * np.log(sigmas**2) + np.linalg.slogdet(np.eye(2) + prior_cov @ xtx / s2)[1]
    log_marginal = -0.5 * (n * np.log(2 * np.pi) + logdet + quad)
    log_post = stats.halfnorm.logpdf(sigmas, scale=sigma_scale) + log_marginal
    weights = np.exp(log_post - log_post.max())
    weights /= trapezoid(weights, sigmas)

    def integrate(values):
        return trapezoid(weights.reshape((-1,) + (1,) * (values.ndim - 1)) * values, sigmas, axis=0)

    mean_ab = integrate(means)
    var_ab = np.diag(integrate(second)) - mean_ab**2
    mean_s = integrate(sigmas)
    var_s = integrate(sigmas**2) - mean_s**2
    return {
        "a": (mean_ab[0], np.sqrt(var_ab[0])),
        "b": (mean_ab[1], np.sqrt(var_ab[1])),
        "sigma": (mean_s, np.sqrt(var_s)),
    }
