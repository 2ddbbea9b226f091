"""fit_many: each fit of a batch samples its own posterior, compiled once, and SBC ranks come out uniform.

Statistical checks divide the difference between an estimate and the exact (or
an independent sampler's) value by its Monte Carlo standard error from ArviZ;
under a correct sampler the z-scores are roughly standard normal, so |z| < 4.5
fails by chance with probability ~7e-6 per check. Seeds are fixed, so a run is
reproducible.
"""

import warnings

import jax
import numpy as np
import pytest
import xarray as xr
from numpyro.infer import MCMC, NUTS
from scipy import stats

from tests.conftest import make_data
from tests.inference.exact import exact_moments
from widgets.inference import eight_schools, eight_schools_noncentered, linear_regression
from widgets.inference._arviz import az
from widgets.inference.batched import fit_many

Z_MAX = 4.5
# The regression batch: (a, b, sigma) of each data set, n = 20. The last row
# repeats the first data set, to see that identical data get their own chains.
TRUTHS = [(1.5, -0.5, 0.3), (-2.0, 1.0, 0.5), (0.0, 0.0, 0.2), (3.0, 2.0, 1.0), (0.7, -1.5, 0.4)]
EIGHT_SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


def regression_batch():
    data = [make_data(20, a=a, b=b, sigma=s, seed=i) for i, (a, b, s) in enumerate(TRUTHS)]
    data.append(data[0])
    return {"x": np.stack([x for x, _ in data]), "y": np.stack([y for _, y in data])}


@pytest.fixture(scope="module")
def batch():
    data = regression_batch()
    return data, fit_many(linear_regression, data, seed=1, num_warmup=500, num_samples=1000, num_chains=4)


def mean_and_mcse(idata, name):
    return float(idata.posterior[name].mean()), float(az.mcse(idata, var_names=[name], method="mean")[name])


def test_each_fit_samples_its_own_exact_posterior(batch):
    """Does every fit of the batch give its own data set's exact posterior mean and sd of a, b and sigma?

    And the true values within 4.5 posterior sds (the data sets differ, so mixed-up fits would fail).
    """
    data, result = batch
    assert result.samples["a"].shape == (len(TRUTHS) + 1, 4, 1000)
    for i in range(result.num_fits):
        one = result.idata.isel(fit=i)
        exact = exact_moments(data["x"][i], data["y"][i])
        mcse_sd = az.mcse(one, method="sd")
        for j, name in enumerate(("a", "b", "sigma")):
            mean, mcse = mean_and_mcse(one, name)
            (exact_mean, exact_sd), true = exact[name], TRUTHS[i % len(TRUTHS)][j]
            sd = float(one.posterior[name].std())
            assert abs(mean - exact_mean) / mcse < Z_MAX, (i, name, mean, exact_mean)
            assert abs(sd - exact_sd) / float(mcse_sd[name]) < Z_MAX, (i, name, sd, exact_sd)
            assert abs(true - exact_mean) < Z_MAX * exact_sd, (i, name)


def test_identical_data_sets_get_their_own_chains(batch):
    """Do two rows with the same data get different draws (their own keys), not copies?"""
    _, result = batch
    assert not np.allclose(result.samples["a"][0], result.samples["a"][-1])


def test_a_batched_fit_agrees_with_numpyros_mcmc_on_the_same_data(batch):
    """Is fit 1's posterior mean of a, b, sigma NumPyro's own MCMC's, within their joint Monte Carlo error?"""
    data, result = batch
    mcmc = MCMC(NUTS(linear_regression), num_warmup=500, num_samples=1000, num_chains=4, progress_bar=False)
    mcmc.run(jax.random.PRNGKey(3), x=data["x"][1], y=data["y"][1])
    theirs = az.from_numpyro(mcmc)
    ours = result.idata.isel(fit=1)
    for name in ("a", "b", "sigma"):
        (m1, e1), (m2, e2) = mean_and_mcse(ours, name), mean_and_mcse(theirs, name)
        assert abs(m1 - m2) / np.hypot(e1, e2) < Z_MAX, (name, m1, m2)


def test_diagnostics_have_one_row_per_fit(batch):
    """Are R-hat, bulk ESS and divergences reported per fit by ArviZ, healthy for this easy model?"""
    _, result = batch
    diagnostics = result.diagnostics
    assert dict(diagnostics.sizes) == {"fit": result.num_fits}
    assert set(result.rhat.data_vars) == {"a", "b", "sigma"}
    assert result.rhat["a"].dims == result.ess_bulk["a"].dims == ("fit",)
    assert np.all(diagnostics["max_rhat"] < 1.01)
    assert np.all(diagnostics["min_ess_bulk"] > 400)
    np.testing.assert_array_equal(diagnostics["divergences"], result.divergences)
    # R-hat of fit 2 as ArviZ computes it for that fit alone.
    alone = az.rhat(result.idata.isel(fit=2))
    assert float(alone["b"]) == pytest.approx(float(result.rhat["b"][2]))


