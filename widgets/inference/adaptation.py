"""NUTS warmup adaptation on a traced schedule: NumPyro's windows and updates as array code.

NumPyro builds its warmup schedule in Python from the number of warmup steps,
so each value would compile its own program. Here the windows
(:func:`_warmup_windows`) and each adaptation step (:func:`_adapt`) are
computed from a traced ``num_warmup``, with NumPyro's own ``dual_averaging``
and ``welford_covariance``; the sampler calls them inside its compiled loop.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from numpyro.infer.hmc_util import HMCAdaptState, dual_averaging, welford_covariance

# The longest warmup one compiled sampler serves: num_warmup is an argument of
# the compiled code and the windows are computed inside it, so any value in
# range reuses the program.
MAX_NUM_WARMUP = 10_000


# Stan's warmup windows, as NumPyro's build_adaptation_schedule makes them: a
# fast start buffer, slow windows of doubling length, a fast end buffer.
_START_BUFFER, _END_BUFFER, _FIRST_SLOW_WINDOW = 75, 50, 25
# The slow windows (25, 50, 100, ... steps, the last one stretched to the end
# buffer) of the longest warmup fill MAX_NUM_WARMUP - 125 steps: at most this many.
_MAX_SLOW_WINDOWS = (
    math.ceil(math.log2((MAX_NUM_WARMUP - _START_BUFFER - _END_BUFFER) / _FIRST_SLOW_WINDOW + 1)) + 1
)


def _warmup_windows(num_warmup) -> tuple[jax.Array, jax.Array]:
    """NumPyro's warmup adaptation windows for a traced number of warmup steps.

    The same windows as ``numpyro.infer.hmc_util.build_adaptation_schedule``
    (Stan's rules: one window below 20 steps; else a fast start buffer of 75,
    slow windows of 25, 50, 100, ... steps, the last stretched to a fast end
    buffer of 50; buffers of 15% and 10% below 150 steps), computed with array
    operations so that `num_warmup` can be a traced value.

    Parameters
    ----------
    num_warmup : int or jax.Array
        Number of warmup steps, in [0, MAX_NUM_WARMUP].

    Returns
    -------
    ends : jax.Array, shape (_MAX_SLOW_WINDOWS + 2,)
        The last step of each window, in order; -1 past the last window.
        Windows are contiguous: each starts after the previous one's end.
    count : jax.Array
        The number of windows.
    """
    n = jnp.asarray(num_warmup, jnp.int32)
    short = n < _START_BUFFER + _END_BUFFER + _FIRST_SLOW_WINDOW
    # int(0.15 * n) and int(0.1 * n) in NumPyro; equal in integers for n < 150.
    start_buffer = jnp.where(short, 15 * n // 100, _START_BUFFER)
    end_buffer = jnp.where(short, n // 10, _END_BUFFER)
    window_size = jnp.where(short, n - start_buffer - end_buffer, _FIRST_SLOW_WINDOW)
    end_start = n - end_buffer
    ends, count = [start_buffer - 1], jnp.asarray(1, jnp.int32)
    window_start = start_buffer
    for _ in range(_MAX_SLOW_WINDOWS):  # NumPyro's while loop, unrolled and masked
        active = window_start < end_start
        doubles = 3 * window_size <= end_start - window_start
        size = jnp.where(doubles, window_size, end_start - window_start)
        ends.append(jnp.where(active, window_start + size - 1, -1))
        count = count + active
        window_size = jnp.where(active & doubles, 2 * window_size, window_size)
        window_start = jnp.where(active, window_start + size, window_start)
    ends = jnp.stack([*ends, jnp.asarray(-1, jnp.int32)]).at[count].set(n - 1)  # the end buffer
    few = n < 20  # Stan's rule for few steps: a single window
    ends = jnp.where(few, jnp.full_like(ends, -1).at[0].set(n - 1), ends)
    return ends, jnp.where(few, 1, count + 1)


_DA_INIT, _DA_UPDATE = dual_averaging()
_WELFORD_INIT, _WELFORD_UPDATE, _WELFORD_FINAL = welford_covariance(diagonal=True)


def _adapt(t, accept_prob, z, state: HMCAdaptState, schedule, target_accept_prob) -> HMCAdaptState:
    """One warmup step of NumPyro's adaptation, on a traced schedule.

    NumPyro's ``warmup_adapter(...)`` update, step for step, with the NUTS
    kernel's defaults (step size by dual averaging towards
    `target_accept_prob`, a diagonal mass matrix by Welford's method,
    regularized, refreshed at the end of each slow window), built from its
    own ``dual_averaging`` and ``welford_covariance``. Only the schedule
    ``(num_warmup, window ends, window count)`` is a traced argument here,
    where NumPyro builds it in Python from the number of warmup steps.
    """
    num_warmup, ends, num_windows = schedule
    step_size, inverse_mm, mm_sqrt, mm_sqrt_inv, da_state, mm_state, window, rng_key = state
    if rng_key is not None:  # NumPyro splits it once per step, as here
        rng_key, _ = jax.random.split(rng_key)
    da_state = _DA_UPDATE(target_accept_prob - accept_prob, da_state)
    log_step_size, log_step_size_avg, *_ = da_state
    # At the last warmup step, the average of the log step sizes.
    step_size = jnp.where(t == num_warmup - 1, jnp.exp(log_step_size_avg), jnp.exp(log_step_size))
    finfo = jnp.finfo(jnp.result_type(step_size))
    step_size = jnp.clip(step_size, finfo.tiny, finfo.max)
    slow = (0 < window) & (window < num_windows - 1)
    mm_state = jax.lax.cond(slow, lambda s: _WELFORD_UPDATE(z, s), lambda s: s, mm_state)
    window_ends = t == ends[window]
    window = jnp.where(window_ends, window + 1, window)
    state = HMCAdaptState(step_size, inverse_mm, mm_sqrt, mm_sqrt_inv, da_state, mm_state, window, rng_key)

    def end_of_slow_window(state):
        inverse_mm, mm_sqrt, mm_sqrt_inv = _WELFORD_FINAL(state.mm_state, regularize=True)
        if isinstance(inverse_mm, dict):
            size = {k: v.shape for k, v in inverse_mm.items()}
        else:
            size = inverse_mm.shape[-1]
        return state._replace(
            inverse_mass_matrix=inverse_mm,
            mass_matrix_sqrt=mm_sqrt,
            mass_matrix_sqrt_inv=mm_sqrt_inv,
            mm_state=_WELFORD_INIT(size),
            ss_state=_DA_INIT(jnp.log(10) + jnp.log(state.step_size)),
        )

    return jax.lax.cond(window_ends & slow, end_of_slow_window, lambda s: s, state)
