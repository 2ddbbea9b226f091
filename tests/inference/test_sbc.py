"""Simulation-based calibration: uniform ranks for a right simulator, the planted bug found, no recompiles."""

import warnings

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from widgets.inference import EIGHT_SCHOOLS, eight_schools, eight_schools_noncentered, linear_regression
from widgets.inference._arviz import az
from widgets.inference.batched import fit_many
from widgets.inference.sbc import (
    CHUNK_SIZE,
    SBCResult,
    _fit_diagnostics,
    _model_arguments,
    _split_chains,
    run_sbc,
    simulate_from_prior,
)

X = np.linspace(-2.0, 2.0, 20)


def regression_simulator(rng, x):
    """The regression's priors, written apart from the model."""
    a, b, sigma = rng.normal(0.0, 2.0), rng.normal(0.0, 2.0), abs(rng.normal(0.0, 1.0))
    return {"a": a, "b": b, "sigma": sigma, "y": rng.normal(a * x + b, sigma)}


def wide_noise_simulator(rng, x):
    """A planted bug: sigma ~ HalfNormal(3) in the simulator, HalfNormal(1) in the model."""
    a, b, sigma = rng.normal(0.0, 2.0), rng.normal(0.0, 2.0), abs(rng.normal(0.0, 3.0))
    return {"a": a, "b": b, "sigma": sigma, "y": rng.normal(a * x + b, sigma)}


def schools_simulator(rng, J, sigma):
    mu, tau = rng.normal(0.0, 5.0), abs(5.0 * rng.standard_cauchy())
    theta = rng.normal(mu, tau, J)
    return {"mu": mu, "tau": tau, "theta": theta, "y": rng.normal(theta, sigma)}


@pytest.fixture(scope="module")
def calibrated():
    return run_sbc(linear_regression, regression_simulator, {"x": X}, num_simulations=200, seed=3)


@pytest.fixture(scope="module")
def planted():
    return run_sbc(linear_regression, wide_noise_simulator, {"x": X}, num_simulations=200, seed=3)


def test_are_ranks_uniform_when_simulator_and_model_agree(calibrated):
    """Chi-square over 10 bins of each parameter's ranks: each p < 0.001 in 0.1% of seeds (0.3% for three)."""
    assert set(calibrated.parameters) == {"a", "b", "sigma"}
    for name in calibrated.parameters:
        _, counts, expected = calibrated.rank_histogram(name, bins=10)
        assert counts.sum() == 200
        assert stats.chisquare(counts, expected * counts.sum() / expected.sum()).pvalue > 1e-3, name
    assert 0 <= calibrated.ranks["a"].min() and calibrated.ranks["a"].max() <= calibrated.max_rank == 100


def test_does_thinning_by_ten_give_an_ess_about_the_kept_draws(calibrated):
    """1,000 iterations thinned to 100 draws: the median bulk ESS is within 30% of 100."""
    assert 70 < np.median(calibrated.diagnostics["min_ess_bulk"]) < 130
    assert calibrated.share_divergent < 0.05


def test_does_the_planted_noise_prior_show_in_sigma_as_a_posterior_too_low(planted):
    """True sigmas from HalfNormal(3) sit high among draws that the model's HalfNormal(1) pulls down."""
    u = (planted.parameters["sigma"] + 0.5) / (planted.max_rank + 1)
    # The mean of 200 uniform fractional ranks has sd 0.02: 0.6 is 5 sd away.
    assert u.mean() > 0.6
    expected = "sigma: biased, the posterior is too low (true values sit high among the draws)"
    assert planted.finding("sigma") == expected
    curve = planted.ecdf_difference("sigma")
    assert (curve["difference"] < curve["lower"]).any()
    assert "sigma: biased" in planted.verdict


def test_is_the_ecdf_difference_zero_for_perfectly_uniform_ranks():
    """Each of the 101 ranks once: the ECDF equals the uniform CDF at every point, inside ArviZ's band."""
    ranks = np.arange(101)
    result = SBCResult(
        ranks={"a": ranks},
        truth={"a": np.zeros(101)},
        divergences=np.zeros(101, int),
        diagnostics={"max_rhat": np.ones(101), "min_ess_bulk": np.full(101, 100.0)},
        max_rank=100,
        num_samples=100,
        thin=10,
        seed=0,
        stopped=False,
    )
    curve = result.ecdf_difference("a")
    np.testing.assert_allclose(curve["difference"], 0.0, atol=1e-12)
    # At the last point every rank is below: the CDF is 1 and the band closes on it.
    assert np.all(curve["lower"][:-1] < 0) and np.all(curve["upper"][:-1] > 0)
    assert result.finding("a") == "a: ranks look uniform"
    _, counts, expected = result.rank_histogram("a", bins=10)
    np.testing.assert_array_equal(counts, expected)


def test_does_a_new_run_of_other_size_seed_and_thinning_compile_nothing(calibrated, compile_counter):
    counter = compile_counter()
    result = run_sbc(linear_regression, regression_simulator, {"x": X}, num_simulations=30, seed=9, thin=3)
    assert counter.compilations == 0
    assert result.num_simulations == 30 and result.thin == 3


