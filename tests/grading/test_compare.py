"""The verdicts of widgets.grading.compare on plain data: closed-form cases that pass and fail.

Statistical verdicts are also run on 200 seeds of data that follow the
reference: at |z| <= 4.5 (about 7e-6 per test), none of them may fail, so
this test fails by chance about once in 400 runs of the suite at worst.
"""

import math

import numpy as np
import pytest

from widgets.grading import compare
from widgets.grading.compare import COMPARATORS, Z, verdict

SEEDS = range(200)


def test_every_verdict_is_covered_here():
    """Is each comparator (and each old name, an alias) one of those this file tests?"""
    tested = {
        "close",
        "allclose",
        "same_draws",
        "regression_data",
        "standard_normal_noise",
        "within_mcse",
        "share_at_most",
        "coverage",
        "one_of",
        "healthy_fit",
    }
    assert set(COMPARATORS) == tested | {"noise_is_standard_normal", "choice", "smallest_healthy"}
    assert COMPARATORS["choice"] is compare.one_of
    assert COMPARATORS["smallest_healthy"] is compare.healthy_fit
    assert COMPARATORS["noise_is_standard_normal"] is compare.standard_normal_noise


@pytest.mark.parametrize(
    ("answer", "reference", "passes"),
    [
        (1.0, {"value": 1.0}, True),
        (1.0 + 1e-9, {"value": 1.0}, False),  # no tolerance given: exact
        (1.05, {"value": 1.0, "rtol": 0.1}, True),
        (1.15, {"value": 1.0, "rtol": 0.1}, False),
        (-0.5, {"value": 0.0, "atol": 0.5}, True),
        (0.51, {"value": 0.0, "atol": 0.5}, False),
        (1.0 + 4.4 * 0.01, {"value": 1.0, "mcse": 0.01}, True),  # within Z = 4.5 mcse
        (1.0 + 4.6 * 0.01, {"value": 1.0, "mcse": 0.01}, False),
        ([1.0], {"value": 1.0}, False),  # one number, not a list
        (True, {"value": 1.0}, False),
    ],
)
def test_close(answer, reference, passes):
    """Does close pass a number within atol + rtol*|value| + Z*mcse, and nothing else?"""
    passed, reason = verdict("close", answer, reference)
    assert passed is passes
    assert str(reference["value"]) not in reason or passes


def test_close_rejects_what_is_not_a_finite_number():
    """Do NaN and a string fail with a reason instead of raising?"""
    assert verdict("close", float("nan"), {"value": 1.0})[0] is False
    passed, reason = verdict("close", "one", {"value": 1.0})
    assert not passed and "wrong form" in reason


@pytest.mark.parametrize(
    ("answer", "reference", "passes", "says"),
    [
        ([1.0, 2.0], {"value": [1.0, 2.0]}, True, "all 2 values"),
        ([1.0, 2.1], {"value": [1.0, 2.0], "atol": 0.05}, False, "1 of 2 values"),
        ([1.0, 2.1], {"value": [1.0, 2.0], "rtol": 0.06}, True, "within"),
        ([[1.0, 2.0]], {"value": [1.0, 2.0]}, False, "shape (1, 2)"),
        ([1.03, 2.0], {"value": [1.0, 2.0], "mcse": [0.01, 0.0]}, True, "within"),  # 3 < 4.5 mcse
        ([1.0, 2.03], {"value": [1.0, 2.0], "mcse": [0.01, 0.0]}, False, "1 of 2"),  # mcse 0: exact
    ],
)
def test_allclose(answer, reference, passes, says):
    """Does allclose compare element by element, with a per-element mcse, and name a wrong shape?"""
    passed, reason = verdict("allclose", answer, reference)
    assert passed is passes and says in reason


def test_same_draws():
    """Same sites and arrays pass; a missing site, a wrong shape or different draws fail, naming them?"""
    reference = {"a": [1.0, 2.0], "y": [[0.5, 0.25]]}
    assert verdict("same_draws", {"a": [1.0, 2.00001], "y": [[0.5, 0.25]]}, reference)[0]
    assert "sample sites" in verdict("same_draws", {"a": [1.0, 2.0]}, reference)[1]
    assert "shape" in verdict("same_draws", {"a": [1.0, 2.0], "y": [0.5, 0.25]}, reference)[1]
    passed, reason = verdict("same_draws", {"a": [1.0, 2.1], "y": [[0.5, 0.25]]}, reference)
    assert not passed and reason == "draws of a differ from the reference model's"


