"""The exact posterior, for checking the sampler: the kit's and an independent one.

``exact_moments`` is the kit's :func:`widgets.inference.exact_posterior_moments`
(conjugate in (a, b) given sigma, sigma on a grid); ``direct_moments`` computes
the same from the n x n marginal likelihood with SciPy, so that each checks the other.
``z_scores`` compares a fit with them in units of Monte Carlo standard error.
"""

import arviz as az
import numpy as np
import numpyro.distributions as dist
from scipy import stats
from scipy.integrate import trapezoid

from widgets.inference import Priors, exact_posterior_moments


def exact_moments(x, y, *, a=(0.0, 2.0), b=(0.0, 2.0), sigma_scale=1.0):
    """Posterior (mean, sd) of a, b, sigma under Normal priors and HalfNormal sigma."""
    priors = Priors(a=dist.Normal(*a), b=dist.Normal(*b), sigma=dist.HalfNormal(sigma_scale))
    return exact_posterior_moments(x, y, priors=priors)


def direct_moments(x, y, *, a=(0.0, 2.0), b=(0.0, 2.0), sigma_scale=1.0, grid=4000):
    """The same by brute force: n x n Gaussian marginals with SciPy, sigma on a grid."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    design = np.column_stack([x, np.ones_like(x)])
    mean0, cov0 = np.array([a[0], b[0]]), np.diag([a[1] ** 2, b[1] ** 2])
    sigmas = np.linspace(0.01, 6.0 * max(sigma_scale, np.std(y)), grid)
    log_post, means, second = [], [], []
    for s in sigmas:
        marginal = s**2 * np.eye(len(x)) + design @ cov0 @ design.T
        log_post.append(
            stats.halfnorm.logpdf(s, scale=sigma_scale)
            + stats.multivariate_normal.logpdf(y, design @ mean0, marginal)
        )
        cov = np.linalg.inv(np.linalg.inv(cov0) + design.T @ design / s**2)
        m = cov @ (np.linalg.solve(cov0, mean0) + design.T @ y / s**2)
        means.append(m)
        second.append(cov + np.outer(m, m))
    w = np.exp(np.array(log_post) - max(log_post))
    w /= trapezoid(w, sigmas)
    m_ab = trapezoid(w[:, None] * np.array(means), sigmas, axis=0)
    v_ab = np.diag(trapezoid(w[:, None, None] * np.array(second), sigmas, axis=0)) - m_ab**2
    m_s = trapezoid(w * sigmas, sigmas)
    v_s = trapezoid(w * sigmas**2, sigmas) - m_s**2
    return {"a": (m_ab[0], np.sqrt(v_ab[0])), "b": (m_ab[1], np.sqrt(v_ab[1])), "sigma": (m_s, np.sqrt(v_s))}


def z_scores(result, exact):
    """(estimate - exact) / MCSE for the posterior mean and sd of each parameter."""
    mcse_mean = az.mcse(result.idata, method="mean")
    mcse_sd = az.mcse(result.idata, method="sd")
    scores = {}
    for name, (mean, sd) in exact.items():
        draws = result.samples[name]
        scores[f"mean {name}"] = (draws.mean() - mean) / float(mcse_mean[name])
        scores[f"sd {name}"] = (draws.std() - sd) / float(mcse_sd[name])
    return scores
