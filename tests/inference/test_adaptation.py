"""Warmup adaptation on a traced schedule equals NumPyro's, window for window and step for step.

num_warmup enters the compiled code as a value: the warmup windows are
computed inside it. These tests check that this changes nothing NumPyro would
do: the windows are ``build_adaptation_schedule``'s for every allowed
num_warmup, and each adaptation step is ``warmup_adapter``'s.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro.infer.hmc_util import IntegratorState, build_adaptation_schedule, warmup_adapter

from widgets.inference import MAX_NUM_WARMUP, adaptation


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
