"""Diagnostics: divergences, R-hat and bulk ESS, and a verdict in words."""

import logging
import warnings

import numpy as np
import pytest

from widgets.inference import Diagnostics, fit
from widgets.inference._arviz import az
from widgets.inference.diagnostics import _diagnose, ess_bulk, rhat_rank


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


def test_diagnostics_say_what_to_try_for_each_problem():
    """Does each warning sign give its own sentence, and no warning give the reassuring verdict?"""
    healthy = Diagnostics(divergences=0, max_rhat=1.0, min_ess_bulk=2000.0, warnings=())
    assert healthy.ok and healthy.verdict.startswith("No warning signs")
    sick = Diagnostics(divergences=3, max_rhat=1.2, min_ess_bulk=50.0, warnings=("A.", "B."))
    assert not sick.ok and sick.verdict == "A. B."


def _idata(stuck: str, *, divergent: int = 0):
    """4 chains of 200 draws of a and b, `stuck` held at 1.5; `divergent` divergences in chain 0."""
    rng = np.random.default_rng(0)
    posterior = {name: rng.normal(size=(4, 200)) for name in ("a", "b")}
    posterior[stuck] = np.full((4, 200), 1.5)
    diverging = np.zeros((4, 200), bool)
    diverging[0, :divergent] = True
    return az.from_dict(posterior=posterior, sample_stats={"diverging": diverging})


@pytest.mark.parametrize("stuck", ["a", "b"])
def test_an_undefined_rhat_is_a_warning_sign_whatever_the_order(stuck):
    """A chain that never moved gives R-hat NaN: named in a warning, never 'No warning signs'?"""
    for var_names in (["a", "b"], ["b", "a"]):
        diag = _diagnose(_idata(stuck), var_names)
        assert np.isnan(diag.max_rhat) and not diag.ok
        assert f"R-hat of {stuck} is undefined" in diag.verdict


def test_one_divergence_is_one_transition():
    diag = _diagnose(_idata("b", divergent=1), ["a"])
    assert "1 divergent transition (per chain: 1, 0, 0, 0)" in diag.verdict


def _autoregressive_draws(rng, shape, dtype):
    """AR(1) chains with a coefficient per slice from -0.5 to 0.99: Geyer's sequences of every length."""
    phi = rng.uniform(-0.5, 0.99, shape[:-2])[..., None]
    noise = rng.normal(size=shape)
    draws = np.zeros(shape)
    for i in range(1, shape[-1]):
        draws[..., i] = phi * draws[..., i - 1] + noise[..., i]
    # Slices ArviZ treats apart: stuck at one value, one chain stuck, a NaN, ties, half the draws equal.
    draws[0] = 1.5
    draws[1, 0] = 2.0
    draws[2, 0, -1] = np.nan
    draws[3] = np.round(draws[3])
    draws[4, :, ::2] = 0.0
    return draws.astype(dtype)


def _one_slice_at_a_time(draws, diagnostic):
    out = np.empty(draws.shape[:-2])
    logging.getLogger("arviz").disabled = True  # its "Array contains NaN-value" and shape notes
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            for index in np.ndindex(out.shape):
                out[index] = diagnostic(draws[index])
    finally:
        logging.getLogger("arviz").disabled = False
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape", [(300, 2, 50), (40, 1, 101), (40, 4, 51), (20, 8, 200), (20, 2, 7), (9, 3, 3)]
)
def test_are_batched_rhat_and_ess_arviz_numbers_bit_for_bit(shape, dtype):
    """Does each slice get exactly what az.rhat(method="rank") and az.ess(method="bulk") give it alone?"""
    draws = _autoregressive_draws(np.random.default_rng(list(shape)), shape, dtype)
    expected_rhat = _one_slice_at_a_time(draws, lambda ary: az.rhat(ary, method="rank"))
    expected_ess = _one_slice_at_a_time(draws, lambda ary: az.ess(ary, method="bulk"))
    np.testing.assert_array_equal(rhat_rank(draws), expected_rhat)
    np.testing.assert_array_equal(ess_bulk(draws), expected_ess)
    if shape[-1] >= 4:  # the slices ArviZ treats apart are there
        assert np.isnan(expected_rhat[2]) and np.isnan(expected_ess[2])
        assert expected_ess[0] == 2 * shape[-2] * (shape[-1] // 2)


def test_do_batched_rhat_and_ess_keep_the_batch_shape():
    """A (fit, entry, chain, draw) batch gives (fit, entry) numbers, each the one of its slice."""
    draws = _autoregressive_draws(np.random.default_rng(1), (6, 4, 2, 50), np.float64)
    assert rhat_rank(draws).shape == ess_bulk(draws).shape == (6, 4)
    np.testing.assert_array_equal(rhat_rank(draws)[1], rhat_rank(draws.reshape(24, 2, 50))[4:8])