LINE = {"n": 80, "a": 1.5, "b": -0.5, "sigma": 0.3, "x_range": [-2.0, 2.0]}


def line_data(shift=0.0, scale=1.0, n=80, low=-2.0):
    # Residuals +-sigma in turn: mean exactly 0, sd exactly sigma.
    x = np.linspace(low, 2.0, n)
    residual = scale * LINE["sigma"] * np.where(np.arange(n) % 2, 1.0, -1.0) + shift
    return {"x": x.tolist(), "y": (LINE["a"] * x + LINE["b"] + residual).tolist()}


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (line_data(), "looks like data"),
        (line_data(n=79), "must each hold 80"),
        (line_data(low=-3.0), "x must lie in"),
        (line_data(shift=Z * 0.3 / math.sqrt(80) * 1.1), "not centred"),
        (line_data(scale=1 + Z / math.sqrt(160) * 1.1), "right spread"),
    ],
)
def test_regression_data(answer, says):
    """Is exact data on the line with spread sigma accepted, and each kind of wrong data named?"""
    passed, reason = verdict("regression_data", answer, LINE)
    assert (says == "looks like data") is passed and says in reason


def test_regression_data_passes_data_from_the_model_on_every_seed():
    """Does data drawn from the model itself pass on 200 seeds?"""
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        x = rng.uniform(-2, 2, 80)
        y = 1.5 * x - 0.5 + 0.3 * rng.normal(size=80)
        assert verdict("regression_data", {"x": x.tolist(), "y": y.tolist()}, LINE)[0], seed


NOISE = {"x": [0.0, 1.0], "shape": [4, 2], "a": 2.0, "b": 1.0, "sigma": 0.5}


def test_standard_normal_noise():
    """Do residuals of mean 0 and sd 1 pass, and a shifted, a too wide or a wrongly shaped answer fail?"""
    z = np.array([[1.0, -1.0]] * 2 + [[-1.0, 1.0]] * 2)  # mean 0, sd 1
    line = np.array([1.0, 3.0])
    assert verdict("standard_normal_noise", {"y": (line + 0.5 * z).tolist()}, NOISE)[0]
    assert not verdict("standard_normal_noise", {"y": (line + 0.5 * z + 1.0).tolist()}, NOISE)[0]
    assert not verdict("standard_normal_noise", {"y": (line + 2.0 * z).tolist()}, NOISE)[0]
    assert "shape" in verdict("standard_normal_noise", {"y": line.tolist()}, NOISE)[1]


def test_standard_normal_noise_passes_draws_from_the_model_on_every_seed():
    """Do y = a*x + b + sigma * N(0, 1) draws of shape (4, 50) pass on 200 seeds?"""
    x = np.linspace(-2, 2, 50)
    reference = {"x": x.tolist(), "shape": [4, 50], "a": 1.5, "b": -0.5, "sigma": 0.3}
    for seed in SEEDS:
        y = 1.5 * x - 0.5 + 0.3 * np.random.default_rng(seed).normal(size=(4, 50))
        assert verdict("standard_normal_noise", {"y": y.tolist()}, reference)[0], seed


def test_within_mcse():
    """Is the tolerance Z * sqrt(2) * mcse: just inside passes, just outside fails?"""
    edge = Z * math.sqrt(2) * 0.01
    assert verdict("within_mcse", {"value": 1.0 + 0.99 * edge}, {"value": 1.0, "mcse": 0.01})[0]
    assert not verdict("within_mcse", {"value": 1.0 - 1.01 * edge}, {"value": 1.0, "mcse": 0.01})[0]


def test_share_at_most():
    """Does a share up to limit + Z * binomial error pass, and a narrow slope prior fail?"""
    reference = {"limit": 0.05, "min_sd_a": 1.0}
    allowance = Z * math.sqrt(0.05 * 0.95 / 4000)
    ok = {"share": 0.05 + 0.99 * allowance, "draws": 4000, "sd_a": 1.0}
    assert verdict("share_at_most", ok, reference)[0]
    assert not verdict("share_at_most", {**ok, "share": 0.05 + 1.01 * allowance}, reference)[0]
    passed, reason = verdict("share_at_most", {**ok, "sd_a": 0.5}, reference)
    assert not passed and "too narrow" in reason


