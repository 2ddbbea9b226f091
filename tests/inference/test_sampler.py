"""The chunked NUTS engine: NumPyro's draws for any run length, chunking and chain layout.

The run length is an argument of the compiled sampler: draws go into buffers of
a fixed capacity. A run gives the draws of NumPyro's own NUTS kernel run with a
Python num_warmup; every chain method samples the exact posterior (z-scores of
posterior means and sds against Monte Carlo standard errors, |z| < 4.5: chance
failure ~7e-6 per check, seeds fixed); progress reporting changes no draw.
"""

import os
import subprocess
import sys

import arviz as az
import jax
import numpy as np
import pytest
from numpyro.infer import MCMC, NUTS

from tests.conftest import make_data
from tests.inference.exact import exact_moments, z_scores
from widgets.inference import (
    EIGHT_SCHOOLS,
    MAX_NUM_SAMPLES,
    Priors,
    eight_schools,
    eight_schools_noncentered,
    fit,
    fit_model,
    linear_regression,
)

Z_MAX = 4.5


def _numpyros_own_run(x, y, seed, num_warmup, num_samples, target_accept_prob):
    """One chain of NumPyro's NUTS kernel, adapting on its own schedule for a Python num_warmup."""
    model = lambda x, y, priors: linear_regression(x, y, priors=priors)  # noqa: E731
    kernel = NUTS(model, target_accept_prob=target_accept_prob)
    priors = Priors()
    key = jax.random.split(jax.random.PRNGKey(seed), 1)[0]  # as fit's first chain gets it

    @jax.jit
    def run(key, x, y):
        state = kernel.init(key, num_warmup, None, (x, y, priors), {})

        def step(state, _):
            state = kernel.sample(state, (x, y, priors), {})
            return state, (state.z, state.adapt_state.step_size, state.num_steps)

        _, (z, step_size, num_steps) = jax.lax.scan(step, state, length=num_warmup + num_samples)
        return jax.vmap(kernel.postprocess_fn((x, y, priors), {}))(z), step_size, num_steps

    draws, step_size, num_steps = jax.device_get(run(key, x, y))
    kept = slice(num_warmup, None)
    return {k: v[kept] for k, v in draws.items()}, step_size[kept], num_steps[kept]


@pytest.mark.parametrize(
    "num_warmup, num_samples, target_accept_prob",
    [(12, 40, 0.8), (60, 20, 0.9)],  # one window; start buffer, a slow window, end buffer
)
def test_draws_follow_numpyros_own_nuts_run(num_warmup, num_samples, target_accept_prob):
    """Does fit give, draw for draw, what NumPyro's NUTS kernel gives with its own warmup adaptation?

    Two compiled programs round float32 differently in the last digit, and a
    chain carries that forward: over these short runs the draws stay within
    1e-3 of each other (4e-4 measured) and the adapted step sizes within 1e-4.
    A wrong window, step index or final averaging moves the step size by percent.
    """
    x, y = (v.astype(np.float32) for v in make_data(30, seed=4))
    ours = fit(
        x,
        y,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=1,
        seed=7,
        target_accept_prob=target_accept_prob,
    )
    draws, step_size, num_steps = _numpyros_own_run(x, y, 7, num_warmup, num_samples, target_accept_prob)
    np.testing.assert_allclose(ours.sample_stats["step_size"][0], step_size, rtol=1e-4)
    assert not np.allclose(step_size, 1.0)  # the adaptation ran
    for name, values in draws.items():
        np.testing.assert_allclose(ours.samples[name][0], values, atol=1e-3, err_msg=name)
    np.testing.assert_array_equal(ours.sample_stats["n_steps"][0], num_steps)


@pytest.mark.parametrize("num_samples", [1, 999, 1001, MAX_NUM_SAMPLES])
def test_every_draw_is_kept_once_whatever_num_samples(num_samples):
    """Do the draws, statistics and log-likelihoods have num_samples per chain, none left at zero?"""
    x, y = make_data(20, seed=1)
    result = fit(x, y, num_warmup=50, num_samples=num_samples, num_chains=2, seed=5)
    assert result.samples["sigma"].shape == (2, num_samples)
    assert all(v.shape == (2, num_samples) for v in result.sample_stats.values())
    assert result.log_likelihood["y"].shape == (2, num_samples, 20)
    # A buffer slot never written would read sigma = exp(0) = 1, n_steps = 0 and lp = 0.
    assert np.all(result.sample_stats["n_steps"] >= 1)
    assert np.all(result.samples["sigma"] != 1.0) and np.all(result.sample_stats["lp"] != 0.0)


def test_a_shorter_run_is_the_start_of_a_longer_one():
    """With the same seed and warmup, are 300 draws the first 300 of 1300 (draws are written in order)?"""
    x, y = make_data(20, seed=1)
    short = fit(x, y, num_warmup=100, num_samples=300, seed=2)
    long = fit(x, y, num_warmup=100, num_samples=1300, seed=2)
    for name in short.samples:
        np.testing.assert_array_equal(short.samples[name], long.samples[name][:, :300])
    np.testing.assert_array_equal(short.log_likelihood["y"], long.log_likelihood["y"][:, :300])


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


