"""The run length is an argument of the compiled sampler, and runs as NumPyro's NUTS would.

num_warmup and num_samples enter the compiled code as values: the warmup
windows are computed inside it and draws go into buffers of a fixed capacity.
These tests check that this changes nothing NumPyro would do: the windows are
``build_adaptation_schedule``'s for every allowed num_warmup, and a run gives
the draws of NumPyro's own NUTS kernel run with a Python num_warmup.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro.infer import NUTS, Predictive
from numpyro.infer.hmc_util import IntegratorState, build_adaptation_schedule, warmup_adapter

from tests.conftest import make_data
from widgets.inference import adaptation
from widgets.inference import (
    MAX_NUM_SAMPLES,
    MAX_NUM_WARMUP,
    Priors,
    fit,
    linear_regression,
    posterior_predictive,
)


def _windows(ends, count):
    """(start, end) of each window from the window ends the compiled code returns."""
    ends = [int(e) for e in ends[:count]]
    return [(start, end) for start, end in zip([0] + [e + 1 for e in ends[:-1]], ends, strict=True)]


def test_warmup_windows_in_jit_equal_numpyros_for_every_allowed_num_warmup():
    """For every num_warmup from 0 to MAX_NUM_WARMUP, are the windows computed inside jit NumPyro's own?"""
    steps = np.arange(MAX_NUM_WARMUP + 1, dtype=np.int32)
    ends, counts = jax.device_get(jax.jit(jax.vmap(adaptation._warmup_windows))(steps))
    wrong = []
    for n in steps:
        expected = [(w.start, w.end) for w in build_adaptation_schedule(int(n))]
        got = _windows(ends[n], counts[n])
        if got != expected or np.any(ends[n][counts[n] :] != -1):
            wrong.append((int(n), got, expected))
    assert not wrong, wrong[:5]
    # The spread covers each of Stan's cases: none, one window (< 20), shrunk buffers (< 150), doubling.
    assert _windows(ends[0], counts[0]) == [(0, -1)]
    assert _windows(ends[19], counts[19]) == [(0, 18)]
    assert _windows(ends[20], counts[20]) == [(0, 2), (3, 17), (18, 19)]
    assert _windows(ends[500], counts[500]) == [
        (0, 74),
        (75, 99),
        (100, 149),
        (150, 249),
        (250, 449),
        (450, 499),
    ]
    assert counts.max() == len(build_adaptation_schedule(MAX_NUM_WARMUP))


@pytest.mark.parametrize("num_warmup", [1, 7, 19, 20, 21, 60, 149, 150, 151, 500, 1000])
def test_adaptation_step_equals_numpyros_warmup_adapter(num_warmup):
    """Does _adapt on the traced schedule update as NumPyro's warmup_adapter(num_warmup) does?

    Both get the same acceptance probabilities and draws, step by step; step
    size, mass matrix, Welford and dual-averaging states and window index must agree.
    """
    rng = np.random.default_rng(num_warmup)
    accept = rng.uniform(0.0, 1.0, num_warmup).astype(np.float32)
    draws = {
        k: rng.normal(loc, 0.3, num_warmup).astype(np.float32)
        for k, loc in (("a", 1.5), ("b", -0.5), ("sigma", -1.2))
    }
    # As NUTS sets it up: a diagonal mass matrix over all sites (dense_mass=[]).
    wa_init, wa_update = warmup_adapter(num_warmup, dense_mass=[], target_accept_prob=0.85)
    start = {k: jnp.zeros(()) for k in draws}
    first = wa_init(IntegratorState(start, None, None, None), jax.random.PRNGKey(1), 1.0)

    def numpyros(state, step):
        t, accept_prob, z = step
        state = wa_update(t, accept_prob, IntegratorState(z, None, None, None), state)
        return state, state

    def ours(state, step, n):
        t, accept_prob, z = step
        state = adaptation._adapt(t, accept_prob, z, state, (n, *adaptation._warmup_windows(n)), 0.85)
        return state, state

    steps = (jnp.arange(num_warmup), accept, draws)
    expected = jax.jit(lambda: jax.lax.scan(numpyros, first, steps)[1])()
    # num_warmup enters our scan as a traced argument, as in the sampler.
    got = jax.jit(lambda n: jax.lax.scan(lambda s, x: ours(s, x, n), first, steps)[1])(np.int32(num_warmup))
    assert jax.tree.structure(got) == jax.tree.structure(expected)
    leaves = zip(jax.tree_util.tree_leaves_with_path(expected), jax.tree.leaves(got), strict=True)
    for (path, value), mine in leaves:
        name = jax.tree_util.keystr(path)
        np.testing.assert_allclose(np.asarray(mine), np.asarray(value), rtol=1e-6, err_msg=name)


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