def assert_same_numbers(ours, arviz):
    """Same sites, dims, coords, dtypes and values (NaN where ArviZ has NaN); ArviZ's attrs aside."""
    xr.testing.assert_equal(ours, arviz)
    for name in arviz.data_vars:
        assert ours[name].dtype == arviz[name].dtype, name
        np.testing.assert_array_equal(ours[name].values, arviz[name].values, strict=True)


def test_per_fit_rhat_and_ess_are_arvizs_numbers_bit_for_bit(batch):
    """Are the batched R-hat and bulk ESS of every site and fit exactly what az.rhat and az.ess give?"""
    _, result = batch
    assert_same_numbers(result.rhat, az.rhat(result.idata))
    assert_same_numbers(result.ess_bulk, az.ess(result.idata, method="bulk"))


def test_per_fit_diagnostics_of_a_vector_site_and_a_stuck_fit_are_arvizs():
    """With a vector site (theta) and centered eight schools fits that may stick, still ArviZ's numbers?"""
    fitted = fit_many(
        eight_schools,
        eight_schools_simulations(6, seed=2),
        seed=0,
        num_warmup=100,
        num_samples=50,
        num_chains=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # ArviZ's own warnings on a stuck chain
        assert_same_numbers(fitted.rhat, az.rhat(fitted.idata))
        assert_same_numbers(fitted.ess_bulk, az.ess(fitted.idata, method="bulk"))
    assert fitted.rhat["theta"].dims == ("fit", "theta_dim_0")


def eight_schools_simulations(num_fits, seed):
    """Data sets simulated from the eight schools' prior."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(0.0, 5.0, num_fits)
    tau = np.abs(5.0 * rng.standard_cauchy(num_fits))
    theta = rng.normal(mu[:, None], tau[:, None], (num_fits, 8))
    y = rng.normal(theta, EIGHT_SIGMA)
    return {"J": 8, "sigma": np.broadcast_to(EIGHT_SIGMA, (num_fits, 8)), "y": y}


def test_eight_schools_centered_diverges_in_more_fits_than_non_centered():
    """Over data simulated from the prior, do more centered fits diverge than non-centered ones?

    The kit's models, with the number of schools J a size shared by every fit.
    The counts are each fit's divergences after warmup; with thin = 1 they are
    the kept draws' diverging flags.
    """
    data = eight_schools_simulations(20, seed=0)
    options = {"seed": 2, "num_warmup": 200, "num_samples": 200, "num_chains": 2}
    centered = fit_many(eight_schools, data, **options)
    noncentered = fit_many(eight_schools_noncentered, data, **options)
    assert (centered.divergences > 0).sum() > (noncentered.divergences > 0).sum()
    for result in (centered, noncentered):
        np.testing.assert_array_equal(result.sample_stats["diverging"].sum(axis=(1, 2)), result.divergences)
    assert noncentered.samples["theta"].shape == (20, 2, 200, 8)
    assert noncentered.rhat["theta"].dims == ("fit", "theta_dim_0")


def small_batch(seed, num_fits=3, n=17):
    rows = [make_data(n, a=1.0 - i, seed=seed * 10 + i) for i in range(num_fits)]
    return {"x": np.stack([x for x, _ in rows]), "y": np.stack([y for _, y in rows])}


def test_new_data_of_the_same_shape_does_not_compile_again(compile_counter):
    """After a first batch, does a new batch of the same shapes run without tracing or compiling?

    With a new seed, num_warmup, thin, target_accept_prob and progress reporting.
    """
    counter = compile_counter()
    fit_many(linear_regression, small_batch(0), num_warmup=50, num_samples=100, num_chains=2)
    assert counter.compilations >= 1  # the counter sees this shape's first compile
    counter = compile_counter()
    fit_many(
        linear_regression,
        small_batch(1),
        seed=5,
        num_warmup=80,
        num_samples=100,
        num_chains=2,
        thin=3,
        target_accept_prob=0.9,
        progress=lambda fraction: None,
    )
    assert (counter.traces, counter.compilations) == (0, 0)


def test_progress_rises_to_one_and_changes_no_draw():
    """Is progress called with rising fractions from 0 to 1, and are the draws those of a run without it?"""
    reports = []
    options = {"seed": 4, "num_warmup": 50, "num_samples": 100, "num_chains": 2, "thin": 2}
    reported = fit_many(linear_regression, small_batch(2), progress=reports.append, **options)
    plain = fit_many(linear_regression, small_batch(2), **options)
    assert reports[0] == 0.0 and reports[-1] == 1.0 and len(reports) >= 5
    assert all(b >= a for a, b in zip(reports[:-1], reports[1:], strict=True))
    for name in plain.samples:
        np.testing.assert_array_equal(plain.samples[name], reported.samples[name])
    np.testing.assert_array_equal(plain.divergences, reported.divergences)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"data": {"x": np.zeros((3, 5)), "y": np.zeros((2, 5))}}, r"same number of fits .*x: 3, y: 2"),
        ({"data": {}}, "data must be a non-empty dict"),
        ({"data": {"J": 8}}, "data needs at least one array with one row per fit"),
        ({"data": [np.zeros((3, 5))]}, "data must be a non-empty dict"),
        ({"data": {"x": 1.0, "y": np.zeros(1)}}, r"data\['x'\] must have a leading axis"),
        ({"data": {"x": np.zeros((3, 5)), "y": np.full((3, 5), np.nan)}}, r"data\['y'\] must be finite"),
        ({"data": {"x": np.zeros((3, 5)), "y": [["a"] * 5] * 3}}, r"data\['y'\] must be an array of numbers"),
        (
            {"data": {"x": np.zeros((3, 5)), "y": np.zeros((3, 5), bool)}},
            r"data\['y'\] must be an array of numbers",
        ),
        ({"data": {"x": np.zeros((3, 5)), "y": None}}, r"data\['y'\] must be an array of numbers; got None"),
        ({"num_samples": 0}, r"num_samples must be an integer in \[1, 100000\]; got 0"),
        ({"num_warmup": -1}, r"num_warmup must be an integer in \[0, 10000\]; got -1"),
        ({"num_chains": 0}, "num_chains must be an integer >= 1; got 0"),
        ({"thin": 0}, r"thin must be an integer in \[1, 1000\]; got 0"),
        ({"seed": -1}, r"seed must be an integer in \[0, 2\*\*32\)"),
        ({"target_accept_prob": 1.0}, r"target_accept_prob must be in \(0, 1\)"),
        ({"progress": 3}, "progress must be a function"),
        ({"model": "regression"}, "model must be a NumPyro model"),
    ],
)
def test_bad_arguments_are_refused(change, message):
    """Does fit_many refuse each bad argument with a message naming it and what is allowed?"""
    arguments = {"model": linear_regression, "data": small_batch(0), **change}
    with pytest.raises(ValueError, match=message):
        fit_many(**arguments)


def prior_simulations(num_fits, n, seed):
    """Regressions simulated from the tutorial's priors: true (a, b, sigma) and data."""
    rng = np.random.default_rng(seed)
    a, b, sigma = (
        rng.normal(0.0, 2.0, num_fits),
        rng.normal(0.0, 2.0, num_fits),
        np.abs(rng.normal(size=num_fits)),
    )
    x = rng.uniform(-2.0, 2.0, (num_fits, n))
    y = a[:, None] * x + b[:, None] + sigma[:, None] * rng.normal(size=(num_fits, n))
    return {"a": a, "b": b, "sigma": sigma}, {"x": x, "y": y}


def test_sbc_ranks_of_the_true_slope_are_uniform():
    """Are the ranks of the true a among 100 thinned draws uniform over 100 simulated regressions (n = 20)?

    Ranks (plus uniform jitter, scaled to (0, 1)) are exactly uniform when the
    fits are calibrated and the kept draws independent; thin = 4 keeps draws
    nearly independent here. A KS p-value below 0.001 fails by chance once in
    a thousand seeds. The same check on ranks against draws shifted by one
    posterior sd (a miscalibrated fit) must fail, so the test has power.
    """
    truth, data = prior_simulations(100, 20, seed=7)
    result = fit_many(linear_regression, data, seed=8, num_warmup=300, num_samples=50, num_chains=2, thin=4)
    num_draws = 2 * 50
    jitter = np.random.default_rng(9).uniform(size=100)

    def pvalue(ranks):
        return stats.kstest((ranks + jitter) / (num_draws + 1), "uniform").pvalue

    assert pvalue(result.ranks({"a": truth["a"]})["a"]) > 1e-3
    shifted = truth["a"] - result.samples["a"].std(axis=(1, 2))
    assert pvalue(result.ranks({"a": shifted})["a"]) < 1e-3


def test_ranks_refuse_unknown_sites_and_wrong_shapes(batch):
    """Do ranks name a site that is not sampled, and a truth of the wrong shape?"""
    _, result = batch
    with pytest.raises(ValueError, match="'c' is not among"):
        result.ranks({"c": np.zeros(result.num_fits)})
    with pytest.raises(ValueError, match=r"truth\['a'\] must have shape \(6,\)"):
        result.ranks({"a": np.zeros(3)})