def test_coverage():
    """Does an interval holding 95 of 100 evenly spread draws pass, 80 fail, and a reversed one fail?"""
    draws = np.arange(100) + 0.5
    reference = {"draws": draws.tolist(), "probability": 0.95, "effective_draws": 1000}
    assert verdict("coverage", {"lower": 2.0, "upper": 97.0}, reference)[0]  # 95 of 100
    passed, reason = verdict("coverage", {"lower": 10.0, "upper": 90.0}, reference)  # 80 of 100
    assert not passed and "covers 80.0%" in reason
    assert "lower end" in verdict("coverage", {"lower": 97.0, "upper": 2.0}, reference)[1]


def test_coverage_passes_the_true_interval_on_every_seed():
    """Does the exact 95% interval of N(0, 1) pass against 1000 fresh draws on 200 seeds?"""
    for seed in SEEDS:
        draws = np.random.default_rng(seed).normal(size=1000)
        reference = {"draws": draws.tolist(), "probability": 0.95, "effective_draws": 1000}
        assert verdict("coverage", {"lower": -1.959964, "upper": 1.959964}, reference)[0], seed


def test_one_of():
    """Is the right option accepted in any case and spacing, a wrong one refused, a non-option named?"""
    reference = {"options": list("ABCD"), "answer": "C"}
    assert verdict("one_of", " c ", reference)[0]
    assert verdict("one_of", "B", reference) == (False, "not that one")
    assert verdict("one_of", "E", reference) == (False, "answer with one of A, B, C, D")


def test_healthy_fit():
    """Is the smallest healthy count passed, and a count still warning or one step too high refused?"""
    reference = {"step": 100, "max_samples": 1000, "num_warmup": 500, "num_chains": 4, "priors": "P"}

    def answer(samples, healthy, lower_healthy, **settings):
        lower = {"num_samples": samples - 100, "healthy": lower_healthy}
        return {"num_samples": samples, "num_warmup": 500, "num_chains": 4, "priors": "P",
                "healthy": healthy, "lower": lower} | settings  # fmt: skip

    assert verdict("healthy_fit", answer(200, True, False), reference)[0]
    assert "still warns" in verdict("healthy_fit", answer(200, False, False), reference)[1]
    assert "also fit without" in verdict("healthy_fit", answer(300, True, True), reference)[1]
    assert "keep 500 warmup" in verdict("healthy_fit", answer(200, True, False, num_warmup=100), reference)[1]
    assert "start at 1000" in verdict("healthy_fit", answer(1100, None, None), reference)[1]


def test_a_malformed_answer_fails_with_a_reason_instead_of_raising():
    """Does every verdict turn a missing key or wrong type into a failing reason?"""
    for name in COMPARATORS:
        passed, reason = verdict(name, None, {})
        assert passed is False and reason


def test_standard_normal_noise_takes_a_mean_instead_of_a_line():
    """Does a reference with "mean" (broadcast against y) judge the same residuals as the line form?"""
    z = np.array([[1.0, -1.0]] * 2 + [[-1.0, 1.0]] * 2)
    reference = {"mean": [1.0, 3.0], "shape": [4, 2], "sigma": 0.5}
    assert verdict("standard_normal_noise", {"y": ([1.0, 3.0] + 0.5 * z).tolist()}, reference)[0]
    assert not verdict("standard_normal_noise", {"y": ([1.0, 0.0] + 0.5 * z).tolist()}, reference)[0]


def test_share_at_most_checks_every_site_of_min_sd():
    """Does a reference "min_sd" by site refuse a narrow prior on any of them, naming the site?"""
    reference = {"limit": 0.05, "min_sd": {"a": 1.0, "b": 0.5}}
    ok = {"share": 0.01, "draws": 4000, "sd": {"a": 1.0, "b": 0.5}}
    assert verdict("share_at_most", ok, reference)[0]
    passed, reason = verdict("share_at_most", {**ok, "sd": {"a": 1.0, "b": 0.4}}, reference)
    assert not passed and "prior on b is too narrow" in reason
