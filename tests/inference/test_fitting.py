"""fit: NUTS agrees with the exact posterior within Monte Carlo error, and bad input is refused.

Each statistical check compares a posterior mean and sd from `fit` with the
exact values and divides the difference by ArviZ's Monte Carlo standard error
for that estimate. Under a correct sampler the z-scores are roughly standard
normal, so |z| < 4.5 fails by chance with probability ~7e-6 per check; the
seeds are fixed, so a run is reproducible.
"""

import numpy as np
import numpyro.distributions as dist
import pytest

from tests.conftest import make_data
from tests.inference.exact import exact_moments, z_scores
from widgets.inference import Priors, fit

X = np.linspace(-2.0, 2.0, 10)
Y = 1.5 * X - 0.5
Z_MAX = 4.5


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"y": Y[:-1]}, r"x and y must have the same length; got len\(x\)=10 and len\(y\)=9"),
        ({"x": np.array([])}, "x is empty"),
        ({"x": np.array([]), "y": np.array([])}, "x is empty"),
        ({"y": np.where(np.arange(10) == 3, np.nan, Y)}, "y must be finite; got nan at index 3"),
        ({"x": np.where(np.arange(10) == 0, np.inf, X)}, "x must be finite; got inf at index 0"),
        ({"x": ["a"] * 10}, "x must be an array of numbers"),
        ({"y": np.ones((10, 2))}, r"y must be a 1-D array of numbers; got an array of shape \(10, 2\)"),
        ({"y": [True] * 10}, "y must be an array of numbers; got values of type bool"),
        ({"x": [1, [2, 3]]}, "x must be an array of numbers"),
        ({"num_chains": 0}, "num_chains must be an integer >= 1; got 0"),
        ({"num_samples": 0}, r"num_samples must be an integer in \[1, 10000\] \(the run lengths .*; got 0"),
        ({"num_samples": 10.5}, r"num_samples must be an integer in \[1, 10000\].*; got 10.5"),
        ({"num_samples": 10_001}, r"num_samples must be an integer in \[1, 10000\].*; got 10001"),
        ({"num_warmup": -1}, r"num_warmup must be an integer in \[0, 10000\] \(the run lengths .*; got -1"),
        ({"num_warmup": 10_001}, r"num_warmup must be an integer in \[0, 10000\].*; got 10001"),
        ({"seed": -1}, r"seed must be an integer in \[0, 2\*\*32\); got -1"),
        ({"seed": "zero"}, r"seed must be an integer in \[0, 2\*\*32\)"),
        ({"priors": {"a": 1}}, "priors must be a widgets.inference.Priors"),
        ({"progress": 3}, "progress must be a function"),
        ({"chain_method": "threads"}, "chain_method must be one of"),
        ({"target_accept_prob": 1.0}, r"target_accept_prob must be in \(0, 1\)"),
        ({"model": "linear"}, "model must be a NumPyro model"),
    ],
)
def test_fit_rejects_bad_input(kwargs, message):
    """Does fit refuse each bad argument with a message naming it, before any sampling?"""
    arguments = {"x": X, "y": Y, **kwargs}
    with pytest.raises(ValueError, match=message):
        fit(**arguments)


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
