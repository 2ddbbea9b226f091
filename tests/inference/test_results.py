"""Fit: draws of the right shapes, and the ArviZ groups and summary a student needs, for any model."""

import warnings

import arviz as az
import numpy as np
import pytest
from scipy import stats

from widgets.inference import EIGHT_SCHOOLS, Priors, fit_model, linear_regression, student_t_regression


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


@pytest.mark.parametrize("which", ["centered", "noncentered"])
def test_eight_schools_inference_data_groups_and_dims(which, request):
    """Does the eight schools' InferenceData hold every group, with the schools along the plate's dim "J"?"""
    result = request.getfixturevalue(f"schools_{which}")
    idata = result.idata
    for group in ("posterior", "sample_stats", "log_likelihood", "posterior_predictive", "observed_data"):
        assert group in idata.groups(), group
    latent = {"mu", "tau", "theta"} | ({"theta_decentered"} if which == "noncentered" else set())
    assert set(idata.posterior.data_vars) == latent
    assert dict(idata.posterior.sizes) == {"chain": 4, "draw": 1000, "J": 8}
    assert idata.posterior["theta"].dims == ("chain", "draw", "J")
    assert idata.log_likelihood["y"].dims == ("chain", "draw", "J")
    assert idata.posterior_predictive["y"].dims == ("chain", "draw", "J")
    assert idata.observed_data["y"].dims == ("J",)
    np.testing.assert_array_equal(idata.observed_data["y"].values, EIGHT_SCHOOLS["y"])
    np.testing.assert_array_equal(idata.constant_data["sigma"].values, EIGHT_SCHOOLS["sigma"])
    assert idata.sample_stats["diverging"].dtype == bool
    assert set(result.summary().index) >= {"mu", "tau", "theta[0]", "theta[7]"}


def test_log_likelihood_is_the_pointwise_density_of_each_observed_site(schools_noncentered):
    """Is log_likelihood["y"][c, d, j] the Normal(theta[c, d, j], sigma[j]) log-density of y[j]?"""
    theta = schools_noncentered.samples["theta"]
    expected = stats.norm.logpdf(EIGHT_SCHOOLS["y"], theta, EIGHT_SCHOOLS["sigma"])
    np.testing.assert_allclose(schools_noncentered.log_likelihood["y"], expected, rtol=1e-4, atol=1e-4)


def test_regression_fit_keeps_its_data_and_priors(fitted, data80):
    """Does a regression fit still name its data x and y and its priors, and dims "obs"?"""
    np.testing.assert_allclose(fitted.x, data80[0], rtol=1e-6)
    np.testing.assert_allclose(fitted.y, data80[1], rtol=1e-6)
    assert fitted.priors == Priors()
    assert fitted.idata.log_likelihood["y"].dims == ("chain", "draw", "obs")
    np.testing.assert_array_equal(fitted.idata.constant_data["x"].values, fitted.x)


def test_a_fit_of_another_model_has_no_regression_data(schools_centered):
    """Does a fit of the eight schools say it has no x or priors, instead of giving the regression's?"""
    assert not hasattr(schools_centered, "x") and not hasattr(schools_centered, "priors")
    with pytest.raises(AttributeError, match="takes no 'x'"):
        _ = schools_centered.x


def test_loo_prefers_the_student_t_regression_on_data_with_outliers():
    """Does LOO (from each fit's log_likelihood) prefer the Student-t model when 5 of 100 points are outliers?

    The difference in elpd_loo must exceed 4 of its standard errors (from the
    pointwise differences, as ArviZ's ``dse``): far beyond chance for 5 points
    15 noise sds away.
    """
    rng = np.random.default_rng(7)
    x = rng.uniform(-2.0, 2.0, 100)
    y = 1.5 * x - 0.5 + 0.3 * rng.normal(size=100)
    y[:5] += 4.5
    data = {"x": x, "y": y}
    fits = [fit_model(model, data, seed=1).idata for model in (linear_regression, student_t_regression)]
    with warnings.catch_warnings():
        # A Normal likelihood's LOO on outliers has large Pareto k: ArviZ says so, as it should.
        warnings.filterwarnings("ignore", "Estimated shape parameter of Pareto", UserWarning)
        normal, robust = (az.loo(idata, pointwise=True).loo_i.values for idata in fits)
    difference = robust - normal
    standard_error = np.sqrt(difference.size * difference.var())
    assert difference.sum() > 4 * standard_error, (difference.sum(), standard_error)
