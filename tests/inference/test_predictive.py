"""Predictive draws (simulated data, prior and posterior predictive): shapes, seeds, statistics, bad input.

Statistical checks compare a sample statistic with its exact value and allow
4.5 standard errors (chance failure ~7e-6 per check); seeds are fixed.
"""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro.infer import Predictive

from tests.conftest import make_data
from widgets.inference import (
    EIGHT_SCHOOLS,
    Priors,
    fit,
    linear_regression,
    posterior_predictive,
    prior_predictive,
    sample_posterior_predictive,
    simulate,
)
from widgets.inference.predictive import prior_draws

X = np.linspace(-2.0, 2.0, 10)
Y = 1.5 * X - 0.5
X_GRID = np.linspace(-2.0, 2.0, 50)
Z_MAX = 4.5


def test_simulate_returns_one_y_per_x():
    """Is simulate's output a NumPy array with one value per x?"""
    y = simulate(X_GRID, 1.5, -0.5, 0.3)
    assert isinstance(y, np.ndarray) and y.shape == X_GRID.shape


def test_simulate_is_reproducible_per_seed():
    """Does the same seed give the same y and a new seed a new y?"""
    first, again = simulate(X_GRID, 1.0, 0.0, 1.0, seed=7), simulate(X_GRID, 1.0, 0.0, 1.0, seed=7)
    other = simulate(X_GRID, 1.0, 0.0, 1.0, seed=8)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


@pytest.mark.parametrize("a, b, sigma", [(1.5, -0.5, 0.3), (-2.0, 3.0, 1.7)])
def test_simulate_recovers_its_parameters_at_large_n(a, b, sigma):
    """Does least squares on 20,000 simulated points recover a, b and sigma within 4.5 standard errors?"""
    n = 20_000
    x = np.random.default_rng(0).uniform(-2.0, 2.0, n)
    y = simulate(x, a, b, sigma, seed=3)
    design = np.column_stack([x, np.ones(n)])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    cov = sigma**2 * np.linalg.inv(design.T @ design)
    resid_sd = np.std(y - design @ coef, ddof=2)
    assert abs(coef[0] - a) < Z_MAX * np.sqrt(cov[0, 0])
    assert abs(coef[1] - b) < Z_MAX * np.sqrt(cov[1, 1])
    assert abs(resid_sd - sigma) < Z_MAX * sigma / np.sqrt(2 * n)


def test_prior_predictive_shapes():
    """Are a, b, sigma (num_samples,) and y (num_samples, len(x))?"""
    draws = prior_predictive(X_GRID, num_samples=37)
    assert {k: v.shape for k, v in draws.items()} == {
        "a": (37,),
        "b": (37,),
        "sigma": (37,),
        "y": (37, 50),
    }
    assert all(isinstance(v, np.ndarray) for v in draws.values())


def test_prior_predictive_is_reproducible_per_seed():
    """Does the same seed repeat the draws and a new seed change them?"""
    first, again = prior_predictive(X_GRID, seed=1), prior_predictive(X_GRID, seed=1)
    other = prior_predictive(X_GRID, seed=2)
    np.testing.assert_array_equal(first["y"], again["y"])
    assert not np.allclose(first["y"], other["y"])


def test_prior_predictive_follows_the_priors():
    """Do the draws of a have the prior's mean and sd, and is y | a, b, sigma Normal(a*x + b, sigma)?"""
    n = 4000
    priors = Priors(a=dist.Normal(1.0, 3.0))
    draws = prior_predictive(X_GRID, priors=priors, num_samples=n, seed=5)
    assert abs(draws["a"].mean() - 1.0) < Z_MAX * 3.0 / np.sqrt(n)
    assert abs(draws["a"].std() - 3.0) < Z_MAX * 3.0 / np.sqrt(2 * n)
    assert np.all(draws["sigma"] > 0)
    noise = (draws["y"] - draws["a"][:, None] * X_GRID - draws["b"][:, None]) / draws["sigma"][:, None]
    assert abs(noise.mean()) < Z_MAX / np.sqrt(noise.size)
    assert abs(noise.std() - 1.0) < Z_MAX / np.sqrt(2 * noise.size)