def test_does_a_run_stop_between_chunks_and_keep_what_it_did():
    fractions = []
    result = run_sbc(
        linear_regression,
        regression_simulator,
        {"x": X},
        num_simulations=3 * CHUNK_SIZE,
        seed=1,
        progress=fractions.append,
        should_stop=lambda: len(fractions) > 1,
    )
    assert result.stopped and result.num_simulations == CHUNK_SIZE
    assert fractions[0] == 0.0 and 0 < fractions[-1] <= 1 / 3 + 1e-9
    assert np.all(np.diff(fractions) >= 0)


def test_is_simulation_i_the_same_whatever_the_number_of_simulations():
    args, names = {"x": X}, {"x", "y"}
    few, _ = simulate_from_prior(regression_simulator, args, num_simulations=5, seed=4, arguments=names)
    many, _ = simulate_from_prior(regression_simulator, args, num_simulations=50, seed=4, arguments=names)
    np.testing.assert_array_equal(few["a"], many["a"][:5])


@pytest.mark.parametrize(
    "simulator, message",
    [
        (lambda rng, x: [1.0], "must return a dict"),
        (lambda rng, x: {"a": rng.normal()}, "both parameters"),
        (lambda rng, x: {"a": np.nan, "y": x}, "not a finite number"),
    ],
)
def test_is_a_bad_simulator_refused_with_what_it_returned(simulator, message):
    with pytest.raises(ValueError, match=message):
        run_sbc(linear_regression, simulator, {"x": X}, num_simulations=2)


def test_is_a_bad_number_of_simulations_refused_with_its_range():
    with pytest.raises(ValueError, match=r"num_simulations must be an integer in \[1, 10000\]"):
        run_sbc(linear_regression, regression_simulator, {"x": X}, num_simulations=0)


def test_do_the_eight_schools_diverge_more_centered_than_non_centered():
    """50 simulations each: the centered funnel diverges in more fits, and its ranks carry J = 8 thetas."""
    data = {"J": 8, "sigma": EIGHT_SCHOOLS["sigma"]}
    centered = run_sbc(eight_schools, schools_simulator, data, num_simulations=50, seed=2)
    noncentered = run_sbc(eight_schools_noncentered, schools_simulator, data, num_simulations=50, seed=2)
    assert centered.ranks["theta"].shape == (50, 8)
    assert "theta[7]" in centered.parameters
    assert centered.share_divergent > noncentered.share_divergent + 0.2


def _fit_diagnostics_per_fit_with_arviz(samples, truth_names):
    """The per-fit diagnostics as run_sbc took them before: az.rhat and az.ess on a Dataset with a fit dim."""
    posterior = {k: np.moveaxis(_split_chains(samples[k]), 0, 2) for k in truth_names}
    dims = {k: ["fit", *(f"{k}_dim_{i}" for i in range(v.ndim - 3))] for k, v in posterior.items()}
    idata = az.from_dict(posterior=posterior, dims=dims)

    def worst(dataset, reduce):
        per_site = [reduce(dataset[k], [d for d in dataset[k].dims if d != "fit"]) for k in dataset]
        return reduce(xr.concat(per_site, "site"), "site").values

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat = worst(az.rhat(idata), lambda v, dims: v.max(dims, skipna=False))
        ess = worst(az.ess(idata, method="bulk"), lambda v, dims: v.min(dims, skipna=False))
    return {"max_rhat": rhat, "min_ess_bulk": ess}


@pytest.mark.parametrize(
    "model, simulator, data",
    [
        (linear_regression, regression_simulator, {"x": X}),
        (eight_schools, schools_simulator, {"J": 8, "sigma": EIGHT_SCHOOLS["sigma"]}),
    ],
    ids=["regression", "eight-schools-centered"],
)
def test_are_the_per_fit_diagnostics_arviz_numbers_bit_for_bit(model, simulator, data):
    """One chunk of real fits, as run_sbc makes them: the batched R-hat and ESS equal ArviZ's per-fit ones."""
    truth, batch = simulate_from_prior(
        simulator, data, num_simulations=CHUNK_SIZE, seed=5, arguments=_model_arguments(model)
    )
    for name, value in data.items():  # the fixed data as run_sbc passes it: sizes as they are, arrays per fit
        if name not in batch:
            batch[name] = (
                value if isinstance(value, int) else np.broadcast_to(value, (CHUNK_SIZE, len(value)))
            )
    fitted = fit_many(model, batch, seed=5, num_warmup=500, num_samples=100, num_chains=1, thin=10)
    samples = {k: fitted.samples[k] for k in truth}
    new = _fit_diagnostics(samples, truth)
    old = _fit_diagnostics_per_fit_with_arviz(samples, truth)
    for name in ("max_rhat", "min_ess_bulk"):
        np.testing.assert_array_equal(new[name], old[name], err_msg=name)
