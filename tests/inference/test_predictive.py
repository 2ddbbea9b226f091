"""simulate, prior_predictive and posterior_predictive: shapes, seeds, statistics.

Statistical checks compare a sample statistic with its exact value and allow
4.5 standard errors (chance failure ~7e-6 per check); seeds are fixed.
"""

import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

from widgets.inference import Priors, fit, posterior_predictive, prior_predictive, simulate

Z_MAX = 4.5
X_GRID = np.linspace(-2.0, 2.0, 50)


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


@pytest.fixture(scope="module")
def fitted(data80):
    return fit(*data80, seed=0)


def test_fit_shapes_and_groups(fitted):
    """Are samples (chains, draws), and does idata hold the groups and variables a student needs?"""
    assert {k: v.shape for k, v in fitted.samples.items()} == {
        "a": (4, 1000),
        "b": (4, 1000),
        "sigma": (4, 1000),
    }
    idata = fitted.idata
    for group in ("posterior", "sample_stats", "log_likelihood", "observed_data"):
        assert group in idata.groups()
    assert set(idata.posterior.data_vars) == {"a", "b", "sigma"}
    assert dict(idata.posterior.sizes) == {"chain": 4, "draw": 1000}
    assert "diverging" in idata.sample_stats
    assert idata.log_likelihood["y"].shape == (4, 1000, 80)
    np.testing.assert_allclose(idata.observed_data["y"].values, fitted.y)


def test_summary_has_arviz_columns(fitted):
    """Does summary() give mean, sd, the 94% HDI, bulk/tail ESS and R-hat per parameter?"""
    table = fitted.summary()
    assert list(table.index) == ["a", "b", "sigma"]
    for column in ("mean", "sd", "hdi_3%", "hdi_97%", "ess_bulk", "ess_tail", "r_hat"):
        assert column in table.columns
    np.testing.assert_allclose(table.loc["a", "mean"], fitted.samples["a"].mean(), atol=1e-3)


def test_diagnostics_of_a_healthy_fit(fitted):
    """Does a healthy fit report no divergences, R-hat near 1, large ESS and a reassuring verdict?"""
    diag = fitted.diagnostics
    assert diag.divergences == int(fitted.sample_stats["diverging"].sum()) == 0
    assert 0.99 < diag.max_rhat < 1.01
    assert diag.min_ess_bulk > 400
    assert diag.ok and "No warning signs" in diag.verdict


def test_diagnostics_flag_too_few_draws(data80):
    """Does a very short run get a plain warning about ESS that says what to try?"""
    short = fit(*data80, num_warmup=20, num_samples=30, num_chains=2, seed=1)
    diag = short.diagnostics
    assert not diag.ok
    assert diag.min_ess_bulk < 400
    assert "Bulk ESS" in diag.verdict and "num_samples" in diag.verdict


def test_fit_is_reproducible_per_seed(data80):
    """Does the same seed give identical draws, with or without progress reporting?"""
    x, y = data80
    reports = []
    plain = fit(x, y, seed=11, num_samples=200, num_warmup=200)
    reported = fit(x, y, seed=11, num_samples=200, num_warmup=200, progress=reports.append)
    other = fit(x, y, seed=12, num_samples=200, num_warmup=200)
    for name in plain.samples:
        np.testing.assert_array_equal(plain.samples[name], reported.samples[name])
    assert not np.allclose(plain.samples["a"], other.samples["a"])


def test_progress_reports_rising_fractions_ending_at_one(data80):
    """Is progress called with fractions from 0 to 1 that never go down?"""
    reports = []
    fit(*data80, seed=3, progress=reports.append)
    assert reports[0] == 0.0 and reports[-1] == 1.0
    assert all(b >= a for a, b in zip(reports[:-1], reports[1:], strict=True))
    assert len(reports) >= 3


def test_posterior_predictive_shape_and_noise(fitted):
    """Is y (chains*draws, len(x)), and is y - (a*x + b) Normal(0, sigma) draw by draw?"""
    replicated = posterior_predictive(fitted, X_GRID, seed=4)["y"]
    assert replicated.shape == (4000, 50)
    a, b, s = (fitted.samples[k].reshape(-1, 1) for k in ("a", "b", "sigma"))
    noise = (replicated - a * X_GRID - b) / s
    assert abs(noise.mean()) < Z_MAX / np.sqrt(noise.size)
    assert abs(noise.std() - 1.0) < Z_MAX / np.sqrt(2 * noise.size)


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