def test_wider_prior_on_a_widens_prior_predictive_y():
    """Does a wider prior on the slope spread y more at the edges of x (same seed)?"""
    narrow = prior_predictive(X_GRID, priors=Priors(a=dist.Normal(0.0, 0.5)), num_samples=500)
    wide = prior_predictive(X_GRID, priors=Priors(a=dist.Normal(0.0, 5.0)), num_samples=500)
    assert wide["y"][:, -1].std() > 3 * narrow["y"][:, -1].std()


def test_posterior_predictive_shape_and_noise(fitted):
    """Is y (chains*draws, len(x)), and is y - (a*x + b) Normal(0, sigma) draw by draw?"""
    replicated = posterior_predictive(fitted, X_GRID, seed=4)["y"]
    assert replicated.shape == (4000, 50)
    a, b, s = (fitted.samples[k].reshape(-1, 1) for k in ("a", "b", "sigma"))
    noise = (replicated - a * X_GRID - b) / s
    assert abs(noise.mean()) < Z_MAX / np.sqrt(noise.size)
    assert abs(noise.std() - 1.0) < Z_MAX / np.sqrt(2 * noise.size)


def test_posterior_predictive_in_blocks_equals_predictive_on_all_draws():
    """For 4 x 300 draws (not a whole number of blocks), are the replicates those of one Predictive call?"""
    x, y = make_data(20, seed=1)
    result = fit(x, y, num_warmup=100, num_samples=300, seed=2)
    grid = np.linspace(-2.0, 2.0, 7, dtype=np.float32)
    ours = posterior_predictive(result, grid, seed=9)["y"]
    flat = {k: jnp.asarray(v.reshape(-1)) for k, v in result.samples.items()}
    model = lambda x, y, priors: linear_regression(x, y, priors=priors)  # noqa: E731
    theirs = Predictive(model, posterior_samples=flat, parallel=True)(
        jax.random.PRNGKey(9), grid, None, Priors()
    )
    assert ours.shape == (1200, 7)
    np.testing.assert_allclose(ours, np.asarray(theirs["y"]), rtol=1e-5, atol=1e-5)


def student_t_regression(x, y=None):
    """A student's own model: a Student-t likelihood with unknown degrees of freedom."""
    a = numpyro.sample("a", dist.Normal(0.0, 2.0))
    b = numpyro.sample("b", dist.Normal(0.0, 2.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    nu = numpyro.sample("nu", dist.Gamma(2.0, 0.1))
    numpyro.deterministic("slope_times_two", 2 * a)
    with numpyro.plate("data", x.shape[0]):
        numpyro.sample("y", dist.StudentT(nu, a * x + b, sigma), obs=y)


def test_functions_accept_a_users_own_model(data80):
    """Do fit, prior_predictive and posterior_predictive work with a model that has its own sites?"""
    x, y = data80
    draws = prior_predictive(x, num_samples=10, model=student_t_regression)
    assert draws["nu"].shape == (10,) and draws["y"].shape == (10, 80)
    result = fit(x, y, model=student_t_regression, num_warmup=300, num_samples=300, seed=2)
    assert set(result.samples) == {"a", "b", "sigma", "nu", "slope_times_two"}
    np.testing.assert_allclose(result.samples["slope_times_two"], 2 * result.samples["a"], rtol=1e-6)
    assert "nu" in result.summary().index
    assert posterior_predictive(result, X_GRID)["y"].shape == (1200, 50)
    a_hdi = result.summary().loc["a", ["hdi_3%", "hdi_97%"]]
    assert a_hdi.iloc[0] < 1.5 < a_hdi.iloc[1]


@pytest.mark.parametrize(
    "args, message",
    [
        ((X, 1.0, 0.0, 0.0), "sigma must be > 0; got 0.0"),
        ((X, 1.0, 0.0, -1.0), "sigma must be > 0; got -1.0"),
        ((X, np.nan, 0.0, 1.0), "a must be a finite number; got nan"),
        ((X, 1.0, np.inf, 1.0), "b must be a finite number; got inf"),
        ((X, [1.0, 2.0], 0.0, 1.0), r"a must be a single number; got shape \(2,\)"),
        ((X, "1", 0.0, 1.0), "a must be an array of numbers"),
        ((np.array([]), 1.0, 0.0, 1.0), "x is empty"),
    ],
)
def test_simulate_rejects_bad_input(args, message):
    """Does simulate refuse bad parameters and data with a clear message?"""
    with pytest.raises(ValueError, match=message):
        simulate(*args)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_samples": 0}, "num_samples must be an integer >= 1; got 0"),
        ({"x": [np.nan]}, "x must be finite"),
        ({"priors": None}, "priors must be a widgets.inference.Priors"),
    ],
)
def test_prior_predictive_rejects_bad_input(kwargs, message):
    """Does prior_predictive refuse bad arguments with a clear message?"""
    arguments = {"x": X, **kwargs}
    with pytest.raises(ValueError, match=message):
        prior_predictive(**arguments)


