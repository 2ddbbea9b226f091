"""What the panels draw: prior densities, predictive bands, test statistics and p-values.

Closed-form cases only, so no Monte Carlo error: densities against SciPy's,
bands and statistics against NumPy's on fixed arrays.
"""

import numpy as np
import numpyro.distributions as dist
import pytest
from scipy import stats

from widgets.inference import (
    Priors,
    predictive_bands,
    predictive_pvalue,
    prior_densities,
    spread_draws,
    summary_statistic,
)


def test_prior_densities_are_the_priors_pdfs():
    """Are the densities on each grid those of the priors?"""
    priors = Priors(a=dist.Normal(1.0, 2.0), sigma=dist.HalfNormal(1.5))
    grid = np.linspace(-3.0, 3.0, 13)
    positive = np.linspace(0.25, 3.0, 12)
    densities = prior_densities(priors, {"a": grid, "sigma": positive})
    assert set(densities) == {"a", "sigma"}
    np.testing.assert_allclose(densities["a"], stats.norm(1.0, 2.0).pdf(grid), rtol=1e-5)
    np.testing.assert_allclose(densities["sigma"], stats.halfnorm(scale=1.5).pdf(positive), rtol=1e-5)


@pytest.mark.parametrize(
    ("prior", "pdf"),
    [
        (dist.HalfNormal(1.5), stats.halfnorm(scale=1.5).pdf),
        (dist.Exponential(2.0), stats.expon(scale=0.5).pdf),
    ],
    ids=["HalfNormal", "Exponential"],
)
def test_prior_densities_are_zero_outside_the_support(prior, pdf):
    """Is a positive prior's density 0 at negative points (not the density of |x|), as SciPy's is?"""
    grid = np.linspace(-2.0, 2.0, 9)
    densities = prior_densities(Priors(sigma=prior), {"sigma": grid})
    np.testing.assert_allclose(densities["sigma"], pdf(grid), rtol=1e-5)


def test_prior_densities_refuse_unknown_sites():
    """Does a grid for a site the priors do not have raise, naming it?"""
    with pytest.raises(ValueError, match=r"grids may only name .*; got \['c'\]"):
        prior_densities(Priors(), {"c": [0.0]})


def test_predictive_bands_are_the_percentiles_point_by_point():
    """Are the bands the 2.5, 25, 50, 75 and 97.5 percentiles of each column?"""
    y = np.arange(200.0).reshape(100, 2)
    bands = predictive_bands(y)
    assert list(bands) == ["lower95", "lower50", "median", "upper50", "upper95"]
    for name, q in zip(bands, (2.5, 25, 50, 75, 97.5), strict=True):
        np.testing.assert_allclose(bands[name], np.percentile(y, q, axis=0))


def test_predictive_bands_need_two_draws():
    """Does one draw (or a flat array) raise, saying the shape wanted?"""
    for y in (np.zeros((1, 5)), np.zeros(5)):
        with pytest.raises(ValueError, match="y must have shape"):
            predictive_bands(y)


@pytest.mark.parametrize(
    "name, expected",
    [("mean", [2.0, 5.0]), ("sd", [np.std([1, 2, 3])] * 2), ("min", [1.0, 4.0]), ("max", [3.0, 6.0])],
)
def test_summary_statistic_of_each_data_set(name, expected):
    """Is the statistic taken over the last axis, one value per data set?"""
    y = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    np.testing.assert_allclose(summary_statistic(y, name), expected)


def test_summary_statistic_quantile_and_bad_names():
    """Is "quantile" NumPy's quantile at q, and are other names and q outside [0, 1] refused?"""
    y = np.arange(11.0)
    assert summary_statistic(y, "quantile", q=0.9) == pytest.approx(9.0)
    with pytest.raises(ValueError, match="name must be one of"):
        summary_statistic(y, "median")
    with pytest.raises(ValueError, match=r"q must be in \[0, 1\]"):
        summary_statistic(y, "quantile", q=1.5)


def test_predictive_pvalue_counts_ties_half():
    """Is the p-value the share above the observed value, ties counting half?"""
    assert predictive_pvalue([1.0, 2.0, 3.0, 4.0], 2.0) == pytest.approx(0.5 + 0.5 * 0.25)
    assert predictive_pvalue([1.0, 2.0], 5.0) == 0.0
    with pytest.raises(ValueError, match="at least one"):
        predictive_pvalue([], 0.0)


@pytest.mark.parametrize("total, count", [(4000, 500), (4000, 4000), (7, 3), (5, 1)])
def test_spread_draws_are_distinct_and_span_the_draws(total, count):
    """Are the indices all different, increasing, and from the first draw to the last (every chain's)?"""
    chosen = spread_draws(total, count)
    assert chosen.shape == (count,) and np.all(np.diff(chosen) > 0)
    assert chosen[0] == 0 and (count == 1 or chosen[-1] == total - 1)
    gaps = np.diff(chosen)
    assert count < 3 or gaps.max() - gaps.min() <= 1


@pytest.mark.parametrize("count", [0, 11])
def test_spread_draws_refuse_counts_out_of_range(count):
    with pytest.raises(ValueError, match=r"count must be in \[1, total=10\]"):
        spread_draws(10, count)
