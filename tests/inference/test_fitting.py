"""fit and fit_model: NUTS agrees with the exact posterior within Monte Carlo error, and bad input is refused.

Each statistical check compares a posterior mean and sd from `fit` with the
exact values and divides the difference by ArviZ's Monte Carlo standard error
for that estimate. Under a correct sampler the z-scores are roughly standard
normal, so |z| < 4.5 fails by chance with probability ~7e-6 per check; the
seeds are fixed, so a run is reproducible.
"""

import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

from tests.conftest import make_data
from tests.inference.exact import exact_moments, z_scores
from widgets.inference import (
    EIGHT_SCHOOLS,
    Priors,
    eight_schools,
    fit,
    fit_model,
    linear_regression,
    student_t_regression,
)

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


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"data": [1.0, 2.0]}, "data must be a dict of the model's data arguments by name"),
        (
            {"data": {**EIGHT_SCHOOLS, "school": np.ones(8)}},
            "takes no argument named 'school'; it takes J, sigma, y",
        ),
        ({"data": {**EIGHT_SCHOOLS, "y": ["a"] * 8}}, r"data\['y'\] must be an array of numbers"),
        (
            {"data": {**EIGHT_SCHOOLS, "y": np.full(8, np.inf)}},
            r"data\['y'\] must be finite; got inf at flat index 0",
        ),
        (
            {"data": {**EIGHT_SCHOOLS, "y": np.full(8, 2**40)}},
            r"data\['y'\] must hold integers in \[-2147483648, 2147483647\] \(int32\)",
        ),
        ({"hyperparameters": [1.0]}, "hyperparameters must be a dict"),
        ({"hyperparameters": {"y": 1.0}}, "'y' is both in data and in hyperparameters"),
        ({"hyperparameters": {"scale": np.nan}}, "hyperparameters must be finite numbers"),
        ({"model": None}, "model must be a NumPyro model"),
        ({"num_chains": 0}, "num_chains must be an integer >= 1; got 0"),
        ({"num_samples": 0}, r"num_samples must be an integer in \[1, 10000\]"),
        ({"num_warmup": -1}, r"num_warmup must be an integer in \[0, 10000\]"),
        ({"seed": 2**32}, r"seed must be an integer in \[0, 2\*\*32\)"),
        ({"progress": "yes"}, "progress must be a function"),
        ({"chain_method": "threads"}, "chain_method must be one of"),
        ({"target_accept_prob": 0.0}, r"target_accept_prob must be in \(0, 1\)"),
        ({"dims": {"theta": "J"}}, "dims must be a dict of variable names to lists of dimension names"),
    ],
)
def test_fit_model_rejects_bad_input(kwargs, message):
    """Does fit_model refuse each bad argument with a message naming it, before any sampling?"""
    arguments = {"model": eight_schools, "data": EIGHT_SCHOOLS, **kwargs}
    with pytest.raises(ValueError, match=message):
        fit_model(**arguments)


def test_fit_is_fit_model_on_the_regressions_named_data(data80):
    """Is fit(x, y) the run of fit_model(linear_regression, {"x": x, "y": y}), priors a hyperparameter?"""
    x, y = data80
    ours = fit(x, y, num_warmup=100, num_samples=100, seed=6)
    general = fit_model(
        linear_regression,
        {"x": x, "y": y},
        hyperparameters={"priors": Priors()},
        num_warmup=100,
        num_samples=100,
        seed=6,
    )
    for name in ("a", "b", "sigma"):
        np.testing.assert_array_equal(ours.samples[name], general.samples[name])
    np.testing.assert_array_equal(ours.log_likelihood["y"], general.log_likelihood["y"])


def _student_t_data(n, *, a=1.5, b=-0.5, sigma=0.3, nu=3.0, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    return x, a * x + b + sigma * rng.standard_t(nu, n)


def test_student_t_regression_recovers_known_parameters():
    """Does the Student-t regression's posterior find a, b, sigma and nu of 1000 simulated points?

    Each posterior mean must lie within 4.5 posterior sds (plus its MCSE) of
    the truth: the posterior of a correct model covers the truth like that but
    for a chance of ~7e-6 per parameter (the seed is fixed). A Normal fit of
    the same heavy-tailed data overstates sigma, so the check can fail.
    """
    truth = {"a": 1.5, "b": -0.5, "sigma": 0.3, "nu": 3.0}
    x, y = _student_t_data(1000)
    result = fit_model(student_t_regression, {"x": x, "y": y}, seed=3)
    table = result.summary()
    for name, value in truth.items():
        mean, sd, mcse = table.loc[name, ["mean", "sd", "mcse_mean"]]
        assert abs(mean - value) < Z_MAX * np.hypot(sd, mcse), (name, mean, sd, value)
    normal = fit(x, y, seed=3).summary()
    assert abs(normal.loc["sigma", "mean"] - truth["sigma"]) > Z_MAX * normal.loc["sigma", "sd"]


def coin_flips(n, y=None):
    """A model with a discrete latent site: which of two coins made the n flips."""
    which = numpyro.sample("which", dist.Bernoulli(0.5))
    with numpyro.plate("flips", n):
        numpyro.sample("y", dist.Bernoulli(0.3 + 0.4 * which), obs=y)


def test_fit_model_refuses_discrete_latent_sites():
    """Does fit_model name a discrete latent site and say what to do, before sampling?"""
    with pytest.raises(ValueError, match="continuous latent sites only .*'which' is discrete"):
        fit_model(coin_flips, {"n": 5, "y": np.array([1, 0, 1, 1, 0])})