@pytest.mark.parametrize("model", [linear_regression, student_t_regression])
def test_prior_draws_uncompiled_equal_prior_predictive(model):
    """Do prior_draws (run operation by operation) and the compiled prior_predictive draw the same?"""
    eager = prior_draws(X, num_samples=20, seed=5, model=model)
    compiled = prior_predictive(X, num_samples=20, seed=5, model=model)
    assert sorted(eager) == sorted(compiled)
    for name in compiled:
        np.testing.assert_allclose(eager[name], compiled[name], rtol=1e-5, atol=1e-6, err_msg=name)
    again = prior_draws(X, num_samples=20, seed=6, model=model)
    assert not np.allclose(again["y"], eager["y"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_samples": 0}, "num_samples must be an integer >= 1; got 0"),
        ({"x": [np.nan]}, "x must be finite"),
        ({"seed": -1}, "seed"),
    ],
)
def test_prior_draws_rejects_bad_input(kwargs, message):
    """Does prior_draws refuse bad arguments with a clear message?"""
    arguments = {"x": X, "num_samples": 5, "seed": 0, "model": linear_regression, **kwargs}
    with pytest.raises(ValueError, match=message):
        prior_draws(**arguments)


def test_posterior_predictive_needs_a_fit():
    """Does posterior_predictive refuse something that is not a Fit?"""
    with pytest.raises(ValueError, match="fit must be the Fit returned by"):
        posterior_predictive({"a": np.zeros(3)}, X)


def test_sample_posterior_predictive_replicates_each_school(schools_noncentered):
    """Does each replicated y[j] follow Normal(theta[j], sigma[j]) given its posterior draw?

    The standardized residuals of 4000 x 8 replicates must have mean 0 and sd
    1 within 4.5 standard errors.
    """
    replicated = sample_posterior_predictive(schools_noncentered, seed=2)
    assert replicated["y"].shape == (4000, 8)
    theta = schools_noncentered.samples["theta"].reshape(-1, 8)
    noise = (replicated["y"] - theta) / EIGHT_SCHOOLS["sigma"]
    assert abs(noise.mean()) < Z_MAX / np.sqrt(noise.size)
    assert abs(noise.std() - 1.0) < Z_MAX / np.sqrt(2 * noise.size)


def test_sample_posterior_predictive_at_new_data(schools_centered):
    """Given new data (standard errors near 0, y=None), is each replicated y[j] its draw's theta[j]?"""
    new = {"J": 8, "sigma": np.full(8, 1e-3), "y": None}
    replicated = sample_posterior_predictive(schools_centered, new, seed=1)
    assert replicated["y"].shape == (4000, 8)
    theta = schools_centered.samples["theta"].reshape(-1, 8)
    np.testing.assert_allclose(replicated["y"], theta, atol=0.02)


def test_regression_posterior_predictive_is_the_general_one(fitted):
    """Is posterior_predictive(fit, x) sample_posterior_predictive(fit, {"x": x, "y": None}), draw by draw?"""
    ours = posterior_predictive(fitted, X_GRID, seed=6)
    general = sample_posterior_predictive(fitted, {"x": X_GRID, "y": None}, seed=6)
    np.testing.assert_array_equal(ours["y"], general["y"])


@pytest.mark.parametrize(
    "data, message",
    [
        ({"x": X_GRID, "z": X_GRID}, "takes no argument named 'z'"),
        ({"x": [np.nan]}, r"data\['x'\] must be finite"),
        ("x", "data must be a dict"),
    ],
)
def test_sample_posterior_predictive_rejects_bad_data(fitted, data, message):
    """Does sample_posterior_predictive refuse data the model cannot take, with a clear message?"""
    with pytest.raises(ValueError, match=message):
        sample_posterior_predictive(fitted, data)
