"""NUTS agrees with the exact posterior, within Monte Carlo error.

Each check compares a posterior mean and sd from `fit` with the exact values
and divides the difference by ArviZ's Monte Carlo standard error for that
estimate. Under a correct sampler the z-scores are roughly standard normal, so
|z| < 4.5 fails by chance with probability ~7e-6 per check (~2e-4 for the 24
checks below); the seeds are fixed, so a run is reproducible.
"""

import arviz as az
import numpy as np
import numpyro.distributions as dist
import pytest

from tests.conftest import make_data
from tests.inference.exact import exact_moments
from widgets.inference import Priors, fit

Z_MAX = 4.5


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


@pytest.mark.parametrize("n, seed", [(5, 1), (80, 0)])
def test_fit_matches_exact_posterior(n, seed):
    """Do the posterior mean and sd of a, b, sigma match the exact ones, on a small and a larger data set?"""
    x, y = make_data(n, seed=seed)
    result = fit(x, y, seed=seed)
    scores = z_scores(result, exact_moments(x, y))
    assert all(abs(z) < Z_MAX for z in scores.values()), scores


def test_fit_uses_the_given_priors():
    """With informative priors on a and b, does the fit match the exact posterior under those priors?"""
    x, y = make_data(5, seed=1)
    priors = Priors(a=dist.Normal(1.0, 0.5), b=dist.Normal(0.5, 0.25), sigma=dist.HalfNormal(0.5))
    result = fit(x, y, priors=priors, seed=2)
    exact = exact_moments(x, y, a=(1.0, 0.5), b=(0.5, 0.25), sigma_scale=0.5)
    scores = z_scores(result, exact)
    assert all(abs(z) < Z_MAX for z in scores.values()), scores


@pytest.mark.parametrize("chain_method", ["vectorized", "sequential"])
def test_every_chain_method_matches_exact_posterior(chain_method):
    """Do chains run in lockstep on one device, or one after another, give the exact posterior too?"""
    x, y = make_data(5, seed=1)
    result = fit(x, y, seed=3, chain_method=chain_method)
    scores = z_scores(result, exact_moments(x, y))
    assert all(abs(z) < Z_MAX for z in scores.values()), scores


def test_check_detects_a_wrong_posterior():
    """Would the check fail for a sampler targeting the wrong posterior (here: a wrong prior on b)?"""
    x, y = make_data(5, seed=1)
    wrong = fit(x, y, priors=Priors(b=dist.Normal(1.0, 0.5)), seed=1)
    scores = z_scores(wrong, exact_moments(x, y))
    assert max(abs(z) for z in scores.values()) > Z_MAX, scores


def test_posterior_shrinks_as_data_grow():
    """Does the posterior sd of a fall roughly like 1/sqrt(n) when n grows 16-fold?"""
    small, large = (fit(*make_data(n, seed=4), seed=4) for n in (50, 800))
    ratio = small.samples["a"].std() / large.samples["a"].std()
    assert 3.0 < ratio < 5.5, ratio
    assert np.isfinite(ratio)


@pytest.mark.parametrize("n, seed", [(5, 1), (30, 2)])
def test_exact_moments_agree_with_brute_force(n, seed):
    """Does the kit's 2x2 closed form agree with n x n Gaussian marginals computed by SciPy?"""
    from tests.inference.exact import direct_moments

    x, y = make_data(n, seed=seed)
    kit, brute = exact_moments(x, y, a=(0.5, 1.5)), direct_moments(x, y, a=(0.5, 1.5))
    for name in kit:
        np.testing.assert_allclose(kit[name], brute[name], rtol=2e-3)


def test_exact_moments_refuse_other_families():
    """Does the exact posterior refuse priors it has no closed form for?"""
    with pytest.raises(ValueError, match="needs Normal priors"):
        from widgets.inference import exact_posterior_moments

        exact_posterior_moments([0.0, 1.0], [0.0, 1.0], priors=Priors(sigma=dist.Exponential(1.0)))