@pytest.mark.parametrize("chain_method", ["vectorized", "sequential"])
def test_every_chain_method_matches_exact_posterior(chain_method):
    """Do chains run in lockstep on one device, or one after another, give the exact posterior too?"""
    x, y = make_data(5, seed=1)
    result = fit(x, y, seed=3, chain_method=chain_method)
    scores = z_scores(result, exact_moments(x, y))
    assert all(abs(z) < Z_MAX for z in scores.values()), scores


def test_parallel_chains_need_several_devices():
    """In a process with one device, does chain_method='parallel' say how to get more?"""
    code = (
        "import numpy as np\n"
        "from widgets.inference import fit\n"
        "try:\n"
        "    fit(np.arange(3.0), np.arange(3.0), chain_method='parallel')\n"
        "except ValueError as err:\n"
        "    print(err)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "chain_method='parallel' needs at least 2 devices" in out.stdout, out.stderr
    assert "numpyro.set_host_device_count" in out.stdout


def test_eight_schools_fit_through_the_engine_with_progress():
    """Does the centered eight schools run through the chunked engine, reporting rising progress to 1?

    Its draws have the sites' shapes, and progress changes no draw.
    """
    reports = []
    reported = fit_model(
        eight_schools, EIGHT_SCHOOLS, num_warmup=200, num_samples=300, seed=4, progress=reports.append
    )
    plain = fit_model(eight_schools, EIGHT_SCHOOLS, num_warmup=200, num_samples=300, seed=4)
    assert reports[0] == 0.0 and reports[-1] == 1.0 and len(reports) >= 3
    assert all(b >= a for a, b in zip(reports[:-1], reports[1:], strict=True))
    assert {k: v.shape for k, v in reported.samples.items()} == {
        "mu": (4, 300),
        "tau": (4, 300),
        "theta": (4, 300, 8),
    }
    assert reported.log_likelihood["y"].shape == (4, 300, 8)
    for name in plain.samples:
        np.testing.assert_array_equal(plain.samples[name], reported.samples[name])


def test_divergences_per_chain_centered_versus_noncentered(schools_centered, schools_noncentered):
    """Does the centered funnel diverge and the non-centered model hardly ever, counted per chain?

    NumPyro's README reports 19 divergences centered and 0 non-centered; four
    seeds here gave 63, 12, 4 and 75 centered against 0, 1, 0 and 0. So: more
    than zero against at most a few, never exact counts.
    """
    centered, noncentered = schools_centered.diagnostics, schools_noncentered.diagnostics
    for diagnostics, result in ((centered, schools_centered), (noncentered, schools_noncentered)):
        per_chain = result.sample_stats["diverging"].sum(axis=1)
        assert diagnostics.divergences_per_chain == tuple(int(n) for n in per_chain)
        assert diagnostics.divergences == sum(diagnostics.divergences_per_chain)
    assert len(centered.divergences_per_chain) == 4
    assert centered.divergences > 0
    assert noncentered.divergences <= 5
    per_chain = ", ".join(map(str, centered.divergences_per_chain))
    assert f"{centered.divergences} divergent transitions (per chain: {per_chain})" in centered.verdict


def _numpyros_mcmc(model, seed):
    """NumPyro's own MCMC(NUTS(model)) on the eight schools: 4 chains x 2000 draws, grouped by chain."""
    mcmc = MCMC(NUTS(model), num_warmup=1000, num_samples=2000, num_chains=4, progress_bar=False)
    mcmc.run(jax.random.PRNGKey(seed), **EIGHT_SCHOOLS)
    return {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}


def test_engine_agrees_with_numpyros_mcmc_on_noncentered_eight_schools():
    """Do the posterior means of mu, tau and each theta of the engine and NumPyro's MCMC agree within MCSE?

    z = (difference of means) / sqrt(MCSE_1**2 + MCSE_2**2), from ArviZ's MCSE
    of each run; for two correct samplers z is about standard normal, so
    |z| < 4.5 fails by chance with probability ~7e-6 per check (10 checks).
    """
    ours = fit_model(
        eight_schools_noncentered, EIGHT_SCHOOLS, num_warmup=1000, num_samples=2000, seed=1
    ).samples
    theirs = _numpyros_mcmc(eight_schools_noncentered, seed=2)
    mcse = [az.mcse(az.from_dict(posterior=draws), method="mean") for draws in (ours, theirs)]
    scores = {}
    for name in ("mu", "tau", "theta"):
        difference = ours[name].mean(axis=(0, 1)) - theirs[name].mean(axis=(0, 1))
        z = np.atleast_1d(difference / np.hypot(mcse[0][name].values, mcse[1][name].values))
        scores.update({f"{name}[{i}]": float(v) for i, v in enumerate(z)})
    assert len(scores) == 10
    assert all(abs(z) < Z_MAX for z in scores.values()), scores
